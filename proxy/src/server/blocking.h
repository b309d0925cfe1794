// Clients parked by blocking commands (BLPOP, BLMOVE, BZPOPMIN...): per key, the clients blocked
// on it in FIFO order, and the keys signalled ready since the last serve. Loop-thread-only,
// owned by the shard.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace slotproxy::server {

class BlockingRegistry {
 public:
  // Appends `client_id` to the waiters of every key in `keys` (duplicates ignored).
  void Block(uint64_t client_id, std::span<const std::string> keys);
  // Removes `client_id` from the waiters of `keys`.
  void Unblock(uint64_t client_id, std::span<const std::string> keys);
  // Records that `key` may satisfy its waiters; ignored when nobody waits on it.
  void SignalReady(std::string_view key);
  bool HasReady() const { return !ready_.empty(); }
  // The keys signalled since the last call, in signal order; clears them.
  std::vector<std::string> TakeReady();
  // A copy of the waiters of `key`, oldest first (a copy: serving changes the lists).
  std::vector<uint64_t> Waiters(std::string_view key) const;
  // Number of keys with waiters.
  size_t KeyCount() const { return by_key_.size(); }

 private:
  absl::flat_hash_map<std::string, std::deque<uint64_t>> by_key_;
  std::vector<std::string> ready_;
  absl::flat_hash_set<std::string> ready_set_;
};

}  // namespace slotproxy::server
