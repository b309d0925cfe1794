#include "net/worker_thread.h"

#include "net/loop_internal.h"

#include <pthread.h>

#include <cassert>
#include <utility>

namespace slotproxy::net {

WorkerThread::WorkerThread(std::string name) : name_(std::move(name)) {}

WorkerThread::~WorkerThread() {
  Stop();
  Join();
}

void WorkerThread::Start(std::function<void(EventLoop&)> body) {
  assert(!thread_.joinable());
  thread_ = std::thread([this, body = std::move(body)] {
    pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
    // The body creates loop-bound objects before Run(): it is the loop thread from here on.
    loop_.state().thread.store(std::this_thread::get_id());
    if (body) {
      body(loop_);
    } else {
      loop_.Run();
    }
  });
}

void WorkerThread::Join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace slotproxy::net
