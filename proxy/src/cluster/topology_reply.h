// The other direction of topology.h: CLUSTER SLOTS and CLUSTER SHARDS replies encoded from a
// SlotMap, for our shard server, byte for byte as Redis 7.0 writes them with
// cluster-preferred-endpoint-type ip (the default): Node::host is the announced IP.
#pragma once

#include "cluster/slot_map.h"
#include "resp/encoder.h"

namespace slotproxy::cluster {

// Appends the CLUSTER SLOTS reply (clusterReplyMultiBulkSlots): one entry per maximal run of
// slots with one owner, in slot order, each [start, end, master, replica...] where a node is
// [ip, port, id, metadata] and metadata is ["hostname", name] when the node has a hostname, else
// empty (RESP3: a map). Replicas whose health is kFail are left out, as Redis leaves out
// replicas that are not available.
void EncodeClusterSlots(const SlotMap& map, resp::Encoder& out);

// Appends the CLUSTER SHARDS reply (clusterReplyShards): one map per master, slot-less masters
// included, in node-table order (Redis uses its node dict's order, which no client relies on),
// each {slots: [start, end, ...], nodes: [master, replicas...]} with the node fields id, port,
// ip, endpoint, hostname (only when set), role, replication-offset (0 when unknown), health
// (online when unknown).
void EncodeClusterShards(const SlotMap& map, resp::Encoder& out);

}  // namespace slotproxy::cluster
