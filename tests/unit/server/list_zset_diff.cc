#include "list_zset_diff.h"

#include <catch2/catch.hpp>

#include <set>
#include <utility>

namespace slotproxy::server::list_zset_testing {

// The shared harness and redis-server fixture.
using namespace handler_testing;  // NOLINT(google-build-using-namespace)
namespace {

using resp::Protocol;

std::string Join(const Args& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Runs a whole ZSCAN iteration (args[2] is replaced by the cursor) on one side.
template <class Call>
std::set<std::string> ScanAll(Args args, Call call) {
  std::set<std::string> out;
  std::string cursor = "0";
  for (int i = 0; i < 100000; i++) {  // bounded
    args[2] = cursor;
    Reply r;
    const std::string bytes = call(args);
    INFO("scan step: " << Printable(bytes));
    REQUIRE(ParseReply(bytes, &r));
    if (r.type == '-') {
      out.insert(r.text);
      return out;
    }
    REQUIRE(r.elems.size() == 2);
    const Reply& list = r.elems[1];
    for (size_t j = 0; j + 1 < list.elems.size(); j += 2) {
      out.insert(list.elems[j].text + "=" + list.elems[j + 1].text);
    }
    cursor = r.elems[0].text;
    if (cursor == "0") break;
  }
  CHECK(cursor == "0");
  return out;
}

// The reply of `args` run inside MULTI/EXEC on Redis: EXEC's single element.
std::string CallInMulti(RedisServer& redis, const Args& args, Protocol p) {
  if (redis.Call({"MULTI"}, p) != "+OK\r\n") return "MULTI failed";
  const std::string queued = redis.Call(args, p);
  if (queued != "+QUEUED\r\n") {
    redis.Call({"DISCARD"}, p);
    return queued;
  }
  const std::string exec = redis.Call({"EXEC"}, p);
  const size_t eol = exec.find("\r\n");
  return exec.rfind("*1\r\n", 0) == 0 ? exec.substr(eol + 2) : "EXEC: " + exec;
}

void RunStep(RedisServer& redis, Harness& h, const Step& step, Protocol p) {
  INFO("RESP" << static_cast<int>(p) << ": " << Join(step.args));
  switch (step.mode) {
    case Mode::kExact:
    case Mode::kInMulti: {
      const bool multi = step.mode == Mode::kInMulti;
      const std::string theirs =
          multi ? CallInMulti(redis, step.args, p) : redis.Call(step.args, p);
      h.may_block = !multi;
      const std::string ours = h.Run(step.args, p);
      h.may_block = true;
      INFO("redis: " << Printable(theirs) << "\nours:  " << Printable(ours));
      CHECK(ours == theirs);
      break;
    }
    case Mode::kScanAll: {
      auto theirs = ScanAll(step.args, [&](const Args& a) { return redis.Call(a, p); });
      auto ours = ScanAll(step.args, [&](const Args& a) { return h.Run(a, p); });
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

}  // namespace slotproxy::server::list_zset_testing
