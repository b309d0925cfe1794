#include "server/shard_wiring.h"

#include <malloc.h>

#include <filesystem>
#include <string>
#include <utility>

#include "command/command_table.h"
#include "server/commands/cluster_commands.h"
#include "server/commands/persistence_commands.h"

namespace slotproxy::server {
namespace {

// How often the loop samples keys per slot range, memory and the AOF into the metrics.
constexpr uint64_t kMetricsSampleMs = 1000;

// INFO memory's used_memory (heap in use, as the allocator counts it): the same figure a
// scrape and INFO show. Process-wide, so embedded shards all report the proxy's heap.
uint64_t UsedMemory() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// `map` with the addresses of the nodes named in `nodes` replaced. Addresses are indexed, so
// the snapshot is rebuilt node by node in the same order (indexes, roles, owners and migrations
// unchanged).
Result<cluster::SlotMapPtr> WithAddresses(const cluster::SlotMap& map,
                                          std::span<const cluster::FleetNode> nodes) {
  cluster::SlotMapBuilder b;
  for (size_t i = 0; i < map.node_count(); ++i) {
    cluster::Node n = map.node(static_cast<cluster::NodeIndex>(i));
    for (const cluster::FleetNode& f : nodes) {
      if (f.id == n.id) {
        n.host = f.host;
        n.port = f.port;
      }
    }
    auto added = b.AddNode(std::move(n));
    if (!added.ok()) return added.status();
  }
  for (size_t i = 0; i < map.node_count(); ++i) {
    const cluster::Node& n = map.node(static_cast<cluster::NodeIndex>(i));
    if (n.role == cluster::NodeRole::kReplica) {
      Status st = b.SetReplicaOf(static_cast<cluster::NodeIndex>(i), n.master);
      if (!st.ok()) return st;
    }
  }
  for (const auto& r : map.OwnedRanges()) {
    Status st = b.AssignSlots(r.range, r.owner);
    if (!st.ok()) return st;
  }
  for (const cluster::SlotMigration& m : map.migrations()) {
    if (m.migrating_to != cluster::kNoNode) (void)b.SetMigrating(m.slot, m.migrating_to);
    if (m.importing_from != cluster::kNoNode) (void)b.SetImporting(m.slot, m.importing_from);
  }
  b.set_version(map.version() + 1);
  return b.Build();
}

}  // namespace

ShardWiringOptions WiringFromConfig(const config::ShardConfig& cfg, std::string dir) {
  ShardWiringOptions w;
  w.dir = std::move(dir);
  w.self_id = cfg.self;
  w.host = (cfg.bind == "0.0.0.0" || cfg.bind == "::") ? "" : cfg.bind;
  w.port = cfg.port;
  w.fleet = FleetFromConfig(cfg.fleet);
  w.appendonly = cfg.appendonly;
  w.appendfsync = Persistence::PolicyFromName(config::AppendFsyncName(cfg.appendfsync));
  w.rewrite.auto_percentage = cfg.auto_aof_rewrite_percentage > 0
                                  ? static_cast<uint64_t>(cfg.auto_aof_rewrite_percentage)
                                  : 0;
  w.rewrite.auto_min_size = cfg.auto_aof_rewrite_min_size;
  return w;
}

Result<std::unique_ptr<ShardWiring>> ShardWiring::Create(const ShardWiringOptions& wiring,
                                                         ShardOptions* options) {
  std::error_code ec;
  std::filesystem::create_directories(wiring.dir, ec);
  if (ec) return Status::Error("cannot create --dir " + wiring.dir + ": " + ec.message());
  std::unique_ptr<ShardWiring> w(new ShardWiring());
  ClusterStateOptions so;
  so.dir = wiring.dir;
  so.self_id = wiring.self_id;
  so.host = wiring.host;
  so.port = wiring.port;
  so.fleet = wiring.fleet;
  auto state = ClusterState::Open(so);
  if (!state.ok()) return state.status();
  w->state_ = std::move(state.value());
  w->announce_port_ = wiring.fleet.empty() && wiring.port == 0;
  w->process_metrics_ = wiring.process_metrics;
  w->check_ = std::make_unique<ClusterCheckImpl>(*w->state_, nullptr);
  const std::span<const HandlerRow> extra[] = {ClusterHandlers(), PersistenceHandlers()};
  w->registry_ = std::make_unique<HandlerRegistry>(command::CommandTable::BuiltIn(), extra);
  if (wiring.appendonly) {
    w->persistence_ = std::make_unique<Persistence>(wiring.dir, wiring.appendfsync, wiring.rewrite);
  }
  options->cluster_check = w->check_.get();
  options->registry = w->registry_.get();
  options->aof = w->persistence_.get();
  options->node_id = w->state_->my_id();
  options->dir = wiring.dir;
  options->appendonly = wiring.appendonly;
  options->appendfsync = wiring.appendfsync == engine::aof::FsyncPolicy::kAlways ? "always"
                         : wiring.appendfsync == engine::aof::FsyncPolicy::kNo   ? "no"
                                                                                 : "everysec";
  return w;
}

ShardWiring::~ShardWiring() { Detach(); }

Status ShardWiring::Attach(Shard& shard) {
  attached_ = &shard.db();
  check_->set_keyspace(&shard.db());
  AttachClusterState(&shard.db(), state_.get());
  if (persistence_ != nullptr) {
    Status st = persistence_->Load(shard);
    if (!st.ok()) return st;
  }
  if (announce_port_) {
    Status st = state_->SetMyAddress(state_->my_node().host, shard.Port());
    if (!st.ok()) return st;
  }
  StartMetrics(shard);
  return Status();
}

void ShardWiring::StartMetrics(Shard& shard) {
  if (metrics_ != nullptr) return;  // a second Attach keeps the first's figures
  metrics::ShardMetrics::Options mo;
  const std::string& host = state_->my_node().host;
  mo.shard = (host.empty() ? shard.options().bind : host) + ":" + std::to_string(shard.Port());
  mo.max_commands = metrics::CountCommandRows(command::CommandTable::BuiltIn());
  mo.process_metrics = process_metrics_;
  metrics_ = std::make_unique<metrics::ShardMetrics>(std::move(mo));
  shard_ = &shard;
  shard.set_metrics(metrics_.get());
  SampleMetrics();  // what the AOF replay loaded shows from the first scrape on
  metrics_timer_ = std::make_unique<net::Timer>(shard.loop());
  metrics_timer_->StartRepeating(kMetricsSampleMs, [this] { SampleMetrics(); });
}

void ShardWiring::SampleMetrics() {
  if (shard_ == nullptr || metrics_ == nullptr) return;
  const engine::Keyspace& db = shard_->db();
  metrics_->UpdateKeysPerRange([&db](uint16_t slot) { return db.CountKeysInSlot(slot); });
  metrics_->StoreMemory(UsedMemory());
  if (persistence_ == nullptr) return;
  const AofInfo info = persistence_->Info();
  metrics_->StoreAofSize(info.current_size);
  // `rewrites` counts rewrites that got going; the running one has not finished yet. Several
  // finishing within one sample all get the latest status (the only one kept).
  const uint64_t finished = info.rewrite.rewrites - (info.rewrite.in_progress ? 1 : 0);
  for (; rewrites_seen_ < finished; ++rewrites_seen_)
    metrics_->CountAofRewrite(info.rewrite.last_ok);
  // A finished rewrite hands over a fresh writer: observe that one from the next sample on.
  const engine::aof::AofWriter* writer = persistence_->writer();
  if (writer != nullptr && writer != observed_writer_) {
    metrics::ShardMetrics* m = metrics_.get();
    writer->SetFsyncObserver([m](uint64_t ns) { m->RecordFsync(ns); });
    observed_writer_ = writer;
  }
}

void ShardWiring::Detach() {
  if (metrics_timer_ != nullptr) metrics_timer_->Stop();
  metrics_timer_.reset();
  if (shard_ != nullptr) shard_->set_metrics(nullptr);
  shard_ = nullptr;
  if (persistence_ != nullptr && persistence_->writer() != nullptr) {
    persistence_->writer()->SetFsyncObserver({});
  }
  observed_writer_ = nullptr;
  if (persistence_ != nullptr) persistence_->Close();
  if (attached_ != nullptr) {
    AttachClusterState(attached_, nullptr);
    check_->set_keyspace(nullptr);
    attached_ = nullptr;
  }
}

Status ShardWiring::UpdateAddresses(std::span<const cluster::FleetNode> nodes) {
  auto map = WithAddresses(*state_->map(), nodes);
  if (!map.ok()) return map.status();
  return state_->Replace(std::move(map.value()), state_->current_epoch());
}

}  // namespace slotproxy::server
