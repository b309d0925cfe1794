// Memory per key of the engine against Redis 7.0, then a few keyspace micro-benchmarks.
//
// Loads 1M keys of 16 bytes with 32-byte values into a Keyspace and prints the RSS growth per
// key; then starts redis-server (standalone, and cluster-enabled owning all slots, which is what
// a shard is), loads the same keys over one pipelined connection and prints INFO memory's
// used_memory and the server's RSS growth per key. A benchmark that prints figures, not a test.
//
//   bench_engine_memory [--keys N] [--no-redis] [google-benchmark flags]
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster/crc16.h"
#include "engine/keyspace.h"

extern char** environ;

namespace {

using slotproxy::engine::Keyspace;

constexpr int64_t kNow = 1'700'000'000'000;

std::string KeyOf(size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key:%012zu", i);  // 16 bytes
  return buf;
}
std::string ValueOf(size_t i) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "value-%026zu", i);  // 32 bytes, not an integer
  return buf;
}

size_t RssBytes(pid_t pid) {
  std::ifstream f(pid == 0 ? "/proc/self/statm" : "/proc/" + std::to_string(pid) + "/statm");
  size_t pages_total = 0, pages_resident = 0;
  f >> pages_total >> pages_resident;
  return pages_resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

void MeasureEngine(size_t n) {
  const size_t before = RssBytes(0);
  auto ks = std::make_unique<Keyspace>(slotproxy::cluster::KeySlot);
  for (size_t i = 0; i < n; i++) ks->SetString(KeyOf(i), ValueOf(i));
  const size_t after = RssBytes(0);
  std::printf("engine:            %zu keys, RSS delta %.1f MB = %.1f bytes/key\n", ks->Size(),
              (after - before) / 1e6, static_cast<double>(after - before) / n);
}

// --- a minimal redis-server driver ----------------------------------------------------------

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string Resp(const std::vector<std::string>& args) {
  // Appends one piece at a time: GCC 12 -O3 warns (-Wrestrict) on chained operator+ here.
  std::string out;
  char head[32];
  std::snprintf(head, sizeof(head), "*%zu\r\n", args.size());
  out.append(head);
  for (const auto& a : args) {
    std::snprintf(head, sizeof(head), "$%zu\r\n", a.size());
    out.append(head);
    out.append(a);
    out.append("\r\n");
  }
  return out;
}

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t w = write(fd, data.data() + off, data.size() - off);
    if (w <= 0) return false;
    off += static_cast<size_t>(w);
  }
  return true;
}

// Reads until `replies` complete top-level replies (simple, error, integer or bulk) arrived;
// returns the concatenated bytes. Enough for SET/INFO/CLUSTER replies.
std::string ReadReplies(int fd, size_t replies) {
  std::string buf;
  size_t pos = 0;
  size_t done = 0;
  char chunk[65536];
  while (done < replies) {
    const size_t eol = buf.find("\r\n", pos);
    if (eol == std::string::npos) {
      const ssize_t r = read(fd, chunk, sizeof(chunk));
      if (r <= 0) break;
      buf.append(chunk, static_cast<size_t>(r));
      continue;
    }
    if (buf[pos] == '$') {
      const long len = std::strtol(buf.c_str() + pos + 1, nullptr, 10);
      const size_t end = eol + 2 + (len < 0 ? 0 : static_cast<size_t>(len) + 2);
      if (buf.size() < end) {
        const ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r <= 0) break;
        buf.append(chunk, static_cast<size_t>(r));
        continue;
      }
      pos = end;
    } else {
      pos = eol + 2;
    }
    done++;
  }
  return buf;
}

std::string Command(int fd, const std::vector<std::string>& args) {
  WriteAll(fd, Resp(args));
  return ReadReplies(fd, 1);
}

long InfoField(const std::string& info, const std::string& name) {
  const size_t at = info.find("\n" + name + ":");
  return at == std::string::npos ? -1
                                 : std::strtol(info.c_str() + at + name.size() + 2, nullptr, 10);
}

void MeasureRedis(size_t n, bool cluster) {
  const int port = FreePort();
  char dir[] = "/tmp/bench_engine_memory.XXXXXX";
  if (mkdtemp(dir) == nullptr) return;
  std::vector<std::string> args = {"redis-server",
                                   "--port",
                                   std::to_string(port),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--dir",
                                   dir,
                                   "--logfile",
                                   std::string(dir) + "/redis.log"};
  if (cluster) {
    args.insert(args.end(), {"--cluster-enabled", "yes", "--cluster-config-file",
                             std::string(dir) + "/nodes.conf"});
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) {
    std::printf("redis-server could not be started\n");
    return;
  }
  int fd = -1;
  for (int i = 0; i < 200 && fd < 0; i++) {  // bounded: 10 s
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    fd = Connect(port);
  }
  if (fd >= 0 && cluster) {
    Command(fd, {"CLUSTER", "ADDSLOTSRANGE", "0", "16383"});
    for (int i = 0; i < 200; i++) {
      if (Command(fd, {"CLUSTER", "INFO"}).find("cluster_state:ok") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (fd >= 0) {
    const std::string info0 = Command(fd, {"INFO", "memory"});
    const size_t rss0 = RssBytes(pid);
    constexpr size_t kBatch = 10000;
    for (size_t i = 0; i < n; i += kBatch) {
      std::string batch;
      const size_t end = std::min(n, i + kBatch);
      for (size_t j = i; j < end; j++) batch += Resp({"SET", KeyOf(j), ValueOf(j)});
      WriteAll(fd, batch);
      ReadReplies(fd, end - i);
    }
    const std::string info1 = Command(fd, {"INFO", "memory"});
    const std::string keys = Command(fd, {"DBSIZE"});
    const size_t rss1 = RssBytes(pid);
    const long used0 = InfoField(info0, "used_memory");
    const long used1 = InfoField(info1, "used_memory");
    std::printf(
        "redis 7.0 %-9s %s keys, used_memory delta %.1f MB = %.1f bytes/key, "
        "RSS delta %.1f MB = %.1f bytes/key\n",
        cluster ? "cluster:" : "plain:", keys.substr(1, keys.size() - 3).c_str(),
        (used1 - used0) / 1e6, static_cast<double>(used1 - used0) / n, (rss1 - rss0) / 1e6,
        static_cast<double>(rss1 - rss0) / n);
    close(fd);
  } else {
    std::printf("redis-server did not answer on port %d\n", port);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  std::string cleanup = std::string("rm -rf ") + dir;
  if (std::system(cleanup.c_str()) != 0) std::printf("could not remove %s\n", dir);
}

// --- micro-benchmarks -------------------------------------------------------------------------

void BM_SetNewKeys(benchmark::State& state) {
  Keyspace ks(slotproxy::cluster::KeySlot);
  size_t i = 0;
  for (auto _ : state) ks.SetString(KeyOf(i++), "value-0123456789012345678901234");
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_SetNewKeys);

void BM_FindHit(benchmark::State& state) {
  Keyspace ks(slotproxy::cluster::KeySlot);
  constexpr size_t kKeys = 100000;
  std::vector<std::string> keys;
  for (size_t i = 0; i < kKeys; i++) {
    keys.push_back(KeyOf(i));
    ks.SetString(keys.back(), ValueOf(i));
  }
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(ks.Find(keys[i++ % kKeys], kNow));
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_FindHit);

void BM_OverwriteSameSize(benchmark::State& state) {
  Keyspace ks(slotproxy::cluster::KeySlot);
  for (size_t i = 0; i < 1000; i++) ks.SetString(KeyOf(i), ValueOf(i));
  size_t i = 0;
  for (auto _ : state) {
    ks.SetString(KeyOf(i % 1000), ValueOf(i));
    i++;
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_OverwriteSameSize);

}  // namespace

int main(int argc, char** argv) {
  size_t n = 1'000'000;
  bool redis = true;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--keys") == 0 && i + 1 < argc) {
      n = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--no-redis") == 0) {
      redis = false;
    } else {
      rest.push_back(argv[i]);
    }
  }
  std::printf("memory for %zu keys of 16 bytes with 32-byte values:\n", n);
  MeasureEngine(n);
  std::fflush(stdout);
  if (redis) {
    MeasureRedis(n, false);
    MeasureRedis(n, true);
    std::fflush(stdout);
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
