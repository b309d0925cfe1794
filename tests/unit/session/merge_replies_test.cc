// Merging sub-replies of split and fanned-out commands (session/merge.h).
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "resp/reply_parser.h"
#include "session/merge.h"
#include "session/scan_cursor.h"

namespace slotproxy::session {
namespace {

using command::MergeKind;

std::string Merge(MergeKind kind, std::vector<std::string_view> replies,
                  std::vector<KeySource> sources = {},
                  resp::Protocol protocol = resp::Protocol::kResp2) {
  std::string out;
  resp::Encoder encoder(&out, protocol);
  MergeReplies(kind, replies, sources, encoder);
  return out;
}

TEST_CASE("MGET values come back in the client's key order", "[merge]") {
  // Client: MGET a b c d; sub 0 carried {a, c}, sub 1 carried {d, b}.
  const std::vector<KeySource> sources = {{0, 0}, {1, 1}, {0, 1}, {1, 0}};
  CHECK(Merge(MergeKind::kMgetConcat, {"*2\r\n$1\r\nA\r\n$-1\r\n", "*2\r\n$2\r\nDD\r\n$1\r\nB\r\n"},
              sources) == "*4\r\n$1\r\nA\r\n$1\r\nB\r\n$-1\r\n$2\r\nDD\r\n");
  // Values with CRLF inside and empty values pass through byte for byte.
  CHECK(Merge(MergeKind::kMgetConcat, {"*1\r\n$4\r\na\r\nb\r\n", "*1\r\n$0\r\n\r\n"},
              {{1, 0}, {0, 0}}) == "*2\r\n$0\r\n\r\n$4\r\na\r\nb\r\n");
  // A key repeated by the client is served twice from one element.
  CHECK(Merge(MergeKind::kMgetConcat, {"*1\r\n$1\r\nx\r\n"}, {{0, 0}, {0, 0}}) ==
        "*2\r\n$1\r\nx\r\n$1\r\nx\r\n");
  // RESP3 null from a RESP3 backend passes through.
  CHECK(Merge(MergeKind::kMgetConcat, {"*1\r\n_\r\n"}, {{0, 0}}) == "*1\r\n_\r\n");
}

TEST_CASE("MGET: the first error wins, malformed sub-replies are reported", "[merge]") {
  CHECK(Merge(MergeKind::kMgetConcat,
              {"*1\r\n$1\r\nA\r\n", "-ERR node 1.2.3.4:5 is down\r\n", "-ERR second\r\n"},
              {{0, 0}, {1, 0}, {2, 0}}) == "-ERR node 1.2.3.4:5 is down\r\n");
  CHECK(Merge(MergeKind::kMgetConcat, {":1\r\n"}, {{0, 0}})
            .starts_with("-ERR slotproxy: unexpected reply from shard: "));
  // Fewer values than keys, truncated and trailing bytes.
  CHECK(Merge(MergeKind::kMgetConcat, {"*1\r\n$1\r\nA\r\n"}, {{0, 0}, {0, 1}}).starts_with("-ERR"));
  CHECK(Merge(MergeKind::kMgetConcat, {"*2\r\n$1\r\nA\r\n"}, {{0, 0}}).starts_with("-ERR"));
  CHECK(Merge(MergeKind::kMgetConcat, {"*1\r\n$1\r\nA\r\nX"}, {{0, 0}}).starts_with("-ERR"));
  CHECK(Merge(MergeKind::kMgetConcat, {"*1\r\n$1\r\nA\r\n"}, {{3, 0}}).starts_with("-ERR"));
  // A hostile count cannot make us reserve memory it does not back with bytes.
  CHECK(Merge(MergeKind::kMgetConcat, {"*999999999999\r\n"}, {{0, 0}}).starts_with("-ERR"));
}

TEST_CASE("all-ok merge: first error or the shared reply", "[merge]") {
  CHECK(Merge(MergeKind::kAllOk, {"+OK\r\n", "+OK\r\n", "+OK\r\n"}) == "+OK\r\n");
  CHECK(Merge(MergeKind::kAllOk, {"+OK\r\n", "-OOM command not allowed\r\n", "-ERR x\r\n"}) ==
        "-OOM command not allowed\r\n");
}

TEST_CASE("sum merge adds integers, errors and overflow are reported", "[merge]") {
  CHECK(Merge(MergeKind::kSum, {":1\r\n", ":0\r\n", ":41\r\n"}) == ":42\r\n");
  CHECK(Merge(MergeKind::kSum, {":-5\r\n", ":2\r\n"}) == ":-3\r\n");
  CHECK(Merge(MergeKind::kSum, {":1\r\n", "-ERR down\r\n"}) == "-ERR down\r\n");
  CHECK(Merge(MergeKind::kSum, {":9223372036854775807\r\n", ":1\r\n"}).starts_with("-ERR"));
  CHECK(Merge(MergeKind::kSum, {"$1\r\n1\r\n"}).starts_with("-ERR"));
  CHECK(Merge(MergeKind::kSum, {":1x\r\n"}).starts_with("-ERR"));
}

TEST_CASE("concat merge joins arrays in sub-request order", "[merge]") {
  CHECK(Merge(MergeKind::kConcat,
              {"*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*0\r\n", "*-1\r\n", "*1\r\n$1\r\nc\r\n"}) ==
        "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  CHECK(Merge(MergeKind::kConcat, {"*0\r\n", "-ERR boom\r\n"}) == "-ERR boom\r\n");
  CHECK(Merge(MergeKind::kConcat, {"+OK\r\n"}).starts_with("-ERR slotproxy"));
}

TEST_CASE("randomkey merge: first non-null, null when all empty", "[merge]") {
  CHECK(Merge(MergeKind::kRandomKey, {"$-1\r\n", "$3\r\nkey\r\n", "$1\r\nz\r\n"}) ==
        "$3\r\nkey\r\n");
  CHECK(Merge(MergeKind::kRandomKey, {"$-1\r\n", "$-1\r\n"}) == "$-1\r\n");
  CHECK(Merge(MergeKind::kRandomKey, {"$-1\r\n"}, {}, resp::Protocol::kResp3) == "_\r\n");
  CHECK(Merge(MergeKind::kRandomKey, {"$1\r\nk\r\n", "-ERR down\r\n"}) == "-ERR down\r\n");
}

TEST_CASE("logical-and, one-succeeded and min merges", "[merge]") {
  CHECK(Merge(MergeKind::kLogicalAnd, {"*3\r\n:1\r\n:1\r\n:0\r\n", "*3\r\n:1\r\n:0\r\n:1\r\n"}) ==
        "*3\r\n:1\r\n:0\r\n:0\r\n");
  CHECK(Merge(MergeKind::kLogicalAnd, {"*1\r\n:1\r\n", "*2\r\n:1\r\n:1\r\n"}).starts_with("-ERR"));
  CHECK(Merge(MergeKind::kLogicalAnd, {"*1\r\n$1\r\n1\r\n"}).starts_with("-ERR"));
  CHECK(Merge(MergeKind::kOneSucceeded,
              {"-NOTBUSY No scripts in execution right now.\r\n", "+OK\r\n"}) == "+OK\r\n");
  CHECK(Merge(MergeKind::kOneSucceeded, {"-NOTBUSY a\r\n", "-NOTBUSY b\r\n"}) == "-NOTBUSY a\r\n");
  CHECK(Merge(MergeKind::kMin, {":3\r\n", ":1\r\n", ":2\r\n"}) == ":1\r\n");
  CHECK(Merge(MergeKind::kMin, {":3\r\n", "-ERR x\r\n"}) == "-ERR x\r\n");
}

TEST_CASE("merge edge cases: no replies, kNone, kScan", "[merge]") {
  CHECK(Merge(MergeKind::kSum, {}) == "-ERR slotproxy: no shard answered\r\n");
  for (auto merge : {MergeAllOk, MergeOneSucceeded, MergeSum, MergeMin, MergeConcat, MergeRandomKey,
                     MergeLogicalAnd}) {
    std::string out;
    resp::Encoder encoder(&out, resp::Protocol::kResp2);
    merge({}, encoder);
    CHECK(out.starts_with("-ERR"));
  }
  CHECK(Merge(MergeKind::kNone, {"+PONG\r\n", "+X\r\n"}) == "+PONG\r\n");
  CHECK(Merge(MergeKind::kScan, {"*0\r\n"}).starts_with("-ERR"));
}

// Exactly one complete RESP reply, nothing after it.
bool IsOneReply(const std::string& out) {
  resp::ReplyParser parser;
  return parser.Parse(out) == resp::ReplyStatus::kComplete && parser.info().length == out.size();
}

TEST_CASE("hostile sub-replies: every merge still writes exactly one reply", "[merge]") {
  const std::vector<std::string> seeds = {"*2\r\n$1\r\nA\r\n$-1\r\n",
                                          ":12\r\n",
                                          "+OK\r\n",
                                          "-ERR x\r\n",
                                          "*-1\r\n",
                                          "*3\r\n:1\r\n:0\r\n:1\r\n",
                                          "$3\r\nkey\r\n",
                                          "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n",
                                          "_\r\n",
                                          "%1\r\n+a\r\n:1\r\n"};
  const std::string alphabet = "*$:+-_%~0123456789\r\n-?";
  std::mt19937 rng(12345);
  const MergeKind kinds[] = {
      MergeKind::kMgetConcat,   MergeKind::kAllOk,     MergeKind::kSum,
      MergeKind::kConcat,       MergeKind::kRandomKey, MergeKind::kLogicalAnd,
      MergeKind::kOneSucceeded, MergeKind::kMin,       MergeKind::kNone};
  for (int iteration = 0; iteration < 20000; ++iteration) {
    std::vector<std::string> replies;
    const size_t count = 1 + rng() % 3;
    for (size_t r = 0; r < count; ++r) {
      std::string reply = seeds[rng() % seeds.size()];
      const int edits = static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !reply.empty(); ++e) {
        const size_t pos = rng() % reply.size();
        switch (rng() % 3) {
          case 0:
            reply[pos] = alphabet[rng() % alphabet.size()];
            break;
          case 1:
            reply.erase(pos, 1 + rng() % 3);
            break;
          default:
            reply.insert(pos, 1, alphabet[rng() % alphabet.size()]);
        }
      }
      replies.push_back(reply);
    }
    std::vector<std::string_view> views(replies.begin(), replies.end());
    std::vector<KeySource> sources;
    for (int k = 0; k < 3; ++k) {
      sources.push_back({static_cast<uint32_t>(rng() % 4), static_cast<uint32_t>(rng() % 3)});
    }
    // Only whole replies reach a merge (the backend layer frames them); skip the rest.
    bool framed = true;
    for (const std::string& reply : replies) framed = framed && IsOneReply(reply);
    if (!framed) continue;
    for (MergeKind kind : kinds) {
      std::string out;
      resp::Encoder encoder(&out, resp::Protocol::kResp2);
      MergeReplies(kind, views, sources, encoder);
      INFO(replies[0]);
      REQUIRE(IsOneReply(out));
    }
    std::string out;
    resp::Encoder encoder(&out, resp::Protocol::kResp2);
    WriteScanReply(views[0], 0, 2, encoder);
    REQUIRE(IsOneReply(out));
  }
}

}  // namespace
}  // namespace slotproxy::session
