#include "net/event_loop.h"

#include <catch2/catch.hpp>
#include <csignal>
#include <thread>
#include <vector>

#include "net/signal_watcher.h"
#include "net/worker_thread.h"
#include "unit/net/net_test_util.h"

namespace slotproxy::net {
namespace {

using testing::RunUntil;

TEST_CASE("Post runs closures from other threads on the loop, in order", "[net][loop]") {
  EventLoop loop;
  std::vector<int> seen;
  std::thread::id ran_on;
  constexpr int kCount = 10000;
  std::thread producer([&] {
    for (int i = 0; i < kCount; ++i) {
      loop.Post([&, i] {
        seen.push_back(i);
        ran_on = std::this_thread::get_id();
      });
    }
  });
  REQUIRE(RunUntil(loop, [&] { return seen.size() == kCount; }));
  producer.join();
  for (int i = 0; i < kCount; ++i) REQUIRE(seen[i] == i);
  REQUIRE(ran_on == std::this_thread::get_id());
}

TEST_CASE("Post never runs inline on the loop thread", "[net][loop]") {
  EventLoop loop;
  bool ran = false;
  loop.Post([&] { ran = true; });
  REQUIRE_FALSE(ran);
  REQUIRE(RunUntil(loop, [&] { return ran; }));
}

TEST_CASE("RunNestedTurn serves the loop from inside a callback, not from before-sleep",
          "[net][loop]") {
  EventLoop loop;
  bool inner_ran = false, nested_ok = false, ran_inside = false, from_hook = true;
  int hook_calls = 0;
  EventLoop::HookId hook = loop.AddBeforeSleep([&] {
    if (++hook_calls == 1) from_hook = loop.RunNestedTurn();
  });
  loop.Post([&] {
    loop.Post([&] { inner_ran = true; });
    // A bounded number of nested turns: the posted closure runs inside one of them.
    for (int i = 0; i < 100 && !inner_ran; ++i) nested_ok = loop.RunNestedTurn();
    ran_inside = inner_ran;
  });
  REQUIRE(RunUntil(loop, [&] { return inner_ran && hook_calls > 1; }));
  CHECK(nested_ok);
  CHECK(ran_inside);
  CHECK_FALSE(from_hook);
  loop.RemoveBeforeSleep(hook);
}

TEST_CASE("Stop from another thread ends Run", "[net][loop]") {
  WorkerThread worker("sp-test");
  std::atomic<bool> started{false};
  worker.loop().Post([&] { started = true; });
  worker.Start();
  for (int i = 0; i < 2000 && !started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(started);
  REQUIRE_FALSE(worker.loop().IsLoopThread());
  worker.Stop();
  worker.Join();  // returns only if Run() returned
}

TEST_CASE("Stop before Run makes the next Run return", "[net][loop]") {
  EventLoop loop;
  loop.Stop();
  loop.Run();  // would hang forever if Stop were lost
  SUCCEED();
}

TEST_CASE("One-shot, repeating and cancelled timers", "[net][loop][timer]") {
  EventLoop loop;
  int once = 0, repeats = 0, cancelled = 0;
  Timer t1(loop), t2(loop), t3(loop);
  t1.Start(1, [&] { ++once; });
  t2.StartRepeating(1, [&] {
    if (++repeats == 5) t2.Stop();
  });
  t3.Start(5, [&] { ++cancelled; });
  REQUIRE(t3.IsActive());
  t3.Stop();
  REQUIRE_FALSE(t3.IsActive());
  REQUIRE(RunUntil(loop, [&] { return once == 1 && repeats == 5 && !t2.IsActive(); }));
  // Give a cancelled or over-firing timer the chance to misbehave.
  Timer settle(loop);
  bool settled = false;
  settle.Start(20, [&] { settled = true; });
  REQUIRE(RunUntil(loop, [&] { return settled; }));
  REQUIRE(once == 1);
  REQUIRE(repeats == 5);
  REQUIRE(cancelled == 0);
  REQUIRE_FALSE(t1.IsActive());
}

TEST_CASE("A timer may destroy or restart itself from its callback", "[net][loop][timer]") {
  EventLoop loop;
  auto self_destroying = std::make_unique<Timer>(loop);
  int fired = 0;
  self_destroying->StartRepeating(1, [&] {
    ++fired;
    self_destroying.reset();
  });
  Timer restarting(loop);
  int restarts = 0;
  std::function<void()> again = [&] {
    if (++restarts < 3) restarting.Start(1, again);
  };
  restarting.Start(1, again);
  REQUIRE(RunUntil(loop, [&] { return !self_destroying && restarts == 3; }));
  REQUIRE(fired == 1);
}

TEST_CASE("Before-sleep hooks run every turn and can be removed", "[net][loop]") {
  EventLoop loop;
  int turns = 0;
  EventLoop::HookId id = 0;
  id = loop.AddBeforeSleep([&] {
    if (++turns == 3) loop.RemoveBeforeSleep(id);  // removing itself while running
  });
  Timer tick(loop);
  int ticks = 0;
  tick.StartRepeating(1, [&] { ++ticks; });
  REQUIRE(RunUntil(loop, [&] { return ticks >= 6; }));
  REQUIRE(turns == 3);
}

TEST_CASE("SignalWatcher turns a signal into a loop callback", "[net][loop][signal]") {
  EventLoop loop;
  int got = 0;
  {
    SignalWatcher signals(loop);
    REQUIRE(signals.Watch(SIGUSR1, [&](int signum) { got = signum; }).ok());
    loop.Post([] { ::raise(SIGUSR1); });
    REQUIRE(RunUntil(loop, [&] { return got != 0; }));
    REQUIRE(got == SIGUSR1);
    REQUIRE_FALSE(signals.Watch(-5, [](int) {}).ok());
  }
}

TEST_CASE("WorkerThread runs a body that owns loop-bound objects", "[net][loop]") {
  std::atomic<int> fired{0};
  WorkerThread worker("sp-body");
  worker.Start([&](EventLoop& loop) {
    Timer t(loop);
    t.StartRepeating(1, [&] { ++fired; });
    loop.Run();
  });
  for (int i = 0; i < 2000 && fired < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(fired >= 3);
  worker.Stop();
  worker.Join();
}

}  // namespace
}  // namespace slotproxy::net
