// The sorted-set type (ZADD, ZRANGE*, ZRANK, ZPOP*, ZUNIONSTORE, ZSCAN, ...) with Redis 7.0's
// semantics and encodings.
#pragma once

#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

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
#include "engine/types/hashed_key.h"
#include "engine/types/packed_zset.h"
#include "engine/types/scan_nodes.h"
#include "engine/types/scan_table.h"
#include "engine/types/zset_range.h"

namespace slotproxy::engine {

class SetValue;
class ZSetValue;

// ZADD's condition flags (CH only changes the reply, so the command keeps it).
struct ZAddFlags {
  bool nx = false;    // only add new members
  bool xx = false;    // only update existing members
  bool gt = false;    // update only when the new score is greater
  bool lt = false;    // update only when the new score is less
  bool incr = false;  // add `score` to the current score (ZINCRBY, ZADD INCR)
};

// What ZADD did with one member.
enum class ZAddResult : uint8_t {
  kAdded,      // a new member (counts for ZADD and for CH)
  kUpdated,    // an existing member's score changed (counts for CH)
  kUnchanged,  // processed, same score (INCR replies with the score)
  kSkipped,    // not performed: NX/XX/GT/LT said no (INCR replies nil)
  kNaN,        // INCR produced NaN: error kErrZScoreNaN, nothing changed
};

// ZUNIONSTORE / ZINTERSTORE's AGGREGATE.
enum class ZAggregate : uint8_t { kSum, kMin, kMax };

// One input of ZUNIONSTORE / ZINTERSTORE: a sorted set, a plain set (every member scores 1), or
// neither (a missing key, i.e. empty), and its WEIGHT.
struct ZSetOpInput {
  const ZSetValue* zset = nullptr;
  const SetValue* set = nullptr;
  double weight = 1;
};

// Called with each member and its score, in the order of the operation.
using ZEmit = absl::FunctionRef<void(std::string_view member, double score)>;

// A sorted set: unique members with double scores, ordered by (score, member bytes).
// Storage, as Redis: "listpack" while the set holds at most kMaxListpackEntries members of at most
// kMaxListpackValue bytes — entries packed in one sorted buffer (types::PackedZSet), every
// operation a linear walk — then "skiplist" for good: every member in one heap node, found
// through a types::ScanTable (Redis's dict, whose cursor gives ZSCAN its guarantee), and an
// order-statistics red-black tree (GCC's pb_ds, shipped with libstdc++) keeping (score, node) order
// with O(log n) rank, which ZRANK, ZRANGE by index and ZREMRANGEBYRANK need and absl::btree cannot
// give (Redis's skiplist has the same bounds). Like Redis's listpack (which stores d2string text) a
// listpack zset stores -0 as 0. Views passed to callbacks are valid only during the call; arguments
// must not be views into this set.
class ZSetValue {
 public:
  // Redis's zset-max-listpack-entries / zset-max-listpack-value defaults.
  static constexpr size_t kMaxListpackEntries = 128;
  static constexpr size_t kMaxListpackValue = 64;

  ZSetValue() = default;
  ~ZSetValue();
  ZSetValue(const ZSetValue&) = delete;  // use Clone(): the score index points into the nodes
  ZSetValue& operator=(const ZSetValue&) = delete;
  // Moves every member; `other` is left empty.
  ZSetValue(ZSetValue&& other) noexcept
      : listpack_(other.listpack_), small_(std::move(other.small_)), big_(std::move(other.big_)) {
    other.listpack_ = true;
    other.small_.Clear();
  }
  ZSetValue& operator=(ZSetValue&&) = delete;

  // A deep copy with the same encoding (COPY).
  std::unique_ptr<ZSetValue> Clone() const;
  // ZCARD.
  size_t Size() const { return listpack_ ? small_.size() : big_->order.size(); }
  // OBJECT ENCODING: "listpack" or "skiplist".
  std::string_view Encoding() const { return listpack_ ? "listpack" : "skiplist"; }

  // ZADD / ZINCRBY for one member, exactly as zsetAdd: `score` must not be NaN (the command
  // rejects it while parsing). `new_score` (optional) receives the member's score after the call
  // for kAdded / kUpdated / kUnchanged; ZADD INCR and ZINCRBY reply with it.
  ZAddResult Add(double score, std::string_view member, ZAddFlags flags = {},
                 double* new_score = nullptr);
  // ZREM of one member: true when it was present. The caller deletes the key at Size() 0.
  bool Remove(std::string_view member);
  // ZSCORE / ZMSCORE.
  std::optional<double> Score(std::string_view member) const;
  // ZRANK (reverse: ZREVRANK): the 0-based rank, or nullopt when absent.
  std::optional<uint64_t> Rank(std::string_view member, bool reverse = false) const;

  // ZCOUNT.
  size_t Count(const ZScoreRange& range) const;
  // ZLEXCOUNT.
  size_t LexCount(const ZLexRange& range) const;

  // Calls `emit` on every member in ascending order.
  void ForEach(ZEmit emit) const;
  // ZRANGE start stop [REV] by index, with Redis's index rules (negative from the end, clamped;
  // REV counts from the highest score and emits in descending order).
  void RangeByRank(int64_t start, int64_t stop, bool reverse, ZEmit emit) const;
  // ZRANGEBYSCORE / ZRANGE BYSCORE [REV] [LIMIT offset count]: members in `range`, ascending (or
  // descending when `reverse`), skipping `offset` (negative: nothing is emitted), at most `count`
  // (negative: no limit).
  void RangeByScore(const ZScoreRange& range, bool reverse, int64_t offset, int64_t count,
                    ZEmit emit) const;
  // ZRANGEBYLEX / ZRANGE BYLEX [REV] [LIMIT offset count], same conventions.
  void RangeByLex(const ZLexRange& range, bool reverse, int64_t offset, int64_t count,
                  ZEmit emit) const;

  // ZPOPMIN / ZPOPMAX: removes up to `count` members from the low (or high) end and returns them
  // in pop order.
  std::vector<std::pair<std::string, double>> PopMin(size_t count);
  std::vector<std::pair<std::string, double>> PopMax(size_t count);
  // ZREMRANGEBYSCORE / ZREMRANGEBYRANK / ZREMRANGEBYLEX: the number removed.
  size_t RemoveRangeByScore(const ZScoreRange& range);
  size_t RemoveRangeByRank(int64_t start, int64_t stop);
  size_t RemoveRangeByLex(const ZLexRange& range);

  // ZSCAN step: appends member, score-text pairs (member passing `match`) to `out`; returns the
  // next cursor (0 = done). A listpack zset is returned whole in score order, as Redis does, with
  // FormatScoreListpack texts; a skiplist visits about `count` members with FormatScoreSkiplist.
  uint64_t Scan(uint64_t cursor, size_t count, ScanMatch match,
                std::vector<std::string>* out) const;

  // ZUNIONSTORE / ZINTERSTORE (and ZUNION / ZINTER): the result as a new sorted set, computed as
  // Redis does (inputs sorted by size, weight * score with NaN -> 0, SUM turning NaN into 0), its
  // encoding decided from the final content. Never nullptr; may be empty.
  static std::unique_ptr<ZSetValue> Union(std::span<const ZSetOpInput> inputs, ZAggregate agg);
  static std::unique_ptr<ZSetValue> Inter(std::span<const ZSetOpInput> inputs, ZAggregate agg);

 private:
  // One member in one malloc block: linked into the ScanTable (next, hash) and pointed at by the
  // score order.
  using Node = types::ZSetNode;
  // A position in score order: the score (copied for cache-friendly compares) and the node, or
  // one of the two sentinels that sort before / after every member of that score.
  struct Key {
    double score;
    const Node* node;
  };
  struct KeyLess {
    bool operator()(const Key& a, const Key& b) const;
  };
  using Order = __gnu_pbds::tree<Key, __gnu_pbds::null_type, KeyLess, __gnu_pbds::rb_tree_tag,
                                 __gnu_pbds::tree_order_statistics_node_update>;
  using OrderIt = Order::const_iterator;
  using Members = types::ScanTable<Node>;

  static const Node kBefore;  // sentinel: before every member of a score
  static const Node kAfter;   // sentinel: after every member of a score

  Node* Find(std::string_view member) const;
  void Insert(double score, std::string_view member);
  void Erase(const Node* node);
  void SetScore(Node* node, double score);
  // What the listpack stores for `score` (-0 becomes 0, as d2string writes it).
  double Stored(double score) const { return listpack_ && score == 0 ? 0.0 : score; }
  // The first / last position inside `range`, or end().
  OrderIt FirstInRange(const ZScoreRange& range) const;
  OrderIt LastInRange(const ZScoreRange& range) const;
  OrderIt FirstInLex(const ZLexRange& range) const;
  OrderIt LastInLex(const ZLexRange& range) const;
  // Normalizes ZRANGE / ZREMRANGEBYRANK indexes; false when the range is empty.
  bool NormalizeRanks(int64_t* start, int64_t* stop) const;
  // Moves a listpack set into the skiplist encoding (never undone).
  void ConvertToSkiplist();
  // The listpack bodies of the public operations (zset_small.cc).
  ZAddResult AddSmall(double score, std::string_view member, ZAddFlags flags, double* new_score);
  std::optional<uint64_t> RankSmall(std::string_view member, bool reverse) const;
  size_t CountSmall(const ZScoreRange& range) const;
  size_t LexCountSmall(const ZLexRange& range) const;
  void RangeByRankSmall(int64_t start, int64_t stop, bool reverse, ZEmit emit) const;
  void RangeByScoreSmall(const ZScoreRange& range, bool reverse, int64_t offset, int64_t count,
                         ZEmit emit) const;
  void RangeByLexSmall(const ZLexRange& range, bool reverse, int64_t offset, int64_t count,
                       ZEmit emit) const;
  std::vector<std::pair<std::string, double>> PopSmall(size_t count, bool max);
  size_t RemoveRangeByScoreSmall(const ZScoreRange& range);
  size_t RemoveRangeByRankSmall(int64_t start, int64_t stop);
  size_t RemoveRangeByLexSmall(const ZLexRange& range);
  // Builds a fresh set from `items` with the encoding Redis's store commands end up with.
  static std::unique_ptr<ZSetValue> Build(std::vector<std::pair<std::string, double>> items);

  bool listpack_ = true;
  types::PackedZSet small_;  // listpack encoding
  // The skiplist encoding, allocated on conversion so small sets do not pay for two trees.
  struct Skiplist {
    Members members;  // owns the nodes
    Order order;
  };
  std::unique_ptr<Skiplist> big_;
};

}  // namespace slotproxy::engine
