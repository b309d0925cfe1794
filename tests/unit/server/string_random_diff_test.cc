// Randomised differential test: seeded random sequences of string and key commands over a few
// keys, with options in random order and case, run against a real redis-server 7.0 and the
// handlers, replies compared byte for byte (times within a tolerance, since the two clocks are
// read apart). Relative TTLs are long and absolute ones far in the future or in the past (where
// the command deletes synchronously), so no key expires in between and Redis's active expiry
// cannot make the sides differ.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "string_test_util.h"

namespace slotproxy::server::testing {
namespace {

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  template <class T>
  const T& Pick(const std::vector<T>& v) {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng_)];
  }
  bool Chance(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; }
  // Random ASCII case, as clients may send keywords.
  std::string Cased(std::string s) {
    for (char& c : s) {
      if (Chance(50) && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
  }
  std::string Key() { return Pick(kKeys); }
  std::string Value() { return Pick(kValues); }
  std::string Number() { return Pick(kNumbers); }
  std::string Seconds() { return Pick(kSeconds); }
  std::string Millis() { return Pick(kMillis); }
  std::mt19937_64& rng() { return rng_; }

  // SET's options in random order: at most one time option, NX or XX, GET, KEEPTTL.
  Args SetOptions() {
    std::vector<Args> opts;
    if (Chance(30)) opts.push_back({Cased(Chance(50) ? "NX" : "XX")});
    if (Chance(20)) opts.push_back({Cased("GET")});
    const int t = std::uniform_int_distribution<int>(0, 6)(rng_);
    if (t == 0) opts.push_back({Cased("EX"), Seconds()});
    if (t == 1) opts.push_back({Cased("PX"), Millis()});
    if (t == 2) opts.push_back({Cased("EXAT"), "4102444800"});
    if (t == 3) opts.push_back({Cased("PXAT"), "4102444800999"});
    if (t == 4) opts.push_back({Cased("KEEPTTL")});
    if (Chance(3)) opts.push_back({Pick(std::vector<std::string>{"FOO", "EX", "PERSIST"})});
    std::shuffle(opts.begin(), opts.end(), rng_);
    Args out;
    for (const Args& o : opts) out.insert(out.end(), o.begin(), o.end());
    return out;
  }

 private:
  const std::vector<std::string> kKeys = {"k0", "k1", "k2", "k3", "{t}a", "{t}b"};
  const std::vector<std::string> kValues = {"",
                                            "0",
                                            "1",
                                            "-1",
                                            "12",
                                            "abc",
                                            "9223372036854775807",
                                            "1.5",
                                            "10.25",
                                            " 3",
                                            std::string(50, 'x')};
  const std::vector<std::string> kNumbers = {
      "0", "1", "-1", "100", "abc", "1.5", "-7", "9223372036854775807", "-9223372036854775808"};
  const std::vector<std::string> kSeconds = {"1000", "5000", "0", "-1", "abc"};
  const std::vector<std::string> kMillis = {"1000000", "2000000", "0", "-5", "x"};
  std::mt19937_64 rng_;
};

// One random command sent to both sides.
void Step(Generator& g, Differ& d) {
  const std::string k = g.Key();
  const std::string k2 = g.Key();
  const std::string v = g.Value();
  switch (std::uniform_int_distribution<int>(0, 33)(g.rng())) {
    case 0:
      d.Same({"GET", k});
      break;
    case 1: {
      Args a = {g.Cased("SET"), k, v};
      const Args o = g.SetOptions();
      a.insert(a.end(), o.begin(), o.end());
      d.Same(a);
      break;
    }
    case 2:
      d.Same({"SETNX", k, v});
      break;
    case 3:
      d.Same({"SETEX", k, g.Seconds(), v});
      break;
    case 4:
      d.Same({"PSETEX", k, g.Millis(), v});
      break;
    case 5:
      d.Same({"MGET", k, k2, g.Key()});
      break;
    case 6:
      d.Same({"MSET", k, v, k2, g.Value()});
      break;
    case 7:
      d.Same({"MSETNX", k, v, k2, g.Value()});
      break;
    case 8:
      d.Same({"GETSET", k, v});
      break;
    case 9:
      d.Same({"GETDEL", k});
      break;
    case 10: {
      const std::vector<Args> opts = {{},
                                      {"EX", g.Seconds()},
                                      {"PX", g.Millis()},
                                      {"EXAT", "4102444800"},
                                      {"PXAT", "1"},
                                      {"PERSIST"},
                                      {"KEEPTTL"}};
      Args a = {"GETEX", k};
      for (const auto& o : g.Pick(opts)) a.push_back(g.Cased(o));
      d.Same(a);
      break;
    }
    case 11:
      d.Same({"APPEND", k, v});
      break;
    case 12:
      d.Same({"STRLEN", k});
      break;
    case 13:
      d.Same({"GETRANGE", k, g.Number(), g.Number()});
      break;
    case 14:
      d.Same({"SETRANGE", k, g.Pick(std::vector<std::string>{"0", "2", "-1", "x"}), v});
      break;
    case 15:
      d.Same({g.Pick(std::vector<std::string>{"INCR", "DECR"}), k});
      break;
    case 16:
      d.Same({g.Pick(std::vector<std::string>{"INCRBY", "DECRBY"}), k, g.Number()});
      break;
    case 17:
      d.Same({"INCRBYFLOAT", k,
              g.Pick(std::vector<std::string>{"1.5", "-0.25", "abc", "1e3", "0", "inf"})});
      break;
    case 18:
      d.Same({g.Pick(std::vector<std::string>{"DEL", "UNLINK"}), k, k2});
      break;
    case 19:
      d.Same({g.Pick(std::vector<std::string>{"EXISTS", "TOUCH"}), k, k2, k});
      break;
    case 20:
      d.Same({"TYPE", k});
      break;
    case 21: {
      // Relative times get only NX / XX: GT / LT against a TTL set moments earlier with the
      // same relative value would depend on the milliseconds elapsed.
      const bool seconds = g.Chance(50);
      Args a = {seconds ? "EXPIRE" : "PEXPIRE", k, seconds ? g.Seconds() : g.Millis()};
      if (g.Chance(50)) a.push_back(g.Cased(g.Pick(std::vector<std::string>{"NX", "XX"})));
      if (g.Chance(5)) a.push_back(g.Pick(std::vector<std::string>{"GT", "FOO"}));
      d.Same(a);
      break;
    }
    case 22:
    case 23: {
      const bool seconds = g.Chance(50);
      Args a = {seconds ? "EXPIREAT" : "PEXPIREAT", k,
                seconds ? g.Pick(std::vector<std::string>{"4102444800", "4102444900", "1", "-1"})
                        : g.Pick(std::vector<std::string>{"4102444800000", "4102444800001", "0"})};
      if (g.Chance(50)) {
        a.push_back(g.Cased(g.Pick(std::vector<std::string>{"NX", "XX", "GT", "LT"})));
      }
      if (g.Chance(5)) a.push_back("LT");
      d.Same(a);
      break;
    }
    case 24:
      d.Near({"TTL", k}, 1);
      break;
    case 25:
      d.Near({"PTTL", k}, 1000);
      break;
    case 26:
      d.Near({"EXPIRETIME", k}, 1);
      break;
    case 27:
      d.Near({"PEXPIRETIME", k}, 1000);
      break;
    case 28:
      d.Same({"PERSIST", k});
      break;
    case 29:
      d.Same({g.Pick(std::vector<std::string>{"RENAME", "RENAMENX"}), k, k2});
      break;
    case 30: {
      Args a = {"COPY", k, k2};
      if (g.Chance(50)) a.push_back(g.Cased("REPLACE"));
      d.Same(a);
      break;
    }
    case 31:
      d.Same({"OBJECT", g.Pick(std::vector<std::string>{"ENCODING", "REFCOUNT"}), k});
      break;
    case 32:
      d.Same({"DBSIZE"});
      break;
    default:
      if (g.Chance(20)) {
        d.MakeContainer(g.Pick(std::vector<std::string>{"list", "set", "hash"}), k);
      } else {
        d.SameUnordered({"KEYS", "*"});
      }
      break;
  }
}

TEST_CASE("random string and key command sequences match redis-server",
          "[server][strings][keys][redis]") {
  for (uint64_t seed : {1u, 2u, 3u}) {
    INFO("seed " << seed);
    RunDifferential([seed](Differ& d) {
      Generator g(seed);
      for (int i = 0; i < 1500 && d.mismatches() < 5; ++i) Step(g, d);
    });
  }
}

}  // namespace
}  // namespace slotproxy::server::testing
