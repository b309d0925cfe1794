#include "cluster/cluster_nodes.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace slotproxy::cluster {
namespace {

const std::string kId0 = "83224ee7c0b3c3a7c38f37a1a9e5de4c5d6b8160";
const std::string kId2 = "3a450256f7d5e40bd0e7a4f0c6ad2cba8e1bbbbb";
const std::string kId5 = "bc62406c1fa0c5fb7d5ac7e1e7f8b4d2c3e4f318";

Node MakeNode(const std::string& id, uint16_t port, std::string hostname = "") {
  Node node;
  node.id = id;
  node.host = "127.0.0.1";
  node.port = port;
  node.hostname = std::move(hostname);
  return node;
}

// The lines captured in the protocol notes (section 2), rebuilt from a map.
TEST_CASE("ClusterNodesText writes Redis's line format") {
  SlotMapBuilder b;
  const NodeIndex n0 = b.AddNode(MakeNode(kId0, 7400)).value();
  const NodeIndex n2 = b.AddNode(MakeNode(kId2, 7402)).value();
  const NodeIndex n5 = b.AddNode(MakeNode(kId5, 7405)).value();
  REQUIRE(b.AssignSlots({0, 5460}, n0).ok());
  REQUIRE(b.AssignSlots({10923, 16383}, n2).ok());
  REQUIRE(b.SetReplicaOf(n5, n0).ok());
  SlotMapPtr map = b.Build();
  std::vector<NodeRuntime> runtime(3);
  runtime[n0] = {0, 1, 0, 1795235150000, true};
  runtime[n2] = {17402, 3, 0, 1795235181000, false};
  runtime[n5] = {0, 99, 0, 1795235150348, true};  // its own epoch is not shown
  CHECK(ClusterNodesText(*map, n0, runtime) ==
        kId0 + " 127.0.0.1:7400@17400 myself,master - 0 1795235150000 1 connected 0-5460\n" + kId2 +
            " 127.0.0.1:7402@17402 master - 0 1795235181000 3 disconnected 10923-16383\n" + kId5 +
            " 127.0.0.1:7405@17405 slave " + kId0 + " 0 1795235150348 1 connected\n");

  // Seen from the replica: the myself flag moves, links of myself are always connected.
  const std::string from_replica = ClusterNodesText(*map, n5, runtime);
  CHECK(from_replica.find(kId5 + " 127.0.0.1:7405@17405 myself,slave " + kId0) !=
        std::string::npos);
  CHECK(from_replica.find("myself,master") == std::string::npos);
}

TEST_CASE("ClusterNodesText: hostname, single slots, failed nodes, migration markers") {
  SlotMapBuilder b;
  const NodeIndex n0 = b.AddNode(MakeNode(kId0, 7400, "node0.example")).value();
  const NodeIndex n2 = b.AddNode(MakeNode(kId2, 7402)).value();
  REQUIRE(b.AssignSlots({2, 5460}, n0).ok());
  REQUIRE(b.AssignSlots({15495, 15495}, n0).ok());
  REQUIRE(b.AssignSlots({10923, 15494}, n2).ok());
  REQUIRE(b.AssignSlots({15496, 16383}, n2).ok());
  b.node(n0).health = NodeHealth::kFail;
  REQUIRE(b.SetMigrating(16000, n0).ok());
  REQUIRE(b.SetImporting(3, n0).ok());
  SlotMapPtr map = b.Build();
  std::vector<NodeRuntime> runtime(1);  // n2 gets the defaults
  runtime[n0].config_epoch = 7;
  const std::string text = ClusterNodesText(*map, n2, runtime);
  CHECK(text == kId0 + " 127.0.0.1:7400@17400,node0.example master,fail - 0 0 7 connected " +
                    "2-5460 15495\n" + kId2 +
                    " 127.0.0.1:7402@17402 myself,master - 0 0 0 connected 10923-15494 " +
                    "15496-16383 [3-<-" + kId0 + "] [16000->-" + kId0 + "]\n");
  // Without a myself node, no line carries markers.
  CHECK(ClusterNodesText(*map, kNoNode, {}).find('[') == std::string::npos);
}

}  // namespace
}  // namespace slotproxy::cluster
