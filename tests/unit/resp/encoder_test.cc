#include "resp/encoder.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace slotproxy::resp {
namespace {

// Encodes with a fresh encoder in `protocol` and returns the bytes.
template <typename F>
std::string Encode(Protocol protocol, F&& write) {
  std::string out;
  Encoder encoder(&out, protocol);
  write(encoder);
  return out;
}

std::string Both(Protocol p, void (*write)(Encoder&)) { return Encode(p, write); }

TEST_CASE("scalar replies", "[encoder]") {
  for (Protocol p : {Protocol::kResp2, Protocol::kResp3}) {
    CHECK(Encode(p, [](Encoder& e) { e.SimpleString("OK"); }) == "+OK\r\n");
    CHECK(Encode(p, [](Encoder& e) { e.SimpleString("a\r\nb"); }) == "+a  b\r\n");
    CHECK(Encode(p, [](Encoder& e) { e.Error("ERR unknown command"); }) ==
          "-ERR unknown command\r\n");
    CHECK(Encode(p, [](Encoder& e) { e.Error("ERR x\ny"); }) == "-ERR x y\r\n");
    CHECK(Encode(p, [](Encoder& e) { e.Error("\nERR x\r\ny\r\n"); }) == "-ERR x  y\r\n");
    CHECK(Encode(p, [](Encoder& e) { e.Error("\r\n"); }) == "-\r\n");
    CHECK(Encode(p, [](Encoder& e) { e.Integer(0); }) == ":0\r\n");
    CHECK(Encode(p, [](Encoder& e) { e.Integer(-42); }) == ":-42\r\n");
    CHECK(Encode(p, [](Encoder& e) { e.Integer(std::numeric_limits<int64_t>::min()); }) ==
          ":-9223372036854775808\r\n");
    CHECK(Encode(p, [](Encoder& e) { e.Integer(std::numeric_limits<int64_t>::max()); }) ==
          ":9223372036854775807\r\n");
    CHECK(Encode(p, [](Encoder& e) { e.Bulk("foo"); }) == "$3\r\nfoo\r\n");
    CHECK(Encode(p, [](Encoder& e) { e.Bulk(""); }) == "$0\r\n\r\n");
    CHECK(Encode(p, [](Encoder& e) { e.Bulk(std::string_view("a\0\r\n", 4)); }) ==
          std::string("$4\r\na\0\r\n\r\n", 10));
    CHECK(Encode(p, [](Encoder& e) { e.Raw("+PONG\r\n"); }) == "+PONG\r\n");
  }
}

TEST_CASE("RESP3 types and their RESP2 renderings", "[encoder]") {
  const Protocol r2 = Protocol::kResp2;
  const Protocol r3 = Protocol::kResp3;
  CHECK(Both(r2, [](Encoder& e) { e.Null(); }) == "$-1\r\n");
  CHECK(Both(r3, [](Encoder& e) { e.Null(); }) == "_\r\n");
  CHECK(Both(r2, [](Encoder& e) { e.NullArray(); }) == "*-1\r\n");
  CHECK(Both(r3, [](Encoder& e) { e.NullArray(); }) == "_\r\n");
  CHECK(Both(r2, [](Encoder& e) { e.ArrayHeader(3); }) == "*3\r\n");
  CHECK(Both(r3, [](Encoder& e) { e.ArrayHeader(0); }) == "*0\r\n");
  CHECK(Both(r2, [](Encoder& e) { e.MapHeader(3); }) == "*6\r\n");
  CHECK(Both(r3, [](Encoder& e) { e.MapHeader(3); }) == "%3\r\n");
  CHECK(Both(r2, [](Encoder& e) { e.SetHeader(2); }) == "*2\r\n");
  CHECK(Both(r3, [](Encoder& e) { e.SetHeader(2); }) == "~2\r\n");
  CHECK(Both(r2, [](Encoder& e) { e.PushHeader(3); }) == "*3\r\n");
  CHECK(Both(r3, [](Encoder& e) { e.PushHeader(3); }) == ">3\r\n");
  CHECK(Both(r2, [](Encoder& e) { e.Boolean(true); }) == ":1\r\n");
  CHECK(Both(r2, [](Encoder& e) { e.Boolean(false); }) == ":0\r\n");
  CHECK(Both(r3, [](Encoder& e) { e.Boolean(true); }) == "#t\r\n");
  CHECK(Both(r3, [](Encoder& e) { e.Boolean(false); }) == "#f\r\n");
  CHECK(Both(r2, [](Encoder& e) { e.BigNumber("1234567999999999999999999999999999999"); }) ==
        "$37\r\n1234567999999999999999999999999999999\r\n");
  CHECK(Both(r3, [](Encoder& e) { e.BigNumber("-12345678901234567890"); }) ==
        "(-12345678901234567890\r\n");
  CHECK(Both(r2, [](Encoder& e) { e.Verbatim("This is a verbatim\nstring"); }) ==
        "$25\r\nThis is a verbatim\nstring\r\n");
  CHECK(Both(r3, [](Encoder& e) { e.Verbatim("This is a verbatim\nstring"); }) ==
        "=29\r\ntxt:This is a verbatim\nstring\r\n");
  CHECK(Both(r3, [](Encoder& e) { e.Verbatim("x", "mk"); }) == "=5\r\nmk :x\r\n");
  CHECK(Both(r3, [](Encoder& e) { e.Verbatim("x", "mkdown"); }) == "=5\r\nmkd:x\r\n");

  std::string out;
  Encoder resp2(&out, r2);
  CHECK_FALSE(resp2.AttributeHeader(1));
  CHECK(out.empty());
  Encoder resp3(&out, r3);
  CHECK(resp3.AttributeHeader(1));
  CHECK(out == "|1\r\n");
  CHECK(resp3.protocol() == r3);
  CHECK(resp3.out() == &out);
}

TEST_CASE("a map reply in both protocols", "[encoder]") {
  auto write = [](Encoder& e) {
    e.MapHeader(2);
    e.Bulk("a");
    e.Integer(1);
    e.Bulk("b");
    e.Null();
  };
  CHECK(Encode(Protocol::kResp3, write) == "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n");
  CHECK(Encode(Protocol::kResp2, write) == "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n");
}

std::string PrintfG17(double d) {
  char buf[64];
  const int n = std::snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, static_cast<size_t>(n));
}

TEST_CASE("doubles are formatted as Redis 7.0's %.17g", "[encoder]") {
  CHECK(Both(Protocol::kResp3, [](Encoder& e) { e.Double(3.141); }) == ",3.141\r\n");
  CHECK(Both(Protocol::kResp3, [](Encoder& e) { e.Double(1.5); }) == ",1.5\r\n");
  CHECK(Both(Protocol::kResp2, [](Encoder& e) { e.Double(0.1); }) ==
        "$19\r\n0.10000000000000001\r\n");
  CHECK(Both(Protocol::kResp3, [](Encoder& e) { e.Double(0.1); }) == ",0.10000000000000001\r\n");
  CHECK(Both(Protocol::kResp2, [](Encoder& e) { e.Double(INFINITY); }) == "$3\r\ninf\r\n");
  CHECK(Both(Protocol::kResp2, [](Encoder& e) { e.Double(-INFINITY); }) == "$4\r\n-inf\r\n");
  CHECK(Both(Protocol::kResp3, [](Encoder& e) { e.Double(INFINITY); }) == ",inf\r\n");
  CHECK(Both(Protocol::kResp3, [](Encoder& e) { e.Double(-INFINITY); }) == ",-inf\r\n");
  CHECK(Both(Protocol::kResp3, [](Encoder& e) { e.Double(NAN); }) ==
        std::string(",") + PrintfG17(NAN) + "\r\n");
  CHECK(Both(Protocol::kResp3, [](Encoder& e) { e.Double(-0.0); }) == ",-0\r\n");

  std::mt19937_64 rng(1);
  for (int i = 0; i < 20000; ++i) {
    double d;
    const uint64_t bits = rng();
    std::memcpy(&d, &bits, sizeof(d));
    if (i % 2 == 0) d = static_cast<double>(static_cast<int64_t>(rng() % 2000000) - 1000000) / 64;
    if (std::isinf(d)) continue;
    const std::string expected = PrintfG17(d);
    INFO("bits " << bits);
    REQUIRE(Encode(Protocol::kResp3, [d](Encoder& e) { e.Double(d); }) ==
            std::string(",") + expected + "\r\n");
    std::string bulk = "$";  // appends: GCC 12 -O3 warns falsely (-Wrestrict) on operator+
    bulk.append(std::to_string(expected.size())).append("\r\n").append(expected).append("\r\n");
    REQUIRE(Encode(Protocol::kResp2, [d](Encoder& e) { e.Double(d); }) == bulk);
  }
}

TEST_CASE("requests", "[encoder]") {
  CHECK(EncodeCommand({"GET", "key:000123"}) == "*2\r\n$3\r\nGET\r\n$10\r\nkey:000123\r\n");
  CHECK(EncodeCommand({"SET", "k", ""}) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
  CHECK(EncodeCommand({}) == "*0\r\n");
  std::string out = "x";
  const std::string_view args[] = {"PING"};
  EncodeCommand(args, &out);
  CHECK(out == "x*1\r\n$4\r\nPING\r\n");
  out.clear();
  AppendHeader('$', 1234567890123, &out);
  CHECK(out == "$1234567890123\r\n");
}

}  // namespace
}  // namespace slotproxy::resp
