// The shard server's schema (`shard -c shard.yaml`).
#include "config/common_reader.h"
#include "config/fleet_reader.h"
#include "config/suggest.h"
#include "config/yaml_reader.h"

namespace slotproxy::config::internal {
namespace {

// With a fleet, `self` names this shard's node, and its port is the node's unless `port` says
// the same thing.
void CheckSelf(const Section& root, ShardConfig* out) {
  if (!root.Has("fleet")) {
    if (root.Has("self")) root.ErrorAtKey("self", "needs a fleet (remove it or add fleet:)");
    return;
  }
  if (out->fleet.empty()) return;  // the fleet itself was reported
  std::optional<Value> self = root.Get("self");
  if (!self) {
    root.ErrorAtKey("fleet", "a fleet needs self: the id of this shard's node");
    return;
  }
  if (out->self.empty()) return;  // the value was reported
  std::vector<std::string_view> ids;
  for (const FleetNode& node : out->fleet) {
    if (node.id == out->self) {
      if (!root.Has("port")) {
        out->port = node.port;
      } else if (out->port != node.port) {
        root.ErrorAtKey("port", "port " + std::to_string(out->port) + " differs from the port " +
                                    std::to_string(node.port) + " of this shard's fleet node");
      }
      return;
    }
    ids.push_back(node.id);
  }
  std::string message = "no fleet node has the id '" + Shorten(out->self) + "'";
  std::string hint = NearestMatch(out->self, ids);
  if (!hint.empty()) message += " (did you mean '" + hint + "'?)";
  root.sink().Add(self->mark, self->path, message);
}

}  // namespace

void ReadShard(ErrorSink& sink, const Value& root_value, ShardConfig* out) {
  constexpr std::string_view kKeys[] = {"port",
                                        "bind",
                                        "dir",
                                        "appendonly",
                                        "appendfsync",
                                        "requirepass",
                                        "auto_aof_rewrite_percentage",
                                        "auto_aof_rewrite_min_size",
                                        "maxclients",
                                        "fleet",
                                        "self",
                                        "metrics",
                                        "log"};
  Section root(sink, root_value, kKeys);
  root.Port("port", 0, &out->port);
  ReadBindAddress(root, "bind", &out->bind);
  root.String("dir", &out->dir, false);
  root.Bool("appendonly", &out->appendonly);
  ReadAppendFsync(root, "appendfsync", &out->appendfsync);
  root.String("requirepass", &out->requirepass);
  root.Int("auto_aof_rewrite_percentage", 0, 1'000'000, &out->auto_aof_rewrite_percentage);
  root.Size("auto_aof_rewrite_min_size", 0, 1ull << 40, &out->auto_aof_rewrite_min_size);
  root.Int("maxclients", 1, 1'000'000, &out->maxclients);
  ReadFleet(root, "fleet", 1, &out->fleet);
  root.String("self", &out->self, false);
  CheckSelf(root, out);
  ReadMetrics(root, &out->metrics);
  ReadLog(root, &out->log);
}

}  // namespace slotproxy::config::internal
