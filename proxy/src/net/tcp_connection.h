// TcpConnection: one TCP stream (accepted or connected) with an input buffer, a per-turn output
// buffer flushed with one write per loop turn, back-pressure and safe closing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "net/event_loop.h"
#include "net/input_buffer.h"

namespace slotproxy::net {

// Why a connection closed.
struct CloseReason {
  enum class Kind {
    kEof,    // the peer closed its side (output owed at that moment was flushed first)
    kError,  // a socket error, an input buffer overflow or a graceful close that timed out
    kLocal,  // Close() or CloseAfterFlush() by the owner
  };
  Kind kind = Kind::kLocal;
  std::string message;  // "connection reset by peer", "input buffer limit ...", "closed locally"
};

// Tunables of one connection.
struct ConnectionOptions {
  size_t read_chunk = 16 * 1024;                    // room offered per read into own storage
  size_t max_input = InputBuffer::kDefaultMaxSize;  // unconsumed input above this closes (kError)
  bool no_delay = true;                             // TCP_NODELAY
  uint32_t keepalive_seconds = 0;                   // 0: no TCP keepalive
  uint64_t graceful_close_timeout_ms = 5000;        // bound on CloseAfterFlush (flush + linger)
};

// Ownership: the owner holds the std::unique_ptr and may destroy it at any time, including
// inside any of the connection's own callbacks; destruction closes the socket at once (unless a
// graceful close is already under way, which then finishes detached, bounded by
// graceful_close_timeout_ms) and no callback runs afterwards. The libuv handle's memory and any
// in-flight write buffer are reclaimed in libuv's close callback, after this object is gone.
//
// Loop-thread-only. Callbacks never run re-entrantly from inside a method call of this class,
// with one exception noted at Flush().
class TcpConnection {
 public:
  // Called with the input buffer after new bytes arrive (or, after ResumeReading(), with bytes
  // that were already buffered). Consume() what was handled; the rest stays for the next call.
  // The owner may Close(), CloseAfterFlush() or destroy the connection inside it; `input` stays
  // valid (Consume() still works) until the callback returns, and is then dropped.
  using DataCallback = std::function<void(InputBuffer& input)>;
  // Called once, from libuv's close phase, when the connection is closed for any reason
  // (including the owner's own Close()). The owner may destroy the connection inside it.
  using CloseCallback = std::function<void(const CloseReason& reason)>;
  // Called when all pending output has been written after having been non-zero, so an owner
  // that stopped reading at an output high-water mark can resume.
  using DrainCallback = std::function<void()>;
  // Called when the peer half-closes (EOF) if set; reading has stopped, writing still works and
  // the owner must Close() or CloseAfterFlush() later. If unset, EOF means CloseAfterFlush()
  // with reason kEof.
  using EofCallback = std::function<void()>;
  // Outcome of Connect(): ok, or the error ("connection refused", "connection timed out").
  // On error the connection is already closed (no CloseCallback follows); the owner may
  // destroy it inside the callback.
  using ConnectCallback = std::function<void(const Status& status)>;

  // Starts connecting to `host`:`port` (an IPv4 or IPv6 literal, or "localhost"). Reading
  // starts as soon as the connection is established, just before `on_connected` runs.
  // timeout_ms 0 means no timeout beyond the kernel's. Returns an error, and no callback will
  // run, when the address is not an IP literal or the socket cannot be created.
  static Result<std::unique_ptr<TcpConnection>> Connect(EventLoop& loop, const std::string& host,
                                                        uint16_t port, uint64_t timeout_ms,
                                                        ConnectCallback on_connected,
                                                        const ConnectionOptions& options = {});

  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  void SetDataCallback(DataCallback cb);
  void SetCloseCallback(CloseCallback cb);
  void SetDrainCallback(DrainCallback cb);
  void SetEofCallback(EofCallback cb);

  // The unconsumed input (e.g. to parse it after ResumeReading() without waiting).
  InputBuffer& Input();

  // The output gathered this turn. Append to it freely; the loop flushes it in its before-sleep
  // phase with one write. Calling Output() is what schedules the flush: the string's address is
  // stable for the connection's life (so a resp::Encoder may point at it), but call Output()
  // at least once in every callback that appends. Appends after Close() are discarded.
  std::string& Output();

  // Writes the output gathered so far now instead of at the end of the turn: one uv_try_write,
  // and a uv_write for whatever the socket did not take. While a write is in flight new output
  // waits in Output() and is written when it completes. The one re-entrant call: when the
  // socket takes everything at once, the DrainCallback runs before Flush() returns.
  void Flush();

  // Bytes appended but not yet handed to the kernel (gathered output + the in-flight write).
  // Inline: sessions ask once per command.
  size_t PendingOutputBytes() const {
    size_t n = fields_->out.size();
    if (fields_->write_in_flight) n += *fields_->write_queue_size;
    return n;
  }

  // Stops reading from the socket (back-pressure). Buffered input stays in Input().
  void PauseReading();
  // Starts reading again; input already buffered is re-delivered to the DataCallback before
  // the loop next sleeps.
  void ResumeReading();
  bool IsReadingPaused() const;

  // Closes now: pending output is discarded, the CloseCallback runs with kLocal (later, from
  // libuv's close phase). While connecting, cancels the connect: no callback runs at all.
  void Close();
  // Graceful close (protocol errors): stops delivering input, writes all pending output, sends
  // FIN, then discards input until the peer closes or a short linger ends, then closes. The
  // whole sequence is bounded by graceful_close_timeout_ms (then kError).
  void CloseAfterFlush();

  // True while connecting or connected; false once Close()/CloseAfterFlush() was called, the
  // peer's EOF started a graceful close, or an error closed the connection. Inline: sessions
  // ask once per command.
  bool IsOpen() const { return fields_->state <= CoreFields::State::kOpen; }

  // "127.0.0.1:6379" or "[::1]:6379" (Redis's format); empty if unknown.
  const std::string& PeerAddress() const;
  const std::string& LocalAddress() const;

  // The loop this connection belongs to.
  EventLoop& loop() const;

  // Number of flushes that issued a socket write on this connection (tests, metrics).
  uint64_t WriteCount() const;
  // Bytes received from the socket / handed to the kernel so far (metrics).
  uint64_t BytesRead() const;
  uint64_t BytesWritten() const;

  // Internal to sp_net: the few fields of the implementation object that the inline accessors
  // above read (Core derives from it), so that a per-command check is a load, not a call.
  // Only sp_net writes them; libuv stays out of this header.
  struct CoreFields {
    enum class State : uint8_t {
      kConnecting,
      kOpen,
      kDraining,  // CloseAfterFlush: writing what is owed, input discarded
      kShutdown,  // FIN sent, lingering for the peer's FIN
      kClosing,   // uv_close called
      kClosed,    // close callback ran
    };
    State state = State::kConnecting;
    bool write_in_flight = false;
    std::string out;  // gathered this turn
    // The libuv stream's count of bytes not yet written (read only while write_in_flight).
    const size_t* write_queue_size = nullptr;
  };
  // Internal: sp_net's implementation object.
  struct Core;
  explicit TcpConnection(Core* core);

 private:
  // The implementation object (owned by the libuv handle's lifecycle; detached in the
  // destructor), held through its base so that the inline accessors can read it.
  Core* core() const;
  CoreFields* fields_;
};

}  // namespace slotproxy::net
