// CommandClock: one clock read per command, the wall time derived from it.
#include <catch2/catch.hpp>

#include <chrono>

#include "server/command_clock.h"

namespace slotproxy::server {
namespace {

int64_t SystemMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_CASE("command clock: the wall time follows the system clock") {
  CommandClock clock;
  const int64_t before = SystemMs();
  const CommandClock::Reading r = clock.Now(1);
  const int64_t after = SystemMs();
  // Derived from the steady clock: equal to a direct read up to rounding at the ms edge.
  CHECK(r.wall_ms >= before - 1);
  CHECK(r.wall_ms <= after + 1);
  // The same loop time keeps the offset; the reading still moves with the steady clock.
  const CommandClock::Reading r2 = clock.Now(1);
  CHECK(r2.steady >= r.steady);
  CHECK(r2.wall_ms >= r.wall_ms);
  CHECK(r2.wall_ms <= SystemMs() + 1);
}

TEST_CASE("command clock: an end reading starts the next command until a break") {
  CommandClock clock;
  const CommandClock::Reading first = clock.Now(7);
  const auto end = clock.End();
  CHECK(end >= first.steady);
  CHECK(clock.Now(7).steady == end);  // chained: no second read
  const auto end2 = clock.End();
  clock.Break();
  CHECK(clock.Now(7).steady >= end2);
  // After a break, two commands in a row without End() each read the clock.
  const auto a = clock.Now(8).steady;
  CHECK(clock.Now(8).steady >= a);
}

}  // namespace
}  // namespace slotproxy::server
