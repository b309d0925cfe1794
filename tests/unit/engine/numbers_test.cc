#include <catch2/catch.hpp>

#include <cstdint>

#include "engine/numbers.h"

namespace slotproxy::engine {
namespace {

TEST_CASE("numbers: ParseInt64 follows string2ll", "[numbers]") {
  int64_t v = 7;
  CHECK(ParseInt64("0", &v));
  CHECK(v == 0);
  CHECK(ParseInt64("-1", &v));
  CHECK(v == -1);
  CHECK(ParseInt64("9223372036854775807", &v));
  CHECK(v == INT64_MAX);
  CHECK(ParseInt64("-9223372036854775808", &v));
  CHECK(v == INT64_MIN);
  // Every one of these is rejected by Redis 7.0 (checked against redis-server with INCR).
  for (const char* bad : {"", "-", "-0", "007", "+1", " 1", "1 ", "1.0", "9223372036854775808",
                          "-9223372036854775809", "12345678901234567890123", "0x10", "1a"}) {
    INFO(bad);
    v = 42;
    CHECK_FALSE(ParseInt64(bad, &v));
    CHECK(v == 42);
  }
}

TEST_CASE("numbers: ParseLongDouble follows string2ld", "[numbers]") {
  long double v = 0;
  CHECK(ParseLongDouble("10.5", &v));
  CHECK(v == 10.5L);
  CHECK(ParseLongDouble("5.0e3", &v));
  CHECK(v == 5000.0L);
  CHECK(ParseLongDouble("0x10", &v));  // strtold accepts hex, so does Redis
  CHECK(v == 16.0L);
  CHECK(ParseLongDouble("inf", &v));
  for (const char* bad : {"", " 1", "1 ", "abc", "nan", "1e99999", "1.5x"}) {
    INFO(bad);
    CHECK_FALSE(ParseLongDouble(bad, &v));
  }
  CHECK_FALSE(ParseLongDouble(std::string_view("1\0", 2), &v));
  double d = 0;
  CHECK(ParseDouble("-2.5", &d));
  CHECK(d == -2.5);
  CHECK_FALSE(ParseDouble("nan", &d));
  CHECK_FALSE(ParseDouble("1e999", &d));
}

TEST_CASE("numbers: formatting", "[numbers]") {
  char buf[kInt64Chars];
  CHECK(FormatInt64(INT64_MIN, buf) == "-9223372036854775808");
  CHECK(FormatInt64(0, buf) == "0");
  // Outputs of INCRBYFLOAT observed on redis-server 7.0.
  CHECK(FormatLongDoubleHuman(10.5L + 0.1L) == "10.6");
  CHECK(FormatLongDoubleHuman(5200.0L) == "5200");
  CHECK(FormatLongDoubleHuman(-0.0L) == "0");
  CHECK(FormatLongDoubleHuman(4.5L) == "4.5");
  CHECK(FormatLongDoubleHuman(10.0L + 1e-20L) == "10");
  CHECK(FormatLongDoubleHuman(-1.25L) == "-1.25");
  CHECK(FormatLongDoubleHuman(1e300L + 1e300L).substr(0, 22) == "2000000000000000000017");
}

}  // namespace
}  // namespace slotproxy::engine
