#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "backend/dispatcher.h"
#include "cluster/crc16.h"
#include "resp/encoder.h"
#include "unit/session/fake_cluster.h"

namespace slotproxy::testing {
namespace {

// Collects final replies (and proxy errors as "-message").
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
  std::unique_ptr<backend::Dispatcher> dispatcher;
  Recorder owner;
  int refreshes = 0;

  explicit Setup(backend::DispatcherOptions options = {}) {
    holder.Store(TwoNodeMap(a.port(), b.port()));
    dispatcher = std::make_unique<backend::Dispatcher>(loop, holder, options);
    dispatcher->SetRefreshCallback([this] { ++refreshes; });
  }
  ~Setup() { dispatcher.reset(); }

  void Send(std::initializer_list<std::string_view> args, uint64_t affinity = 0) {
    backend::RequestPtr r = dispatcher->pool().Acquire();
    resp::EncodeCommand(args, &r->payload);
    r->owner = &owner;
    r->has_slot = true;
    r->slot = cluster::KeySlot(args.size() > 1 ? *(args.begin() + 1) : "");
    r->affinity = affinity;
    dispatcher->Send(std::move(r));
  }
  bool WaitReplies(size_t n, uint64_t timeout_ms = 5000) {
    return RunUntil(
        loop, [&] { return owner.replies.size() >= n; }, timeout_ms);
  }
};

FakeNode::Script Ok() {
  return [](const std::vector<std::string>&) { return std::optional<std::string>("+OK\r\n"); };
}

TEST_CASE("AUTH with user and password is the only thing sent on connect") {
  backend::DispatcherOptions o;
  o.connection.auth_user = "app";
  o.connection.auth_password = "secret";
  Setup s(o);
  s.a.set_script(Ok());
  s.Send({"SET", "b", "1"});
  REQUIRE(s.WaitReplies(1));
  CHECK(s.owner.replies[0] == "+OK\r\n");
  CHECK(s.a.received() == std::vector<std::string>{"AUTH app secret", "SET b 1"});
}

TEST_CASE("a rejected AUTH fails the requests with a clear error") {
  backend::DispatcherOptions o;
  o.connection.auth_password = "wrong";
  Setup s(o);
  s.a.auto_auth = false;
  s.a.set_script([](const std::vector<std::string>& args) -> std::optional<std::string> {
    return args[0] == "AUTH" ? std::string("-WRONGPASS invalid username-password pair\r\n")
                             : std::string("+OK\r\n");
  });
  s.Send({"SET", "b", "1"});
  REQUIRE(s.WaitReplies(1));
  CHECK(s.owner.replies[0] == "-ERR backend 127.0.0.1:" + std::to_string(s.a.port()) +
                                  " rejected AUTH: WRONGPASS invalid username-password pair");
}

TEST_CASE("a client sticks to one connection of a node's pool") {
  backend::DispatcherOptions o;
  o.connections_per_node = 2;
  Setup s(o);
  s.a.set_script(Ok());
  s.Send({"SET", "b", "1"}, /*affinity=*/7);
  s.Send({"SET", "bar", "1"}, 7);
  REQUIRE(s.WaitReplies(2));
  CHECK(s.a.accepted() == 1);
  s.Send({"SET", "b", "2"}, 8);
  REQUIRE(s.WaitReplies(3));
  CHECK(s.a.accepted() == 2);
  CHECK(s.dispatcher->ConnectionCount() == 2);
}

TEST_CASE("past max_pending a request fails at once") {
  backend::DispatcherOptions o;
  o.connection.max_pending = 2;
  Setup s(o);
  s.a.set_script([](const auto&) { return std::nullopt; });
  s.Send({"GET", "b"});
  s.Send({"GET", "b"});
  s.Send({"GET", "b"});
  REQUIRE(s.owner.replies.size() == 1);  // before any I/O
  CHECK(s.owner.replies[0] ==
        "-ERR too many requests pending for backend 127.0.0.1:" + std::to_string(s.a.port()));
  RunUntil(s.loop, [&] { return s.a.held() == 2; });
  s.a.Release("$1\r\nx\r\n");
  REQUIRE(s.WaitReplies(3));
}

TEST_CASE("a node that refused a connect fails fast during the back-off, then is retried") {
  backend::DispatcherOptions o;
  o.connection.reconnect_min_ms = 200;
  o.connection.reconnect_max_ms = 200;
  Setup s(o);
  s.a.StopListening();
  s.Send({"GET", "b"});
  REQUIRE(s.WaitReplies(1));
  CHECK(s.owner.replies[0].rfind("-ERR backend 127.0.0.1:", 0) == 0);
  CHECK(s.owner.replies[0].find("is unreachable") != std::string::npos);
  s.Send({"GET", "b"});  // inside the back-off: no new connect, an answer right away
  CHECK(s.owner.replies.size() == 2);
  CHECK(s.owner.replies[1] == s.owner.replies[0]);
  CHECK(s.refreshes >= 1);  // a lost node may mean a new topology
}

TEST_CASE("CLUSTERDOWN is passed through and asks for a refresh; no topology is CLUSTERDOWN") {
  Setup s;
  s.a.set_script([](const auto&) {
    return std::optional<std::string>("-CLUSTERDOWN The cluster is down\r\n");
  });
  s.Send({"GET", "b"});
  REQUIRE(s.WaitReplies(1));
  CHECK(s.owner.replies[0] == "-CLUSTERDOWN The cluster is down\r\n");
  CHECK(s.refreshes == 1);
  s.holder.Store(nullptr);
  RunUntil(
      s.loop, [] { return false; }, 5);  // a new turn reloads the snapshot
  s.Send({"GET", "b"});
  REQUIRE(s.owner.replies.size() == 2);
  CHECK(s.owner.replies[1].rfind("-CLUSTERDOWN Hash slot not served", 0) == 0);
}

TEST_CASE("TRYAGAIN past its bound is passed through verbatim") {
  backend::DispatcherOptions o;
  o.max_tryagain = 2;
  o.tryagain_delay_ms = 5;
  Setup s(o);
  const std::string tryagain = "-TRYAGAIN Multiple keys request during rehashing of slot\r\n";
  s.a.set_script([&](const auto&) { return std::optional<std::string>(tryagain); });
  s.Send({"MGET", "{b}1"});
  REQUIRE(s.WaitReplies(1));
  CHECK(s.owner.replies[0] == tryagain);
  CHECK(s.a.received().size() == 3);
}

TEST_CASE("a dedicated connection reports to its own events and follows no redirect") {
  struct Events final : backend::ConnectionEvents {
    std::vector<std::string> got;
    void OnReply(backend::BackendConnection&, backend::RequestPtr, std::string_view raw,
                 const resp::ReplyInfo&) override {
      got.emplace_back(raw);
    }
    void OnFailed(backend::BackendConnection&, backend::RequestPtr,
                  std::string_view message) override {
      got.push_back("-" + std::string(message));
    }
  } events;
  Setup s;
  s.a.set_script(
      [](const auto&) { return std::optional<std::string>("-MOVED 1 127.0.0.1:1\r\n"); });
  auto conn = s.dispatcher->OpenDedicated("127.0.0.1", s.a.port(), &events);
  backend::RequestPtr r = s.dispatcher->pool().Acquire();
  resp::EncodeCommand({"BLPOP", "b", "0"}, &r->payload);
  conn->Send(std::move(r));
  RunUntil(s.loop, [&] { return !events.got.empty(); });
  CHECK(events.got == std::vector<std::string>{"-MOVED 1 127.0.0.1:1\r\n"});
  CHECK(s.dispatcher->ConnectionCount() == 0);  // not part of the pools
}

}  // namespace
}  // namespace slotproxy::testing
