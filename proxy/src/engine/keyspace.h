// The keyspace of one shard: key -> Entry, with a per-slot index, expiry and the generic key
// operations the command layer builds Redis commands from. Single-threaded: one Keyspace per
// shard, used only from that shard's thread. No RESP and no I/O here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "base/status.h"
#include "engine/object.h"

namespace slotproxy::engine {

// Number of cluster hash slots.
inline constexpr size_t kSlots = 16384;

// Maps a key to its cluster slot (cluster::KeySlot in production); must return < kSlots.
using SlotFunction = uint16_t (*)(std::string_view key);

// What one ActiveExpireCycle call did.
struct ExpireCycleStats {
  size_t sampled = 0;  // keys with a TTL looked at
  size_t expired = 0;  // of which deleted
};

// Counters for INFO stats (keyspace_hits, keyspace_misses, expired_keys).
struct KeyspaceStats {
  uint64_t hits = 0;          // FindForRead calls that found a live key
  uint64_t misses = 0;        // FindForRead calls that did not
  uint64_t expired_keys = 0;  // keys deleted because their TTL passed (lazily or actively)
};

// Outcome of Rename.
enum class RenameResult {
  kOk,            // renamed (RENAME's +OK, RENAMENX's :1)
  kNoSuchKey,     // the source does not exist: kErrNoSuchKey
  kTargetExists,  // only with nx: the target exists, nothing changed (RENAMENX's :0)
};

// Outcome of Copy.
enum class CopyResult {
  kOk,            // copied (:1)
  kNoSuchKey,     // the source does not exist (:0)
  kTargetExists,  // the target exists and replace was false (:0)
  kSameKey,       // source == destination: kErrSameObject
};

// How the keys spread over the keyspace's hash sub-tables (tests and memory figures).
struct KeyspaceTableStats {
  size_t tables = 0;    // sub-tables, a fixed number
  size_t used = 0;      // of which holding at least one key
  size_t largest = 0;   // keys in the fullest one: about what one growth rehashes at most
  size_t capacity = 0;  // table slots allocated over all of them (bytes: ~9 per slot)
};

// The fixed 32-bit hash that orders keys within a slot for Scan.
uint32_t ScanHash(std::string_view key);

class Keyspace {
 public:
  // Called with the key just before a key is deleted because its TTL passed (lazily or by the
  // active cycle), so the server can propagate a DEL to the AOF and invalidate WATCHes.
  using ExpireCallback = std::function<void(std::string_view key)>;

  // An empty keyspace whose per-slot index uses `slot_of`.
  explicit Keyspace(SlotFunction slot_of);
  ~Keyspace();
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  void SetExpireCallback(ExpireCallback cb) { on_expire_ = std::move(cb); }

  // ---- lookup -------------------------------------------------------------------------------
  // The live entry for `key`, or nullptr. A key whose TTL passed (expire time < now_ms) is
  // deleted on the spot (lazy expiry) and reported missing. Used for reads and writes alike;
  // WRONGTYPE is the caller's check on entry->type().
  Entry* Find(std::string_view key, int64_t now_ms);
  // Find for read-only commands: the same, and counts a keyspace hit or miss (INFO stats).
  Entry* FindForRead(std::string_view key, int64_t now_ms) {
    Entry* e = Find(key, now_ms);
    ++(e != nullptr ? stats_.hits : stats_.misses);
    return e;
  }
  // Hints that `keys` are about to be looked up (the next requests of a pipeline): starts the
  // memory loads their lookups would wait for, the table's probe groups for all of them first,
  // then the entries those groups point at. Changes nothing; any key may be absent.
  void Prefetch(std::span<const std::string_view> keys) const;
  // The entry for `key` even if its TTL passed, without side effects; nullptr when absent.
  const Entry* Peek(std::string_view key) const;
  // True when `key` is live (Find != nullptr).
  bool Exists(std::string_view key, int64_t now_ms) { return Find(key, now_ms) != nullptr; }
  // Number of keys held, including keys whose TTL passed but that no access or cycle removed yet
  // (DBSIZE counts them too in Redis).
  size_t Size() const { return size_; }

  // How the keys spread over the hash sub-tables. O(number of sub-tables); not for hot paths.
  KeyspaceTableStats TableStats() const;

  // Hit, miss and expiry counters since construction or the last ResetStats (CONFIG RESETSTAT).
  const KeyspaceStats& stats() const { return stats_; }
  void ResetStats() { stats_ = KeyspaceStats(); }

  // ---- writes -------------------------------------------------------------------------------
  // Sets `key` to the string `value` (replacing any value of any type), encoded as Redis's
  // tryObjectEncoding would: int when `value` is a canonical int64 of at most 20 bytes, embstr
  // up to kEmbStrMax bytes, raw above. The TTL is cleared unless keep_ttl (then call Find first,
  // as Redis's SET does, so a key whose TTL already passed is gone rather than kept expired).
  // Returns the entry; any earlier Entry* for this key may be invalid afterwards.
  Entry* SetString(std::string_view key, std::string_view value, bool keep_ttl = false);
  // Sets `key` to the raw-encoded string `value` (Redis's result of APPEND / SETRANGE).
  Entry* SetRawString(std::string_view key, std::string value, bool keep_ttl = false);
  // Sets `key` to the int-encoded integer `value` (INCR's result encoding).
  Entry* SetInteger(std::string_view key, int64_t value, bool keep_ttl = false);
  // Adds `key`, which must not exist (not even expired: call Find first), holding `value`.
  template <class T>
  Entry* Add(std::string_view key, std::unique_ptr<T> value) {
    return AddContainer(key, ObjTypeOf<T>::kValue, value.release());
  }
  // Sets `key` to `value`, replacing any existing value; the TTL is cleared unless keep_ttl
  // (SUNIONSTORE / ZUNIONSTORE / SORT STORE destinations).
  template <class T>
  Entry* Store(std::string_view key, std::unique_ptr<T> value, bool keep_ttl = false) {
    return StoreContainer(key, ObjTypeOf<T>::kValue, value.release(), keep_ttl);
  }
  // Deletes `key` if it is live; true when something was deleted (DEL / UNLINK count). An
  // expired key is removed too but reported false.
  bool Delete(std::string_view key, int64_t now_ms);
  // Deletes the entry `e` (obtained from this keyspace).
  void Delete(Entry* e);
  // Deletes every key (FLUSHDB / FLUSHALL).
  void Flush();

  // ---- expiry -------------------------------------------------------------------------------
  // Sets `e`'s absolute expire time in ms since the epoch (the caller deletes instead when the
  // time is already past, as Redis's EXPIRE does).
  void SetExpire(Entry* e, int64_t when_ms);
  // Removes `e`'s TTL; true when it had one (PERSIST's :1).
  bool Persist(Entry* e);
  // `e`'s absolute expire time in ms, or -1 when it has none.
  int64_t GetExpire(const Entry* e) const;
  // Number of keys with a TTL (INFO keyspace's "expires").
  size_t ExpiresCount() const { return volatile_.size(); }
  // Active expiry: samples keys with a TTL at random, 20 at a time like Redis, deleting those
  // whose time passed, and keeps going while more than 10% of a sample was expired, until
  // `max_work` keys were sampled. Bounded work per call; call it from a timer.
  ExpireCycleStats ActiveExpireCycle(int64_t now_ms, size_t max_work);

  // ---- key operations -----------------------------------------------------------------------
  // RENAME (nx = false) / RENAMENX (nx = true): moves src's value and TTL to dst, replacing any
  // dst unless nx. src == dst: kOk when the key exists (RENAMENX then answers :0 in Redis: the
  // caller checks for that case), kNoSuchKey otherwise.
  RenameResult Rename(std::string_view src, std::string_view dst, bool nx, int64_t now_ms);
  // COPY src dst [REPLACE]: a deep copy of src's value and its TTL to dst.
  CopyResult Copy(std::string_view src, std::string_view dst, bool replace, int64_t now_ms);
  // A random live key (RANDOMKEY), or nullopt when there is none. Expired keys it meets are
  // deleted. Not uniform: a random non-empty slot, then a random key among that slot's first
  // 1024.
  std::optional<std::string> RandomKey(int64_t now_ms);
  // The live keys matching the glob `pattern` (KEYS), in no particular order; "*" matches all.
  std::vector<std::string> KeysMatching(std::string_view pattern, int64_t now_ms) const;
  // One SCAN step from `cursor` (0 starts): looks at about `count` keys (all keys sharing a
  // scan position are taken together, so a step may return more), appends the live ones that
  // match `pattern` ("" or "*": all) and `type` (nullopt: all) to `out`, deleting expired ones,
  // and returns the next cursor, 0 when done.
  // Guarantee: every key present for the whole scan is returned at least once, whatever is
  // added, deleted or rehashed in between; keys added or deleted meanwhile may or may not be.
  // How: the cursor is (slot << 32 | h), keys are visited slot by slot in order of a fixed 32-bit
  // hash of their name, and a step never stops between two keys with the same hash. Cursors
  // are below 2^46, so callers (the proxy) can use the high bits. An unknown cursor (slot out of
  // range) ends the scan. Cost per step is O(keys in the slots it touches); so that a huge slot
  // is not walked size/count times, a step takes at least 1/64 of the current slot's keys
  // (COUNT is a hint in Redis too).
  uint64_t Scan(uint64_t cursor, size_t count, std::string_view pattern,
                std::optional<ObjType> type, int64_t now_ms, std::vector<std::string>* out);
  // The same step as Scan with no filter, handing each live entry to `visit` instead of copying
  // its name: for incremental whole-keyspace walks (AOF rewrite, slot migration). `visit` must
  // not write to the keyspace.
  uint64_t ScanEntries(uint64_t cursor, size_t count, int64_t now_ms,
                       absl::FunctionRef<void(Entry*)> visit);
  // Where `key` (in `slot`) sits in scan order: a walk whose next cursor is c != 0 has visited
  // exactly the keys whose position is below c (c == 0: all). Lets an incremental walker tell
  // whether a key written meanwhile was already visited.
  static uint64_t ScanPosition(std::string_view key, uint16_t slot) {
    return (uint64_t{slot} << 32) | ScanHash(key);
  }
  // OBJECT ENCODING's answer for `e`.
  static std::string ObjectEncoding(const Entry* e) { return EntryOps::Encoding(e); }

  // ---- per-slot index -----------------------------------------------------------------------
  // Number of keys in `slot` (CLUSTER COUNTKEYSINSLOT), O(1); includes keys whose TTL passed but
  // that were not removed yet, like Redis.
  size_t CountKeysInSlot(uint16_t slot) const { return slot < kSlots ? slot_count_[slot] : 0; }
  // Up to `count` keys of `slot` (CLUSTER GETKEYSINSLOT), O(count).
  std::vector<std::string> KeysInSlot(uint16_t slot, size_t count) const;
  // Deletes every key of `slot`; returns how many.
  size_t DeleteKeysInSlot(uint16_t slot);

  // ---- strings (Redis semantics; errors are Redis's texts from engine/errors.h) ----------------
  // APPEND: the new length. Creates the key when missing; kErrWrongType, kErrStringTooLong.
  Result<size_t> Append(std::string_view key, std::string_view value, int64_t now_ms);
  // SETRANGE (offset >= 0, checked by the caller): the new length. A missing key with an empty
  // value is not created (0); kErrWrongType, kErrStringTooLong.
  Result<size_t> SetRange(std::string_view key, uint64_t offset, std::string_view value,
                          int64_t now_ms);
  // INCRBY / DECRBY / INCR / DECR: the new value. Missing key counts as 0; the TTL is kept.
  // kErrWrongType, kErrNotInteger, kErrIncrOverflow.
  Result<int64_t> IncrBy(std::string_view key, int64_t delta, int64_t now_ms);
  // INCRBYFLOAT: the new value's text (also what is stored). kErrWrongType, kErrNotFloat,
  // kErrNanOrInfinity. The increment is parsed by the caller with ParseLongDouble.
  Result<std::string> IncrByFloat(std::string_view key, long double delta, int64_t now_ms);
  // GETRANGE's slice of `value` for Redis's start/end (negative from the end, clamped).
  static std::string_view GetRange(std::string_view value, int64_t start, int64_t end);

 private:
  // The keyspace is split into kTables sub-tables chosen by the top kTableBits of the key hash,
  // so that a growth rehashes one sub-table (Size() / kTables keys) instead of every key in one
  // event-loop call: at 10M keys that is ~2.5K keys instead of millions. absl's probing uses the
  // low 7 bits (H2) and the bits from 7 up (H1, masked by the capacity), so the top 12 are free
  // until a sub-table holds 2^45 slots. 4096 keeps the fixed cost at 4096 * sizeof(Table) (40
  // bytes: 160 KiB, in L2) while bounding a growth pause to well under a millisecond up to tens
  // of millions of keys per shard; 16384 would quarter the pause but quadruple the headers.
  static constexpr int kTableBits = 12;
  static constexpr size_t kTables = size_t{1} << kTableBits;
  static_assert(sizeof(size_t) == 8, "sub-table choice takes the top bits of a 64-bit hash");

  // A key with its hash, computed once per operation: it picks the sub-table and the sub-table
  // takes it as is instead of hashing the key again.
  struct HashedKey {
    std::string_view key;
    size_t hash;
  };
  // A lookup key that matches nothing: probing the table with it touches the probe groups of
  // `key` and prefetches each entry whose hash fragment matches, without reading any entry.
  struct PrefetchProbe {
    std::string_view key;
    size_t hash;
  };
  struct KeyHash {
    using is_transparent = void;
    // The one hash function of the keyspace (absl::Hash of the key bytes).
    static size_t Of(std::string_view k);
    size_t operator()(const Entry* e) const { return Of(e->key()); }
    size_t operator()(const HashedKey& k) const { return k.hash; }
    size_t operator()(const PrefetchProbe& p) const { return p.hash; }
  };
  struct KeyEq {
    using is_transparent = void;
    static std::string_view K(const HashedKey& k) { return k.key; }
    static std::string_view K(const Entry* e) { return e->key(); }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      if constexpr (std::is_same_v<B, PrefetchProbe>) {
        __builtin_prefetch(a);
        return false;
      } else if constexpr (std::is_same_v<A, PrefetchProbe>) {
        __builtin_prefetch(b);
        return false;
      } else {
        return K(a) == K(b);
      }
    }
  };
  struct Volatile {
    Entry* entry;
    int64_t when_ms;
  };

  Entry* AddContainer(std::string_view key, ObjType type, void* value);
  Entry* StoreContainer(std::string_view key, ObjType type, void* value, bool keep_ttl);
  using Table = absl::flat_hash_set<Entry*, KeyHash, KeyEq>;

  static HashedKey Hashed(std::string_view key) { return HashedKey{key, KeyHash::Of(key)}; }
  // The sub-table holding keys of hash `hash`: a shift and an index.
  Table& TableOf(size_t hash) { return tables_[hash >> (64 - kTableBits)]; }
  const Table& TableOf(size_t hash) const { return tables_[hash >> (64 - kTableBits)]; }

  // Links a fresh entry (its key must be absent; slot computed here) into its sub-table and the
  // slot index.
  void Link(Entry* e);
  // Links a fresh entry into the slot index only (the caller put it in the table).
  void LinkSlot(Entry* e);
  // Unlinks `e` from the table, slot index and volatile array, without freeing it.
  void Unlink(Entry* e);
  // Puts `fresh` (same key) in the place of `old`, whose table slot is `it`, carrying the TTL
  // when keep_ttl; frees `old`. The table is not probed again: the slot just takes the new
  // pointer (same key, same hash).
  void Replace(Table::iterator it, Entry* fresh, bool keep_ttl);
  // Writes `e` under its key, replacing an existing entry for the key if any.
  Entry* Install(Entry* fresh, bool keep_ttl);
  // The table slot of `key`: an existing entry's, or a new one holding the entry `make()`
  // returns (linked into the slot index, `*created` set). One hash and one probe for both cases,
  // where find-then-insert costs two of each.
  template <class Make>
  Table::iterator FindOrCreate(std::string_view key, Make make, Entry** created);
  bool ExpiredAt(const Entry* e, int64_t now_ms) const;
  void ExpireNow(Entry* e);
  void RemoveVolatile(Entry* e);
  // Collects (hash, entry) pairs of `slot` with hash >= from, the `budget` smallest (ties kept).
  size_t ScanSlot(uint16_t slot, uint32_t from, size_t budget, std::vector<Entry*>* picked,
                  uint32_t* next_hash, bool* slot_done) const;

  SlotFunction slot_of_;
  std::unique_ptr<Table[]> tables_;         // kTables sub-tables, on the heap (160 KiB)
  size_t size_ = 0;                         // keys over all sub-tables
  std::unique_ptr<Entry*[]> slot_head_;     // kSlots intrusive list heads
  std::unique_ptr<uint32_t[]> slot_count_;  // kSlots key counts
  std::vector<Volatile> volatile_;          // keys with a TTL, in any order
  std::mt19937_64 rng_{0x5107b0c5};
  ExpireCallback on_expire_;
  KeyspaceStats stats_;
};

}  // namespace slotproxy::engine
