#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend_board.h"
#include "backend/dispatcher.h"
#include "cluster/crc16.h"
#include "metrics/worker_stats.h"
#include "resp/encoder.h"
#include "unit/session/fake_cluster.h"

namespace slotproxy::testing {
namespace {

// A WorkerStats that records what the dispatcher reports.
struct RecordingStats final : metrics::WorkerStats {
  std::map<std::string, std::vector<uint64_t>> rtt;  // node -> round trips (ns)
  int moved = 0;
  int ask = 0;
  int tryagain = 0;
  std::map<std::string, int> connects_ok;
  std::map<std::string, int> connects_failed;
  std::map<std::string, int> timeouts;

  void RecordCommand(const command::CommandInfo*, uint64_t, uint64_t, bool) override {}
  void RecordBackendRtt(std::string_view node, uint64_t ns) override {
    rtt[std::string(node)].push_back(ns);
  }
  void CountMoved() override { ++moved; }
  void CountAsk() override { ++ask; }
  void CountTryAgain() override { ++tryagain; }
  void CountBackendConnect(std::string_view node, bool ok) override {
    ++(ok ? connects_ok : connects_failed)[std::string(node)];
  }
  void CountBackendTimeout(std::string_view node) override { ++timeouts[std::string(node)]; }
  void CountProtocolError() override {}
  void AddBytes(uint64_t, uint64_t) override {}
  void RecordSlow(const std::string_view*, size_t, uint64_t, uint64_t, std::string_view,
                  std::string_view) override {}
};

struct Recorder final : backend::RequestOwner {
  std::vector<std::string> replies;
  void OnBackendReply(backend::BackendRequest&, std::string_view raw,
                      const resp::ReplyInfo&) override {
    replies.emplace_back(raw);
  }
  void OnBackendError(backend::BackendRequest&, std::string_view message) override {
    replies.push_back("-" + std::string(message));
  }
};

struct Setup {
  net::EventLoop loop;
  FakeNode a{loop};
  FakeNode b{loop};
  cluster::SlotMapHolder holder;
  RecordingStats stats;
  std::vector<std::string> log_lines;
  backend::BackendBoard board{
      2, log::EventLog([this](log::Level, std::string_view m) { log_lines.emplace_back(m); })};
  std::unique_ptr<backend::Dispatcher> dispatcher;
  Recorder owner;
  std::vector<backend::RefreshTrigger> triggers;

  explicit Setup(backend::DispatcherOptions options = {}) {
    holder.Store(TwoNodeMap(a.port(), b.port()));
    dispatcher = std::make_unique<backend::Dispatcher>(loop, holder, options);
    dispatcher->SetRefreshTriggerCallback(
        [this](backend::RefreshTrigger t) { triggers.push_back(t); });
    dispatcher->SetStats(&stats);
    dispatcher->SetBoard(&board);
  }
  ~Setup() { dispatcher.reset(); }

  std::string A() const { return "127.0.0.1:" + std::to_string(a.port()); }
  std::string B() const { return "127.0.0.1:" + std::to_string(b.port()); }

  // "b" hashes to slot 3300, served by `a`.
  void Send(std::initializer_list<std::string_view> args) {
    backend::RequestPtr r = dispatcher->pool().Acquire();
    resp::EncodeCommand(args, &r->payload);
    r->owner = &owner;
    r->has_slot = true;
    r->slot = cluster::KeySlot(args.size() > 1 ? *(args.begin() + 1) : "");
    dispatcher->Send(std::move(r));
  }
  bool WaitReplies(size_t n) {
    return RunUntil(
        loop, [&] { return owner.replies.size() >= n; }, 5000);
  }
  bool Has(backend::RefreshTrigger t) const {
    for (auto x : triggers) {
      if (x == t) return true;
    }
    return false;
  }
};

FakeNode::Script Reply(std::string reply) {
  return [reply](const std::vector<std::string>&) { return std::optional<std::string>(reply); };
}

TEST_CASE("each reply records one backend round trip for its node; connects are counted") {
  Setup s;
  s.a.set_script(Reply("+OK\r\n"));
  s.Send({"SET", "b", "1"});
  s.Send({"SET", "b", "2"});
  REQUIRE(s.WaitReplies(2));
  REQUIRE(s.stats.rtt[s.A()].size() == 2);
  CHECK(s.stats.rtt[s.A()][0] > 0);
  CHECK(s.stats.rtt.count(s.B()) == 0);
  CHECK(s.stats.connects_ok[s.A()] == 1);
  CHECK(s.stats.connects_failed.empty());
  CHECK(s.stats.moved == 0);
  CHECK(s.board.Connections() == std::vector<std::pair<std::string, double>>{{s.A(), 1.0}});
}

// Hands out one handle per node name and checks that replies come back with it.
struct HandleStats final : metrics::WorkerStats {
  std::map<std::string, NodeHandle> handles;
  std::map<std::string, int> resolves;
  std::map<std::string, int> rtt_by_handle;
  int mismatches = 0;

  NodeHandle ResolveNode(std::string_view node) override {
    ++resolves[std::string(node)];
    auto it = handles.emplace(std::string(node), static_cast<NodeHandle>(handles.size() + 7));
    return it.first->second;
  }
  void RecordBackendRttAt(NodeHandle handle, std::string_view node, uint64_t) override {
    auto it = handles.find(std::string(node));
    if (it == handles.end() || it->second != handle) ++mismatches;
    ++rtt_by_handle[std::string(node)];
  }
  void RecordCommand(const command::CommandInfo*, uint64_t, uint64_t, bool) override {}
  void RecordBackendRtt(std::string_view, uint64_t) override { ++mismatches; }
  void CountMoved() override {}
  void CountAsk() override {}
  void CountTryAgain() override {}
  void CountBackendConnect(std::string_view, bool) override {}
  void CountBackendTimeout(std::string_view) override {}
  void CountProtocolError() override {}
  void AddBytes(uint64_t, uint64_t) override {}
  void RecordSlow(const std::string_view*, size_t, uint64_t, uint64_t, std::string_view,
                  std::string_view) override {}
};

TEST_CASE("round trips pass the node handle resolved once per connection and stats object") {
  Setup s;
  HandleStats hs;
  s.dispatcher->SetStats(&hs);
  s.a.set_script(Reply("+OK\r\n"));
  s.b.set_script(Reply("+OK\r\n"));
  // "b" is served by `a`, "a" (slot 15495) by `b`.
  s.Send({"SET", "b", "1"});
  s.Send({"SET", "a", "1"});
  s.Send({"SET", "b", "2"});
  REQUIRE(s.WaitReplies(3));
  CHECK(hs.mismatches == 0);
  CHECK(hs.resolves[s.A()] == 1);
  CHECK(hs.resolves[s.B()] == 1);
  CHECK(hs.rtt_by_handle[s.A()] == 2);
  CHECK(hs.rtt_by_handle[s.B()] == 1);
  // Another stats object: the cached handle is not reused for it.
  s.dispatcher->SetStats(&s.stats);
  s.Send({"SET", "b", "3"});
  REQUIRE(s.WaitReplies(4));
  CHECK(s.stats.rtt[s.A()].size() == 1);
  s.dispatcher->SetStats(&hs);
  s.Send({"SET", "b", "4"});
  REQUIRE(s.WaitReplies(5));
  CHECK(hs.resolves[s.A()] == 2);
  CHECK(hs.rtt_by_handle[s.A()] == 3);
  CHECK(hs.mismatches == 0);
}

TEST_CASE("MOVED and ASK are counted, and MOVED asks for a refresh with its trigger") {
  Setup s;
  s.a.set_script(Reply("-MOVED 3300 127.0.0.1:" + std::to_string(s.b.port()) + "\r\n"));
  s.b.set_script(Reply("+OK\r\n"));
  s.Send({"SET", "b", "1"});
  REQUIRE(s.WaitReplies(1));
  CHECK(s.owner.replies[0] == "+OK\r\n");
  CHECK(s.stats.moved == 1);
  CHECK(s.stats.ask == 0);
  CHECK(s.Has(backend::RefreshTrigger::kMoved));
  CHECK(s.stats.rtt[s.A()].size() == 1);  // the MOVED reply was a round trip too
  CHECK(s.stats.rtt[s.B()].size() == 1);

  s.holder.Store(TwoNodeMap(s.a.port(), s.b.port()));
  RunUntil(
      s.loop, [] { return false; }, 5);  // a new turn reloads the snapshot
  s.a.set_script(Reply("-ASK 3300 127.0.0.1:" + std::to_string(s.b.port()) + "\r\n"));
  s.Send({"SET", "b", "2"});
  REQUIRE(s.WaitReplies(2));
  CHECK(s.owner.replies[1] == "+OK\r\n");
  CHECK(s.stats.ask == 1);
  CHECK(s.stats.moved == 1);
}

TEST_CASE("every TRYAGAIN retry is counted") {
  backend::DispatcherOptions o;
  o.max_tryagain = 2;
  o.tryagain_delay_ms = 5;
  Setup s(o);
  s.a.set_script(Reply("-TRYAGAIN Multiple keys request during rehashing of slot\r\n"));
  s.Send({"MGET", "{b}1"});
  REQUIRE(s.WaitReplies(1));
  CHECK(s.stats.tryagain == 3);  // two retries, then the third is passed through
}

TEST_CASE("CLUSTERDOWN asks for a refresh with the clusterdown trigger") {
  Setup s;
  s.a.set_script(Reply("-CLUSTERDOWN The cluster is down\r\n"));
  s.Send({"GET", "b"});
  REQUIRE(s.WaitReplies(1));
  CHECK(s.triggers == std::vector<backend::RefreshTrigger>{backend::RefreshTrigger::kClusterDown});
}

TEST_CASE("an op timeout is counted for its node, logs no node down; SetOpTimeout applies live") {
  Setup s;  // default op timeout 1000 ms; lowered live below
  s.dispatcher->SetOpTimeout(0);
  s.dispatcher->SetOpTimeout(30);
  s.a.set_script([](const auto&) { return std::nullopt; });  // never answers
  s.Send({"GET", "b"});
  REQUIRE(s.WaitReplies(1));
  CHECK(s.owner.replies[0].find("ERR timeout after 30 ms") != std::string::npos);
  CHECK(s.stats.timeouts[s.A()] == 1);
  CHECK(s.Has(backend::RefreshTrigger::kConnectionLost));
  // This side closed the connection: the node is slow, not down.
  CHECK_FALSE(s.board.IsDown(s.A()));
  CHECK(s.log_lines.empty());
}

TEST_CASE("a refused connect is counted as failed and logs the node down once per outage") {
  backend::DispatcherOptions o;
  o.connection.reconnect_min_ms = 1;
  o.connection.reconnect_max_ms = 1;
  Setup s(o);
  const std::string a = s.A();  // before the listener goes
  s.a.StopListening();
  s.Send({"GET", "b"});
  REQUIRE(s.WaitReplies(1));
  RunUntil(
      s.loop, [] { return false; }, 10);  // past the back-off
  s.Send({"GET", "b"});
  REQUIRE(s.WaitReplies(2));
  CHECK(s.stats.connects_failed[a] == 2);
  CHECK(s.stats.connects_ok.empty());
  REQUIRE(s.log_lines.size() == 1);
  CHECK(s.log_lines[0].rfind("Backend node " + a + " is down: ", 0) == 0);
  CHECK(s.board.IsDown(a));
  CHECK(s.Has(backend::RefreshTrigger::kConnectionLost));
}

TEST_CASE("a lost connection logs down, the next connect logs up; the gauge follows") {
  Setup s;
  s.a.set_script(Reply("+OK\r\n"));
  s.Send({"SET", "b", "1"});
  REQUIRE(s.WaitReplies(1));
  CHECK(s.board.Connections() == std::vector<std::pair<std::string, double>>{{s.A(), 1.0}});
  s.a.DropAll();
  REQUIRE(RunUntil(
      s.loop, [&] { return s.board.IsDown(s.A()); }, 5000));
  CHECK(s.board.Connections() == std::vector<std::pair<std::string, double>>{{s.A(), 0.0}});
  s.Send({"SET", "b", "2"});
  REQUIRE(s.WaitReplies(2));
  CHECK(s.owner.replies[1] == "+OK\r\n");
  CHECK_FALSE(s.board.IsDown(s.A()));
  REQUIRE(s.log_lines.size() == 2);
  CHECK(s.log_lines[0].rfind("Backend node " + s.A() + " is down: ", 0) == 0);
  CHECK(s.log_lines[1] == "Backend node " + s.A() + " is up again");
  CHECK(s.stats.connects_ok[s.A()] == 2);
}

TEST_CASE("the board sums the workers' published counts and logs once for all of them") {
  std::vector<std::string> lines;
  backend::BackendBoard board(
      2, log::EventLog([&](log::Level, std::string_view m) { lines.emplace_back(m); }));
  const size_t w0 = board.Join();
  const size_t w1 = board.Join();
  CHECK(board.Join() == SIZE_MAX);  // only two publishers
  board.Publish(w0, {{"n1:1", 2}, {"n2:2", 1}});
  board.Publish(w1, {{"n1:1", 1}});
  CHECK(board.Connections() ==
        std::vector<std::pair<std::string, double>>{{"n1:1", 3.0}, {"n2:2", 1.0}});
  board.Publish(w0, {});
  CHECK(board.Connections() == std::vector<std::pair<std::string, double>>{{"n1:1", 1.0}});
  CHECK(board.MarkDown("n1:1", "refused"));
  CHECK_FALSE(board.MarkDown("n1:1", "refused"));  // another worker, same outage
  CHECK(board.MarkUp("n1:1"));
  CHECK_FALSE(board.MarkUp("n1:1"));
  CHECK(lines == std::vector<std::string>{"Backend node n1:1 is down: refused",
                                          "Backend node n1:1 is up again"});
}

}  // namespace
}  // namespace slotproxy::testing
