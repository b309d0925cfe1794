// PubSubState: one client's subscriptions as the proxy tracks them (Redis's c->pubsub_channels,
// pubsub_patterns and pubsubshard_channels), plus the reply frames Redis writes for them. The
// proxy writes every (un)subscribe confirmation itself, so the counts are the client's own
// whatever backend connections carry the subscriptions; backends' confirmations only tell the
// proxy when a subscription is live. Pure: no I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "resp/encoder.h"

namespace slotproxy::session {

enum class SubKind : uint8_t { kChannel, kPattern, kShard };

// The confirmation words of Redis's replies, by kind.
std::string_view SubscribeWord(SubKind kind);    // "subscribe", "psubscribe", "ssubscribe"
std::string_view UnsubscribeWord(SubKind kind);  // "unsubscribe", "punsubscribe", ...

class PubSubState {
 public:
  // Adds `name`; false when the client already had it.
  bool Add(SubKind kind, std::string_view name);
  // Removes `name`; false when the client did not have it.
  bool Remove(SubKind kind, std::string_view name);
  bool Has(SubKind kind, std::string_view name) const;
  // The names of `kind` in subscription order.
  const std::vector<std::string>& Names(SubKind kind) const { return order_[Index(kind)]; }
  // Redis's clientSubscriptionsCount (channels + patterns) for kChannel / kPattern, and
  // clientShardSubscriptionsCount for kShard: the number a confirmation carries.
  size_t CountFor(SubKind kind) const;
  // True while any subscription holds a RESP2 client in the pub/sub context.
  bool Any() const;
  void Clear();

 private:
  static size_t Index(SubKind kind) { return static_cast<size_t>(kind); }
  absl::flat_hash_set<std::string> sets_[3];
  std::vector<std::string> order_[3];
};

// Appends Redis's confirmation frame: a 3-element array (RESP2) or push (RESP3) of `word`, the
// name (a null bulk when absent: UNSUBSCRIBE with nothing subscribed) and `count`.
void WriteConfirmation(resp::Encoder& out, std::string_view word,
                       std::optional<std::string_view> name, size_t count);

// What a frame from a pub/sub backend connection is.
struct PubSubFrame {
  enum class Type : uint8_t {
    kMessage,      // message / smessage: channel is the channel
    kPMessage,     // pmessage: channel is the pattern
    kSubscribe,    // subscribe / psubscribe / ssubscribe confirmation
    kUnsubscribe,  // unsubscribe / punsubscribe / sunsubscribe (asked for, or a slot moved)
    kError,        // an error reply (e.g. -MOVED to SSUBSCRIBE)
    kOther,        // anything else (PONG, ...)
  };
  Type type = Type::kOther;
  SubKind kind = SubKind::kChannel;  // for the confirmations and messages
  std::string_view channel;          // view into the frame
};

// Classifies one complete frame (RESP2 array or RESP3 push whose elements are bulk strings).
// Frames it cannot read are kOther, never an error: the bytes come from a backend.
PubSubFrame ClassifyPubSubFrame(std::string_view raw);

}  // namespace slotproxy::session
