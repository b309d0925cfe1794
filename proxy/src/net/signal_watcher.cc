#include "net/signal_watcher.h"

#include <uv.h>

#include <string>

namespace slotproxy::net {

struct SignalWatcher::Entry {
  uv_signal_t handle;
  bool attached = true;
  SignalWatcher::Callback cb;

  static void OnSignal(uv_signal_t* handle, int signum) {
    Entry* e = static_cast<Entry*>(handle->data);
    if (!e->attached) return;
    SignalWatcher::Callback local = e->cb;  // the watcher may be destroyed inside
    local(signum);
  }

  void Close() {
    attached = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&handle),
             [](uv_handle_t* h) { delete static_cast<Entry*>(h->data); });
  }
};

SignalWatcher::SignalWatcher(EventLoop& loop) : loop_(loop) {}

SignalWatcher::~SignalWatcher() {
  for (auto& [signum, entry] : entries_) entry->Close();
}

Status SignalWatcher::Watch(int signum, Callback cb) {
  Unwatch(signum);
  auto* e = new Entry;
  e->cb = std::move(cb);
  uv_signal_init(loop_.raw(), &e->handle);
  e->handle.data = e;
  int rc = uv_signal_start(&e->handle, Entry::OnSignal, signum);
  if (rc != 0) {
    e->Close();
    return Status::Error("cannot watch signal " + std::to_string(signum) + ": " + uv_strerror(rc));
  }
  entries_[signum] = e;
  return Status();
}

void SignalWatcher::Unwatch(int signum) {
  auto it = entries_.find(signum);
  if (it == entries_.end()) return;
  it->second->Close();
  entries_.erase(it);
}

}  // namespace slotproxy::net
