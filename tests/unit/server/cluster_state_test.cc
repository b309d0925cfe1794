// ClusterState and its nodes.conf: the one-node default, a fleet, persistence and reload,
// corrupt files, and the stored view format.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "cluster/fleet.h"
#include "server/cluster_state.h"
#include "server/cluster_view_store.h"

namespace slotproxy::server {
namespace {

// A fresh empty directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = (std::filesystem::temp_directory_path() /
             ("sp-cluster-state-" + std::to_string(::getpid()) + "-" + std::to_string(rd())))
                .string();
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<cluster::FleetNode> ThreeNodes() {
  const uint16_t ports[] = {7000, 7001, 7002};
  auto fleet = cluster::MakeEvenFleet("127.0.0.1", ports, "test");
  REQUIRE(fleet.ok());
  return fleet.value();
}

}  // namespace

TEST_CASE("cluster state: a lone node owns every slot with a random id at epoch 0") {
  ClusterStateOptions o;
  o.host = "";
  o.port = 7000;
  auto s = ClusterState::Open(o);
  REQUIRE(s.ok());
  const ClusterState& st = *s.value();
  CHECK(cluster::IsValidNodeId(st.my_id()));
  CHECK(st.map()->FullyCovered());
  CHECK(st.map()->node_count() == 1);
  CHECK(st.ok());
  CHECK(st.current_epoch() == 0);
  CHECK(st.NodesText(123) == st.my_id() + " :7000@17000 myself,master - 0 0 0 connected 0-16383\n");
  auto other = ClusterState::Open(o);
  REQUIRE(other.ok());
  CHECK(other.value()->my_id() != st.my_id());
}

TEST_CASE("cluster state: the id and view survive a restart through nodes.conf") {
  TempDir dir;
  ClusterStateOptions o;
  o.dir = dir.path();
  o.host = "127.0.0.1";
  o.port = 7005;
  std::string id;
  {
    auto s = ClusterState::Open(o);
    REQUIRE(s.ok());
    id = s.value()->my_id();
    CHECK(ReadAll(dir.File("nodes.conf")) ==
          id + " 127.0.0.1:7005@17005 myself,master - 0 0 0 connected 0-16383\n"
               "vars currentEpoch 0 lastVoteEpoch 0\n");
    REQUIRE(s.value()->SetMyAddress("127.0.0.1", 7009).ok());
  }
  // No temp file left behind by the atomic write.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  CHECK(files == 1);
  auto again = ClusterState::Open(o);
  REQUIRE(again.ok());
  CHECK(again.value()->my_id() == id);
  CHECK(again.value()->my_node().port == 7009);
}

TEST_CASE("cluster state: a fleet node owns its ranges and knows the others") {
  ClusterStateOptions o;
  o.fleet = ThreeNodes();
  o.self_id = o.fleet[1].id;
  auto s = ClusterState::Open(o);
  REQUIRE(s.ok());
  const ClusterState& st = *s.value();
  CHECK(st.my_id() == o.fleet[1].id);
  CHECK(st.myself() == 1);
  CHECK(st.map()->OwnerOf(0) == 0);
  CHECK(st.map()->OwnerOf(5461) == 1);
  CHECK(st.map()->OwnerOf(16383) == 2);
  CHECK(st.current_epoch() == 3);
  CHECK(st.config_epoch(1) == 2);
  std::string nodes = st.NodesText(1700000000000);
  CHECK(nodes ==
        o.fleet[0].id + " 127.0.0.1:7000@17000 master - 0 1700000000000 1 connected 0-5460\n" +
            o.fleet[1].id + " 127.0.0.1:7001@17001 myself,master - 0 0 2 connected 5461-10922\n" +
            o.fleet[2].id +
            " 127.0.0.1:7002@17002 master - 0 1700000000000 3 connected 10923-16383\n");
  std::string info = st.InfoText();
  CHECK(info.find("cluster_state:ok\r\ncluster_slots_assigned:16384\r\n") == 0);
  CHECK(info.find("\r\ncluster_known_nodes:3\r\ncluster_size:3\r\ncluster_current_epoch:3\r\n"
                  "cluster_my_epoch:2\r\n") != std::string::npos);
}

TEST_CASE("cluster state: fleet errors") {
  ClusterStateOptions o;
  o.fleet = ThreeNodes();
  o.self_id = cluster::NodeIdFromSeed("nobody");
  CHECK(!ClusterState::Open(o).ok());
  o.fleet[1].slots = o.fleet[0].slots;  // a slot owned twice
  o.self_id = o.fleet[0].id;
  CHECK(!ClusterState::Open(o).ok());
}

TEST_CASE("cluster state: a fleet with a gap is down") {
  ClusterStateOptions o;
  o.fleet = ThreeNodes();
  o.fleet[2].slots.clear();
  o.self_id = o.fleet[0].id;
  auto s = ClusterState::Open(o);
  REQUIRE(s.ok());
  CHECK(!s.value()->ok());
  CHECK(s.value()->InfoText().find("cluster_state:fail\r\ncluster_slots_assigned:10923\r\n") == 0);
  CHECK(s.value()->InfoText().find("cluster_size:2\r\n") != std::string::npos);
  o.require_full_coverage = false;
  auto relaxed = ClusterState::Open(o);
  REQUIRE(relaxed.ok());
  CHECK(relaxed.value()->ok());
}

TEST_CASE("cluster state: a stored view wins over the fleet, but not a different self") {
  TempDir dir;
  ClusterStateOptions o;
  o.dir = dir.path();
  o.fleet = ThreeNodes();
  o.self_id = o.fleet[0].id;
  REQUIRE(ClusterState::Open(o).ok());
  auto fleet = o.fleet;
  o.fleet[0].slots = {{0, 100}};  // an edited config: the stored view still holds 0-5460
  auto s = ClusterState::Open(o);
  REQUIRE(s.ok());
  CHECK(s.value()->map()->OwnerOf(5460) == 0);
  CHECK(s.value()->current_epoch() == 3);
  o.self_id = fleet[1].id;
  auto wrong = ClusterState::Open(o);
  REQUIRE(!wrong.ok());
  CHECK(wrong.status().message().find("belongs to node " + fleet[0].id) != std::string::npos);
}

TEST_CASE("cluster state: a stored view with other masters than the fleet stops the start") {
  TempDir dir;
  ClusterStateOptions o;
  o.dir = dir.path();
  o.fleet = ThreeNodes();
  o.self_id = o.fleet[0].id;
  REQUIRE(ClusterState::Open(o).ok());
  const auto three = o.fleet;

  SECTION("a node dropped from the fleet") {
    o.fleet.pop_back();
    auto s = ClusterState::Open(o);
    REQUIRE(!s.ok());
    const std::string m = s.status().message();
    CHECK(m.find("describes a cluster of 3 master(s) but the fleet config has 2") !=
          std::string::npos);
    CHECK(m.find("only in the file: " + three[2].id + "; only in the config: none") !=
          std::string::npos);
  }
  SECTION("a node added to the fleet") {
    const uint16_t ports[] = {7000, 7001, 7002, 7003};
    auto four = cluster::MakeEvenFleet("127.0.0.1", ports, "test-four");
    REQUIRE(four.ok());
    o.fleet.push_back(four.value()[3]);
    auto s = ClusterState::Open(o);
    REQUIRE(!s.ok());
    CHECK(s.status().message().find("only in the file: none; only in the config: " +
                                    four.value()[3].id) != std::string::npos);
  }
  SECTION("the same masters in another order with other slots start from the file") {
    std::swap(o.fleet[1], o.fleet[2]);
    o.fleet[0].slots = {{0, 10}};
    auto s = ClusterState::Open(o);
    REQUIRE(s.ok());
    CHECK(s.value()->map()->OwnerOf(5460) == s.value()->myself());
  }
}

TEST_CASE("cluster state: a corrupt nodes.conf stops the start with its line") {
  TempDir dir;
  {
    std::ofstream out(dir.File("nodes.conf"));
    out << cluster::NodeIdFromSeed("a") << " 127.0.0.1:7000@17000 myself,master - 0 0 1 "
        << "connected 0-16383\nthis is not a node line\n";
  }
  ClusterStateOptions o;
  o.dir = dir.path();
  auto s = ClusterState::Open(o);
  REQUIRE(!s.ok());
  CHECK(s.status().message().find("line 2") != std::string::npos);
}

TEST_CASE("cluster view store: parses Redis's own nodes.conf lines") {
  const std::string a = cluster::NodeIdFromSeed("a"), b = cluster::NodeIdFromSeed("b"),
                    c = cluster::NodeIdFromSeed("c");
  std::string text = a +
                     " 127.0.0.1:7400@17400,node0.example myself,master - 0 0 7 connected "
                     "2-5460 15495 [100->-" +
                     b + "] [200-<-" + c + "]\n" + b +
                     " 127.0.0.1:7401@17401 master - 0 1795235150348 2 connected 5461-10922\n" + c +
                     " :7405@17405 slave " + a +
                     " 0 1795235150348 7 connected\nvars currentEpoch 8 lastVoteEpoch 3\n";
  auto v = ParseStoredView(text);
  REQUIRE(v.ok());
  const StoredView& view = v.value();
  REQUIRE(view.nodes.size() == 3);
  CHECK(view.nodes[0].myself);
  CHECK(view.nodes[0].hostname == "node0.example");
  CHECK(view.nodes[0].config_epoch == 7);
  CHECK(view.nodes[0].slots == std::vector<cluster::SlotRange>{{2, 5460}, {15495, 15495}});
  CHECK(view.nodes[2].host.empty());
  CHECK(view.nodes[2].port == 7405);
  CHECK(!view.nodes[2].master);
  CHECK(view.nodes[2].master_id == a);
  REQUIRE(view.migrations.size() == 2);
  CHECK(view.migrations[0].slot == 100);
  CHECK(view.migrations[0].migrating);
  CHECK(view.migrations[0].peer_id == b);
  CHECK(!view.migrations[1].migrating);
  CHECK(view.current_epoch == 8);
  CHECK(view.last_vote_epoch == 3);

  CHECK(!ParseStoredView(a + " 127.0.0.1:7000@17000 master - 0 0 1 connected 0-5\n").ok());
  CHECK(!ParseStoredView(a + " 127.0.0.1:7000 myself,master - 0 0 1 connected\n").ok());
  CHECK(!ParseStoredView(a + " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 9-3\n").ok());
  CHECK(!ParseStoredView(a + " 127.0.0.1:7000@17000 myself,master - 0 0 x connected\n").ok());
  CHECK(!ParseStoredView(a + " 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 16384\n").ok());
}

TEST_CASE("cluster state: migration markers and replicas survive a save and reload") {
  TempDir dir;
  const std::string a = cluster::NodeIdFromSeed("a"), b = cluster::NodeIdFromSeed("b"),
                    c = cluster::NodeIdFromSeed("c");
  std::string text = a + " 127.0.0.1:7400@17400 myself,master - 0 0 1 connected 0-8000 [100->-" +
                     b + "] [9000-<-" + b + "]\n" + b +
                     " 127.0.0.1:7401@17401 master - 0 0 2 connected 8001-16383\n" + c +
                     " 127.0.0.1:7402@17402 slave " + a +
                     " 0 0 1 connected\nvars currentEpoch 2 lastVoteEpoch 0\n";
  {
    std::ofstream out(dir.File("nodes.conf"));
    out << text;
  }
  ClusterStateOptions o;
  o.dir = dir.path();
  auto s = ClusterState::Open(o);
  REQUIRE(s.ok());
  const ClusterState& st = *s.value();
  CHECK(st.my_id() == a);
  CHECK(st.map()->StateOf(100).migrating_to == 1);
  CHECK(st.map()->StateOf(9000).importing_from == 1);
  CHECK(st.map()->node(2).role == cluster::NodeRole::kReplica);
  CHECK(st.StoredText() == text);
  REQUIRE(st.Save().ok());
  CHECK(ReadAll(dir.File("nodes.conf")) == text);
}

}  // namespace slotproxy::server
