#include <catch2/catch.hpp>

#include <future>
#include <string>
#include <thread>

#include "command/command_table.h"
#include "net/worker_thread.h"
#include "session/command_learning.h"
#include "unit/session/fake_cluster.h"

namespace slotproxy::testing {
namespace {

// A COMMAND reply with one command the built-in table lacks ("modcmd", one key at 1) and one it
// knows ("get").
std::string CommandReply() {
  auto entry = [](const std::string& name, const std::string& arity) {
    return "*10\r\n$" + std::to_string(name.size()) + "\r\n" + name + "\r\n:" + arity +
           "\r\n*1\r\n+write\r\n:1\r\n:1\r\n:1\r\n*0\r\n*0\r\n*0\r\n*0\r\n";
  };
  return "*2\r\n" + entry("modcmd", "2") + entry("get", "2");
}

TEST_CASE("commands a backend knows and the table lacks are learned with their keys") {
  net::WorkerThread node_thread("fake-node");
  uint16_t port = 0;
  std::unique_ptr<FakeNode> node;
  std::promise<uint16_t> ready;
  node_thread.loop().Post([&] {
    node = std::make_unique<FakeNode>(node_thread.loop(), [](const std::vector<std::string>& a) {
      return a[0] == "COMMAND" ? std::optional<std::string>(CommandReply())
                               : std::optional<std::string>("-ERR no\r\n");
    });
    ready.set_value(node->port());
  });
  node_thread.Start();
  port = ready.get_future().get();
  auto table = command::CommandTable::CreateBuiltIn();
  REQUIRE(table->Find("modcmd") == nullptr);
  Result<int> learned = session::LearnCommandsFrom("127.0.0.1", port, {}, 2000, table.get());
  REQUIRE(learned.ok());
  CHECK(learned.value() == 1);
  const command::CommandInfo* info = table->Find("modcmd");
  REQUIRE(info != nullptr);
  CHECK(info->learned);
  CHECK(info->routing.kind == command::RouteKind::kSingleSlot);
  std::promise<void> gone;
  node_thread.loop().Post([&] {
    node.reset();
    gone.set_value();
  });
  gone.get_future().get();
}

TEST_CASE("learning from a node that is not there is an error, not a hang") {
  auto table = command::CommandTable::CreateBuiltIn();
  Result<int> learned =
      session::LearnCommandsFrom("127.0.0.1", net::testing::ClosedPort(), {}, 500, table.get());
  CHECK_FALSE(learned.ok());
}

}  // namespace
}  // namespace slotproxy::testing
