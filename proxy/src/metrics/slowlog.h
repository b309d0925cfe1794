// SlowLog: the proxy-wide store behind SLOWLOG GET / LEN / RESET, shaped like Redis 7.0's
// (src/slowlog.c): newest first, at most max_len entries, arguments truncated as Redis does.
//
// It is shared by every worker thread, so a mutex guards it; only requests slower than the
// threshold reach it. Those are many exactly when the proxy is overloaded, so an entry costs no
// allocation once the log is full: entries live in a ring whose strings keep their capacity, a
// new one is built outside the lock in a per-thread spare, and the lock only swaps two pointers:
// the evicted (oldest) entry's storage becomes the thread's next spare.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace slotproxy::metrics {

// Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING.
inline constexpr size_t kSlowlogMaxArgc = 32;
inline constexpr size_t kSlowlogMaxString = 128;

struct SlowLogEntry {
  int64_t id = 0;
  int64_t unix_time = 0;          // seconds, when the entry was logged
  int64_t duration_us = 0;        // whole request, parsed to reply queued
  int64_t backend_us = 0;         // the part spent waiting for backends
  std::vector<std::string> args;  // already truncated
  std::string client_addr;        // "ip:port"
  std::string client_name;        // empty when the client set none
};

class SlowLog {
 public:
  // `max_len` as Redis's slowlog-max-len; `threshold_us` as slowlog-log-slower-than (negative:
  // disabled, 0: every request).
  explicit SlowLog(size_t max_len = 128, int64_t threshold_us = 10000);

  // Both settings can change live (config reload); a shorter max_len drops the oldest entries
  // and the storage beyond the new length.
  void SetMaxLen(size_t max_len);
  void SetThresholdUs(int64_t threshold_us) {
    threshold_us_.store(threshold_us, std::memory_order_relaxed);
  }
  int64_t threshold_us() const { return threshold_us_.load(std::memory_order_relaxed); }

  // True when a request that took `total_ns` must be logged (Redis: duration >= threshold,
  // threshold >= 0). Lock-free: the session calls it for every request.
  bool IsSlow(uint64_t total_ns) const {
    int64_t t = threshold_us();
    return t >= 0 && static_cast<int64_t>(total_ns / 1000) >= t;
  }

  // Logs one request: copies and truncates `args` (argc of them) as Redis's
  // slowlogCreateEntry, stamps the time and the next id. Like Redis, the id advances even when
  // max_len is 0 and the entry is dropped at once. Allocates nothing once the log is full and
  // the evicted entries' strings are large enough (the steady state under overload); while the
  // log first fills, the ring grows under the lock (amortized, log2(max_len) times).
  void Add(const std::string_view* args, size_t argc, uint64_t total_ns, uint64_t backend_ns,
           std::string_view client_addr, std::string_view client_name);

  // SLOWLOG LEN.
  size_t Len() const;
  // SLOWLOG RESET: drops every entry (ids keep counting, as in Redis). The storage is kept for
  // the next entries.
  void Reset();
  // Copies of the newest `count` entries, newest first.
  std::vector<SlowLogEntry> Newest(size_t count) const;

 private:
  // One ring slot: an entry whose `args` may hold more strings than it logged (only the first
  // `argc` count); the others keep their capacity for a later entry.
  struct Slot {
    SlowLogEntry entry;
    size_t argc = 0;
  };

  // Rotates the ring so that the logged entries sit at [0, len_), oldest first, and next_ is
  // the slot after the newest. Called with mu_ held.
  void Linearize();

  mutable std::mutex mu_;
  // Logged entries are the len_ slots before next_ (cyclically), newest at next_ - 1. When the
  // ring is not full (len_ < ring_.size()), they are exactly [0, len_) and next_ == len_, and
  // the free slots after them are storage kept from evicted or reset entries.
  std::vector<std::unique_ptr<Slot>> ring_;  // never null
  size_t next_ = 0;
  size_t len_ = 0;
  size_t max_len_;
  int64_t next_id_ = 0;
  std::atomic<int64_t> threshold_us_;
};

// One argument as Redis stores it in a slowlog entry: cut to 128 bytes followed by
// "... (N more bytes)" when longer.
std::string TruncateSlowlogArg(std::string_view arg);

}  // namespace slotproxy::metrics
