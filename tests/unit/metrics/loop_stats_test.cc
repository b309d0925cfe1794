#include "metrics/loop_stats.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "command/command_table.h"
#include "metrics/slowlog.h"

namespace slotproxy::metrics {
namespace {

const command::CommandInfo* Row(std::string_view name) {
  const command::CommandInfo* row = command::FindCommand(name);
  REQUIRE(row != nullptr);
  return row;
}

TEST_CASE("loop stats: commands are counted per row, unknown under one slot", "[metrics]") {
  LoopStats stats({});
  const auto* get = Row("get");
  const auto* list = Row("client|list");
  stats.RecordCommand(get, 10'000, 4'000, false);
  stats.RecordCommand(get, 30'000, 20'000, true);
  stats.RecordCommand(list, 100, 0, false);
  stats.RecordCommand(nullptr, 5, 0, true);
  stats.RecordCommand(nullptr, 5, 0, true);
  StatsSnapshot snap;
  stats.AddTo(&snap);
  REQUIRE(snap.commands.size() == 3);
  const CommandFigures& g = snap.commands.at(get);
  CHECK(g.latency.Count() == 2);
  CHECK(g.latency.buckets[0] == 1);
  CHECK(g.latency.buckets[1] == 1);
  CHECK(g.latency.sum_ns == 40'000);
  CHECK(g.backend_ns == 24'000);
  CHECK(g.failed == 1);
  CHECK(snap.commands.at(list).latency.Count() == 1);
  CHECK(snap.commands.at(nullptr).latency.Count() == 2);
  CHECK(snap.commands.at(nullptr).failed == 2);
}

TEST_CASE("loop stats: rows beyond the capacity fold into unknown", "[metrics]") {
  LoopStats::Options opt;
  opt.max_commands = 2;
  LoopStats stats(opt);
  for (const char* name : {"get", "set", "del", "incr"})
    stats.RecordCommand(Row(name), 1, 0, false);
  StatsSnapshot snap;
  stats.AddTo(&snap);
  CHECK(snap.commands.size() == 3);
  CHECK(snap.commands.at(Row("get")).latency.Count() == 1);
  CHECK(snap.commands.at(Row("set")).latency.Count() == 1);
  CHECK(snap.commands.at(nullptr).latency.Count() == 2);
}

TEST_CASE("loop stats: the built-in table fits its own row count", "[metrics]") {
  const auto& table = command::CommandTable::BuiltIn();
  LoopStats::Options opt;
  opt.max_commands = CountCommandRows(table);
  LoopStats stats(opt);
  size_t rows = 0;
  for (const auto* row : table.TopLevel()) {
    stats.RecordCommand(row, 1, 0, false);
    ++rows;
    for (const auto* sub : row->subcommands) {
      stats.RecordCommand(sub, 1, 0, false);
      ++rows;
    }
  }
  CHECK(rows == opt.max_commands);
  StatsSnapshot snap;
  stats.AddTo(&snap);
  CHECK(snap.commands.size() == rows);
  CHECK(snap.commands.count(nullptr) == 0);
}

TEST_CASE("loop stats: nodes, counters and the other-node bound", "[metrics]") {
  LoopStats::Options opt;
  opt.max_nodes = 2;
  LoopStats stats(opt);
  stats.RecordBackendRtt("10.0.0.1:6379", 20'000);
  stats.RecordBackendRtt("10.0.0.1:6379", 60'000);
  stats.CountBackendConnect("10.0.0.2:6379", true);
  stats.CountBackendConnect("10.0.0.2:6379", false);
  stats.CountBackendTimeout("10.0.0.3:6379");  // third node: "other"
  stats.RecordBackendRtt("10.0.0.4:6379", 1);  // fourth: "other" too
  stats.CountMoved();
  stats.CountAsk();
  stats.CountAsk();
  stats.CountTryAgain();
  stats.CountProtocolError();
  stats.AddBytes(100, 7);
  stats.AddBytes(1, 3);
  StatsSnapshot snap;
  stats.AddTo(&snap);
  REQUIRE(snap.nodes.size() == 3);
  CHECK(snap.nodes.at("10.0.0.1:6379").rtt.Count() == 2);
  CHECK(snap.nodes.at("10.0.0.1:6379").rtt.buckets[2] == 1);
  CHECK(snap.nodes.at("10.0.0.2:6379").connects_ok == 1);
  CHECK(snap.nodes.at("10.0.0.2:6379").connects_failed == 1);
  CHECK(snap.nodes.at("other").timeouts == 1);
  CHECK(snap.nodes.at("other").rtt.Count() == 1);
  CHECK(snap.moved == 1);
  CHECK(snap.ask == 2);
  CHECK(snap.tryagain == 1);
  CHECK(snap.protocol_errors == 1);
  CHECK(snap.bytes_in == 101);
  CHECK(snap.bytes_out == 10);
}

TEST_CASE("loop stats: node handles record where the names would", "[metrics]") {
  LoopStats::Options opt;
  opt.max_nodes = 2;
  LoopStats by_handle(opt);
  LoopStats by_name(opt);
  const std::vector<std::string> names = {"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379",
                                          "10.0.0.4:6379"};
  std::vector<WorkerStats::NodeHandle> handles;
  for (const auto& n : names) handles.push_back(by_handle.ResolveNode(n));
  CHECK(handles[0] != handles[1]);
  CHECK(handles[2] == handles[3]);  // both beyond the bound: the one "other" slot
  CHECK(by_handle.ResolveNode(names[1]) == handles[1]);  // stable
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < names.size(); ++i) {
      const uint64_t ns = 1000 * (i + 1) * static_cast<uint64_t>(round + 1);
      by_handle.RecordBackendRttAt(handles[i], names[i], ns);
      by_name.RecordBackendRtt(names[i], ns);
    }
  }
  // An unresolved or foreign handle falls back to the name.
  by_handle.RecordBackendRttAt(WorkerStats::kNoNodeHandle, names[0], 5);
  by_name.RecordBackendRtt(names[0], 5);
  by_handle.RecordBackendRttAt(1000, names[1], 7);
  by_name.RecordBackendRtt(names[1], 7);
  StatsSnapshot a, b;
  by_handle.AddTo(&a);
  by_name.AddTo(&b);
  REQUIRE(a.nodes.size() == 3);
  REQUIRE(b.nodes.size() == 3);
  for (const auto& [name, f] : b.nodes) {
    REQUIRE(a.nodes.count(name) == 1);
    const NodeFigures& g = a.nodes.at(name);
    CHECK(g.rtt.sum_ns == f.rtt.sum_ns);
    CHECK(g.rtt.Count() == f.rtt.Count());
  }
  CHECK(a.nodes.at("other").rtt.Count() == 6);
  CHECK(a.nodes.at("10.0.0.1:6379").rtt.Count() == 4);
}

TEST_CASE("loop stats: with no node slots every node is the one other slot", "[metrics]") {
  LoopStats::Options opt;
  opt.max_nodes = 0;
  LoopStats stats(opt);
  const auto h = stats.ResolveNode("10.0.0.1:6379");
  CHECK(stats.ResolveNode("10.0.0.2:6379") == h);
  stats.RecordBackendRttAt(h, "10.0.0.1:6379", 10);
  stats.RecordBackendRtt("10.0.0.3:6379", 10);
  stats.CountBackendTimeout("10.0.0.4:6379");
  StatsSnapshot snap;
  stats.AddTo(&snap);
  REQUIRE(snap.nodes.size() == 1);
  CHECK(snap.nodes.at("other").rtt.Count() == 2);
  CHECK(snap.nodes.at("other").timeouts == 1);
}

TEST_CASE("loop stats: many nodes (scan, then hash lookup) keep their own slots", "[metrics]") {
  LoopStats stats({});
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) names.push_back("10.0.0." + std::to_string(i) + ":6379");
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 20; ++i) stats.RecordBackendRtt(names[static_cast<size_t>(i)], 1000);
    for (int i = 19; i >= 0; --i) stats.CountBackendTimeout(names[static_cast<size_t>(i)]);
  }
  StatsSnapshot snap;
  stats.AddTo(&snap);
  REQUIRE(snap.nodes.size() == 20);
  for (const auto& n : names) {
    CHECK(snap.nodes.at(n).rtt.Count() == 3);
    CHECK(snap.nodes.at(n).timeouts == 3);
  }
}

TEST_CASE("loop stats: two workers fold into one snapshot", "[metrics]") {
  LoopStats a({}), b({});
  a.RecordCommand(Row("get"), 1, 0, false);
  b.RecordCommand(Row("get"), 1, 0, true);
  b.RecordBackendRtt("n:1", 1);
  a.RecordBackendRtt("n:1", 1);
  StatsSnapshot snap;
  a.AddTo(&snap);
  b.AddTo(&snap);
  CHECK(snap.commands.at(Row("get")).latency.Count() == 2);
  CHECK(snap.commands.at(Row("get")).failed == 1);
  CHECK(snap.nodes.at("n:1").rtt.Count() == 2);
}

TEST_CASE("loop stats: RecordSlow goes to the shared slowlog", "[metrics]") {
  SlowLog log(10, 0);
  LoopStats::Options opt;
  opt.slowlog = &log;
  LoopStats stats(opt);
  std::string_view args[] = {"GET", "k"};
  stats.RecordSlow(args, 2, 2'000'000, 500'000, "127.0.0.1:5000", "app");
  REQUIRE(log.Len() == 1);
  auto e = log.Newest(1);
  CHECK(e[0].duration_us == 2000);
  CHECK(e[0].backend_us == 500);
  LoopStats no_log({});
  no_log.RecordSlow(args, 2, 1, 1, "", "");  // no store: ignored
}

// One loop thread writes while a scrape thread reads: every scrape sees counts that never go
// backwards, and the final scrape sees every observation.
TEST_CASE("loop stats: concurrent writer and scraper", "[metrics]") {
  constexpr int kWrites = 200'000;
  LoopStats stats({});
  const command::CommandInfo* rows[] = {Row("get"), Row("set"), Row("client|list"), nullptr};
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      stats.RecordCommand(rows[i % 4], static_cast<uint64_t>(i % 100'000) * 1000, 10, i % 7 == 0);
      stats.RecordBackendRtt(i % 2 ? "a:1" : "b:2", 1000);
      stats.AddBytes(1, 2);
    }
    done.store(true);
  });
  uint64_t last_calls = 0, last_rtt = 0, last_bytes = 0;
  int scrapes = 0;
  while (scrapes < 100'000) {  // bounded; the writer finishes long before
    bool finished = done.load();
    StatsSnapshot snap;
    stats.AddTo(&snap);
    uint64_t calls = 0, rtt = 0;
    for (const auto& [row, f] : snap.commands) calls += f.latency.Count();
    for (const auto& [name, f] : snap.nodes) rtt += f.rtt.Count();
    CHECK(calls >= last_calls);
    CHECK(rtt >= last_rtt);
    CHECK(snap.bytes_in >= last_bytes);
    last_calls = calls;
    last_rtt = rtt;
    last_bytes = snap.bytes_in;
    ++scrapes;
    if (finished) break;
  }
  writer.join();
  StatsSnapshot fin;
  stats.AddTo(&fin);
  uint64_t calls = 0, failed = 0;
  for (const auto& [row, f] : fin.commands) {
    calls += f.latency.Count();
    failed += f.failed;
  }
  CHECK(calls == kWrites);
  CHECK(failed == (kWrites + 6) / 7);
  CHECK(fin.nodes.at("a:1").rtt.Count() == kWrites / 2);
  CHECK(fin.bytes_out == 2u * kWrites);
}

}  // namespace
}  // namespace slotproxy::metrics
