#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "cluster/crc16.h"
#include "resp/encoder.h"
#include "session/worker.h"
#include "unit/session/fake_cluster.h"

namespace slotproxy::testing {
namespace {

// "b", "bar" and "{b}..." hash to node A's half, "a" and "foo" to node B's.

struct Fixture {
  net::EventLoop loop;
  FakeNode a{loop};
  FakeNode b{loop};
  cluster::SlotMapHolder holder;
  session::WorkerShared shared;
  std::unique_ptr<session::Worker> worker;

  explicit Fixture(uint64_t op_timeout_ms = 2000, size_t max_pending = 1024, int max_clients = 100,
                   uint64_t client_idle_ms = 0) {
    holder.Store(TwoNodeMap(a.port(), b.port()));
    session::WorkerOptions options;
    options.listen.port = 0;
    options.dispatcher.op_timeout_ms = op_timeout_ms;
    options.dispatcher.connection.reconnect_min_ms = 50;
    options.limits.max_pending = max_pending;
    options.max_clients = max_clients;
    options.limits.client_idle_ms = client_idle_ms;
    worker = std::make_unique<session::Worker>(loop, holder, command::CommandTable::BuiltIn(),
                                               options, shared);
    REQUIRE(worker->Listen().ok());
  }
  ~Fixture() { worker.reset(); }

  std::unique_ptr<TestClient> Client() {
    return std::make_unique<TestClient>(loop, worker->Port());
  }
  // Runs until the client has received exactly `expected` (or more), then compares.
  void Expect(TestClient& c, const std::string& expected, uint64_t timeout_ms = 5000) {
    RunUntil(
        loop, [&] { return c.data().size() >= expected.size(); }, timeout_ms);
    CHECK(c.data() == expected);
  }
};

std::string Cmd(std::initializer_list<std::string_view> args) { return resp::EncodeCommand(args); }

std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

// A node that answers GET k with the bulk "<name>:k", SET with +OK, DEL/EXISTS with :count.
FakeNode::Script Echoing(std::string name) {
  return [name](const std::vector<std::string>& args) -> std::optional<std::string> {
    if (args[0] == "GET") return Bulk(name + ":" + args[1]);
    if (args[0] == "SET" || args[0] == "MSET") return std::string("+OK\r\n");
    if (args[0] == "DEL" || args[0] == "EXISTS")
      return ":" + std::to_string(args.size() - 1) + "\r\n";
    if (args[0] == "MGET") {
      std::string out = "*" + std::to_string(args.size() - 1) + "\r\n";
      for (size_t i = 1; i < args.size(); ++i) out += Bulk(name + ":" + args[i]);
      return out;
    }
    if (args[0] == "DBSIZE") return std::string(name == "A" ? ":3\r\n" : ":4\r\n");
    if (args[0] == "KEYS") return "*1\r\n" + Bulk(name);
    return std::string("-ERR fake node does not know ") + args[0] + "\r\n";
  };
}

TEST_CASE("keys go to the owner of their slot and replies come back in order") {
  REQUIRE(cluster::KeySlot("b") < 8192);
  REQUIRE(cluster::KeySlot("a") >= 8192);
  Fixture f;
  f.a.set_script(Echoing("A"));
  f.b.set_script(Echoing("B"));
  auto c = f.Client();
  c->Send(Cmd({"GET", "a"}) + Cmd({"GET", "b"}) + Cmd({"SET", "foo", "1"}) + Cmd({"GET", "bar"}));
  f.Expect(*c, Bulk("B:a") + Bulk("A:b") + "+OK\r\n" + Bulk("A:bar"));
  CHECK(f.a.received() == std::vector<std::string>{"GET b", "GET bar"});
  CHECK(f.b.received() == std::vector<std::string>{"GET a", "SET foo 1"});
}

TEST_CASE("a slow node's reply still comes first when its request was first") {
  Fixture f;
  f.a.set_script([](const auto&) { return std::nullopt; });  // holds
  f.b.set_script(Echoing("B"));
  auto c = f.Client();
  c->Send(Cmd({"GET", "b"}) + Cmd({"GET", "a"}) + Cmd({"GET", "foo"}));
  RunUntil(f.loop, [&] { return f.a.held() == 1 && f.b.received().size() == 2; });
  RunUntil(
      f.loop, [] { return false; }, 20);
  CHECK(c->data().empty());  // B answered, but A's reply is owed first
  f.a.Release(Bulk("slow"));
  f.Expect(*c, Bulk("slow") + Bulk("B:a") + Bulk("B:foo"));
}

TEST_CASE("command errors answered by the proxy keep the connection") {
  Fixture f;
  f.a.set_script(Echoing("A"));
  f.b.set_script(Echoing("B"));
  auto c = f.Client();
  c->Send(Cmd({"NOSUCH", "x"}) + Cmd({"GET"}) + Cmd({"RENAME", "a", "b"}) + Cmd({"GET", "b"}) +
          Cmd({"PING"}));
  f.Expect(*c,
           "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n"
           "-ERR wrong number of arguments for 'get' command\r\n"
           "-CROSSSLOT Keys in request don't hash to the same slot\r\n" +
               Bulk("A:b") + "+PONG\r\n");
  CHECK_FALSE(c->closed());
}

TEST_CASE("a protocol error flushes earlier replies, then the error, then closes") {
  Fixture f;
  f.a.set_script([](const auto&) { return std::nullopt; });
  auto c = f.Client();
  c->Send(Cmd({"GET", "b"}) + "*1\r\n$x\r\n");
  RunUntil(f.loop, [&] { return f.a.held() == 1; });
  f.a.Release(Bulk("v"));
  RunUntil(f.loop, [&] { return c->closed(); });
  CHECK(c->data() == Bulk("v") + "-ERR Protocol error: invalid bulk length\r\n");
  CHECK(c->closed());
}

TEST_CASE("MGET, MSET and DEL are split by slot and merged") {
  Fixture f;
  f.a.set_script(Echoing("A"));
  f.b.set_script(Echoing("B"));
  auto c = f.Client();
  c->Send(Cmd({"MGET", "a", "{b}1", "foo", "{b}2"}) + Cmd({"MSET", "a", "1", "b", "2"}) +
          Cmd({"DEL", "a", "b", "foo"}) + Cmd({"MGET", "{b}2", "{b}1"}));
  f.Expect(*c, "*4\r\n" + Bulk("B:a") + Bulk("A:{b}1") + Bulk("B:foo") + Bulk("A:{b}2") +
                   "+OK\r\n" + ":3\r\n" + "*2\r\n" + Bulk("A:{b}2") + Bulk("A:{b}1"));
  // One sub-request per slot, keys in the client's order; a one-slot MGET goes unchanged.
  CHECK(f.a.received()[0] == "MGET {b}1 {b}2");
  CHECK(f.b.received()[0] == "MGET a");
  CHECK(f.b.received()[1] == "MGET foo");
  CHECK(f.a.received().back() == "MGET {b}2 {b}1");
}

TEST_CASE("a split MSET answers the first error in sub-request order, else +OK") {
  Fixture f;
  const std::string oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
  // A ({b}...) refuses any MSET holding {b}err; B (a, foo) accepts everything.
  f.a.set_script([&](const std::vector<std::string>& args) -> std::optional<std::string> {
    for (const std::string& a : args) {
      if (a == "{b}err") return oom;
    }
    return std::string("+OK\r\n");
  });
  f.b.set_script(Echoing("B"));
  auto c = f.Client();
  // The failing sub-request is the second, then none, then the first; pipelined, so one
  // entry's sub-replies must not leak into the next.
  c->Send(Cmd({"MSET", "a", "1", "{b}err", "2", "foo", "3"}) +
          Cmd({"MSET", "a", "1", "{b}1", "2", "foo", "3"}) +
          Cmd({"MSET", "{b}1", "1", "a", "2", "{b}err", "3"}) +
          Cmd({"MSET", "a", "1", "{b}1", "2"}));
  f.Expect(*c, oom + "+OK\r\n" + oom + "+OK\r\n");
}

TEST_CASE("a split command with a broken key group goes whole to the first key's owner") {
  Fixture f;
  f.a.set_script([](const auto&) {
    return std::optional<std::string>("-ERR wrong number of arguments for 'mset' command\r\n");
  });
  auto c = f.Client();
  c->Send(Cmd({"MSET", "b", "1", "a"}));
  f.Expect(*c, "-ERR wrong number of arguments for 'mset' command\r\n");
  CHECK(f.a.received() == std::vector<std::string>{"MSET b 1 a"});
}

TEST_CASE("all-shard commands are fanned out and merged") {
  Fixture f;
  f.a.set_script(Echoing("A"));
  f.b.set_script(Echoing("B"));
  auto c = f.Client();
  c->Send(Cmd({"DBSIZE"}) + Cmd({"KEYS", "*"}));
  f.Expect(*c, ":7\r\n*2\r\n" + Bulk("A") + Bulk("B"));
}

TEST_CASE("MOVED is followed and patches the slot map") {
  Fixture f;
  const uint16_t slot = cluster::KeySlot("b");
  const std::string moved =
      "-MOVED " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(f.b.port()) + "\r\n";
  f.a.set_script([&](const auto&) { return moved; });
  f.b.set_script(Echoing("B"));
  auto c = f.Client();
  c->Send(Cmd({"GET", "b"}));
  f.Expect(*c, Bulk("B:b"));
  const cluster::SlotMapPtr map = f.holder.Load();
  CHECK(map->node(map->OwnerOf(slot)).port == f.b.port());
  CHECK(map->node(map->OwnerOf(cluster::KeySlot("bar"))).port == f.a.port());
  c->Send(Cmd({"GET", "b"}));  // goes straight to B now
  f.Expect(*c, Bulk("B:b") + Bulk("B:b"));
  CHECK(f.a.received().size() == 1);
  CHECK(f.worker->dispatcher().stats().moved == 1);
}

TEST_CASE("ASK sends ASKING and the command back to back and leaves the map alone") {
  Fixture f;
  const uint16_t slot = cluster::KeySlot("b");
  const std::string ask =
      "-ASK " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(f.b.port()) + "\r\n";
  f.a.set_script([&](const auto&) { return ask; });
  f.b.set_script(Echoing("B"));
  auto c = f.Client();
  c->Send(Cmd({"GET", "b"}) + Cmd({"GET", "a"}));
  f.Expect(*c, Bulk("B:b") + Bulk("B:a"));
  REQUIRE(f.b.received().size() == 3);
  CHECK(f.b.received()[0] == "GET a");  // sent directly while GET b took the ASK detour
  CHECK(f.b.received()[1] == "ASKING");
  CHECK(f.b.received()[2] == "GET b");
  const cluster::SlotMapPtr map = f.holder.Load();
  CHECK(map->node(map->OwnerOf(slot)).port == f.a.port());
}

TEST_CASE("TRYAGAIN is retried after a pause") {
  Fixture f;
  int calls = 0;
  f.a.set_script([&](const std::vector<std::string>& args) -> std::optional<std::string> {
    if (++calls < 3)
      return std::string("-TRYAGAIN Multiple keys request during rehashing of slot\r\n");
    return Bulk("A:" + args[1]);
  });
  auto c = f.Client();
  c->Send(Cmd({"GET", "b"}));
  f.Expect(*c, Bulk("A:b"));
  CHECK(calls == 3);
}

TEST_CASE("endless redirects end with a clear error") {
  Fixture f;
  const uint16_t slot = cluster::KeySlot("b");
  f.a.set_script([&](const auto&) {
    return "-ASK " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(f.b.port()) + "\r\n";
  });
  f.b.set_script([&](const auto&) {
    return "-ASK " + std::to_string(slot) + " 127.0.0.1:" + std::to_string(f.a.port()) + "\r\n";
  });
  auto c = f.Client();
  c->Send(Cmd({"GET", "b"}));
  RunUntil(f.loop, [&] { return c->data().find("\r\n") != std::string::npos; });
  CHECK(c->data().rfind("-ERR too many cluster redirections", 0) == 0);
}

TEST_CASE("a node that never answers: timeout error naming it; the other node keeps serving") {
  Fixture f(/*op_timeout_ms=*/150);
  f.a.set_script([](const auto&) { return std::nullopt; });
  f.b.set_script(Echoing("B"));
  auto c = f.Client();
  c->Send(Cmd({"GET", "b"}) + Cmd({"GET", "bar"}));
  const std::string err =
      "-ERR timeout after 150 ms waiting for backend 127.0.0.1:" + std::to_string(f.a.port()) +
      "\r\n";
  f.Expect(*c, err + err);
  auto d = f.Client();
  d->Send(Cmd({"GET", "a"}));
  f.Expect(*d, Bulk("B:a"));
  CHECK(f.worker->dispatcher().stats().timeouts == 1);
}

TEST_CASE("a backend sending garbage is dropped; each request it owed gets an error") {
  Fixture f;
  int calls = 0;
  f.a.set_script([&](const std::vector<std::string>& args) -> std::optional<std::string> {
    if (++calls == 1) return std::string("?garbage\r\n");
    return Bulk("A:" + args[1]);
  });
  auto c = f.Client();
  c->Send(Cmd({"GET", "b"}));
  RunUntil(f.loop, [&] { return c->data().find("\r\n") != std::string::npos; });
  const std::string prefix =
      "-ERR backend 127.0.0.1:" + std::to_string(f.a.port()) + " sent an invalid reply";
  CHECK(c->data().rfind(prefix, 0) == 0);
  // It reconnects for the next request.
  const size_t before = c->data().size();
  c->Send(Cmd({"GET", "bar"}));
  RunUntil(f.loop, [&] { return c->data().size() > before; });
  CHECK(c->data().substr(before) == Bulk("A:bar"));
  CHECK(f.a.accepted() == 2);
}

TEST_CASE("a backend closing mid-reply fails the requests it owed") {
  Fixture f;
  f.a.set_script([](const auto&) { return std::string("$10\r\nabc"); });
  auto c = f.Client();
  c->Send(Cmd({"GET", "b"}));
  RunUntil(f.loop, [&] { return f.a.received().size() == 1; });
  RunUntil(
      f.loop, [] { return false; }, 20);
  f.a.DropAll();
  RunUntil(f.loop, [&] { return c->data().find("\r\n") != std::string::npos; });
  const std::string prefix = "-ERR backend 127.0.0.1:" + std::to_string(f.a.port());
  CHECK(c->data().rfind(prefix, 0) == 0);
}

TEST_CASE("a client that leaves with requests in flight: their replies are dropped") {
  Fixture f;
  f.a.set_script([](const auto&) { return std::nullopt; });
  auto c = f.Client();
  c->Send(Cmd({"GET", "b"}) + Cmd({"MGET", "b", "bar"}));
  RunUntil(f.loop, [&] { return f.a.held() == 3; });
  c->Close();
  RunUntil(f.loop, [&] { return f.worker->SessionCount() == 0; });
  f.a.Release(Bulk("stale"));
  // The backend connection stays aligned: the next client gets its own reply.
  f.a.set_script(Echoing("A"));
  auto d = f.Client();
  d->Send(Cmd({"GET", "bar"}));
  f.Expect(*d, Bulk("A:bar"));
  CHECK(f.a.accepted() == 1);
}

TEST_CASE("a node that is down gets a fast clear error while the other serves") {
  Fixture f;
  f.b.set_script(Echoing("B"));
  const uint16_t dead = f.a.port();
  f.a.StopListening();
  auto c = f.Client();
  c->Send(Cmd({"GET", "b"}) + Cmd({"GET", "a"}) + Cmd({"GET", "bar"}));
  const std::string prefix = "-ERR backend 127.0.0.1:" + std::to_string(dead) + " is unreachable";
  RunUntil(f.loop, [&] { return c->data().find(Bulk("B:a")) != std::string::npos; });
  RunUntil(f.loop, [&] { return c->data().size() > 2 * prefix.size() + Bulk("B:a").size(); });
  CHECK(c->data().rfind(prefix, 0) == 0);
  CHECK(c->data().find(Bulk("B:a")) != std::string::npos);
}

TEST_CASE("pipelines deeper than the pending bound are served with back-pressure") {
  Fixture f(2000, /*max_pending=*/8);
  f.a.set_script(Echoing("A"));
  f.b.set_script(Echoing("B"));
  auto c = f.Client();
  std::string req;
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    req += Cmd({"GET", i % 2 ? "a" : "b"});
    expected += Bulk(i % 2 ? "B:a" : "A:b");
  }
  c->Send(req);
  f.Expect(*c, expected);
}

TEST_CASE("QUIT answers +OK and closes") {
  Fixture f;
  auto c = f.Client();
  f.a.set_script([](const auto&) { return std::nullopt; });  // holds: QUIT waits its turn
  c->Send(Cmd({"GET", "b"}) + Cmd({"QUIT"}) + Cmd({"GET", "bar"}) + Cmd({"PING"}));
  RunUntil(f.loop, [&] { return f.a.held() == 1; });
  RunUntil(
      f.loop, [] { return false; }, 20);
  CHECK(f.a.received().size() == 1);  // nothing after QUIT is executed
  f.a.Release(Bulk("v"));
  RunUntil(f.loop, [&] { return c->closed(); });
  CHECK(c->data() == Bulk("v") + "+OK\r\n");
}

TEST_CASE("past max clients a new client gets Redis's error and is closed") {
  Fixture f(2000, 1024, /*max_clients=*/1);
  auto c = f.Client();
  c->Send(Cmd({"PING"}));
  f.Expect(*c, "+PONG\r\n");
  auto d = f.Client();
  RunUntil(f.loop, [&] { return d->closed(); });
  CHECK(d->data() == "-ERR max number of clients reached\r\n");
  c->Close();
  RunUntil(f.loop, [&] { return f.shared.clients.load() == 0; });
  auto e = f.Client();
  e->Send(Cmd({"PING"}));
  f.Expect(*e, "+PONG\r\n");
}

TEST_CASE("CLIENT ID, SETNAME/GETNAME and INFO are answered by the proxy") {
  Fixture f;
  f.a.set_script([](const std::vector<std::string>& args) -> std::optional<std::string> {
    if (args[0] == "INFO") return Bulk("# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\n");
    return std::nullopt;
  });
  f.b.set_script([](const std::vector<std::string>& args) -> std::optional<std::string> {
    if (args[0] == "INFO") return Bulk("# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\n");
    return std::nullopt;
  });
  auto c = f.Client();
  c->Send(Cmd({"CLIENT", "SETNAME", "me"}) + Cmd({"CLIENT", "GETNAME"}) +
          Cmd({"INFO", "keyspace"}));
  RunUntil(f.loop, [&] { return c->data().find("db0:") != std::string::npos; });
  CHECK(c->data().rfind("+OK\r\n$2\r\nme\r\n", 0) == 0);
  CHECK(c->data().find("db0:keys=5,expires=1") != std::string::npos);
}

TEST_CASE("an idle client is closed; a client waiting for a reply is not idle") {
  Fixture f(5000, 1024, 100, /*client_idle_ms=*/50);
  f.a.set_script([](const auto&) { return std::nullopt; });
  auto idle = f.Client();
  auto waiting = f.Client();
  waiting->Send(Cmd({"GET", "b"}));
  RunUntil(f.loop, [&] { return idle->closed(); });
  CHECK(idle->closed());
  CHECK(idle->data().empty());
  CHECK_FALSE(waiting->closed());
  f.a.Release(Bulk("late"));
  f.Expect(*waiting, Bulk("late"));
  RunUntil(f.loop, [&] { return waiting->closed(); });
  CHECK(waiting->closed());
}

}  // namespace
}  // namespace slotproxy::testing
