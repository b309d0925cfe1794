// Pub/Sub of one shard (Redis's pubsub.c): channels, patterns and shard channels, each with its
// subscribers in subscription order. Loop-thread-only, owned by the shard.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace slotproxy::server {

class Client;

// Which kind of subscription a command manages.
enum class PubSubKind { kChannel, kPattern, kShard };

// A client's own subscriptions (its side of the registry).
struct ClientSubscriptions {
  absl::flat_hash_set<std::string> channels;
  absl::flat_hash_set<std::string> patterns;
  absl::flat_hash_set<std::string> shard_channels;

  absl::flat_hash_set<std::string>& Of(PubSubKind kind) {
    return kind == PubSubKind::kChannel   ? channels
           : kind == PubSubKind::kPattern ? patterns
                                          : shard_channels;
  }
  // Redis's clientSubscriptionsCount (SUBSCRIBE/PSUBSCRIBE replies): channels + patterns.
  size_t Count() const { return channels.size() + patterns.size(); }
  // clientShardSubscriptionsCount (SSUBSCRIBE replies).
  size_t ShardCount() const { return shard_channels.size(); }
  // True while any subscription holds the client in the Pub/Sub context.
  bool Any() const { return !channels.empty() || !patterns.empty() || !shard_channels.empty(); }
};

class PubSub {
 public:
  // Subscribes `client` to `name`; false when it already was.
  bool Subscribe(Client* client, PubSubKind kind, std::string_view name);
  // Unsubscribes `client` from `name`; false when it was not subscribed.
  bool Unsubscribe(Client* client, PubSubKind kind, std::string_view name);
  // Every subscription of `client` (disconnect, RESET), without replies.
  void UnsubscribeAll(Client* client);

  // Sends `message` to the subscribers of `channel` (and, unless kShard, of matching patterns);
  // returns the number of receivers (PUBLISH / SPUBLISH reply).
  size_t Publish(std::string_view channel, std::string_view message, bool shard);

  // Names with at least one subscriber (PUBSUB CHANNELS / SHARDCHANNELS; kPattern unused).
  std::vector<std::string> Names(PubSubKind kind) const;
  // Number of subscribers of `name` (PUBSUB NUMSUB / SHARDNUMSUB).
  size_t SubscriberCount(PubSubKind kind, std::string_view name) const;

  size_t ChannelCount() const { return channels_.size(); }
  size_t PatternCount() const { return patterns_.size(); }
  size_t ShardChannelCount() const { return shard_channels_.size(); }

 private:
  using Map = absl::flat_hash_map<std::string, std::vector<Client*>>;
  Map& Of(PubSubKind kind) {
    return kind == PubSubKind::kChannel   ? channels_
           : kind == PubSubKind::kPattern ? patterns_
                                          : shard_channels_;
  }

  const Map& Of(PubSubKind kind) const { return const_cast<PubSub*>(this)->Of(kind); }

  Map channels_;
  Map patterns_;
  Map shard_channels_;
};

}  // namespace slotproxy::server
