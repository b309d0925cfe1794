// Reply framing: slotproxy's ReplyParser vs hiredis's redisReader on the same realistic reply
// stream (+OK, $-1, 16-100 byte bulks, :N, MGET-style arrays), delivered in 16 KB reads as from
// a socket. Prints bytes/s and replies/s for each.
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>

#include "resp/reply_parser.h"
#include "resp/value.h"

namespace {

constexpr size_t kReadSize = 16 * 1024;
constexpr int kReplies = 20000;

// Appends "<type><n>\r\n". (Not `"$" + std::to_string(n)`: gcc 12 gives a false -Wrestrict.)
void AppendHeader(std::string& out, char type, int64_t n) {
  out += type;
  out += std::to_string(n);
  out += "\r\n";
}

void AppendBulk(std::mt19937& rng, std::string& out) {
  std::uniform_int_distribution<int> len(16, 100);
  std::uniform_int_distribution<int> ch('a', 'z');
  const int n = len(rng);
  AppendHeader(out, '$', n);
  for (int i = 0; i < n; ++i) out += static_cast<char>(ch(rng));
  out += "\r\n";
}

// A deterministic mix shaped like a cache workload's backend replies.
const std::string& Stream() {
  static const std::string stream = [] {
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> pick(0, 99);
    std::uniform_int_distribution<int> keys(2, 10);
    std::uniform_int_distribution<int64_t> number(0, 10000000);
    std::string out;
    for (int i = 0; i < kReplies; ++i) {
      int p = pick(rng);
      if (p < 30) {
        out += "+OK\r\n";
      } else if (p < 40) {
        out += "$-1\r\n";
      } else if (p < 75) {
        AppendBulk(rng, out);
      } else if (p < 85) {
        AppendHeader(out, ':', number(rng));
      } else {
        int n = keys(rng);
        AppendHeader(out, '*', n);
        for (int k = 0; k < n; ++k) {
          if (pick(rng) < 20) {
            out += "$-1\r\n";
          } else {
            AppendBulk(rng, out);
          }
        }
      }
    }
    return out;
  }();
  return stream;
}

void Report(benchmark::State& state, int64_t replies) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * Stream().size()));
  state.counters["replies/s"] =
      benchmark::Counter(static_cast<double>(replies), benchmark::Counter::kIsRate);
}

// Frames the stream as a proxy does: the unconsumed bytes stay in place and each read appends.
void BM_ReplyParser(benchmark::State& state) {
  const std::string& stream = Stream();
  slotproxy::resp::ReplyParser parser;
  int64_t replies = 0;
  for (auto _ : state) {
    size_t start = 0;
    size_t end = 0;
    while (start < stream.size()) {
      end = std::min(stream.size(), end + kReadSize);
      std::string_view unconsumed(stream.data() + start, end - start);
      while (parser.Parse(unconsumed) == slotproxy::resp::ReplyStatus::kComplete) {
        const size_t length = parser.info().length;
        unconsumed.remove_prefix(length);
        start += length;
        ++replies;
      }
    }
  }
  if (replies != static_cast<int64_t>(state.iterations()) * kReplies) state.SkipWithError("lost");
  Report(state, replies);
}
BENCHMARK(BM_ReplyParser);

// hiredis's reader on the same reads; it builds a redisReply tree, which the caller frees.
void BM_HiredisReader(benchmark::State& state) {
  const std::string& stream = Stream();
  int64_t replies = 0;
  redisReader* reader = redisReaderCreate();
  for (auto _ : state) {
    for (size_t off = 0; off < stream.size(); off += kReadSize) {
      size_t n = std::min(kReadSize, stream.size() - off);
      redisReaderFeed(reader, stream.data() + off, n);
      void* reply = nullptr;
      while (redisReaderGetReply(reader, &reply) == REDIS_OK && reply != nullptr) {
        freeReplyObject(reply);
        ++replies;
      }
    }
  }
  redisReaderFree(reader);
  if (replies != static_cast<int64_t>(state.iterations()) * kReplies) state.SkipWithError("lost");
  Report(state, replies);
}
BENCHMARK(BM_HiredisReader);

// For scale: decoding every reply into an owning Value tree (control-plane use only).
void BM_DecodeValue(benchmark::State& state) {
  const std::string& stream = Stream();
  int64_t replies = 0;
  for (auto _ : state) {
    std::string_view rest = stream;
    while (!rest.empty()) {
      size_t consumed = 0;
      auto value = slotproxy::resp::DecodeValue(rest, &consumed);
      if (!value.ok()) break;
      benchmark::DoNotOptimize(value.value().type);
      rest.remove_prefix(consumed);
      ++replies;
    }
  }
  Report(state, replies);
}
BENCHMARK(BM_DecodeValue);

}  // namespace

BENCHMARK_MAIN();
