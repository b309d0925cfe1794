// Differential test: our COMMAND INFO and COMMAND DOCS trees against a real redis-server 7.0
// started on a free loopback port (skipped with a warning when redis-server is not installed).
// Compared over RESP3, so every node's type (set, map, simple or bulk string) must match too.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "command/command_reply.h"
#include "unit/command/reply_test_util.h"

namespace slotproxy::command {
namespace {

using testing::Tree;

std::string FindRedisServer() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/usr/local/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    if (colon == std::string::npos) colon = dirs.size();
    std::filesystem::path candidate =
        std::filesystem::path(dirs.substr(start, colon - start)) / "redis-server";
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = colon + 1;
  }
  return "";
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// A redis-server child process and one RESP3 connection to it.
class LiveRedis {
 public:
  explicit LiveRedis(const std::string& binary) {
    char dir_template[] = "/tmp/command_live_redis.XXXXXX";
    dir_ = mkdtemp(dir_template);
    port_ = FreePort();
    std::string port = std::to_string(port_);
    pid_ = fork();
    if (pid_ == 0) {
      freopen("/dev/null", "w", stdout);
      freopen("/dev/null", "w", stderr);
      execl(binary.c_str(), "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save",
            "", "--appendonly", "no", "--dir", dir_.c_str(), nullptr);
      _exit(127);
    }
    for (int attempt = 0; attempt < 200 && fd_ < 0; ++attempt) {  // at most ~10 s
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(port_));
      if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
        fd_ = fd;
      } else {
        close(fd);
        usleep(50000);
      }
    }
    if (fd_ >= 0) {
      timeval timeout{10, 0};
      setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    }
  }
  ~LiveRedis() {
    if (fd_ >= 0) close(fd_);
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  bool connected() const { return fd_ >= 0; }

  // Sends a command and reads its reply; a kNull tree with str "IO" on failure.
  Tree Call(const std::vector<std::string>& args) {
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const std::string& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    if (write(fd_, out.data(), out.size()) != static_cast<ssize_t>(out.size())) return IoError();
    return Read();
  }

 private:
  static Tree IoError() { return Tree{ReplyKind::kNull, 0, "IO", {}}; }

  bool Fill() {
    char chunk[65536];
    ssize_t n = read(fd_, chunk, sizeof(chunk));
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  bool Line(std::string* line) {
    size_t end;
    while ((end = buf_.find("\r\n", pos_)) == std::string::npos) {
      if (!Fill()) return false;
    }
    *line = buf_.substr(pos_, end - pos_);
    pos_ = end + 2;
    return true;
  }
  Tree Read() {
    std::string line;
    if (!Line(&line) || line.empty()) return IoError();
    char type = line[0];
    std::string rest = line.substr(1);
    switch (type) {
      case '+':
        return Tree{ReplyKind::kSimpleString, 0, rest, {}};
      case '-':
        return Tree{ReplyKind::kNull, 0, "ERROR " + rest, {}};
      case ':':
        return Tree{ReplyKind::kInteger, std::stoll(rest), "", {}};
      case '_':
        return Tree{ReplyKind::kNull, 0, "", {}};
      case '$': {
        size_t n = std::stoul(rest);
        while (buf_.size() < pos_ + n + 2) {
          if (!Fill()) return IoError();
        }
        Tree t{ReplyKind::kBulkString, 0, buf_.substr(pos_, n), {}};
        pos_ += n + 2;
        return t;
      }
      case '*':
      case '~':
      case '%': {
        ReplyKind kind = type == '*'   ? ReplyKind::kArray
                         : type == '~' ? ReplyKind::kSet
                                       : ReplyKind::kMap;
        size_t n = std::stoul(rest) * (type == '%' ? 2 : 1);
        Tree t{kind, 0, "", {}};
        for (size_t i = 0; i < n; ++i) t.children.push_back(Read());
        return t;
      }
      default:
        return IoError();
    }
  }

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buf_;
  size_t pos_ = 0;
};

bool ByFirstChild(const Tree& a, const Tree& b) {
  return a.children.empty() || b.children.empty() ? false : a.children[0].str < b.children[0].str;
}

// Redis lists subcommands in hash order: sort them. Drops `extra` (our CLIENT SETINFO).
void NormalizeInfo(Tree* entry, const std::string& extra) {
  if (entry->children.size() != 10 || entry->children[9].kind != ReplyKind::kArray) return;
  std::vector<Tree>& subs = entry->children[9].children;
  std::erase_if(subs,
                [&](const Tree& s) { return !s.children.empty() && s.children[0].str == extra; });
  std::sort(subs.begin(), subs.end(), ByFirstChild);
}

void NormalizeDocs(Tree* docs, const std::string& extra) {
  std::vector<Tree>& kv = docs->children;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    if (kv[i].str != "subcommands") continue;
    std::vector<Tree> pairs;
    std::vector<Tree>& m = kv[i + 1].children;
    for (size_t j = 0; j + 1 < m.size(); j += 2) {
      if (m[j].str == extra) continue;
      pairs.push_back(Tree{ReplyKind::kArray, 0, "", {m[j], m[j + 1]}});
    }
    std::sort(pairs.begin(), pairs.end(), ByFirstChild);
    m.clear();
    for (Tree& p : pairs) {
      m.push_back(p.children[0]);
      m.push_back(p.children[1]);
    }
  }
}

TEST_CASE("COMMAND INFO and COMMAND DOCS of every command equal a live redis-server's") {
  std::string binary = FindRedisServer();
  if (binary.empty()) {
    WARN("redis-server not installed: live comparison skipped");
    return;
  }
  LiveRedis redis(binary);
  REQUIRE(redis.connected());
  REQUIRE(redis.Call({"HELLO", "3"}).kind == ReplyKind::kMap);
  const CommandTable& table = CommandTable::BuiltIn();
  int compared = 0;
  for (const CommandInfo* info : table.TopLevel()) {
    std::string name(info->name);
    std::vector<std::string_view> names = {info->name};
    Tree theirs = redis.Call({"COMMAND", "INFO", name});
    Tree ours = testing::ToTree(BuildCommandInfoReply(table, names));
    REQUIRE(theirs.children.size() == 1);
    NormalizeInfo(&theirs.children[0], "");
    NormalizeInfo(&ours.children[0], "client|setinfo");
    INFO(name << " COMMAND INFO: " << testing::FirstDifference(ours, theirs));
    CHECK(ours == theirs);
    Tree their_docs = redis.Call({"COMMAND", "DOCS", name});
    Tree our_docs = testing::ToTree(BuildCommandDocsReply(table, names));
    REQUIRE(their_docs.children.size() == 2);
    NormalizeDocs(&their_docs.children[1], "");
    NormalizeDocs(&our_docs.children[1], "client|setinfo");
    INFO(name << " COMMAND DOCS: " << testing::FirstDifference(our_docs, their_docs));
    CHECK(our_docs == their_docs);
    ++compared;
  }
  CHECK(compared == 240);
  Tree count = redis.Call({"COMMAND", "COUNT"});
  CHECK(count.value == static_cast<int64_t>(table.Count()));
}

}  // namespace
}  // namespace slotproxy::command
