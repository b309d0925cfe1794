#include "server/blocking.h"
#include "server/server_strings.h"

#include <algorithm>

namespace slotproxy::server {

void BlockingRegistry::Block(uint64_t client_id, std::span<const std::string> keys) {
  for (const std::string& key : keys) {
    auto& list = by_key_[std::string(key)];
    if (std::find(list.begin(), list.end(), client_id) == list.end()) list.push_back(client_id);
  }
}

void BlockingRegistry::Unblock(uint64_t client_id, std::span<const std::string> keys) {
  for (const std::string& key : keys) {
    auto it = by_key_.find(AV(key));
    if (it == by_key_.end()) continue;
    auto& list = it->second;
    list.erase(std::remove(list.begin(), list.end(), client_id), list.end());
    if (list.empty()) by_key_.erase(it);
  }
}

void BlockingRegistry::SignalReady(std::string_view key) {
  if (!by_key_.contains(AV(key))) return;
  if (ready_set_.emplace(std::string(key)).second) ready_.emplace_back(key);
}

std::vector<std::string> BlockingRegistry::TakeReady() {
  std::vector<std::string> out;
  out.swap(ready_);
  ready_set_.clear();
  return out;
}

std::vector<uint64_t> BlockingRegistry::Waiters(std::string_view key) const {
  auto it = by_key_.find(AV(key));
  if (it == by_key_.end()) return {};
  return std::vector<uint64_t>(it->second.begin(), it->second.end());
}

}  // namespace slotproxy::server
