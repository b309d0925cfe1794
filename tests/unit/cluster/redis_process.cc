#include "redis_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

namespace slotproxy::cluster::testing {
namespace {

// Binds 127.0.0.1:port (0 = any) and returns the bound port, or 0 when the bind fails.
uint16_t TryBind(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  uint16_t bound = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    bound = ntohs(addr.sin_port);
  }
  ::close(fd);
  return bound;
}

// A port the kernel hands out for bind(0) whose cluster bus port (port + 10000) exists and is
// free too, as a cluster-enabled redis-server binds both.
uint16_t FreePort() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const uint16_t port = TryBind(0);
    if (port != 0 && port <= 55535 && TryBind(static_cast<uint16_t>(port + 10000)) != 0) {
      return port;
    }
  }
  return 0;
}

// Waits for +PONG. Sets *pid to -1 when the server died (and was reaped) meanwhile.
bool WaitForPing(uint16_t port, pid_t* pid) {
  for (int attempt = 0; attempt < 100; ++attempt) {  // 100 x 50 ms = 5 s at most
    int status = 0;
    if (::waitpid(*pid, &status, WNOHANG) == *pid) {  // it died (port taken meanwhile?)
      *pid = -1;
      return false;
    }
    auto conn = TestConnection::Connect(port);
    std::string line;
    if (conn && conn->Send(EncodeCommand({"PING"})) && conn->ReadLine(&line) && line == "+PONG") {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

pid_t Spawn(uint16_t port, const std::string& dir) {
  const std::string port_str = std::to_string(port);
  const std::string conf = dir + "/nodes.conf";
  const std::string log = dir + "/redis.log";
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  // Child: only async-signal-safe work plus exec.
  const char* argv[] = {"redis-server",
                        "--port",
                        port_str.c_str(),
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
                        dir.c_str(),
                        "--logfile",
                        log.c_str(),
                        "--repl-diskless-sync-delay",
                        "0",
                        "--repl-ping-replica-period",
                        "1",
                        "--cluster-node-timeout",
                        "5000",
                        "--daemonize",
                        "no",
                        nullptr};
  ::execvp("redis-server", const_cast<char* const*>(argv));
  ::_exit(127);
}

}  // namespace

std::unique_ptr<RedisProcess> RedisProcess::Start(std::string* error) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    char templ[] = "/tmp/slotproxy-redis-XXXXXX";
    if (::mkdtemp(templ) == nullptr) {
      *error = "mkdtemp failed";
      return nullptr;
    }
    const uint16_t port = FreePort();
    const pid_t pid = port == 0 ? -1 : Spawn(port, templ);
    if (pid < 0) {
      std::filesystem::remove_all(templ);
      *error = "cannot find a free port or fork redis-server";
      return nullptr;
    }
    std::unique_ptr<RedisProcess> process(new RedisProcess(pid, port, templ));
    if (WaitForPing(port, &process->pid_)) return process;
    // The destructor stops the process and removes the directory; try another port.
  }
  *error = "redis-server did not answer PING (is it installed?)";
  return nullptr;
}

RedisProcess::~RedisProcess() { Stop(); }

void RedisProcess::Stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    bool reaped = false;
    for (int i = 0; i < 100 && !reaped; ++i) {  // 5 s at most, then SIGKILL
      reaped = ::waitpid(pid_, &status, WNOHANG) == pid_;
      if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!reaped) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::unique_ptr<TestConnection> TestConnection::Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return nullptr;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return nullptr;
  }
  timeval timeout{};
  timeout.tv_sec = 5;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  return std::unique_ptr<TestConnection>(new TestConnection(fd));
}

TestConnection::~TestConnection() { ::close(fd_); }

bool TestConnection::Send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool TestConnection::Fill() {
  char chunk[16384];
  ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
  if (n <= 0) return false;  // EOF, error or SO_RCVTIMEO timeout
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

bool TestConnection::ReadLine(std::string* line) {
  size_t end;
  while ((end = buffer_.find("\r\n")) == std::string::npos) {
    if (!Fill()) return false;
  }
  *line = buffer_.substr(0, end);
  buffer_.erase(0, end + 2);
  return true;
}

std::string TestConnection::ReadBytes(size_t count) {
  while (buffer_.size() < count && Fill()) {
  }
  std::string out = buffer_.substr(0, count);
  buffer_.erase(0, out.size());
  return out;
}

// Advances *pos over one reply in buffer_, reading more bytes as needed.
bool TestConnection::RawReplyAt(size_t* pos) {
  size_t end;
  while ((end = buffer_.find("\r\n", *pos)) == std::string::npos) {
    if (!Fill()) return false;
  }
  const char type = buffer_[*pos];
  const long long n = std::atoll(buffer_.c_str() + *pos + 1);
  *pos = end + 2;
  switch (type) {
    case '$':
    case '!':
    case '=':
      if (n < 0) return true;
      while (buffer_.size() < *pos + static_cast<size_t>(n) + 2) {
        if (!Fill()) return false;
      }
      *pos += static_cast<size_t>(n) + 2;
      return true;
    case '*':
    case '~':
    case '>':
    case '%': {
      const long long count = type == '%' ? 2 * n : n;
      for (long long i = 0; i < count; ++i) {
        if (!RawReplyAt(pos)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

std::string TestConnection::ReadRawReply() {
  size_t pos = 0;
  if (!RawReplyAt(&pos)) return "";
  std::string out = buffer_.substr(0, pos);
  buffer_.erase(0, pos);
  return out;
}

std::string EncodeCommand(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& arg : args) {
    out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  }
  return out;
}

std::string RunShell(const std::string& command, const std::string& input) {
  char templ[] = "/tmp/slotproxy-input-XXXXXX";
  int fd = ::mkstemp(templ);
  if (fd < 0) return "";
  if (::write(fd, input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
    ::close(fd);
    ::unlink(templ);
    return "";
  }
  ::close(fd);
  std::string out;
  FILE* pipe = ::popen((command + " < " + templ + " 2>&1").c_str(), "r");
  if (pipe != nullptr) {
    char chunk[4096];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof(chunk), pipe)) > 0) out.append(chunk, n);
    ::pclose(pipe);
  }
  ::unlink(templ);
  return out;
}

}  // namespace slotproxy::cluster::testing
