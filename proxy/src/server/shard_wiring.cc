#include "server/shard_wiring.h"

#include <filesystem>
#include <utility>

#include "command/command_table.h"
#include "server/commands/cluster_commands.h"
#include "server/commands/persistence_commands.h"

namespace slotproxy::server {
namespace {

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
  if (announce_port_) return state_->SetMyAddress(state_->my_node().host, shard.Port());
  return Status();
}

void ShardWiring::Detach() {
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
