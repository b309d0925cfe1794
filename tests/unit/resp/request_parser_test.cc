#include "resp/request_parser.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "resp/encoder.h"

namespace slotproxy::resp {
namespace {

using Command = std::vector<std::string>;

// What a whole stream parses into, whatever the chunking.
struct Outcome {
  std::vector<Command> commands;
  RequestError error = RequestError::kNone;
  char got = 0;
  size_t error_offset = 0;  // stream offset of the faulty command (bytes consumed before it)
  size_t unconsumed = 0;    // bytes still kept at the end (a partial command)

  bool operator==(const Outcome& o) const {
    return commands == o.commands && error == o.error && got == o.got &&
           error_offset == o.error_offset && unconsumed == o.unconsumed;
  }
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "{commands:";
  for (const Command& c : o.commands) {
    os << " [";
    for (const std::string& a : c) os << '"' << a << "\" ";
    os << ']';
  }
  return os << " error:" << RequestErrorName(o.error) << " at " << o.error_offset
            << " unconsumed:" << o.unconsumed << '}';
}

// Feeds `input` in chunks whose ends are `cuts` (ascending offsets), the way a connection
// does: append, parse until need-more, drop consumed bytes from the front.
Outcome Feed(std::string_view input, const std::vector<size_t>& cuts, RequestLimits limits = {}) {
  RequestParser parser(limits);
  Outcome out;
  std::string buffer;
  size_t stream_offset = 0;  // stream offset of buffer[0]
  size_t fed = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    buffer.append(input.substr(fed, end - fed));
    fed = end;
    for (;;) {
      ParseResult r = parser.Parse(buffer);
      if (r.consumed > buffer.size()) FAIL("consumed " << r.consumed << " > " << buffer.size());
      if (r.status == RequestStatus::kError) {
        out.error = r.error;
        out.got = r.got;
        out.error_offset = stream_offset + r.consumed;
        return out;
      }
      if (r.status == RequestStatus::kComplete) {
        REQUIRE(!r.args.empty());
        Command c;
        for (std::string_view a : r.args) c.emplace_back(a);
        out.commands.push_back(std::move(c));
      }
      buffer.erase(0, r.consumed);
      stream_offset += r.consumed;
      if (r.status == RequestStatus::kNeedMore) break;
    }
  }
  out.unconsumed = buffer.size();
  return out;
}

Outcome FeedWhole(std::string_view input, RequestLimits limits = {}) {
  return Feed(input, {}, limits);
}

// Checks that every two-piece split and the byte-by-byte feed give the one-piece outcome.
void CheckEverySplit(std::string_view input, const Outcome& expected, RequestLimits limits = {}) {
  INFO("input: " << std::string(input));
  REQUIRE(FeedWhole(input, limits) == expected);
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    INFO("cut at " << cut);
    REQUIRE(Feed(input, {cut}, limits) == expected);
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < input.size(); ++i) every.push_back(i);
  REQUIRE(Feed(input, every, limits) == expected);
}

Outcome Commands(std::vector<Command> commands, size_t unconsumed = 0) {
  Outcome o;
  o.commands = std::move(commands);
  o.unconsumed = unconsumed;
  return o;
}

Outcome Error(RequestError error, size_t offset, std::vector<Command> before = {}, char got = 0) {
  Outcome o;
  o.commands = std::move(before);
  o.error = error;
  o.error_offset = offset;
  o.got = got;
  return o;
}

TEST_CASE("multibulk commands parse at every split", "[request_parser]") {
  CheckEverySplit("*1\r\n$4\r\nPING\r\n", Commands({{"PING"}}));
  CheckEverySplit("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", Commands({{"SET", "k", ""}}));
  // Binary payloads: CR, LF and NUL inside a bulk are data.
  CheckEverySplit(std::string("*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\0b\n\r\n", 26),
                  Commands({{"ECHO", std::string("a\r\n\0b\n", 6)}}));
  // The 2 bytes after a payload are skipped unchecked; the CRLF left is a blank inline line.
  CheckEverySplit("*1\r\n$4\r\nPINGxx\r\n", Commands({{"PING"}}));
  // Redis only needs some byte after a header's '\r'.
  CheckEverySplit("*1\rx$4\rxPING\r\n", Commands({{"PING"}}));
  CheckEverySplit("*2\r\n$3\r\nGET\r\n$10\r\nkey:000123\r\n", Commands({{"GET", "key:000123"}}));
}

TEST_CASE("empty multibulks and blank lines are consumed silently", "[request_parser]") {
  CheckEverySplit("\r\n\n  \t\r\n*0\r\n*-1\r\n*-20\r\nPING\r\n", Commands({{"PING"}}));
  CheckEverySplit("\r\n\r\n", Commands({}));
  CheckEverySplit("*0\r\n", Commands({}));
}

TEST_CASE("inline commands split like sdssplitargs", "[request_parser]") {
  CheckEverySplit("PING\r\n", Commands({{"PING"}}));
  CheckEverySplit("PING\n", Commands({{"PING"}}));
  CheckEverySplit("  set  a   b \r\n", Commands({{"set", "a", "b"}}));
  CheckEverySplit("SET ik \"a\\x41\\nb\"\n", Commands({{"SET", "ik", "aA\nb"}}));
  CheckEverySplit("ECHO 'it\\'s'\r\n", Commands({{"ECHO", "it's"}}));
  CheckEverySplit("ECHO \"\" ''\r\n", Commands({{"ECHO", "", ""}}));
  CheckEverySplit("ECHO \"\\q\\\"\\\\\\t\\r\\b\\a\"\r\n", Commands({{"ECHO", "q\"\\\t\r\b\a"}}));
  CheckEverySplit("ECHO \"\\x4g\\xZZ\\x\"\r\n", Commands({{"ECHO", "x4gxZZx"}}));
  CheckEverySplit("ECHO 'a\\b\"c'\r\n", Commands({{"ECHO", "a\\b\"c"}}));
  // A quote inside an unquoted token opens a quoted part of the same token.
  CheckEverySplit("ab\"c d\" e\r\n", Commands({{"abc d", "e"}}));
  // '\v' and '\f' are skipped between tokens but do not end one; after a quote they do.
  CheckEverySplit("ECHO a\vb\r\n", Commands({{"ECHO", "a\vb"}}));
  CheckEverySplit("ECHO \"a\"\vb\r\n", Commands({{"ECHO", "a", "b"}}));
  // A '\r' inside the line ends a token; only the one before '\n' is the terminator.
  CheckEverySplit("a\rb\r\r\n", Commands({{"a", "b"}}));
  // A stray bulk header is an inline command.
  CheckEverySplit("$4\r\nPING\r\n", Commands({{"$4"}, {"PING"}}));
  CheckEverySplit("\xff\xfe x\r\n", Commands({{"\xff\xfe", "x"}}));
}

TEST_CASE("pipelines mix inline and multibulk commands", "[request_parser]") {
  CheckEverySplit(
      "PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nGET k\n\r\n*0\r\n*1\r\n$4\r\nPING\r\nx 'y'\r\n",
      Commands({{"PING"}, {"ECHO", "hi"}, {"GET", "k"}, {"PING"}, {"x", "y"}}));
  // A partial command at the end stays unconsumed.
  CheckEverySplit("PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nh", Commands({{"PING"}}, 19));
  CheckEverySplit("PING\r\nGET a", Commands({{"PING"}}, 5));
}

TEST_CASE("multibulk header errors", "[request_parser]") {
  const auto invalid = RequestError::kInvalidMultibulkLength;
  for (std::string bad : {"*abc\r\n", "*+1\r\n", "* 1\r\n", "*-0\r\n", "*01\r\n", "*1 \r\n",
                          "*3000000000\r\n", "*2147483648\r\n", "*99999999999999999999\r\n",
                          "*-9223372036854775809\r\n", "*1\n$4\r\nPING\r\n", "*\r\n"}) {
    CheckEverySplit(bad, Error(invalid, 0));
  }
  // INT_MAX itself is accepted, and then its elements are awaited.
  CheckEverySplit("*2147483647\r\n", Commands({}, 13));
  CheckEverySplit("*-9223372036854775808\r\n", Commands({}));
}

TEST_CASE("bulk header errors", "[request_parser]") {
  const auto invalid = RequestError::kInvalidBulkLength;
  for (std::string bad : {"$-1", "$-5", "$ 3", "$1x", "$-0", "$01", "$+1", "$", "$536870913",
                          "$99999999999999999999999"}) {
    CheckEverySplit(std::string("*1\r\n") + bad + "\r\n", Error(invalid, 0));
  }
  // proto-max-bulk-len itself is accepted and awaited, without allocating it.
  CheckEverySplit("*1\r\n$536870912\r\nabc", Commands({}, 19));
}

TEST_CASE("expected '$' reports the byte found", "[request_parser]") {
  CheckEverySplit("*1\r\n+PING\r\n", Error(RequestError::kExpectedDollar, 0, {}, '+'));
  CheckEverySplit("*1\r\n\r\n", Error(RequestError::kExpectedDollar, 0, {}, '\r'));
  CheckEverySplit("*2\r\n$1\r\na\r\n:1\r\n", Error(RequestError::kExpectedDollar, 0, {}, ':'));
  CheckEverySplit("*1\r\n\xff\r\n", Error(RequestError::kExpectedDollar, 0, {}, '\xff'));
}

TEST_CASE("inline quoting errors", "[request_parser]") {
  const auto unbalanced = RequestError::kUnbalancedQuotes;
  for (std::string bad : {"set a \"b\r\n", "ECHO \"ab\"c\r\n", "ECHO 'a\r\n", "ECHO 'a'b\r\n",
                          "ECHO \"a\\\r\n", "\"\n"}) {
    CheckEverySplit(bad, Error(unbalanced, 0));
  }
}

TEST_CASE("commands before an error are delivered", "[request_parser]") {
  // Captured from Redis: foo is executed (unknown command), then the protocol error.
  CheckEverySplit("*1\r\n$3\r\nfoo\r\n*1\r\n$1x\r\n",
                  Error(RequestError::kInvalidBulkLength, 13, {{"foo"}}));
  CheckEverySplit("PING\r\n\r\n*0\r\n*x\r\n",
                  Error(RequestError::kInvalidMultibulkLength, 12, {{"PING"}}));
  CheckEverySplit("PING\nECHO \"x\r\nPING\r\n",
                  Error(RequestError::kUnbalancedQuotes, 5, {{"PING"}}));
}

TEST_CASE("lines without terminator beyond the inline limit", "[request_parser]") {
  RequestLimits small;
  small.max_inline_size = 16;
  const std::string x17(17, 'x');
  CheckEverySplit(x17, Error(RequestError::kTooBigInlineRequest, 0), small);
  CheckEverySplit(std::string(16, 'x'), Commands({}, 16), small);
  CheckEverySplit(std::string("PING\r\n") + x17,
                  Error(RequestError::kTooBigInlineRequest, 6, {{"PING"}}), small);
  // A found newline ends the line however long it is (Redis checks only while waiting).
  CheckEverySplit(std::string(40, 'y') + "\n", Commands({{std::string(40, 'y')}}));
  CheckEverySplit(std::string("*") + std::string(15, '1'), Commands({}, 16), small);
  CheckEverySplit(std::string("*") + std::string(16, '1'),
                  Error(RequestError::kTooBigMbulkCountString, 0), small);
  CheckEverySplit(std::string("*1\r\n$") + std::string(15, '1'), Commands({}, 20), small);
  CheckEverySplit(std::string("*1\r\n$") + std::string(16, '1'),
                  Error(RequestError::kTooBigBulkCountString, 0), small);
  // A header line that is not a bulk header still gets the bulk wording while it waits.
  CheckEverySplit(std::string("*1\r\n+") + std::string(17, 'P'),
                  Error(RequestError::kTooBigBulkCountString, 0), small);

  // Default limit: 64 KiB.
  REQUIRE(FeedWhole(std::string(65536, 'a')) == Commands({}, 65536));
  REQUIRE(FeedWhole(std::string(65537, 'a')) == Error(RequestError::kTooBigInlineRequest, 0));
}

TEST_CASE("a NUL hides the terminator of a line, as Redis's strchr does", "[request_parser]") {
  RequestLimits small;
  small.max_inline_size = 16;
  const std::string inline_nul("PING\0\nPING\r\n", 12);
  CheckEverySplit(inline_nul, Commands({}, 12), small);
  CheckEverySplit(inline_nul + "abcde", Error(RequestError::kTooBigInlineRequest, 0), small);
  const std::string header_nul("*1\0\r\n$4\r\nPING\r\n", 15);
  CheckEverySplit(header_nul, Commands({}, 15), small);
  CheckEverySplit(header_nul + "xx", Error(RequestError::kTooBigMbulkCountString, 0), small);
  const std::string bulk_nul("*1\r\n$\0\r\n", 8);
  CheckEverySplit(bulk_nul + std::string(13, 'z'), Error(RequestError::kTooBigBulkCountString, 0),
                  small);
}

TEST_CASE("unauthenticated limits", "[request_parser]") {
  RequestLimits unauth;
  unauth.unauthenticated = true;
  CheckEverySplit("*11\r\n", Error(RequestError::kUnauthenticatedMultibulkLength, 0), unauth);
  CheckEverySplit("*10\r\n", Commands({}, 5), unauth);
  CheckEverySplit("*1\r\n$16385\r\n", Error(RequestError::kUnauthenticatedBulkLength, 0), unauth);
  CheckEverySplit("*1\r\n$16384\r\n", Commands({}, 12), unauth);
  // Validity is decided before authentication, and a count <= 0 is still harmless.
  CheckEverySplit("*x\r\n", Error(RequestError::kInvalidMultibulkLength, 0), unauth);
  CheckEverySplit("*1\r\n$-1\r\n", Error(RequestError::kInvalidBulkLength, 0), unauth);
  CheckEverySplit("*-1\r\nPING\r\n", Commands({{"PING"}}), unauth);

  RequestParser parser(unauth);
  std::string big = std::string("*1\r\n$20000\r\n") + std::string(20000, 'v') + "\r\n";
  REQUIRE(parser.Parse(big).status == RequestStatus::kError);
  RequestLimits authed = unauth;
  authed.unauthenticated = false;
  parser.set_limits(authed);
  ParseResult r = parser.Parse(big);
  REQUIRE(r.status == RequestStatus::kComplete);
  REQUIRE(r.args[0].size() == 20000);
}

TEST_CASE("configurable bulk and count limits", "[request_parser]") {
  RequestLimits limits;
  limits.max_bulk_len = 3;
  limits.max_multibulk_len = 2;
  CheckEverySplit("*2\r\n$3\r\nabc\r\n$4\r\n", Error(RequestError::kInvalidBulkLength, 0), limits);
  CheckEverySplit("*3\r\n", Error(RequestError::kInvalidMultibulkLength, 0), limits);
}

TEST_CASE("error reply texts are Redis's", "[request_parser]") {
  CHECK(RequestErrorReply(RequestError::kInvalidMultibulkLength) ==
        "-ERR Protocol error: invalid multibulk length\r\n");
  CHECK(RequestErrorReply(RequestError::kInvalidBulkLength) ==
        "-ERR Protocol error: invalid bulk length\r\n");
  CHECK(RequestErrorReply(RequestError::kExpectedDollar, '+') ==
        "-ERR Protocol error: expected '$', got '+'\r\n");
  CHECK(RequestErrorReply(RequestError::kExpectedDollar, '\r') ==
        "-ERR Protocol error: expected '$', got ' '\r\n");
  CHECK(RequestErrorReply(RequestError::kExpectedDollar, '\n') ==
        "-ERR Protocol error: expected '$', got ' '\r\n");
  CHECK(RequestErrorReply(RequestError::kUnbalancedQuotes) ==
        "-ERR Protocol error: unbalanced quotes in request\r\n");
  CHECK(RequestErrorReply(RequestError::kTooBigInlineRequest) ==
        "-ERR Protocol error: too big inline request\r\n");
  CHECK(RequestErrorReply(RequestError::kTooBigMbulkCountString) ==
        "-ERR Protocol error: too big mbulk count string\r\n");
  CHECK(RequestErrorReply(RequestError::kTooBigBulkCountString) ==
        "-ERR Protocol error: too big bulk count string\r\n");
  CHECK(RequestErrorReply(RequestError::kUnauthenticatedMultibulkLength) ==
        "-ERR Protocol error: unauthenticated multibulk length\r\n");
  CHECK(RequestErrorReply(RequestError::kUnauthenticatedBulkLength) ==
        "-ERR Protocol error: unauthenticated bulk length\r\n");

  RequestParser parser;
  ParseResult r = parser.Parse("*1\r\n+x\r\n");
  REQUIRE(r.status == RequestStatus::kError);
  CHECK(r.ErrorReply() == "-ERR Protocol error: expected '$', got '+'\r\n");
  CHECK(r.ToStatus().message() == "ERR Protocol error: expected '$', got '+'");
  CHECK(parser.Parse("PING\r\n").ToStatus().ok());
}

TEST_CASE("arguments are views into the buffer unless quoted", "[request_parser]") {
  RequestParser parser;
  const std::string multibulk = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
  ParseResult r = parser.Parse(multibulk);
  REQUIRE(r.status == RequestStatus::kComplete);
  CHECK(r.args[0].data() == multibulk.data() + 8);
  CHECK(r.args[1].data() == multibulk.data() + 17);
  CHECK_FALSE(r.is_inline);
  CHECK(r.args_in_buffer);

  const std::string plain = "GET key\r\n";
  r = parser.Parse(plain);
  REQUIRE(r.status == RequestStatus::kComplete);
  CHECK(r.is_inline);
  CHECK(r.args_in_buffer);
  CHECK(r.args[1].data() == plain.data() + 4);

  const std::string quoted = "GET \"k\\x41\"\r\n";
  r = parser.Parse(quoted);
  REQUIRE(r.status == RequestStatus::kComplete);
  CHECK(r.args[1] == "kA");
  CHECK_FALSE(r.args_in_buffer);
  CHECK((r.args[1].data() < quoted.data() || r.args[1].data() >= quoted.data() + quoted.size()));
}

TEST_CASE("need-more keeps progress across a moved buffer", "[request_parser]") {
  RequestParser parser;
  std::string first = "\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhe";
  ParseResult r = parser.Parse(first);
  REQUIRE(r.status == RequestStatus::kNeedMore);
  REQUIRE(r.consumed == 2);
  // The caller drops the consumed prefix and the rest lands somewhere else in memory.
  std::string moved = first.substr(2) + "llo\r\nPING\r\n";
  r = parser.Parse(moved);
  REQUIRE(r.status == RequestStatus::kComplete);
  REQUIRE(r.args.size() == 2);
  CHECK(r.args[1] == "hello");
  CHECK(r.consumed == moved.size() - 6);
  r = parser.Parse(std::string_view(moved).substr(r.consumed));
  REQUIRE(r.status == RequestStatus::kComplete);
  CHECK(r.args[0] == "PING");
}

TEST_CASE("a 1 MiB bulk fed in 1000-byte chunks", "[request_parser]") {
  std::string payload(1 << 20, '\0');
  std::mt19937 rng(7);
  for (char& c : payload) c = static_cast<char>(rng());
  const std::string input = EncodeCommand({"SET", "big", payload}) + "PING\r\n";
  std::vector<size_t> cuts;
  for (size_t i = 1000; i < input.size(); i += 1000) cuts.push_back(i);
  REQUIRE(Feed(input, cuts) == Commands({{"SET", "big", payload}, {"PING"}}));
}

// With rescans from the command start these would take ~10^11 steps and never finish; with the
// kept progress each call costs O(1) for the one new byte.
TEST_CASE("drip-fed input is not rescanned", "[request_parser]") {
  const std::string payload(1 << 20, 'p');
  const std::string bulk = EncodeCommand({"SET", "k", payload});
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < bulk.size(); ++i) every_byte.push_back(i);
  REQUIRE(Feed(bulk, every_byte) == Commands({{"SET", "k", payload}}));

  const std::string line = std::string("ECHO ") + std::string(60000, 'l') + "\r\n";
  every_byte.clear();
  for (size_t i = 1; i < line.size(); ++i) every_byte.push_back(i);
  REQUIRE(Feed(line, every_byte) == Commands({{"ECHO", std::string(60000, 'l')}}));
}

TEST_CASE("encoded commands round-trip through the parser", "[request_parser]") {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<Command> commands(1 + rng() % 4);
    std::string stream;
    for (Command& c : commands) {
      c.resize(1 + rng() % 5);
      std::vector<std::string_view> views;
      for (std::string& arg : c) {
        arg.resize(rng() % 40);
        for (char& ch : arg) ch = "ab\r\n\0$*\" "[rng() % 10];
        views.push_back(arg);
      }
      EncodeCommand(views, &stream);
    }
    std::vector<size_t> cuts;
    for (size_t i = rng() % 7 + 1; i < stream.size(); i += rng() % 13 + 1) cuts.push_back(i);
    REQUIRE(Feed(stream, cuts) == Commands(commands));
  }
}

// The raw bytes of each command of `input`, fed in one piece and then byte by byte.
std::vector<std::string> RawOf(std::string_view input, bool byte_by_byte) {
  RequestParser parser;
  std::vector<std::string> out;
  std::string buffer;
  const size_t step = byte_by_byte ? 1 : input.size();
  for (size_t fed = 0; fed < input.size(); fed += step) {
    buffer.append(input.substr(fed, step));
    for (;;) {
      ParseResult r = parser.Parse(buffer);
      REQUIRE(r.status != RequestStatus::kError);
      if (r.status == RequestStatus::kComplete) out.emplace_back(r.raw);
      buffer.erase(0, r.consumed);
      if (r.status == RequestStatus::kNeedMore) break;
    }
  }
  return out;
}

TEST_CASE("raw is the command's own bytes only when they are canonical", "[request_parser]") {
  const std::string set = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n";
  const std::string get = "*2\r\n$3\r\nget\r\n$10\r\nkey:000123\r\n";
  for (bool bytewise : {false, true}) {
    INFO("byte by byte: " << bytewise);
    // Blank lines and empty multibulks before a command are not part of it.
    REQUIRE(RawOf("\r\n*0\r\n" + set + get, bytewise) == std::vector<std::string>{set, get});
    // Inline commands have no raw bytes to forward.
    REQUIRE(RawOf("PING\r\n" + get, bytewise) == std::vector<std::string>{"", get});
    // Bytes Redis skips unchecked (after a payload, after a header's '\r') are not forwarded.
    REQUIRE(RawOf("*1\r\n$4\r\nPINGxx\r\n" + get, bytewise) == std::vector<std::string>{"", get});
    REQUIRE(RawOf("*1\rx$4\r\nPING\r\n" + get, bytewise) == std::vector<std::string>{"", get});
    REQUIRE(RawOf("*1\r\n$4\rxPING\r\n" + get, bytewise) == std::vector<std::string>{"", get});
  }
}

}  // namespace
}  // namespace slotproxy::resp
