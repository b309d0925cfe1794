#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/types/hash_value.h"
#include "engine/types/type_errors.h"

namespace slotproxy::engine {
namespace {

bool MatchAll(std::string_view) { return true; }

std::vector<std::string> SV(std::initializer_list<const char*> l) {
  return std::vector<std::string>(l.begin(), l.end());
}

TEST_CASE("hash: set, get, del keep listpack insertion order", "[engine][types][hash]") {
  HashValue h;
  CHECK(h.Encoding() == "listpack");
  std::vector<std::string_view> args = {"b", "1", "a", "2", "b", "3"};
  CHECK(h.SetMany(args) == 2);  // repeated field counts once and takes the last value
  CHECK(h.Size() == 2);
  CHECK(*h.Get("b") == "3");
  CHECK(!h.Get("zz").has_value());
  CHECK(h.Set("c", "4"));
  CHECK_FALSE(h.Set("a", "5"));
  CHECK(h.GetAll() == SV({"b", "3", "a", "5", "c", "4"}));
  CHECK(h.Keys() == SV({"b", "a", "c"}));
  CHECK(h.Values() == SV({"3", "5", "4"}));
  CHECK(h.Delete("a"));
  CHECK_FALSE(h.Delete("a"));
  CHECK(h.Keys() == SV({"b", "c"}));
  CHECK(h.Exists("b"));
  CHECK_FALSE(h.Exists("a"));
  CHECK(h.StrLen("b") == 1);
  CHECK(h.StrLen("nope") == 0);
  CHECK_FALSE(h.SetNx("b", "x"));
  CHECK(h.SetNx("d", "x"));
  CHECK(*h.Get("b") == "3");
}

TEST_CASE("hash: encoding converts like Redis 7.0 and never goes back", "[engine][types][hash]") {
  HashValue h;
  for (int i = 0; i < 512; i++) h.Set("f" + std::to_string(i), "v");
  CHECK(h.Encoding() == "listpack");
  h.Set("f512", "v");
  CHECK(h.Encoding() == "hashtable");
  CHECK(h.Size() == 513);
  for (int i = 0; i < 500; i++) h.Delete("f" + std::to_string(i));
  CHECK(h.Encoding() == "hashtable");
  CHECK(*h.Get("f510") == "v");

  HashValue a;
  a.Set("x", std::string(64, 'v'));
  CHECK(a.Encoding() == "listpack");
  a.Set("x", std::string(65, 'v'));
  CHECK(a.Encoding() == "hashtable");

  // HSETNX on an existing field with a long value leaves the listpack alone (7.0.15).
  HashValue b;
  b.Set("a", "1");
  CHECK_FALSE(b.SetNx("a", std::string(65, 'x')));
  CHECK(b.Encoding() == "listpack");
  CHECK(b.SetNx("n", std::string(65, 'x')));
  CHECK(b.Encoding() == "hashtable");

  // HSET with many repeats of one field stays a listpack (no pre-sizing in 7.0).
  HashValue c;
  std::vector<std::string_view> args;
  for (int i = 0; i < 200; i++) {
    args.push_back("f");
    args.push_back("1");
  }
  CHECK(c.SetMany(args) == 1);
  CHECK(c.Encoding() == "listpack");
  // A long value anywhere in the arguments converts before anything is stored.
  HashValue d;
  std::string long_value(65, 'q');
  std::vector<std::string_view> args2 = {"a", "1", "b", long_value};
  CHECK(d.SetMany(args2) == 2);
  CHECK(d.Encoding() == "hashtable");

  auto clone = h.Clone();
  CHECK(clone->Encoding() == "hashtable");
  CHECK(clone->Size() == h.Size());
}

TEST_CASE("hash: HINCRBY", "[engine][types][hash]") {
  HashValue h;
  CHECK(h.IncrBy("n", 5).value() == 5);
  CHECK(h.IncrBy("n", -7).value() == -2);
  CHECK(*h.Get("n") == "-2");
  h.Set("s", "abc");
  CHECK(h.IncrBy("s", 1).status().message() == "ERR hash value is not an integer");
  h.Set("s", " 1");
  CHECK(h.IncrBy("s", 1).status().message() == kErrHashNotInteger);
  h.Set("s", "01");
  CHECK(h.IncrBy("s", 1).status().message() == kErrHashNotInteger);
  h.Set("s", "1.0");
  CHECK(h.IncrBy("s", 1).status().message() == kErrHashNotInteger);
  h.Set("m", "9223372036854775807");
  CHECK(h.IncrBy("m", 1).status().message() == "ERR increment or decrement would overflow");
  CHECK(*h.Get("m") == "9223372036854775807");
  CHECK(h.IncrBy("m", -1).value() == INT64_MAX - 1);
  h.Set("l", "-9223372036854775808");
  CHECK(h.IncrBy("l", -1).status().message() == "ERR increment or decrement would overflow");
  CHECK(h.IncrBy("l", 0).value() == INT64_MIN);
}

TEST_CASE("hash: HINCRBYFLOAT formats like ld2string human mode", "[engine][types][hash]") {
  // Expected texts captured from redis-server 7.0.15.
  HashValue h;
  h.Set("f", "-0");
  CHECK(h.IncrByFloat("f", 0).value() == "0");
  CHECK(h.IncrByFloat("g", -0.0L).value() == "0");
  h.Set("i", "1.5");
  CHECK(h.IncrByFloat("i", -1.5L).value() == "0");
  CHECK(h.IncrByFloat("i", 1e20L).value() == "100000000000000000000");
  CHECK(h.IncrByFloat("j", 0.1L).value() == "0.1");
  CHECK(h.IncrByFloat("j", 1e-20L).value() == "0.1");
  CHECK(h.IncrByFloat("k", 3.0e3L).value() == "3000");
  CHECK(*h.Get("k") == "3000");
  h.Set("l", " 1");
  CHECK(h.IncrByFloat("l", 1).status().message() == "ERR hash value is not a float");
  h.Set("p", "inf");
  CHECK(h.IncrByFloat("p", 1).status().message() == "ERR increment would produce NaN or Infinity");
  CHECK(h.IncrByFloat("o", INFINITY).status().message() == "ERR value is NaN or Infinity");
  CHECK(!h.Exists("o"));
  h.Set("x", "0x10");
  CHECK(h.IncrByFloat("x", 1).value() == "17");
  // A result longer than 64 bytes converts the listpack.
  HashValue big;
  big.Set("a", "1");
  auto r = big.IncrByFloat("b", 1e70L);
  CHECK(r.value() == "10000000000000000000222479489586148259025995410601157579323600873193472");
  CHECK(big.Encoding() == "hashtable");
}

TEST_CASE("hash: HRANDFIELD count semantics", "[engine][types][hash]") {
  HashValue h;
  std::vector<std::string_view> args = {"a", "1", "b", "2", "c", "3", "d", "4"};
  h.SetMany(args);
  std::vector<std::string> got;
  auto collect = [&](std::string_view f, std::string_view v) {
    got.emplace_back(f);
    CHECK(*h.Get(f) == v);
  };
  h.RandomFields(0, collect);
  CHECK(got.empty());
  h.RandomFields(10, collect);
  CHECK(got == SV({"a", "b", "c", "d"}));  // the whole hash, in order
  got.clear();
  h.RandomFields(3, collect);
  CHECK(got.size() == 3);
  CHECK(std::set<std::string>(got.begin(), got.end()).size() == 3);
  got.clear();
  h.RandomFields(-20, collect);
  CHECK(got.size() == 20);
  auto [f, v] = h.RandomField();
  CHECK(*h.Get(f) == v);

  // Hashtable encoding: distinct picks, every field reachable.
  HashValue big;
  for (int i = 0; i < 600; i++) big.Set("f" + std::to_string(i), std::to_string(i));
  got.clear();
  auto collect_big = [&](std::string_view fld, std::string_view val) {
    got.emplace_back(fld);
    CHECK(*big.Get(fld) == val);
  };
  big.RandomFields(50, collect_big);
  CHECK(std::set<std::string>(got.begin(), got.end()).size() == 50);
  std::set<std::string> seen;
  for (int i = 0; i < 40000 && seen.size() < 600; i++) seen.emplace(big.RandomField().first);
  CHECK(seen.size() == 600);
}

TEST_CASE("hash: HSCAN", "[engine][types][hash]") {
  HashValue small;
  small.Set("x1", "a");
  small.Set("y", "b");
  small.Set("x2", "c");
  std::vector<std::string> out;
  CHECK(small.Scan(0, 1, MatchAll, &out) == 0);  // listpack: all at once
  CHECK(out == SV({"x1", "a", "y", "b", "x2", "c"}));
  out.clear();
  small.Scan(
      0, 10, [](std::string_view f) { return f[0] == 'x'; }, &out);
  CHECK(out == SV({"x1", "a", "x2", "c"}));

  HashValue big;
  for (int i = 0; i < 1000; i++) big.Set("f" + std::to_string(i), "v");
  // Full scans while the hash changes: every field present throughout is returned.
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0, added = 0;
  do {
    out.clear();
    cursor = big.Scan(cursor, 10, MatchAll, &out);
    for (size_t i = 0; i < out.size(); i += 2) seen.insert(out[i]);
    big.Set("new" + std::to_string(added++), "v");  // growth must not break the cursor
    big.Delete("f" + std::to_string(999 - calls));  // nor deletions
    calls++;
  } while (cursor != 0 && calls < 10000);
  CHECK(cursor == 0);
  for (int i = 0; i < 999 - calls; i++) CHECK(seen.count("f" + std::to_string(i)) == 1);
  CHECK(calls > 50);  // COUNT 10 really paginates
}

TEST_CASE("hash: hashtable values grow, shrink and copy", "[engine][types][hash]") {
  HashValue h;
  for (int i = 0; i < 600; i++) h.Set("f" + std::to_string(i), "v");
  REQUIRE(h.Encoding() == "hashtable");
  // Values that fit the node are overwritten in place, longer ones move to a new node.
  for (size_t len : {0, 1, 7, 8, 40, 300, 2, 5000, 0, 13}) {
    const std::string v(len, 'x');
    CHECK_FALSE(h.Set("f7", v));
    CHECK(*h.Get("f7") == v);
    CHECK(h.StrLen("f7") == len);
  }
  CHECK(*h.Get("f6") == "v");
  CHECK(*h.Get("f8") == "v");
  CHECK(h.Size() == 600);
  const std::string huge(100, 'y');
  CHECK(h.IncrBy("n", 5).value() == 5);
  CHECK(h.IncrBy("n", 123456789).value() == 123456794);
  CHECK(*h.Get("n") == "123456794");
  auto copy = h.Clone();
  h.Set("f1", huge);
  CHECK(h.Delete("f2"));
  CHECK(*copy->Get("f1") == "v");
  CHECK(*copy->Get("f2") == "v");
  CHECK(copy->Size() == 601);
  CHECK(copy->GetAll().size() == 2 * 601);
  CHECK(*h.Get("f1") == huge);
  CHECK_FALSE(h.Get("f2").has_value());
  for (int i = 0; i < 600; i++) h.Delete("f" + std::to_string(i));
  CHECK(h.Size() == 1);
  CHECK(h.Keys() == SV({"n"}));
  CHECK(h.Values() == SV({"123456794"}));
}

TEST_CASE("hash: hashtable HRANDFIELD is uniform", "[engine][types][hash]") {
  HashValue h;
  for (int i = 0; i < 700; i++) h.Set("f" + std::to_string(i), std::to_string(i));
  for (int i = 0; i < 100; i++) h.Delete("f" + std::to_string(i * 7));
  REQUIRE(h.Size() == 600);
  std::map<std::string, int> counts;
  for (int i = 0; i < 36000; i++) {  // 60 per field
    auto [f, v] = h.RandomField();
    REQUIRE(*h.Get(f) == v);
    counts[std::string(f)]++;
  }
  REQUIRE(counts.size() == 600);
  double chi2 = 0;
  for (const auto& [f, n] : counts) chi2 += (n - 60.0) * (n - 60.0) / 60;
  CHECK(chi2 < 850);  // 599 degrees of freedom: mean 599, sd 34.6; 850 is 7 sd out
}

}  // namespace
}  // namespace slotproxy::engine
