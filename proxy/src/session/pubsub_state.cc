#include "session/pubsub_state.h"

#include <algorithm>
#include <charconv>

namespace slotproxy::session {
namespace {

// Reads "<prefix><n>\r\n" at *pos and advances past it; nullopt when malformed. A null bulk
// ("$-1") reads as -1.
std::optional<int64_t> ReadHeader(std::string_view raw, size_t* pos, char* prefix) {
  if (*pos >= raw.size()) return std::nullopt;
  *prefix = raw[*pos];
  const size_t cr = raw.find('\r', *pos);
  if (cr == std::string_view::npos || cr + 1 >= raw.size()) return std::nullopt;
  int64_t n = 0;
  const char* first = raw.data() + *pos + 1;
  const char* last = raw.data() + cr;
  auto [ptr, ec] = std::from_chars(first, last, n);
  if (ec != std::errc() || ptr != last) return std::nullopt;
  *pos = cr + 2;
  return n;
}

// The bulk string at *pos (advances), or nullopt (malformed, or a null bulk).
std::optional<std::string_view> ReadBulk(std::string_view raw, size_t* pos) {
  char prefix = 0;
  const std::optional<int64_t> len = ReadHeader(raw, pos, &prefix);
  if (!len || prefix != '$' || *len < 0 || *pos + static_cast<size_t>(*len) > raw.size()) {
    return std::nullopt;
  }
  std::string_view out = raw.substr(*pos, static_cast<size_t>(*len));
  *pos += static_cast<size_t>(*len) + 2;
  return out;
}

// This abseil's string_view is its own type: heterogeneous lookups go through it.
absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

struct WordInfo {
  std::string_view word;
  PubSubFrame::Type type;
  SubKind kind;
};

constexpr WordInfo kWords[] = {
    {"message", PubSubFrame::Type::kMessage, SubKind::kChannel},
    {"pmessage", PubSubFrame::Type::kPMessage, SubKind::kPattern},
    {"smessage", PubSubFrame::Type::kMessage, SubKind::kShard},
    {"subscribe", PubSubFrame::Type::kSubscribe, SubKind::kChannel},
    {"psubscribe", PubSubFrame::Type::kSubscribe, SubKind::kPattern},
    {"ssubscribe", PubSubFrame::Type::kSubscribe, SubKind::kShard},
    {"unsubscribe", PubSubFrame::Type::kUnsubscribe, SubKind::kChannel},
    {"punsubscribe", PubSubFrame::Type::kUnsubscribe, SubKind::kPattern},
    {"sunsubscribe", PubSubFrame::Type::kUnsubscribe, SubKind::kShard},
};

}  // namespace

std::string_view SubscribeWord(SubKind kind) {
  return kind == SubKind::kChannel   ? "subscribe"
         : kind == SubKind::kPattern ? "psubscribe"
                                     : "ssubscribe";
}

std::string_view UnsubscribeWord(SubKind kind) {
  return kind == SubKind::kChannel   ? "unsubscribe"
         : kind == SubKind::kPattern ? "punsubscribe"
                                     : "sunsubscribe";
}

bool PubSubState::Add(SubKind kind, std::string_view name) {
  if (!sets_[Index(kind)].emplace(std::string(name)).second) return false;
  order_[Index(kind)].emplace_back(name);
  return true;
}

bool PubSubState::Remove(SubKind kind, std::string_view name) {
  auto it = sets_[Index(kind)].find(AbslView(name));
  if (it == sets_[Index(kind)].end()) return false;
  sets_[Index(kind)].erase(it);
  std::vector<std::string>& order = order_[Index(kind)];
  order.erase(std::find(order.begin(), order.end(), name));
  return true;
}

bool PubSubState::Has(SubKind kind, std::string_view name) const {
  return sets_[Index(kind)].contains(AbslView(name));
}

size_t PubSubState::CountFor(SubKind kind) const {
  if (kind == SubKind::kShard) return sets_[Index(SubKind::kShard)].size();
  return sets_[Index(SubKind::kChannel)].size() + sets_[Index(SubKind::kPattern)].size();
}

bool PubSubState::Any() const {
  return !sets_[0].empty() || !sets_[1].empty() || !sets_[2].empty();
}

void PubSubState::Clear() {
  for (size_t i = 0; i < 3; ++i) {
    sets_[i].clear();
    order_[i].clear();
  }
}

void WriteConfirmation(resp::Encoder& out, std::string_view word,
                       std::optional<std::string_view> name, size_t count) {
  out.PushHeader(3);
  out.Bulk(word);
  if (name) {
    out.Bulk(*name);
  } else {
    out.Null();
  }
  out.Integer(static_cast<int64_t>(count));
}

PubSubFrame ClassifyPubSubFrame(std::string_view raw) {
  PubSubFrame frame;
  if (raw.empty()) return frame;
  if (raw[0] == '-' || raw[0] == '!') {
    frame.type = PubSubFrame::Type::kError;
    return frame;
  }
  if (raw[0] != '*' && raw[0] != '>') return frame;
  size_t pos = 0;
  char prefix = 0;
  const std::optional<int64_t> n = ReadHeader(raw, &pos, &prefix);
  if (!n || *n < 3) return frame;
  const std::optional<std::string_view> word = ReadBulk(raw, &pos);
  if (!word) return frame;
  for (const WordInfo& w : kWords) {
    if (w.word != *word) continue;
    const std::optional<std::string_view> channel = ReadBulk(raw, &pos);
    if (!channel && w.type != PubSubFrame::Type::kUnsubscribe) return frame;
    frame.type = w.type;
    frame.kind = w.kind;
    if (channel) frame.channel = *channel;
    return frame;
  }
  return frame;
}

}  // namespace slotproxy::session
