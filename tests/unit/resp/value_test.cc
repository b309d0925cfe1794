#include "resp/value.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

namespace slotproxy::resp {
namespace {

// Decodes `bytes`, which must be exactly one reply.
Value Decode(std::string_view bytes) {
  size_t consumed = 0;
  Result<Value> result = DecodeValue(bytes, &consumed);
  INFO(bytes);
  if (!result.ok()) FAIL(result.status().message());
  CHECK(consumed == bytes.size());
  return std::move(result.value());
}

}  // namespace

TEST_CASE("DecodeValue decodes RESP2 scalars") {
  Value ok = Decode("+OK\r\n");
  CHECK(ok.type == ValueType::kSimpleString);
  CHECK(ok.str == "OK");
  CHECK(ok.IsString());

  Value err = Decode("-ERR unknown command\r\n");
  CHECK(err.type == ValueType::kError);
  CHECK(err.str == "ERR unknown command");

  CHECK(Decode(":-42\r\n").integer == -42);
  CHECK(Decode(":9223372036854775807\r\n").integer == INT64_MAX);

  Value bulk = Decode("$5\r\nhe\r\no\r\n");
  CHECK(bulk.type == ValueType::kBulkString);
  CHECK(bulk.str == "he\r\no");
  CHECK(Decode("$0\r\n\r\n").str.empty());

  CHECK(Decode("$-1\r\n").type == ValueType::kNull);
  CHECK(Decode("*-1\r\n").type == ValueType::kNull);
}

TEST_CASE("DecodeValue decodes RESP3 scalars") {
  CHECK(Decode("_\r\n").type == ValueType::kNull);
  Value d = Decode(",3.141\r\n");
  CHECK(d.type == ValueType::kDouble);
  CHECK(d.number == 3.141);
  CHECK(Decode(",inf\r\n").number == INFINITY);
  CHECK(Decode(",-inf\r\n").number == -INFINITY);
  CHECK(std::isnan(Decode(",nan\r\n").number));
  CHECK(Decode(",+2.5e3\r\n").number == 2500.0);
  CHECK(Decode(",1e999\r\n").number == INFINITY);
  CHECK(Decode(",-1E-2\r\n").number == -0.01);

  Value t = Decode("#t\r\n");
  CHECK(t.type == ValueType::kBoolean);
  CHECK(t.boolean);
  CHECK_FALSE(Decode("#f\r\n").boolean);

  Value big = Decode("(1234567999999999999999999999999999999\r\n");
  CHECK(big.type == ValueType::kBigNumber);
  CHECK(big.str == "1234567999999999999999999999999999999");

  Value verbatim = Decode("=29\r\ntxt:This is a verbatim\nstring\r\n");
  CHECK(verbatim.type == ValueType::kVerbatim);
  CHECK(verbatim.format == "txt");
  CHECK(verbatim.str == "This is a verbatim\nstring");
  CHECK(verbatim.IsString());

  Value blob = Decode("!21\r\nSYNTAX invalid syntax\r\n");
  CHECK(blob.type == ValueType::kError);
  CHECK(blob.str == "SYNTAX invalid syntax");
}

TEST_CASE("DecodeValue decodes aggregates") {
  Value array = Decode("*3\r\n$3\r\nfoo\r\n$-1\r\n:7\r\n");
  CHECK(array.type == ValueType::kArray);
  REQUIRE(array.elements.size() == 3);
  CHECK(array.elements[0].str == "foo");
  CHECK(array.elements[1].type == ValueType::kNull);
  CHECK(array.elements[2].integer == 7);

  CHECK(Decode("*0\r\n").elements.empty());
  CHECK(Decode("*0\r\n").type == ValueType::kArray);

  Value map = Decode("%2\r\n+a\r\n:1\r\n+b\r\n#f\r\n");
  CHECK(map.type == ValueType::kMap);
  REQUIRE(map.elements.size() == 4);
  CHECK(map.elements[0].str == "a");
  CHECK(map.elements[1].integer == 1);
  CHECK(map.elements[2].str == "b");
  CHECK(map.elements[3].type == ValueType::kBoolean);

  Value set = Decode("~2\r\n:1\r\n:2\r\n");
  CHECK(set.type == ValueType::kSet);
  CHECK(set.elements.size() == 2);

  Value push = Decode(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n");
  CHECK(push.type == ValueType::kPush);
  REQUIRE(push.elements.size() == 3);
  CHECK(push.elements[0].str == "message");

  Value nested = Decode("*2\r\n*2\r\n:1\r\n%1\r\n+k\r\n~1\r\n_\r\n,1.5\r\n");
  REQUIRE(nested.elements.size() == 2);
  REQUIRE(nested.elements[0].elements.size() == 2);
  const Value& inner_map = nested.elements[0].elements[1];
  CHECK(inner_map.type == ValueType::kMap);
  REQUIRE(inner_map.elements.size() == 2);
  CHECK(inner_map.elements[1].type == ValueType::kSet);
  CHECK(inner_map.elements[1].elements[0].type == ValueType::kNull);
  CHECK(nested.elements[1].number == 1.5);
}

TEST_CASE("DecodeValue attaches attributes to the value they precede") {
  Value v = Decode(
      "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
      "$39\r\nSome real reply following the attribute\r\n");
  CHECK(v.type == ValueType::kBulkString);
  CHECK(v.str == "Some real reply following the attribute");
  REQUIRE(v.attributes.size() == 2);
  CHECK(v.attributes[0].str == "key-popularity");
  REQUIRE(v.attributes[1].elements.size() == 2);
  CHECK(v.attributes[1].elements[1].integer == 90);

  Value inner = Decode("*2\r\n|1\r\n+ttl\r\n:3\r\n:1\r\n:2\r\n");
  REQUIRE(inner.elements.size() == 2);
  REQUIRE(inner.elements[0].attributes.size() == 2);
  CHECK(inner.elements[0].attributes[0].str == "ttl");
  CHECK(inner.elements[0].integer == 1);
  CHECK(inner.elements[1].attributes.empty());
  CHECK(inner.attributes.empty());
}

TEST_CASE("DecodeValue decodes RESP3 streamed strings and aggregates") {
  Value str = Decode("$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n");
  CHECK(str.type == ValueType::kBulkString);
  CHECK(str.str == "Hello word");
  CHECK(Decode("$?\r\n;0\r\n").str.empty());

  Value array = Decode("*?\r\n:1\r\n*?\r\n.\r\n$?\r\n;1\r\n.\r\n;0\r\n.\r\n");
  CHECK(array.type == ValueType::kArray);
  REQUIRE(array.elements.size() == 3);
  CHECK(array.elements[0].integer == 1);
  CHECK(array.elements[1].type == ValueType::kArray);
  CHECK(array.elements[1].elements.empty());
  CHECK(array.elements[2].str == ".");

  Value map = Decode("%?\r\n+a\r\n:1\r\n+b\r\n:2\r\n.\r\n");
  CHECK(map.type == ValueType::kMap);
  CHECK(map.elements.size() == 4);
  Value set = Decode("~?\r\n|1\r\n+k\r\n+v\r\n:1\r\n.\r\n");
  CHECK(set.type == ValueType::kSet);
  REQUIRE(set.elements.size() == 1);
  CHECK(set.elements[0].attributes.size() == 2);
}

TEST_CASE("DecodeValue reports consumed bytes and ignores what follows") {
  size_t consumed = 0;
  Result<Value> v = DecodeValue("$3\r\nfoo\r\n+NEXT\r\n", &consumed);
  REQUIRE(v.ok());
  CHECK(consumed == 9);
  CHECK(v.value().str == "foo");
}

TEST_CASE("DecodeValue fails on incomplete, malformed and too deep input") {
  size_t consumed = 123;
  Result<Value> incomplete = DecodeValue("*2\r\n:1\r\n", &consumed);
  REQUIRE_FALSE(incomplete.ok());
  CHECK(incomplete.status().message() == "incomplete");
  CHECK(consumed == 123);
  CHECK(DecodeValue("", &consumed).status().message() == "incomplete");

  Result<Value> bad = DecodeValue("$x\r\n", &consumed);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "invalid bulk length");
  CHECK_FALSE(DecodeValue("=3\r\nabc\r\n", &consumed).ok());

  std::string deep;
  for (int i = 0; i < 10; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  CHECK(DecodeValue(deep, &consumed, 10).ok());
  Result<Value> too_deep = DecodeValue(deep, &consumed, 9);
  REQUIRE_FALSE(too_deep.ok());
  CHECK(too_deep.status().message() == "reply nesting too deep");

  std::string hostile;
  for (int i = 0; i < 1000000; ++i) hostile += "*1\r\n";
  CHECK_FALSE(DecodeValue(hostile + ":1\r\n", &consumed).ok());
}

}  // namespace slotproxy::resp
