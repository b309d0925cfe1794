// CommandInfo: one row of the command table (a command or a container's subcommand), as Redis 7
// describes it in COMMAND / COMMAND DOCS, plus the proxy's routing policy for it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "command/reply_node.h"

namespace slotproxy::command {

// Command flags, one bit each, in the order Redis 7.0 prints them in COMMAND (so printing the set
// bits in bit order reproduces Redis's reply). Redis hides may_replicate, sentinel and protected.
namespace flag {
inline constexpr uint32_t kWrite = 1u << 0;
inline constexpr uint32_t kReadonly = 1u << 1;
inline constexpr uint32_t kDenyOom = 1u << 2;
inline constexpr uint32_t kModule = 1u << 3;
inline constexpr uint32_t kAdmin = 1u << 4;
inline constexpr uint32_t kPubsub = 1u << 5;
inline constexpr uint32_t kNoScript = 1u << 6;
inline constexpr uint32_t kBlocking = 1u << 7;
inline constexpr uint32_t kLoading = 1u << 8;
inline constexpr uint32_t kStale = 1u << 9;
inline constexpr uint32_t kSkipMonitor = 1u << 10;
inline constexpr uint32_t kSkipSlowlog = 1u << 11;
inline constexpr uint32_t kAsking = 1u << 12;
inline constexpr uint32_t kFast = 1u << 13;
inline constexpr uint32_t kNoAuth = 1u << 14;
inline constexpr uint32_t kNoMandatoryKeys = 1u << 15;
inline constexpr uint32_t kNoAsyncLoading = 1u << 16;
inline constexpr uint32_t kNoMulti = 1u << 17;
inline constexpr uint32_t kMovableKeys = 1u << 18;
inline constexpr uint32_t kAllowBusy = 1u << 19;
inline constexpr int kCount = 20;
}  // namespace flag

// ACL categories, in Redis 7.0's ACLCommandCategories order (the order COMMAND prints them).
namespace acl {
inline constexpr uint32_t kKeyspace = 1u << 0;
inline constexpr uint32_t kRead = 1u << 1;
inline constexpr uint32_t kWrite = 1u << 2;
inline constexpr uint32_t kSet = 1u << 3;
inline constexpr uint32_t kSortedSet = 1u << 4;
inline constexpr uint32_t kList = 1u << 5;
inline constexpr uint32_t kHash = 1u << 6;
inline constexpr uint32_t kString = 1u << 7;
inline constexpr uint32_t kBitmap = 1u << 8;
inline constexpr uint32_t kHyperLogLog = 1u << 9;
inline constexpr uint32_t kGeo = 1u << 10;
inline constexpr uint32_t kStream = 1u << 11;
inline constexpr uint32_t kPubsub = 1u << 12;
inline constexpr uint32_t kAdmin = 1u << 13;
inline constexpr uint32_t kFast = 1u << 14;
inline constexpr uint32_t kSlow = 1u << 15;
inline constexpr uint32_t kBlocking = 1u << 16;
inline constexpr uint32_t kDangerous = 1u << 17;
inline constexpr uint32_t kConnection = 1u << 18;
inline constexpr uint32_t kTransaction = 1u << 19;
inline constexpr uint32_t kScripting = 1u << 20;
inline constexpr int kCount = 21;
}  // namespace acl

// Key-spec flags, in the order Redis 7.0 prints them.
namespace key_flag {
inline constexpr uint32_t kRO = 1u << 0;
inline constexpr uint32_t kRW = 1u << 1;
inline constexpr uint32_t kOW = 1u << 2;
inline constexpr uint32_t kRM = 1u << 3;
inline constexpr uint32_t kAccess = 1u << 4;
inline constexpr uint32_t kUpdate = 1u << 5;
inline constexpr uint32_t kInsert = 1u << 6;
inline constexpr uint32_t kDelete = 1u << 7;
inline constexpr uint32_t kNotKey = 1u << 8;
inline constexpr uint32_t kIncomplete = 1u << 9;
inline constexpr uint32_t kVariableFlags = 1u << 10;
inline constexpr int kCount = 11;
}  // namespace key_flag

// Names of the bits above, indexed by bit number ("write", "@read", "RO", ...).
std::span<const std::string_view> CommandFlagNames();
std::span<const std::string_view> AclCategoryNames();  // with the leading '@'
std::span<const std::string_view> KeySpecFlagNames();

// The bit for `name` in one of the name lists above (exact, case-sensitive match as Redis prints
// them); 0 when the name is unknown (e.g. a flag of a newer Redis).
uint32_t FlagBitByName(std::span<const std::string_view> names, std::string_view name);

enum class BeginSearchType : uint8_t { kUnknown, kIndex, kKeyword };
enum class FindKeysType : uint8_t { kUnknown, kRange, kKeynum };

// A Redis 7 key specification: where the keys of a command are in its argument vector.
struct KeySpec {
  uint32_t flags = 0;  // key_flag bits
  BeginSearchType bs_type = BeginSearchType::kUnknown;
  int32_t bs_index = 0;         // kIndex: argv position where the search starts
  std::string_view bs_keyword;  // kKeyword: the keyword after which the keys start
  int32_t bs_startfrom = 0;     // kKeyword: >0 search forward from here, <0 backward from argc+it
  FindKeysType fk_type = FindKeysType::kUnknown;
  int32_t fk_lastkey = 0;    // kRange: >=0 offset of the last key; <0 counted from the end
  int32_t fk_keystep = 0;    // kRange and kKeynum: distance between keys
  int32_t fk_limit = 0;      // kRange: with lastkey -1, use only 1/limit of the remaining args
  int32_t fk_keynumidx = 0;  // kKeynum: offset of the key count from the begin-search position
  int32_t fk_firstkey = 0;   // kKeynum: offset of the first key from the begin-search position
  std::string_view notes;    // free text Redis prints as "notes" when not empty
};

// How the proxy routes a command. See routing.h for the meaning of every kind.
enum class RouteKind : uint8_t {
  kSingleSlot,       // one key: forward to the owner of its slot
  kSameSlotOnly,     // several keys: all must hash to one slot, else -CROSSSLOT
  kSplitBySlot,      // split per slot, one sub-request each, merged by `merge`
  kAllShards,        // send to every master, merged by `merge`
  kKeylessAnyShard,  // no key: any one shard answers
  kProxyLocal,       // answered by the proxy itself
  kStateful,         // holds connection state (transactions, blocking, pub/sub, scripts, WAIT)
  kUnsupported,      // refused by the proxy with `error` (or a generic text when empty)
};

enum class MergeKind : uint8_t {
  kNone,
  kMgetConcat,    // split: values in the client's key order
  kAllOk,         // the one reply when no sub-reply is an error, else the first error
  kSum,           // integer sum
  kConcat,        // arrays concatenated (KEYS, SLOWLOG GET)
  kLogicalAnd,    // element-wise AND of integer arrays (SCRIPT EXISTS)
  kMin,           // integer minimum
  kOneSucceeded,  // the first non-error reply (SCRIPT KILL)
  kRandomKey,     // a non-nil reply from any shard (RANDOMKEY)
  kScan,          // shard by shard, shard index carried in the cursor
};

struct Routing {
  RouteKind kind = RouteKind::kUnsupported;
  MergeKind merge = MergeKind::kNone;
  uint8_t key_step = 1;    // kSplitBySlot: arguments per key group (MSET: key value = 2)
  std::string_view error;  // kUnsupported: the exact error reply text ("ERR ..."), may be empty
};

// A Routing with every field set (no partly initialized aggregates).
constexpr Routing MakeRouting(RouteKind kind, MergeKind merge = MergeKind::kNone,
                              uint8_t key_step = 1, std::string_view error = {}) {
  Routing r;
  r.kind = kind;
  r.merge = merge;
  r.key_step = key_step;
  r.error = error;
  return r;
}

// Where a row's keys are, decided once when the row joins its table (SummarizeKeyLayout in
// key_extraction.h) so that hot paths need not run the key search. Every layout but kGeneral is a
// promise about ExtractKeys, checked for every built-in row by the unit tests.
enum class KeyLayout : uint8_t {
  kGeneral,      // no promise: run the key search (also what a hand-made CommandInfo says)
  kNone,         // never a key, whatever the arguments (PING, INFO, ...)
  kSingleAtOne,  // argv[1] alone whenever argc >= 2 (GET, SET, INCR, LPUSH, HSET, ...)
  kOneToEnd,     // whenever argc >= 2: argv[1], argv[1 + step], ... while < argc, the key of a
                 // trailing partial group included, as Redis's range spec (MGET, MSET, DEL, ...)
};

struct KeyLayoutSummary {
  KeyLayout layout = KeyLayout::kGeneral;
  uint8_t step = 1;  // kOneToEnd: distance between keys (MSET: 2)
  // The keys come from a not_key spec (SPUBLISH's channel): the promise holds only when the caller
  // asks for not_key specs too (routing); otherwise run the key search.
  bool not_key = false;
  // The keys' flags are `key_flags`. False when a getkeys procedure decides them from the
  // arguments (SET, BITFIELD): the positions still hold, the flags need the key search.
  bool fixed_flags = false;
  uint32_t key_flags = 0;  // key_flag:: bits of every key, when fixed_flags
};

// One command or subcommand. All views point into storage owned by the CommandTable (or the
// constant built-in data), so a CommandInfo stays valid as long as its table.
struct CommandInfo {
  std::string_view name;  // lowercase; subcommands are "container|sub"
  int32_t arity = 0;      // N>0: exactly N args incl. the name(s); N<0: at least -N
  uint32_t flags = 0;     // flag:: bits
  int32_t first_key = 0;  // legacy key range (prefer key_specs)
  int32_t last_key = 0;
  int32_t key_step = 0;
  uint32_t acl_categories = 0;  // acl:: bits
  std::span<const std::string_view> tips;
  std::span<const KeySpec> key_specs;
  std::span<const ReplyNode> docs;      // COMMAND DOCS map of this row, without "subcommands"
  const CommandInfo* parent = nullptr;  // the container, for a subcommand
  std::span<const CommandInfo* const> subcommands;  // sorted by name; empty unless container
  Routing routing;
  bool learned = false;  // came from a backend's COMMAND reply, not from the built-in table
  // Which of Redis's getkeys procedures applies when the key specs fail (0: none). Set by the
  // table from the name (key_fallbacks.cc); internal to the command module.
  uint8_t keys_proc = 0;
  // Set by the table from the fields above (after keys_proc); read by the hot paths instead of
  // searching the key specs.
  KeyLayoutSummary key_layout;

  bool IsContainer() const { return !subcommands.empty(); }
  bool HasFlag(uint32_t bit) const { return (flags & bit) != 0; }
  // The part after '|' for a subcommand ("encoding"), else the whole name.
  std::string_view ShortName() const {
    size_t bar = name.find('|');
    return bar == std::string_view::npos ? name : name.substr(bar + 1);
  }
};

}  // namespace slotproxy::command
