// WorkerThread: one thread running one EventLoop (the shared-nothing worker model).
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "net/event_loop.h"

namespace slotproxy::net {

// Owns an EventLoop and the thread that runs it. Set the loop up from the thread itself (the
// `body` passed to Start, or closures Post()ed to loop()): every object bound to the loop must
// be created and destroyed on the loop thread.
class WorkerThread {
 public:
  // `name` becomes the thread's name (first 15 bytes) as shown by top -H.
  explicit WorkerThread(std::string name = "sp-worker");
  // Stop() and Join().
  ~WorkerThread();
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  // The worker's loop. Post() and Stop() on it are safe from any thread.
  EventLoop& loop() { return loop_; }

  // Starts the thread. Without a body it just runs loop().Run(). With one, the thread runs
  // body(loop()) instead: the body creates its loop-bound objects, calls loop.Run(), and
  // destroys them before returning (they must not outlive the thread's use of the loop).
  // Calling Start() twice is a programming error.
  void Start(std::function<void(EventLoop&)> body = nullptr);

  // Asks the loop to stop (thread-safe, idempotent). Run() returns after the current turn.
  void Stop() { loop_.Stop(); }

  // Waits for the thread to finish; no-op if not started or already joined.
  void Join();

 private:
  std::string name_;
  EventLoop loop_;
  std::thread thread_;
};

}  // namespace slotproxy::net
