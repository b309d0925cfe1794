#include "cluster/topology.h"

#include <utility>
#include <vector>

namespace slotproxy::cluster {
namespace {

using resp::Value;
using resp::ValueType;

// Key/value pairs of a RESP3 map or of a RESP2 flat array (maps are flattened in RESP2).
using Pairs = std::vector<std::pair<std::string_view, const Value*>>;

Status Fail(std::string_view where, std::string_view what) {
  return Status::Error(std::string(where) + ": " + std::string(what));
}

Result<Pairs> AsPairs(const Value& value, std::string_view where) {
  if (value.type != ValueType::kMap && value.type != ValueType::kArray) {
    return Fail(where, "expected a map");
  }
  if (value.elements.size() % 2 != 0) return Fail(where, "map with an odd number of elements");
  Pairs pairs;
  for (size_t i = 0; i < value.elements.size(); i += 2) {
    if (!value.elements[i].IsString()) return Fail(where, "map key is not a string");
    pairs.emplace_back(value.elements[i].str, &value.elements[i + 1]);
  }
  return pairs;
}

const Value* Find(const Pairs& pairs, std::string_view key) {
  for (const auto& [k, v] : pairs) {
    if (k == key) return v;
  }
  return nullptr;
}

Result<uint16_t> AsSlot(const Value& value, std::string_view where) {
  if (value.type != ValueType::kInteger) return Fail(where, "slot is not an integer");
  if (value.integer < 0 || value.integer >= kSlotCount) {
    return Fail(where, "slot " + std::to_string(value.integer) + " out of range");
  }
  return static_cast<uint16_t>(value.integer);
}

Result<uint16_t> AsPort(const Value& value, std::string_view where) {
  if (value.type != ValueType::kInteger) return Fail(where, "port is not an integer");
  if (value.integer < 1 || value.integer > 65535) {
    return Fail(where, "port " + std::to_string(value.integer) + " out of range");
  }
  return static_cast<uint16_t>(value.integer);
}

// The host to connect to for an endpoint element: NULL and "" mean "the node you asked".
Result<std::string> ResolveEndpoint(const Value& value, std::string_view answering_host,
                                    std::string_view where) {
  if (value.type == ValueType::kNull) return std::string(answering_host);
  if (!value.IsString()) return Fail(where, "endpoint is not a string");
  if (value.str.empty()) return std::string(answering_host);
  if (value.str == "?") {
    return Fail(where,
                "endpoint '?': the node has no hostname (cluster-preferred-endpoint-type "
                "hostname without cluster-announce-hostname)");
  }
  return value.str;
}

// A node of a CLUSTER SLOTS range: [endpoint, port, id?, metadata?].
Result<Node> ParseSlotsNode(const Value& value, std::string_view answering_host,
                            const std::string& where) {
  if (value.type != ValueType::kArray || value.elements.size() < 2) {
    return Fail(where, "node is not an array of at least 2 elements");
  }
  const auto& e = value.elements;
  Node node;
  Result<std::string> host = ResolveEndpoint(e[0], answering_host, where);
  if (!host.ok()) return host.status();
  node.host = std::move(host.value());
  Result<uint16_t> port = AsPort(e[1], where);
  if (!port.ok()) return port.status();
  node.port = port.value();
  if (e.size() >= 3) {
    if (!e[2].IsString()) return Fail(where, "node id is not a string");
    node.id = e[2].str;
  }
  if (e.size() >= 4) {
    Result<Pairs> meta = AsPairs(e[3], where + " metadata");
    if (!meta.ok()) return meta.status();
    const Value* hostname = Find(meta.value(), "hostname");
    if (hostname != nullptr && hostname->IsString()) node.hostname = hostname->str;
  }
  return node;
}

// The index of `node` in `builder`, adding it when new. The same id at another address (or the
// same address under another id) is an inconsistent reply.
Result<NodeIndex> Intern(SlotMapBuilder& builder, Node node, const std::string& where) {
  NodeIndex index = builder.FindNodeById(node.id);
  if (index == kNoNode) index = builder.FindNode(node.host, node.port);
  if (index == kNoNode) {
    Result<NodeIndex> added = builder.AddNode(std::move(node));
    if (!added.ok()) return Fail(where, added.status().message());
    return added;
  }
  const Node& known = builder.node(index);
  if (known.id != node.id || known.host != node.host || known.port != node.port) {
    return Fail(where, "node " + node.id + " " + node.Address() + " conflicts with " + known.id +
                           " " + known.Address());
  }
  return index;
}

Status ParseSlotsEntry(SlotMapBuilder& builder, const Value& entry, std::string_view answering_host,
                       size_t n) {
  const std::string where = "CLUSTER SLOTS entry " + std::to_string(n);
  if (entry.type != ValueType::kArray || entry.elements.size() < 3) {
    return Fail(where, "not an array of at least 3 elements");
  }
  Result<uint16_t> start = AsSlot(entry.elements[0], where);
  if (!start.ok()) return start.status();
  Result<uint16_t> end = AsSlot(entry.elements[1], where);
  if (!end.ok()) return end.status();
  if (start.value() > end.value()) return Fail(where, "start slot is greater than end slot");

  NodeIndex master = kNoNode;
  for (size_t i = 2; i < entry.elements.size(); ++i) {
    const std::string node_where = where + " node " + std::to_string(i - 2);
    Result<Node> node = ParseSlotsNode(entry.elements[i], answering_host, node_where);
    if (!node.ok()) return node.status();
    Result<NodeIndex> index = Intern(builder, std::move(node.value()), node_where);
    if (!index.ok()) return index.status();
    Status status = i == 2 ? builder.AssignSlots({start.value(), end.value()}, index.value())
                           : builder.SetReplicaOf(index.value(), master);
    if (!status.ok()) return Fail(node_where, status.message());
    if (i == 2) master = index.value();
  }
  return Status();
}

}  // namespace

Result<SlotMapPtr> ParseClusterSlots(const Value& reply, std::string_view answering_host,
                                     uint64_t version) {
  if (reply.type == ValueType::kError) return Status::Error("CLUSTER SLOTS: " + reply.str);
  if (reply.type != ValueType::kArray) return Status::Error("CLUSTER SLOTS: not an array");
  SlotMapBuilder builder;
  builder.set_version(version);
  for (size_t i = 0; i < reply.elements.size(); ++i) {
    Status status = ParseSlotsEntry(builder, reply.elements[i], answering_host, i);
    if (!status.ok()) return status;
  }
  return builder.Build();
}

namespace {

// One node map of a CLUSTER SHARDS shard.
struct ShardNode {
  Node node;
  bool master = false;
};

NodeHealth ParseHealth(std::string_view text) {
  if (text == "online") return NodeHealth::kOnline;
  if (text == "fail" || text == "failed") return NodeHealth::kFail;
  if (text == "loading") return NodeHealth::kLoading;
  return NodeHealth::kUnknown;
}

// Endpoint and port of a SHARDS node: "endpoint" (NULL/"" = the answering host), else "ip".
Status ParseShardAddress(const Pairs& fields, std::string_view answering_host,
                         const std::string& where, Node* node) {
  const Value* endpoint = Find(fields, "endpoint");
  if (endpoint == nullptr) endpoint = Find(fields, "ip");
  if (endpoint == nullptr) return Fail(where, "node has no endpoint");
  Result<std::string> host = ResolveEndpoint(*endpoint, answering_host, where);
  if (!host.ok()) return host.status();
  node->host = std::move(host.value());
  const Value* port = Find(fields, "port");
  if (port == nullptr) {
    return Fail(where, Find(fields, "tls-port") != nullptr ? "node has only a TLS port"
                                                           : "node has no port");
  }
  Result<uint16_t> parsed = AsPort(*port, where);
  if (!parsed.ok()) return parsed.status();
  node->port = parsed.value();
  return Status();
}

Result<ShardNode> ParseShardNode(const Value& value, std::string_view answering_host,
                                 const std::string& where) {
  Result<Pairs> fields = AsPairs(value, where);
  if (!fields.ok()) return fields.status();
  ShardNode out;
  Status address = ParseShardAddress(fields.value(), answering_host, where, &out.node);
  if (!address.ok()) return address;
  for (const auto& [key, v] : fields.value()) {
    if (key == "id" && v->IsString()) {
      out.node.id = v->str;
    } else if (key == "hostname" && v->IsString()) {
      out.node.hostname = v->str;
    } else if (key == "replication-offset" && v->type == ValueType::kInteger) {
      out.node.replication_offset = v->integer;
    } else if (key == "health" && v->IsString()) {
      out.node.health = ParseHealth(v->str);
    } else if (key == "role") {
      if (!v->IsString() || (v->str != "master" && v->str != "replica")) {
        return Fail(where, "role is neither master nor replica");
      }
      out.master = v->str == "master";
    }
  }
  return out;
}

Result<std::vector<SlotRange>> ParseShardSlots(const Value* value, const std::string& where) {
  std::vector<SlotRange> ranges;
  if (value == nullptr) return ranges;  // treated as a shard without slots
  if (value->type != ValueType::kArray || value->elements.size() % 2 != 0) {
    return Fail(where, "slots is not an array of start/end pairs");
  }
  for (size_t i = 0; i < value->elements.size(); i += 2) {
    Result<uint16_t> start = AsSlot(value->elements[i], where);
    if (!start.ok()) return start.status();
    Result<uint16_t> end = AsSlot(value->elements[i + 1], where);
    if (!end.ok()) return end.status();
    if (start.value() > end.value()) return Fail(where, "start slot is greater than end slot");
    ranges.push_back({start.value(), end.value()});
  }
  return ranges;
}

// Picks the shard's master among the nodes flagged master: the only one, or the only one that
// is not failed (7.2+ groups by shard id, so a failed old master may still be listed). Returns
// nodes.size() when there is no master.
Result<size_t> PickMaster(const std::vector<ShardNode>& nodes, const std::string& where) {
  std::vector<size_t> masters;
  std::vector<size_t> healthy;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!nodes[i].master) continue;
    masters.push_back(i);
    if (nodes[i].node.health != NodeHealth::kFail) healthy.push_back(i);
  }
  if (masters.empty()) return nodes.size();
  if (masters.size() == 1) return masters[0];
  if (healthy.size() == 1) return healthy[0];
  return Fail(where, "several masters");
}

Status ParseShard(SlotMapBuilder& builder, const Value& shard, std::string_view answering_host,
                  size_t n) {
  const std::string where = "CLUSTER SHARDS shard " + std::to_string(n);
  Result<Pairs> fields = AsPairs(shard, where);
  if (!fields.ok()) return fields.status();
  Result<std::vector<SlotRange>> ranges = ParseShardSlots(Find(fields.value(), "slots"), where);
  if (!ranges.ok()) return ranges.status();
  const Value* nodes_value = Find(fields.value(), "nodes");
  if (nodes_value == nullptr || nodes_value->type != ValueType::kArray) {
    return Fail(where, "nodes is not an array");
  }
  std::vector<ShardNode> nodes;
  std::vector<NodeIndex> indexes;
  for (size_t i = 0; i < nodes_value->elements.size(); ++i) {
    const std::string node_where = where + " node " + std::to_string(i);
    Result<ShardNode> node = ParseShardNode(nodes_value->elements[i], answering_host, node_where);
    if (!node.ok()) return node.status();
    Result<NodeIndex> index = Intern(builder, node.value().node, node_where);
    if (!index.ok()) return index.status();
    // Interned nodes keep the first copy's fields; the health in this shard is authoritative.
    builder.node(index.value()).health = node.value().node.health;
    builder.node(index.value()).replication_offset = node.value().node.replication_offset;
    nodes.push_back(std::move(node.value()));
    indexes.push_back(index.value());
  }
  Result<size_t> master = PickMaster(nodes, where);
  if (!master.ok()) return master.status();
  if (master.value() == nodes.size()) {
    return ranges.value().empty() ? Status() : Fail(where, "slots but no master");
  }
  const NodeIndex master_index = indexes[master.value()];
  for (const SlotRange& range : ranges.value()) {
    Status status = builder.AssignSlots(range, master_index);
    if (!status.ok()) return Fail(where, status.message());
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].master) continue;
    Status status = builder.SetReplicaOf(indexes[i], master_index);
    if (!status.ok()) return Fail(where, status.message());
  }
  return Status();
}

}  // namespace

Result<SlotMapPtr> ParseClusterShards(const Value& reply, std::string_view answering_host,
                                      uint64_t version) {
  if (reply.type == ValueType::kError) return Status::Error("CLUSTER SHARDS: " + reply.str);
  if (reply.type != ValueType::kArray) return Status::Error("CLUSTER SHARDS: not an array");
  SlotMapBuilder builder;
  builder.set_version(version);
  for (size_t i = 0; i < reply.elements.size(); ++i) {
    Status status = ParseShard(builder, reply.elements[i], answering_host, i);
    if (!status.ok()) return status;
  }
  return builder.Build();
}

}  // namespace slotproxy::cluster
