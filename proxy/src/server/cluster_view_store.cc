#include "server/cluster_view_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cluster/crc16.h"
#include "cluster/fleet.h"

namespace slotproxy::server {
namespace {

// Decimal digits only, the whole of `s`, no overflow.
template <class T>
bool ParseNumber(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// `s` split at every `sep`, empty pieces dropped.
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Status LineError(size_t line, std::string_view what) {
  return Status::Error("nodes.conf line " + std::to_string(line) + ": " + std::string(what));
}

bool ParseSlot(std::string_view s, uint16_t* out) {
  uint32_t v = 0;
  if (!ParseNumber(s, &v) || v >= static_cast<uint32_t>(cluster::kSlotCount)) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}

bool ParsePort(std::string_view s, uint16_t* out) {
  uint32_t v = 0;
  if (!ParseNumber(s, &v) || v > 65535) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}

// "ip:port@cport[,hostname]"; the ip may be empty or an IPv6 literal (split on the last ':').
bool ParseAddress(std::string_view s, StoredNode* node) {
  size_t at = s.rfind('@');
  if (at == std::string_view::npos) return false;
  std::string_view bus = s.substr(at + 1);
  size_t comma = bus.find(',');
  if (comma != std::string_view::npos) {
    node->hostname = std::string(bus.substr(comma + 1));
    bus = bus.substr(0, comma);
  }
  std::string_view hostport = s.substr(0, at);
  size_t colon = hostport.rfind(':');
  if (colon == std::string_view::npos) return false;
  node->host = std::string(hostport.substr(0, colon));
  // The bus port may be the unwrapped default port + 10000 (up to 75535).
  return ParsePort(hostport.substr(colon + 1), &node->port) && ParseNumber(bus, &node->bus_port) &&
         node->bus_port <= 65535 + 10000;
}

// One slot field: "N", "N-M", "[N->-id]" or "[N-<-id]".
bool ParseSlotField(std::string_view f, StoredNode* node, std::vector<StoredMigration>* out) {
  if (f.size() > 2 && f.front() == '[' && f.back() == ']') {
    std::string_view body = f.substr(1, f.size() - 2);
    for (std::string_view marker : {std::string_view("->-"), std::string_view("-<-")}) {
      size_t pos = body.find(marker);
      if (pos == std::string_view::npos) continue;
      StoredMigration m;
      m.migrating = marker == "->-";
      m.peer_id = std::string(body.substr(pos + 3));
      if (!ParseSlot(body.substr(0, pos), &m.slot) || !cluster::IsValidNodeId(m.peer_id)) {
        return false;
      }
      out->push_back(std::move(m));
      return true;
    }
    return false;
  }
  cluster::SlotRange r;
  size_t dash = f.find('-');
  if (dash == std::string_view::npos) {
    if (!ParseSlot(f, &r.start)) return false;
    r.end = r.start;
  } else if (!ParseSlot(f.substr(0, dash), &r.start) || !ParseSlot(f.substr(dash + 1), &r.end) ||
             r.start > r.end) {
    return false;
  }
  node->slots.push_back(r);
  return true;
}

Status ParseNodeLine(size_t line_no, const std::vector<std::string_view>& f, StoredView* view) {
  if (f.size() < 8) return LineError(line_no, "expected at least 8 fields");
  StoredNode node;
  node.id = std::string(f[0]);
  if (!cluster::IsValidNodeId(node.id)) return LineError(line_no, "bad node id");
  if (!ParseAddress(f[1], &node))
    return LineError(line_no, "bad address '" + std::string(f[1]) + "'");
  for (std::string_view flag : Split(f[2], ',')) {
    if (flag == "myself") node.myself = true;
    if (flag == "slave") node.master = false;
  }
  if (f[3] != "-") node.master_id = std::string(f[3]);
  if (!ParseNumber(f[6], &node.config_epoch)) return LineError(line_no, "bad config epoch");
  for (size_t i = 8; i < f.size(); ++i) {
    std::vector<StoredMigration> migrations;
    if (!ParseSlotField(f[i], &node, &migrations)) {
      return LineError(line_no, "bad slot '" + std::string(f[i]) + "'");
    }
    if (!migrations.empty() && !node.myself) {
      return LineError(line_no, "migration marker on a line that is not myself");
    }
    for (auto& m : migrations) view->migrations.push_back(std::move(m));
  }
  view->nodes.push_back(std::move(node));
  return Status();
}

Status ParseVarsLine(size_t line_no, const std::vector<std::string_view>& f, StoredView* view) {
  for (size_t i = 1; i + 1 < f.size(); i += 2) {
    uint64_t* target = f[i] == "currentEpoch"    ? &view->current_epoch
                       : f[i] == "lastVoteEpoch" ? &view->last_vote_epoch
                                                 : nullptr;
    if (target != nullptr && !ParseNumber(f[i + 1], target)) {
      return LineError(line_no, "bad " + std::string(f[i]));
    }
  }
  return Status();
}

std::string ErrnoText(std::string_view call, const std::string& path) {
  return std::string(call) + " " + path + ": " + std::strerror(errno);
}

}  // namespace

Result<StoredView> ParseStoredView(std::string_view text) {
  StoredView view;
  size_t line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::vector<std::string_view> f = Split(line, ' ');
    Status st =
        f[0] == "vars" ? ParseVarsLine(line_no, f, &view) : ParseNodeLine(line_no, f, &view);
    if (!st.ok()) return st;
  }
  size_t myself = 0;
  for (const StoredNode& n : view.nodes) myself += n.myself ? 1 : 0;
  if (myself != 1) return Status::Error("nodes.conf: expected exactly one 'myself' node");
  return view;
}

Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error(ErrnoText("open", tmp));
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status st = Status::Error(ErrnoText("write", tmp));
      ::close(fd);
      ::unlink(tmp.c_str());
      return st;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status st = Status::Error(ErrnoText("fsync", tmp));
    ::close(fd);
    ::unlink(tmp.c_str());
    return st;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = Status::Error(ErrnoText("rename", tmp));
    ::unlink(tmp.c_str());
    return st;
  }
  // The rename is durable only once the directory entry is on disk.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status();
}

Result<std::optional<std::string>> ReadFileIfExists(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec) return Status::Error("stat " + path + ": " + ec.message());
    return std::optional<std::string>();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(ErrnoText("open", path));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::Error(ErrnoText("read", path));
  return std::optional<std::string>(buf.str());
}

}  // namespace slotproxy::server
