// INFO as the proxy answers it: a standalone Redis 7.0-shaped report (so clients' health checks
// and version probes work) with the proxy's own figures, the shards' keyspace summed, and a
// "# Proxy" section. Pure: the session gathers the figures and the shards' raw
// `INFO keyspace` replies, this file formats them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "resp/encoder.h"

namespace slotproxy::session {

// Figures the report shows. The caller fills what it knows; zeros are printed as zeros.
struct ProxyInfoInput {
  std::string_view redis_version = "7.0.15";  // redis_version: what clients compare against
  std::string_view proxy_version;             // slotproxy_version in # Server and # Proxy
  int64_t process_id = 0;
  uint16_t tcp_port = 0;
  uint64_t uptime_seconds = 0;
  std::string_view executable;   // executable:
  std::string_view config_file;  // config_file:
  uint64_t connected_clients = 0;
  uint64_t maxclients = 0;
  uint64_t used_memory = 0;  // bytes; the proxy reports its RSS (ReadRssBytes())
  uint64_t total_connections_received = 0;
  uint64_t total_commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t total_net_input_bytes = 0;
  uint64_t total_net_output_bytes = 0;
  double used_cpu_sys = 0;  // seconds (ReadCpuSeconds())
  double used_cpu_user = 0;
  // # Proxy
  uint32_t workers = 0;
  uint32_t backend_nodes = 0;  // nodes in the current slot map
  uint32_t backend_masters = 0;
  uint64_t slot_map_version = 0;
  uint64_t slots_covered = 0;
  uint64_t topology_refreshes = 0;
  uint64_t topology_refresh_errors = 0;
  std::string_view topology_last_error;  // TopologyManager::last_error(); CR/LF become spaces
  // The shards' raw replies to "INFO keyspace" (bulk or verbatim strings, or errors), one per
  // shard. Errors and malformed replies are skipped and counted as keyspace_errors.
  std::span<const std::string_view> keyspace_replies;
  bool want_command_stats = false;  // set by the caller: fill commandstats / latencystats
  // The whole # Commandstats and # Latencystats sections (header included, Redis 7.0's
  // format); empty: the bare headers are printed.
  std::string commandstats;
  std::string latencystats;
};

// True when INFO with these arguments (args[0] is "INFO") prints the # Keyspace section, so the
// session fans "INFO keyspace" out to the shards only then.
bool InfoWantsKeyspace(std::span<const std::string_view> args);

// True when the INFO arguments select # Commandstats or # Latencystats (the figures are then
// gathered from every worker; plain INFO does not pay for it).
bool InfoWantsCommandStats(std::span<const std::string_view> args);

// The INFO text for `args` (args[0] is "INFO"; then section names, case-insensitive, as Redis
// 7.0: none or "default" = the default sections, "all" = all but modules, "everything" = all,
// otherwise only the named sections; unknown names print nothing). Sections are separated by
// an empty line; every line ends in CRLF; no section printed gives "".
std::string BuildInfoText(std::span<const std::string_view> args, const ProxyInfoInput& input);

// Writes the INFO reply: the text as a bulk string (RESP2) or verbatim "txt" string (RESP3),
// as Redis does.
void WriteInfoReply(std::span<const std::string_view> args, const ProxyInfoInput& input,
                    resp::Encoder& out);

// Sums the "dbN:keys=K,expires=E,avg_ttl=T" lines of the shards' replies: per db, keys and
// expires added, avg_ttl the expires-weighted mean. Appends the lines ("db0:keys=...\r\n"), in
// db order, to `out` and returns the number of replies that could not be used.
size_t SumKeyspace(std::span<const std::string_view> replies, std::string* out);

// This process's resident set size in bytes (from /proc/self/statm); 0 when unreadable.
uint64_t ReadRssBytes();

// This process's system and user CPU seconds (getrusage).
void ReadCpuSeconds(double* sys, double* user);

}  // namespace slotproxy::session
