#include "server/pubsub.h"

#include <algorithm>

#include "engine/glob.h"
#include "resp/encoder.h"
#include "server/client.h"
#include "server/server_strings.h"

namespace slotproxy::server {

bool PubSub::Subscribe(Client* client, PubSubKind kind, std::string_view name) {
  if (!client->subscriptions().Of(kind).emplace(std::string(name)).second) return false;
  Of(kind)[std::string(name)].push_back(client);
  return true;
}

bool PubSub::Unsubscribe(Client* client, PubSubKind kind, std::string_view name) {
  auto& mine = client->subscriptions().Of(kind);
  auto it = mine.find(AV(name));
  if (it == mine.end()) return false;
  mine.erase(it);
  Map& map = Of(kind);
  auto m = map.find(AV(name));
  if (m != map.end()) {
    auto& list = m->second;
    list.erase(std::remove(list.begin(), list.end(), client), list.end());
    if (list.empty()) map.erase(m);
  }
  return true;
}

void PubSub::UnsubscribeAll(Client* client) {
  for (PubSubKind kind : {PubSubKind::kChannel, PubSubKind::kPattern, PubSubKind::kShard}) {
    auto names = std::vector<std::string>(client->subscriptions().Of(kind).begin(),
                                          client->subscriptions().Of(kind).end());
    for (const std::string& n : names) Unsubscribe(client, kind, n);
  }
}

std::vector<std::string> PubSub::Names(PubSubKind kind) const {
  std::vector<std::string> out;
  for (const auto& [name, clients] : Of(kind)) out.push_back(name);
  return out;
}

size_t PubSub::SubscriberCount(PubSubKind kind, std::string_view name) const {
  auto it = Of(kind).find(AV(name));
  return it == Of(kind).end() ? 0 : it->second.size();
}

size_t PubSub::Publish(std::string_view channel, std::string_view message, bool shard) {
  size_t receivers = 0;
  Map& map = shard ? shard_channels_ : channels_;
  auto it = map.find(AV(channel));
  if (it != map.end()) {
    // Copy: a delivery may close a subscriber over its output limit, which never unsubscribes it
    // synchronously, but stay safe against any list change.
    std::vector<Client*> subs = it->second;
    for (Client* c : subs) {
      resp::Encoder out = c->Encoder();
      out.PushHeader(3);
      out.Bulk(shard ? "smessage" : "message");
      out.Bulk(channel);
      out.Bulk(message);
      c->CheckOutputLimit();
      ++receivers;
    }
  }
  if (shard) return receivers;
  std::vector<std::pair<std::string, Client*>> matches;
  for (const auto& [pattern, clients] : patterns_) {
    if (!engine::GlobMatch(pattern, channel)) continue;
    for (Client* c : clients) matches.emplace_back(pattern, c);
  }
  for (auto& [pattern, c] : matches) {
    resp::Encoder out = c->Encoder();
    out.PushHeader(4);
    out.Bulk("pmessage");
    out.Bulk(pattern);
    out.Bulk(channel);
    out.Bulk(message);
    c->CheckOutputLimit();
    ++receivers;
  }
  return receivers;
}

}  // namespace slotproxy::server
