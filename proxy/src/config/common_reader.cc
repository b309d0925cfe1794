#include "config/common_reader.h"

#include <cctype>

namespace slotproxy::config::internal {

void ReadLog(const Section& parent, LogConfig* out) {
  constexpr std::string_view kKeys[] = {"level", "file"};
  Section log = parent.Sub("log", kKeys);
  if (auto v = log.Get("level")) {
    constexpr std::string_view kNames[] = {"debug", "verbose", "notice", "warning"};
    constexpr LogLevel kLevels[] = {LogLevel::kDebug, LogLevel::kVerbose, LogLevel::kNotice,
                                    LogLevel::kWarning};
    if (auto i = ReadChoice(log.sink(), *v, kNames)) out->level = kLevels[*i];
  }
  log.String("file", &out->file, false);
}

void ReadMetrics(const Section& parent, MetricsConfig* out) {
  constexpr std::string_view kKeys[] = {"listen", "request_stats"};
  Section metrics = parent.Sub("metrics", kKeys);
  metrics.Address("listen", 0, &out->listen);
  metrics.Bool("request_stats", &out->request_stats);
}

void ReadAppendFsync(const Section& parent, std::string_view key, AppendFsync* out) {
  if (auto v = parent.Get(key)) {
    constexpr std::string_view kNames[] = {"always", "everysec", "no"};
    constexpr AppendFsync kPolicies[] = {AppendFsync::kAlways, AppendFsync::kEverysec,
                                         AppendFsync::kNo};
    // YAML 1.1 readers turn a bare `no` into false; yaml-cpp keeps the text, so "no" is seen.
    if (auto i = ReadChoice(parent.sink(), *v, kNames)) *out = kPolicies[*i];
  }
}

void ReadBindAddress(const Section& parent, std::string_view key, std::string* out) {
  std::optional<Value> v = parent.Get(key);
  if (!v) return;
  std::optional<std::string> host = ReadString(parent.sink(), *v, false);
  if (!host) return;
  for (char c : *host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '[' || c == ']') {
      parent.sink().Add(v->mark, v->path,
                        "invalid bind address (expected a host name or IP address, no port)");
      return;
    }
  }
  size_t last_colon = host->rfind(':');
  if (last_colon != std::string::npos) {
    // Only an IPv6 literal may hold colons; "127.0.0.1:7000" or "localhost:7000" carry a port.
    bool v6 = host->find('.') == std::string::npos || host->find('.') > last_colon;
    for (char c : *host)
      v6 = v6 && (std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.' || c == '%');
    if (!v6) {
      parent.sink().Add(v->mark, v->path, "invalid bind address (give the port separately)");
      return;
    }
  }
  *out = std::move(*host);
}

}  // namespace slotproxy::config::internal
