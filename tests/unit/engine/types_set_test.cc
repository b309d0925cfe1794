#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/types/set_value.h"

namespace slotproxy::engine {
namespace {

std::vector<std::string> SV(std::initializer_list<const char*> l) {
  return std::vector<std::string>(l.begin(), l.end());
}

SetValue Make(std::initializer_list<std::string_view> l) {
  SetValue s;
  std::vector<std::string_view> m(l);
  s.AddMany(m);
  return s;
}

std::set<std::string> Sorted(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

bool MatchAll(std::string_view) { return true; }

TEST_CASE("set: intset keeps ascending order and Redis's integer rules", "[engine][types][set]") {
  SetValue s = Make({"5", "3", "-1", "10", "3"});
  CHECK(s.Size() == 4);
  CHECK(s.Encoding() == "intset");
  CHECK(s.Members() == SV({"-1", "3", "5", "10"}));
  CHECK(s.Contains("3"));
  CHECK_FALSE(s.Contains("03"));
  CHECK_FALSE(s.Contains("x"));
  CHECK(s.Add("9223372036854775807"));
  CHECK(s.Add("-9223372036854775808"));
  CHECK(s.Encoding() == "intset");
  CHECK(s.Members().front() == "-9223372036854775808");
  for (const char* not_int : {"01", "-0", "+1", " 1", "1 ", "9223372036854775808", "1.0", ""}) {
    SetValue t = Make({"1"});
    CHECK(t.Add(not_int));
    CHECK(t.Encoding() == "hashtable");
    CHECK(t.Contains(not_int));
    CHECK(t.Contains("1"));
  }
  CHECK(s.Remove("5"));
  CHECK_FALSE(s.Remove("5"));
  CHECK_FALSE(s.Remove("x"));
  CHECK(s.Members() == SV({"-9223372036854775808", "-1", "3", "10", "9223372036854775807"}));
}

TEST_CASE("set: conversion at 513 integers, never back", "[engine][types][set]") {
  SetValue s;
  for (int i = 0; i < 512; i++) s.Add(std::to_string(i));
  CHECK(s.Encoding() == "intset");
  s.Add("512");
  CHECK(s.Encoding() == "hashtable");
  CHECK(s.Size() == 513);
  for (int i = 0; i < 500; i++) s.Remove(std::to_string(i));
  CHECK(s.Encoding() == "hashtable");
  CHECK(s.Contains("510"));
  CHECK(s.Clone()->Encoding() == "hashtable");
  CHECK(s.Clone()->Size() == 13);
  SetValue t = Make({"a"});
  t.Remove("a");
  t.Add("1");
  CHECK(t.Encoding() == "hashtable");
}

TEST_CASE("set: inter, union, diff, intercard", "[engine][types][set]") {
  // Replies captured from redis-server 7.0.15.
  SetValue a = Make({"5", "3", "-1", "10", "x"});
  SetValue b = Make({"3", "10", "7"});
  SetValue c = Make({"10", "3", "100", "-5"});
  std::vector<const SetValue*> bc = {&b, &c};
  CHECK(SetValue::Inter(bc)->Members() == SV({"3", "10"}));
  CHECK(SetValue::Union(bc)->Members() == SV({"-5", "3", "7", "10", "100"}));
  std::vector<const SetValue*> cb = {&c, &b};
  CHECK(SetValue::Diff(cb)->Members() == SV({"-5", "100"}));
  std::vector<const SetValue*> ab = {&a, &b};
  CHECK(SetValue::Inter(ab)->Members() == SV({"3", "10"}));  // b (smaller, intset) drives
  CHECK(SetValue::InterCard(bc, 1) == 1);
  CHECK(SetValue::InterCard(bc, 0) == 2);
  CHECK(SetValue::InterCard(bc, 5) == 2);
  auto u = SetValue::Union(std::vector<const SetValue*>{&b, &a});
  CHECK(u->Encoding() == "hashtable");
  CHECK(u->Size() == 6);
  auto d = SetValue::Diff(ab);
  CHECK(d->Encoding() == "hashtable");
  CHECK(Sorted(d->Members()) == std::set<std::string>{"-1", "5", "x"});
  // A diff whose members are all integers is an intset again (a new object).
  SetValue e = Make({"5", "x"});
  SetValue f = Make({"x"});
  auto g = SetValue::Diff(std::vector<const SetValue*>{&e, &f});
  CHECK(g->Encoding() == "intset");
  CHECK(g->Members() == SV({"5"}));
  // Missing keys.
  std::vector<const SetValue*> with_null = {&b, nullptr};
  CHECK(SetValue::Inter(with_null)->Size() == 0);
  CHECK(SetValue::InterCard(with_null, 0) == 0);
  CHECK(SetValue::Union(with_null)->Members() == SV({"3", "7", "10"}));
  CHECK(SetValue::Diff(with_null)->Members() == SV({"3", "7", "10"}));
  CHECK(SetValue::Diff(std::vector<const SetValue*>{nullptr, &b})->Size() == 0);
  // The same set twice.
  CHECK(SetValue::Diff(std::vector<const SetValue*>{&b, &b})->Size() == 0);
  CHECK(SetValue::Inter(std::vector<const SetValue*>{&b, &b})->Members() == SV({"3", "7", "10"}));
}

TEST_CASE("set: SMOVE", "[engine][types][set]") {
  SetValue a = Make({"1", "2"});
  SetValue b = Make({"x"});
  CHECK(SetValue::Move(&a, &b, "1"));
  CHECK(a.Members() == SV({"2"}));
  CHECK(b.Contains("1"));
  CHECK_FALSE(SetValue::Move(&a, &b, "9"));
  CHECK(SetValue::Move(&a, &a, "2"));
  CHECK(a.Size() == 1);
  CHECK_FALSE(SetValue::Move(&a, &a, "3"));
}

TEST_CASE("set: SPOP and SRANDMEMBER", "[engine][types][set]") {
  for (int n : {5, 600}) {
    SetValue s;
    for (int i = 0; i < n; i++) s.Add(n == 5 ? std::to_string(i) : "m" + std::to_string(i));
    std::vector<std::string> got;
    auto collect = [&](std::string_view m) { got.emplace_back(m); };
    s.RandomMembers(0, collect);
    CHECK(got.empty());
    s.RandomMembers(3, collect);
    CHECK(Sorted(got).size() == 3);
    got.clear();
    s.RandomMembers(n * 3, collect);
    CHECK(got == s.Members());
    got.clear();
    s.RandomMembers(-2 * n, collect);
    CHECK(got.size() == static_cast<size_t>(2 * n));
    for (const auto& m : got) CHECK(s.Contains(m));
    got.clear();
    s.RandomMembers(n / 2, collect);
    CHECK(Sorted(got).size() == static_cast<size_t>(n / 2));
    CHECK(s.Contains(s.RandomMember()));

    auto popped = s.Pop(2);
    CHECK(Sorted(popped).size() == 2);
    for (const auto& m : popped) CHECK_FALSE(s.Contains(m));
    CHECK(s.Size() == static_cast<size_t>(n - 2));
    auto one = s.Pop();
    REQUIRE(one.has_value());
    CHECK_FALSE(s.Contains(*one));
    CHECK(s.Pop(0).empty());
    const auto rest_expected = s.Members();
    CHECK(s.Pop(100000) == rest_expected);
    CHECK(s.Size() == 0);
    CHECK(!s.Pop().has_value());
  }
}

TEST_CASE("set: SSCAN", "[engine][types][set]") {
  SetValue s = Make({"3", "1", "2"});
  std::vector<std::string> out;
  CHECK(s.Scan(0, 1, MatchAll, &out) == 0);
  CHECK(out == SV({"1", "2", "3"}));
  SetValue big;
  for (int i = 0; i < 2000; i++) big.Add("k" + std::to_string(i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0;
  do {
    out.clear();
    cursor = big.Scan(
        cursor, 7, [](std::string_view m) { return m.back() == '7'; }, &out);
    for (auto& m : out) {
      CHECK(m.back() == '7');
      seen.insert(m);
    }
    big.Add("extra" + std::to_string(calls));
    calls++;
  } while (cursor != 0 && calls < 100000);
  CHECK(cursor == 0);
  CHECK(seen.size() >= 200);
  for (int i = 7; i < 2000; i += 10) CHECK(seen.count("k" + std::to_string(i)) == 1);
}

TEST_CASE("set: hashtable SRANDMEMBER is uniform, SPOP drains through every shrink",
          "[engine][types][set]") {
  SetValue s;
  for (int i = 0; i < 1000; i++) s.Add("m" + std::to_string(i));
  // Delete most of a bigger set's members too, so that chains and the load factor vary.
  for (int i = 0; i < 3000; i++) s.Add("gone" + std::to_string(i));
  for (int i = 0; i < 3000; i++) REQUIRE(s.Remove("gone" + std::to_string(i)));
  REQUIRE(s.Size() == 1000);
  std::map<std::string, int> counts;
  const int draws = 60000;  // 60 per member
  for (int i = 0; i < draws; i++) counts[s.RandomMember()]++;
  double chi2 = 0;
  for (int i = 0; i < 1000; i++) {
    const double n = counts["m" + std::to_string(i)];
    chi2 += (n - 60) * (n - 60) / 60;
  }
  // 999 degrees of freedom: mean 999, sd 44.7; 1300 is 6.7 sd out.
  CHECK(chi2 < 1300);
  CHECK(counts.size() == 1000);

  SetValue copy = *s.Clone();
  std::set<std::string> popped;
  for (int i = 0; i < 1000; i++) {
    auto m = s.Pop();
    REQUIRE(m.has_value());
    REQUIRE(popped.insert(*m).second);
    REQUIRE_FALSE(s.Contains(*m));
    REQUIRE(s.Size() == static_cast<size_t>(999 - i));
  }
  CHECK_FALSE(s.Pop().has_value());
  CHECK(popped == Sorted(copy.Members()));
  CHECK(copy.Size() == 1000);
  CHECK(copy.Encoding() == "hashtable");
}

}  // namespace
}  // namespace slotproxy::engine
