// SignalWatcher: delivers process signals (SIGTERM, SIGINT, SIGHUP, ...) as loop callbacks.
#pragma once

#include <functional>
#include <map>

#include "base/status.h"
#include "net/event_loop.h"

namespace slotproxy::net {

// Loop-thread-only. libuv turns the signal into a loop callback, so the callback may do
// anything a loop callback may (unlike a raw signal handler). Watch a signal on one loop only.
// Destroying the watcher stops watching; the callback may destroy it.
class SignalWatcher {
 public:
  using Callback = std::function<void(int signum)>;

  explicit SignalWatcher(EventLoop& loop);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Runs `cb` on the loop each time `signum` arrives (replacing an earlier Watch of it). Error
  // when libuv refuses the signal number.
  Status Watch(int signum, Callback cb);

  // Stops watching `signum` (the default disposition is restored); no-op if not watched.
  void Unwatch(int signum);

 private:
  struct Entry;
  EventLoop& loop_;
  std::map<int, Entry*> entries_;  // each Entry is freed by its handle's close callback
};

}  // namespace slotproxy::net
