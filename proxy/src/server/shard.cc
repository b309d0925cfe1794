#include "server/shard.h"

#include <chrono>
#include <utility>

#include "cluster/crc16.h"
#include "server/client.h"

namespace slotproxy::server {

Shard::Shard(net::EventLoop& loop, ShardOptions options)
    : loop_(loop),
      options_(std::move(options)),
      db_(&cluster::KeySlot),
      registry_(options_.registry != nullptr ? options_.registry : &HandlerRegistry::Default()),
      cluster_check_(options_.cluster_check != nullptr ? options_.cluster_check : &own_all_slots_),
      dispatcher_(*this),
      start_ms_(WallMs()) {
  // An expired key is a write: log its DEL and invalidate WATCHes, as Redis's
  // deleteExpiredKeyAndPropagate does.
  db_.SetExpireCallback([this](std::string_view key) {
    std::string_view del[] = {"DEL", key};
    Propagate(del);
    watches_.Touch(key);
  });
}

Shard::~Shard() { Stop(); }

int64_t Shard::WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status Shard::Start() {
  listener_ = std::make_unique<net::TcpListener>(loop_);
  net::ListenerOptions opts;
  opts.host = options_.bind;
  opts.port = options_.port;
  Status st = listener_->Listen(
      opts, [this](std::unique_ptr<net::TcpConnection> conn) { OnAccept(std::move(conn)); });
  if (!st.ok()) {
    listener_.reset();
    return st;
  }
  expire_timer_ = std::make_unique<net::Timer>(loop_);
  expire_timer_->StartRepeating(options_.expire_interval_ms, [this] {
    // A busy script sees the keyspace as it was (Redis runs no time events while busy).
    if (script_busy()) return;
    db_.ActiveExpireCycle(WallMs(), options_.expire_max_work);
  });
  hook_ = loop_.AddBeforeSleep([this] { RunUnblocked(); });
  hook_set_ = true;
  return Status();
}

void Shard::Stop() {
  listener_.reset();
  expire_timer_.reset();
  if (hook_set_) {
    loop_.RemoveBeforeSleep(hook_);
    hook_set_ = false;
  }
  // Destroying a client closes its socket at once; no callback runs afterwards.
  auto clients = std::move(clients_);
  clients_.clear();
  for (auto& [id, client] : clients) {
    client->blocked().timer.reset();
  }
  clients.clear();
  unblocked_.clear();
  blocked_count_ = 0;
  // The registries held pointers to the clients just destroyed.
  watches_ = WatchTable();
  pubsub_ = PubSub();
  blocking_ = BlockingRegistry();
}

uint16_t Shard::Port() const { return listener_ != nullptr ? listener_->Port() : 0; }

Status Shard::Replay(std::span<const std::string_view> args) { return dispatcher_.Replay(args); }

Client* Shard::FindClient(uint64_t id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second.get();
}

void Shard::Propagate(std::span<const std::string_view> args) {
  if (options_.aof != nullptr) options_.aof->Append(args);
}

void Shard::OnAccept(std::unique_ptr<net::TcpConnection> conn) {
  ++stats_.connections_received;
  uint64_t id = next_client_id_++;
  auto client = std::make_unique<Client>(*this, id, std::move(conn), WallMs());
  Client* c = client.get();
  clients_.emplace(id, std::move(client));
  c->Start();
  if (clients_.size() > static_cast<size_t>(options_.maxclients)) {
    ++stats_.rejected_connections;
    c->conn().Output().append("-ERR max number of clients reached\r\n");
    c->conn().CloseAfterFlush();
  }
}

void Shard::ServeWhileScriptBusy(Client& caller) {
  if (script_caller_ != caller.id()) {
    script_caller_ = caller.id();
    // Redis's protectClient: the caller's socket is not read while its script runs, so its
    // disconnect (and the libuv handle's release) waits until the script's read callback is
    // off the stack; its pipelined requests stay buffered.
    caller_paused_ = caller.conn().IsOpen() && !caller.conn().IsReadingPaused();
    if (caller_paused_) caller.conn().PauseReading();
  }
  // One non-blocking turn: accepts, reads, timers and the before-sleep flush of the replies.
  // A script started from the before-sleep phase (not re-entrant) runs to the end unserved.
  (void)loop_.RunNestedTurn();
}

void Shard::EndScriptBusy(Client& caller) {
  if (script_caller_ != caller.id()) return;
  script_caller_ = 0;
  if (caller.conn().IsOpen()) {
    // The EVAL's encoder appends to the caller's output through a pointer taken before the
    // script: the loop flushed that output while serving, so the reply must be scheduled anew.
    caller.conn().Output();
    if (caller_paused_) caller.conn().ResumeReading();
  }
  caller_paused_ = false;
}

void Shard::OnClientClosed(uint64_t id) {
  if (id == script_caller_) {
    // Its script is still on the stack: destroy it from the next before-sleep phase.
    closed_caller_ = id;
    return;
  }
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client* c = it->second.get();
  if (c->blocked().active) {
    blocking_.Unblock(id, c->blocked().keys);
    c->blocked().active = false;
    c->blocked().timer.reset();
    --blocked_count_;
  }
  watches_.UnwatchAll(c);
  pubsub_.UnsubscribeAll(c);
  // Destroys the connection from inside its own close callback, which net allows.
  clients_.erase(it);
}

void Shard::BlockClient(Client& client) {
  BlockedState& b = client.blocked();
  b.active = true;
  ++blocked_count_;
  blocking_.Block(client.id(), b.keys);
  if (b.deadline_ms > 0) {
    int64_t delay = b.deadline_ms - WallMs();
    b.timer = std::make_unique<net::Timer>(loop_);
    uint64_t id = client.id();
    b.timer->Start(delay > 0 ? static_cast<uint64_t>(delay) : 0,
                   [this, id] { OnBlockTimeout(id); });
  }
}

void Shard::UnblockClient(Client& client) {
  BlockedState& b = client.blocked();
  if (!b.active) return;
  blocking_.Unblock(client.id(), b.keys);
  b.active = false;
  b.args.clear();
  b.keys.clear();
  b.info = nullptr;
  --blocked_count_;
  // The timer may be running this very call: destroying it from its callback is allowed.
  b.timer.reset();
  unblocked_.push_back(client.id());
}

void Shard::OnBlockTimeout(uint64_t id) {
  Client* c = FindClient(id);
  if (c == nullptr || !c->blocked().active) return;
  c->Encoder().NullArray();
  UnblockClient(*c);
}

void Shard::ServeReadyKeys() {
  if (serving_) return;  // a re-run that readies keys is served by the outer loop
  serving_ = true;
  // Bounded: each pass serves clients that were blocked; a key only becomes ready again through
  // a command that changed it.
  for (int pass = 0; pass < 1000 && blocking_.HasReady(); ++pass) {
    for (const std::string& key : blocking_.TakeReady()) {
      for (uint64_t id : blocking_.Waiters(key)) {
        Client* c = FindClient(id);
        if (c == nullptr || !c->blocked().active || !c->conn().IsOpen()) continue;
        if (dispatcher_.RerunBlocked(*c)) UnblockClient(*c);
      }
    }
  }
  serving_ = false;
}

void Shard::RunUnblocked() {
  if (closed_caller_ != 0 && closed_caller_ != script_caller_) {
    uint64_t id = closed_caller_;
    closed_caller_ = 0;
    OnClientClosed(id);
  }
  // Processing a client's input may release more clients: keep going until none is left.
  for (int pass = 0; pass < 1000 && !unblocked_.empty(); ++pass) {
    std::vector<uint64_t> ids;
    ids.swap(unblocked_);
    for (uint64_t id : ids) {
      Client* c = FindClient(id);
      if (c != nullptr && c->conn().IsOpen()) c->ProcessInput();
    }
  }
}

}  // namespace slotproxy::server
