// BackendRequest: one command on its way to a backend node, and the owner that receives its
// final reply. The dispatcher follows MOVED/ASK/TRYAGAIN itself, so an owner only ever sees the
// reply the client should get (or a proxy-made error).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "resp/reply_parser.h"

namespace slotproxy::backend {

struct BackendRequest;

// Receives final replies. Loop-thread-only. An owner that goes away while requests are in
// flight sets their `owner` to nullptr (BackendRequest::Detach); their replies are then read
// and dropped, keeping every backend connection's FIFO aligned.
class RequestOwner {
 public:
  // The backend's reply, as the exact raw bytes it sent (`info` describes them). `raw` is only
  // valid during the call. The request is released by the dispatcher after the call returns.
  virtual void OnBackendReply(BackendRequest& request, std::string_view raw,
                              const resp::ReplyInfo& info) = 0;
  // The proxy could not get a reply (timeout, node down, bad bytes, too many redirects).
  // `message` is an error text without '-' and CRLF ("ERR ..."). Released after the call.
  virtual void OnBackendError(BackendRequest& request, std::string_view message) = 0;

 protected:
  ~RequestOwner() = default;
};

struct BackendRequest {
  // The command, encoded as a RESP multibulk. Kept until the final reply so MOVED/ASK/TRYAGAIN
  // and a failed connect can resend it.
  std::string payload;
  RequestOwner* owner = nullptr;  // nullptr: the client is gone, drop the reply
  uint64_t tag = 0;               // the owner's own reference (e.g. entry sequence)
  uint32_t sub = 0;               // the owner's sub-request index (split / fan-out)
  // Routing: by slot (has_slot) through the current slot map, else to `target` ("host:port").
  bool has_slot = false;
  uint16_t slot = 0;
  std::string target;
  uint64_t affinity = 0;  // picks the connection of a node's pool (same client, same conn)
  bool resp3 = false;     // goes to the node's RESP3 connections (a RESP3 client's command)
  uint8_t redirects = 0;  // MOVED/ASK/TRYAGAIN hops so far
  bool asking = false;    // send "ASKING" just before it (one-shot)
  uint64_t sent_ms = 0;   // loop time when handed to a connection (for the op timeout)
  uint64_t sent_ns = 0;   // steady ns its bytes were queued for write (backend round trip)
  // Steady ns of the read batch that brought its reply (set before OnBackendReply; 0 for a
  // proxy-made error): owners time the request with it instead of reading the clock again.
  uint64_t reply_ns = 0;

  // Forgets the owner: the reply will be dropped.
  void Detach() { owner = nullptr; }
};

using RequestPtr = std::unique_ptr<BackendRequest>;

// A free list of requests, so the hot path does not allocate once warm. One per worker.
class RequestPool {
 public:
  // A cleared request (payload keeps its capacity).
  RequestPtr Acquire() {
    if (free_.empty()) return std::make_unique<BackendRequest>();
    RequestPtr r = std::move(free_.back());
    free_.pop_back();
    return r;
  }
  // Returns `r` for reuse; large payload buffers are dropped so the pool stays small.
  void Release(RequestPtr r) {
    if (!r || free_.size() >= kMaxFree) return;
    if (r->payload.capacity() > kMaxKeptPayload) r->payload = std::string();
    r->payload.clear();
    r->owner = nullptr;
    r->tag = 0;
    r->sub = 0;
    r->has_slot = false;
    r->slot = 0;
    r->target.clear();
    r->affinity = 0;
    r->resp3 = false;
    r->redirects = 0;
    r->asking = false;
    r->sent_ms = 0;
    r->sent_ns = 0;
    r->reply_ns = 0;
    free_.push_back(std::move(r));
  }
  size_t FreeCount() const { return free_.size(); }

 private:
  // Enough for 50 clients pipelining 16 MSETs of 10 slots each; a kept request costs its
  // struct plus at most kMaxKeptPayload bytes.
  static constexpr size_t kMaxFree = 8192;
  static constexpr size_t kMaxKeptPayload = 1024;
  std::vector<RequestPtr> free_;
};

}  // namespace slotproxy::backend
