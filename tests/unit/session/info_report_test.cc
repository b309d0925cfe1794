// INFO as the proxy answers it (session/proxy_info.h).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "session/proxy_info.h"

namespace slotproxy::session {
namespace {

std::vector<std::string> Headers(const std::string& text) {
  std::vector<std::string> headers;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find("\r\n", pos);
    REQUIRE(eol != std::string::npos);
    if (text.compare(pos, 2, "# ") == 0) headers.push_back(text.substr(pos + 2, eol - pos - 2));
    pos = eol + 2;
  }
  return headers;
}

TEST_CASE("section selection follows Redis 7.0", "[info]") {
  ProxyInfoInput in;
  using V = std::vector<std::string>;
  const V defaults = {"Server", "Clients", "Memory",     "Persistence", "Stats",    "Replication",
                      "CPU",    "Modules", "Errorstats", "Cluster",     "Keyspace", "Proxy"};
  CHECK(Headers(BuildInfoText(std::vector<std::string_view>{"INFO"}, in)) == defaults);
  CHECK(Headers(BuildInfoText(std::vector<std::string_view>{"INFO", "DEFAULT"}, in)) == defaults);
  const V all = {"Server",       "Clients", "Memory",   "Persistence",  "Stats",
                 "Replication",  "CPU",     "Modules",  "Commandstats", "Errorstats",
                 "Latencystats", "Cluster", "Keyspace", "Proxy"};
  CHECK(Headers(BuildInfoText(std::vector<std::string_view>{"info", "all"}, in)) == all);
  CHECK(Headers(BuildInfoText(std::vector<std::string_view>{"info", "everything"}, in)) == all);
  // Order is Redis's, whatever the argument order; duplicates print once.
  CHECK(Headers(BuildInfoText(std::vector<std::string_view>{"INFO", "keyspace", "Server", "server"},
                              in)) == V{"Server", "Keyspace"});
  CHECK(BuildInfoText(std::vector<std::string_view>{"INFO", "nosuch"}, in).empty());
  // Sections are separated by one empty line, every line ends in CRLF.
  const std::string two =
      BuildInfoText(std::vector<std::string_view>{"INFO", "cluster", "replication"}, in);
  CHECK(two.starts_with("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"));
  CHECK(two.ends_with("\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n"));
  CHECK(InfoWantsKeyspace(std::vector<std::string_view>{"INFO"}));
  CHECK(InfoWantsKeyspace(std::vector<std::string_view>{"INFO", "KEYSPACE"}));
  CHECK_FALSE(InfoWantsKeyspace(std::vector<std::string_view>{"INFO", "server"}));
}

TEST_CASE("the figures clients look for are present", "[info]") {
  ProxyInfoInput in;
  in.process_id = 4242;
  in.tcp_port = 6380;
  in.connected_clients = 3;
  in.used_memory = 3 * 1024 * 1024;
  in.workers = 2;
  in.slot_map_version = 17;
  in.proxy_version = "0.1.0";
  in.topology_last_error = "no node answered\r\nCLUSTER SLOTS";
  const std::string text = BuildInfoText(std::vector<std::string_view>{"INFO"}, in);
  for (std::string_view line :
       {"redis_version:7.0.15\r\n", "redis_mode:standalone\r\n", "process_id:4242\r\n",
        "tcp_port:6380\r\n", "connected_clients:3\r\n", "used_memory:3145728\r\n",
        "used_memory_human:3.00M\r\n", "maxmemory:0\r\n", "maxmemory_policy:noeviction\r\n",
        "loading:0\r\n", "role:master\r\n", "connected_slaves:0\r\n", "cluster_enabled:0\r\n",
        "workers:2\r\n", "slot_map_version:17\r\n", "slotproxy_version:0.1.0\r\n",
        "topology_last_error:no node answered  CLUSTER SLOTS\r\n"}) {
    INFO(line);
    CHECK(text.find(line) != std::string::npos);
  }
}

TEST_CASE("keyspace is summed over the shards' replies", "[info]") {
  const std::string a = "# Keyspace\r\ndb0:keys=10,expires=2,avg_ttl=1000\r\n";
  const std::string b =
      "# Keyspace\r\ndb0:keys=5,expires=6,avg_ttl=3000\r\ndb2:keys=1,expires=0,"
      "avg_ttl=0\r\n";
  const std::string bulk_a = "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  const std::string verbatim_b = "=" + std::to_string(b.size() + 4) + "\r\ntxt:" + b + "\r\n";
  const std::string empty = "$12\r\n# Keyspace\r\n\r\n";
  std::vector<std::string_view> replies = {bulk_a, verbatim_b, empty, "-ERR node down\r\n",
                                           "$5\r\nhello\r\n"};
  std::string lines;
  CHECK(SumKeyspace(replies, &lines) == 2);
  CHECK(lines == "db0:keys=15,expires=8,avg_ttl=2500\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n");

  ProxyInfoInput in;
  in.keyspace_replies = replies;
  const std::string text =
      BuildInfoText(std::vector<std::string_view>{"INFO", "keyspace", "proxy"}, in);
  CHECK(text.starts_with("# Keyspace\r\ndb0:keys=15,expires=8,avg_ttl=2500\r\n"));
  CHECK(text.find("keyspace_errors:2\r\n") != std::string::npos);
  // No shard replies: the header alone, as an empty Redis prints it.
  ProxyInfoInput none;
  CHECK(BuildInfoText(std::vector<std::string_view>{"INFO", "keyspace"}, none) == "# Keyspace\r\n");
}

TEST_CASE("INFO reply encoding and process figures", "[info]") {
  ProxyInfoInput in;
  std::string out;
  resp::Encoder resp2(&out, resp::Protocol::kResp2);
  WriteInfoReply(std::vector<std::string_view>{"INFO", "cluster"}, in, resp2);
  CHECK(out == "$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n");
  out.clear();
  resp::Encoder resp3(&out, resp::Protocol::kResp3);
  WriteInfoReply(std::vector<std::string_view>{"INFO", "cluster"}, in, resp3);
  CHECK(out == "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n");
  CHECK(ReadRssBytes() > 0);
  double sys = -1;
  double user = -1;
  ReadCpuSeconds(&sys, &user);
  CHECK(sys >= 0);
  CHECK(user >= 0);
}

}  // namespace
}  // namespace slotproxy::session
