#include "handler_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "cluster/crc16.h"
#include "command/command_table.h"
#include "engine/numbers.h"
#include "server/handler_tables.h"

namespace slotproxy::server::handler_testing {
namespace {

constexpr char kRedisServerPath[] = "/usr/bin/redis-server";

int FreePort() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(s);
  return port;
}

int ConnectTo(int port) {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(s);
    return -1;
  }
  timeval tv{5, 0};  // a hung server fails the test instead of hanging it
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return s;
}

std::string Encode(const Args& args) {
  std::string req = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) req += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return req;
}

// Length of the reply starting at `pos` in `b`, or 0 when incomplete / malformed.
size_t ReplyLength(std::string_view b, size_t pos, int depth) {
  if (depth > 16 || pos >= b.size()) return 0;
  const size_t eol = b.find("\r\n", pos);
  if (eol == std::string_view::npos) return 0;
  const char type = b[pos];
  const std::string line(b.substr(pos + 1, eol - pos - 1));
  size_t end = eol + 2;
  const long long n = std::strtoll(line.c_str(), nullptr, 10);
  switch (type) {
    case '$':
    case '=':
    case '!':
      if (n < 0) return end - pos;
      end += static_cast<size_t>(n) + 2;
      return end <= b.size() ? end - pos : 0;
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      const long long count = (type == '%' || type == '|') ? 2 * n : n;
      for (long long i = 0; i < count; i++) {
        const size_t len = ReplyLength(b, end, depth + 1);
        if (len == 0) return 0;
        end += len;
      }
      return end - pos;
    }
    default:
      return end - pos;
  }
}

bool ParseAt(std::string_view b, size_t* pos, Reply* out, int depth) {
  if (depth > 16 || *pos >= b.size()) return false;
  const size_t eol = b.find("\r\n", *pos);
  if (eol == std::string_view::npos) return false;
  out->type = b[*pos];
  out->text.assign(b.substr(*pos + 1, eol - *pos - 1));
  *pos = eol + 2;
  const long long n = std::strtoll(out->text.c_str(), nullptr, 10);
  switch (out->type) {
    case '$':
    case '=':
      if (n < 0) {
        out->null = true;
        out->text.clear();
        return true;
      }
      if (*pos + static_cast<size_t>(n) + 2 > b.size()) return false;
      out->text.assign(b.substr(*pos, static_cast<size_t>(n)));
      *pos += static_cast<size_t>(n) + 2;
      return true;
    case '*':
    case '~':
    case '>':
    case '%': {
      if (n < 0) {
        out->null = true;
        return true;
      }
      const long long count = out->type == '%' ? 2 * n : n;
      out->elems.resize(static_cast<size_t>(count));
      for (auto& e : out->elems) {
        if (!ParseAt(b, pos, &e, depth + 1)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

}  // namespace

std::vector<std::string> Reply::Texts() const {
  std::vector<std::string> out;
  for (const Reply& e : elems) out.push_back(e.elems.empty() ? e.text : "<agg>");
  return out;
}

bool ParseReply(std::string_view bytes, Reply* out) {
  size_t pos = 0;
  *out = Reply();
  return ParseAt(bytes, &pos, out, 0) && pos == bytes.size();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// ---- RedisServer ------------------------------------------------------------------------------

RedisServer* RedisServer::Shared() {
  static std::unique_ptr<RedisServer> server = [] {
    std::unique_ptr<RedisServer> s(new RedisServer());
    if (!s->Start()) {
      std::fprintf(stderr, "warning: no redis-server 7.0, differential tests skipped\n");
      s.reset();
    }
    return s;
  }();
  return server.get();
}

bool RedisServer::Start() {
  if (access(kRedisServerPath, X_OK) != 0) return false;
  for (int attempt = 0; attempt < 3 && fd_[1] < 0; attempt++) {
    const int port = FreePort();
    if (port <= 0) continue;
    const std::string port_str = std::to_string(port);
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test binary
      const int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) {
        dup2(devnull, 1);
        dup2(devnull, 2);
      }
      execl(kRedisServerPath, kRedisServerPath, "--port", port_str.c_str(), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", "/tmp", static_cast<char*>(nullptr));
      _exit(127);
    }
    if (pid_ < 0) return false;
    for (int i = 0; i < 250 && fd_[0] < 0; i++) {  // bounded: about five seconds
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      fd_[0] = ConnectTo(port);
    }
    if (fd_[0] >= 0) fd_[1] = ConnectTo(port);
    if (fd_[1] < 0 || Call({"PING"}, resp::Protocol::kResp2) != "+PONG\r\n" ||
        Call({"HELLO", "3"}, resp::Protocol::kResp3).empty() ||
        Call({"PING"}, resp::Protocol::kResp3) != "+PONG\r\n") {
      for (int& fd : fd_) {
        if (fd >= 0) close(fd);
        fd = -1;
      }
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  return fd_[1] >= 0;
}

RedisServer::~RedisServer() {
  for (int fd : fd_) {
    if (fd >= 0) close(fd);
  }
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string RedisServer::Call(const Args& args, resp::Protocol protocol) {
  const int i = protocol == resp::Protocol::kResp3 ? 1 : 0;
  const std::string req = Encode(args);
  size_t sent = 0;
  while (sent < req.size()) {
    const ssize_t n = write(fd_[i], req.data() + sent, req.size() - sent);
    if (n <= 0) return "";
    sent += static_cast<size_t>(n);
  }
  for (int reads = 0; reads < 100000; reads++) {  // bounded; each read waits at most 5 s
    const size_t len = ReplyLength(buf_[i], 0, 0);
    if (len > 0) {
      std::string reply = buf_[i].substr(0, len);
      buf_[i].erase(0, len);
      return reply;
    }
    char chunk[65536];
    const ssize_t n = read(fd_[i], chunk, sizeof(chunk));
    if (n <= 0) return "";
    buf_[i].append(chunk, static_cast<size_t>(n));
  }
  return "";
}

// ---- Harness ----------------------------------------------------------------------------------

class Harness::Events : public ShardEvents {
 public:
  explicit Events(Record* record) : record_(record) {}
  void KeyModified(std::string_view key) override { record_->modified.emplace_back(key); }
  void KeyReady(std::string_view key) override { record_->ready.emplace_back(key); }
  void Propagate(std::span<const std::string_view> args) override {
    record_->propagated.emplace_back(args.begin(), args.end());
  }
  void Block(std::span<const std::string_view> keys, int64_t deadline_ms) override {
    record_->blocked.emplace_back(keys.begin(), keys.end());
    record_->block_deadline_ms = deadline_ms;
  }

 private:
  Record* record_;
};

Harness::Harness() : db_(&cluster::KeySlot), events_(std::make_unique<Events>(&last_)) {}
Harness::~Harness() = default;

bool Harness::RunSetupCommand(const Args& args, resp::Encoder& enc) {
  const std::string name = Lower(args[0]);
  if (name == "flushall" && args.size() == 1) {
    db_.Flush();
    enc.SimpleString("OK");
  } else if ((name == "del" || name == "exists") && args.size() >= 2) {
    int64_t n = 0;
    for (size_t i = 1; i < args.size(); i++) {
      n += name == "del" ? db_.Delete(args[i], now_ms) : db_.Exists(args[i], now_ms);
    }
    enc.Integer(n);
  } else if (name == "set" && args.size() == 3) {
    db_.SetString(args[1], args[2]);
    enc.SimpleString("OK");
  } else if (name == "pexpire" && args.size() == 3) {
    int64_t ms = 0;
    engine::Entry* e = db_.Find(args[1], now_ms);
    if (e != nullptr && engine::ParseInt64(args[2], &ms) && ms > 0) db_.SetExpire(e, now_ms + ms);
    enc.Integer(e != nullptr ? 1 : 0);
  } else if (name == "ttl" && args.size() == 2) {
    engine::Entry* e = db_.Find(args[1], now_ms);
    const int64_t when = e != nullptr ? db_.GetExpire(e) : -1;
    enc.Integer(e == nullptr ? -2 : when < 0 ? -1 : (when - now_ms + 500) / 1000);
  } else if (name == "object" && args.size() == 3 && Lower(args[1]) == "encoding") {
    engine::Entry* e = db_.Find(args[2], now_ms);
    e != nullptr ? enc.Bulk(engine::Keyspace::ObjectEncoding(e)) : enc.Null();
  } else {
    return false;
  }
  return true;
}

std::string Harness::Run(const Args& args, resp::Protocol protocol) {
  std::string out;
  resp::Encoder enc(&out, protocol);
  last_ = Record();
  if (RunSetupCommand(args, enc)) return out;
  const std::string name = Lower(args[0]);
  Handler handler = nullptr;
  for (auto table : {StringHandlers(), KeyHandlers(), HashHandlers(), SetHandlers(), ListHandlers(),
                     SortedSetHandlers()}) {
    for (const HandlerRow& row : table) {
      if (row.name == name) handler = row.handler;
    }
  }
  const command::CommandInfo* info = command::FindCommand(name);
  if (handler == nullptr || info == nullptr) {
    enc.Error("ERR unknown command in test harness: " + name);
    return out;
  }
  const auto argc = static_cast<int32_t>(args.size());
  if ((info->arity > 0 && argc != info->arity) || argc < -info->arity) {
    enc.Error("ERR wrong number of arguments for '" + name + "' command");
    return out;
  }
  std::vector<std::string_view> views(args.begin(), args.end());
  ClientState client;
  client.protocol = protocol;
  CommandContext ctx(db_, enc, client, *events_, views, now_ms, info);
  ctx.may_block = may_block;
  handler(ctx);
  last_.dirty = ctx.dirty;
  last_.marked_propagated = ctx.propagated;
  return out;
}

}  // namespace slotproxy::server::handler_testing
