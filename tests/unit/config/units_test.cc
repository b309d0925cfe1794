#include "config/units.h"

#include <catch2/catch.hpp>

#include "config/host_port.h"
#include "config/suggest.h"

namespace slotproxy::config {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST_CASE("ParseDuration needs a unit and knows us, ms, s, m, h") {
  CHECK(ParseDuration("500ms").value() == milliseconds(500));
  CHECK(ParseDuration("1s").value() == seconds(1));
  CHECK(ParseDuration("2m").value() == minutes(2));
  CHECK(ParseDuration("3h").value() == hours(3));
  CHECK(ParseDuration("250us").value() == microseconds(250));
  CHECK(ParseDuration("10MS").value() == milliseconds(10));
  CHECK(ParseDuration("0").value() == microseconds(0));
  CHECK(ParseDuration("0s").value() == microseconds(0));
}

TEST_CASE("ParseDuration refuses numbers without units and other junk") {
  CHECK(ParseDuration("5").status().message() ==
        "duration '5' needs a unit (us, ms, s, m, h; e.g. 5ms or 5s)");
  CHECK(ParseDuration("5 s").status().message().find("unknown unit ' s'") != std::string::npos);
  CHECK(ParseDuration("5d").status().message() ==
        "invalid duration '5d' (unknown unit 'd'; expected us, ms, s, m or h)");
  CHECK_FALSE(ParseDuration("").ok());
  CHECK_FALSE(ParseDuration("-1s").ok());
  CHECK_FALSE(ParseDuration("1.5s").ok());
  CHECK_FALSE(ParseDuration("ms").ok());
  CHECK(ParseDuration("99999999999999999h").status().message() ==
        "duration '99999999999999999h' is too large");
}

TEST_CASE("FormatDuration picks the largest exact unit") {
  CHECK(FormatDuration(milliseconds(1500)) == "1500ms");
  CHECK(FormatDuration(minutes(2)) == "2m");
  CHECK(FormatDuration(microseconds(7)) == "7us");
  CHECK(FormatDuration(microseconds(0)) == "0");
}

TEST_CASE("ParseSize uses Redis units: k is 1000, kb is 1024") {
  CHECK(ParseSize("1k").value() == 1000);
  CHECK(ParseSize("1kb").value() == 1024);
  CHECK(ParseSize("1KB").value() == 1024);
  CHECK(ParseSize("2m").value() == 2'000'000);
  CHECK(ParseSize("512mb").value() == 512ull << 20);
  CHECK(ParseSize("1g").value() == 1'000'000'000);
  CHECK(ParseSize("1gb").value() == 1ull << 30);
  CHECK(ParseSize("100").value() == 100);
  CHECK(ParseSize("100b").value() == 100);
  CHECK(ParseSize("0").value() == 0);
}

TEST_CASE("ParseSize refuses bad units, signs and overflow") {
  CHECK(ParseSize("1tb").status().message() ==
        "invalid size '1tb' (unknown unit 'tb'; expected b, k, kb, m, mb, g or gb)");
  CHECK_FALSE(ParseSize("-1mb").ok());
  CHECK_FALSE(ParseSize("mb").ok());
  CHECK_FALSE(ParseSize("").ok());
  CHECK(ParseSize("99999999999999gb").status().message() == "size '99999999999999gb' is too large");
  CHECK(FormatSize(512ull << 20) == "512mb");
  CHECK(FormatSize(1000) == "1000");
  CHECK(FormatSize(3ull << 30) == "3gb");
}

TEST_CASE("ParseHostPort handles names, IPv4, bracketed IPv6 and port bounds") {
  CHECK(ParseHostPort("127.0.0.1:7000", 1).value() == HostPort{"127.0.0.1", 7000});
  CHECK(ParseHostPort("redis-1.internal:6379", 1).value() == HostPort{"redis-1.internal", 6379});
  CHECK(ParseHostPort("[::1]:7000", 1).value() == HostPort{"::1", 7000});
  CHECK(ParseHostPort("0.0.0.0:0", 0).value() == HostPort{"0.0.0.0", 0});
  CHECK(ParseHostPort("0.0.0.0:0", 1).status().message() ==
        "invalid address '0.0.0.0:0': invalid port '0' (expected 1-65535)");
  CHECK(ParseHostPort("localhost", 1).status().message() ==
        "invalid address 'localhost' (expected host:port)");
  CHECK_FALSE(ParseHostPort(":7000", 1).ok());
  CHECK_FALSE(ParseHostPort("h:65536", 1).ok());
  CHECK_FALSE(ParseHostPort("h:-1", 0).ok());
  CHECK_FALSE(ParseHostPort("h:7000x", 1).ok());
  CHECK_FALSE(ParseHostPort("::1:7000", 1).ok());
  CHECK_FALSE(ParseHostPort("[::1]7000", 1).ok());
  CHECK_FALSE(ParseHostPort("a b:7000", 1).ok());
  CHECK(FormatHostPort({"::1", 7000}) == "[::1]:7000");
  CHECK(FormatHostPort({"h", 1}) == "h:1");
}

TEST_CASE("EditDistance counts a transposition as one edit") {
  CHECK(EditDistance("port", "port") == 0);
  CHECK(EditDistance("prot", "port") == 1);
  CHECK(EditDistance("opp", "op") == 1);
  CHECK(EditDistance("", "abc") == 3);
  CHECK(EditDistance("kitten", "sitting") == 3);
}

TEST_CASE("NearestMatch suggests only plausible typos") {
  std::string_view keys[] = {"connect", "op", "client_idle", "topology_refresh"};
  CHECK(NearestMatch("opp", keys) == "op");
  CHECK(NearestMatch("conect", keys) == "connect");
  CHECK(NearestMatch("Connect", keys) == "connect");
  CHECK(NearestMatch("topology_refesh", keys) == "topology_refresh");
  CHECK(NearestMatch("banana", keys).empty());
  CHECK(NearestMatch(std::string(100, 'o'), keys).empty());
}

TEST_CASE("Shorten cuts long text and hides control bytes") {
  CHECK(Shorten("a\nb") == "a?b");
  CHECK(Shorten(std::string(70, 'x')) == std::string(64, 'x') + "...");
}

}  // namespace
}  // namespace slotproxy::config
