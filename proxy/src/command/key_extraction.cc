#include "command/key_extraction.h"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace slotproxy::command {
namespace {

// Redis's string2ll: a strict decimal int64 ("-0", "01", "+1", " 1" are rejected).
bool StrictInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s == "0") {
    *out = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    i = 1;
    if (s.size() == 1) return false;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (v > kMax + 1) return false;
    *out = v == kMax + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v);
  } else {
    if (v > kMax) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

// Where the keys of one spec start (0: the keyword was not found, skip the spec); -1 for an
// unknown begin-search.
int64_t BeginSearch(const KeySpec& spec, std::span<const std::string_view> args) {
  const int64_t argc = static_cast<int64_t>(args.size());
  if (spec.bs_type == BeginSearchType::kIndex) return spec.bs_index;
  if (spec.bs_type != BeginSearchType::kKeyword) return -1;
  // As Redis: the end index is exclusive, so the last argument (or argv[1] when searching
  // backwards) is never taken as the keyword.
  const int64_t start = spec.bs_startfrom > 0 ? spec.bs_startfrom : argc + spec.bs_startfrom;
  const int64_t end = spec.bs_startfrom > 0 ? argc - 1 : 1;
  for (int64_t i = start; i != end; i = start <= end ? i + 1 : i - 1) {
    if (i >= argc || i < 1) break;
    if (internal::ArgEquals(args[static_cast<size_t>(i)], spec.bs_keyword)) return i + 1;
  }
  return 0;
}

// Applies one spec from `first`; false when it does not fit the arguments.
bool FindKeys(const KeySpec& spec, int64_t first, std::span<const std::string_view> args,
              KeyRefs* out) {
  const int64_t argc = static_cast<int64_t>(args.size());
  int64_t last = 0;
  int64_t step = 0;
  if (spec.fk_type == FindKeysType::kRange) {
    step = spec.fk_keystep;
    if (spec.fk_lastkey >= 0) {
      last = first + spec.fk_lastkey;
    } else if (spec.fk_limit == 0) {
      last = argc + spec.fk_lastkey;
    } else {
      last = first + ((argc - first) / spec.fk_limit + spec.fk_lastkey);
    }
  } else if (spec.fk_type == FindKeysType::kKeynum) {
    step = spec.fk_keystep;
    // Redis checks only keynumidx < argc; check the real index too.
    const int64_t at = first + spec.fk_keynumidx;
    int64_t numkeys = 0;
    if (spec.fk_keynumidx >= argc || at < 0 || at >= argc) return false;
    if (!StrictInt64(args[static_cast<size_t>(at)], &numkeys) || numkeys < 0) return false;
    first += spec.fk_firstkey;
    last = first + static_cast<int32_t>(numkeys) - 1;  // Redis casts the count to int
  } else {
    return false;
  }
  if (last >= argc || last < first || first >= argc || first < 0) return false;
  if (step < 1) return false;  // a backend's spec could say 0: never loop forever
  for (int64_t i = first; i <= last; i += step) {
    out->push_back(KeyRef{static_cast<int32_t>(i), spec.flags});
  }
  return true;
}

bool HasSpecWithFlags(const CommandInfo& info, uint32_t bit, bool want_set) {
  for (const KeySpec& spec : info.key_specs) {
    if (((spec.flags & bit) != 0) == want_set) return true;
  }
  return false;
}

// The keys `layout` promises for `argc` arguments; false when it promises nothing for this call.
bool ExtractKeysByLayout(const KeyLayoutSummary& layout, size_t argc, bool include_not_key,
                         KeyRefs* out) {
  if (layout.layout == KeyLayout::kNone) {
    out->clear();
    return true;
  }
  if (layout.layout == KeyLayout::kGeneral || argc < 2 || !layout.fixed_flags ||
      (layout.not_key && !include_not_key)) {
    return false;
  }
  out->clear();
  if (layout.layout == KeyLayout::kSingleAtOne) {
    out->push_back(KeyRef{1, layout.key_flags});
    return true;
  }
  for (size_t pos = 1; pos < argc; pos += layout.step) {
    out->push_back(KeyRef{static_cast<int32_t>(pos), layout.key_flags});
  }
  return true;
}

}  // namespace

SpecResult ExtractKeysBySpecs(const CommandInfo& info, std::span<const std::string_view> args,
                              bool include_not_key, KeyRefs* out) {
  out->clear();
  SpecResult result = SpecResult::kComplete;
  for (const KeySpec& spec : info.key_specs) {
    if ((spec.flags & key_flag::kNotKey) != 0 && !include_not_key) continue;
    int64_t first = BeginSearch(spec, args);
    if (first == 0) continue;  // keyword absent: this spec has no keys
    if (first < 0 || !FindKeys(spec, first, args, out) ||
        (spec.flags & key_flag::kIncomplete) != 0) {
      result = SpecResult::kNeedsFallback;
    }
  }
  return result;
}

bool CommandHasKeys(const CommandInfo& info) {
  return HasKeysFallback(info) || HasSpecWithFlags(info, key_flag::kNotKey, false);
}

KeyLayoutSummary SummarizeKeyLayout(const CommandInfo& info) {
  KeyLayoutSummary summary;
  const bool has_fallback = HasKeysFallback(info);
  if (info.key_specs.empty()) {
    if (!has_fallback) summary.layout = KeyLayout::kNone;
    return summary;
  }
  if (info.key_specs.size() != 1) return summary;
  const KeySpec& spec = info.key_specs[0];
  // An incomplete spec sends ExtractKeys to the procedure (or to a backend); a step below 1 makes
  // the spec fail.
  if (spec.bs_type != BeginSearchType::kIndex || spec.bs_index != 1 ||
      spec.fk_type != FindKeysType::kRange || spec.fk_keystep < 1 ||
      (spec.flags & key_flag::kIncomplete) != 0) {
    return summary;
  }
  // As ExtractKeys: variable flags and a procedure mean the procedure finds the keys.
  const bool proc_decides = has_fallback && (spec.flags & key_flag::kVariableFlags) != 0;
  if (spec.fk_lastkey == 0) {
    if (proc_decides && !internal::KeysProcYieldsKeyAtOne(info)) return summary;
    summary.layout = KeyLayout::kSingleAtOne;
  } else if (spec.fk_lastkey == -1 && (spec.fk_limit == 0 || spec.fk_limit == 1) &&
             spec.fk_keystep <= 255 && !proc_decides) {
    // limit 0 and 1 both put the last key at argc - 1.
    summary.layout = KeyLayout::kOneToEnd;
    summary.step = static_cast<uint8_t>(spec.fk_keystep);
  } else {
    return summary;
  }
  summary.not_key = (spec.flags & key_flag::kNotKey) != 0;
  summary.fixed_flags = !proc_decides;
  summary.key_flags = spec.flags;
  return summary;
}

bool ExtractKeys(const CommandInfo& info, std::span<const std::string_view> args,
                 bool include_not_key, KeyRefs* out) {
  if (ExtractKeysByLayout(info.key_layout, args.size(), include_not_key, out)) return true;
  return internal::ExtractKeysBySearch(info, args, include_not_key, out);
}

bool internal::ExtractKeysBySearch(const CommandInfo& info, std::span<const std::string_view> args,
                                   bool include_not_key, KeyRefs* out) {
  out->clear();
  const bool has_fallback = HasKeysFallback(info);
  const bool usable_specs =
      include_not_key ? !info.key_specs.empty() : HasSpecWithFlags(info, key_flag::kNotKey, false);
  // Redis trusts specs unless their flags vary with the arguments (SET, BITFIELD), in which
  // case the procedure knows the flags; without one, the positions are still right.
  const bool variable = HasSpecWithFlags(info, key_flag::kVariableFlags, true);
  if (usable_specs && !(variable && has_fallback)) {
    if (ExtractKeysBySpecs(info, args, include_not_key, out) == SpecResult::kComplete) {
      return true;
    }
    if (!has_fallback) return false;  // partial keys in `out`
  }
  out->clear();
  if (has_fallback) internal::RunKeysFallback(info, args, out);
  // The procedures assume Redis's arity check passed; a caller may not have checked yet.
  const int32_t argc = static_cast<int32_t>(args.size());
  out->erase(std::remove_if(out->begin(), out->end(),
                            [argc](const KeyRef& k) { return k.pos < 1 || k.pos >= argc; }),
             out->end());
  return true;
}

Result<KeyRefs> CommandGetKeys(const CommandTable& table, std::span<const std::string_view> args) {
  const CommandInfo* info = table.Lookup(args);
  if (info == nullptr) return Status::Error("ERR Invalid command specified");
  if (!CommandHasKeys(*info)) return Status::Error("ERR The command has no key arguments");
  if (!CheckArity(*info, args.size())) {
    return Status::Error("ERR Invalid number of arguments specified for command");
  }
  KeyRefs keys;
  // Without a built-in procedure Redis answers "no keys" when a spec fails.
  if (!ExtractKeys(*info, args, /*include_not_key=*/false, &keys)) keys.clear();
  if (keys.empty() && !info->HasFlag(flag::kNoMandatoryKeys)) {
    return Status::Error("ERR Invalid arguments specified for command");
  }
  return keys;
}

}  // namespace slotproxy::command
