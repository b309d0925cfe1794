#include "base/status.h"

#include <catch2/catch.hpp>

namespace slotproxy {

TEST_CASE("Status distinguishes success from error") {
  CHECK(Status().ok());
  Status error = Status::Error("ERR boom");
  CHECK_FALSE(error.ok());
  CHECK(error.message() == "ERR boom");
}

TEST_CASE("Result holds a value or an error") {
  Result<int> good(42);
  REQUIRE(good.ok());
  CHECK(good.value() == 42);
  CHECK(good.status().ok());
  Result<int> bad(Status::Error("ERR nope"));
  CHECK_FALSE(bad.ok());
  CHECK(bad.status().message() == "ERR nope");
}

}  // namespace slotproxy
