// MULTI/EXEC state of one client and the shard's WATCH table (Redis's multi.c).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "command/command_info.h"
#include "engine/keyspace.h"

namespace slotproxy::server {

class Client;

// One command queued between MULTI and EXEC: its row and a copy of its arguments (the request
// bytes are gone once the input buffer moves on).
struct QueuedCommand {
  const command::CommandInfo* info = nullptr;
  std::vector<std::string> args;
};

// A key a client watches, and whether it had already expired when WATCH ran (Redis 7.0 only
// fails EXEC for keys that expire after WATCH).
struct WatchedKey {
  std::string key;
  bool expired_at_watch = false;
};

struct MultiState {
  bool active = false;      // between MULTI and EXEC/DISCARD (CLIENT_MULTI)
  bool dirty_exec = false;  // a command was rejected while queueing (CLIENT_DIRTY_EXEC)
  bool dirty_cas = false;   // a watched key was modified (CLIENT_DIRTY_CAS)
  std::vector<QueuedCommand> queue;
  std::vector<WatchedKey> watched;

  // Clears the transaction (not the watched keys).
  void Reset() {
    active = false;
    dirty_exec = false;
    queue.clear();
  }
};

// Which clients watch which keys. Loop-thread-only, owned by the shard.
class WatchTable {
 public:
  // Adds `key` to `client`'s watched keys unless already there (WATCH).
  void Watch(Client* client, std::string_view key, bool expired_now);
  // Drops every key `client` watches and clears its dirty_cas flag (UNWATCH, EXEC, DISCARD,
  // disconnect).
  void UnwatchAll(Client* client);
  // Marks every client watching `key` as dirty (signalModifiedKey).
  void Touch(std::string_view key);
  // The watched keys that exist in `db` now (before FLUSHALL / FLUSHDB: Redis only fails the
  // EXEC of clients whose watched key the flush really deleted).
  std::vector<std::string> ExistingKeys(const engine::Keyspace& db) const;
  // True when a key `client` watches expired after its WATCH (isWatchedKeyExpired).
  static bool AnyWatchedKeyExpired(const Client& client, const engine::Keyspace& db,
                                   int64_t now_ms);
  // Number of distinct keys watched (INFO).
  size_t KeyCount() const { return by_key_.size(); }

 private:
  absl::flat_hash_map<std::string, std::vector<Client*>> by_key_;
};

}  // namespace slotproxy::server
