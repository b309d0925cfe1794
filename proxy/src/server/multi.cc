#include "server/multi.h"

#include <algorithm>

#include "server/client.h"
#include "server/server_strings.h"

namespace slotproxy::server {

void WatchTable::Watch(Client* client, std::string_view key, bool expired_now) {
  auto& watched = client->multi().watched;
  for (const WatchedKey& w : watched) {
    if (w.key == key) return;
  }
  watched.push_back(WatchedKey{std::string(key), expired_now});
  by_key_[std::string(key)].push_back(client);
}

void WatchTable::UnwatchAll(Client* client) {
  auto& watched = client->multi().watched;
  for (const WatchedKey& w : watched) {
    auto it = by_key_.find(AV(w.key));
    if (it == by_key_.end()) continue;
    auto& list = it->second;
    list.erase(std::remove(list.begin(), list.end(), client), list.end());
    if (list.empty()) by_key_.erase(it);
  }
  watched.clear();
  client->multi().dirty_cas = false;
}

void WatchTable::Touch(std::string_view key) {
  auto it = by_key_.find(AV(key));
  if (it == by_key_.end()) return;
  for (Client* c : it->second) c->multi().dirty_cas = true;
}

std::vector<std::string> WatchTable::ExistingKeys(const engine::Keyspace& db) const {
  std::vector<std::string> out;
  for (const auto& [key, clients] : by_key_) {
    if (db.Peek(key) != nullptr) out.push_back(key);
  }
  return out;
}

bool WatchTable::AnyWatchedKeyExpired(const Client& client, const engine::Keyspace& db,
                                      int64_t now_ms) {
  for (const WatchedKey& w : client.multi().watched) {
    if (w.expired_at_watch) continue;
    const engine::Entry* e = db.Peek(w.key);
    if (e == nullptr) continue;
    int64_t when = db.GetExpire(e);
    if (when >= 0 && when < now_ms) return true;
  }
  return false;
}

}  // namespace slotproxy::server
