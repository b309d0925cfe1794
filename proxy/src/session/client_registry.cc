#include "session/client_registry.h"

#include <algorithm>

namespace slotproxy::session {

ClientRegistry& ClientRegistry::Process() {
  static ClientRegistry* registry = new ClientRegistry();  // never destroyed: no exit order
  return *registry;
}

void ClientRegistry::Add(uint64_t id, net::EventLoop* loop, ClientSession* session) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_[id] = {loop, session};
}

void ClientRegistry::Remove(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(id);
}

ClientSession* ClientRegistry::Find(uint64_t id, const net::EventLoop* loop) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.first != loop) return nullptr;
  return it->second.second;
}

std::vector<ClientSession*> ClientRegistry::SessionsOn(const net::EventLoop* loop) const {
  std::vector<std::pair<uint64_t, ClientSession*>> found;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, entry] : sessions_) {
      if (entry.first == loop) found.emplace_back(id, entry.second);
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<ClientSession*> out;
  out.reserve(found.size());
  for (const auto& [id, session] : found) out.push_back(session);
  return out;
}

std::vector<net::EventLoop*> ClientRegistry::Loops() const {
  std::vector<net::EventLoop*> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, entry] : sessions_) {
    if (std::find(out.begin(), out.end(), entry.first) == out.end()) out.push_back(entry.first);
  }
  return out;
}

}  // namespace slotproxy::session
