// ClientRegistry: every client session of the process with the event loop that owns it, so
// CLIENT LIST and CLIENT KILL reach the clients of every worker. A session registers when it
// is created and leaves in its destructor, both on its own loop. Nobody touches another loop's
// session: work for it is posted to that loop, which looks the session up again there (a
// session gone meanwhile is simply not found).
#pragma once

#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "net/event_loop.h"

namespace slotproxy::session {

class ClientSession;

class ClientRegistry {
 public:
  // The process's registry (client ids are process-wide too: NextClientId()).
  static ClientRegistry& Process();

  // Thread-safe. `session` must stay valid until Remove(id), called on `loop`'s thread.
  void Add(uint64_t id, net::EventLoop* loop, ClientSession* session);
  void Remove(uint64_t id);

  // The session `id` when it lives on `loop`; call on `loop`'s thread only. nullptr: gone.
  ClientSession* Find(uint64_t id, const net::EventLoop* loop) const;
  // The sessions of `loop` in id order; call on `loop`'s thread only.
  std::vector<ClientSession*> SessionsOn(const net::EventLoop* loop) const;
  // The loops that have at least one client. Thread-safe.
  std::vector<net::EventLoop*> Loops() const;

 private:
  mutable std::mutex mu_;
  absl::flat_hash_map<uint64_t, std::pair<net::EventLoop*, ClientSession*>> sessions_;
};

}  // namespace slotproxy::session
