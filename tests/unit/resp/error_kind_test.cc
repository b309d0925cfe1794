#include "resp/error_kind.h"

#include <catch2/catch.hpp>
#include <string>

namespace slotproxy::resp {

TEST_CASE("ClassifyError recognises the cluster errors by their code") {
  CHECK(ClassifyError("MOVED 12182 127.0.0.1:7402") == ErrorKind::kMoved);
  CHECK(ClassifyError("-MOVED 12182 127.0.0.1:7402\r\n") == ErrorKind::kMoved);
  CHECK(ClassifyError("ASK 15495 127.0.0.1:7400") == ErrorKind::kAsk);
  CHECK(ClassifyError("-ASK 15495 127.0.0.1:7400\r\n") == ErrorKind::kAsk);
  CHECK(ClassifyError("TRYAGAIN Multiple keys request during rehashing of slot") ==
        ErrorKind::kTryAgain);
  CHECK(ClassifyError("-TRYAGAIN\r\n") == ErrorKind::kTryAgain);
  CHECK(ClassifyError("CLUSTERDOWN Hash slot not served") == ErrorKind::kClusterDown);
  CHECK(ClassifyError("CLUSTERDOWN The cluster is down") == ErrorKind::kClusterDown);
  CHECK(ClassifyError("-CLUSTERDOWN The cluster is down and only accepts read commands\r\n") ==
        ErrorKind::kClusterDown);
}

TEST_CASE("ClassifyError leaves every other error as kOther") {
  CHECK(ClassifyError("ERR unknown command 'MOVED'") == ErrorKind::kOther);
  CHECK(ClassifyError("CROSSSLOT Keys in request don't hash to the same slot") ==
        ErrorKind::kOther);
  CHECK(ClassifyError("MOVEDX 1 h:1") == ErrorKind::kOther);
  CHECK(ClassifyError("ASKING") == ErrorKind::kOther);
  CHECK(ClassifyError("moved 1 h:1") == ErrorKind::kOther);
  CHECK(ClassifyError("TRYAGAINX") == ErrorKind::kOther);
  CHECK(ClassifyError("CLUSTER") == ErrorKind::kOther);
  CHECK(ClassifyError("") == ErrorKind::kOther);
  CHECK(ClassifyError("-") == ErrorKind::kOther);
  CHECK(ClassifyError(" MOVED 1 h:1") == ErrorKind::kOther);
}

TEST_CASE("ParseRedirect reads slot, host and port of MOVED and ASK") {
  auto moved = ParseRedirect("-MOVED 12182 127.0.0.1:7402\r\n");
  REQUIRE(moved);
  CHECK(moved->kind == ErrorKind::kMoved);
  CHECK(moved->slot == 12182);
  CHECK(moved->host == "127.0.0.1");
  CHECK(moved->port == 7402);

  auto ask = ParseRedirect("ASK 15495 127.0.0.1:7400");
  REQUIRE(ask);
  CHECK(ask->kind == ErrorKind::kAsk);
  CHECK(ask->slot == 15495);
  CHECK(ask->host == "127.0.0.1");
  CHECK(ask->port == 7400);

  auto edges = ParseRedirect("MOVED 0 a:1");
  REQUIRE(edges);
  CHECK(edges->slot == 0);
  CHECK(edges->port == 1);
  auto top = ParseRedirect("MOVED 16383 redis-7.example.com:65535");
  REQUIRE(top);
  CHECK(top->slot == 16383);
  CHECK(top->host == "redis-7.example.com");
  CHECK(top->port == 65535);
}

TEST_CASE("ParseRedirect returns a view into its input, no copy") {
  std::string line = "-MOVED 1 10.0.0.5:7000\r\n";
  auto redirect = ParseRedirect(line);
  REQUIRE(redirect);
  CHECK(redirect->host.data() == line.data() + 9);
}

TEST_CASE("ParseRedirect: empty host, '?' host and IPv6 forms") {
  auto empty = ParseRedirect("-MOVED 12182 :7402\r\n");
  REQUIRE(empty);
  CHECK(empty->host.empty());
  CHECK(empty->port == 7402);

  auto unknown = ParseRedirect("MOVED 12182 ?:7402");
  REQUIRE(unknown);
  CHECK(unknown->host == "?");

  auto ipv6 = ParseRedirect("MOVED 1 ::1:7000");
  REQUIRE(ipv6);
  CHECK(ipv6->host == "::1");
  CHECK(ipv6->port == 7000);

  auto full = ParseRedirect("ASK 2 2001:db8::ff00:42:8329:6379");
  REQUIRE(full);
  CHECK(full->host == "2001:db8::ff00:42:8329");
  CHECK(full->port == 6379);

  auto bracketed = ParseRedirect("-MOVED 1 [::1]:7000");
  REQUIRE(bracketed);
  CHECK(bracketed->host == "::1");
  CHECK(bracketed->port == 7000);
}

TEST_CASE("ParseRedirect rejects malformed redirections") {
  const char* bad[] = {
      "MOVED 16384 127.0.0.1:7000",   // slot out of range
      "MOVED 99999 127.0.0.1:7000",   // slot out of range
      "MOVED 123456 127.0.0.1:7000",  // too many digits
      "MOVED -1 127.0.0.1:7000",      // negative slot
      "MOVED +1 127.0.0.1:7000",      // signed slot
      "MOVED x 127.0.0.1:7000",       // not a number
      "MOVED  127.0.0.1:7000",        // empty slot
      "MOVED 1 127.0.0.1",            // missing port
      "MOVED 1 127.0.0.1:",           // empty port
      "MOVED 1 127.0.0.1:0",          // port 0
      "MOVED 1 127.0.0.1:65536",      // port out of range
      "MOVED 1 127.0.0.1:70a",        // not a number
      "MOVED 1",                      // missing address
      "MOVED 1 ",                     // empty address
      "MOVED",                        // nothing
      "MOVED 1 h:1 extra",            // extra token
      "MOVED 1 h:1 ",                 // trailing space
      "ASK 1h:1",                     // missing space
      "TRYAGAIN Multiple keys request during rehashing of slot",
      "CLUSTERDOWN Hash slot not served",
      "ERR MOVED 1 h:1",
      "",
  };
  for (const char* line : bad) {
    INFO(line);
    CHECK_FALSE(ParseRedirect(line));
  }
}

TEST_CASE("ErrorKindName names every kind") {
  CHECK(ErrorKindName(ErrorKind::kNone) == "none");
  CHECK(ErrorKindName(ErrorKind::kMoved) == "moved");
  CHECK(ErrorKindName(ErrorKind::kAsk) == "ask");
  CHECK(ErrorKindName(ErrorKind::kTryAgain) == "tryagain");
  CHECK(ErrorKindName(ErrorKind::kClusterDown) == "clusterdown");
  CHECK(ErrorKindName(ErrorKind::kOther) == "other");
}

}  // namespace slotproxy::resp
