// Request parsing throughput over a realistic pipelined stream of small GET/SET commands
// (keys like key:000123, values of 16-64 bytes), as redis-benchmark -P sends them.
// Run: bench_resp_request --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>

#include "resp/encoder.h"
#include "resp/request_parser.h"

namespace {

using slotproxy::resp::EncodeCommand;
using slotproxy::resp::ParseResult;
using slotproxy::resp::RequestParser;
using slotproxy::resp::RequestStatus;

constexpr int kCommands = 10000;

// Half GET, half SET, on 100000 keys; deterministic.
std::string MakeStream(bool inline_form) {
  std::mt19937 rng(12345);
  std::string stream;
  char key[32];
  for (int i = 0; i < kCommands; ++i) {
    std::snprintf(key, sizeof(key), "key:%06u", static_cast<unsigned>(rng() % 100000));
    if (rng() % 2 == 0) {
      if (inline_form) {
        stream += std::string("GET ") + key + "\r\n";
      } else {
        EncodeCommand({"GET", key}, &stream);
      }
    } else {
      std::string value(16 + rng() % 49, 'x');
      for (char& c : value) c = static_cast<char>('a' + rng() % 26);
      if (inline_form) {
        stream += std::string("SET ") + key + " " + value + "\r\n";
      } else {
        EncodeCommand({"SET", key, value}, &stream);
      }
    }
  }
  return stream;
}

// Parses the whole stream as if it had arrived in one read.
void ParseStream(benchmark::State& state, const std::string& stream) {
  RequestParser parser;
  size_t args = 0;
  for (auto _ : state) {
    std::string_view rest = stream;
    for (;;) {
      ParseResult r = parser.Parse(rest);
      if (r.status != RequestStatus::kComplete) break;
      args += r.args.size();
      rest.remove_prefix(r.consumed);
    }
    if (!rest.empty()) state.SkipWithError("stream did not parse completely");
  }
  benchmark::DoNotOptimize(args);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kCommands);
}

void BM_ParsePipelinedMultibulk(benchmark::State& state) {
  static const std::string stream = MakeStream(false);
  ParseStream(state, stream);
}
BENCHMARK(BM_ParsePipelinedMultibulk);

void BM_ParsePipelinedInline(benchmark::State& state) {
  static const std::string stream = MakeStream(true);
  ParseStream(state, stream);
}
BENCHMARK(BM_ParsePipelinedInline);

// The stream arrives in reads of state.range(0) bytes, so commands are cut at read
// boundaries and resumed, as on a real connection.
void BM_ParseChunkedMultibulk(benchmark::State& state) {
  static const std::string stream = MakeStream(false);
  const size_t chunk = static_cast<size_t>(state.range(0));
  RequestParser parser;
  size_t commands = 0;
  for (auto _ : state) {
    size_t start = 0;  // first unconsumed byte
    for (size_t read_end = 0; read_end < stream.size();) {
      read_end = std::min(stream.size(), read_end + chunk);
      for (;;) {
        ParseResult r = parser.Parse(std::string_view(stream).substr(start, read_end - start));
        start += r.consumed;
        if (r.status != RequestStatus::kComplete) break;
        ++commands;
      }
    }
  }
  benchmark::DoNotOptimize(commands);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kCommands);
}
BENCHMARK(BM_ParseChunkedMultibulk)->Arg(1024)->Arg(16384);

}  // namespace

BENCHMARK_MAIN();
