#include "cluster/topology_reply.h"

#include <vector>

namespace slotproxy::cluster {
namespace {

std::string_view HealthName(NodeHealth health) {
  switch (health) {
    case NodeHealth::kFail:
      return "fail";
    case NodeHealth::kLoading:
      return "loading";
    case NodeHealth::kOnline:
    case NodeHealth::kUnknown:
      break;
  }
  return "online";
}

// One node of a CLUSTER SLOTS entry (addNodeToNodeReply).
void EncodeSlotsNode(const Node& node, resp::Encoder& out) {
  out.ArrayHeader(4);
  out.Bulk(node.host);
  out.Integer(node.port);
  out.Bulk(node.id);
  if (node.hostname.empty()) {
    out.MapHeader(0);
  } else {
    out.MapHeader(1);
    out.Bulk("hostname");
    out.Bulk(node.hostname);
  }
}

// One node map of a CLUSTER SHARDS shard (addShardNodeReply).
void EncodeShardNode(const Node& node, resp::Encoder& out) {
  out.MapHeader(node.hostname.empty() ? 7 : 8);
  out.Bulk("id");
  out.Bulk(node.id);
  out.Bulk("port");
  out.Integer(node.port);
  out.Bulk("ip");
  out.Bulk(node.host);
  out.Bulk("endpoint");
  out.Bulk(node.host);
  if (!node.hostname.empty()) {
    out.Bulk("hostname");
    out.Bulk(node.hostname);
  }
  out.Bulk("role");
  out.Bulk(node.role == NodeRole::kMaster ? "master" : "replica");
  out.Bulk("replication-offset");
  out.Integer(node.replication_offset < 0 ? 0 : node.replication_offset);
  out.Bulk("health");
  out.Bulk(HealthName(node.health));
}

}  // namespace

void EncodeClusterSlots(const SlotMap& map, resp::Encoder& out) {
  const std::vector<SlotMap::OwnedRange> ranges = map.OwnedRanges();
  out.ArrayHeader(ranges.size());
  std::vector<NodeIndex> available;
  for (const SlotMap::OwnedRange& range : ranges) {
    const Node& master = map.node(range.owner);
    available.clear();
    for (NodeIndex replica : master.replicas) {
      if (map.node(replica).health != NodeHealth::kFail) available.push_back(replica);
    }
    out.ArrayHeader(3 + available.size());
    out.Integer(range.range.start);
    out.Integer(range.range.end);
    EncodeSlotsNode(master, out);
    for (NodeIndex replica : available) EncodeSlotsNode(map.node(replica), out);
  }
}

void EncodeClusterShards(const SlotMap& map, resp::Encoder& out) {
  size_t masters = 0;
  for (const Node& node : map.nodes()) masters += node.role == NodeRole::kMaster ? 1 : 0;
  out.ArrayHeader(masters);
  for (size_t i = 0; i < map.node_count(); ++i) {
    const auto index = static_cast<NodeIndex>(i);
    const Node& master = map.node(index);
    if (master.role != NodeRole::kMaster) continue;
    const std::vector<SlotRange> slots = map.SlotsOwnedBy(index);
    out.MapHeader(2);
    out.Bulk("slots");
    out.ArrayHeader(2 * slots.size());
    for (const SlotRange& range : slots) {
      out.Integer(range.start);
      out.Integer(range.end);
    }
    out.Bulk("nodes");
    out.ArrayHeader(1 + master.replicas.size());
    EncodeShardNode(master, out);
    for (NodeIndex replica : master.replicas) EncodeShardNode(map.node(replica), out);
  }
}

}  // namespace slotproxy::cluster
