// Fuzzes ReplyParser and DecodeValue. The first input byte seeds the chunking and the depth
// limit; the rest is a stream of replies. Checks that
//  - feeding the stream in random chunks gives the same replies as feeding it at once;
//  - DecodeValue accepts exactly the replies ReplyParser frames, with the same length and type.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "resp/reply_parser.h"
#include "resp/value.h"

namespace {

using slotproxy::resp::DecodeValue;
using slotproxy::resp::ReplyInfo;
using slotproxy::resp::ReplyLimits;
using slotproxy::resp::ReplyParser;
using slotproxy::resp::ReplyStatus;

constexpr int kMaxReplies = 64;

struct Outcome {
  ReplyStatus status;
  ReplyInfo info;
};

void Check(bool ok) {
  if (!ok) std::abort();
}

bool SameInfo(const ReplyInfo& a, const ReplyInfo& b) {
  return a.length == b.length && a.type == b.type && a.error_kind == b.error_kind &&
         a.has_attribute == b.has_attribute && a.message_offset == b.message_offset &&
         a.message_length == b.message_length;
}

std::vector<Outcome> OneShot(std::string_view stream, const ReplyLimits& limits) {
  std::vector<Outcome> out;
  ReplyParser parser(limits);
  while (out.size() < kMaxReplies) {
    ReplyStatus status = parser.Parse(stream);
    out.push_back({status, parser.info()});
    if (status != ReplyStatus::kComplete) break;
    Check(parser.info().length > 0 && parser.info().length <= stream.size());
    stream.remove_prefix(parser.info().length);
  }
  return out;
}

std::vector<Outcome> Chunked(std::string_view stream, const ReplyLimits& limits, uint32_t seed) {
  std::vector<Outcome> out;
  ReplyParser parser(limits);
  size_t have = 0;  // bytes of `stream` that have "arrived"
  while (out.size() < kMaxReplies) {
    ReplyStatus status = parser.Parse(stream.substr(0, have));
    if (status == ReplyStatus::kNeedMore && have < stream.size()) {
      seed = seed * 1103515245u + 12345u;
      have = std::min(stream.size(), have + 1 + (seed >> 16) % 9);
      continue;
    }
    out.push_back({status, parser.info()});
    if (status != ReplyStatus::kComplete) break;
    stream.remove_prefix(parser.info().length);
    have -= parser.info().length;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint32_t seed = data[0];
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  ReplyLimits limits;
  limits.max_depth = 1 + static_cast<int>(seed % 12);
  limits.max_line_length = 1 + (seed % 7) * 64;

  std::vector<Outcome> whole = OneShot(stream, limits);
  std::vector<Outcome> pieces = Chunked(stream, limits, seed);
  Check(whole.size() == pieces.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    Check(whole[i].status == pieces[i].status);
    if (whole[i].status == ReplyStatus::kComplete) Check(SameInfo(whole[i].info, pieces[i].info));
  }

  // DecodeValue (default limits but the same depth) against a parser with the same limits.
  ReplyLimits decode_limits;
  decode_limits.max_depth = limits.max_depth;
  std::string_view rest = stream;
  for (const Outcome& o : OneShot(stream, decode_limits)) {
    size_t consumed = 0;
    auto value = DecodeValue(rest, &consumed, decode_limits.max_depth);
    Check(value.ok() == (o.status == ReplyStatus::kComplete));
    if (!value.ok()) {
      Check((value.status().message() == "incomplete") == (o.status == ReplyStatus::kNeedMore));
      break;
    }
    Check(consumed == o.info.length);
    Check(value.value().type == o.info.type);
    Check(o.info.message_offset + o.info.message_length <= o.info.length);
    rest.remove_prefix(consumed);
  }
  return 0;
}
