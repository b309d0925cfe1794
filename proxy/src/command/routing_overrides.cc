// Routing decisions a proxy must take that Redis's tips, flags and key specs do not express.
// One line per command: a new command is one row here (if derivation gets it wrong) plus a test.
#include "command/routing_overrides.h"

namespace slotproxy::command::internal {
namespace {

constexpr Routing Local() { return MakeRouting(RouteKind::kProxyLocal); }
constexpr Routing Any() { return MakeRouting(RouteKind::kKeylessAnyShard); }
constexpr Routing Stateful() { return MakeRouting(RouteKind::kStateful); }
constexpr Routing SameSlot() { return MakeRouting(RouteKind::kSameSlotOnly); }
constexpr Routing AllShards(MergeKind merge) { return MakeRouting(RouteKind::kAllShards, merge); }
constexpr Routing Refuse(std::string_view error = {}) {
  return MakeRouting(RouteKind::kUnsupported, MergeKind::kNone, 1, error);
}

// A standalone Redis's answer to cluster commands: the proxy looks like one node, not a cluster.
constexpr std::string_view kNoCluster = "ERR This instance has cluster support disabled";

constexpr RoutingOverride kOverrides[] = {
    // Connection state the proxy owns.
    {"ping", Local()},  // tips say all_shards; a client means "is the proxy alive"
    {"echo", Local()},
    {"quit", Local()},
    {"select", Local()},  // SELECT 0 is OK; any other db gets Redis's cluster-mode error
    {"hello", Local()},
    {"auth", Local()},
    {"reset", Local()},
    {"info", Local()},  // a proxy section plus the shards' keyspace, summed
    {"role", Local()},  // the proxy presents itself as a master without replicas
    {"command", Local()},
    {"command|*", Local()},
    {"config|get", Local()},
    {"config|help", Local()},
    {"client|*", Local()},
    {"client|caching", Refuse()},  // client-side caching cannot be tracked across shards
    {"client|getredir", Refuse()},
    {"client|tracking", Refuse()},
    {"client|trackinginfo", Refuse()},
    {"client|pause", Refuse()},  // would pause the proxy's own backend traffic
    {"client|unpause", Refuse()},
    // ACL users live in the proxy's config (issue 5); the backends' users are not the client's.
    {"acl|*", Local()},
    // The proxy's own slow requests, each with its proxy / backend split (metrics/slowlog.h).
    {"slowlog|*", Local()},
    {"acl|setuser", Refuse()},
    {"acl|deluser", Refuse()},
    {"acl|load", Refuse()},
    {"acl|save", Refuse()},
    // The proxy hides the cluster: answer as a standalone Redis does.
    {"cluster|*", Refuse(kNoCluster)},
    {"readonly", Refuse(kNoCluster)},
    {"readwrite", Refuse(kNoCluster)},
    {"asking", Refuse(kNoCluster)},
    // One logical database per fleet: Redis Cluster's own texts.
    {"swapdb", Refuse("ERR SWAPDB is not allowed in cluster mode")},
    {"move", Refuse("ERR MOVE is not allowed in cluster mode")},
    // Server administration that must not be passed through a proxy.
    {"monitor", Refuse()},
    {"sync", Refuse()},
    {"psync", Refuse()},
    {"replconf", Refuse()},
    {"replicaof", Refuse()},
    {"slaveof", Refuse()},
    {"failover", Refuse()},
    {"shutdown", Refuse()},
    {"debug", Refuse()},
    {"module|*", Refuse()},
    {"migrate", Refuse()},       // moves keys out of the fleet the proxy manages
    {"script|debug", Refuse()},  // needs a debugger session on one connection
    // Fan-outs the tips do not declare in 7.0.
    {"save", AllShards(MergeKind::kAllOk)},
    {"bgsave", AllShards(MergeKind::kAllOk)},
    {"bgrewriteaof", AllShards(MergeKind::kAllOk)},
    {"config|resetstat", AllShards(MergeKind::kAllOk)},  // all_nodes in 7.2's tips
    {"config|rewrite", AllShards(MergeKind::kAllOk)},
    {"randomkey", AllShards(MergeKind::kRandomKey)},  // 7.0 tips: all_shards, no policy
    {"scan", AllShards(MergeKind::kScan)},            // tips: request_policy:special
    {"pfselftest", Any()},                            // admin, but harmless
    // Shard channels live on their slots' owners: every master's list, concatenated (the
    // session sends the other PUBSUB subcommands to its pub/sub home, SHARDNUMSUB by channel).
    {"pubsub|shardchannels", AllShards(MergeKind::kConcat)},
    // Never split: MSETNX must stay atomic (its agg_min tip was removed in 7.2).
    {"msetnx", SameSlot()},
    // Transactions, scripts and WAIT hold state on one backend connection (issue 5). EVAL and
    // FCALL keep their key specs for the slot.
    {"multi", Stateful()},
    {"exec", Stateful()},
    {"discard", Stateful()},
    {"watch", Stateful()},
    {"unwatch", Stateful()},
    {"eval", Stateful()},
    {"evalsha", Stateful()},
    {"eval_ro", Stateful()},
    {"evalsha_ro", Stateful()},
    {"fcall", Stateful()},
    {"fcall_ro", Stateful()},
    {"wait", Stateful()},  // tips: all_shards + agg_min, but it waits for this client's writes
    // Blocking only with the BLOCK option: the session checks for it and treats the command as
    // stateful then; otherwise a plain multi-key read.
    {"xread", SameSlot()},
    {"xreadgroup", SameSlot()},
};

}  // namespace

std::span<const RoutingOverride> RoutingOverrides() { return kOverrides; }

}  // namespace slotproxy::command::internal
