#include "server/embedded.h"

#include <filesystem>
#include <future>
#include <random>
#include <utility>

namespace slotproxy::server {

std::string RandomNodeId() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
  std::string id(40, '0');
  for (char& ch : id) ch = kHex[rng() & 15];
  return id;
}

namespace {

struct Started {
  Status status;
  uint16_t port = 0;
};

}  // namespace

Result<std::unique_ptr<EmbeddedShards>> EmbeddedShards::Start(
    std::vector<EmbeddedShardSpec> specs) {
  std::unique_ptr<EmbeddedShards> fleet(new EmbeddedShards());
  fleet->shards_.reserve(specs.size());  // threads keep pointers into it
  for (size_t i = 0; i < specs.size(); ++i) {
    EmbeddedShardSpec spec = std::move(specs[i]);
    if (spec.options.node_id.empty()) spec.options.node_id = RandomNodeId();
    fleet->node_ids_.push_back(spec.options.node_id);
    auto thread = std::make_unique<net::WorkerThread>("sp-shard-" + std::to_string(i));
    std::promise<Started> started;
    std::future<Started> ready = started.get_future();
    fleet->shards_.push_back(nullptr);
    Shard** slot = &fleet->shards_.back();
    thread->Start([spec = std::move(spec), &started, slot](net::EventLoop& loop) mutable {
      Started result;
      {
        // Declared before the shard: what the closures own outlives it.
        auto on_start = std::move(spec.on_start);
        auto on_stop = std::move(spec.on_stop);
        Shard shard(loop, spec.options);
        result.status = shard.Start();
        const bool ran_start = result.status.ok() && on_start;
        if (ran_start) result.status = on_start(shard);
        result.port = shard.Port();
        bool ok = result.status.ok();
        if (ok) *slot = &shard;
        started.set_value(result);  // `started` and `slot` must not be touched after this
        if (ok) loop.Run();
        if (ran_start && on_stop) on_stop(shard);
      }
    });
    Started result = ready.get();
    fleet->threads_.push_back(std::move(thread));
    if (!result.status.ok()) {
      fleet->Stop();
      return Status::Error("shard " + std::to_string(i) + ": " + result.status.message());
    }
    fleet->ports_.push_back(result.port);
  }
  return fleet;
}

EmbeddedShards::~EmbeddedShards() { Stop(); }

void EmbeddedShards::Stop() {
  for (auto& t : threads_) t->Stop();
  for (auto& t : threads_) t->Join();
  threads_.clear();
  shards_.clear();
}

Status EmbeddedShards::RunOn(size_t index, std::function<Status(Shard&)> fn) {
  if (index >= threads_.size() || index >= shards_.size() || shards_[index] == nullptr) {
    return Status::Error("shard " + std::to_string(index) + " is not running");
  }
  std::promise<Status> done;
  std::future<Status> result = done.get_future();
  Shard* shard = shards_[index];
  threads_[index]->loop().Post([&done, &fn, shard] { done.set_value(fn(*shard)); });
  return result.get();
}

namespace {

// The fleet with every id filled in (NodeIdFromSeed) and every port 0 replaced by a placeholder
// that no other node of its host uses (ValidateFleet wants real, unique addresses; the
// placeholders are replaced by the bound ports before anyone connects).
std::vector<config::FleetNode> ResolveFleet(const EmbeddedFleetOptions& o) {
  std::vector<config::FleetNode> fleet = o.fleet;
  for (size_t i = 0; i < fleet.size(); ++i) {
    if (fleet[i].id.empty())
      fleet[i].id = cluster::NodeIdFromSeed(o.id_seed + ":" + std::to_string(i));
  }
  uint16_t next = 1;
  for (config::FleetNode& n : fleet) {
    if (n.port != 0) continue;
    for (bool taken = true; taken; ++next) {
      taken = false;
      for (const config::FleetNode& other : fleet)
        taken |= other.host == n.host && other.port == next;
      if (!taken) n.port = next;
    }
  }
  return fleet;
}

}  // namespace

Result<EmbeddedShardSpec> FleetShardSpec(const EmbeddedFleetOptions& options, size_t index,
                                         ShardWiring** wiring) {
  if (index >= options.fleet.size()) return Status::Error("no fleet node " + std::to_string(index));
  if (index >= options.dirs.size())
    return Status::Error("no data dir for shard " + std::to_string(index));
  const std::vector<config::FleetNode> fleet = ResolveFleet(options);
  ShardWiringOptions w;
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::absolute(options.dirs[index], ec);
  w.dir = ec ? options.dirs[index] : dir.lexically_normal().string();  // as shard_main does
  w.self_id = fleet[index].id;
  w.fleet = FleetFromConfig(fleet);
  w.appendonly = options.appendonly;
  w.appendfsync = Persistence::PolicyFromName(config::AppendFsyncName(options.appendfsync));
  w.rewrite = options.rewrite;
  EmbeddedShardSpec spec;
  spec.options.bind = options.fleet[index].host;
  spec.options.port = options.fleet[index].port;  // 0: the OS picks
  auto created = ShardWiring::Create(w, &spec.options);
  if (!created.ok()) return created.status();
  std::shared_ptr<ShardWiring> owned(std::move(created.value()));
  if (wiring != nullptr) *wiring = owned.get();
  spec.on_start = [owned](Shard& shard) { return owned->Attach(shard); };
  spec.on_stop = [owned](Shard&) { owned->Detach(); };
  return spec;
}

Result<std::unique_ptr<EmbeddedShards>> StartEmbeddedFleet(const EmbeddedFleetOptions& options,
                                                           std::vector<cluster::FleetNode>* nodes) {
  std::vector<EmbeddedShardSpec> specs;
  std::vector<ShardWiring*> wirings(options.fleet.size(), nullptr);
  for (size_t i = 0; i < options.fleet.size(); ++i) {
    auto spec = FleetShardSpec(options, i, &wirings[i]);
    if (!spec.ok())
      return Status::Error("shard " + std::to_string(i) + ": " + spec.status().message());
    specs.push_back(std::move(spec.value()));
  }
  auto started = EmbeddedShards::Start(std::move(specs));
  if (!started.ok()) return started.status();
  std::unique_ptr<EmbeddedShards> shards = std::move(started.value());
  std::vector<cluster::FleetNode> running = FleetFromConfig(options.fleet);
  for (size_t i = 0; i < running.size(); ++i) {
    running[i].id = shards->node_ids()[i];
    running[i].port = shards->ports()[i];
  }
  for (size_t i = 0; i < shards->size(); ++i) {
    ShardWiring* w = wirings[i];
    Status st = shards->RunOn(i, [w, &running](Shard&) { return w->UpdateAddresses(running); });
    if (!st.ok()) {
      shards->Stop();
      return Status::Error("shard " + std::to_string(i) + ": " + st.message());
    }
  }
  for (ShardWiring* w : wirings) {
    // Attach (run by Start on each shard's thread, which the start-up future synchronised with)
    // created the metrics.
    if (w->metrics() != nullptr) shards->collectables_.push_back(w->metrics()->collectable());
  }
  if (nodes != nullptr) *nodes = std::move(running);
  return shards;
}

}  // namespace slotproxy::server
