#include "cluster/cluster_nodes.h"

namespace slotproxy::cluster {
namespace {

const NodeRuntime& RuntimeOf(std::span<const NodeRuntime> runtime, NodeIndex index) {
  static const NodeRuntime kDefaults;
  return index < runtime.size() ? runtime[index] : kDefaults;
}

void AppendSlots(const SlotMap& map, NodeIndex index, std::string* out) {
  for (const SlotRange& range : map.SlotsOwnedBy(index)) {
    *out += ' ';
    *out += std::to_string(range.start);
    if (range.end != range.start) {
      *out += '-';
      *out += std::to_string(range.end);
    }
  }
}

// "[slot->-id]" / "[slot-<-id]" as only the myself line shows them.
void AppendMigrations(const SlotMap& map, std::string* out) {
  for (const SlotMigration& m : map.migrations()) {
    const bool migrating = m.migrating_to != kNoNode;
    const NodeIndex peer = migrating ? m.migrating_to : m.importing_from;
    *out += " [" + std::to_string(m.slot) + (migrating ? "->-" : "-<-") + map.node(peer).id + "]";
  }
}

void AppendLine(const SlotMap& map, NodeIndex index, bool myself,
                std::span<const NodeRuntime> runtime, std::string* out) {
  const Node& node = map.node(index);
  const NodeRuntime& rt = RuntimeOf(runtime, index);
  const bool replica = node.role == NodeRole::kReplica;
  // Redis computes the default cport as port + 10000 in an int: above 65535 for ports over
  // 55535, printed as is (no 16-bit wrap).
  const uint32_t bus_port = rt.bus_port != 0 ? rt.bus_port : uint32_t{node.port} + 10000;
  *out += node.id + ' ' + node.Address() + '@' + std::to_string(bus_port);
  if (!node.hostname.empty()) *out += ',' + node.hostname;
  *out += myself ? " myself," : " ";
  *out += replica ? "slave" : "master";
  if (node.health == NodeHealth::kFail) *out += ",fail";
  *out += ' ';
  *out += replica ? map.node(node.master).id : "-";
  const uint64_t epoch = replica ? RuntimeOf(runtime, node.master).config_epoch : rt.config_epoch;
  *out += ' ' + std::to_string(rt.ping_sent_ms) + ' ' + std::to_string(rt.pong_received_ms) + ' ' +
          std::to_string(epoch) + (rt.connected || myself ? " connected" : " disconnected");
  if (!replica) AppendSlots(map, index, out);
  if (myself) AppendMigrations(map, out);
  *out += '\n';
}

}  // namespace

std::string ClusterNodesText(const SlotMap& map, NodeIndex myself,
                             std::span<const NodeRuntime> runtime) {
  std::string out;
  for (size_t i = 0; i < map.node_count(); ++i) {
    const auto index = static_cast<NodeIndex>(i);
    AppendLine(map, index, index == myself, runtime, &out);
  }
  return out;
}

}  // namespace slotproxy::cluster
