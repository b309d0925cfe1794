// The hash type (HSET, HGET, HINCRBY, HSCAN, HRANDFIELD, ...) with Redis 7.0's encodings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "base/status.h"
#include "engine/types/hashed_key.h"
#include "engine/types/packed_pairs.h"
#include "engine/types/scan_nodes.h"
#include "engine/types/scan_table.h"

namespace slotproxy::engine {

// A field -> value map. Small hashes are "listpack" encoded like Redis: pairs packed in one buffer
// in insertion order (types::PackedPairs; the order HGETALL/HKEYS/HVALS/HSCAN return, byte for
// byte as Redis).
// A hash converts for good to "hashtable" (types::ScanTable: Redis's chained dict and its HSCAN
// cursor, one node per field holding field and value) once it holds more than kMaxListpackEntries
// fields or is given a field or value longer than kMaxListpackValue bytes. Views returned by
// getters stay valid until the next modification of this hash; arguments must not be views into
// this hash.
class HashValue {
 public:
  // Redis 7.0's hash-max-listpack-entries / hash-max-listpack-value defaults (CONFIG GET on
  // redis-server 7.0.15 says 512 entries, unlike zsets' 128).
  static constexpr size_t kMaxListpackEntries = 512;
  static constexpr size_t kMaxListpackValue = 64;

  HashValue() = default;

  // A deep copy with the same encoding (COPY).
  std::unique_ptr<HashValue> Clone() const;
  // The number of fields (HLEN).
  size_t Size() const { return listpack_ ? small_.size() : big_.Size(); }
  // OBJECT ENCODING: "listpack" or "hashtable".
  std::string_view Encoding() const { return listpack_ ? "listpack" : "hashtable"; }

  // HSET / HMSET: `field_values` alternates field, value (even count, not checked here). Converts
  // first when any argument exceeds kMaxListpackValue, as hashTypeTryConversion does; a repeated
  // field takes its last value. Returns how many fields were new.
  size_t SetMany(std::span<const std::string_view> field_values);
  // Sets one field; true when it was new. Converts when either side is too long for a listpack.
  bool Set(std::string_view field, std::string_view value);
  // HSETNX: sets only a new field; true when set. An existing field leaves the encoding alone.
  bool SetNx(std::string_view field, std::string_view value);
  // HGET: the value of `field`, or nullopt.
  std::optional<std::string_view> Get(std::string_view field) const;
  // HEXISTS.
  bool Exists(std::string_view field) const { return Get(field).has_value(); }
  // HSTRLEN: the value's length, 0 when the field is missing.
  size_t StrLen(std::string_view field) const;
  // HDEL of one field: true when it existed. The caller deletes the key when Size() becomes 0.
  bool Delete(std::string_view field);

  // Calls `fn(field, value)` for every field in the encoding's order (HGETALL / HKEYS / HVALS).
  void ForEach(absl::FunctionRef<void(std::string_view, std::string_view)> fn) const;
  // HKEYS, HVALS, HGETALL (field, value, field, value, ...) in ForEach order.
  std::vector<std::string> Keys() const;
  std::vector<std::string> Values() const;
  std::vector<std::string> GetAll() const;

  // HINCRBY: adds `incr` to the field's integer (0 when missing) and returns the new value.
  // Errors (nothing changed): kErrHashNotInteger, kErrIncrOverflow.
  Result<int64_t> IncrBy(std::string_view field, int64_t incr);
  // HINCRBYFLOAT: adds `incr` in long double and stores and returns the text of the result in
  // ld2string's human format. Errors (nothing changed): kErrIncrValueNanOrInf when `incr` is not
  // finite (the command checks it before creating the key), kErrHashNotFloat, kErrNanOrInfinity.
  Result<std::string> IncrByFloat(std::string_view field, long double incr);

  // HRANDFIELD without count: one random field and its value; the hash must not be empty.
  std::pair<std::string_view, std::string_view> RandomField() const;
  // HRANDFIELD with count: count >= 0 emits min(count, Size()) distinct fields (the whole hash in
  // ForEach order when count >= Size()); count < 0 emits -count fields that may repeat. Calls
  // `emit(field, value)` for each.
  void RandomFields(int64_t count,
                    absl::FunctionRef<void(std::string_view, std::string_view)> emit) const;

  // HSCAN step: appends field, value pairs whose field passes `match` to `out` and returns the
  // next cursor (0 = done). A listpack hash is returned whole in one step, as Redis does; a
  // hashtable visits about `count` fields (before filtering) from `cursor`.
  uint64_t Scan(uint64_t cursor, size_t count, ScanMatch match,
                std::vector<std::string>* out) const;

 private:
  using Big = types::ScanTable<types::HashNode>;

  // Moves everything into the hashtable encoding (never undone).
  void Convert();
  // Stores `value` for `field` without length checks beyond the entry count; true when new.
  bool Store(std::string_view field, std::string_view value);

  bool listpack_ = true;
  types::PackedPairs small_;
  Big big_;
};

}  // namespace slotproxy::engine
