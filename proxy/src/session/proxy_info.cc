#include "session/proxy_info.h"

#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <string>

#include "resp/value.h"

namespace slotproxy::session {
namespace {

// Sections in the order Redis 7.0 prints them, with the proxy's own at the end.
enum Section : uint32_t {
  kServer = 1u << 0,
  kClients = 1u << 1,
  kMemory = 1u << 2,
  kPersistence = 1u << 3,
  kStats = 1u << 4,
  kReplication = 1u << 5,
  kCpu = 1u << 6,
  kModules = 1u << 7,
  kCommandstats = 1u << 8,
  kErrorstats = 1u << 9,
  kLatencystats = 1u << 10,
  kCluster = 1u << 11,
  kKeyspace = 1u << 12,
  kProxy = 1u << 13,
};

constexpr uint32_t kDefaultSections = kServer | kClients | kMemory | kPersistence | kStats |
                                      kReplication | kCpu | kModules | kErrorstats | kCluster |
                                      kKeyspace | kProxy;
constexpr uint32_t kAllSections = kDefaultSections | kCommandstats | kLatencystats;

struct SectionName {
  std::string_view name;
  uint32_t bit;
};
constexpr SectionName kSectionNames[] = {
    {"server", kServer},
    {"clients", kClients},
    {"memory", kMemory},
    {"persistence", kPersistence},
    {"stats", kStats},
    {"replication", kReplication},
    {"cpu", kCpu},
    {"modules", kModules},
    {"commandstats", kCommandstats},
    {"errorstats", kErrorstats},
    {"latencystats", kLatencystats},
    {"cluster", kCluster},
    {"keyspace", kKeyspace},
    {"proxy", kProxy},
};

// genInfoSectionDict: no argument = default; "default", "all", "everything" or section names.
uint32_t SelectedSections(std::span<const std::string_view> args) {
  if (args.size() <= 1) return kDefaultSections;
  uint32_t selected = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const auto is = [arg](std::string_view word) {
      return arg.size() == word.size() && strncasecmp(arg.data(), word.data(), arg.size()) == 0;
    };
    if (is("default")) {
      selected |= kDefaultSections;
    } else if (is("all") || is("everything")) {
      selected |= kAllSections;
    } else {
      for (const SectionName& section : kSectionNames) {
        if (is(section.name)) selected |= section.bit;
      }
    }
  }
  return selected;
}

// printf-style append (fmt is not among the project's libraries; the report is not hot).
__attribute__((format(printf, 2, 3))) void Appendf(std::string* s, const char* format, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  if (n > 0) s->append(buffer, std::min(static_cast<size_t>(n), sizeof(buffer) - 1));
}

// Redis's bytesToHuman.
std::string BytesToHuman(uint64_t n) {
  const double d = static_cast<double>(n);
  std::string s;
  if (n < 1024) {
    Appendf(&s, "%lluB", static_cast<unsigned long long>(n));
  } else if (n < (1ULL << 20)) {
    Appendf(&s, "%.2fK", d / 1024);
  } else if (n < (1ULL << 30)) {
    Appendf(&s, "%.2fM", d / (1ULL << 20));
  } else if (n < (1ULL << 40)) {
    Appendf(&s, "%.2fG", d / (1ULL << 30));
  } else {
    Appendf(&s, "%.2fT", d / (1ULL << 40));
  }
  return s;
}

// A per-process random 40-hex id, like Redis's run_id.
const std::string& RunId() {
  static const std::string id = [] {
    std::random_device device;
    std::mt19937_64 rng(device());
    std::string hex;
    for (int i = 0; i < 40; ++i) hex.push_back("0123456789abcdef"[rng() % 16]);
    return hex;
  }();
  return id;
}

std::string OsName() {
  utsname u{};
  if (uname(&u) != 0) return "Linux";
  return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

void Line(std::string* s, std::string_view key, std::string_view value) {
  s->append(key).append(":").append(value).append("\r\n");
}
void Line(std::string* s, std::string_view key, uint64_t value) {
  Line(s, key, std::string_view(std::to_string(value)));
}
void Line(std::string* s, std::string_view key, double seconds) {
  std::string text;
  Appendf(&text, "%.6f", seconds);
  Line(s, key, std::string_view(text));
}

void Server(const ProxyInfoInput& in, std::string* s) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  s->append("# Server\r\n");
  Line(s, "redis_version", in.redis_version);
  s->append("redis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\n");
  s->append("redis_mode:standalone\r\n");
  Line(s, "os", std::string_view(OsName()));
  Line(s, "arch_bits", uint64_t{sizeof(void*) * 8});
  s->append("multiplexing_api:epoll\r\n");
  Line(s, "process_id", static_cast<uint64_t>(in.process_id));
  s->append("process_supervised:no\r\n");
  Line(s, "run_id", std::string_view(RunId()));
  Line(s, "tcp_port", uint64_t{in.tcp_port});
  Line(s, "server_time_usec",
       static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now).count()));
  Line(s, "uptime_in_seconds", in.uptime_seconds);
  Line(s, "uptime_in_days", in.uptime_seconds / 86400);
  s->append("hz:10\r\nconfigured_hz:10\r\n");
  Line(s, "executable", in.executable);
  Line(s, "config_file", in.config_file);
  s->append("io_threads_active:0\r\n");
  Line(s, "slotproxy_version", in.proxy_version);
}

void Clients(const ProxyInfoInput& in, std::string* s) {
  s->append("# Clients\r\n");
  Line(s, "connected_clients", in.connected_clients);
  s->append("cluster_connections:0\r\n");
  Line(s, "maxclients", in.maxclients);
  s->append("blocked_clients:0\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n");
}

void Memory(const ProxyInfoInput& in, std::string* s) {
  // The proxy stores no data: its RSS is the honest figure for both used_memory fields.
  const std::string human = BytesToHuman(in.used_memory);
  s->append("# Memory\r\n");
  for (std::string_view key : {"used_memory", "used_memory_rss", "used_memory_peak"}) {
    Line(s, key, in.used_memory);
    Line(s, std::string(key) + "_human", std::string_view(human));
  }
  s->append("maxmemory:0\r\nmaxmemory_human:0B\r\nmaxmemory_policy:noeviction\r\n");
  s->append("mem_allocator:libc\r\n");
}

void Persistence(std::string* s) {
  s->append(
      "# Persistence\r\nloading:0\r\nasync_loading:0\r\nrdb_changes_since_last_save:0\r\n"
      "rdb_bgsave_in_progress:0\r\nrdb_last_bgsave_status:ok\r\naof_enabled:0\r\n"
      "aof_rewrite_in_progress:0\r\naof_last_write_status:ok\r\n");
}

void Stats(const ProxyInfoInput& in, std::string* s) {
  s->append("# Stats\r\n");
  Line(s, "total_connections_received", in.total_connections_received);
  Line(s, "total_commands_processed", in.total_commands_processed);
  s->append("instantaneous_ops_per_sec:0\r\n");
  Line(s, "total_net_input_bytes", in.total_net_input_bytes);
  Line(s, "total_net_output_bytes", in.total_net_output_bytes);
  Line(s, "rejected_connections", in.rejected_connections);
}

void Replication(std::string* s) {
  s->append("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
  s->append("master_failover_state:no-failover\r\n");
  Line(s, "master_replid", std::string_view(RunId()));
  s->append("master_replid2:0000000000000000000000000000000000000000\r\n");
  s->append("master_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\n");
}

void Cpu(const ProxyInfoInput& in, std::string* s) {
  s->append("# CPU\r\n");
  Line(s, "used_cpu_sys", in.used_cpu_sys);
  Line(s, "used_cpu_user", in.used_cpu_user);
  s->append("used_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n");
}

void Proxy(const ProxyInfoInput& in, size_t keyspace_errors, std::string* s) {
  s->append("# Proxy\r\n");
  Line(s, "slotproxy_version", in.proxy_version);
  Line(s, "workers", uint64_t{in.workers});
  Line(s, "backend_nodes", uint64_t{in.backend_nodes});
  Line(s, "backend_masters", uint64_t{in.backend_masters});
  Line(s, "slot_map_version", in.slot_map_version);
  Line(s, "slots_covered", in.slots_covered);
  Line(s, "topology_refreshes", in.topology_refreshes);
  Line(s, "topology_refresh_errors", in.topology_refresh_errors);
  std::string error(in.topology_last_error);
  std::replace(error.begin(), error.end(), '\r', ' ');
  std::replace(error.begin(), error.end(), '\n', ' ');
  Line(s, "topology_last_error", std::string_view(error));
  Line(s, "keyspace_errors", uint64_t{keyspace_errors});
}

struct DbTotals {
  uint64_t keys = 0;
  uint64_t expires = 0;
  long double ttl_weighted = 0;  // sum of avg_ttl * expires
};

// Parses "keys=1,expires=0,avg_ttl=0" into `totals`; false when malformed.
bool AddDbLine(std::string_view fields, DbTotals* totals) {
  unsigned long long keys = 0;
  unsigned long long expires = 0;
  unsigned long long ttl = 0;
  const std::string copy(fields);
  int consumed = 0;
  if (std::sscanf(copy.c_str(), "keys=%llu,expires=%llu,avg_ttl=%llu%n", &keys, &expires, &ttl,
                  &consumed) != 3 ||
      static_cast<size_t>(consumed) != copy.size()) {
    return false;
  }
  totals->keys += keys;
  totals->expires += expires;
  totals->ttl_weighted += static_cast<long double>(ttl) * static_cast<long double>(expires);
  return true;
}

// The text of an INFO reply (bulk or verbatim); false for errors and anything else.
bool ReplyText(std::string_view reply, std::string* text) {
  size_t consumed = 0;
  Result<resp::Value> value = resp::DecodeValue(reply, &consumed, 4);
  if (!value.ok() || consumed != reply.size()) return false;
  if (value.value().type != resp::ValueType::kBulkString &&
      value.value().type != resp::ValueType::kVerbatim) {
    return false;
  }
  *text = std::move(value.value().str);
  return true;
}

}  // namespace

size_t SumKeyspace(std::span<const std::string_view> replies, std::string* out) {
  std::map<uint64_t, DbTotals> dbs;
  size_t failed = 0;
  for (std::string_view reply : replies) {
    std::string text;
    if (!ReplyText(reply, &text)) {
      ++failed;
      continue;
    }
    bool ok = true;
    std::string_view rest = text;
    while (!rest.empty()) {
      const size_t eol = rest.find('\n');
      std::string_view line = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
      if (line.ends_with('\r')) line.remove_suffix(1);
      if (line.empty() || line[0] == '#') continue;
      const size_t colon = line.find(':');
      uint64_t db = 0;
      if (!line.starts_with("db") || colon == std::string_view::npos ||
          std::sscanf(std::string(line.substr(2, colon - 2)).c_str(), "%lu", &db) != 1 ||
          !AddDbLine(line.substr(colon + 1), &dbs[db])) {
        ok = false;
      }
    }
    if (!ok) ++failed;
  }
  for (const auto& [db, totals] : dbs) {
    const uint64_t avg_ttl =
        totals.expires == 0 ? 0 : static_cast<uint64_t>(totals.ttl_weighted / totals.expires);
    Appendf(out, "db%llu:keys=%llu,expires=%llu,avg_ttl=%llu\r\n",
            static_cast<unsigned long long>(db), static_cast<unsigned long long>(totals.keys),
            static_cast<unsigned long long>(totals.expires),
            static_cast<unsigned long long>(avg_ttl));
  }
  return failed;
}

bool InfoWantsCommandStats(std::span<const std::string_view> args) {
  return (SelectedSections(args) & (kCommandstats | kLatencystats)) != 0;
}

bool InfoWantsKeyspace(std::span<const std::string_view> args) {
  return (SelectedSections(args) & kKeyspace) != 0;
}

std::string BuildInfoText(std::span<const std::string_view> args, const ProxyInfoInput& input) {
  const uint32_t selected = SelectedSections(args);
  std::string keyspace;
  size_t keyspace_errors = 0;
  if ((selected & (kKeyspace | kProxy)) != 0) {
    keyspace_errors = SumKeyspace(input.keyspace_replies, &keyspace);
  }
  std::string s;
  s.reserve(2048);
  bool first = true;
  const auto section = [&](uint32_t bit, const auto& write) {
    if ((selected & bit) == 0) return;
    if (!first) s.append("\r\n");
    first = false;
    write();
  };
  section(kServer, [&] { Server(input, &s); });
  section(kClients, [&] { Clients(input, &s); });
  section(kMemory, [&] { Memory(input, &s); });
  section(kPersistence, [&] { Persistence(&s); });
  section(kStats, [&] { Stats(input, &s); });
  section(kReplication, [&] { Replication(&s); });
  section(kCpu, [&] { Cpu(input, &s); });
  section(kModules, [&] { s.append("# Modules\r\n"); });
  // The metrics text carries its own section header; without metrics the section is empty.
  section(kCommandstats, [&] {
    s.append(input.commandstats.empty() ? "# Commandstats\r\n" : input.commandstats);
  });
  section(kErrorstats, [&] { s.append("# Errorstats\r\n"); });
  section(kLatencystats, [&] {
    s.append(input.latencystats.empty() ? "# Latencystats\r\n" : input.latencystats);
  });
  section(kCluster, [&] { s.append("# Cluster\r\ncluster_enabled:0\r\n"); });
  section(kKeyspace, [&] { s.append("# Keyspace\r\n").append(keyspace); });
  section(kProxy, [&] { Proxy(input, keyspace_errors, &s); });
  return s;
}

void WriteInfoReply(std::span<const std::string_view> args, const ProxyInfoInput& input,
                    resp::Encoder& out) {
  out.Verbatim(BuildInfoText(args, input));
}

uint64_t ReadRssBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0;
  uint64_t resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

void ReadCpuSeconds(double* sys, double* user) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  *sys = static_cast<double>(usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_stime.tv_usec) / 1e6;
  *user = static_cast<double>(usage.ru_utime.tv_sec) +
          static_cast<double>(usage.ru_utime.tv_usec) / 1e6;
}

}  // namespace slotproxy::session
