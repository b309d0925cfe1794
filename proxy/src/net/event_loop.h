// EventLoop: one libuv loop, its cross-thread mailbox and its "before sleep" phase.
//
// Threading: every method is loop-thread-only except Post(), Stop() and IsLoopThread(), which
// any thread may call. This header does not include <uv.h>: only sp_net sees libuv.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

struct uv_loop_s;

namespace slotproxy::net {

namespace internal {
struct LoopState;
}  // namespace internal

class EventLoop {
 public:
  using HookId = uint64_t;

  // Initialises the libuv loop. Aborts the process if the kernel refuses an epoll instance or
  // an eventfd (fd exhaustion at start-up; nothing sensible can run without a loop).
  EventLoop();

  // Requires that every Timer, TcpListener, TcpConnection and SignalWatcher bound to this loop
  // was destroyed first. Runs the loop until the close callbacks of those objects have run so
  // their memory is reclaimed, then closes the loop.
  ~EventLoop();

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs the loop on the calling thread (which becomes the loop thread) until Stop() is called.
  // May be called again after it returns.
  void Run();

  // Makes Run() return after the current loop turn. Thread-safe. A Stop() issued before Run()
  // makes the next Run() return after its first turn.
  void Stop();

  // Queues `fn` to run on the loop thread, in the order posted. Thread-safe; never runs `fn`
  // inline, even when called on the loop thread. Wakeups are coalesced: many Posts between two
  // loop turns cost one eventfd write and one callback. Closures still queued when the loop is
  // destroyed are destroyed without running.
  void Post(std::function<void()> fn);

  // True when called on the thread that runs (or last ran, or constructed) this loop.
  bool IsLoopThread() const;

  // The loop's cached time in milliseconds (libuv's uv_now: updated once per loop turn).
  uint64_t NowMs() const;

  // Registers `hook` to run in the loop's "before sleep" phase: once per loop turn, after that
  // turn's timers, write completions, I/O callbacks and posted closures, just before the loop
  // blocks for I/O. Hooks run in registration order, then every TcpConnection with new output
  // is flushed (one write per connection per turn). A hook may add or remove hooks; a hook
  // added during the phase first runs in the next pass. Returns an id for RemoveBeforeSleep().
  HookId AddBeforeSleep(std::function<void()> hook);

  // Unregisters a hook; unknown ids are ignored. Safe from inside a hook (even the hook itself).
  void RemoveBeforeSleep(HookId id);

  // Number of socket writes (uv_try_write or uv_write, counted once per flush) issued by all
  // connections of this loop. For tests and metrics.
  uint64_t WriteCount() const;
  // Bytes read from / handed to the kernel by all connections of this loop (metrics).
  uint64_t BytesRead() const;
  uint64_t BytesWritten() const;

  // Runs one non-blocking turn of this loop (ready I/O, due timers, the before-sleep flush)
  // from inside one of its own callbacks, as Redis's processEventsWhileBlocked does: for work
  // that must keep the loop serving while it runs (a busy script). The caller must keep every
  // object its own stack uses alive across the turn. Returns false, running nothing, when
  // called from the before-sleep phase, whose lists are not re-entrant. Loop thread only.
  bool RunNestedTurn();

  // The libuv loop, for sp_net's own implementation files.
  uv_loop_s* raw();
  // sp_net's internal state; not for use outside proxy/src/net.
  internal::LoopState& state() { return *state_; }

 private:
  std::unique_ptr<internal::LoopState> state_;
};

// A one-shot or repeating timer on a loop. RAII: destroying it cancels it. Loop-thread-only.
// The callback may Stop(), restart or destroy the Timer that is running it.
class Timer {
 public:
  explicit Timer(EventLoop& loop);
  ~Timer();

  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Runs `cb` once, `delay_ms` from now (loop time). Replaces any earlier schedule.
  void Start(uint64_t delay_ms, std::function<void()> cb);

  // Runs `cb` every `interval_ms` (> 0), first `interval_ms` from now. Replaces any earlier
  // schedule.
  void StartRepeating(uint64_t interval_ms, std::function<void()> cb);

  // Cancels the schedule; the callback is not run again. No-op when idle.
  void Stop();

  // True while a schedule is pending (a one-shot timer is idle once it has fired).
  bool IsActive() const;

 private:
  struct Core;
  Core* core_;  // freed by libuv's close callback, which may run after this Timer is gone
};

}  // namespace slotproxy::net
