#include "net/tcp_connection.h"

#include <cassert>

#include "net/address.h"
#include "net/connection_core.h"

namespace slotproxy::net {
namespace {

using Core = TcpConnection::Core;
using State = Core::State;

// After our FIN, how long to keep reading (and discarding) so that closing with unread bytes
// does not turn into an RST that could destroy the reply the peer has not read yet.
constexpr uint64_t kLingerMs = 1000;
// Output buffers larger than this are released once written instead of kept for reuse.
constexpr size_t kKeepOutputCapacity = 256 * 1024;

CloseReason Reason(CloseReason::Kind kind, std::string message) {
  return CloseReason{kind, std::move(message)};
}

void ReleaseIfHuge(std::string& s) {
  s.clear();
  if (s.capacity() > kKeepOutputCapacity) std::string().swap(s);
}

void OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
  Core* c = static_cast<Core*>(handle->data);
  internal::LoopState& ls = *c->ls;
  // Reads with nothing buffered (and every read we only discard) go to the loop's scratch.
  if (c->state != State::kOpen || (c->input.Empty() && !c->input.IsExternal())) {
    *buf = uv_buf_init(ls.scratch.get(), internal::LoopState::kScratchSize);
    return;
  }
  size_t granted = 0;
  char* p = c->input.PrepareAppend(c->options.read_chunk, &granted);
  *buf = uv_buf_init(p, static_cast<unsigned>(granted));  // 0 bytes: libuv reports UV_ENOBUFS
}

void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  Core* c = static_cast<Core*>(stream->data);
  if (nread == 0) return;  // EAGAIN
  if (nread < 0) {
    if (nread == UV_EOF) {
      c->OnPeerEof();
    } else if (nread == UV_ENOBUFS) {
      c->CloseNow(
          Reason(CloseReason::Kind::kError,
                 "input buffer limit of " + std::to_string(c->input.MaxSize()) + " bytes reached"));
    } else {
      c->CloseNow(Reason(CloseReason::Kind::kError, internal::UvError(static_cast<int>(nread))));
    }
    return;
  }
  const size_t n = static_cast<size_t>(nread);
  c->bytes_read += n;
  c->ls->bytes_read += n;
  if (c->state != State::kOpen) return;  // draining or lingering: discard
  if (buf->base == c->ls->scratch.get()) {
    c->input.AttachExternal(buf->base, n);
  } else {
    c->input.CommitAppend(n);
  }
  c->Deliver();
}

void OnWrite(uv_write_t* req, int status) {
  Core* c = static_cast<Core*>(req->data);
  c->write_in_flight = false;
  if (status == 0) c->CountWritten(c->inflight.size() - c->inflight_offset);
  ReleaseIfHuge(c->inflight);
  if (status == UV_ECANCELED || c->state >= State::kClosing) return;
  if (status < 0) {
    c->CloseNow(Reason(CloseReason::Kind::kError, internal::UvError(status)));
    return;
  }
  if (!c->out.empty()) {
    c->MarkDirty();  // flushed by the before-sleep phase of this same turn
  } else {
    c->AfterAllWritten();
  }
}

void OnShutdown(uv_shutdown_t* req, int status) {
  Core* c = static_cast<Core*>(req->data);
  if (status == UV_ECANCELED || c->state != State::kShutdown) return;
  if (status < 0 || c->peer_eof) {
    c->CloseNow(c->graceful_reason);
    return;
  }
  c->timer->Start(kLingerMs, [c] { c->CloseNow(c->graceful_reason); });
}

void OnClosed(uv_handle_t* handle) {
  Core* c = static_cast<Core*>(handle->data);
  c->state = State::kClosed;
  if (c->in_flush_list || c->in_redeliver_list || c->in_detached_list) c->ls->Forget(c);
  if (c->attached && c->established && c->on_close) {
    c->in_close_callback = true;
    c->on_close(c->reason);  // may destroy the TcpConnection
    c->in_close_callback = false;
  }
  if (!c->attached) delete c;
}

void OnConnect(uv_connect_t* req, int status) {
  Core* c = static_cast<Core*>(req->data);
  if (status == UV_ECANCELED || c->state != State::kConnecting) return;
  if (status < 0) {
    c->FailConnect(status);
    return;
  }
  c->timer.reset();
  c->Establish();
  if (!c->out.empty()) c->MarkDirty();
  if (c->attached && c->on_connect) c->on_connect(Status());
}

std::string AddressOf(uv_tcp_t* tcp, bool peer) {
  sockaddr_storage addr{};
  int len = sizeof(addr);
  int rc = peer ? uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&addr), &len)
                : uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&addr), &len);
  return rc == 0 ? FormatSockaddr(addr) : std::string();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Core

Core* Core::Create(EventLoop& loop, const ConnectionOptions& options, State state) {
  Core* c = new Core;
  c->loop = &loop;
  c->ls = &loop.state();
  c->options = options;
  c->state = state;
  c->input.SetMaxSize(options.max_input);
  uv_tcp_init(loop.raw(), &c->tcp);
  c->tcp.data = c;
  c->write_queue_size = &c->tcp.write_queue_size;
  c->write_req.data = c;
  c->shutdown_req.data = c;
  c->connect_req.data = c;
  return c;
}

void Core::Establish() {
  state = State::kOpen;
  established = true;
  uv_tcp_nodelay(&tcp, options.no_delay ? 1 : 0);
  if (options.keepalive_seconds > 0) uv_tcp_keepalive(&tcp, 1, options.keepalive_seconds);
  peer_address = AddressOf(&tcp, true);
  local_address = AddressOf(&tcp, false);
  StartReading();
}

void Core::Detach() {
  attached = false;
  switch (state) {
    case State::kConnecting:
    case State::kOpen:
      CloseNow(Reason(CloseReason::Kind::kLocal, "closed locally"));
      break;
    case State::kDraining:
    case State::kShutdown:
      // Finishes on its own (bounded by its timer); the close callback frees the core.
      in_detached_list = true;
      ls->detached_closing.push_back(this);
      break;
    case State::kClosing:
      break;  // the close callback frees the core
    case State::kClosed:
      if (!in_close_callback) delete this;
      break;
  }
}

void Core::StartReading() {
  if (reading || peer_eof) return;
  // While draining or lingering we read (and discard) even if the owner paused reading.
  const bool want = state == State::kOpen
                        ? !reading_paused
                        : (state == State::kDraining || state == State::kShutdown);
  if (!want) return;
  if (uv_read_start(stream(), OnAlloc, OnRead) == 0) reading = true;
}

void Core::StopReading() {
  if (!reading) return;
  uv_read_stop(stream());
  reading = false;
}

void Core::Deliver() {
  delivering = true;
  if (attached && on_data) on_data(input);  // may close, pause, or destroy the owner
  delivering = false;
  if (state == State::kOpen) {
    input.AdoptExternal();  // the scratch is reused by the next read on this loop
    input.ShrinkIfIdle();
  } else {
    input.Clear();
  }
}

void Core::OnPeerEof() {
  peer_eof = true;
  reading = false;  // libuv stops reading at EOF
  if (state == State::kOpen) {
    if (attached && on_eof) {
      on_eof();
      return;
    }
    BeginGraceful(Reason(CloseReason::Kind::kEof, "connection closed by peer"));
    return;
  }
  if (state == State::kShutdown) CloseNow(graceful_reason);
  // kDraining: the flush completes first, then closes without lingering.
}

void Core::BeginGraceful(CloseReason why) {
  if (state != State::kOpen) return;
  state = State::kDraining;
  graceful_reason = std::move(why);
  // Inside the data callback the owner may still Consume() what it parsed: Deliver() clears.
  if (!delivering) input.Clear();
  StartReading();  // keep reading, to discard, so that the final close is not an RST
  timer = std::make_unique<Timer>(*loop);
  timer->Start(options.graceful_close_timeout_ms, [this] {
    CloseNow(Reason(CloseReason::Kind::kError, "timed out flushing output before closing"));
  });
  MarkDirty();
}

void Core::StartShutdown() {
  if (peer_eof) {
    CloseNow(graceful_reason);
    return;
  }
  state = State::kShutdown;
  if (uv_shutdown(&shutdown_req, stream(), OnShutdown) != 0) CloseNow(graceful_reason);
}

void Core::CloseNow(CloseReason why) {
  if (state >= State::kClosing) return;
  state = State::kClosing;
  reason = std::move(why);
  timer.reset();
  StopReading();
  out.clear();
  if (!delivering) input.Clear();  // else Deliver() clears it when the callback returns
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp), OnClosed);
}

void Core::FailConnect(int code) {
  if (state != State::kConnecting) return;
  std::string message = internal::UvError(code);
  CloseNow(Reason(CloseReason::Kind::kError, message));
  if (attached && on_connect) on_connect(Status::Error(std::move(message)));
}

void Core::MarkDirty() {
  if (in_flush_list) return;
  in_flush_list = true;
  ls->flush_list.push_back(this);
}

void Core::FlushFromLoop() {
  in_flush_list = false;
  FlushNow();
}

void Core::RedeliverFromLoop() {
  in_redeliver_list = false;
  if (state == State::kOpen && !reading_paused && !input.Empty()) Deliver();
}

void Core::ForceClose() { CloseNow(Reason(CloseReason::Kind::kLocal, "event loop destroyed")); }

void Core::FlushNow() {
  if (state == State::kConnecting || write_in_flight) return;  // written when possible
  if (state >= State::kShutdown) {
    out.clear();
    return;
  }
  if (out.empty()) {
    if (state == State::kDraining) StartShutdown();
    return;
  }
  ++writes;
  ++ls->write_count;
  uv_buf_t buf = uv_buf_init(out.data(), static_cast<unsigned>(out.size()));
  int n = uv_try_write(stream(), &buf, 1);
  if (n > 0) CountWritten(static_cast<size_t>(n));
  if (n >= 0 && static_cast<size_t>(n) == out.size()) {
    ReleaseIfHuge(out);
    AfterAllWritten();
    return;
  }
  if (n < 0 && n != UV_EAGAIN) {
    CloseNow(Reason(CloseReason::Kind::kError, internal::UvError(n)));
    return;
  }
  const size_t done = n > 0 ? static_cast<size_t>(n) : 0;
  // Double buffering: the in-flight bytes move to `inflight` (kept alive until OnWrite), and
  // `out` takes over inflight's old capacity for the output of the coming turns.
  inflight.swap(out);
  inflight_offset = done;
  buf = uv_buf_init(inflight.data() + done, static_cast<unsigned>(inflight.size() - done));
  int rc = uv_write(&write_req, stream(), &buf, 1, OnWrite);
  if (rc < 0) {
    CloseNow(Reason(CloseReason::Kind::kError, internal::UvError(rc)));
    return;
  }
  write_in_flight = true;
}

void Core::CountWritten(size_t n) {
  bytes_written += n;
  ls->bytes_written += n;
}

void Core::AfterAllWritten() {
  if (state == State::kDraining) {
    StartShutdown();
    return;
  }
  if (attached && on_drain) on_drain();
}

// ---------------------------------------------------------------------------------------------
// TcpConnection

TcpConnection::TcpConnection(Core* core) : fields_(core) {}

TcpConnection::Core* TcpConnection::core() const { return static_cast<Core*>(fields_); }

TcpConnection::~TcpConnection() { core()->Detach(); }

Result<std::unique_ptr<TcpConnection>> TcpConnection::Connect(EventLoop& loop,
                                                              const std::string& host,
                                                              uint16_t port, uint64_t timeout_ms,
                                                              ConnectCallback on_connected,
                                                              const ConnectionOptions& options) {
  sockaddr_storage addr;
  Status parsed = ParseIpAddress(host, port, &addr);
  if (!parsed.ok()) return parsed;
  Core* c = Core::Create(loop, options, State::kConnecting);
  auto conn = std::unique_ptr<TcpConnection>(new TcpConnection(c));
  int rc = uv_tcp_connect(&c->connect_req, &c->tcp, reinterpret_cast<sockaddr*>(&addr), OnConnect);
  if (rc < 0) return Status::Error(internal::UvError(rc));  // conn's destructor closes the core
  c->on_connect = std::move(on_connected);
  c->peer_address = FormatSockaddr(addr);
  if (timeout_ms > 0) {
    c->timer = std::make_unique<Timer>(loop);
    c->timer->Start(timeout_ms, [c] { c->FailConnect(UV_ETIMEDOUT); });
  }
  return conn;
}

void TcpConnection::SetDataCallback(DataCallback cb) { core()->on_data = std::move(cb); }
void TcpConnection::SetCloseCallback(CloseCallback cb) { core()->on_close = std::move(cb); }
void TcpConnection::SetDrainCallback(DrainCallback cb) { core()->on_drain = std::move(cb); }
void TcpConnection::SetEofCallback(EofCallback cb) { core()->on_eof = std::move(cb); }

InputBuffer& TcpConnection::Input() { return core()->input; }

std::string& TcpConnection::Output() {
  if (core()->state >= State::kShutdown) {
    core()->out.clear();  // closed: appends are discarded
  } else {
    core()->MarkDirty();
  }
  return core()->out;
}

void TcpConnection::Flush() { core()->FlushNow(); }

void TcpConnection::PauseReading() {
  core()->reading_paused = true;
  if (core()->state == State::kOpen) core()->StopReading();
}

void TcpConnection::ResumeReading() {
  core()->reading_paused = false;
  if (core()->state != State::kOpen) return;
  core()->StartReading();
  if (!core()->input.Empty() && !core()->in_redeliver_list) {
    core()->in_redeliver_list = true;
    core()->ls->redeliver_list.push_back(core());
  }
}

bool TcpConnection::IsReadingPaused() const { return core()->reading_paused; }

void TcpConnection::Close() {
  core()->CloseNow(Reason(CloseReason::Kind::kLocal, "closed locally"));
}

void TcpConnection::CloseAfterFlush() {
  if (core()->state == State::kConnecting) {
    Close();
    return;
  }
  core()->BeginGraceful(Reason(CloseReason::Kind::kLocal, "closed locally"));
}

const std::string& TcpConnection::PeerAddress() const { return core()->peer_address; }
const std::string& TcpConnection::LocalAddress() const { return core()->local_address; }

EventLoop& TcpConnection::loop() const { return *core()->loop; }

uint64_t TcpConnection::WriteCount() const { return core()->writes; }
uint64_t TcpConnection::BytesRead() const { return core()->bytes_read; }
uint64_t TcpConnection::BytesWritten() const { return core()->bytes_written; }

}  // namespace slotproxy::net
