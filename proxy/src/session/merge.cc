#include "session/merge.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "resp/reply_parser.h"
#include "resp/value.h"

namespace slotproxy::session {
namespace {

bool IsError(std::string_view reply) {
  return !reply.empty() && (reply[0] == '-' || reply[0] == '!');
}

bool IsNull(std::string_view reply) {
  return reply == "$-1\r\n" || reply == "*-1\r\n" || reply == "_\r\n";
}

// Passes the first error sub-reply through; false when there is none.
bool WriteFirstError(std::span<const std::string_view> replies, resp::Encoder& out) {
  for (std::string_view reply : replies) {
    if (IsError(reply)) {
      out.Raw(reply);
      return true;
    }
  }
  return false;
}

void NoShard(resp::Encoder& out) { out.Error("ERR slotproxy: no shard answered"); }

void Unexpected(std::string_view why, resp::Encoder& out) {
  std::string message(kUnexpectedReplyPrefix);
  message.append(why);
  out.Error(message);
}

// Element spans of aggregate replies. Inline room for typical MGETs: no heap allocation per
// merge on the common path.
using Elements = absl::InlinedVector<std::string_view, 16>;

// Fast path for MGET values: the byte length of the bulk string ("$<n>\r\n<n bytes>\r\n" or
// "$-1\r\n") at reply[pos], or 0 when it is anything else or incomplete (then the caller uses
// the general ReplyParser, which also reports malformed input).
size_t BulkLength(std::string_view reply, size_t pos) {
  const size_t size = reply.size();
  if (pos + 4 > size || reply[pos] != '$') return 0;
  if (reply.compare(pos, 5, "$-1\r\n") == 0) return 5;
  size_t i = pos + 1;
  uint64_t n = 0;
  const size_t digits_start = i;
  while (i < size && reply[i] >= '0' && reply[i] <= '9' && i - digits_start < 10) {
    n = n * 10 + static_cast<uint64_t>(reply[i] - '0');
    ++i;
  }
  if (i == digits_start || i + 2 > size || reply[i] != '\r' || reply[i + 1] != '\n') return 0;
  const size_t payload = i + 2;
  if (n > size - payload || size - payload - n < 2) return 0;
  if (reply[payload + n] != '\r' || reply[payload + n + 1] != '\n') return 0;
  return payload + n + 2 - pos;
}

// Appends the elements of an array (or set/push) reply to `out`, as raw byte spans into `reply`.
// A null array has no elements. False (with `out` partly extended) when `reply` is not one
// well-formed aggregate reply.
bool AppendElements(std::string_view reply, Elements* out) {
  if (IsNull(reply)) return true;
  if (reply.size() < 4 || (reply[0] != '*' && reply[0] != '~' && reply[0] != '>')) return false;
  const size_t eol = reply.find("\r\n");
  if (eol == std::string_view::npos) return false;
  int64_t count = 0;
  const char* first = reply.data() + 1;
  const char* last = reply.data() + eol;
  auto [ptr, ec] = std::from_chars(first, last, count);
  if (ec != std::errc() || ptr != last || count < 0) return false;
  // Every element takes at least 3 bytes ("_\r\n"): bounds the reservation by the input.
  if (static_cast<uint64_t>(count) > reply.size() / 3) return false;
  out->reserve(out->size() + static_cast<size_t>(count));
  size_t pos = eol + 2;
  resp::ReplyParser parser;
  for (int64_t i = 0; i < count; ++i) {
    size_t length = BulkLength(reply, pos);
    if (length == 0) {  // not a plain bulk string: the general framer decides
      if (parser.Parse(reply.substr(pos)) != resp::ReplyStatus::kComplete) return false;
      length = parser.info().length;
    }
    out->push_back(reply.substr(pos, length));
    pos += length;
  }
  return pos == reply.size();
}

// The integer of an integer reply (":n\r\n", RESP2 or RESP3); nullopt for anything else.
std::optional<int64_t> ParseInteger(std::string_view reply) {
  if (reply.size() < 4 || reply[0] != ':' || !reply.ends_with("\r\n")) return std::nullopt;
  int64_t value = 0;
  const char* first = reply.data() + 1;
  const char* last = reply.data() + reply.size() - 2;
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last) return std::nullopt;
  return value;
}

}  // namespace

void MergeMget(std::span<const std::string_view> replies, std::span<const KeySource> sources,
               resp::Encoder& out) {
  if (replies.empty()) return NoShard(out);
  if (WriteFirstError(replies, out)) return;
  Elements elements;
  absl::InlinedVector<uint32_t, 9> starts;  // sub-reply s holds elements [starts[s], starts[s+1])
  for (std::string_view reply : replies) {
    starts.push_back(static_cast<uint32_t>(elements.size()));
    if (!AppendElements(reply, &elements)) {
      return Unexpected("MGET sub-reply is not an array", out);
    }
  }
  starts.push_back(static_cast<uint32_t>(elements.size()));
  // Check every source before writing, so a bad mapping never leaves half an array behind.
  for (const KeySource& source : sources) {
    if (source.sub >= replies.size() ||
        source.index >= starts[source.sub + 1] - starts[source.sub]) {
      return Unexpected("MGET sub-reply has fewer values than keys", out);
    }
  }
  out.ArrayHeader(sources.size());
  for (const KeySource& source : sources) out.Raw(elements[starts[source.sub] + source.index]);
}

void MergeAllOk(std::span<const std::string_view> replies, resp::Encoder& out) {
  if (replies.empty()) return NoShard(out);
  if (WriteFirstError(replies, out)) return;
  out.Raw(replies.front());
}

void MergeSum(std::span<const std::string_view> replies, resp::Encoder& out) {
  if (replies.empty()) return NoShard(out);
  if (WriteFirstError(replies, out)) return;
  int64_t sum = 0;
  for (std::string_view reply : replies) {
    std::optional<int64_t> value = ParseInteger(reply);
    if (!value) return Unexpected("expected an integer", out);
    if (__builtin_add_overflow(sum, *value, &sum)) return Unexpected("integer overflow", out);
  }
  out.Integer(sum);
}

void MergeConcat(std::span<const std::string_view> replies, resp::Encoder& out) {
  if (replies.empty()) return NoShard(out);
  if (WriteFirstError(replies, out)) return;
  Elements elements;
  for (std::string_view reply : replies) {
    if (!AppendElements(reply, &elements)) return Unexpected("expected an array", out);
  }
  out.ArrayHeader(elements.size());
  for (std::string_view element : elements) out.Raw(element);
}

void MergeRandomKey(std::span<const std::string_view> replies, resp::Encoder& out) {
  if (replies.empty()) return NoShard(out);
  if (WriteFirstError(replies, out)) return;
  for (std::string_view reply : replies) {
    if (!IsNull(reply)) {
      out.Raw(reply);
      return;
    }
  }
  out.Null();
}

void MergeLogicalAnd(std::span<const std::string_view> replies, resp::Encoder& out) {
  if (replies.empty()) return NoShard(out);
  if (WriteFirstError(replies, out)) return;
  std::vector<bool> result;
  Elements elements;
  for (size_t r = 0; r < replies.size(); ++r) {
    elements.clear();
    if (!AppendElements(replies[r], &elements)) return Unexpected("expected an array", out);
    if (r == 0) result.assign(elements.size(), true);
    if (elements.size() != result.size()) return Unexpected("arrays of different lengths", out);
    for (size_t i = 0; i < elements.size(); ++i) {
      std::optional<int64_t> value = ParseInteger(elements[i]);
      if (!value) return Unexpected("expected an array of integers", out);
      result[i] = result[i] && *value != 0;
    }
  }
  out.ArrayHeader(result.size());
  for (bool bit : result) out.Integer(bit ? 1 : 0);
}

void MergeOneSucceeded(std::span<const std::string_view> replies, resp::Encoder& out) {
  if (replies.empty()) return NoShard(out);
  for (std::string_view reply : replies) {
    if (!IsError(reply)) {
      out.Raw(reply);
      return;
    }
  }
  out.Raw(replies.front());
}

void MergeMin(std::span<const std::string_view> replies, resp::Encoder& out) {
  if (replies.empty()) return NoShard(out);
  if (WriteFirstError(replies, out)) return;
  int64_t min = 0;
  for (size_t r = 0; r < replies.size(); ++r) {
    std::optional<int64_t> value = ParseInteger(replies[r]);
    if (!value) return Unexpected("expected an integer", out);
    min = r == 0 ? *value : std::min(min, *value);
  }
  out.Integer(min);
}

void MergeReplies(command::MergeKind kind, std::span<const std::string_view> replies,
                  std::span<const KeySource> sources, resp::Encoder& out) {
  using command::MergeKind;
  if (replies.empty()) return NoShard(out);
  switch (kind) {
    case MergeKind::kNone:
      out.Raw(replies.front());
      return;
    case MergeKind::kMgetConcat:
      return MergeMget(replies, sources, out);
    case MergeKind::kAllOk:
      return MergeAllOk(replies, out);
    case MergeKind::kSum:
      return MergeSum(replies, out);
    case MergeKind::kConcat:
      return MergeConcat(replies, out);
    case MergeKind::kRandomKey:
      return MergeRandomKey(replies, out);
    case MergeKind::kLogicalAnd:
      return MergeLogicalAnd(replies, out);
    case MergeKind::kOneSucceeded:
      return MergeOneSucceeded(replies, out);
    case MergeKind::kMin:
      return MergeMin(replies, out);
    case MergeKind::kScan:
      break;
  }
  out.Error("ERR slotproxy: SCAN replies are not merged (see scan_cursor.h)");
}

}  // namespace slotproxy::session
