// CLUSTER subcommands (Redis 7.0 src/cluster.c clusterCommand) over the shard's ClusterState.
#include "server/commands/cluster_commands.h"

#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "cluster/crc16.h"
#include "cluster/topology_reply.h"
#include "engine/numbers.h"

namespace slotproxy::server {
namespace {

constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";

struct Attachments {
  std::mutex mu;
  absl::flat_hash_map<const engine::Keyspace*, ClusterState*> map;
};

Attachments& AttachmentsTable() {
  static Attachments* table = new Attachments();
  return *table;
}

// The state of the shard running `ctx`, or nullptr after replying the error.
ClusterState* StateOrError(CommandContext& ctx) {
  ClusterState* state = AttachedClusterState(ctx.db);
  if (state == nullptr) ctx.reply.Error("ERR This shard has no cluster state attached");
  return state;
}

void Slots(CommandContext& ctx) {
  if (ClusterState* s = StateOrError(ctx)) cluster::EncodeClusterSlots(*s->map(), ctx.reply);
}

void Shards(CommandContext& ctx) {
  if (ClusterState* s = StateOrError(ctx)) cluster::EncodeClusterShards(*s->map(), ctx.reply);
}

void Nodes(CommandContext& ctx) {
  if (ClusterState* s = StateOrError(ctx)) ctx.reply.Verbatim(s->NodesText(ctx.now_ms));
}

void Info(CommandContext& ctx) {
  if (ClusterState* s = StateOrError(ctx)) ctx.reply.Verbatim(s->InfoText());
}

void MyId(CommandContext& ctx) {
  if (ClusterState* s = StateOrError(ctx)) ctx.reply.Bulk(s->my_id());
}

void KeySlot(CommandContext& ctx) { ctx.reply.Integer(cluster::KeySlot(ctx.args[2])); }

void CountKeysInSlot(CommandContext& ctx) {
  int64_t slot = 0;
  if (!engine::ParseInt64(ctx.args[2], &slot)) {
    ctx.reply.Error(kNotInteger);
    return;
  }
  if (slot < 0 || slot >= cluster::kSlotCount) {
    ctx.reply.Error("ERR Invalid slot");
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(ctx.db.CountKeysInSlot(static_cast<uint16_t>(slot))));
}

void GetKeysInSlot(CommandContext& ctx) {
  int64_t slot = 0, count = 0;
  if (!engine::ParseInt64(ctx.args[2], &slot) || !engine::ParseInt64(ctx.args[3], &count)) {
    ctx.reply.Error(kNotInteger);
    return;
  }
  if (count < 0 || slot < 0 || slot >= cluster::kSlotCount) {
    ctx.reply.Error("ERR Invalid slot or number of keys");
    return;
  }
  auto keys = ctx.db.KeysInSlot(static_cast<uint16_t>(slot), static_cast<size_t>(count));
  ctx.reply.ArrayHeader(keys.size());
  for (const std::string& k : keys) ctx.reply.Bulk(k);
}

// No cluster bus, so no links.
void Links(CommandContext& ctx) { ctx.reply.ArrayHeader(0); }

// The node named by args[2], or kNoNode after replying "ERR Unknown node <id>".
cluster::NodeIndex NodeArg(CommandContext& ctx, const ClusterState& s) {
  cluster::NodeIndex n = s.map()->FindNodeById(ctx.args[2]);
  if (n == cluster::kNoNode) ctx.reply.Error("ERR Unknown node " + std::string(ctx.args[2]));
  return n;
}

void Replicas(CommandContext& ctx) {
  ClusterState* s = StateOrError(ctx);
  if (s == nullptr) return;
  cluster::NodeIndex n = NodeArg(ctx, *s);
  if (n == cluster::kNoNode) return;
  const cluster::Node& node = s->map()->node(n);
  if (node.role == cluster::NodeRole::kReplica) {
    ctx.reply.Error("ERR The specified node is not a master");
    return;
  }
  // Each replica's CLUSTER NODES line, as Redis replies.
  std::string text = s->NodesText(ctx.now_ms);
  ctx.reply.ArrayHeader(node.replicas.size());
  for (cluster::NodeIndex r : node.replicas) {
    const std::string& id = s->map()->node(r).id;
    size_t pos = text.find(id + " ");
    size_t end = text.find('\n', pos);
    ctx.reply.Bulk(std::string_view(text).substr(pos, end - pos));
  }
}

void CountFailureReports(CommandContext& ctx) {
  ClusterState* s = StateOrError(ctx);
  if (s != nullptr && NodeArg(ctx, *s) != cluster::kNoNode) ctx.reply.Integer(0);
}

void SaveConfig(CommandContext& ctx) {
  ClusterState* s = StateOrError(ctx);
  if (s == nullptr) return;
  Status st = s->Save();
  if (!st.ok()) {
    ctx.reply.Error("ERR error saving the cluster node config: " + st.message());
    return;
  }
  ctx.reply.SimpleString("OK");
}

constexpr std::string_view kHelp[] = {
    "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current "
    "node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes of a "
    "link",
    "HELP",
    "    Prints this help.",
};

void Help(CommandContext& ctx) {
  ctx.reply.ArrayHeader(std::size(kHelp));
  for (std::string_view line : kHelp) ctx.reply.SimpleString(line);
}

// Subcommands that need a cluster bus (gossip, failover) or change the slot layout, which this
// shard's static fleet does not do (SETSLOT comes with live migration).
void Unsupported(CommandContext& ctx) {
  std::string sub(ctx.args[1]);
  for (char& c : sub) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ctx.reply.Error("ERR CLUSTER " + sub +
                  " is not supported by this shard (static fleet, no cluster bus)");
}

constexpr HandlerRow kRows[] = {
    {"cluster|slots", &Slots},
    {"cluster|shards", &Shards},
    {"cluster|nodes", &Nodes},
    {"cluster|info", &Info},
    {"cluster|myid", &MyId},
    {"cluster|keyslot", &KeySlot},
    {"cluster|countkeysinslot", &CountKeysInSlot},
    {"cluster|getkeysinslot", &GetKeysInSlot},
    {"cluster|links", &Links},
    {"cluster|replicas", &Replicas},
    {"cluster|slaves", &Replicas},
    {"cluster|count-failure-reports", &CountFailureReports},
    {"cluster|saveconfig", &SaveConfig},
    {"cluster|help", &Help},
    {"cluster|meet", &Unsupported},
    {"cluster|forget", &Unsupported},
    {"cluster|replicate", &Unsupported},
    {"cluster|failover", &Unsupported},
    {"cluster|reset", &Unsupported},
    {"cluster|set-config-epoch", &Unsupported},
    {"cluster|bumpepoch", &Unsupported},
    {"cluster|flushslots", &Unsupported},
    {"cluster|addslots", &Unsupported},
    {"cluster|addslotsrange", &Unsupported},
    {"cluster|delslots", &Unsupported},
    {"cluster|delslotsrange", &Unsupported},
    {"cluster|setslot", &Unsupported},
};

}  // namespace

std::span<const HandlerRow> ClusterHandlers() { return kRows; }

void AttachClusterState(const engine::Keyspace* db, ClusterState* state) {
  Attachments& t = AttachmentsTable();
  std::lock_guard<std::mutex> lock(t.mu);
  if (state == nullptr) {
    t.map.erase(db);
  } else {
    t.map[db] = state;
  }
}

ClusterState* AttachedClusterState(const engine::Keyspace& db) {
  Attachments& t = AttachmentsTable();
  std::lock_guard<std::mutex> lock(t.mu);
  auto it = t.map.find(&db);
  return it == t.map.end() ? nullptr : it->second;
}

}  // namespace slotproxy::server
