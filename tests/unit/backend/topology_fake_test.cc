// TopologyManager and ControlConnection against scripted fake nodes on 127.0.0.1 port 0.
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backend/control_connection.h"
#include "backend/topology_manager.h"
#include "net/tcp_listener.h"
#include "resp/encoder.h"
#include "resp/reply_parser.h"
#include "resp/value.h"

namespace slotproxy::backend {
namespace {

using Args = std::vector<std::string>;

// A node that answers each request with whatever `script` returns: raw reply bytes, "" for no
// answer at all, or kClose to close the connection. Records every request.
class FakeNode {
 public:
  static constexpr const char* kClose = "<close>";

  explicit FakeNode(net::EventLoop& loop) : listener_(loop) {
    status_ = listener_.Listen(
        {}, [this](std::unique_ptr<net::TcpConnection> c) { Adopt(std::move(c)); });
  }
  const Status& status() const { return status_; }
  uint16_t port() const { return listener_.Port(); }

  std::function<std::string(const Args&)> script;
  std::vector<Args> requests;
  int accepted = 0;

 private:
  void Adopt(std::unique_ptr<net::TcpConnection> c) {
    ++accepted;
    net::TcpConnection* raw = c.get();
    auto parser = std::make_shared<resp::ReplyParser>();
    raw->SetDataCallback([this, raw, parser](net::InputBuffer& in) {
      while (!in.Empty()) {
        // A request is a RESP array: the reply framer finds its end just as well.
        if (parser->Parse(in.View()) != resp::ReplyStatus::kComplete) return;
        const size_t length = parser->info().length;
        size_t consumed = 0;
        Result<resp::Value> value = resp::DecodeValue(in.View().substr(0, length), &consumed);
        in.Consume(length);
        Args args;
        if (value.ok()) {
          for (const resp::Value& v : value.value().elements) args.push_back(v.str);
        }
        requests.push_back(args);
        const std::string reply = script ? script(args) : std::string("-ERR no script\r\n");
        if (reply == kClose) {
          Drop(raw);
          return;
        }
        raw->Output().append(reply);
      }
    });
    raw->SetCloseCallback([this, raw](const net::CloseReason&) { Drop(raw); });
    conns_.push_back(std::move(c));
  }
  void Drop(net::TcpConnection* raw) {
    std::erase_if(conns_, [raw](const auto& p) { return p.get() == raw; });
  }

  net::TcpListener listener_;
  Status status_;
  std::vector<std::unique_ptr<net::TcpConnection>> conns_;
};

// Runs `loop` until `done()` or a generous safety bound (not a timing assertion).
bool RunUntil(net::EventLoop& loop, const std::function<bool()>& done, uint64_t max_ms = 10000) {
  net::Timer poll(loop);
  net::Timer deadline(loop);
  poll.StartRepeating(2, [&] {
    if (done()) loop.Stop();
  });
  deadline.Start(max_ms, [&] { loop.Stop(); });
  if (!done()) loop.Run();
  return done();
}

std::string Node(uint16_t port, std::string_view id) {
  std::string s = "*3\r\n$9\r\n127.0.0.1\r\n:" + std::to_string(port) + "\r\n";
  s += "$" + std::to_string(id.size()) + "\r\n" + std::string(id) + "\r\n";
  return s;
}

// CLUSTER SLOTS bytes: ranges [start, end, master] in RESP2.
std::string Slots(const std::vector<std::tuple<int, int, uint16_t>>& ranges) {
  std::string s = "*" + std::to_string(ranges.size()) + "\r\n";
  for (const auto& [start, end, port] : ranges) {
    s += "*3\r\n:" + std::to_string(start) + "\r\n:" + std::to_string(end) + "\r\n";
    // A distinct 40-character id per port.
    std::string id = std::to_string(port);
    s += Node(port, std::string(40 - id.size(), 'f') + id);
  }
  return s;
}

// A port nobody listens on: a listener that is closed again.
uint16_t DeadPort(net::EventLoop& loop) {
  auto listener = std::make_unique<net::TcpListener>(loop);
  REQUIRE(listener->Listen({}, [](std::unique_ptr<net::TcpConnection>) {}).ok());
  const uint16_t port = listener->Port();
  listener.reset();
  RunUntil(
      loop, [] { return false; }, 20);  // let the close complete
  return port;
}

TopologyOptions Options(std::vector<uint16_t> ports) {
  TopologyOptions options;
  for (uint16_t port : ports) options.seeds.push_back({"127.0.0.1", port});
  options.refresh_interval_ms = 0;
  options.min_refresh_interval_ms = 1;
  options.retry_interval_ms = 20;
  options.request_timeout_ms = 300;
  return options;
}

TEST_CASE("first topology is discovered from a seed and published", "[topology]") {
  net::EventLoop loop;
  FakeNode node(loop);
  REQUIRE(node.status().ok());
  const uint16_t p = node.port();
  node.script = [&](const Args& args) {
    CHECK(args == Args{"CLUSTER", "SLOTS"});
    return Slots({{0, 8191, p}, {8192, 16383, 7002}});
  };
  cluster::SlotMapHolder holder;
  TopologyManager manager(loop, holder, Options({p}));
  bool called = false;
  Status first = Status::Error("unset");
  manager.Start([&](const Status& s) {
    called = true;
    first = s;
  });
  REQUIRE(RunUntil(loop, [&] { return called; }));
  CHECK(first.ok());
  cluster::SlotMapPtr map = holder.Load();
  REQUIRE(map != nullptr);
  CHECK(map->FullyCovered());
  CHECK(map->node_count() == 2);
  CHECK(map->NodeForSlot(0)->port == p);
  CHECK(map->NodeForSlot(16383)->port == 7002);
  CHECK(manager.published() == 1);
  CHECK(manager.refreshes() == 1);
}

TEST_CASE("seeds are tried in turn past dead, failing, garbage and silent nodes", "[topology]") {
  net::EventLoop loop;
  const uint16_t dead = DeadPort(loop);
  FakeNode disabled(loop);
  disabled.script = [](const Args&) {
    return std::string("-ERR This instance has cluster support disabled\r\n");
  };
  FakeNode garbage(loop);
  garbage.script = [](const Args&) { return std::string("%%% not resp\r\n"); };
  FakeNode silent(loop);
  silent.script = [](const Args&) { return std::string(); };
  FakeNode empty(loop);
  empty.script = [](const Args&) { return std::string("*0\r\n"); };
  FakeNode closer(loop);
  closer.script = [](const Args&) { return std::string(FakeNode::kClose); };
  FakeNode good(loop);
  const uint16_t gp = good.port();
  good.script = [&](const Args&) { return Slots({{0, 16383, gp}}); };

  cluster::SlotMapHolder holder;
  TopologyManager manager(loop, holder,
                          Options({dead, disabled.port(), garbage.port(), silent.port(),
                                   empty.port(), closer.port(), gp}));
  bool called = false;
  manager.Start([&](const Status& s) {
    called = true;
    CHECK(s.ok());
  });
  REQUIRE(RunUntil(loop, [&] { return called; }));
  REQUIRE(holder.Load() != nullptr);
  CHECK(holder.Load()->NodeForSlot(100)->port == gp);
  CHECK(disabled.requests.size() == 1);
  CHECK(garbage.requests.size() == 1);
  CHECK(silent.requests.size() == 1);
  CHECK(empty.requests.size() == 1);
  CHECK(closer.requests.size() == 1);
}

TEST_CASE("no usable seed: the first-topology callback gets the errors", "[topology]") {
  net::EventLoop loop;
  FakeNode disabled(loop);
  disabled.script = [](const Args&) {
    return std::string("-ERR This instance has cluster support disabled\r\n");
  };
  cluster::SlotMapHolder holder;
  TopologyManager manager(loop, holder, Options({disabled.port()}));
  bool called = false;
  Status first;
  manager.Start(
      [&](const Status& s) {
        called = true;
        first = s;
      },
      200);
  REQUIRE(RunUntil(loop, [&] { return called; }));
  CHECK_FALSE(first.ok());
  CHECK(first.message().find("cluster support disabled") != std::string::npos);
  CHECK(manager.refresh_errors() >= 1);
  CHECK(manager.last_error().find("no node answered CLUSTER SLOTS: 127.0.0.1:") == 0);
  CHECK(holder.Load() == nullptr);
  // It keeps retrying: once the node is fixed the map appears.
  const uint16_t p = disabled.port();
  disabled.script = [&](const Args&) { return Slots({{0, 16383, p}}); };
  REQUIRE(RunUntil(loop, [&] { return holder.Load() != nullptr; }));
}

TEST_CASE("requested refreshes publish changes, coalesce, skip identical maps", "[topology]") {
  net::EventLoop loop;
  FakeNode node(loop);
  const uint16_t p = node.port();
  std::string reply = Slots({{0, 16383, p}});
  node.script = [&](const Args&) { return reply; };
  cluster::SlotMapHolder holder;
  TopologyManager manager(loop, holder, Options({p}));
  bool ready = false;
  manager.Start([&](const Status&) { ready = true; });
  REQUIRE(RunUntil(loop, [&] { return ready; }));
  const uint64_t v1 = holder.Load()->version();

  // Same reply: refreshed, not republished.
  manager.RequestRefresh("test");
  REQUIRE(RunUntil(loop, [&] { return manager.refreshes() == 2; }));
  CHECK(manager.published() == 1);
  CHECK(holder.Load()->version() == v1);

  // A storm of requests from other threads while the layout changes: a new map appears, and
  // far fewer refreshes run than were requested.
  reply = Slots({{0, 99, 7009}, {100, 16383, p}});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&manager] {
      for (int i = 0; i < 250; ++i) manager.RequestRefresh("MOVED");
    });
  }
  for (std::thread& t : threads) t.join();
  const bool changed = RunUntil(loop, [&] { return holder.Load()->version() > v1; });
  INFO("refreshes " << manager.refreshes() << " errors " << manager.refresh_errors() << " requests "
                    << node.requests.size() << " last error " << manager.last_error());
  REQUIRE(changed);
  CHECK(holder.Load()->NodeForSlot(5)->port == 7009);
  CHECK(manager.published() == 2);
  CHECK(manager.refreshes() < 50);
  // Refreshes ask the map's own master (the fake), not only the seeds.
  CHECK(node.requests.size() == manager.refreshes() + manager.refresh_errors());
}

TEST_CASE("refreshes are counted by trigger; the interval changes live", "[topology]") {
  net::EventLoop loop;
  FakeNode node(loop);
  const uint16_t p = node.port();
  node.script = [&](const Args&) { return Slots({{0, 16383, p}}); };
  cluster::SlotMapHolder holder;
  TopologyControl control;
  TopologyOptions options = Options({p});
  options.control = &control;
  TopologyManager manager(loop, holder, options);
  bool ready = false;
  manager.Start([&](const Status&) { ready = true; });
  REQUIRE(RunUntil(loop, [&] { return ready; }));
  CHECK(control.refreshes(RefreshTrigger::kStartup) == 1);

  manager.RequestRefresh(RefreshTrigger::kMoved);
  REQUIRE(RunUntil(loop, [&] { return manager.refreshes() == 2; }));
  manager.RequestRefresh(RefreshTrigger::kClusterDown);
  REQUIRE(RunUntil(loop, [&] { return manager.refreshes() == 3; }));
  manager.RequestRefresh("backend connection lost");
  REQUIRE(RunUntil(loop, [&] { return manager.refreshes() == 4; }));
  CHECK(control.refreshes(RefreshTrigger::kMoved) == 1);
  CHECK(control.refreshes(RefreshTrigger::kClusterDown) == 1);
  CHECK(control.refreshes(RefreshTrigger::kConnectionLost) == 1);
  CHECK(control.refreshes(RefreshTrigger::kPeriodic) == 0);  // the options' interval is 0

  // Periodic refreshes start once the interval is set from another thread, and stop at 0.
  std::thread([&] { control.SetRefreshInterval(5); }).join();
  REQUIRE(RunUntil(loop, [&] { return control.refreshes(RefreshTrigger::kPeriodic) >= 2; }));
  control.SetRefreshInterval(0);
  RunUntil(
      loop, [] { return false; }, 20);  // let the change apply
  const uint64_t periodic = control.refreshes(RefreshTrigger::kPeriodic);
  RunUntil(
      loop, [] { return false; }, 30);
  CHECK(control.refreshes(RefreshTrigger::kPeriodic) == periodic);
  CHECK(control.refreshes(RefreshTrigger::kStartup) == 1);
}

TEST_CASE("a destroyed manager detaches from its control", "[topology]") {
  net::EventLoop loop;
  cluster::SlotMapHolder holder;
  TopologyControl control;
  TopologyOptions options = Options({});
  options.control = &control;
  { TopologyManager manager(loop, holder, options); }
  control.SetRefreshInterval(10);  // nothing attached: no post to a dead manager
  RunUntil(
      loop, [] { return false; }, 5);
  CHECK(control.refresh_interval_ms() == 10);
}

TEST_CASE("a refresh rebases on a MOVED patch published meanwhile", "[topology]") {
  net::EventLoop loop;
  FakeNode node(loop);
  const uint16_t p = node.port();
  node.script = [&](const Args&) { return Slots({{0, 16383, p}}); };
  cluster::SlotMapHolder holder;
  TopologyManager manager(loop, holder, Options({p}));
  bool ready = false;
  manager.Start([&](const Status&) { ready = true; });
  REQUIRE(RunUntil(loop, [&] { return ready; }));
  // A worker patches slot 7 after a MOVED; the refresh then says the slot is back on p.
  auto patched = holder.Load()->WithSlotMoved(7, "127.0.0.1", 7010);
  REQUIRE(patched.ok());
  holder.Store(patched.value());
  const uint64_t patched_version = patched.value()->version();
  manager.RequestRefresh("MOVED 7 127.0.0.1:7010");
  REQUIRE(RunUntil(loop, [&] { return holder.Load()->version() > patched_version; }));
  CHECK(holder.Load()->NodeForSlot(7)->port == p);
}

TEST_CASE("control connection: backend AUTH first, failures name the node", "[topology]") {
  net::EventLoop loop;
  FakeNode node(loop);
  node.script = [](const Args& args) {
    if (args[0] == "AUTH") {
      return std::string(args.size() == 3 && args[2] == "secret"
                             ? "+OK\r\n"
                             : "-WRONGPASS invalid username-password pair or user is "
                               "disabled.\r\n");
    }
    return std::string("$4\r\npong\r\n");
  };
  ControlOptions options;
  options.auth_user = "proxy";
  options.auth_password = "secret";
  ControlConnection conn(loop, "127.0.0.1", node.port(), options);
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) {
    conn.Send({"PING"}, [&](Result<resp::Value> r) {
      got.push_back(r.ok() ? r.value().str : r.status().message());
    });
  }
  REQUIRE(RunUntil(loop, [&] { return got.size() == 3; }));
  CHECK(got == std::vector<std::string>{"pong", "pong", "pong"});
  REQUIRE(node.requests.size() == 4);
  CHECK(node.requests[0] == Args{"AUTH", "proxy", "secret"});

  options.auth_password = "wrong";
  ControlConnection bad(loop, "127.0.0.1", node.port(), options);
  std::string error;
  bad.Send({"PING"}, [&](Result<resp::Value> r) { error = r.status().message(); });
  REQUIRE(RunUntil(loop, [&] { return !error.empty(); }));
  CHECK(error == "AUTH to 127.0.0.1:" + std::to_string(node.port()) +
                     " failed: WRONGPASS invalid username-password pair or user is disabled.");

  const uint16_t dead = DeadPort(loop);
  ControlConnection refused(loop, "127.0.0.1", dead);
  error.clear();
  refused.Send({"PING"}, [&](Result<resp::Value> r) { error = r.status().message(); });
  REQUIRE(RunUntil(loop, [&] { return !error.empty(); }));
  CHECK(error.starts_with("127.0.0.1:" + std::to_string(dead) + ": "));
}

TEST_CASE("control connection: timeouts fail every queued request, then it reconnects",
          "[topology]") {
  net::EventLoop loop;
  FakeNode node(loop);
  bool answer = false;
  node.script = [&](const Args&) { return answer ? std::string(":1\r\n") : std::string(); };
  ControlOptions options;
  options.request_timeout_ms = 100;
  ControlConnection conn(loop, "127.0.0.1", node.port(), options);
  std::vector<std::string> errors;
  for (int i = 0; i < 2; ++i) {
    conn.Send({"X"}, [&](Result<resp::Value> r) { errors.push_back(r.status().message()); });
  }
  REQUIRE(RunUntil(loop, [&] { return errors.size() == 2; }));
  CHECK(errors[0].ends_with(": request timed out"));
  CHECK(errors[1] == errors[0]);
  answer = true;
  int64_t value = 0;
  conn.Send({"X"}, [&](Result<resp::Value> r) { value = r.ok() ? r.value().integer : -1; });
  REQUIRE(RunUntil(loop, [&] { return value != 0; }));
  CHECK(value == 1);
  CHECK(node.accepted == 2);
}

TEST_CASE("control connection: destroying it inside its own callback is safe", "[topology]") {
  net::EventLoop loop;
  FakeNode node(loop);
  node.script = [](const Args&) { return std::string("+OK\r\n+OK\r\n"); };  // one extra reply
  auto conn = std::make_unique<ControlConnection>(loop, "127.0.0.1", node.port());
  int calls = 0;
  conn->Send({"A"}, [&](Result<resp::Value>) {
    ++calls;
    conn.reset();
  });
  conn->Send({"B"}, [&](Result<resp::Value>) { ++calls; });
  REQUIRE(RunUntil(loop, [&] { return conn == nullptr; }));
  RunUntil(
      loop, [] { return false; }, 30);
  CHECK(calls == 1);
}

}  // namespace
}  // namespace slotproxy::backend
