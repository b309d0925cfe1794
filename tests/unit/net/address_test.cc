#include "net/address.h"

#include <catch2/catch.hpp>

namespace slotproxy::net {
namespace {

TEST_CASE("IP literals parse and format as Redis does", "[net][address]") {
  sockaddr_storage addr;
  REQUIRE(ParseIpAddress("127.0.0.1", 6379, &addr).ok());
  REQUIRE(FormatSockaddr(addr) == "127.0.0.1:6379");
  REQUIRE(SockaddrPort(addr) == 6379);
  REQUIRE(ParseIpAddress("::1", 7000, &addr).ok());
  REQUIRE(FormatSockaddr(addr) == "[::1]:7000");
  REQUIRE(ParseIpAddress("[::1]", 7001, &addr).ok());
  REQUIRE(FormatSockaddr(addr) == "[::1]:7001");
  REQUIRE(ParseIpAddress("localhost", 1, &addr).ok());
  REQUIRE(FormatSockaddr(addr) == "127.0.0.1:1");
  REQUIRE(FormatHostPort("10.0.0.1", 80) == "10.0.0.1:80");
  REQUIRE(FormatHostPort("fe80::1", 80) == "[fe80::1]:80");
}

TEST_CASE("Names and garbage are not IP literals", "[net][address]") {
  sockaddr_storage addr;
  for (const char* bad : {"", "redis.example", "1.2.3", "256.1.1.1", "::g", "[::1"}) {
    Status st = ParseIpAddress(bad, 1, &addr);
    REQUIRE_FALSE(st.ok());
    REQUIRE(st.message() ==
            std::string("invalid IP address '") + bad + "' (expected an IPv4 or IPv6 literal)");
  }
}

TEST_CASE("ResolveBlocking returns literals unchanged and resolves localhost", "[net][address]") {
  REQUIRE(ResolveBlocking("10.1.2.3").value() == "10.1.2.3");
  REQUIRE(ResolveBlocking("::1").value() == "::1");
  REQUIRE(ResolveBlocking("localhost").value() == "127.0.0.1");
  auto bad = ResolveBlocking("no-such-host.invalid");
  REQUIRE_FALSE(bad.ok());
  REQUIRE(bad.status().message().rfind("cannot resolve 'no-such-host.invalid': ", 0) == 0);
}

}  // namespace
}  // namespace slotproxy::net
