#include "metrics/slowlog.h"

#include <ctime>

#include <string>

namespace slotproxy::metrics {

std::string TruncateSlowlogArg(std::string_view arg) {
  if (arg.size() <= kSlowlogMaxString) return std::string(arg);
  std::string out(arg.substr(0, kSlowlogMaxString));
  out += "... (";
  out += std::to_string(arg.size() - kSlowlogMaxString);
  out += " more bytes)";
  return out;
}

SlowLog::SlowLog(size_t max_len, int64_t threshold_us)
    : max_len_(max_len), threshold_us_(threshold_us) {}

void SlowLog::SetMaxLen(size_t max_len) {
  std::lock_guard lock(mu_);
  max_len_ = max_len;
  while (entries_.size() > max_len_) entries_.pop_back();
}

void SlowLog::Add(const std::string_view* args, size_t argc, uint64_t total_ns, uint64_t backend_ns,
                  std::string_view client_addr, std::string_view client_name) {
  // Built outside the lock: copying up to 32 x 128 bytes is the costly part.
  SlowLogEntry e;
  size_t kept = argc > kSlowlogMaxArgc ? kSlowlogMaxArgc : argc;
  e.args.reserve(kept);
  for (size_t j = 0; j < kept; ++j) {
    // As Redis: the last kept slot says how many arguments were left out (itself included).
    if (kept != argc && j == kept - 1) {
      e.args.push_back("... (" + std::to_string(argc - kept + 1) + " more arguments)");
    } else {
      e.args.push_back(TruncateSlowlogArg(args[j]));
    }
  }
  e.unix_time = static_cast<int64_t>(std::time(nullptr));
  e.duration_us = static_cast<int64_t>(total_ns / 1000);
  e.backend_us = static_cast<int64_t>(backend_ns / 1000);
  e.client_addr = std::string(client_addr);
  e.client_name = std::string(client_name);
  std::lock_guard lock(mu_);
  e.id = next_id_++;
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len_) entries_.pop_back();
}

size_t SlowLog::Len() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void SlowLog::Reset() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

std::vector<SlowLogEntry> SlowLog::Newest(size_t count) const {
  std::lock_guard lock(mu_);
  size_t n = count < entries_.size() ? count : entries_.size();
  return std::vector<SlowLogEntry>(entries_.begin(), entries_.begin() + static_cast<long>(n));
}

}  // namespace slotproxy::metrics
