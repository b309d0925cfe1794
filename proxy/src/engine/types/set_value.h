// The set type (SADD, SINTER, SPOP, SRANDMEMBER, SSCAN, ...) with Redis 7.0's encodings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "engine/types/hashed_key.h"
#include "engine/types/scan_nodes.h"
#include "engine/types/scan_table.h"

namespace slotproxy::engine {

// A set of byte strings. While every member is an integer in Redis's strict sense (string2ll:
// no '+', no leading zeros, no spaces, "-0" is not one) and there are at most kMaxIntsetEntries,
// the set is an "intset": a sorted vector of int64, iterated in ascending numeric order exactly
// like Redis's intset. Otherwise it is a "hashtable" for good (Redis 7.0 has no set listpack): a
// types::ScanTable, Redis's chained dict with its SCAN cursor. Views passed to callbacks are valid
// only during the call.
class SetValue {
 public:
  // Redis's set-max-intset-entries default.
  static constexpr size_t kMaxIntsetEntries = 512;

  SetValue() = default;

  // A deep copy with the same encoding (COPY).
  std::unique_ptr<SetValue> Clone() const { return std::make_unique<SetValue>(*this); }
  // SCARD.
  size_t Size() const { return intset_ ? ints_.size() : big_.Size(); }
  // OBJECT ENCODING: "intset" or "hashtable".
  std::string_view Encoding() const { return intset_ ? "intset" : "hashtable"; }

  // SADD of one member: true when it was new.
  bool Add(std::string_view member);
  // SADD: returns how many members were new.
  size_t AddMany(std::span<const std::string_view> members);
  // SREM of one member: true when it was present. The caller deletes the key at Size() 0.
  bool Remove(std::string_view member);
  // SISMEMBER / SMISMEMBER.
  bool Contains(std::string_view member) const;

  // Calls `fn` on every member in the encoding's order (ascending for an intset).
  void ForEach(absl::FunctionRef<void(std::string_view)> fn) const;
  // SMEMBERS, in ForEach order.
  std::vector<std::string> Members() const;

  // SPOP without count: removes and returns a random member; nullopt when empty.
  std::optional<std::string> Pop();
  // SPOP with count: removes min(count, Size()) random members and returns them; when count >=
  // Size() the whole set is returned in ForEach order (as Redis replies with the set itself).
  std::vector<std::string> Pop(size_t count);
  // SRANDMEMBER without count: a random member; the set must not be empty.
  std::string RandomMember() const;
  // SRANDMEMBER with count: count >= 0 emits min(count, Size()) distinct members (the whole set in
  // ForEach order when count >= Size()); count < 0 emits -count members that may repeat.
  void RandomMembers(int64_t count, absl::FunctionRef<void(std::string_view)> emit) const;

  // SSCAN step: appends members passing `match` to `out`; returns the next cursor (0 = done). An
  // intset is returned whole in one step, as Redis does; a hashtable steps through buckets as
  // Redis's dictScan until about `count` members were visited (before filtering).
  uint64_t Scan(uint64_t cursor, size_t count, ScanMatch match,
                std::vector<std::string>* out) const;

  // SINTER / SINTERSTORE: the intersection of `sets` (nullptr = a missing key = empty set), built
  // as Redis builds it (smallest set first, encodings as if added one by one). Never nullptr;
  // may be empty.
  static std::unique_ptr<SetValue> Inter(std::span<const SetValue* const> sets);
  // SINTERCARD: the size of the intersection, counting stops at `limit` (0 = no limit).
  static size_t InterCard(std::span<const SetValue* const> sets, size_t limit);
  // SUNION / SUNIONSTORE.
  static std::unique_ptr<SetValue> Union(std::span<const SetValue* const> sets);
  // SDIFF / SDIFFSTORE: members of sets[0] in none of the others.
  static std::unique_ptr<SetValue> Diff(std::span<const SetValue* const> sets);
  // SMOVE: moves `member` from `src` to `dst` (both existing; the command creates `dst` first
  // when missing). True when `member` was in `src`. With src == dst nothing changes.
  static bool Move(SetValue* src, SetValue* dst, std::string_view member);

 private:
  using Big = types::ScanTable<types::SetNode>;

  // Moves everything into the hashtable encoding (never undone).
  void Convert();
  // Inserts into the hashtable encoding; true when new.
  bool AddBig(std::string_view member);
  // Runs the intersection, calling `fn` on each member of it until `fn` returns false.
  static void ForEachInter(std::span<const SetValue* const> sets,
                           absl::FunctionRef<bool(std::string_view)> fn);

  bool intset_ = true;
  std::vector<int64_t> ints_;  // sorted, intset encoding
  Big big_;                    // hashtable encoding
};

}  // namespace slotproxy::engine
