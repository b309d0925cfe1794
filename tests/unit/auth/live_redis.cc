#include "unit/auth/live_redis.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

namespace slotproxy::auth::testing {

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

RedisConnection::~RedisConnection() { close(fd_); }

Reply RedisConnection::Call(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = write(fd_, out.data() + sent, out.size() - sent);
    if (n <= 0) return Reply{};
    sent += static_cast<size_t>(n);
  }
  return Read(0);
}

bool RedisConnection::Fill() {
  char chunk[65536];
  ssize_t n = read(fd_, chunk, sizeof(chunk));
  if (n <= 0) return false;
  buf_.append(chunk, static_cast<size_t>(n));
  return true;
}

bool RedisConnection::Line(std::string* line) {
  size_t end;
  while ((end = buf_.find("\r\n", pos_)) == std::string::npos) {
    if (!Fill()) return false;
  }
  *line = buf_.substr(pos_, end - pos_);
  pos_ = end + 2;
  return true;
}

Reply RedisConnection::Read(int depth) {
  std::string line;
  if (depth > 8 || !Line(&line) || line.empty()) return Reply{};
  Reply reply;
  reply.type = line[0];
  reply.text = line.substr(1);
  if (reply.type == '$') {
    long length = std::strtol(reply.text.c_str(), nullptr, 10);
    reply.text.clear();
    if (length < 0) return reply;
    while (buf_.size() < pos_ + static_cast<size_t>(length) + 2) {
      if (!Fill()) return Reply{};
    }
    reply.text = buf_.substr(pos_, static_cast<size_t>(length));
    pos_ += static_cast<size_t>(length) + 2;
  } else if (reply.type == '*') {
    long count = std::strtol(reply.text.c_str(), nullptr, 10);
    reply.text.clear();
    for (long i = 0; i < count; ++i) {
      Reply element = Read(depth + 1);
      if (element.type == 0) return Reply{};
      reply.elements.push_back(std::move(element.text));
    }
  }
  return reply;
}

LiveRedis::LiveRedis() {
  const std::string binary = FindRedisServer();
  if (binary.empty()) return;
  char dir_template[] = "/tmp/auth_live_redis.XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return;
  dir_ = dir_template;
  socket_ = dir_ + "/redis.sock";
  pid_ = fork();
  if (pid_ == 0) {
    if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(126);
    execl(binary.c_str(), "redis-server", "--port", "0", "--unixsocket", socket_.c_str(), "--save",
          "", "--appendonly", "no", "--dir", dir_.c_str(), nullptr);
    _exit(127);
  }
  for (int attempt = 0; attempt < 200 && pid_ > 0; ++attempt) {  // at most ~10 s
    if (Connect() != nullptr) {
      ready_ = true;
      break;
    }
    usleep(50000);
  }
}

LiveRedis::~LiveRedis() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::unique_ptr<RedisConnection> LiveRedis::Connect() const {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return nullptr;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_.c_str(), sizeof(addr.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return nullptr;
  }
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return std::make_unique<RedisConnection>(fd);
}

}  // namespace slotproxy::auth::testing
