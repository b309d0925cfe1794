// The proxy's schema: which keys exist, their types and ranges, and the checks across keys.
#include "config/common_reader.h"
#include "config/fleet_reader.h"
#include "config/suggest.h"
#include "config/yaml_reader.h"

namespace slotproxy::config::internal {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint64_t kMb = 1ull << 20;
constexpr uint64_t kTb = 1ull << 40;

void ReadSeeds(const Section& root, std::vector<HostPort>* out) {
  std::optional<Value> list = root.Get("seeds");
  if (!list) return;
  ErrorSink& sink = root.sink();
  std::vector<HostPort> seeds;
  std::vector<std::string> paths;
  bool is_list = ForEachElement(sink, *list, [&](const Value& element) {
    std::optional<HostPort> seed = ReadHostPort(sink, element, 1);
    if (!seed) return;
    for (size_t j = 0; j < seeds.size(); ++j) {
      if (seeds[j] == *seed) {
        sink.Add(element.mark, element.path, "duplicate seed (also " + paths[j] + ")");
      }
    }
    seeds.push_back(std::move(*seed));
    paths.push_back(element.path);
  });
  if (is_list && list->node.size() == 0) {
    root.ErrorAtKey("seeds", "must list at least one host:port of a cluster node");
  }
  *out = std::move(seeds);
}

void ReadEmbedded(const Section& root, EmbeddedConfig* out) {
  constexpr std::string_view kKeys[] = {"shards",      "base_port", "bind", "data_dir",
                                        "appendfsync", "ids",       "fleet"};
  Section s = root.Sub("embedded", kKeys);
  s.Int("shards", 1, 256, &out->shards);
  s.Port("base_port", 0, &out->base_port);
  ReadBindAddress(s, "bind", &out->bind);
  s.String("data_dir", &out->data_dir, false);
  ReadAppendFsync(s, "appendfsync", &out->appendfsync);
  ReadNodeIds(s, "ids", &out->ids);
  ReadFleet(s, "fleet", 0, &out->fleet);

  if (s.Has("fleet")) {
    // The fleet names every node's id and port; the shorthand keys would contradict it.
    for (std::string_view key : {"base_port", "ids"}) {
      if (s.Has(key)) {
        s.ErrorAtKey(key, "not allowed together with " + s.PathOf("fleet") +
                              " (the fleet gives each node's port and id)");
      }
    }
    if (!out->fleet.empty()) {
      if (s.Has("shards") && out->shards != static_cast<int>(out->fleet.size())) {
        s.ErrorAtKey("shards", std::to_string(out->shards) + " shards, but " + s.PathOf("fleet") +
                                   " lists " + std::to_string(out->fleet.size()) + " nodes");
      }
      out->shards = static_cast<int>(out->fleet.size());
    }
    return;
  }
  if (out->base_port != 0 && out->base_port + out->shards - 1 > 65535) {
    s.ErrorAtKey("base_port", "base_port + shards - 1 must not exceed 65535");
  }
  // Count the entries as written: a malformed id was reported already.
  std::optional<Value> ids = s.Get("ids");
  if (ids && ids->node.IsSequence() && static_cast<int>(ids->node.size()) != out->shards) {
    s.ErrorAtKey("ids", "lists " + std::to_string(ids->node.size()) + " ids for " +
                            std::to_string(out->shards) + " shards (give one per shard)");
  }
}

void ReadPool(const Section& root, PoolConfig* out) {
  constexpr std::string_view kKeys[] = {"connections_per_backend", "max_pending_per_connection",
                                        "reconnect_backoff"};
  Section s = root.Sub("pool", kKeys);
  s.Int("connections_per_backend", 1, 64, &out->connections_per_backend);
  s.Int("max_pending_per_connection", 1, 10'000'000, &out->max_pending_per_connection);
  constexpr std::string_view kBackoffKeys[] = {"min", "max"};
  Section backoff = s.Sub("reconnect_backoff", kBackoffKeys);
  backoff.Dur("min", milliseconds(1), hours(1), false, &out->reconnect_min);
  backoff.Dur("max", milliseconds(1), hours(1), false, &out->reconnect_max);
  if (out->reconnect_min > out->reconnect_max) {
    backoff.ErrorAtKey(backoff.Has("max") ? "max" : "min",
                       "reconnect_backoff.min (" + FormatDuration(out->reconnect_min) +
                           ") must not exceed reconnect_backoff.max (" +
                           FormatDuration(out->reconnect_max) + ")");
  }
}

void ReadTimeouts(const Section& root, TimeoutsConfig* out) {
  constexpr std::string_view kKeys[] = {"connect", "op", "client_idle", "topology_refresh"};
  Section s = root.Sub("timeouts", kKeys);
  s.Dur("connect", milliseconds(1), hours(1), false, &out->connect);
  s.Dur("op", milliseconds(1), hours(1), false, &out->op);
  s.Dur("client_idle", seconds(1), hours(24 * 365), true, &out->client_idle);
  s.Dur("topology_refresh", milliseconds(100), hours(24), true, &out->topology_refresh);
}

void ReadLimits(const Section& root, LimitsConfig* out) {
  constexpr std::string_view kKeys[] = {"max_clients", "proto_max_bulk_len", "query_buffer",
                                        "max_pending_per_client", "output_buffer"};
  Section s = root.Sub("limits", kKeys);
  s.Int("max_clients", 1, 1'000'000, &out->max_clients);
  // Redis refuses less than 1mb for both.
  s.Size("proto_max_bulk_len", kMb, kTb, &out->proto_max_bulk_len);
  s.Size("query_buffer", kMb, kTb, &out->query_buffer);
  s.Int("max_pending_per_client", 1, 1'000'000, &out->max_pending_per_client);
  constexpr std::string_view kOutputKeys[] = {"hard", "soft", "soft_seconds"};
  Section o = s.Sub("output_buffer", kOutputKeys);
  OutputBufferLimit& limit = out->output_buffer;
  o.Size("hard", 0, kTb, &limit.hard);
  o.Size("soft", 0, kTb, &limit.soft);
  o.Int("soft_seconds", 0, 86400, &limit.soft_seconds);
  if (limit.hard != 0 && limit.soft > limit.hard) {
    o.ErrorAtKey(o.Has("soft") ? "soft" : "hard", "soft limit (" + FormatSize(limit.soft) +
                                                      ") must not exceed the hard limit (" +
                                                      FormatSize(limit.hard) + ")");
  }
}

void ReadBackendAuth(const Section& root, BackendAuthConfig* out) {
  constexpr std::string_view kKeys[] = {"user", "password"};
  Section s = root.Sub("backend_auth", kKeys);
  s.String("user", &out->user, false);
  s.String("password", &out->password);
  if (!out->user.empty() && !s.Has("password")) {
    s.ErrorAtKey("user", "a backend user needs backend_auth.password too");
  }
}

void ReadAuth(const Section& root, AuthConfig* out) {
  constexpr std::string_view kKeys[] = {"requirepass", "users"};
  Section s = root.Sub("auth", kKeys);
  s.String("requirepass", &out->requirepass);
  ReadUsers(s, &out->users);
  for (const UserConfig& user : out->users) {
    if (user.name == "default" && !out->requirepass.empty()) {
      s.ErrorAtKey("requirepass",
                   "conflicts with the user 'default' in auth.users (both set its password)");
    }
  }
}

}  // namespace

// Mode follows from the keys when not given; when given, the keys must agree with it.
void ReadMode(const Section& root, ProxyConfig* out) {
  bool has_seeds = root.Has("seeds");
  bool has_embedded = root.Has("embedded");
  std::optional<Value> mode = root.Get("mode");
  if (!mode) {
    if (has_seeds && has_embedded) {
      root.ErrorAtKey("seeds",
                      "seeds and embedded exclude each other (set mode: cluster or mode: "
                      "embedded and remove the other)");
    }
    out->mode = has_seeds ? Mode::kCluster : Mode::kEmbedded;
    return;
  }
  constexpr std::string_view kNames[] = {"embedded", "cluster"};
  std::optional<size_t> choice = ReadChoice(root.sink(), *mode, kNames);
  if (!choice) return;
  out->mode = *choice == 0 ? Mode::kEmbedded : Mode::kCluster;
  if (out->mode == Mode::kCluster) {
    if (!has_seeds) {
      root.sink().Add(mode->mark, mode->path,
                      "mode cluster needs seeds (a list of host:port of cluster nodes)");
    }
    if (has_embedded) root.ErrorAtKey("embedded", "only allowed with mode embedded");
  } else if (has_seeds) {
    root.ErrorAtKey("seeds", "only allowed with mode cluster (mode is embedded)");
  }
}

void ReadProxy(ErrorSink& sink, const Value& root_value, ProxyConfig* out) {
  constexpr std::string_view kKeys[] = {
      "listen", "workers",      "mode", "seeds",   "embedded", "pool", "timeouts",
      "limits", "backend_auth", "auth", "metrics", "slowlog",  "log",  "shutdown_timeout"};
  Section root(sink, root_value, kKeys);
  root.Address("listen", 0, &out->listen);
  root.Int("workers", 0, 1024, &out->workers);
  ReadSeeds(root, &out->seeds);
  ReadEmbedded(root, &out->embedded);
  ReadMode(root, out);
  ReadPool(root, &out->pool);
  ReadTimeouts(root, &out->timeouts);
  ReadLimits(root, &out->limits);
  ReadBackendAuth(root, &out->backend_auth);
  ReadAuth(root, &out->auth);
  ReadMetrics(root, &out->metrics);
  constexpr std::string_view kSlowlogKeys[] = {"threshold", "max_len"};
  Section slowlog = root.Sub("slowlog", kSlowlogKeys);
  slowlog.Dur("threshold", Duration(0), hours(1), true, &out->slowlog.threshold);
  slowlog.Int("max_len", 0, 1'000'000, &out->slowlog.max_len);
  ReadLog(root, &out->log);
  root.Dur("shutdown_timeout", Duration(0), hours(1), true, &out->shutdown_timeout);
}

}  // namespace slotproxy::config::internal
