// The hot path allocates nothing after warm-up: this binary's operator new counts the
// allocations of the calling thread, and recording after the first sight of every row and node
// must not move the count.
#include <cstdlib>
#include <new>
#include <string>

#include <catch2/catch.hpp>

#include "command/command_table.h"
#include "metrics/loop_stats.h"

#if defined(__SANITIZE_ADDRESS__)
#define SLOTPROXY_COUNT_ALLOCATIONS 0  // the sanitizer owns operator new
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLOTPROXY_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef SLOTPROXY_COUNT_ALLOCATIONS
#define SLOTPROXY_COUNT_ALLOCATIONS 1
#endif

namespace {
thread_local size_t allocations = 0;
}  // namespace

#if SLOTPROXY_COUNT_ALLOCATIONS
void* operator new(size_t n) {
  ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  ++allocations;
  return std::malloc(n == 0 ? 1 : n);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
#endif

namespace slotproxy::metrics {
namespace {

TEST_CASE("loop stats: no allocation on the hot path after warm-up", "[metrics]") {
  if (!SLOTPROXY_COUNT_ALLOCATIONS) {
    WARN("sanitizer build: allocations not counted, skipped");
    return;
  }
  LoopStats::Options opt;
  opt.max_commands = CountCommandRows(command::CommandTable::BuiltIn());
  opt.max_nodes = 4;
  LoopStats stats(opt);
  const command::CommandInfo* rows[] = {command::FindCommand("get"), command::FindCommand("set"),
                                        command::FindCommand("config|get"), nullptr};
  // Long names (no small-string storage) and more nodes than the bound ("other").
  std::string nodes[6];
  for (int i = 0; i < 6; ++i)
    nodes[i] = "node-with-a-long-host-name-" + std::to_string(i) + ":6379";
  auto round = [&](int i) {
    stats.RecordCommand(rows[i % 4], static_cast<uint64_t>(i) * 997, 10, i % 5 == 0);
    stats.RecordBackendRtt(nodes[i % 6], static_cast<uint64_t>(i) * 31);
    stats.CountBackendConnect(nodes[(i + 1) % 6], i % 2 == 0);
    stats.CountBackendTimeout(nodes[(i + 2) % 6]);
    stats.CountMoved();
    stats.CountAsk();
    stats.CountTryAgain();
    stats.CountProtocolError();
    stats.AddBytes(10, 20);
  };
  for (int i = 0; i < 100; ++i) round(i);  // warm-up: first sight of every row and node
  size_t before = allocations;
  for (int i = 0; i < 100'000; ++i) round(i);
  CHECK(allocations == before);
}

}  // namespace
}  // namespace slotproxy::metrics
