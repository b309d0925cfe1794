// libFuzzer target for resp::RequestParser. The input is a client byte stream; it is parsed
// once in one piece and once in chunks whose sizes derive from the input, and the invariants of
// the resumable contract are checked: consumed never exceeds the buffer, arguments are views
// into the buffer (or parser-owned storage for quoted inline arguments), and chunking changes
// neither the commands nor the error. Every command also round-trips through EncodeCommand.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "resp/encoder.h"
#include "resp/request_parser.h"

namespace {

using slotproxy::resp::ParseResult;
using slotproxy::resp::RequestError;
using slotproxy::resp::RequestLimits;
using slotproxy::resp::RequestParser;
using slotproxy::resp::RequestStatus;

void Check(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  RequestError error = RequestError::kNone;
  char got = 0;
  size_t error_offset = 0;
  size_t unconsumed = 0;
};

bool Inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// Parses `input` delivered in reads of the sizes `next_chunk()` returns.
template <typename NextChunk>
Outcome Run(std::string_view input, const RequestLimits& limits, NextChunk next_chunk) {
  RequestParser parser(limits);
  Outcome out;
  std::string buffer;
  size_t fed = 0, stream_offset = 0;
  while (fed < input.size()) {
    const size_t n = std::min(input.size() - fed, next_chunk());
    buffer.append(input.substr(fed, n));
    fed += n;
    for (;;) {
      const ParseResult r = parser.Parse(buffer);
      Check(r.consumed <= buffer.size());
      if (r.status == RequestStatus::kError) {
        Check(r.error != RequestError::kNone);
        out.error = r.error;
        out.got = r.got;
        out.error_offset = stream_offset + r.consumed;
        return out;
      }
      if (r.status == RequestStatus::kComplete) {
        Check(!r.args.empty() && r.consumed > 0);
        std::vector<std::string> command;
        for (std::string_view arg : r.args) {
          // Only quoted inline arguments may live outside the buffer.
          Check(Inside(arg, std::string_view(buffer).substr(0, r.consumed)) ||
                (r.is_inline && !r.args_in_buffer));
          command.emplace_back(arg);
        }
        out.commands.push_back(std::move(command));
      }
      buffer.erase(0, r.consumed);
      stream_offset += r.consumed;
      if (r.status == RequestStatus::kNeedMore) break;
    }
  }
  out.unconsumed = buffer.size();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  uint64_t seed = 1469598103934665603ULL;  // FNV-1a of the input drives the chunking
  for (uint8_t b : input) seed = (seed ^ b) * 1099511628211ULL;
  RequestLimits limits;
  limits.unauthenticated = (seed & 1) != 0;

  const Outcome whole = Run(input, limits, [&] { return input.size() + 1; });
  uint64_t state = seed | 1;
  const Outcome chunked = Run(input, limits, [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<size_t>(1 + state % 17);
  });
  Check(whole.commands == chunked.commands);
  // A line longer than the inline limit whose terminator arrives in the same read is accepted,
  // but rejected when it trickles in (as in Redis), so errors only match below that size.
  if (size <= limits.max_inline_size) {
    Check(whole.error == chunked.error && whole.got == chunked.got &&
          whole.error_offset == chunked.error_offset && whole.unconsumed == chunked.unconsumed);
  }

  // Every command survives re-encoding as a multibulk and parsing again.
  RequestParser parser;
  for (const auto& command : whole.commands) {
    std::vector<std::string_view> views(command.begin(), command.end());
    std::string encoded;
    slotproxy::resp::EncodeCommand(views, &encoded);
    const ParseResult r = parser.Parse(encoded);
    Check(r.status == RequestStatus::kComplete && r.consumed == encoded.size());
    Check(r.args.size() == views.size());
    for (size_t i = 0; i < views.size(); ++i) Check(r.args[i] == views[i]);
  }
  return 0;
}
