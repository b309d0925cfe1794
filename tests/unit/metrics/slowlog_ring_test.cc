// The slowlog ring reuses the storage of evicted entries: these tests check that no entry ever
// shows bytes, arguments or names of an earlier one, against a plain model of Redis's list.
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "metrics/slowlog.h"

namespace slotproxy::metrics {
namespace {

// What Redis's slowlogCreateEntry keeps of `args`, written independently of slowlog.cc.
std::vector<std::string> RedisKept(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  const size_t argc = args.size();
  const size_t kept = argc > 32 ? 32 : argc;
  for (size_t j = 0; j < kept; ++j) {
    if (kept != argc && j == kept - 1) {
      out.push_back("... (" + std::to_string(argc - kept + 1) + " more arguments)");
    } else if (args[j].size() > 128) {
      out.push_back(args[j].substr(0, 128) + "... (" + std::to_string(args[j].size() - 128) +
                    " more bytes)");
    } else {
      out.push_back(args[j]);
    }
  }
  return out;
}

struct Expected {
  int64_t id;
  std::vector<std::string> args;
  int64_t duration_us;
  std::string addr;
  std::string name;
};

// Redis's slowlog as a list: push at the head, trim the tail.
class Model {
 public:
  explicit Model(size_t max_len) : max_len_(max_len) {}
  void Add(Expected e) {
    e.id = next_id_++;
    list_.push_front(std::move(e));
    Trim();
  }
  void SetMaxLen(size_t n) {
    max_len_ = n;
    Trim();
  }
  void Reset() { list_.clear(); }
  const std::deque<Expected>& list() const { return list_; }

 private:
  void Trim() {
    while (list_.size() > max_len_) list_.pop_back();
  }
  std::deque<Expected> list_;
  size_t max_len_;
  int64_t next_id_ = 0;
};

// Arguments whose count and sizes vary a lot from one request to the next, so that a reused
// slot often held more arguments, longer strings or a longer name than the new entry.
std::vector<std::string> RandomArgs(std::mt19937& rng, int seq) {
  const size_t argc = 1 + rng() % 45;
  std::vector<std::string> args;
  for (size_t j = 0; j < argc; ++j) {
    const size_t len = rng() % 4 == 0 ? rng() % 300 : rng() % 20;
    std::string a = std::to_string(seq) + ":" + std::to_string(j) + ":";
    a.resize(len < a.size() ? a.size() : len, static_cast<char>('a' + (seq + j) % 26));
    args.push_back(std::move(a));
  }
  return args;
}

void AddBoth(SlowLog& log, Model& model, std::mt19937& rng, int seq) {
  std::vector<std::string> args = RandomArgs(rng, seq);
  std::vector<std::string_view> views(args.begin(), args.end());
  const std::string addr = "10.0.0." + std::to_string(seq % 256) + ":" + std::to_string(seq);
  const std::string name = seq % 3 == 0 ? "" : std::string(static_cast<size_t>(seq % 40), 'n');
  const uint64_t total_ns = 1'000'000ULL * static_cast<uint64_t>(seq + 1);
  log.Add(views.data(), views.size(), total_ns, 0, addr, name);
  model.Add(Expected{0, RedisKept(args), static_cast<int64_t>(total_ns / 1000), addr, name});
}

void CheckSame(const SlowLog& log, const Model& model) {
  REQUIRE(log.Len() == model.list().size());
  const std::vector<SlowLogEntry> got = log.Newest(SIZE_MAX);
  REQUIRE(got.size() == model.list().size());
  for (size_t k = 0; k < got.size(); ++k) {
    const Expected& want = model.list()[k];
    INFO("entry " << k << " id " << want.id);
    CHECK(got[k].id == want.id);
    CHECK(got[k].args == want.args);
    CHECK(got[k].duration_us == want.duration_us);
    CHECK(got[k].client_addr == want.addr);
    CHECK(got[k].client_name == want.name);
  }
}

TEST_CASE("slowlog ring: after many evictions each entry holds exactly its own arguments",
          "[metrics]") {
  SlowLog log(8, 0);
  Model model(8);
  std::mt19937 rng(1234);
  for (int seq = 0; seq < 2000; ++seq) {
    AddBoth(log, model, rng, seq);
    if (seq % 97 == 0 || seq > 1990) CheckSame(log, model);
  }
  const auto newest = log.Newest(SIZE_MAX);
  REQUIRE(newest.size() == 8);
  for (size_t k = 0; k < newest.size(); ++k) {
    CHECK(newest[k].id == 1999 - static_cast<int64_t>(k));  // ids keep increasing
  }
}

TEST_CASE("slowlog ring: a long entry then a short one in the same slot", "[metrics]") {
  SlowLog log(1, 0);
  std::vector<std::string> big;
  for (int i = 0; i < 40; ++i) big.push_back(std::string(200, 'x'));
  std::vector<std::string_view> big_views(big.begin(), big.end());
  log.Add(big_views.data(), big_views.size(), 0, 0, "127.0.0.1:60000", std::string(50, 'n'));
  const std::string_view small[] = {"get", "k"};
  // Several rounds: the storage of the big entry goes round through the spare and the slot.
  for (int round = 0; round < 4; ++round) {
    log.Add(small, 2, 0, 0, "1.2.3.4:5", "");
    const auto e = log.Newest(1);
    REQUIRE(e.size() == 1);
    CHECK(e[0].args == std::vector<std::string>{"get", "k"});
    CHECK(e[0].client_addr == "1.2.3.4:5");
    CHECK(e[0].client_name.empty());
    CHECK(e[0].id == round + 1);
  }
  log.Add(big_views.data(), big_views.size(), 0, 0, "127.0.0.1:60000", "c");
  const auto e = log.Newest(1);
  REQUIRE(e[0].args.size() == 32);
  CHECK(e[0].args[0] == std::string(128, 'x') + "... (72 more bytes)");
  CHECK(e[0].args[31] == "... (9 more arguments)");
  CHECK(e[0].client_name == "c");
}

TEST_CASE("slowlog ring: RESET then the slots are reused", "[metrics]") {
  SlowLog log(5, 0);
  Model model(5);
  std::mt19937 rng(99);
  int seq = 0;
  for (; seq < 12; ++seq) AddBoth(log, model, rng, seq);  // full and wrapped
  CheckSame(log, model);
  log.Reset();
  model.Reset();
  CHECK(log.Len() == 0);
  CHECK(log.Newest(10).empty());
  for (int i = 0; i < 3; ++i, ++seq) AddBoth(log, model, rng, seq);
  CheckSame(log, model);
  CHECK(log.Newest(1)[0].id == 14);  // ids go on after a reset
  for (int i = 0; i < 9; ++i, ++seq) AddBoth(log, model, rng, seq);
  CheckSame(log, model);
  log.Reset();
  model.Reset();
  log.Reset();  // twice in a row
  CheckSame(log, model);
  AddBoth(log, model, rng, seq++);
  CheckSame(log, model);
}

TEST_CASE("slowlog ring: max_len down and up at runtime while full", "[metrics]") {
  SlowLog log(5, 0);
  Model model(5);
  std::mt19937 rng(7);
  int seq = 0;
  auto add = [&](int n) {
    for (int i = 0; i < n; ++i) AddBoth(log, model, rng, seq++);
    CheckSame(log, model);
  };
  auto set = [&](size_t n) {
    log.SetMaxLen(n);
    model.SetMaxLen(n);
    CheckSame(log, model);
  };
  add(13);  // wrapped: the oldest is mid-ring
  set(3);   // drops the 2 oldest
  add(2);
  set(7);  // up while full and wrapped
  add(2);
  add(5);  // fills to 7, then wraps
  set(7);  // unchanged length
  add(3);
  set(0);  // everything goes, the ids still advance
  add(2);
  set(4);
  add(6);
  set(2);
  set(9);
  add(20);
  CHECK(log.Newest(1)[0].id == seq - 1);
}

TEST_CASE("slowlog ring: random operations match Redis's list", "[metrics]") {
  std::mt19937 rng(20261121);
  SlowLog log(6, 0);
  Model model(6);
  int seq = 0;
  for (int step = 0; step < 3000; ++step) {
    const uint32_t op = rng() % 100;
    if (op < 85) {
      AddBoth(log, model, rng, seq++);
    } else if (op < 95) {
      const size_t n = rng() % 12;
      log.SetMaxLen(n);
      model.SetMaxLen(n);
    } else {
      log.Reset();
      model.Reset();
    }
    if (step % 50 == 0) CheckSame(log, model);
  }
  CheckSame(log, model);
}

TEST_CASE("slowlog ring: threads adding at once never mix their entries", "[metrics]") {
  SlowLog log(16, 0);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      const std::string name(static_cast<size_t>(t * 20), static_cast<char>('a' + t));
      for (int i = 0; i < kPerThread; ++i) {
        const std::string tag = "t" + std::to_string(t);
        const std::string seq = std::to_string(i);
        const std::string pad(static_cast<size_t>((i * 37 + t) % 200), 'p');
        std::vector<std::string_view> args = {tag, seq, pad};
        if (t % 2 == 1) args.resize(static_cast<size_t>(3 + i % 40), tag);
        log.Add(args.data(), args.size(), 0, 0, tag, name);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  const auto entries = log.Newest(SIZE_MAX);
  REQUIRE(entries.size() == 16);
  for (size_t k = 0; k < entries.size(); ++k) {
    const SlowLogEntry& e = entries[k];
    if (k > 0) CHECK(e.id == entries[k - 1].id - 1);
    REQUIRE(e.args.size() >= 3);
    const int t = e.args[0][1] - '0';
    REQUIRE(t >= 0);
    REQUIRE(t < kThreads);
    CHECK(e.client_addr == e.args[0]);
    CHECK(e.client_name == std::string(static_cast<size_t>(t * 20), static_cast<char>('a' + t)));
    const int i = std::stoi(e.args[1]);
    const size_t pad = static_cast<size_t>((i * 37 + t) % 200);
    std::vector<std::string> args_in = {e.args[0], e.args[1], std::string(pad, 'p')};
    if (t % 2 == 1) args_in.resize(static_cast<size_t>(3 + i % 40), e.args[0]);
    CHECK(e.args == RedisKept(args_in));
  }
  CHECK(entries[0].id == kThreads * kPerThread - 1);
}

}  // namespace
}  // namespace slotproxy::metrics
