// TopologyManager against a real 3-master Redis Cluster built from Debian's redis-server, the
// way tests/integration/harness.py builds one (redis-cli --cluster create). Skipped, with a
// warning, when redis-server or redis-cli cannot be started.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "backend/topology_manager.h"

namespace slotproxy::backend {
namespace {

// Binds 127.0.0.1:port (0: any) and returns the bound port, 0 on failure.
uint16_t TryBind(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  socklen_t len = sizeof(addr);
  uint16_t bound = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    bound = ntohs(addr.sin_port);
  }
  ::close(fd);
  return bound;
}

// Runs a shell command (bounded by `timeout`) and returns its stdout.
std::string Shell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(("timeout 30 " + command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

std::string Cli(uint16_t port, const std::string& args) {
  return Shell("redis-cli -h 127.0.0.1 -p " + std::to_string(port) + " " + args);
}

bool PollFor(const std::function<bool()>& done, int tries = 150) {  // 150 x 100 ms at most
  for (int i = 0; i < tries; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return done();
}

// One cluster-enabled redis-server in its own directory; the destructor always ends it.
class Server {
 public:
  ~Server() { Stop(); }
  bool Start() {
    char templ[] = "/tmp/slotproxy-topo-XXXXXX";
    if (::mkdtemp(templ) == nullptr) return false;
    dir_ = templ;
    for (int attempt = 0; attempt < 20 && port_ == 0; ++attempt) {
      const uint16_t p = TryBind(0);
      if (p != 0 && p <= 55535 && TryBind(static_cast<uint16_t>(p + 10000)) != 0) port_ = p;
    }
    if (port_ == 0) return false;
    const std::string port = std::to_string(port_);
    const std::string conf = dir_ + "/nodes.conf";
    const std::string log = dir_ + "/redis.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      const char* argv[] = {"redis-server",
                            "--port",
                            port.c_str(),
                            "--bind",
                            "127.0.0.1",
                            "--cluster-enabled",
                            "yes",
                            "--cluster-config-file",
                            conf.c_str(),
                            "--save",
                            "",
                            "--appendonly",
                            "no",
                            "--dir",
                            dir_.c_str(),
                            "--logfile",
                            log.c_str(),
                            "--daemonize",
                            "no",
                            nullptr};
      ::execvp("redis-server", const_cast<char* const*>(argv));
      ::_exit(127);
    }
    if (pid_ < 0) return false;
    return PollFor([this] { return Cli(port_, "PING") == "PONG\n"; }, 50);
  }
  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      bool reaped = false;
      for (int i = 0; i < 100 && !reaped; ++i) {
        reaped = ::waitpid(pid_, &status, WNOHANG) == pid_;
        if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (!reaped) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
      pid_ = -1;
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    dir_.clear();
  }
  uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string dir_;
};

bool RunUntil(net::EventLoop& loop, const std::function<bool()>& done, uint64_t max_ms = 15000) {
  net::Timer poll(loop);
  net::Timer deadline(loop);
  poll.StartRepeating(5, [&] {
    if (done()) loop.Stop();
  });
  deadline.Start(max_ms, [&] { loop.Stop(); });
  if (!done()) loop.Run();
  return done();
}

TEST_CASE("topology of a real 3-master Redis Cluster, a slot move and a dead seed",
          "[topology][redis]") {
  std::vector<std::unique_ptr<Server>> servers;
  for (int i = 0; i < 3; ++i) {
    servers.push_back(std::make_unique<Server>());
    if (!servers.back()->Start()) {
      WARN("redis-server could not be started: test skipped");
      return;
    }
  }
  std::string create = "redis-cli --cluster create";
  for (const auto& s : servers) create += " 127.0.0.1:" + std::to_string(s->port());
  Shell(create + " --cluster-yes");
  REQUIRE(PollFor([&] {
    for (const auto& s : servers) {
      if (Cli(s->port(), "CLUSTER INFO").find("cluster_state:ok") == std::string::npos) {
        return false;
      }
    }
    return true;
  }));

  net::EventLoop loop;
  cluster::SlotMapHolder holder;
  TopologyOptions options;
  options.seeds.push_back({"localhost", servers[1]->port()});
  options.refresh_interval_ms = 0;
  options.min_refresh_interval_ms = 10;
  options.retry_interval_ms = 50;
  TopologyManager manager(loop, holder, options);
  bool ready = false;
  Status first;
  manager.Start([&](const Status& s) {
    ready = true;
    first = s;
  });
  REQUIRE(RunUntil(loop, [&] { return ready; }));
  REQUIRE(first.ok());
  cluster::SlotMapPtr map = holder.Load();
  REQUIRE(map != nullptr);
  CHECK(map->FullyCovered());
  CHECK(map->node_count() == 3);
  std::set<uint16_t> ports;
  for (const cluster::Node& node : map->nodes()) {
    ports.insert(node.port);
    CHECK(node.id.size() == 40);
    CHECK(node.role == cluster::NodeRole::kMaster);
  }
  CHECK(ports == std::set<uint16_t>{servers[0]->port(), servers[1]->port(), servers[2]->port()});

  // Move the (empty) slot 0 to another master, as a reshard's last step does.
  const uint16_t owner = map->NodeForSlot(0)->port;
  const cluster::Node* target = nullptr;
  for (const cluster::Node& node : map->nodes()) {
    if (node.port != owner) target = &node;
  }
  REQUIRE(target != nullptr);
  const uint16_t target_port = target->port;
  const std::string setslot = "CLUSTER SETSLOT 0 NODE " + target->id;
  CHECK(Cli(target_port, setslot) == "OK\n");
  for (const auto& s : servers) {
    if (s->port() != target_port) CHECK(Cli(s->port(), setslot) == "OK\n");
  }
  manager.RequestRefresh("test: slot 0 moved");
  REQUIRE(RunUntil(loop, [&] { return holder.Load()->NodeForSlot(0)->port == target_port; }));
  CHECK(holder.Load()->version() > map->version());
  CHECK(holder.Load()->FullyCovered());

  // The seed dies: refreshes go on through the other known masters.
  servers[1]->Stop();
  const uint64_t before = manager.refreshes();
  manager.RequestRefresh("test: seed down");
  REQUIRE(RunUntil(loop, [&] { return manager.refreshes() > before; }));
  CHECK(holder.Load()->FullyCovered());
}

}  // namespace
}  // namespace slotproxy::backend
