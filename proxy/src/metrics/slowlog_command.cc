#include "metrics/slowlog_command.h"

#include <cstdint>
#include <limits>
#include <string>

namespace slotproxy::metrics {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Redis's string2ll: optional '-', no '+', no spaces, no leading zeros, no overflow.
bool ParseLongLong(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s == "0") {
    *out = 0;
    return true;
  }
  bool neg = s[0] == '-';
  size_t i = neg ? 1 : 0;
  if (i >= s.size() || s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  uint64_t max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (neg) {
    if (v > max + 1) return false;
    *out = v == max + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v);
  } else {
    if (v > max) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

constexpr std::string_view kHelp[] = {
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name, then (slotproxy) proxy and backend time in microseconds",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
};

void WrongArity(std::string_view full_name, resp::Encoder* enc) {
  enc->Error("ERR wrong number of arguments for '" + std::string(full_name) + "' command");
}

void Get(SlowLog& log, std::span<const std::string_view> args, resp::Encoder* enc) {
  int64_t count = 10;
  if (args.size() == 3) {
    if (!ParseLongLong(args[2], &count) || count < -1) {
      enc->Error("ERR count should be greater than or equal to -1");
      return;
    }
  }
  auto entries = log.Newest(count == -1 ? SIZE_MAX : static_cast<size_t>(count));
  enc->ArrayHeader(entries.size());
  for (const SlowLogEntry& e : entries) EncodeSlowlogEntry(e, enc);
}

}  // namespace

void EncodeSlowlogEntry(const SlowLogEntry& e, resp::Encoder* enc) {
  enc->ArrayHeader(8);
  enc->Integer(e.id);
  enc->Integer(e.unix_time);
  enc->Integer(e.duration_us);
  enc->ArrayHeader(e.args.size());
  for (const std::string& a : e.args) enc->Bulk(a);
  enc->Bulk(e.client_addr);
  enc->Bulk(e.client_name);
  enc->Integer(e.duration_us > e.backend_us ? e.duration_us - e.backend_us : 0);
  enc->Integer(e.backend_us);
}

void SlowlogCommand(SlowLog& log, std::span<const std::string_view> args, resp::Encoder* enc) {
  if (args.size() < 2) {
    WrongArity("slowlog", enc);
    return;
  }
  std::string_view sub = args[1];
  if (EqualsNoCase(sub, "get")) {
    if (args.size() > 3) {
      // Redis: arity -2 passes, then slowlogCommand's catch-all (argv[1] as the client typed it).
      enc->Error("ERR unknown subcommand or wrong number of arguments for '" +
                 std::string(sub.substr(0, 128)) + "'. Try SLOWLOG HELP.");
      return;
    }
    Get(log, args, enc);
    return;
  }
  bool len = EqualsNoCase(sub, "len"), reset = EqualsNoCase(sub, "reset"),
       help = EqualsNoCase(sub, "help");
  if (!len && !reset && !help) {
    enc->Error("ERR unknown subcommand '" + std::string(sub.substr(0, 128)) +
               "'. Try SLOWLOG HELP.");
    return;
  }
  if (args.size() != 2) {
    WrongArity(len ? "slowlog|len" : reset ? "slowlog|reset" : "slowlog|help", enc);
    return;
  }
  if (len) {
    enc->Integer(static_cast<int64_t>(log.Len()));
  } else if (reset) {
    log.Reset();
    enc->SimpleString("OK");
  } else {
    enc->ArrayHeader(std::size(kHelp));
    for (std::string_view line : kHelp) enc->SimpleString(line);
  }
}

}  // namespace slotproxy::metrics
