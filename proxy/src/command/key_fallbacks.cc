// Redis 7.0's getkeys procedures (src/db.c), used when a command's key specs cannot describe
// the request. Ported literally, quirks included, so COMMAND GETKEYS answers as Redis does.
#include <cstdint>
#include <limits>
#include <string_view>

#include "command/key_extraction.h"

namespace slotproxy::command::internal {
namespace {

using Args = std::span<const std::string_view>;

std::string_view UpToNul(std::string_view s) {
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

// glibc atoi: (int)strtol(s, NULL, 10). Leading blanks, a sign, digits; saturates at the long
// limits, then truncates to int as gcc does.
int32_t Atoi(std::string_view s) {
  s = UpToNul(s);
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  constexpr uint64_t kLimit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t v = 0;
  bool overflow = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    if (v > kLimit + (negative ? 1 : 0)) overflow = true;
    if (overflow) v = kLimit + 1;  // keep it bounded
  }
  int64_t as_long;
  if (overflow) {
    as_long = negative ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  } else {
    as_long = negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  }
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(as_long)));
}

// genericGetKeys: a key count at keyCountOfs, then the keys; an optional store key last.
void GenericKeys(int store, int count_at, int first, int step, Args args, KeyRefs* out,
                 uint32_t key_flags, uint32_t store_flags) {
  const int64_t argc = static_cast<int64_t>(args.size());
  if (count_at >= argc) return;
  const int64_t num = Atoi(args[static_cast<size_t>(count_at)]);
  // Redis's sanity check: no keys when the command will fail with a syntax error.
  if (num < 1 || num > (argc - first) / step) return;
  for (int64_t i = 0; i < num; ++i)
    out->push_back({static_cast<int32_t>(first + i * step), key_flags});
  if (store != 0) out->push_back({store, store_flags});
}

void SortKeys(Args args, KeyRefs* out) {
  out->push_back({1, key_flag::kRO | key_flag::kAccess});
  int64_t store = -1;
  const int64_t argc = static_cast<int64_t>(args.size());
  for (int64_t i = 2; i < argc; ++i) {
    std::string_view arg = args[static_cast<size_t>(i)];
    if (ArgEquals(arg, "limit")) {
      i += 2;
    } else if (ArgEquals(arg, "get") || ArgEquals(arg, "by")) {
      i += 1;
    } else if (ArgEquals(arg, "store") && i + 1 < argc) {
      store = i + 1;  // the last STORE wins, as in SORT itself; the key is scanned next
    }
  }
  if (store > 0) out->push_back({static_cast<int32_t>(store), key_flag::kOW | key_flag::kUpdate});
}

void MigrateKeys(Args args, KeyRefs* out) {
  int64_t first = 3;
  int64_t num = 1;
  const int64_t argc = static_cast<int64_t>(args.size());
  for (int64_t i = 6; i < argc; ++i) {
    std::string_view arg = args[static_cast<size_t>(i)];
    if (ArgEquals(arg, "keys")) {
      if (!args[3].empty()) return;  // Redis logs "Cannot use MIGRATE KEYS option ..."
      first = i + 1;
      num = argc - first;
      break;
    }
    if (ArgEquals(arg, "auth")) {
      i += 1;
    } else if (ArgEquals(arg, "auth2")) {
      i += 2;
    }
  }
  if (argc <= 3) return;
  for (int64_t i = 0; i < num; ++i) {
    out->push_back(
        {static_cast<int32_t>(first + i), key_flag::kRW | key_flag::kAccess | key_flag::kDelete});
  }
}

void GeoradiusKeys(Args args, KeyRefs* out) {
  int64_t stored = -1;
  const int64_t argc = static_cast<int64_t>(args.size());
  for (int64_t i = 5; i < argc; ++i) {
    std::string_view arg = args[static_cast<size_t>(i)];
    if ((ArgEquals(arg, "store") || ArgEquals(arg, "storedist")) && i + 1 < argc) {
      stored = i + 1;
      ++i;
    }
  }
  out->push_back({1, key_flag::kRO | key_flag::kAccess});
  if (stored > 0) out->push_back({static_cast<int32_t>(stored), key_flag::kOW | key_flag::kUpdate});
}

void XreadKeys(const CommandInfo& info, Args args, KeyRefs* out) {
  const int64_t argc = static_cast<int64_t>(args.size());
  int64_t streams = -1;
  for (int64_t i = 1; i < argc; ++i) {
    std::string_view arg = args[static_cast<size_t>(i)];
    if (ArgEquals(arg, "block") || ArgEquals(arg, "count")) {
      ++i;
    } else if (ArgEquals(arg, "group")) {
      i += 2;
    } else if (ArgEquals(arg, "noack")) {
      // no argument
    } else if (ArgEquals(arg, "streams")) {
      streams = i;
      break;
    } else {
      break;
    }
  }
  int64_t num = argc - streams - 1;
  if (streams == -1 || num == 0 || num % 2 != 0) return;
  num /= 2;
  const uint32_t flags = info.name == "xreadgroup"
                             ? key_flag::kRW | key_flag::kAccess | key_flag::kUpdate
                             : key_flag::kRO | key_flag::kAccess;
  for (int64_t i = streams + 1; i < argc - num; ++i)
    out->push_back({static_cast<int32_t>(i), flags});
}

void SetKeys(Args args, KeyRefs* out) {
  for (size_t i = 3; i < args.size(); ++i) {
    if (ArgEquals(args[i], "get")) {
      out->push_back({1, key_flag::kRW | key_flag::kAccess | key_flag::kUpdate});
      return;
    }
  }
  out->push_back({1, key_flag::kOW | key_flag::kUpdate});
}

void BitfieldKeys(Args args, KeyRefs* out) {
  bool readonly = true;
  const int64_t argc = static_cast<int64_t>(args.size());
  for (int64_t i = 2; i < argc; ++i) {
    const int64_t remaining = argc - i - 1;
    std::string_view arg = args[static_cast<size_t>(i)];
    if (ArgEquals(arg, "get") && remaining >= 2) {
      i += 2;
    } else if ((ArgEquals(arg, "set") || ArgEquals(arg, "incrby")) && remaining >= 3) {
      readonly = false;
      break;
    } else if (ArgEquals(arg, "overflow") && remaining >= 1) {
      i += 1;
    } else {
      readonly = false;  // a syntax error: safer to assume a write
      break;
    }
  }
  out->push_back({1, readonly ? key_flag::kRO | key_flag::kAccess
                              : key_flag::kRW | key_flag::kAccess | key_flag::kUpdate});
}

enum class Proc : uint8_t {
  kNone,
  kEval,
  kKeysAt1,
  kStoreKeysAt2,
  kKeysAt2,
  kSort,
  kSortRo,
  kMigrate,
  kGeoradius,
  kXread,
  kSet,
  kBitfield
};

struct ProcRow {
  std::string_view name;
  Proc proc;
};

constexpr ProcRow kProcs[] = {
    {"eval", Proc::kEval},
    {"evalsha", Proc::kEval},
    {"eval_ro", Proc::kEval},
    {"evalsha_ro", Proc::kEval},
    {"fcall", Proc::kEval},
    {"fcall_ro", Proc::kEval},
    {"zunion", Proc::kKeysAt1},
    {"zinter", Proc::kKeysAt1},
    {"zdiff", Proc::kKeysAt1},
    {"zintercard", Proc::kKeysAt1},
    {"sintercard", Proc::kKeysAt1},
    {"lmpop", Proc::kKeysAt1},
    {"zmpop", Proc::kKeysAt1},
    {"blmpop", Proc::kKeysAt2},
    {"bzmpop", Proc::kKeysAt2},
    {"zunionstore", Proc::kStoreKeysAt2},
    {"zinterstore", Proc::kStoreKeysAt2},
    {"zdiffstore", Proc::kStoreKeysAt2},
    {"sort", Proc::kSort},
    {"sort_ro", Proc::kSortRo},
    {"migrate", Proc::kMigrate},
    {"georadius", Proc::kGeoradius},
    {"georadiusbymember", Proc::kGeoradius},
    {"xread", Proc::kXread},
    {"xreadgroup", Proc::kXread},
    {"set", Proc::kSet},
    {"bitfield", Proc::kBitfield},
};

}  // namespace

uint8_t FindKeysProc(std::string_view name) {
  for (const ProcRow& row : kProcs) {
    if (row.name == name) return static_cast<uint8_t>(row.proc);
  }
  return 0;
}

bool ArgEquals(std::string_view arg, std::string_view word) {
  arg = UpToNul(arg);
  if (arg.size() != word.size()) return false;
  for (size_t i = 0; i < arg.size(); ++i) {
    char a = arg[i];
    char b = word[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

bool KeysProcYieldsKeyAtOne(const CommandInfo& info) {
  const Proc proc = static_cast<Proc>(info.keys_proc);
  return proc == Proc::kSet || proc == Proc::kBitfield || proc == Proc::kSortRo;
}

void RunKeysFallback(const CommandInfo& info, Args args, KeyRefs* out) {
  switch (static_cast<Proc>(info.keys_proc)) {
    case Proc::kEval:
      return GenericKeys(0, 2, 3, 1, args, out, 0, 0);
    case Proc::kKeysAt1:
      return GenericKeys(0, 1, 2, 1, args, out, 0, 0);
    case Proc::kKeysAt2:
      return GenericKeys(0, 2, 3, 1, args, out, 0, 0);
    case Proc::kStoreKeysAt2:
      return GenericKeys(1, 2, 3, 1, args, out, 0, 0);
    case Proc::kSort:
      return SortKeys(args, out);
    case Proc::kSortRo:
      out->push_back({1, key_flag::kRO | key_flag::kAccess});
      return;
    case Proc::kMigrate:
      return MigrateKeys(args, out);
    case Proc::kGeoradius:
      return GeoradiusKeys(args, out);
    case Proc::kXread:
      return XreadKeys(info, args, out);
    case Proc::kSet:
      return SetKeys(args, out);
    case Proc::kBitfield:
      return BitfieldKeys(args, out);
    case Proc::kNone:
      return;
  }
}

}  // namespace slotproxy::command::internal

namespace slotproxy::command {

bool HasKeysFallback(const CommandInfo& info) { return info.keys_proc != 0; }

}  // namespace slotproxy::command
