// SCAN across shards: cursor encoding, parsing as Redis does, reply rewriting (scan_cursor.h).
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "cluster/slot_map.h"
#include "resp/value.h"
#include "session/scan_cursor.h"

namespace slotproxy::session {
namespace {

std::string Reply(std::string_view shard_reply, uint32_t shard, size_t count) {
  std::string out;
  resp::Encoder encoder(&out, resp::Protocol::kResp2);
  WriteScanReply(shard_reply, shard, count, encoder);
  return out;
}

TEST_CASE("cursor parsing follows Redis's strtoul rules", "[scan]") {
  auto parse = [](std::string_view arg, size_t shards = 3) { return ParseScanCursor(arg, shards); };
  REQUIRE(parse("0").ok());
  CHECK(parse("0").value().shard == 0);
  CHECK(parse("0").value().shard_cursor == 0);
  CHECK(parse("").ok());  // strtoul("") is 0 and Redis accepts it
  CHECK(parse("+17").value().shard_cursor == 17);
  CHECK(parse(std::string_view("17\0junk", 7)).value().shard_cursor == 17);
  for (std::string_view bad : {"abc", " 1", "1 ", "+", "-", "1x", "18446744073709551616", "0x10"}) {
    INFO(bad);
    REQUIRE_FALSE(parse(bad).ok());
    CHECK(parse(bad).status().message() == "ERR invalid cursor");
  }
  // "-1" wraps to 2^64-1 (as strtoul): shard index 1023, past the shard count.
  CHECK_FALSE(parse("-1").ok());
  CHECK(ParseScanCursor("-1", kScanMaxShards).ok());
  CHECK_FALSE(ParseScanCursor("0", 0).ok());
}

TEST_CASE("cursors round-trip through the encoding", "[scan]") {
  for (ScanPosition p :
       {ScanPosition{0, 0}, ScanPosition{0, 12345}, ScanPosition{2, 0},
        ScanPosition{5, kScanMaxShardCursor}, ScanPosition{1023, (uint64_t{1} << 46) - 1}}) {
    const uint64_t cursor = EncodeScanCursor(p);
    auto parsed = ParseScanCursor(std::to_string(cursor), kScanMaxShards);
    REQUIRE(parsed.ok());
    CHECK(parsed.value().shard == p.shard);
    CHECK(parsed.value().shard_cursor == p.shard_cursor);
  }
  // Shard 0's cursors are the shard's own cursors.
  CHECK(EncodeScanCursor({0, 99}) == 99);
}

TEST_CASE("shard replies become client replies that walk every shard", "[scan]") {
  const std::string next1 = std::to_string(uint64_t{1} << kScanCursorBits);
  const std::string keys = "*2\r\n$1\r\na\r\n$1\r\nb\r\n";
  // Mid-shard: the shard cursor is carried with the shard index.
  CHECK(Reply("*2\r\n$2\r\n12\r\n" + keys, 0, 3) == "*2\r\n$2\r\n12\r\n" + keys);
  const std::string c = std::to_string(EncodeScanCursor({1, 12}));
  CHECK(Reply("*2\r\n$2\r\n12\r\n" + keys, 1, 3) ==
        "*2\r\n$" + std::to_string(c.size()) + "\r\n" + c + "\r\n" + keys);
  // Shard 0 finished: continue with shard 1 at cursor 0.
  CHECK(Reply("*2\r\n$1\r\n0\r\n*0\r\n", 0, 3) ==
        "*2\r\n$" + std::to_string(next1.size()) + "\r\n" + next1 + "\r\n*0\r\n");
  // Last shard finished: the iteration ends with 0.
  CHECK(Reply("*2\r\n$1\r\n0\r\n" + keys, 2, 3) == "*2\r\n$1\r\n0\r\n" + keys);
  // Errors pass through; malformed replies are reported.
  CHECK(Reply("-ERR down\r\n", 0, 3) == "-ERR down\r\n");
  for (std::string_view bad :
       {"*2\r\n:0\r\n*0\r\n", "*1\r\n$1\r\n0\r\n", "*2\r\n$1\r\nx\r\n*0\r\n",
        "*2\r\n$1\r\n0\r\n$1\r\na\r\n", "*2\r\n$1\r\n0\r\n*1\r\n",
        "*2\r\n$17\r\n18014398509481984\r\n*0\r\n", "*2\r\n$1\r\n0\r\n*0\r\nextra"}) {
    INFO(bad);
    CHECK(Reply(bad, 0, 3).starts_with("-ERR slotproxy: unexpected reply from shard"));
  }
}

TEST_CASE("the shard request carries the shard's own cursor and the options", "[scan]") {
  std::vector<std::string_view> args = {"SCAN", "123", "MATCH", "k*", "COUNT", "10"};
  std::string out;
  BuildShardScanRequest(args, 42, &out);
  CHECK(out ==
        "*6\r\n$4\r\nSCAN\r\n$2\r\n42\r\n$5\r\nMATCH\r\n$2\r\nk*\r\n$5\r\nCOUNT\r\n$2\r\n10\r\n");
}

TEST_CASE("shard order follows each master's first slot", "[scan]") {
  CHECK(ScanShardOrder(nullptr).empty());
  cluster::SlotMapBuilder builder;
  cluster::Node a;
  a.host = "127.0.0.1";
  a.port = 7001;
  cluster::Node b = a;
  b.port = 7002;
  cluster::Node r = a;
  r.port = 7003;
  auto ia = builder.AddNode(a).value();
  auto ib = builder.AddNode(b).value();
  auto ir = builder.AddNode(r).value();
  REQUIRE(builder.SetReplicaOf(ir, ia).ok());
  REQUIRE(builder.AssignSlots({0, 99}, ib).ok());
  REQUIRE(builder.AssignSlots({100, 16000}, ia).ok());
  REQUIRE(builder.AssignSlots({16001, 16383}, ib).ok());
  cluster::SlotMapPtr map = builder.Build();
  CHECK(ScanShardOrder(map.get()) == std::vector<cluster::NodeIndex>{ib, ia});
}

// A shard whose SCAN walks its keys 3 at a time with cursor = next index (0 when done), like a
// real server with a tiny COUNT. Answers the request bytes the proxy would send it.
std::string FakeShardScan(const std::vector<std::string>& keys, const std::string& request) {
  size_t consumed = 0;
  auto decoded = resp::DecodeValue(request, &consumed);
  REQUIRE(decoded.ok());
  REQUIRE(decoded.value().elements.size() >= 2);
  const size_t start = std::stoull(decoded.value().elements[1].str);
  const size_t end = std::min(keys.size(), start + 3);
  const std::string next = end >= keys.size() ? "0" : std::to_string(end);
  std::string reply = "*2\r\n$" + std::to_string(next.size()) + "\r\n" + next + "\r\n";
  reply += "*" + std::to_string(end > start ? end - start : 0) + "\r\n";
  for (size_t i = start; i < end; ++i) {
    reply += "$" + std::to_string(keys[i].size()) + "\r\n" + keys[i] + "\r\n";
  }
  return reply;
}

TEST_CASE("a full SCAN through the proxy visits every shard's keys once and ends with 0",
          "[scan]") {
  const std::vector<std::vector<std::string>> shards = {
      {"a1", "a2", "a3", "a4", "a5", "a6", "a7"}, {}, {"c1"}, {"d1", "d2", "d3"}};
  std::multiset<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    REQUIRE(++calls < 100);
    auto position = ParseScanCursor(cursor, shards.size());
    REQUIRE(position.ok());
    std::vector<std::string_view> args = {"SCAN", cursor, "COUNT", "3"};
    std::string request;
    BuildShardScanRequest(args, position.value().shard_cursor, &request);
    const std::string shard_reply = FakeShardScan(shards[position.value().shard], request);
    std::string client_reply;
    resp::Encoder encoder(&client_reply, resp::Protocol::kResp2);
    WriteScanReply(shard_reply, position.value().shard, shards.size(), encoder);
    size_t consumed = 0;
    auto decoded = resp::DecodeValue(client_reply, &consumed);
    REQUIRE(decoded.ok());
    REQUIRE(consumed == client_reply.size());
    REQUIRE(decoded.value().elements.size() == 2);
    cursor = decoded.value().elements[0].str;
    for (const resp::Value& key : decoded.value().elements[1].elements) seen.insert(key.str);
  } while (cursor != "0");
  std::multiset<std::string> expected;
  for (const auto& keys : shards) expected.insert(keys.begin(), keys.end());
  CHECK(seen == expected);
  // 3 + 1 + 1 + 1 shard calls: the empty shard still costs one round trip.
  CHECK(calls == 6);
}

}  // namespace
}  // namespace slotproxy::session
