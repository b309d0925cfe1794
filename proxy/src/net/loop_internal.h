// Internal to sp_net: the state behind EventLoop. Includes <uv.h>; never include this header
// from outside proxy/src/net.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace slotproxy::net::internal {

// Something the before-sleep phase can flush or re-feed: implemented by a TCP connection.
class TurnParticipant {
 public:
  // Issues at most one write for the output gathered this turn.
  virtual void FlushFromLoop() = 0;
  // Delivers buffered input again after ResumeReading().
  virtual void RedeliverFromLoop() = 0;
  // Ends a graceful close that its owner left running, because the loop is being destroyed.
  virtual void ForceClose() = 0;

 protected:
  ~TurnParticipant() = default;
};

struct LoopState {
  uv_loop_t loop;
  uv_async_t async;      // wakes the loop for Post() and Stop()
  uv_prepare_t prepare;  // the before-sleep phase
  uv_idle_t idle;        // keeps the next poll from blocking when work was left over

  std::mutex mu;
  std::vector<std::function<void()>> posted;  // guarded by mu
  std::atomic<bool> stop_requested{false};
  std::atomic<std::thread::id> thread;

  struct Hook {
    uint64_t id;
    std::function<void()> fn;
    bool removed = false;  // removed during the phase; erased after it
  };
  // unique_ptr: a hook that adds hooks must not have its own std::function moved under it.
  std::vector<std::unique_ptr<Hook>> hooks;
  uint64_t next_hook_id = 1;
  bool in_before_sleep = false;

  // Connections with output to flush / input to re-deliver before the loop sleeps. A
  // participant is in a list at most once (it keeps its own flag) and removes itself when its
  // memory is released.
  std::vector<TurnParticipant*> flush_list;
  std::vector<TurnParticipant*> redeliver_list;
  std::vector<TurnParticipant*> work;  // swapped with the lists above, so no per-turn allocation
  // Connections whose owner is gone while their graceful close runs; force-closed by
  // ~EventLoop so that they do not keep a dying loop alive.
  std::vector<TurnParticipant*> detached_closing;

  // Reads land here when a connection has no buffered input, so idle connections hold no read
  // memory; only an incomplete tail is copied into the connection's own InputBuffer.
  static constexpr size_t kScratchSize = 64 * 1024;
  std::unique_ptr<char[]> scratch;
  bool scratch_in_use = false;

  uint64_t write_count = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;

  // Removes `p` from every list (called when a participant's memory is released).
  void Forget(TurnParticipant* p);
};

// "connection refused"-style text for a libuv error code.
std::string UvError(int code);

}  // namespace slotproxy::net::internal
