#include "server/client.h"

#include <algorithm>
#include <array>
#include <span>
#include <utility>

#include "server/key_prefetch.h"
#include "server/shard.h"

namespace slotproxy::server {

Client::Client(Shard& shard, uint64_t id, std::unique_ptr<net::TcpConnection> conn, int64_t now_ms)
    : shard_(shard), conn_(std::move(conn)), created_ms_(now_ms), last_interaction_ms_(now_ms) {
  state_.id = id;
  SetAuthenticated(!shard.requires_auth());
}

Client::~Client() = default;

void Client::Start() {
  conn_->SetDataCallback([this](net::InputBuffer& input) { OnData(input); });
  conn_->SetDrainCallback([this] { OnDrain(); });
  uint64_t id = state_.id;
  Shard* shard = &shard_;
  conn_->SetCloseCallback([shard, id](const net::CloseReason&) { shard->OnClientClosed(id); });
}

void Client::SetAuthenticated(bool authenticated) {
  state_.authenticated = authenticated;
  resp::RequestLimits limits = parser_.limits();
  limits.unauthenticated = !authenticated;
  parser_.set_limits(limits);
}

bool Client::CheckOutputLimit() {
  size_t limit =
      subs_.Any() ? shard_.options().pubsub_hard_limit : shard_.options().output_hard_limit;
  if (!conn_->IsOpen() || conn_->PendingOutputBytes() <= limit) return false;
  conn_->Close();
  return true;
}

void Client::OnData(net::InputBuffer& input) {
  // A blocked client keeps reading (so a disconnect is seen at once) but runs nothing until it
  // is released; its requests stay buffered.
  if (blocked_.active || processing_) return;
  ProcessBuffer(input);
}

void Client::OnDrain() {
  if (!paused_for_output_ || !conn_->IsOpen()) return;
  paused_for_output_ = false;
  conn_->ResumeReading();  // re-delivers the buffered requests before the loop sleeps
}

void Client::ProcessInput() {
  if (processing_) return;
  ProcessBuffer(conn_->Input());
}

size_t Client::PrefetchAhead(std::string_view pending) {
  std::array<std::string_view, kPrefetchWindow> keys;
  size_t stored = 0;
  const size_t requests = PeekKeys(pending, keys, &stored);
  // Pipelines often repeat one key (RPUSH mylist ...): prefetch it once.
  stored = static_cast<size_t>(std::unique(keys.begin(), keys.begin() + stored) - keys.begin());
  // A lone request gains nothing: its own lookup comes right away.
  if (stored > 1) shard_.db().Prefetch(std::span<const std::string_view>(keys.data(), stored));
  return requests > 0 ? requests : 1;
}

void Client::ProcessBuffer(net::InputBuffer& input) {
  processing_ = true;
  shard_.dispatcher().BeginBatch();
  size_t prefetched = 0;  // requests at the front of the input whose keys were prefetched
  while (!blocked_.active && !closing() && !input.Empty()) {
    if (conn_->PendingOutputBytes() > shard_.options().output_high_water) {
      paused_for_output_ = true;
      conn_->PauseReading();
      break;
    }
    // Pipelined requests: their keys' table and entry loads overlap instead of each lookup
    // waiting for memory in turn.
    if (prefetched == 0) prefetched = PrefetchAhead(input.View());
    resp::ParseResult r = parser_.Parse(input.View());
    if (r.status == resp::RequestStatus::kNeedMore) {
      input.Consume(r.consumed);
      break;
    }
    if (r.status == resp::RequestStatus::kError) {
      input.Consume(r.consumed);
      conn_->Output().append(r.ErrorReply());
      ++shard_.stats().error_replies;
      conn_->CloseAfterFlush();
      break;
    }
    shard_.dispatcher().Execute(*this, r.args);
    input.Consume(r.consumed);
    --prefetched;
    if (CheckOutputLimit()) break;
  }
  processing_ = false;
  if (close_after_reply_ && conn_->IsOpen()) conn_->CloseAfterFlush();
}

std::string Client::InfoLine(int64_t now_ms) const {
  char flags[8];
  size_t n = 0;
  if (multi_.active) flags[n++] = 'x';
  if (blocked_.active) flags[n++] = 'b';
  if (subs_.Any()) flags[n++] = 'P';
  if (state_.readonly) flags[n++] = 'r';
  if (n == 0) flags[n++] = 'N';
  std::string_view flag_text(flags, n);
  auto num = [](auto v) { return std::to_string(v); };
  std::string line;
  line.reserve(384);
  line += "id=" + num(state_.id) + " addr=" + conn_->PeerAddress() +
          " laddr=" + conn_->LocalAddress() + " fd=-1 name=" + state_.name;
  line += " age=" + num((now_ms - created_ms_) / 1000) +
          " idle=" + num((now_ms - last_interaction_ms_) / 1000);
  line += " flags=" + std::string(flag_text) + " db=0 sub=" + num(subs_.channels.size()) +
          " psub=" + num(subs_.patterns.size()) + " ssub=" + num(subs_.shard_channels.size());
  line += " multi=" + num(multi_.active ? static_cast<int64_t>(multi_.queue.size()) : -1);
  line += " qbuf=" + num(conn_->Input().Size()) +
          " qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=" +
          num(conn_->PendingOutputBytes()) + " tot-mem=0 events=r cmd=" + std::string(last_cmd_);
  line += " user=default redir=-1 resp=" + num(static_cast<int>(state_.protocol));
  line += " lib-name=" + state_.lib_name + " lib-ver=" + state_.lib_ver;
  return line;
}

}  // namespace slotproxy::server
