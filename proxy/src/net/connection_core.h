// Internal to sp_net: the state behind a TcpConnection. Its memory belongs to the libuv handle
// lifecycle: it is freed in the close callback, or by the TcpConnection destructor when the
// handle was already closed. Never include this header from outside proxy/src/net.
#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "net/event_loop.h"
#include "net/input_buffer.h"
#include "net/loop_internal.h"
#include "net/tcp_connection.h"

namespace slotproxy::net {

// `state`, `write_in_flight` and `out` live in the CoreFields base (read inline by
// TcpConnection's accessors).
struct TcpConnection::Core final : internal::TurnParticipant, TcpConnection::CoreFields {
  // Creates the core with an initialised (not yet connected) uv_tcp_t.
  static Core* Create(EventLoop& loop, const ConnectionOptions& options, State state);

  // Marks an accepted or connected socket as established: options, addresses, reading.
  void Establish();
  // Called by ~TcpConnection.
  void Detach();

  void StartReading();
  void StopReading();
  void Deliver();
  void OnPeerEof();
  void BeginGraceful(CloseReason reason);
  void StartShutdown();
  void CloseNow(CloseReason reason);
  void FailConnect(int code);
  void MarkDirty();
  void FlushNow();
  void AfterAllWritten();
  void CountWritten(size_t n);

  void FlushFromLoop() override;
  void RedeliverFromLoop() override;
  void ForceClose() override;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp); }

  uv_tcp_t tcp;
  uv_write_t write_req;
  uv_shutdown_t shutdown_req;
  uv_connect_t connect_req;
  EventLoop* loop = nullptr;
  internal::LoopState* ls = nullptr;
  ConnectionOptions options;

  bool attached = true;  // the TcpConnection object exists
  bool in_close_callback = false;
  bool delivering = false;      // inside the DataCallback
  bool established = false;     // CloseCallback only for established connections
  bool reading = false;         // uv_read_start active
  bool reading_paused = false;  // the owner's wish
  bool peer_eof = false;
  bool in_flush_list = false;
  bool in_redeliver_list = false;
  bool in_detached_list = false;
  CloseReason reason;           // reported by the CloseCallback
  CloseReason graceful_reason;  // reason to report once a graceful close completes

  InputBuffer input;
  std::string inflight;        // handed to uv_write; must live until the write callback
  size_t inflight_offset = 0;  // prefix of `inflight` that uv_try_write already sent
  uint64_t writes = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  std::string peer_address;
  std::string local_address;

  DataCallback on_data;
  CloseCallback on_close;
  DrainCallback on_drain;
  EofCallback on_eof;
  ConnectCallback on_connect;
  std::unique_ptr<Timer> timer;  // connect timeout, then graceful-close bound / linger
};

}  // namespace slotproxy::net
