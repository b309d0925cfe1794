#include <catch2/catch.hpp>

#include <string>

#include "cluster/crc16.h"
#include "engine/errors.h"
#include "engine/keyspace.h"

namespace slotproxy::engine {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

std::string Get(Keyspace& ks, std::string_view key) {
  Entry* e = ks.Find(key, kNow);
  REQUIRE(e != nullptr);
  char buf[kInt64Chars];
  return std::string(e->StringValue(buf));
}
std::string Enc(Keyspace& ks, std::string_view key) {
  return Keyspace::ObjectEncoding(ks.Find(key, kNow));
}

TEST_CASE("strings: GETRANGE matches Redis 7.0", "[strings]") {
  // Expected slices observed on redis-server 7.0.15 for "Hello World".
  const std::string_view s = "Hello World";
  CHECK(Keyspace::GetRange(s, 0, 3) == "Hell");
  CHECK(Keyspace::GetRange(s, -3, -1) == "rld");
  CHECK(Keyspace::GetRange(s, 0, -1) == "Hello World");
  CHECK(Keyspace::GetRange(s, 10, 100) == "d");
  CHECK(Keyspace::GetRange(s, 5, 3) == "");
  CHECK(Keyspace::GetRange(s, -1, -5) == "");
  CHECK(Keyspace::GetRange(s, -100, -200) == "");
  CHECK(Keyspace::GetRange(s, -200, -100) == "H");
  CHECK(Keyspace::GetRange(s, -5, -1) == "World");
  CHECK(Keyspace::GetRange(s, 11, 11) == "");
  CHECK(Keyspace::GetRange(s, 100, 200) == "");
  CHECK(Keyspace::GetRange(s, -1, 0) == "");
  CHECK(Keyspace::GetRange("", 0, -1) == "");
  CHECK(Keyspace::GetRange("", -1, 5) == "");
  CHECK(Keyspace::GetRange(s, INT64_MIN, INT64_MAX) == "Hello World");
}

TEST_CASE("strings: APPEND", "[strings]") {
  Keyspace ks(cluster::KeySlot);
  CHECK(ks.Append("ap", "123", kNow).value() == 3);
  CHECK(Enc(ks, "ap") == "int");  // a new key is stored as SET would
  CHECK(ks.Append("ap", "4", kNow).value() == 4);
  CHECK(Enc(ks, "ap") == "raw");
  CHECK(Get(ks, "ap") == "1234");
  CHECK(ks.Append("ap", "", kNow).value() == 4);
  CHECK(ks.Append("ap", std::string(100, 'z'), kNow).value() == 104);
  CHECK(Get(ks, "ap") == "1234" + std::string(100, 'z'));
  ks.SetString("e", "abc");
  CHECK(ks.Append("e", "def", kNow).value() == 6);
  CHECK(Get(ks, "e") == "abcdef");
  CHECK(ks.Size() == 2);
}

TEST_CASE("strings: SETRANGE", "[strings]") {
  Keyspace ks(cluster::KeySlot);
  CHECK(ks.SetRange("sr", 0, "", kNow).value() == 0);
  CHECK_FALSE(ks.Exists("sr", kNow));  // not created by an empty value
  CHECK(ks.SetRange("sr", 2, "ab", kNow).value() == 4);
  CHECK(Get(ks, "sr") == std::string("\0\0ab", 4));
  CHECK(Enc(ks, "sr") == "raw");
  CHECK(ks.SetRange("sr", 1, "XYZW", kNow).value() == 5);
  CHECK(Get(ks, "sr") == std::string("\0XYZW", 5));
  auto too_long = ks.SetRange("big", kMaxStringLength - 1, "ab", kNow);
  CHECK(too_long.status().message() == kErrStringTooLong);
  CHECK_FALSE(ks.Exists("big", kNow));
  ks.SetString("ii", "5");
  CHECK(ks.SetRange("ii", 0, "", kNow).value() == 1);
  CHECK(Enc(ks, "ii") == "int");
  CHECK(ks.SetRange("ii", 1, "0", kNow).value() == 2);
  CHECK(Enc(ks, "ii") == "raw");
  CHECK(Get(ks, "ii") == "50");
  CHECK(ks.SetRange("ii", kMaxStringLength, "x", kNow).status().message() ==
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
}

TEST_CASE("strings: INCRBY", "[strings]") {
  Keyspace ks(cluster::KeySlot);
  CHECK(ks.IncrBy("n", 1, kNow).value() == 1);
  CHECK(Enc(ks, "n") == "int");
  CHECK(ks.IncrBy("n", -11, kNow).value() == -10);
  ks.SetString("n", std::string(50, '1'));
  CHECK(ks.IncrBy("n", 1, kNow).status().message() ==
        "ERR value is not an integer or out of range");
  for (const char* bad : {"-0", "007", "+1", " 1", "1.0", "", "9223372036854775808"}) {
    ks.SetString("n", bad);
    INFO(bad);
    CHECK(ks.IncrBy("n", 1, kNow).status().message() == kErrNotInteger);
    CHECK(Get(ks, "n") == bad);
  }
  ks.SetString("n", "9223372036854775807");
  CHECK(ks.IncrBy("n", 1, kNow).status().message() == "ERR increment or decrement would overflow");
  ks.SetString("n", "-9223372036854775808");
  CHECK(ks.IncrBy("n", -1, kNow).status().message() == kErrIncrOverflow);
  CHECK(ks.IncrBy("n", 1, kNow).value() == -9223372036854775807);
  ks.SetRawString("r", "41");
  CHECK(ks.IncrBy("r", 1, kNow).value() == 42);
  CHECK(Enc(ks, "r") == "int");
}

TEST_CASE("strings: INCRBYFLOAT", "[strings]") {
  Keyspace ks(cluster::KeySlot);
  struct Case {
    const char* start;
    long double incr;
    const char* want;
  };
  // Replies observed on redis-server 7.0.15.
  for (const Case& c : {Case{"10.5", 0.1L, "10.6"}, Case{"5.0e3", 200.0L, "5200"},
                        Case{"1", -1.0L, "0"}, Case{"3", 1.5L, "4.5"}, Case{"-1.5", 1.5L, "0"},
                        Case{"0x10", 1.0L, "17"}, Case{"10", 1e-20L, "10"}}) {
    ks.SetString("f", c.start);
    INFO(c.start);
    auto r = ks.IncrByFloat("f", c.incr, kNow);
    REQUIRE(r.ok());
    CHECK(r.value() == c.want);
    CHECK(Get(ks, "f") == c.want);
    CHECK(Enc(ks, "f") == "embstr");  // never int-encoded, even "0"
  }
  ks.SetString("f", "abc");
  CHECK(ks.IncrByFloat("f", 1, kNow).status().message() == "ERR value is not a valid float");
  ks.SetString("f", " 1");
  CHECK(ks.IncrByFloat("f", 1, kNow).status().message() == kErrNotFloat);
  ks.SetString("f", "1");
  CHECK(ks.IncrByFloat("f", HUGE_VALL, kNow).status().message() ==
        "ERR increment would produce NaN or Infinity");
  CHECK(Get(ks, "f") == "1");
  ks.SetString("f", "1e300");
  auto big = ks.IncrByFloat("f", 1e300L, kNow);
  REQUIRE(big.ok());
  CHECK(big.value().size() == 301);
  CHECK(Enc(ks, "f") == "raw");
  CHECK(ks.IncrByFloat("new", 2.5L, kNow).value() == "2.5");
}

}  // namespace
}  // namespace slotproxy::engine
