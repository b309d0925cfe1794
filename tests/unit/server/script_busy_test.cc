// ScriptEngine's busy scripts: past busy-reply-threshold the hook hands control to the host
// (ServeWhileBusy) again and again, SCRIPT KILL (Kill) stops a script that has not written with
// Redis 7.0's error, refuses one that has, and a pcall in the script cannot swallow the kill.
// The threshold is 0 here, so the first hook (after kHookPeriod instructions) already serves:
// nothing depends on timing.
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "resp/encoder.h"
#include "server/scripting/script_engine.h"
#include "server/scripting/sha1.h"

namespace slotproxy::server::scripting {
namespace {

// Counts ServeWhileBusy calls and runs `on_serve` from each; any redis.call is a write.
class BusyHost final : public ScriptHost {
 public:
  std::string Call(std::span<const std::string_view> /*args*/, const CallOptions& /*options*/,
                   std::string* reply) override {
    wrote = true;
    reply->append("+OK\r\n");
    return {};
  }
  // A broken kill must fail the test, not hang it: past kMaxServes the script is killed anyway
  // and `runaway` tells.
  void ServeWhileBusy() override {
    ++serves;
    if (on_serve) on_serve();
    if (serves > kMaxServes && engine != nullptr && !runaway) {
      runaway = true;
      engine->Kill();
    }
  }
  bool WriteCalled() const override { return wrote; }

  static constexpr int kMaxServes = 1000;
  ScriptEngine* engine = nullptr;
  bool runaway = false;
  int serves = 0;
  bool wrote = false;
  std::function<void()> on_serve;
};

std::string Run(ScriptEngine& engine, BusyHost& host, std::string_view body) {
  std::string out;
  resp::Encoder enc(&out, resp::Protocol::kResp2);
  EvalRequest req;
  req.script = body;
  engine.Eval(req, host, enc);
  return out;
}

std::string KilledError(std::string_view body, int line = 1) {
  return "-ERR Script killed by user with SCRIPT KILL... script: " + Sha1Hex(body) +
         ", on @user_script:" + std::to_string(line) + ".\r\n";
}

TEST_CASE("no script runs: SCRIPT KILL answers NOTBUSY") {
  ScriptEngine engine;
  CHECK(engine.Kill() == ScriptEngine::KillResult::kNotBusy);
  CHECK_FALSE(engine.busy());
}

TEST_CASE("a looping script serves others past the threshold and stops when killed") {
  ScriptEngine engine;
  engine.set_busy_threshold_ms(0);
  BusyHost host;
  host.engine = &engine;
  ScriptEngine::KillResult kill = ScriptEngine::KillResult::kNotBusy;
  bool busy_inside = false;
  host.on_serve = [&] {
    busy_inside = engine.busy();
    if (host.serves == 3) kill = engine.Kill();
  };
  const std::string body = "local i = 0\nwhile true do i = i + 1 end";
  CHECK(Run(engine, host, body) == KilledError(body, 2));
  CHECK(host.serves == 3);
  CHECK_FALSE(host.runaway);
  CHECK(busy_inside);
  CHECK(kill == ScriptEngine::KillResult::kKilled);
  CHECK_FALSE(engine.busy());
  CHECK(engine.Kill() == ScriptEngine::KillResult::kNotBusy);
  // The engine runs the next script normally.
  CHECK(Run(engine, host, "return 5") == ":5\r\n");
}

TEST_CASE("a pcall inside the script cannot swallow the kill") {
  ScriptEngine engine;
  engine.set_busy_threshold_ms(0);
  BusyHost host;
  host.engine = &engine;
  host.on_serve = [&] {
    if (host.serves == 2) engine.Kill();
  };
  const std::string body = "while true do pcall(function() while true do end end) end";
  CHECK(Run(engine, host, body) == KilledError(body));
  CHECK(host.serves == 2);
  CHECK_FALSE(host.runaway);
}

TEST_CASE("a script that wrote is unkillable and runs to its end") {
  ScriptEngine engine;
  engine.set_busy_threshold_ms(0);
  BusyHost host;
  int unkillable = 0;
  host.on_serve = [&] {
    if (engine.Kill() == ScriptEngine::KillResult::kUnkillable) ++unkillable;
  };
  const std::string body =
      "redis.call('set', 'k', 'v') local n = 0 for i = 1, 1000000 do n = n + 1 end return n";
  CHECK(Run(engine, host, body) == ":1000000\r\n");
  CHECK(host.serves > 0);
  CHECK(unkillable == host.serves);
}

TEST_CASE("a script under the threshold never serves") {
  ScriptEngine engine;
  engine.set_busy_threshold_ms(int64_t{1} << 40);
  BusyHost host;
  CHECK(Run(engine, host, "local n = 0 for i = 1, 1000000 do n = n + 1 end return n") ==
        ":1000000\r\n");
  CHECK(host.serves == 0);
}

}  // namespace
}  // namespace slotproxy::server::scripting
