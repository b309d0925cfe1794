// CommandClock: the time a command runs at, from one clock read. A command needs the wall clock
// (ms since the epoch, for expiry) and, when metrics are on, a steady start for its duration;
// reading both clocks per command costs more than the rest of a pipelined GET's dispatch. The
// wall time is derived from the steady reading with an offset taken again whenever the loop's
// cached time has moved on, so it follows the wall clock (steps included) within one loop turn.
#pragma once

#include <chrono>
#include <cstdint>

namespace slotproxy::server {

class CommandClock {
 public:
  using Steady = std::chrono::steady_clock;

  struct Reading {
    Steady::time_point steady;  // the start of the command's duration
    int64_t wall_ms;            // wall-clock ms since the epoch (CommandContext::now_ms)
  };

  // The start of a command: the previous command's End() reading when there is one since the
  // last Break() (back-to-back commands of one pipeline share that read), else a fresh steady
  // reading. `loop_ms` is the loop's cached time (EventLoop::NowMs): when it differs from the
  // previous call's, the wall clock is read too and the offset renewed.
  Reading Now(uint64_t loop_ms) {
    const Steady::time_point steady = chained_ ? last_end_ : Steady::now();
    chained_ = false;
    const int64_t steady_ns = Ns(steady.time_since_epoch());
    if (loop_ms != based_at_ || !based_) {
      offset_ns_ = Ns(std::chrono::system_clock::now().time_since_epoch()) - steady_ns;
      based_at_ = loop_ms;
      based_ = true;
    }
    const int64_t wall_ns = steady_ns + offset_ns_;
    // Floor division, as the wall clock's own ms would be (only matters before 1970).
    int64_t ms = wall_ns / 1000000;
    if (wall_ns % 1000000 < 0) --ms;
    return Reading{steady, ms};
  }

  // The end of a command's duration (metrics): one steady read, which the next Now() reuses.
  Steady::time_point End() {
    last_end_ = Steady::now();
    chained_ = true;
    return last_end_;
  }

  // The next Now() reads the clock itself: called where time may pass unmeasured (the loop
  // waiting for the next read), so that no command's duration includes it.
  void Break() { chained_ = false; }

 private:
  template <class D>
  static int64_t Ns(D d) {
    return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  }

  bool chained_ = false;
  Steady::time_point last_end_;
  bool based_ = false;
  uint64_t based_at_ = 0;
  int64_t offset_ns_ = 0;
};

}  // namespace slotproxy::server
