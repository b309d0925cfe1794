#include "session/recycling_queue.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace slotproxy::session {
namespace {

struct Item {
  int value = 0;
  std::string text;
  void Recycle() {
    value = 0;
    text.clear();
  }
};

TEST_CASE("recycling queue keeps FIFO order across growth and wrap-around", "[recycling_queue]") {
  RecyclingQueue<Item> q;
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < round % 13 + 1; ++i) q.emplace_back().value = next_in++;
    for (int i = 0; i < round % 7 + 1 && !q.empty(); ++i) {
      REQUIRE(q.front().value == next_out++);
      q.pop_front();
    }
    REQUIRE(q.size() == static_cast<size_t>(next_in - next_out));
    for (size_t i = 0; i < q.size(); ++i) REQUIRE(q[i].value == next_out + static_cast<int>(i));
    if (!q.empty()) REQUIRE(q.back().value == next_in - 1);
    int expect = next_out;
    for (const Item& item : q) REQUIRE(item.value == expect++);
  }
}

TEST_CASE("recycling queue references survive pushes, objects come back reset",
          "[recycling_queue]") {
  RecyclingQueue<Item> q;
  Item& first = q.emplace_back();
  first.value = 7;
  first.text = "kept until popped";
  for (int i = 0; i < 100; ++i) q.emplace_back().value = i;  // grows the ring several times
  REQUIRE(&q.front() == &first);
  REQUIRE(first.text == "kept until popped");
  q.pop_front();
  REQUIRE(q.FreeCount() == 1);
  Item& reused = q.emplace_back();  // the recycled object, reset
  REQUIRE(&reused == &first);
  REQUIRE(reused.value == 0);
  REQUIRE(reused.text.empty());
}

TEST_CASE("recycling queue bounds its free list", "[recycling_queue]") {
  RecyclingQueue<Item> q;
  const size_t n = RecyclingQueue<Item>::kMaxFree * 3;
  for (size_t i = 0; i < n; ++i) q.emplace_back();
  q.clear();
  REQUIRE(q.empty());
  REQUIRE(q.FreeCount() == RecyclingQueue<Item>::kMaxFree);
  q.emplace_back().value = 1;
  REQUIRE(q.size() == 1);
  REQUIRE(q.front().value == 1);
}

}  // namespace
}  // namespace slotproxy::session
