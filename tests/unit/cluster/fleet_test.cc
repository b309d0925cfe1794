#include "cluster/fleet.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "redis_process.h"

namespace slotproxy::cluster {
namespace {

// Every split must be contiguous, start at 0, end at 16383, and give each node at least 1 slot.
void CheckPartition(const std::vector<SlotRange>& ranges, size_t masters) {
  REQUIRE(ranges.size() == masters);
  CHECK(ranges.front().start == 0);
  CHECK(ranges.back().end == kSlotCount - 1);
  size_t smallest = kSlotCount;
  size_t largest = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    REQUIRE(ranges[i].start <= ranges[i].end);
    if (i > 0) REQUIRE(ranges[i].start == ranges[i - 1].end + 1);
    smallest = std::min(smallest, ranges[i].size());
    largest = std::max(largest, ranges[i].size());
  }
  CHECK(largest - smallest <= 2);  // "evenly"
}

TEST_CASE("SplitSlotsEvenly partitions the slots for every node count") {
  for (size_t n = 1; n <= 600; ++n) {
    INFO("masters: " << n);
    Result<std::vector<SlotRange>> split = SplitSlotsEvenly(n);
    REQUIRE(split.ok());
    CheckPartition(split.value(), n);
  }
  for (size_t n : {1000, 4096, 8191, 8192, 10000, 16383, 16384}) {
    INFO("masters: " << n);
    Result<std::vector<SlotRange>> split = SplitSlotsEvenly(n);
    REQUIRE(split.ok());
    CheckPartition(split.value(), n);
  }
  CHECK_FALSE(SplitSlotsEvenly(0).ok());
  CHECK_FALSE(SplitSlotsEvenly(16385).ok());
  // The well-known redis-cli layout for three masters.
  CHECK(SplitSlotsEvenly(3).value() ==
        std::vector<SlotRange>{{0, 5460}, {5461, 10922}, {10923, 16383}});
  // Captured from redis-cli 7.0.15 `--cluster create` over 78 nodes, the smallest count where
  // float (redis-cli) and double arithmetic disagree: Master[67] -> Slots 14073 - 14283.
  CHECK(SplitSlotsEvenly(78).value()[67] == SlotRange{14073, 14283});
  CHECK(SplitSlotsEvenly(78).value()[68] == SlotRange{14284, 14493});
}

// The "Master[i] -> Slots a - b" lines redis-cli prints before asking for confirmation.
std::vector<SlotRange> RedisCliSplit(const std::vector<uint16_t>& ports) {
  std::string command = "timeout 30 redis-cli --cluster create";
  for (uint16_t port : ports) command += " 127.0.0.1:" + std::to_string(port);
  const std::string output = testing::RunShell(command, "no\n");
  std::vector<SlotRange> ranges;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t at = line.find("Master[");
    unsigned index, first, last;
    if (at == std::string::npos ||
        std::sscanf(line.c_str() + at, "Master[%u] -> Slots %u - %u", &index, &first, &last) != 3) {
      continue;
    }
    ranges.push_back({static_cast<uint16_t>(first), static_cast<uint16_t>(last)});
  }
  INFO("redis-cli said: " << output);
  CHECK(ranges.size() == ports.size());
  return ranges;
}

TEST_CASE("SplitSlotsEvenly matches redis-cli --cluster create") {
  constexpr size_t kMaxMasters = 7;
  std::vector<std::unique_ptr<testing::RedisProcess>> servers;
  std::vector<uint16_t> ports;
  for (size_t i = 0; i < kMaxMasters; ++i) {
    std::string error;
    servers.push_back(testing::RedisProcess::Start(&error));
    REQUIRE(servers.back() != nullptr);
    ports.push_back(servers.back()->port());
  }
  // redis-cli needs at least 3 masters; answering "no" leaves the servers untouched.
  for (size_t n = 3; n <= kMaxMasters; ++n) {
    INFO("masters: " << n);
    std::vector<uint16_t> some(ports.begin(), ports.begin() + static_cast<long>(n));
    CHECK(SplitSlotsEvenly(n).value() == RedisCliSplit(some));
  }
}

TEST_CASE("NodeIdFromSeed is deterministic 40-hex") {
  const std::string id = NodeIdFromSeed("shard:0");
  CHECK(id.size() == kNodeIdLength);
  CHECK(IsValidNodeId(id));
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(NodeIdFromSeed("shard:0") == id);
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.insert(NodeIdFromSeed("shard:" + std::to_string(i)));
  CHECK(ids.size() == 10000);
  CHECK(NodeIdFromSeed("").size() == kNodeIdLength);
}

TEST_CASE("IsValidNodeId") {
  CHECK(IsValidNodeId(std::string(40, 'a')));
  CHECK(IsValidNodeId("83224EE7" + std::string(32, '0')));
  CHECK_FALSE(IsValidNodeId(std::string(39, 'a')));
  CHECK_FALSE(IsValidNodeId(std::string(41, 'a')));
  CHECK_FALSE(IsValidNodeId(std::string(39, 'a') + "g"));
  CHECK_FALSE(IsValidNodeId(""));
}

TEST_CASE("MakeEvenFleet and SlotMapFromFleet give the ownership arrays") {
  const std::vector<uint16_t> ports = {7000, 7001, 7002};
  Result<std::vector<FleetNode>> fleet = MakeEvenFleet("127.0.0.1", ports, "test");
  REQUIRE(fleet.ok());
  REQUIRE(fleet.value().size() == 3);
  CHECK(fleet.value()[1].port == 7001);
  CHECK(fleet.value()[1].id == NodeIdFromSeed("test:1"));
  CHECK(fleet.value()[2].slots == std::vector<SlotRange>{{10923, 16383}});
  CHECK(ValidateFleet(fleet.value()).ok());

  Result<SlotMapPtr> map = SlotMapFromFleet(fleet.value(), 4);
  REQUIRE(map.ok());
  const SlotMap& m = *map.value();
  CHECK(m.version() == 4);
  CHECK(m.FullyCovered());
  CHECK(m.node_count() == 3);
  for (int slot = 0; slot < kSlotCount; ++slot) {
    const NodeIndex expected = slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2;
    REQUIRE(m.owners()[static_cast<size_t>(slot)] == expected);
  }
  CHECK(m.node(2).id == fleet.value()[2].id);
  CHECK_FALSE(MakeEvenFleet("h", std::vector<uint16_t>{}, "x").ok());
}

TEST_CASE("ValidateFleet names the broken node") {
  auto fleet = MakeEvenFleet("127.0.0.1", std::vector<uint16_t>{7000, 7001}, "v").value();
  SECTION("bad id") {
    fleet[1].id = "xyz";
    CHECK(ValidateFleet(fleet).message() ==
          "fleet node 1 (127.0.0.1:7001): id 'xyz' is not 40 hex characters");
  }
  SECTION("duplicate id") {
    fleet[1].id = fleet[0].id;
    CHECK(ValidateFleet(fleet).message().find("appears twice") != std::string::npos);
  }
  SECTION("duplicate address") {
    fleet[1].port = 7000;
    CHECK(ValidateFleet(fleet).message().find("appears twice") != std::string::npos);
  }
  SECTION("empty host") {
    fleet[0].host.clear();
    CHECK(ValidateFleet(fleet).message() == "fleet node 0 (:7000): empty host");
  }
  SECTION("port 0") {
    fleet[0].port = 0;
    CHECK_FALSE(ValidateFleet(fleet).ok());
  }
  SECTION("overlap") {
    fleet[1].slots.push_back({100, 100});
    CHECK(ValidateFleet(fleet).message() ==
          "fleet node 1 (127.0.0.1:7001): slot 100 assigned to both 127.0.0.1:7000 and "
          "127.0.0.1:7001");
  }
  SECTION("bad range") {
    fleet[1].slots = {{9000, 8000}};
    CHECK(ValidateFleet(fleet).message() ==
          "fleet node 1 (127.0.0.1:7001): invalid slot range 9000-8000");
  }
  SECTION("gaps are allowed") {
    fleet[1].slots.clear();
    CHECK(ValidateFleet(fleet).ok());
    CHECK_FALSE(SlotMapFromFleet(fleet, 1).value()->FullyCovered());
  }
}

}  // namespace
}  // namespace slotproxy::cluster
