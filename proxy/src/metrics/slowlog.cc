#include "metrics/slowlog.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <ctime>
#include <string>
#include <utility>

namespace slotproxy::metrics {
namespace {

// Appends "... (<n><unit>" as Redis's sdscatprintf("... (%lu more bytes)") would, without a
// temporary string.
void AppendMore(std::string* out, size_t n, std::string_view unit) {
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof(digits), n);
  out->append("... (");
  out->append(digits, static_cast<size_t>(r.ptr - digits));
  out->append(unit);
}

// TruncateSlowlogArg into `out`, reusing its capacity.
void AssignTruncated(std::string_view arg, std::string* out) {
  if (arg.size() <= kSlowlogMaxString) {
    out->assign(arg);
    return;
  }
  out->assign(arg.substr(0, kSlowlogMaxString));
  AppendMore(out, arg.size() - kSlowlogMaxString, " more bytes)");
}

// Fills `e` (and *logged, its argument count) as Redis's slowlogCreateEntry, reusing the
// storage `e` already has: `e->args` never shrinks, so its strings keep their capacity.
void FillEntry(const std::string_view* args, size_t argc, uint64_t total_ns, uint64_t backend_ns,
               std::string_view client_addr, std::string_view client_name, SlowLogEntry* e,
               size_t* logged) {
  const size_t kept = argc > kSlowlogMaxArgc ? kSlowlogMaxArgc : argc;
  if (e->args.size() < kept) e->args.resize(kept);
  for (size_t j = 0; j < kept; ++j) {
    // As Redis: the last kept slot says how many arguments were left out (itself included).
    if (kept != argc && j == kept - 1) {
      e->args[j].clear();
      AppendMore(&e->args[j], argc - kept + 1, " more arguments)");
    } else {
      AssignTruncated(args[j], &e->args[j]);
    }
  }
  *logged = kept;
  e->unix_time = static_cast<int64_t>(std::time(nullptr));
  e->duration_us = static_cast<int64_t>(total_ns / 1000);
  e->backend_us = static_cast<int64_t>(backend_ns / 1000);
  e->client_addr.assign(client_addr);
  e->client_name.assign(client_name);
}

}  // namespace

std::string TruncateSlowlogArg(std::string_view arg) {
  std::string out;
  AssignTruncated(arg, &out);
  return out;
}

SlowLog::SlowLog(size_t max_len, int64_t threshold_us)
    : max_len_(max_len), threshold_us_(threshold_us) {}

void SlowLog::Linearize() {
  if (len_ == ring_.size() && next_ != 0) {
    std::rotate(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(next_), ring_.end());
  }
  next_ = ring_.empty() ? 0 : len_ % ring_.size();
}

void SlowLog::SetMaxLen(size_t max_len) {
  // Dropped entries are destroyed after the lock is released.
  std::vector<std::unique_ptr<Slot>> dropped;
  std::lock_guard lock(mu_);
  max_len_ = max_len;
  Linearize();
  const size_t drop = len_ > max_len_ ? len_ - max_len_ : 0;
  // The oldest are at the front: drop them, then the free storage beyond max_len.
  if (drop > 0) {
    std::rotate(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(drop), ring_.end());
    len_ -= drop;
  }
  if (ring_.size() > max_len_) {
    // The logged entries are now [0, len_) with len_ <= max_len_: the tail is free storage.
    dropped.assign(std::make_move_iterator(ring_.begin() + static_cast<std::ptrdiff_t>(max_len_)),
                   std::make_move_iterator(ring_.end()));
    ring_.resize(max_len_);
    ring_.shrink_to_fit();
  }
  next_ = ring_.empty() ? 0 : len_ % ring_.size();
}

void SlowLog::Add(const std::string_view* args, size_t argc, uint64_t total_ns, uint64_t backend_ns,
                  std::string_view client_addr, std::string_view client_name) {
  // Built outside the lock, in storage this thread got back from an evicted entry: copying up
  // to 32 x 128 bytes is the costly part, and it allocates nothing once capacities suffice.
  thread_local std::unique_ptr<Slot> spare;
  if (spare == nullptr) spare = std::make_unique<Slot>();
  FillEntry(args, argc, total_ns, backend_ns, client_addr, client_name, &spare->entry,
            &spare->argc);
  std::lock_guard lock(mu_);
  spare->entry.id = next_id_++;
  if (max_len_ == 0) return;  // Redis: made, then trimmed at once
  if (len_ == ring_.size() && ring_.size() < max_len_) {
    assert(next_ == 0);  // no free slot and room to grow: [0, len_) is the log (see Linearize)
    ring_.push_back(std::move(spare));  // the next Add makes a new spare, outside the lock
    ++len_;
    return;
  }
  // A free slot, or (full) the oldest entry: its storage becomes this thread's next spare.
  std::swap(ring_[next_], spare);
  if (len_ < ring_.size()) ++len_;
  next_ = (next_ + 1) % ring_.size();
}

size_t SlowLog::Len() const {
  std::lock_guard lock(mu_);
  return len_;
}

void SlowLog::Reset() {
  std::lock_guard lock(mu_);
  len_ = 0;
  next_ = 0;
}

std::vector<SlowLogEntry> SlowLog::Newest(size_t count) const {
  std::lock_guard lock(mu_);
  const size_t n = count < len_ ? count : len_;
  std::vector<SlowLogEntry> out(n);
  for (size_t k = 0; k < n; ++k) {
    const Slot& s = *ring_[(next_ + ring_.size() - 1 - k) % ring_.size()];
    SlowLogEntry& e = out[k];
    e.id = s.entry.id;
    e.unix_time = s.entry.unix_time;
    e.duration_us = s.entry.duration_us;
    e.backend_us = s.entry.backend_us;
    e.args.assign(s.entry.args.begin(), s.entry.args.begin() + static_cast<std::ptrdiff_t>(s.argc));
    e.client_addr = s.entry.client_addr;
    e.client_name = s.entry.client_name;
  }
  return out;
}

}  // namespace slotproxy::metrics
