// PUBSUB SHARDNUMSUB split by the node owning each channel's slot (session/fanout.h) and merged
// back into the client's order (session/merge.h, MergeKind::kMgetConcat).
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "cluster/crc16.h"
#include "resp/encoder.h"
#include "resp/request_parser.h"
#include "session/fanout.h"
#include "session/merge.h"

namespace slotproxy::session {
namespace {

// Three nodes owning the slots in thirds, as `redis-cli --cluster create` splits them; slots
// at or past `unserved_from` have no owner.
cluster::NodeIndex ThreeNodes(uint16_t slot, uint16_t unserved_from = cluster::kSlotCount) {
  if (slot >= unserved_from) return cluster::kNoNode;
  return static_cast<cluster::NodeIndex>(slot / 5462);
}

// What a node answers to "PUBSUB SHARDNUMSUB <its channels>" given every channel's count.
std::string NodeReply(std::span<const std::string_view> args, const SubCommand& sub,
                      const std::map<std::string, int64_t>& counts) {
  std::string out;
  resp::Encoder enc(&out, resp::Protocol::kResp2);
  enc.ArrayHeader(2 * sub.key_positions.size());
  for (int32_t pos : sub.key_positions) {
    const std::string name(args[pos]);
    enc.Bulk(name);
    enc.Integer(counts.contains(name) ? counts.at(name) : 0);
  }
  return out;
}

// What one standalone Redis 7.0 holding every channel answers (an array in RESP3 too).
std::string StandaloneReply(std::span<const std::string_view> args,
                            const std::map<std::string, int64_t>& counts, resp::Protocol protocol) {
  std::string out;
  resp::Encoder enc(&out, protocol);
  enc.ArrayHeader(2 * (args.size() - 2));
  for (size_t i = 2; i < args.size(); ++i) {
    const std::string name(args[i]);
    enc.Bulk(name);
    enc.Integer(counts.contains(name) ? counts.at(name) : 0);
  }
  return out;
}

// Plans, answers every sub-command as its node would, and merges as the session does.
std::string Through(const std::vector<std::string>& command,
                    const std::map<std::string, int64_t>& counts, resp::Protocol protocol,
                    size_t* subs = nullptr) {
  const std::vector<std::string_view> args(command.begin(), command.end());
  SplitPlan plan;
  PlanShardNumSub(
      args, [](uint16_t slot) { return ThreeNodes(slot); }, &plan);
  std::vector<std::string> replies;
  for (const SubCommand& sub : plan.subs) replies.push_back(NodeReply(args, sub, counts));
  if (subs != nullptr) *subs = plan.subs.size();
  const std::vector<std::string_view> views(replies.begin(), replies.end());
  std::string out;
  resp::Encoder enc(&out, protocol);
  if (plan.subs.empty()) {
    enc.ArrayHeader(0);  // no channel: the session answers itself, as a node would
  } else {
    MergeReplies(command::MergeKind::kMgetConcat, views, plan.key_order, enc);
  }
  return out;
}

TEST_CASE("SHARDNUMSUB answers in the client's order across nodes", "[shardnumsub]") {
  // "a" (slot 15495) and "b" (3300) and "c" (7365) sit on three different nodes.
  REQUIRE(ThreeNodes(cluster::KeySlot("a")) == 2);
  REQUIRE(ThreeNodes(cluster::KeySlot("b")) == 0);
  REQUIRE(ThreeNodes(cluster::KeySlot("c")) == 1);
  const std::map<std::string, int64_t> counts = {{"a", 2}, {"c", 1}, {"{a}x", 7}};
  size_t subs = 0;
  CHECK(Through({"PUBSUB", "SHARDNUMSUB", "a", "b", "c", "{a}x", "nosuch", "a"}, counts,
                resp::Protocol::kResp2, &subs) ==
        "*12\r\n$1\r\na\r\n:2\r\n$1\r\nb\r\n:0\r\n$1\r\nc\r\n:1\r\n$4\r\n{a}x\r\n:7\r\n"
        "$6\r\nnosuch\r\n:0\r\n$1\r\na\r\n:2\r\n");
  CHECK(subs == 3);
  // RESP3: still a flat array, as Redis 7.0 writes it (not a map).
  const std::vector<std::string> one = {"pubsub", "shardnumsub", "c"};
  CHECK(Through(one, counts, resp::Protocol::kResp3) == "*2\r\n$1\r\nc\r\n:1\r\n");
}

TEST_CASE("SHARDNUMSUB merge equals a standalone node's reply", "[shardnumsub]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::string> command = {"PUBSUB", "SHARDNUMSUB"};
    std::map<std::string, int64_t> counts;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      // Repeats and hash tags included: a name may come back several times.
      std::string name =
          rng() % 4 == 0 ? "{tag}" + std::to_string(rng() % 5) : "ch:" + std::to_string(rng() % 30);
      if (rng() % 2 == 0) counts[name] = static_cast<int64_t>(rng() % 100);
      command.push_back(std::move(name));
    }
    const std::vector<std::string_view> args(command.begin(), command.end());
    for (resp::Protocol protocol : {resp::Protocol::kResp2, resp::Protocol::kResp3}) {
      INFO("round " << round);
      CHECK(Through(command, counts, protocol) == StandaloneReply(args, counts, protocol));
    }
  }
}

TEST_CASE("SHARDNUMSUB plan: one sub-command per node, unserved slots grouped", "[shardnumsub]") {
  const std::vector<std::string> command = {"PUBSUB", "SHARDNUMSUB", "b", "a", "{b}1", "c", "a"};
  const std::vector<std::string_view> args(command.begin(), command.end());
  SplitPlan plan;
  // Slots from 10000 on are not served: "a" (15495) has no owner, "c" (7365) does.
  PlanShardNumSub(
      args, [](uint16_t slot) { return ThreeNodes(slot, 10000); }, &plan);
  REQUIRE(plan.subs.size() == 3);
  CHECK(plan.subs[0].slot == cluster::KeySlot("b"));
  CHECK(std::vector<int32_t>(plan.subs[0].key_positions.begin(),
                             plan.subs[0].key_positions.end()) == std::vector<int32_t>{2, 4});
  CHECK(plan.subs[1].slot == cluster::KeySlot("a"));
  CHECK(std::vector<int32_t>(plan.subs[1].key_positions.begin(),
                             plan.subs[1].key_positions.end()) == std::vector<int32_t>{3, 6});
  CHECK(plan.subs[2].slot == cluster::KeySlot("c"));
  REQUIRE(plan.key_order.size() == 10);
  // Channel 2 ("{b}1") is the second of sub 0: elements 2 and 3 of that node's reply.
  CHECK(plan.key_order[4].sub == 0);
  CHECK(plan.key_order[4].index == 2);
  CHECK(plan.key_order[5].index == 3);
  // The encoded sub-command keeps the client's spelling of PUBSUB SHARDNUMSUB.
  std::string wire;
  EncodeShardNumSub(args, plan.subs[1], &wire);
  CHECK(wire == "*4\r\n$6\r\nPUBSUB\r\n$11\r\nSHARDNUMSUB\r\n$1\r\na\r\n$1\r\na\r\n");

  // No channel: nothing to send (the session answers an empty array itself).
  const std::vector<std::string_view> bare = {"pubsub", "shardnumsub"};
  PlanShardNumSub(
      bare, [](uint16_t) { return cluster::NodeIndex{0}; }, &plan);
  CHECK(plan.subs.empty());
  CHECK(plan.key_order.empty());
}

TEST_CASE("SHARDNUMSUB: a failed node's error is the reply", "[shardnumsub]") {
  const std::vector<std::string_view> replies = {"*2\r\n$1\r\nb\r\n:0\r\n",
                                                 "-CLUSTERDOWN Hash slot not served\r\n"};
  const std::vector<KeySource> sources = {{1, 0}, {1, 1}, {0, 0}, {0, 1}};
  std::string out;
  resp::Encoder enc(&out, resp::Protocol::kResp2);
  MergeReplies(command::MergeKind::kMgetConcat, replies, sources, enc);
  CHECK(out == "-CLUSTERDOWN Hash slot not served\r\n");
}

}  // namespace
}  // namespace slotproxy::session
