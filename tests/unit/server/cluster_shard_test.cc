// End to end: two shards of a two-node fleet, each with its ClusterState, ClusterCheckImpl and
// the cluster handlers in its registry, reached over loopback sockets: MOVED between them,
// CROSSSLOT, a transaction with a foreign key, and the CLUSTER replies through the dispatcher.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "cluster/crc16.h"
#include "cluster/fleet.h"
#include "server/cluster_check_impl.h"
#include "server/commands/cluster_commands.h"
#include "shard_test_client.h"

namespace slotproxy::server {
namespace {

using testing::TestClient;

// A port the OS just handed out (bound and released); 0 on failure.
uint16_t PickPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace

TEST_CASE("cluster shards: a two-node fleet redirects, rejects and describes itself") {
  const uint16_t ports[] = {PickPort(), PickPort()};
  REQUIRE(ports[0] != 0);
  REQUIRE(ports[1] != 0);
  REQUIRE(ports[0] != ports[1]);
  auto fleet = cluster::MakeEvenFleet("127.0.0.1", ports, "e2e");
  REQUIRE(fleet.ok());
  std::span<const HandlerRow> extra[] = {ClusterHandlers()};
  HandlerRegistry registry(command::CommandTable::BuiltIn(), extra);
  std::vector<std::unique_ptr<ClusterState>> states;
  std::vector<std::unique_ptr<ClusterCheckImpl>> checks;
  std::vector<EmbeddedShardSpec> specs(2);
  const engine::Keyspace* keyspaces[2] = {nullptr, nullptr};
  for (size_t i = 0; i < 2; ++i) {
    ClusterStateOptions o;
    o.fleet = fleet.value();
    o.self_id = fleet.value()[i].id;
    auto st = ClusterState::Open(o);
    REQUIRE(st.ok());
    states.push_back(std::move(st.value()));
    checks.push_back(std::make_unique<ClusterCheckImpl>(*states[i], nullptr));
    specs[i].options.port = ports[i];
    specs[i].options.node_id = o.self_id;
    specs[i].options.cluster_check = checks[i].get();
    specs[i].options.registry = &registry;
    ClusterState* state = states[i].get();
    const engine::Keyspace** slot = &keyspaces[i];
    specs[i].on_start = [state, slot](Shard& shard) {
      *slot = &shard.db();
      AttachClusterState(&shard.db(), state);
      return Status();
    };
  }
  auto started = EmbeddedShards::Start(std::move(specs));
  if (!started.ok() && started.status().message().find("in use") != std::string::npos) {
    WARN("a picked port was taken meanwhile: " << started.status().message());
    for (const engine::Keyspace* db : keyspaces) AttachClusterState(db, nullptr);
    return;
  }
  REQUIRE(started.ok());
  const std::string addr1 = "127.0.0.1:" + std::to_string(ports[1]);
  REQUIRE(cluster::KeySlot("bar") <= 8191);  // node 0
  REQUIRE(cluster::KeySlot("foo") >= 8192);  // node 1
  {
    TestClient c0(ports[0]);
    REQUIRE(c0.connected());
    CHECK(c0.Call({"SET", "bar", "1"}) == "+OK\r\n");
    CHECK(c0.Call({"GET", "foo"}) == "-MOVED 12182 " + addr1 + "\r\n");
    CHECK(c0.Call({"MGET", "bar", "foo"}) ==
          "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
    CHECK(c0.Call({"PING"}) == "+PONG\r\n");
    CHECK(c0.Call({"DBSIZE"}) == ":1\r\n");
    // A queued command for another node is refused at queue time and aborts EXEC.
    CHECK(c0.Call({"MULTI"}) == "+OK\r\n");
    CHECK(c0.Call({"SET", "bar", "2"}) == "+QUEUED\r\n");
    CHECK(c0.Call({"SET", "foo", "2"}) == "-MOVED 12182 " + addr1 + "\r\n");
    CHECK(c0.Call({"EXEC"}) == "-EXECABORT Transaction discarded because of previous errors.\r\n");
    CHECK(c0.Call({"GET", "bar"}) == "$1\r\n1\r\n");
    // The CLUSTER replies through the dispatcher.
    CHECK(c0.Call({"CLUSTER", "MYID"}) == "$40\r\n" + fleet.value()[0].id + "\r\n");
    CHECK(c0.Call({"CLUSTER", "KEYSLOT", "foo"}) == ":12182\r\n");
    CHECK(c0.Call({"CLUSTER", "COUNTKEYSINSLOT", "5061"}) == ":1\r\n");
    CHECK(c0.Call({"CLUSTER", "GETKEYSINSLOT", "5061", "5"}) == "*1\r\n$3\r\nbar\r\n");
    std::string info = c0.Call({"CLUSTER", "INFO"});
    CHECK(info.find("cluster_state:ok\r\n") != std::string::npos);
    CHECK(info.find("cluster_known_nodes:2\r\ncluster_size:2\r\n") != std::string::npos);
    std::string nodes = c0.Call({"CLUSTER", "NODES"});
    INFO(nodes);
    CHECK(nodes.find(fleet.value()[0].id + " 127.0.0.1:" + std::to_string(ports[0]) + "@" +
                     std::to_string(ports[0] + 10000) +
                     " myself,master - 0 0 1 connected 0-8191\n") != std::string::npos);
    CHECK(nodes.find(" master - 0 ") != std::string::npos);
    std::string slots = c0.Call({"CLUSTER", "SLOTS"});
    CHECK(slots.rfind("*2\r\n*3\r\n:0\r\n:8191\r\n", 0) == 0);
    CHECK(c0.Call({"CLUSTER", "NOSUCH"}) ==
          "-ERR unknown subcommand 'NOSUCH'. Try CLUSTER HELP.\r\n");
  }
  {
    TestClient c1(ports[1]);
    REQUIRE(c1.connected());
    CHECK(c1.Call({"SET", "foo", "x"}) == "+OK\r\n");
    CHECK(c1.Call({"GET", "bar"}) == "-MOVED 5061 127.0.0.1:" + std::to_string(ports[0]) + "\r\n");
    CHECK(c1.Call({"CLUSTER", "MYID"}) == "$40\r\n" + fleet.value()[1].id + "\r\n");
  }
  started.value()->Stop();
  // The table is keyed by address: a stale entry would alias a later keyspace.
  for (const engine::Keyspace* db : keyspaces) AttachClusterState(db, nullptr);
}

}  // namespace slotproxy::server
