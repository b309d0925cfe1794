#include "engine/types/string_ring.h"

#include <catch2/catch.hpp>

#include <deque>
#include <random>
#include <string>

namespace slotproxy::engine::types {
namespace {

void RequireSame(const StringRing& ring, const std::deque<std::string>& model) {
  REQUIRE(ring.size() == model.size());
  for (size_t i = 0; i < model.size(); ++i) REQUIRE(ring[i] == model[i]);
}

// Short strings live inline, long ones on the heap: both must survive every regrowth.
std::string Element(std::mt19937& rng, int n) {
  std::string s = std::to_string(n);
  if (rng() % 3 == 0) s.append(40, static_cast<char>('a' + n % 26));
  return s;
}

TEST_CASE("string ring: growth, wrap-around and shrinking keep every element in order") {
  std::mt19937 rng(7);
  StringRing ring;
  std::deque<std::string> model;
  for (int i = 0; i < 3000; ++i) {
    std::string s = Element(rng, i);
    if (rng() % 2 == 0) {
      ring.PushBack(s);
      model.push_back(s);
    } else {
      ring.PushFront(s);
      model.push_front(s);
    }
    if (i % 97 == 0) RequireSame(ring, model);
  }
  RequireSame(ring, model);
  StringRing copy(ring);
  const std::deque<std::string> full = model;
  RequireSame(copy, full);
  // Pops from both ends shrink the ring through several halvings.
  while (model.size() > 3) {
    if (rng() % 2 == 0) {
      REQUIRE(ring.PopFront() == model.front());
      model.pop_front();
    } else {
      REQUIRE(ring.PopBack() == model.back());
      model.pop_back();
    }
    if (model.size() % 89 == 0) RequireSame(ring, model);
  }
  RequireSame(ring, model);
  ring.Insert(1, "middle");
  model.insert(model.begin() + 1, "middle");
  RequireSame(ring, model);
  ring.Filter([](const std::string& s) { return s != "middle"; });
  model.erase(model.begin() + 1);
  RequireSame(ring, model);
  while (!model.empty()) {
    REQUIRE(ring.PopBack() == model.back());
    model.pop_back();
  }
  CHECK(ring.empty());
  ring.PushBack("again");  // usable after shrinking to nothing
  REQUIRE(ring.size() == 1);
  CHECK(ring[0] == "again");
  RequireSame(copy, full);  // the copy owns its own elements
}

}  // namespace
}  // namespace slotproxy::engine::types
