#include "hash_set_diff.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace slotproxy::server::hash_set_testing {

// The shared harness and redis-server fixture.
using namespace handler_testing;  // NOLINT(google-build-using-namespace)
namespace {

using resp::Protocol;

std::string Join(const Args& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

// The elements of an aggregate reply as sortable strings: pairs for maps and for flat
// field/value arrays (`pairs`), nested arrays joined.
std::vector<std::string> Elements(const Reply& r, bool pairs) {
  std::vector<std::string> out;
  for (size_t i = 0; i < r.elems.size(); i++) {
    const Reply& e = r.elems[i];
    std::string s = e.type + e.text;
    for (const Reply& sub : e.elems) s += "|" + sub.text;
    if (pairs && i + 1 < r.elems.size()) s += "=" + r.elems[++i].text;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool IsHashCommand(const std::string& name) { return name[0] == 'h'; }

// The content of `key` on Redis: field -> value for a hash, member -> "" for a set.
std::map<std::string, std::string> Universe(RedisServer& redis, const std::string& key, bool hash) {
  std::map<std::string, std::string> out;
  Reply r;
  const std::string bytes = redis.Call({hash ? "HGETALL" : "SMEMBERS", key}, Protocol::kResp2);
  if (!ParseReply(bytes, &r)) return out;
  for (size_t i = 0; i < r.elems.size(); i++) {
    const std::string k = r.elems[i].text;
    out[k] = hash && i + 1 < r.elems.size() ? r.elems[++i].text : "";
  }
  return out;
}

// Checks a random reply against the universe: membership, values, distinctness.
void CheckRandomReply(const Reply& r, const std::map<std::string, std::string>& universe,
                      bool positive_count, bool withvalues, Protocol p) {
  std::set<std::string> seen;
  const bool nested = withvalues && p == Protocol::kResp3;
  const size_t step = withvalues && !nested ? 2 : 1;
  for (size_t i = 0; i < r.elems.size(); i += step) {
    const Reply& e = r.elems[i];
    const std::string field = nested ? (e.elems.empty() ? "" : e.elems[0].text) : e.text;
    INFO("element " << field);
    auto it = universe.find(field);
    REQUIRE(it != universe.end());
    if (withvalues) {
      const std::string value = nested ? (e.elems.size() == 2 ? e.elems[1].text : "?")
                                       : (i + 1 < r.elems.size() ? r.elems[i + 1].text : "?");
      CHECK(value == it->second);
    }
    if (positive_count) CHECK(seen.insert(field).second);
  }
}

void CompareRandom(RedisServer& redis, Harness& h, const Args& args, Protocol p) {
  const std::string name = Lower(args[0]);
  const bool hash = IsHashCommand(name);
  const auto universe = Universe(redis, args[1], hash);
  const std::string theirs = redis.Call(args, p);
  const std::string ours = h.Run(args, p);
  INFO("redis: " << Printable(theirs) << "\nours:  " << Printable(ours));
  Reply a, b;
  REQUIRE(ParseReply(theirs, &a));
  REQUIRE(ParseReply(ours, &b));
  CHECK(a.type == b.type);
  CHECK(a.null == b.null);
  CHECK(a.elems.size() == b.elems.size());
  if (a.type == '-' || a.type == ':') CHECK(theirs == ours);
  if (a.type == '$' && !a.null) CHECK(universe.count(b.text) == 1);
  const bool positive = args.size() >= 3 && !args[2].empty() && args[2][0] != '-';
  const bool withvalues = args.size() >= 4;
  for (size_t i = 0; i < a.elems.size() && i < b.elems.size(); i++) {
    CHECK(a.elems[i].type == b.elems[i].type);
    CHECK(a.elems[i].elems.size() == b.elems[i].elems.size());
  }
  if (!a.elems.empty()) {
    CheckRandomReply(a, universe, positive, withvalues, p);
    CheckRandomReply(b, universe, positive, withvalues, p);
  }
}

// Runs a whole HSCAN / SSCAN iteration (args[2] is replaced by the cursor) on one side.
template <class Call>
std::set<std::string> ScanAll(Args args, bool pairs, Call call) {
  std::set<std::string> out;
  std::string cursor = "0";
  for (int i = 0; i < 100000; i++) {  // bounded
    args[2] = cursor;
    Reply r;
    const std::string bytes = call(args);
    INFO("scan step: " << Printable(bytes));
    REQUIRE(ParseReply(bytes, &r));
    if (r.type == '-') {  // WRONGTYPE, bad options: the error text is the outcome
      out.insert(bytes);
      return out;
    }
    REQUIRE(r.elems.size() == 2);
    const Reply& list = r.elems[1];
    for (size_t j = 0; j < list.elems.size(); j++) {
      std::string e = list.elems[j].text;
      if (pairs && j + 1 < list.elems.size()) e += "=" + list.elems[++j].text;
      out.insert(e);
    }
    cursor = r.elems[0].text;
    if (cursor == "0") break;
  }
  CHECK(cursor == "0");
  return out;
}

void RunStep(RedisServer& redis, Harness& h, const Step& step, Protocol p) {
  INFO("RESP" << static_cast<int>(p) << ": " << Join(step.args));
  const bool hash = IsHashCommand(Lower(step.args[0]));
  switch (step.mode) {
    case Mode::kExact: {
      const std::string theirs = redis.Call(step.args, p);
      const std::string ours = h.Run(step.args, p);
      INFO("redis: " << Printable(theirs) << "\nours:  " << Printable(ours));
      CHECK(ours == theirs);
      break;
    }
    case Mode::kUnordered: {
      const std::string theirs = redis.Call(step.args, p);
      const std::string ours = h.Run(step.args, p);
      INFO("redis: " << Printable(theirs) << "\nours:  " << Printable(ours));
      Reply a, b;
      REQUIRE(ParseReply(theirs, &a));
      REQUIRE(ParseReply(ours, &b));
      CHECK(a.type == b.type);
      CHECK(a.null == b.null);
      const bool pairs = Lower(step.args[0]) == "hgetall";
      CHECK(Elements(a, pairs) == Elements(b, pairs));
      break;
    }
    case Mode::kRandom:
      CompareRandom(redis, h, step.args, p);
      break;
    case Mode::kScanAll: {
      auto theirs = ScanAll(step.args, hash, [&](const Args& a) { return redis.Call(a, p); });
      auto ours = ScanAll(step.args, hash, [&](const Args& a) { return h.Run(a, p); });
      CHECK(ours == theirs);
      break;
    }
  }
}

}  // namespace

std::string Printable(const std::string& bytes) {
  std::string out;
  for (char c : bytes) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out.size() > 2000 ? out.substr(0, 2000) + "..." : out;
}

int RunDiff(const std::vector<Step>& steps) {
  RedisServer* redis = RedisServer::Shared();
  if (redis == nullptr) {
    WARN("redis-server 7.0 not available: differential steps skipped");
    return 0;
  }
  int compared = 0;
  for (Protocol p : {Protocol::kResp2, Protocol::kResp3}) {
    Harness h;
    REQUIRE(redis->Call({"FLUSHALL"}, p) == "+OK\r\n");
    for (const Step& step : steps) {
      RunStep(*redis, h, step, p);
      compared++;
    }
  }
  return compared;
}

}  // namespace slotproxy::server::hash_set_testing
