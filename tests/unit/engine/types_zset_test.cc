#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "engine/types/set_value.h"
#include "engine/types/type_errors.h"
#include "engine/types/zset_value.h"

namespace slotproxy::engine {
namespace {

using Strings = std::vector<std::string>;

Strings SV(std::initializer_list<const char*> l) { return Strings(l.begin(), l.end()); }

bool MatchAll(std::string_view) { return true; }

ZSetValue Make(std::initializer_list<std::pair<double, const char*>> l) {
  ZSetValue z;
  for (auto& [s, m] : l) z.Add(s, m);
  return z;
}

// "member score member score ..." as ZRANGE WITHSCORES prints it.
struct Collect {
  Strings out = {};
  bool scores = true;
  void operator()(std::string_view m, double s) {
    out.emplace_back(m);
    if (scores) out.push_back(FormatScore(s));
  }
};

Strings All(const ZSetValue& z) {
  Collect c;
  z.ForEach([&](std::string_view m, double s) { c(m, s); });
  return c.out;
}

ZScoreRange SR(const char* min, const char* max) { return ParseZScoreRange(min, max).value(); }
ZLexRange LR(const char* min, const char* max) { return ParseZLexRange(min, max).value(); }

TEST_CASE("zset: score formatting matches Redis 7.0.15", "[engine][types][zset]") {
  CHECK(FormatScore(0.1) == "0.10000000000000001");
  CHECK(FormatScore(1) == "1");
  CHECK(FormatScore(2.5) == "2.5");
  CHECK(FormatScore(1e20) == "1e+20");
  CHECK(FormatScore(1e17) == "1e+17");
  CHECK(FormatScore(-0.0) == "-0");
  CHECK(FormatScore(INFINITY) == "inf");
  CHECK(FormatScore(-INFINITY) == "-inf");
  CHECK(FormatScore(1e300 + 0.1) == "1.0000000000000001e+300");
  CHECK(FormatScoreListpack(1e17) == "100000000000000000");
  CHECK(FormatScoreListpack(123456789012345678.0) == "123456789012345680");
  CHECK(FormatScoreListpack(4611686018427387904.0) == "4611686018427387904");
  CHECK(FormatScoreListpack(4611686018427388928.0) == "4.6116860184273889e+18");
  CHECK(FormatScoreListpack(-4611686018427387904.0) == "-4611686018427387904");
  CHECK(FormatScoreListpack(-4611686018427388928.0) == "-4.6116860184273889e+18");
  CHECK(FormatScoreListpack(9.2e18) == "9.2e+18");
  CHECK(FormatScoreListpack(0.5) == "0.5");
  CHECK(FormatScoreListpack(-0.0) == "0");
  CHECK(FormatScoreSkiplist(1e17) == "1e+17");
  CHECK(FormatScoreSkiplist(1.5) == "1.5");
  CHECK(FormatScoreSkiplist(-0.0) == "-0");
  CHECK(FormatScoreSkiplist(-9223372036854775808.0) == "-9.2233720368547758e+18");
}

TEST_CASE("zset: range parsing", "[engine][types][zset]") {
  auto r = SR("(1.5", "+inf");
  CHECK(r.min == 1.5);
  CHECK(r.min_exclusive);
  CHECK(std::isinf(r.max));
  CHECK_FALSE(r.max_exclusive);
  CHECK(SR("", "(").min == 0);  // C strtod accepts the empty string
  CHECK(SR(" 1", "0x10").max == 16);
  CHECK(SR("-inf", "1e400").max == INFINITY);
  for (auto [a, b] : {std::pair{"a", "1"}, {"1", "0 "}, {"nan", "1"}, {"1", "(nan"}, {"1", "(("}}) {
    CHECK(ParseZScoreRange(a, b).status().message() == "ERR min or max is not a float");
  }
  CHECK(SR("1", std::string("2\0x", 3).c_str()).max == 2);
  auto l = LR("[a", "(b");
  CHECK_FALSE(l.min.exclusive);
  CHECK(l.max.exclusive);
  CHECK(l.max.value == "b");
  CHECK(LR("-", "+").min.kind == ZLexBound::Kind::kMinusInf);
  CHECK(LR("[", "+").min.value.empty());
  for (auto [a, b] : {std::pair{"a", "+"}, {"-", "++"}, {"", "+"}, {"[a", "b"}, {"+a", "+"}}) {
    CHECK(ParseZLexRange(a, b).status().message() == "ERR min or max not valid string range item");
  }
  CHECK(LR("+", "-").Empty());
  CHECK(LR("-", "-").Empty());
  CHECK(LR("(a", "[a").Empty());
  CHECK_FALSE(LR("[a", "[a").Empty());
  CHECK(SR("(1", "1").Empty());
  CHECK(SR("2", "1").Empty());
  CHECK_FALSE(SR("1", "1").Empty());
}

TEST_CASE("zset: ZADD flags and results", "[engine][types][zset]") {
  ZSetValue z;
  double ns = 0;
  CHECK(z.Add(1, "a") == ZAddResult::kAdded);
  CHECK(z.Add(1, "a") == ZAddResult::kUnchanged);
  CHECK(z.Add(2, "a") == ZAddResult::kUpdated);
  CHECK(*z.Score("a") == 2);
  CHECK(z.Add(5, "a", {.nx = true}) == ZAddResult::kSkipped);
  CHECK(z.Add(5, "b", {.nx = true}) == ZAddResult::kAdded);
  CHECK(z.Add(5, "c", {.xx = true}) == ZAddResult::kSkipped);
  CHECK(!z.Score("c"));
  CHECK(z.Add(7, "a", {.xx = true}, &ns) == ZAddResult::kUpdated);
  CHECK(ns == 7);
  CHECK(z.Add(6, "a", {.gt = true}) == ZAddResult::kSkipped);
  CHECK(z.Add(7, "a", {.gt = true}) == ZAddResult::kSkipped);
  CHECK(z.Add(8, "a", {.gt = true}) == ZAddResult::kUpdated);
  CHECK(z.Add(9, "a", {.lt = true}) == ZAddResult::kSkipped);
  CHECK(z.Add(3, "a", {.lt = true}) == ZAddResult::kUpdated);
  CHECK(z.Add(1, "new", {.gt = true}) == ZAddResult::kAdded);  // GT/LT never block adds
  CHECK(z.Add(10, "a", {.incr = true}, &ns) == ZAddResult::kUpdated);
  CHECK(ns == 13);
  CHECK(z.Add(0, "a", {.incr = true}, &ns) == ZAddResult::kUnchanged);
  CHECK(ns == 13);
  CHECK(z.Add(-1, "a", {.gt = true, .incr = true}) == ZAddResult::kSkipped);
  CHECK(z.Add(2.5, "i", {.incr = true}, &ns) == ZAddResult::kAdded);
  CHECK(ns == 2.5);
  CHECK(z.Add(INFINITY, "inf") == ZAddResult::kAdded);
  CHECK(z.Add(-INFINITY, "inf", {.incr = true}) == ZAddResult::kNaN);
  CHECK(*z.Score("inf") == INFINITY);
  CHECK(kErrZScoreNaN == std::string("ERR resulting score is not a number (NaN)"));
  CHECK(z.Remove("inf"));
  CHECK_FALSE(z.Remove("inf"));
  CHECK(z.Size() == 4);
}

TEST_CASE("zset: -0 is kept only by the skiplist encoding", "[engine][types][zset]") {
  ZSetValue z;
  double ns = 1;
  CHECK(z.Add(-0.0, "x", {.incr = true}, &ns) == ZAddResult::kAdded);
  CHECK(FormatScore(ns) == "-0");            // ZADD INCR replies "-0" ...
  CHECK(FormatScore(*z.Score("x")) == "0");  // ... but ZSCORE says "0" (listpack)
  for (int i = 0; i < 130; i++) z.Add(i + 1, "m" + std::to_string(i));
  CHECK(z.Encoding() == "skiplist");
  z.Add(-0.0, "neg");
  CHECK(FormatScore(*z.Score("neg")) == "-0");
  std::vector<std::string> out;
  uint64_t cursor = 0;
  do
    cursor = z.Scan(
        cursor, 1000, [](std::string_view m) { return m == "neg"; }, &out);
  while (cursor != 0);
  CHECK(out == SV({"neg", "-0"}));
}

TEST_CASE("zset: encoding conversion", "[engine][types][zset]") {
  ZSetValue z;
  for (int i = 0; i < 128; i++) z.Add(i, "m" + std::to_string(i));
  CHECK(z.Encoding() == "listpack");
  z.Add(5, "m5");  // updates never convert
  CHECK(z.Encoding() == "listpack");
  z.Add(1, "m128");
  CHECK(z.Encoding() == "skiplist");
  z.PopMin(100);
  CHECK(z.Encoding() == "skiplist");
  CHECK(z.Clone()->Encoding() == "skiplist");
  ZSetValue y;
  y.Add(1, std::string(64, 'a'));
  CHECK(y.Encoding() == "listpack");
  y.Add(1, std::string(65, 'a'));
  CHECK(y.Encoding() == "skiplist");
  CHECK(y.Clone()->Size() == 2);
}

TEST_CASE("zset: ranks and ranges by rank", "[engine][types][zset]") {
  // Replies captured from redis-server 7.0.15: ZADD z 1 a 1 b 2 c 2 d 3 e.
  for (bool big : {false, true}) {
    ZSetValue z = Make({{1, "a"}, {1, "b"}, {2, "c"}, {2, "d"}, {3, "e"}});
    if (big) {
      z.Add(0, std::string(100, 'z'));  // skiplist
      z.Remove(std::string(100, 'z'));
      REQUIRE(z.Encoding() == "skiplist");
    }
    CHECK(*z.Rank("c") == 2);
    CHECK(*z.Rank("c", true) == 2);
    CHECK(*z.Rank("a") == 0);
    CHECK(*z.Rank("a", true) == 4);
    CHECK(!z.Rank("zz"));
    Collect c{.scores = false};
    auto emit = [&](std::string_view m, double s) { c(m, s); };
    z.RangeByRank(-2, -1, false, emit);
    CHECK(c.out == SV({"d", "e"}));
    c.out.clear();
    z.RangeByRank(0, 1, true, emit);
    CHECK(c.out == SV({"e", "d"}));
    c.out.clear();
    z.RangeByRank(3, 1, false, emit);
    z.RangeByRank(5, 10, false, emit);
    z.RangeByRank(0, -6, false, emit);
    CHECK(c.out.empty());
    z.RangeByRank(-100, 100, true, emit);
    CHECK(c.out == SV({"e", "d", "c", "b", "a"}));
    c.out.clear();
    z.RangeByRank(INT64_MIN, INT64_MAX, false, emit);
    CHECK(c.out.size() == 5);
    CHECK(All(z) == SV({"a", "1", "b", "1", "c", "2", "d", "2", "e", "3"}));
  }
}

TEST_CASE("zset: ranges by score", "[engine][types][zset]") {
  for (bool big : {false, true}) {
    ZSetValue z = Make({{1, "a"}, {1, "b"}, {2, "c"}, {2, "d"}, {3, "e"}});
    if (big) {
      for (int i = 0; i < 200; i++) z.Add(100 + i, "x" + std::to_string(i));
      REQUIRE(z.Encoding() == "skiplist");
    }
    Collect c;
    auto emit = [&](std::string_view m, double s) { c(m, s); };
    z.RangeByScore(SR("(1", "3"), false, 1, 2, emit);
    CHECK(c.out == SV({"d", "2", "e", "3"}));
    c.out.clear();
    z.RangeByScore(SR("-inf", "2"), true, 0, -1, emit);
    CHECK(c.out == SV({"d", "2", "c", "2", "b", "1", "a", "1"}));
    c.out.clear();
    c.scores = false;
    z.RangeByScore(SR("1", "3"), true, 1, 3, emit);
    CHECK(c.out == SV({"d", "c", "b"}));
    c.out.clear();
    z.RangeByScore(SR("-inf", "+inf"), false, -1, 1, emit);  // negative offset: nothing
    z.RangeByScore(SR("(1", "(2"), false, 0, -1, emit);
    z.RangeByScore(SR("3", "1"), false, 0, -1, emit);
    z.RangeByScore(SR("1", "3"), false, 0, 0, emit);
    z.RangeByScore(SR("1", "3"), false, 5, -1, emit);
    CHECK(c.out.empty());
    z.RangeByScore(SR("1", "(2"), false, 1, -1, emit);
    CHECK(c.out == SV({"b"}));
    CHECK(z.Count(SR("(1", "(3")) == 2);
    CHECK(z.Count(SR("1", "3")) == 5);
    CHECK(z.Count(SR("3", "1")) == 0);
    CHECK(z.Count(SR("(2", "2")) == 0);
    CHECK(z.Count(SR("2", "2")) == 2);
    CHECK(z.Count(SR("-inf", "+inf")) == z.Size());
  }
}

TEST_CASE("zset: lexicographic ranges", "[engine][types][zset]") {
  for (bool big : {false, true}) {
    ZSetValue l = Make({{0, "a"}, {0, "b"}, {0, "c"}, {0, "d"}, {0, "e"}, {0, "f"}});
    if (big) {
      for (int i = 0; i < 200; i++) l.Add(0, "g" + std::to_string(1000 + i));
      for (int i = 0; i < 200; i++) l.Remove("g" + std::to_string(1000 + i));
      REQUIRE(l.Encoding() == "skiplist");
    }
    Collect c{.scores = false};
    auto emit = [&](std::string_view m, double s) { c(m, s); };
    l.RangeByLex(LR("[b", "(e"), false, 0, -1, emit);
    CHECK(c.out == SV({"b", "c", "d"}));
    c.out.clear();
    l.RangeByLex(LR("[b", "(e"), true, 1, 2, emit);  // ZREVRANGEBYLEX l (e [b LIMIT 1 2
    CHECK(c.out == SV({"c", "b"}));
    c.out.clear();
    l.RangeByLex(LR("-", "+"), false, 2, 2, emit);
    CHECK(c.out == SV({"c", "d"}));
    c.out.clear();
    l.RangeByLex(LR("+", "-"), false, 0, -1, emit);
    l.RangeByLex(LR("(f", "+"), false, 0, -1, emit);
    l.RangeByLex(LR("-", "(a"), true, 0, -1, emit);
    CHECK(c.out.empty());
    CHECK(l.LexCount(LR("-", "+")) == 6);
    CHECK(l.LexCount(LR("(a", "[c")) == 2);
    CHECK(l.LexCount(LR("(c", "(d")) == 0);
    CHECK(l.LexCount(LR("[aa", "[cc")) == 2);
    CHECK(l.RemoveRangeByLex(LR("[e", "+")) == 2);
    CHECK(All(l) == SV({"a", "0", "b", "0", "c", "0", "d", "0"}));
    CHECK(l.RemoveRangeByLex(LR("(a", "(a")) == 0);
  }
  // Mixed scores in a listpack follow zzlFirstInLexRange's walk (7.0.15 replies).
  ZSetValue m = Make({{1, "d"}, {2, "a"}, {3, "c"}, {4, "b"}});
  Collect c{.scores = false};
  auto emit = [&](std::string_view mm, double s) { c(mm, s); };
  m.RangeByLex(LR("[b", "[z"), false, 0, -1, emit);
  CHECK(c.out == SV({"d", "a", "c", "b"}));
  c.out.clear();
  m.RangeByLex(LR("-", "[b"), false, 0, -1, emit);
  CHECK(c.out.empty());
  CHECK(m.LexCount(LR("[b", "[z")) == 4);
  m.RangeByLex(LR("[b", "[z"), true, 0, -1, emit);
  CHECK(c.out == SV({"b", "c"}));
}

TEST_CASE("zset: pops and removals", "[engine][types][zset]") {
  ZSetValue z = Make({{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}, {5, "e"}, {6, "f"}});
  auto p = z.PopMin(2);
  REQUIRE(p.size() == 2);
  CHECK(p[0].first == "a");
  CHECK(p[1].second == 2);
  p = z.PopMax(1);
  CHECK(p[0].first == "f");
  CHECK(z.PopMin(0).empty());
  CHECK(z.RemoveRangeByRank(-1, -1) == 1);  // e
  CHECK(z.RemoveRangeByRank(5, 10) == 0);
  CHECK(z.RemoveRangeByScore(SR("(3", "+inf")) == 1);  // d
  CHECK(All(z) == SV({"c", "3"}));
  CHECK(z.RemoveRangeByScore(SR("-inf", "+inf")) == 1);
  CHECK(z.Size() == 0);
  CHECK(z.PopMax(3).empty());
  ZSetValue y = Make({{1, "a"}, {2, "b"}, {3, "c"}});
  CHECK(y.RemoveRangeByRank(0, -1) == 3);
  CHECK(y.Size() == 0);
}

TEST_CASE("zset: ZUNIONSTORE / ZINTERSTORE", "[engine][types][zset]") {
  ZSetValue a = Make({{1, "x"}, {2, "y"}, {3, "z"}});
  ZSetValue b = Make({{10, "y"}, {20, "z"}, {30, "w"}});
  SetValue s;
  s.Add("z");
  s.Add("q");
  std::vector<ZSetOpInput> ab = {{.zset = &a}, {.zset = &b}};
  CHECK(All(*ZSetValue::Union(ab, ZAggregate::kSum)) ==
        SV({"x", "1", "y", "12", "z", "23", "w", "30"}));
  CHECK(All(*ZSetValue::Inter(ab, ZAggregate::kMin)) == SV({"y", "2", "z", "3"}));
  CHECK(All(*ZSetValue::Inter(ab, ZAggregate::kMax)) == SV({"y", "10", "z", "20"}));
  std::vector<ZSetOpInput> weighted = {{.zset = &a, .weight = 2}, {.zset = &b, .weight = -1}};
  CHECK(All(*ZSetValue::Union(weighted, ZAggregate::kSum)) ==
        SV({"w", "-30", "z", "-14", "y", "-6", "x", "2"}));
  std::vector<ZSetOpInput> with_set = {{.zset = &a}, {.set = &s, .weight = 5}};
  CHECK(All(*ZSetValue::Union(with_set, ZAggregate::kSum)) ==
        SV({"x", "1", "y", "2", "q", "5", "z", "8"}));
  CHECK(All(*ZSetValue::Inter(with_set, ZAggregate::kSum)) == SV({"z", "8"}));
  std::vector<ZSetOpInput> missing = {{.zset = &a}, {}};
  CHECK(ZSetValue::Inter(missing, ZAggregate::kSum)->Size() == 0);
  CHECK(ZSetValue::Union(missing, ZAggregate::kSum)->Size() == 3);
  // inf * 0 is NaN and becomes 0; inf + -inf under SUM becomes 0.
  ZSetValue inf = Make({{INFINITY, "x"}});
  ZSetValue ninf = Make({{-INFINITY, "x"}});
  std::vector<ZSetOpInput> nan_w = {{.zset = &inf, .weight = 0}};
  CHECK(All(*ZSetValue::Union(nan_w, ZAggregate::kSum)) == SV({"x", "0"}));
  std::vector<ZSetOpInput> cancel = {{.zset = &inf}, {.zset = &ninf}};
  CHECK(All(*ZSetValue::Union(cancel, ZAggregate::kSum)) == SV({"x", "0"}));
  CHECK(All(*ZSetValue::Inter(cancel, ZAggregate::kSum)) == SV({"x", "0"}));
  // The same key twice.
  std::vector<ZSetOpInput> twice = {{.zset = &a}, {.zset = &a, .weight = 3}};
  CHECK(All(*ZSetValue::Inter(twice, ZAggregate::kSum)) == SV({"x", "4", "y", "8", "z", "12"}));
  // -0 from a weight becomes 0 in a listpack result (7.0.15: ZUNIONSTORE d 1 z WEIGHTS -1).
  ZSetValue zero = Make({{0, "a"}, {1, "b"}});
  std::vector<ZSetOpInput> neg = {{.zset = &zero, .weight = -1}};
  auto r = ZSetValue::Union(neg, ZAggregate::kSum);
  CHECK(r->Encoding() == "listpack");
  CHECK(All(*r) == SV({"b", "-1", "a", "0"}));
  // Encoding of the result follows its content.
  ZSetValue big;
  for (int i = 0; i < 200; i++) big.Add(i, "m" + std::to_string(i));
  std::vector<ZSetOpInput> small_inter = {{.zset = &big}, {.zset = &a}};
  CHECK(ZSetValue::Inter(small_inter, ZAggregate::kSum)->Encoding() == "listpack");
  CHECK(ZSetValue::Union(small_inter, ZAggregate::kSum)->Encoding() == "skiplist");
}

TEST_CASE("zset: ZSCAN", "[engine][types][zset]") {
  ZSetValue z = Make({{1e17, "a"}, {0.5, "b"}, {3, "c"}});
  Strings out;
  CHECK(z.Scan(0, 1, MatchAll, &out) == 0);
  CHECK(out == SV({"b", "0.5", "c", "3", "a", "100000000000000000"}));
  for (int i = 0; i < 1000; i++) z.Add(i, "m" + std::to_string(i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    out.clear();
    cursor = z.Scan(cursor, 10, MatchAll, &out);
    for (size_t i = 0; i < out.size(); i += 2) {
      seen.insert(out[i]);
      if (out[i] == "a") CHECK(out[i + 1] == "1e+17");
    }
    z.Add(-1, "n" + std::to_string(calls));
    z.Add(5000, "m" + std::to_string(calls));  // score changes do not hide members
    calls++;
  } while (cursor != 0 && calls < 10000);
  CHECK(cursor == 0);
  CHECK(calls > 50);
  for (int i = 0; i < 1000; i++) CHECK(seen.count("m" + std::to_string(i)) == 1);
  CHECK(seen.count("a") == 1);
}

}  // namespace
}  // namespace slotproxy::engine
