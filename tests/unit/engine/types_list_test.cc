#include <catch2/catch.hpp>

#include <algorithm>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "engine/types/list_value.h"
#include "engine/types/type_errors.h"

namespace slotproxy::engine {
namespace {

std::vector<std::string> SV(std::initializer_list<const char*> l) {
  return std::vector<std::string>(l.begin(), l.end());
}

ListValue Make(std::initializer_list<std::string_view> l) {
  ListValue v;
  std::vector<std::string_view> e(l);
  v.PushBack(e);
  return v;
}

TEST_CASE("list: push and pop at both ends", "[engine][types][list]") {
  ListValue l;
  CHECK(l.Encoding() == "quicklist");
  std::vector<std::string_view> a = {"a", "b", "c"};
  CHECK(l.PushFront(a) == 3);  // LPUSH a b c -> c b a
  CHECK(l.PushBack(a) == 6);
  CHECK(l.Range(0, -1) == SV({"c", "b", "a", "a", "b", "c"}));
  CHECK(*l.PopFront() == "c");
  CHECK(*l.PopBack() == "c");
  CHECK(l.PopFront(2) == SV({"b", "a"}));
  CHECK(l.PopBack(10) == SV({"b", "a"}));
  CHECK(l.Size() == 0);
  CHECK(!l.PopFront().has_value());
  CHECK(!l.PopBack().has_value());
  CHECK(l.PopFront(3).empty());
  l.PushFront("x");
  l.PushBack("y");
  CHECK(l.Range(0, -1) == SV({"x", "y"}));
  CHECK(l.Clone()->Range(0, -1) == SV({"x", "y"}));
}

TEST_CASE("list: LINDEX and LSET", "[engine][types][list]") {
  ListValue l = Make({"a", "b", "c"});
  CHECK(*l.Index(0) == "a");
  CHECK(*l.Index(-1) == "c");
  CHECK(*l.Index(-3) == "a");
  CHECK(!l.Index(3).has_value());
  CHECK(!l.Index(-4).has_value());
  CHECK(!l.Index(INT64_MIN).has_value());
  CHECK(!l.Index(INT64_MAX).has_value());
  CHECK(l.Set(-1, "z").ok());
  CHECK(*l.Index(2) == "z");
  CHECK(l.Set(3, "q").message() == "ERR index out of range");
  CHECK(l.Set(-4, "q").message() == kErrIndexOutOfRange);
}

TEST_CASE("list: LRANGE index rules", "[engine][types][list]") {
  ListValue l = Make({"a", "b", "c", "d"});
  CHECK(l.Range(0, 0) == SV({"a"}));
  CHECK(l.Range(-2, -1) == SV({"c", "d"}));
  CHECK(l.Range(-100, 1) == SV({"a", "b"}));
  CHECK(l.Range(1, 100) == SV({"b", "c", "d"}));
  CHECK(l.Range(2, 1).empty());
  CHECK(l.Range(4, 10).empty());
  CHECK(l.Range(0, -5).empty());
  CHECK(l.Range(INT64_MIN, INT64_MAX) == SV({"a", "b", "c", "d"}));
}

TEST_CASE("list: LTRIM", "[engine][types][list]") {
  ListValue l = Make({"a", "b", "c", "d", "e"});
  l.Trim(1, -2);
  CHECK(l.Range(0, -1) == SV({"b", "c", "d"}));
  l.Trim(-100, 100);
  CHECK(l.Size() == 3);
  l.Trim(1, 1);
  CHECK(l.Range(0, -1) == SV({"c"}));
  l.Trim(2, 1);
  CHECK(l.Size() == 0);
  ListValue m = Make({"a", "b"});
  m.Trim(5, 10);
  CHECK(m.Size() == 0);
}

TEST_CASE("list: LREM", "[engine][types][list]") {
  ListValue l = Make({"a", "b", "a", "c", "a", "b", "a"});
  CHECK(l.Remove(2, "a") == 2);
  CHECK(l.Range(0, -1) == SV({"b", "c", "a", "b", "a"}));
  CHECK(l.Remove(-1, "a") == 1);
  CHECK(l.Range(0, -1) == SV({"b", "c", "a", "b"}));
  CHECK(l.Remove(0, "b") == 2);
  CHECK(l.Range(0, -1) == SV({"c", "a"}));
  CHECK(l.Remove(0, "zz") == 0);
  ListValue m = Make({"x", "y", "x", "x"});
  CHECK(m.Remove(-2, "x") == 2);
  CHECK(m.Range(0, -1) == SV({"x", "y"}));
  CHECK(m.Remove(INT64_MIN, "x") == 1);
}

TEST_CASE("list: LINSERT", "[engine][types][list]") {
  ListValue l = Make({"a", "b", "a"});
  CHECK(l.Insert(true, "a", "x") == 4);
  CHECK(l.Insert(false, "a", "y") == 5);
  CHECK(l.Range(0, -1) == SV({"x", "a", "y", "b", "a"}));
  CHECK(l.Insert(false, "a", "z") == 6);
  CHECK(l.Range(0, -1) == SV({"x", "a", "z", "y", "b", "a"}));
  CHECK(l.Insert(true, "nope", "q") == -1);
  CHECK(l.Size() == 6);
  ListValue m = Make({"p"});
  CHECK(m.Insert(false, "p", "q") == 2);
  CHECK(m.Range(0, -1) == SV({"p", "q"}));
}

TEST_CASE("list: LPOS", "[engine][types][list]") {
  // Expected positions captured from redis-server 7.0.15 for RPUSH l a b a c a.
  ListValue l = Make({"a", "b", "a", "c", "a"});
  using V = std::vector<int64_t>;
  CHECK(l.Pos("a", 1, std::nullopt, 0).value() == V{0});
  CHECK(l.Pos("c", 1, std::nullopt, 0).value() == V{3});
  CHECK(l.Pos("z", 1, std::nullopt, 0).value().empty());
  CHECK(l.Pos("a", -1, 0, 0).value() == V{4, 2, 0});
  CHECK(l.Pos("a", 2, 2, 3).value() == V{2});
  CHECK(l.Pos("a", -2, 0, 0).value() == V{2, 0});
  CHECK(l.Pos("a", 1, 2, 0).value() == V{0, 2});
  CHECK(l.Pos("a", 3, std::nullopt, 0).value() == V{4});
  CHECK(l.Pos("a", 4, std::nullopt, 0).value().empty());
  CHECK(l.Pos("a", 1, std::nullopt, 1).value() == V{0});
  CHECK(l.Pos("c", 1, std::nullopt, 3).value().empty());
  CHECK(l.Pos("a", INT64_MIN, std::nullopt, 0).value() == V{4});  // 7.0.15 answers 4
  CHECK(l.Pos("a", 0, 0, 0).status().message() == kErrLposRankZero);
  CHECK(l.Pos("a", 1, -1, 0).status().message() == "ERR COUNT can't be negative");
  CHECK(l.Pos("a", 1, 0, -1).status().message() == "ERR MAXLEN can't be negative");
}

TEST_CASE("list: random operations agree with a std::deque model", "[engine][types][list]") {
  // Exercises the ring buffer's wrap-around, growth and shrinking.
  std::mt19937 rng(7);
  ListValue l;
  std::deque<std::string> model;
  auto rand = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int step = 0; step < 20000; step++) {
    const std::string v = rand(0, 9) == 0 ? std::string(40, 'x') : std::to_string(rand(0, 5));
    switch (rand(0, 7)) {
      case 0:
        l.PushFront(v);
        model.push_front(v);
        break;
      case 1:
      case 2:
        l.PushBack(v);
        model.push_back(v);
        break;
      case 3:
        if (!model.empty()) {
          CHECK(*l.PopFront() == model.front());
          model.pop_front();
        }
        break;
      case 4:
        if (!model.empty()) {
          CHECK(*l.PopBack() == model.back());
          model.pop_back();
        }
        break;
      case 5: {
        auto it = std::find(model.begin(), model.end(), v);
        const std::string e = "i" + v;
        CHECK(l.Insert(true, v, e) == (it == model.end() ? -1 : int64_t(model.size()) + 1));
        if (it != model.end()) model.insert(it, e);
        break;
      }
      case 6: {
        size_t n = 0;
        for (auto it = model.begin(); it != model.end() && n < 1;) {
          if (*it == v) {
            it = model.erase(it);
            n++;
          } else {
            ++it;
          }
        }
        CHECK(l.Remove(1, v) == n);
        break;
      }
      default:
        if (rand(0, 50) == 0) {
          l.PopFront(model.size());
          model.clear();
        }
    }
    REQUIRE(l.Size() == model.size());
    if (step % 97 == 0) {
      CHECK(l.Range(0, -1) == std::vector<std::string>(model.begin(), model.end()));
      CHECK(l.Clone()->Range(0, -1) == l.Range(0, -1));
    }
  }
}

}  // namespace
}  // namespace slotproxy::engine
