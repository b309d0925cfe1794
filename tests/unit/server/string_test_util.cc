#include "string_test_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include "cluster/crc16.h"
#include "command/command_table.h"
#include "engine/types/hash_value.h"
#include "engine/types/list_value.h"
#include "engine/types/set_value.h"
#include "resp/reply_parser.h"
#include "server/handler_tables.h"

namespace slotproxy::server::testing {
namespace {

uint16_t FreePort() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  uint16_t port = 0;
  if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(s);
  return port;
}

pid_t Spawn(uint16_t port) {
  const std::string port_str = std::to_string(port);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  // Child: the server must not outlive a test that crashes, nor hold the test's output pipes.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  const int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
  }
  const char* argv[] = {
      "redis-server", "--port", port_str.c_str(), "--bind",    "127.0.0.1",   "--save", "",
      "--appendonly", "no",     "--logfile",      "/dev/null", "--daemonize", "no",     nullptr};
  ::execvp("redis-server", const_cast<char* const*>(argv));
  ::_exit(127);
}

void StopProcess(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 100; ++i) {  // 5 s at most, then SIGKILL
    if (::waitpid(pid, &status, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
}

// Splits an array reply into its header line and the raw bytes of each element.
bool SplitArray(std::string_view raw, std::string* header, std::vector<std::string>* elements) {
  const size_t eol = raw.find("\r\n");
  if (eol == std::string_view::npos || raw.empty() || (raw[0] != '*' && raw[0] != '~')) {
    return false;
  }
  *header = std::string(raw.substr(0, eol + 2));
  std::string_view rest = raw.substr(eol + 2);
  while (!rest.empty()) {
    resp::ReplyParser parser;
    if (parser.Parse(rest) != resp::ReplyStatus::kComplete) return false;
    elements->emplace_back(rest.substr(0, parser.info().length));
    rest.remove_prefix(parser.info().length);
  }
  return true;
}

bool ParseIntegerReply(std::string_view raw, int64_t* v) {
  if (raw.size() < 4 || raw[0] != ':') return false;
  *v = std::stoll(std::string(raw.substr(1, raw.size() - 3)));
  return true;
}

const HandlerRow* FindRow(std::string_view name) {
  for (auto table : {StringHandlers(), KeyHandlers()}) {
    for (const HandlerRow& row : table) {
      if (row.name == name) return &row;
    }
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<RedisServerProcess> RedisServerProcess::Start(std::string* error) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    const uint16_t port = FreePort();
    if (port == 0) continue;
    const pid_t pid = Spawn(port);
    if (pid < 0) break;
    std::unique_ptr<RedisServerProcess> p(new RedisServerProcess(pid, port));
    for (int i = 0; i < 100; ++i) {  // 100 x 50 ms
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {  // died: port taken meanwhile?
        p->pid_ = -1;
        break;
      }
      auto c = RawClient::Connect(port);
      if (c && c->Call({"PING"}) == "+PONG\r\n") return p;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  *error = "redis-server did not start (is it installed?)";
  return nullptr;
}

RedisServerProcess::~RedisServerProcess() { StopProcess(pid_); }

std::unique_ptr<RawClient> RawClient::Connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
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
  return std::unique_ptr<RawClient>(new RawClient(fd));
}

RawClient::~RawClient() { ::close(fd_); }

std::string RawClient::Call(const Args& args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  std::string req;
  resp::EncodeCommand(std::span<const std::string_view>(views), &req);
  for (size_t sent = 0; sent < req.size();) {
    const ssize_t n = ::send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return "IOERR";
    sent += static_cast<size_t>(n);
  }
  resp::ReplyParser parser;
  for (int reads = 0; reads < 100000; ++reads) {
    const resp::ReplyStatus st = parser.Parse(buf_);
    if (st == resp::ReplyStatus::kError) return "IOERR";
    if (st == resp::ReplyStatus::kComplete) {
      std::string reply = buf_.substr(0, parser.info().length);
      buf_.erase(0, parser.info().length);
      return reply;
    }
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return "IOERR";  // EOF, error or the receive timeout
    buf_.append(chunk, static_cast<size_t>(n));
  }
  return "IOERR";
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HandlerHarness::HandlerHarness() : db_(&cluster::KeySlot) {}

std::string HandlerHarness::Call(const Args& args, resp::Protocol protocol, int64_t now_ms) {
  std::vector<std::string_view> views(args.begin(), args.end());
  const command::CommandInfo* info = command::CommandTable::BuiltIn().Lookup(views);
  const HandlerRow* row = info != nullptr ? FindRow(info->name) : nullptr;
  if (row == nullptr) {
    FAIL_CHECK("no string/key handler for " << args[0]);
    return "NOHANDLER";
  }
  const auto argc = static_cast<int32_t>(args.size());
  if (info->arity > 0 ? argc != info->arity : argc < -info->arity) {
    FAIL_CHECK("wrong arity in the test for " << args[0]);
    return "ARITY";
  }
  std::string out;
  resp::Encoder encoder(&out, protocol);
  ClientState client;
  client.protocol = protocol;
  CommandContext ctx(db_, encoder, client, events, views, now_ms < 0 ? NowMs() : now_ms, info);
  row->handler(ctx);
  last_dirty = ctx.dirty;
  last_propagated = ctx.propagated;
  last_reply_count = 0;
  for (std::string_view rest = out; !rest.empty(); ++last_reply_count) {
    resp::ReplyParser parser;
    if (parser.Parse(rest) != resp::ReplyStatus::kComplete) {
      FAIL_CHECK("malformed reply " << Printable(out));
      break;
    }
    rest.remove_prefix(parser.info().length);
  }
  CHECK(last_reply_count == 1);
  return out;
}

std::string ProtocolName(resp::Protocol p) {
  return p == resp::Protocol::kResp3 ? "RESP3" : "RESP2";
}

std::string Printable(std::string_view bytes) {
  std::string s;
  for (char c : bytes) {
    if (c == '\r') {
      s += "\\r";
    } else if (c == '\n') {
      s += "\\n";
    } else {
      s += c;
    }
  }
  return s;
}

namespace {

std::string Joined(const Args& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "" : " ") + Printable(a);
  return s;
}

}  // namespace

void Differ::Reset() {
  redis_->Call({"FLUSHALL"});
  ours_->db().Flush();
}

void Differ::Same(const Args& args) {
  const std::string want = redis_->Call(args);
  const std::string got = ours_->Call(args, protocol_);
  if (want != got) {
    ++mismatches_;
    FAIL_CHECK(ProtocolName(protocol_) << " " << Joined(args) << "\n  redis: " << Printable(want)
                                       << "\n  ours:  " << Printable(got));
  }
}

void Differ::Near(const Args& args, int64_t tolerance) {
  const std::string want = redis_->Call(args);
  const std::string got = ours_->Call(args, protocol_);
  int64_t a = 0;
  int64_t b = 0;
  if (want == got) return;
  // -1 / -2 (no TTL, no key) must match exactly; only remaining times may differ a little.
  if (!ParseIntegerReply(want, &a) || !ParseIntegerReply(got, &b) || a < 0 || b < 0 ||
      a - b > tolerance || b - a > tolerance) {
    ++mismatches_;
    FAIL_CHECK(ProtocolName(protocol_) << " " << Joined(args) << "\n  redis: " << Printable(want)
                                       << "\n  ours:  " << Printable(got));
  }
}

void Differ::SameUnordered(const Args& args) {
  const std::string want = redis_->Call(args);
  const std::string got = ours_->Call(args, protocol_);
  std::string hw;
  std::string hg;
  std::vector<std::string> ew;
  std::vector<std::string> eg;
  const bool ok = SplitArray(want, &hw, &ew) && SplitArray(got, &hg, &eg);
  std::sort(ew.begin(), ew.end());
  std::sort(eg.begin(), eg.end());
  if (!ok ? want != got : (hw != hg || ew != eg)) {
    ++mismatches_;
    FAIL_CHECK(ProtocolName(protocol_) << " " << Joined(args) << "\n  redis: " << Printable(want)
                                       << "\n  ours:  " << Printable(got));
  }
}

namespace {

// Runs a whole SCAN through `call`; the sorted, deduplicated keys, or {"ERROR <reply>"}.
template <class CallFn>
std::vector<std::string> FullScan(const Args& options, CallFn call) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  for (int step = 0; step < 100000; ++step) {
    Args args = {"SCAN", cursor};
    args.insert(args.end(), options.begin(), options.end());
    const std::string raw = call(args);
    std::string header;
    std::vector<std::string> parts;
    std::vector<std::string> found;
    std::string inner_header;
    if (!SplitArray(raw, &header, &parts) || parts.size() != 2 ||
        !SplitArray(parts[1], &inner_header, &found)) {
      return {"ERROR " + Printable(raw)};
    }
    keys.insert(keys.end(), found.begin(), found.end());
    const size_t eol = parts[0].find("\r\n");
    cursor = parts[0].substr(eol + 2, parts[0].size() - eol - 4);
    if (cursor == "0") break;
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace

void Differ::SameScan(const Args& options) {
  const auto want = FullScan(options, [&](const Args& a) { return redis_->Call(a); });
  const auto got = FullScan(options, [&](const Args& a) { return ours_->Call(a, protocol_); });
  if (want != got) {
    ++mismatches_;
    FAIL_CHECK(ProtocolName(protocol_) << " SCAN " << Joined(options) << ": redis " << want.size()
                                       << " keys, ours " << got.size());
  }
}

void Differ::MakeContainer(const std::string& type, const std::string& key) {
  const std::vector<std::string_view> items = {"a", "1", "b", "2"};
  // Replace whatever is there on both sides (RPUSH on a string would fail on Redis only).
  redis_->Call({"DEL", key});
  ours_->db().Delete(key, NowMs());
  if (type == "list") {
    redis_->Call({"RPUSH", key, "a", "1", "b", "2"});
    auto v = std::make_unique<engine::ListValue>();
    v->PushBack(std::span<const std::string_view>(items));
    ours_->db().Store(key, std::move(v));
  } else if (type == "set") {
    redis_->Call({"SADD", key, "a", "1", "b", "2"});
    auto v = std::make_unique<engine::SetValue>();
    v->AddMany(std::span<const std::string_view>(items));
    ours_->db().Store(key, std::move(v));
  } else {
    redis_->Call({"HSET", key, "a", "1", "b", "2"});
    auto v = std::make_unique<engine::HashValue>();
    v->SetMany(std::span<const std::string_view>(items));
    ours_->db().Store(key, std::move(v));
  }
}

}  // namespace slotproxy::server::testing

namespace slotproxy::server::testing {

void RunDifferential(const std::function<void(Differ&)>& body) {
  std::string error;
  auto redis = RedisServerProcess::Start(&error);
  if (!redis) {
    WARN("skipped: " << error);
    return;
  }
  for (resp::Protocol p : {resp::Protocol::kResp2, resp::Protocol::kResp3}) {
    auto conn = RawClient::Connect(redis->port());
    REQUIRE(conn);
    if (p == resp::Protocol::kResp3) REQUIRE(conn->Call({"HELLO", "3"}).rfind("%", 0) == 0);
    HandlerHarness ours;
    Differ d(conn.get(), &ours, p);
    d.Reset();
    body(d);
    CHECK(d.mismatches() == 0);
  }
}

}  // namespace slotproxy::server::testing
