#include "session/scan_cursor.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "resp/reply_parser.h"
#include "session/merge.h"

namespace slotproxy::session {
namespace {

// strtoul(s, &end, 10) as Redis uses it for cursors: nullopt when Redis says "invalid cursor".
std::optional<uint64_t> RedisStrtoul(std::string_view arg) {
  // Redis hands strtoul a C string: an embedded NUL ends it.
  arg = arg.substr(0, arg.find('\0'));
  if (arg.empty()) return 0;  // no digits and *end == '\0': strtoul gives 0, Redis accepts it
  // Redis rejects a leading space itself (strtoul would skip it).
  bool negative = false;
  size_t pos = 0;
  if (arg[0] == '+' || arg[0] == '-') {
    negative = arg[0] == '-';
    pos = 1;
  }
  if (pos == arg.size()) return std::nullopt;  // a lone sign: end points at the sign
  uint64_t value = 0;
  const char* first = arg.data() + pos;
  const char* last = arg.data() + arg.size();
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec == std::errc::result_out_of_range) return std::nullopt;  // ERANGE
  if (ec != std::errc() || ptr != last) return std::nullopt;
  return negative ? uint64_t{0} - value : value;
}

void Unexpected(std::string_view why, resp::Encoder& out) {
  std::string message(kUnexpectedReplyPrefix);
  message.append(why);
  out.Error(message);
}

}  // namespace

Result<ScanPosition> ParseScanCursor(std::string_view arg, size_t shard_count) {
  std::optional<uint64_t> cursor = RedisStrtoul(arg);
  if (!cursor) return Status::Error(std::string(kInvalidCursorError));
  ScanPosition position;
  position.shard = static_cast<uint32_t>(*cursor >> kScanCursorBits);
  position.shard_cursor = *cursor & kScanMaxShardCursor;
  if (position.shard >= shard_count) return Status::Error(std::string(kInvalidCursorError));
  return position;
}

uint64_t EncodeScanCursor(ScanPosition position) {
  return (static_cast<uint64_t>(position.shard) << kScanCursorBits) |
         (position.shard_cursor & kScanMaxShardCursor);
}

std::vector<cluster::NodeIndex> ScanShardOrder(const cluster::SlotMap* map) {
  std::vector<cluster::NodeIndex> order;
  if (map == nullptr) return order;
  std::vector<bool> seen(map->node_count(), false);
  for (const cluster::SlotMap::OwnedRange& range : map->OwnedRanges()) {
    if (range.owner < seen.size() && !seen[range.owner]) {
      seen[range.owner] = true;
      order.push_back(range.owner);
    }
  }
  if (order.size() > kScanMaxShards) order.resize(kScanMaxShards);
  return order;
}

void BuildShardScanRequest(std::span<const std::string_view> args, uint64_t shard_cursor,
                           std::string* out) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), shard_cursor);
  const std::string_view cursor(digits, static_cast<size_t>(end - digits));
  resp::AppendHeader('*', static_cast<int64_t>(args.size()), out);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = i == 1 ? cursor : args[i];
    resp::AppendHeader('$', static_cast<int64_t>(arg.size()), out);
    out->append(arg);
    out->append("\r\n");
  }
}

void WriteScanReply(std::string_view shard_reply, uint32_t shard, size_t shard_count,
                    resp::Encoder& out) {
  if (!shard_reply.empty() && (shard_reply[0] == '-' || shard_reply[0] == '!')) {
    out.Raw(shard_reply);
    return;
  }
  // "*2\r\n" + "$<n>\r\n<cursor>\r\n" + the key array.
  if (!shard_reply.starts_with("*2\r\n")) return Unexpected("SCAN reply is not a pair", out);
  std::string_view rest = shard_reply.substr(4);
  resp::ReplyParser parser;
  if (parser.Parse(rest) != resp::ReplyStatus::kComplete ||
      parser.info().type != resp::ValueType::kBulkString || rest[0] != '$') {
    return Unexpected("SCAN cursor is not a bulk string", out);
  }
  const size_t cursor_length = parser.info().length;
  const size_t payload = rest.find("\r\n") + 2;
  const std::string_view digits = rest.substr(payload, cursor_length - payload - 2);
  const std::string_view keys = rest.substr(cursor_length);
  uint64_t next = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), next);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty()) {
    return Unexpected("SCAN cursor is not a number", out);
  }
  if (next > kScanMaxShardCursor) return Unexpected("SCAN cursor of the shard too large", out);
  resp::ReplyParser keys_parser;
  if (keys_parser.Parse(keys) != resp::ReplyStatus::kComplete ||
      keys_parser.info().length != keys.size() ||
      (keys_parser.info().type != resp::ValueType::kArray &&
       keys_parser.info().type != resp::ValueType::kSet)) {
    return Unexpected("SCAN keys are not an array", out);
  }
  uint64_t client_cursor = 0;
  if (next != 0) {
    client_cursor = EncodeScanCursor({shard, next});
  } else if (static_cast<size_t>(shard) + 1 < shard_count) {
    client_cursor = EncodeScanCursor({shard + 1, 0});
  }
  char buffer[24];
  auto [end, ec2] = std::to_chars(buffer, buffer + sizeof(buffer), client_cursor);
  out.ArrayHeader(2);
  out.Bulk(std::string_view(buffer, static_cast<size_t>(end - buffer)));
  out.Raw(keys);
}

}  // namespace slotproxy::session
