// Differential checks for the hash / set handlers: the same command steps run against the
// shared redis-server 7.0 and against a Harness, from an empty database, in RESP2 and RESP3.
#pragma once

#include <string>
#include <vector>

#include "handler_fixture.h"

namespace slotproxy::server::hash_set_testing {

// The shared harness and redis-server fixture.
using namespace handler_testing;  // NOLINT(google-build-using-namespace)

// How a step's two replies are compared.
enum class Mode {
  kExact,      // byte for byte
  kUnordered,  // same shape and the same elements (pairs for maps / flat HGETALL) in any order:
               // for hashtable-encoded containers, whose order is the hash table's
  kRandom,     // HRANDFIELD / SRANDMEMBER: same shape and count; every element belongs to the
               // key's content (read from Redis first); distinct when the count is positive
  kScanAll,    // HSCAN / SSCAN key 0 [options]: iterate each side to cursor 0 and compare the
               // collected elements (field/value pairs for HSCAN) as sets
};

struct Step {
  Step(Args a, Mode m = Mode::kExact) : args(std::move(a)), mode(m) {}  // NOLINT
  Args args;
  Mode mode;
};

// Runs `steps` twice (RESP2, then RESP3), each time after FLUSHALL on both sides, CHECKing every
// step (Catch2). Does nothing but warn when no redis-server is available. Returns the number of
// steps compared.
int RunDiff(const std::vector<Step>& steps);

// Printable form of raw RESP bytes (CR LF shown as \r\n) for failure messages.
std::string Printable(const std::string& bytes);

}  // namespace slotproxy::server::hash_set_testing
