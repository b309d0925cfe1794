#include "resp/reply_parser.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace slotproxy::resp {
namespace {

struct Case {
  std::string bytes;
  ValueType type;
  ErrorKind error_kind = ErrorKind::kNone;
  bool has_attribute = false;
};

// One well-formed reply of every type, RESP2 and RESP3, flat and nested.
std::vector<Case> AllTypes() {
  return {
      {"+OK\r\n", ValueType::kSimpleString},
      {"+\r\n", ValueType::kSimpleString},
      {"-ERR unknown command 'x'\r\n", ValueType::kError, ErrorKind::kOther},
      {"-MOVED 12182 127.0.0.1:7402\r\n", ValueType::kError, ErrorKind::kMoved},
      {"-ASK 15495 127.0.0.1:7400\r\n", ValueType::kError, ErrorKind::kAsk},
      {"-TRYAGAIN Multiple keys request during rehashing of slot\r\n", ValueType::kError,
       ErrorKind::kTryAgain},
      {"-CLUSTERDOWN Hash slot not served\r\n", ValueType::kError, ErrorKind::kClusterDown},
      {":0\r\n", ValueType::kInteger},
      {":-9223372036854775808\r\n", ValueType::kInteger},
      {":9223372036854775807\r\n", ValueType::kInteger},
      {"$0\r\n\r\n", ValueType::kBulkString},
      {"$5\r\nhello\r\n", ValueType::kBulkString},
      {"$4\r\n\r\n\r\n\r\n", ValueType::kBulkString},  // payload of CRLFs is not scanned
      {"$-1\r\n", ValueType::kNull},
      {"$-01\r\n", ValueType::kNull},           // lenient number spellings, as hiredis
      {"$-0\r\n\r\n", ValueType::kBulkString},  // (found by the fuzzer: fast/slow agree)
      {"*-0\r\n", ValueType::kArray},
      {"*-1\r\n", ValueType::kNull},
      {"*0\r\n", ValueType::kArray},
      {"*2\r\n$3\r\nfoo\r\n$-1\r\n", ValueType::kArray},
      {"*3\r\n:1\r\n+two\r\n-ERR three\r\n", ValueType::kArray},
      {"_\r\n", ValueType::kNull},
      {",3.141\r\n", ValueType::kDouble},
      {",inf\r\n", ValueType::kDouble},
      {",-inf\r\n", ValueType::kDouble},
      {",nan\r\n", ValueType::kDouble},
      {",1e+300\r\n", ValueType::kDouble},
      {",-0\r\n", ValueType::kDouble},
      {"#t\r\n", ValueType::kBoolean},
      {"#f\r\n", ValueType::kBoolean},
      {"(1234567999999999999999999999999999999\r\n", ValueType::kBigNumber},
      {"(-12\r\n", ValueType::kBigNumber},
      {"%0\r\n", ValueType::kMap},
      {"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n", ValueType::kMap},
      {"~3\r\n:0\r\n:1\r\n:2\r\n", ValueType::kSet},
      {"=29\r\ntxt:This is a verbatim\nstring\r\n", ValueType::kVerbatim},
      {"=4\r\nmkd:\r\n", ValueType::kVerbatim},
      {"!21\r\nSYNTAX invalid syntax\r\n", ValueType::kError, ErrorKind::kOther},
      {"!25\r\nMOVED 3999 127.0.0.1:6381\r\n", ValueType::kError, ErrorKind::kMoved},
      {">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n", ValueType::kPush},
      {"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
       "$39\r\nSome real reply following the attribute\r\n",
       ValueType::kBulkString, ErrorKind::kNone, true},
      {"|0\r\n:1\r\n", ValueType::kInteger, ErrorKind::kNone, true},
      {"|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n-ASK 1 h:1\r\n", ValueType::kError, ErrorKind::kAsk,
       true},
      {"*2\r\n|1\r\n+ttl\r\n:3\r\n:1\r\n%1\r\n~1\r\n_\r\n>0\r\n", ValueType::kArray},
      {"*1\r\n*1\r\n*1\r\n*0\r\n", ValueType::kArray},
      {"*2\r\n%1\r\n$1\r\nk\r\n*2\r\n,1.5\r\n(7\r\n=5\r\ntxt:a\r\n", ValueType::kArray},
      {"$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n", ValueType::kBulkString},
      {"$?\r\n;0\r\n", ValueType::kBulkString},
      {"*?\r\n:1\r\n$1\r\na\r\n.\r\n", ValueType::kArray},
      {"%?\r\n+a\r\n:1\r\n.\r\n", ValueType::kMap},
      {"~?\r\n.\r\n", ValueType::kSet},
      {"*2\r\n*?\r\n*?\r\n.\r\n.\r\n$?\r\n;1\r\n.\r\n;0\r\n", ValueType::kArray},
      {"*?\r\n|1\r\n+a\r\n+b\r\n:1\r\n.\r\n", ValueType::kArray},
      {"*1\r\n|1\r\n+k\r\n+v\r\n", ValueType::kArray},  // attribute that annotates nothing yet
  };
}

// Feeds `bytes` growing by the given chunk sizes (the rest at the end) to one parser.
ReplyStatus FeedInChunks(ReplyParser& parser, std::string_view bytes, size_t first_cut) {
  ReplyStatus status = parser.Parse(bytes.substr(0, first_cut));
  if (status != ReplyStatus::kNeedMore) return status;
  return parser.Parse(bytes);
}

}  // namespace

TEST_CASE("ReplyParser frames one reply of every type exactly") {
  for (const Case& c : AllTypes()) {
    // The last case is an incomplete array: the attribute inside still awaits its value.
    if (c.bytes == "*1\r\n|1\r\n+k\r\n+v\r\n") continue;
    INFO(c.bytes);
    ReplyParser parser;
    std::string stream = c.bytes + "+NEXT\r\n";
    REQUIRE(parser.Parse(stream) == ReplyStatus::kComplete);
    CHECK(parser.info().length == c.bytes.size());
    CHECK(parser.info().type == c.type);
    CHECK(parser.info().error_kind == c.error_kind);
    CHECK(parser.info().has_attribute == c.has_attribute);
    // Ready for the next reply.
    REQUIRE(parser.Parse(std::string_view(stream).substr(c.bytes.size())) ==
            ReplyStatus::kComplete);
    CHECK(parser.info().length == 7);
  }
}

TEST_CASE("ReplyParser: an attribute counts as no element of its parent") {
  ReplyParser parser;
  CHECK(parser.Parse("*1\r\n|1\r\n+k\r\n+v\r\n") == ReplyStatus::kNeedMore);
  CHECK(parser.Parse("*1\r\n|1\r\n+k\r\n+v\r\n:5\r\n") == ReplyStatus::kComplete);
  CHECK(parser.info().length == 20);
  CHECK(parser.info().type == ValueType::kArray);
  CHECK_FALSE(parser.info().has_attribute);
}

TEST_CASE("ReplyParser gives the same span for every split offset and byte by byte") {
  for (const Case& c : AllTypes()) {
    std::string bytes = c.bytes;
    if (bytes == "*1\r\n|1\r\n+k\r\n+v\r\n") bytes += ":5\r\n";
    INFO(bytes);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      ReplyParser parser;
      REQUIRE(FeedInChunks(parser, bytes, cut) == ReplyStatus::kComplete);
      CHECK(parser.info().length == bytes.size());
      CHECK(parser.info().type == c.type);
      CHECK(parser.info().error_kind == c.error_kind);
    }
    ReplyParser parser;
    for (size_t have = 0; have < bytes.size(); ++have) {
      REQUIRE(parser.Parse(std::string_view(bytes).substr(0, have)) == ReplyStatus::kNeedMore);
    }
    REQUIRE(parser.Parse(bytes) == ReplyStatus::kComplete);
    CHECK(parser.info().length == bytes.size());
    CHECK(parser.info().type == c.type);
  }
}

TEST_CASE("ReplyParser keeps progress when the buffer moves between calls") {
  std::string bytes = "*2\r\n$5\r\nhello\r\n%1\r\n+a\r\n:1\r\n";
  ReplyParser parser;
  for (size_t have = 1; have < bytes.size(); ++have) {
    std::string copy = bytes.substr(0, have);  // a fresh allocation each time
    REQUIRE(parser.Parse(copy) == ReplyStatus::kNeedMore);
  }
  std::string full = bytes;
  REQUIRE(parser.Parse(full) == ReplyStatus::kComplete);
  CHECK(parser.info().length == bytes.size());
}

TEST_CASE("ReplyParser does not rescan bytes it has already walked") {
  // The contract is that callers resend the same bytes; overwriting the walked part with
  // garbage shows the parser does not look at it again.
  ReplyParser parser;
  std::string bytes = "*2\r\n$3\r\nfoo\r\n";
  REQUIRE(parser.Parse(bytes) == ReplyStatus::kNeedMore);
  std::string more = std::string(bytes.size(), '\n') + "$3\r\nbar\r\n";
  REQUIRE(parser.Parse(more) == ReplyStatus::kComplete);
  CHECK(parser.info().length == more.size());

  // A long line is searched for its newline only once.
  std::string line = "+" + std::string(1000, 'a');
  REQUIRE(parser.Parse(line) == ReplyStatus::kNeedMore);
  std::string later = "+" + std::string(1000, '\n') + "b\r\n";
  REQUIRE(parser.Parse(later) == ReplyStatus::kComplete);
  CHECK(parser.info().length == later.size());
  CHECK(parser.info().type == ValueType::kSimpleString);
}

TEST_CASE("ReplyParser skips a large bulk by length, arriving in pieces") {
  const size_t payload = 8 * 1024 * 1024;
  std::string bytes = "$" + std::to_string(payload) + "\r\n";
  bytes.append(payload, '\n');  // a scanning parser would trip over these
  bytes += "\r\n";
  ReplyParser parser;
  size_t have = 0;
  int calls = 0;
  while (have < bytes.size()) {
    have = std::min(bytes.size(), have + 65536);
    ReplyStatus status = parser.Parse(std::string_view(bytes).substr(0, have));
    ++calls;
    REQUIRE(status == (have == bytes.size() ? ReplyStatus::kComplete : ReplyStatus::kNeedMore));
  }
  CHECK(calls > 100);
  CHECK(parser.info().length == bytes.size());
  CHECK(parser.info().type == ValueType::kBulkString);
}

TEST_CASE("ReplyParser frames a pipelined stream reply by reply") {
  std::string stream;
  std::vector<size_t> lengths;
  for (const Case& c : AllTypes()) {
    if (c.bytes == "*1\r\n|1\r\n+k\r\n+v\r\n") continue;
    stream += c.bytes;
    lengths.push_back(c.bytes.size());
  }
  ReplyParser parser;
  std::string_view rest = stream;
  for (size_t length : lengths) {
    REQUIRE(parser.Parse(rest) == ReplyStatus::kComplete);
    CHECK(parser.info().length == length);
    rest.remove_prefix(parser.info().length);
  }
  CHECK(rest.empty());
  CHECK(parser.Parse(rest) == ReplyStatus::kNeedMore);
}

TEST_CASE("ReplyParser reports where the error message is") {
  ReplyParser parser;
  std::string reply = "-MOVED 12182 127.0.0.1:7402\r\n";
  REQUIRE(parser.Parse(reply) == ReplyStatus::kComplete);
  CHECK(parser.info().Message(reply) == "MOVED 12182 127.0.0.1:7402");

  reply = "|1\r\n+a\r\n+b\r\n!8\r\nTRYAGAIN\r\n";
  REQUIRE(parser.Parse(reply) == ReplyStatus::kComplete);
  CHECK(parser.info().Message(reply) == "TRYAGAIN");
  CHECK(parser.info().error_kind == ErrorKind::kTryAgain);

  // An error nested in an aggregate (EXEC) does not make the reply an error.
  reply = "*1\r\n-MOVED 1 h:1\r\n";
  REQUIRE(parser.Parse(reply) == ReplyStatus::kComplete);
  CHECK(parser.info().type == ValueType::kArray);
  CHECK(parser.info().error_kind == ErrorKind::kNone);
}

std::string Nested(int depth) {
  std::string bytes;
  for (int i = 0; i < depth; ++i) bytes += (i % 2 == 0) ? "*1\r\n" : "%1\r\n+k\r\n";
  return bytes + ":1\r\n";
}

TEST_CASE("ReplyParser enforces the depth limit without recursion") {
  ReplyLimits limits;
  limits.max_depth = 5;
  ReplyParser parser(limits);
  REQUIRE(parser.Parse(Nested(5)) == ReplyStatus::kComplete);
  CHECK(parser.info().length == Nested(5).size());
  REQUIRE(parser.Parse(Nested(6)) == ReplyStatus::kError);
  CHECK(parser.error() == "reply nesting too deep");

  ReplyParser zero(ReplyLimits{.max_depth = 0});
  CHECK(zero.Parse("*1\r\n:1\r\n") == ReplyStatus::kError);
  zero.Reset();
  CHECK(zero.Parse("$1\r\na\r\n") == ReplyStatus::kComplete);

  // A hostile million-level nesting stops at the default limit.
  std::string deep;
  for (int i = 0; i < 1000000; ++i) deep += "*1\r\n";
  ReplyParser defaults;
  CHECK(defaults.Parse(deep) == ReplyStatus::kError);
  ReplyParser at_limit;
  CHECK(at_limit.Parse(Nested(128)) == ReplyStatus::kComplete);
}

TEST_CASE("ReplyParser rejects malformed replies") {
  struct Bad {
    std::string bytes;
    std::string reason;
  };
  std::vector<Bad> cases = {
      {"?foo\r\n", "unknown reply type byte"},
      {"x", "unknown reply type byte"},
      {"\r\n", "unknown reply type byte"},
      {"+OK\n", "reply line not terminated by CRLF"},
      {"+\n", "reply line not terminated by CRLF"},
      {"$3\r\nfooXY", "bulk payload not terminated by CRLF"},
      {"$3\r\nfoo\nX", "bulk payload not terminated by CRLF"},
      {"$abc\r\n", "invalid bulk length"},
      {"$\r\n", "invalid bulk length"},
      {"$-2\r\n", "invalid bulk length"},
      {"$ 3\r\n", "invalid bulk length"},
      {"$1x\r\n", "invalid bulk length"},
      {"$99999999999999999999\r\n", "invalid bulk length"},
      {"$1234567890123456789012345678901234", "invalid bulk length"},
      {"$536870913\r\n", "invalid bulk length"},
      {"!-1\r\n", "invalid bulk length"},
      {"=-1\r\n", "invalid bulk length"},
      {"=3\r\ntxt\r\n", "invalid verbatim string"},
      {"=5\r\ntxt-a\r\n", "invalid verbatim string"},
      {"*abc\r\n", "invalid multibulk length"},
      {"*-2\r\n", "invalid multibulk length"},
      {"%-1\r\n", "invalid multibulk length"},
      {"~-1\r\n", "invalid multibulk length"},
      {"*+1\r\n", "invalid multibulk length"},
      {"*1\r\n$x\r\n", "invalid bulk length"},
      {":abc\r\n", "invalid integer"},
      {":9223372036854775808\r\n", "invalid integer"},
      {":\r\n", "invalid integer"},
      {":1.5\r\n", "invalid integer"},
      {"_x\r\n", "invalid null"},
      {",\r\n", "invalid double"},
      {",1.2.3\r\n", "invalid double"},
      {",e5\r\n", "invalid double"},
      {",infinity\r\n", "invalid double"},
      {"#x\r\n", "invalid boolean"},
      {"#tt\r\n", "invalid boolean"},
      {"(\r\n", "invalid big number"},
      {"(12a\r\n", "invalid big number"},
      {"*2\r\n:1\r\n?\r\n", "unknown reply type byte"},
      {".\r\n", "unexpected streamed aggregate end"},
      {"*1\r\n.\r\n", "unexpected streamed aggregate end"},
      {"*?\r\n.x\r\n", "unexpected streamed aggregate end"},
      {"%?\r\n+a\r\n.\r\n", "unexpected streamed aggregate end"},
      {"*?\r\n|1\r\n+a\r\n+b\r\n.\r\n", "unexpected streamed aggregate end"},
      {"*?\r\n|0\r\n.\r\n", "unexpected streamed aggregate end"},
      {";4\r\nabcd\r\n", "invalid streamed string chunk"},
      {"$?\r\n+OK\r\n", "invalid streamed string chunk"},
      {"$?\r\n;-1\r\n", "invalid bulk length"},
      {"$?\r\n;x\r\n", "invalid bulk length"},
      {"$?\r\n;2\r\nabXY", "bulk payload not terminated by CRLF"},
      {"|?\r\n", "invalid multibulk length"},
      {">?\r\n", "invalid multibulk length"},
      {"!?\r\n", "invalid bulk length"},
  };
  for (const Bad& bad : cases) {
    INFO(bad.bytes);
    ReplyParser parser;
    REQUIRE(parser.Parse(bad.bytes) == ReplyStatus::kError);
    CHECK(parser.error() == bad.reason);
    // Sticky until Reset().
    CHECK(parser.Parse("+OK\r\n") == ReplyStatus::kError);
    parser.Reset();
    CHECK(parser.error().empty());
    CHECK(parser.Parse("+OK\r\n") == ReplyStatus::kComplete);
    // Byte by byte reaches an error too, never a complete reply.
    ReplyParser slow;
    ReplyStatus status = ReplyStatus::kNeedMore;
    for (size_t have = 1; have <= bad.bytes.size() && status == ReplyStatus::kNeedMore; ++have) {
      status = slow.Parse(std::string_view(bad.bytes).substr(0, have));
    }
    CHECK(status == ReplyStatus::kError);
  }
}

TEST_CASE("ReplyParser enforces the configured limits") {
  ReplyLimits limits;
  limits.max_bulk_length = 10;
  limits.max_aggregate_length = 3;
  limits.max_line_length = 5;
  ReplyParser parser(limits);
  CHECK(parser.Parse("$10\r\n0123456789\r\n") == ReplyStatus::kComplete);
  CHECK(parser.Parse("$11\r\n") == ReplyStatus::kError);
  parser.Reset();
  CHECK(parser.Parse("*3\r\n:1\r\n:2\r\n:3\r\n") == ReplyStatus::kComplete);
  CHECK(parser.Parse("*4\r\n") == ReplyStatus::kError);
  parser.Reset();
  CHECK(parser.Parse("%4\r\n") == ReplyStatus::kError);
  parser.Reset();
  CHECK(parser.Parse("+12345\r\n") == ReplyStatus::kComplete);
  CHECK(parser.Parse("+123456\r\n") == ReplyStatus::kError);
  CHECK(parser.error() == "reply line too long");
  // Detected before the newline arrives.
  parser.Reset();
  CHECK(parser.Parse("-12345\r") == ReplyStatus::kNeedMore);
  CHECK(parser.Parse("-123456") == ReplyStatus::kError);
  // Streamed forms are bounded by the same limits.
  parser.Reset();
  CHECK(parser.Parse("*?\r\n:1\r\n:2\r\n:3\r\n.\r\n") == ReplyStatus::kComplete);
  CHECK(parser.Parse("*?\r\n:1\r\n:2\r\n:3\r\n:4\r\n") == ReplyStatus::kError);
  parser.Reset();
  CHECK(parser.Parse("$?\r\n;6\r\n012345\r\n;4\r\n6789\r\n;0\r\n") == ReplyStatus::kComplete);
  CHECK(parser.Parse("$?\r\n;6\r\n012345\r\n;5\r\n") == ReplyStatus::kError);
  // Numeric headers cannot grow without bound either.
  ReplyParser defaults;
  CHECK(defaults.Parse("*0000000000000000000000000") == ReplyStatus::kError);
}

}  // namespace slotproxy::resp
