// ClusterViewStore: the shard's cluster view on disk, in its data dir, as Redis keeps
// nodes.conf: the CLUSTER NODES lines (ping/pong fields zero) followed by a
// "vars currentEpoch N lastVoteEpoch M" line. Written atomically (temp file, fsync, rename,
// fsync of the directory) so a crash leaves either the old or the new view, never a torn one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cluster/slot_map.h"

namespace slotproxy::server {

// One node line of a stored view.
struct StoredNode {
  std::string id;
  std::string host;  // may be empty (a node that does not know its address yet)
  uint16_t port = 0;
  uint32_t bus_port = 0;  // up to 75535: the default port + 10000 is not wrapped
  std::string hostname;   // the optional ",hostname" after the bus port
  bool myself = false;
  bool master = true;
  std::string master_id;  // a replica's master ("-" in the file for a master)
  uint64_t config_epoch = 0;
  std::vector<cluster::SlotRange> slots;
};

// A MIGRATING ("[slot->-id]") or IMPORTING ("[slot-<-id]") marker of the myself line.
struct StoredMigration {
  uint16_t slot = 0;
  bool migrating = true;  // false: importing
  std::string peer_id;
};

struct StoredView {
  std::vector<StoredNode> nodes;
  std::vector<StoredMigration> migrations;
  uint64_t current_epoch = 0;
  uint64_t last_vote_epoch = 0;
};

// Parses the text of a nodes.conf. Error (with the 1-based line number) on a line that is not a
// node line or a vars line, a bad id, address, slot or epoch, or when no line is "myself".
Result<StoredView> ParseStoredView(std::string_view text);

// Writes `contents` to `path` atomically: `path`.tmp-<pid>, fsync, rename over `path`, fsync the
// directory. Error: the failing call and errno text, with the path.
Status WriteFileAtomically(const std::string& path, std::string_view contents);

// The contents of `path`, nullopt when it does not exist. Error: any other read failure.
Result<std::optional<std::string>> ReadFileIfExists(const std::string& path);

}  // namespace slotproxy::server
