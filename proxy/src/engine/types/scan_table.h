// A chained hash table with Redis's SCAN cursor: the "hashtable" encoding of big sets and hashes.
//
// Why not an abseil container: SSCAN / HSCAN / ZSCAN must return every element present for the
// whole scan at least once with nothing but a 64-bit cursor as state, across any inserts, deletes
// and resizes between the calls. absl::flat_hash_* and node_hash_* (and std::unordered_*) give no
// such cursor: their iteration order is reshuffled by every rehash and their bucket layout is not
// part of the API. Redis's dict gets it from power-of-two bucket arrays walked in reverse-binary
// order (dictScan), which this table reproduces: with bucket = hash & mask, a cursor that has
// visited bucket b of a table of size 2^k has visited every bucket of any table of size 2^j that
// holds the same elements, so growing and shrinking by powers of two never skip an element.
//
// Nodes are the caller's: one allocation per element holding the chain pointer, the hash and the
// bytes (see SetValue / HashValue). A Node type provides
//   Node* next;  uint64_t hash;  std::string_view Key() const;
//   static Node* Copy(const Node&);  static void Destroy(Node*);
// The table owns the nodes linked into it.
//
// Resizes are incremental, as Redis's dict does them (grow at load factor 1, shrink below 1/8):
// a resize only allocates the new bucket array; from then on every Find / Insert / Detach first
// moves one bucket of the old array (passing at most 10 empty ones), inserts go to the new array,
// lookups look in both, and the old array is freed once it is empty (a big one gives its moved
// pages back 2 MB at a time on the way, so that the free is cheap too). So no call does O(n) work
// (a 10-million-member set crossing a power of two would otherwise stall its shard for the whole
// move); RehashSteps lets an owner finish the work off the request path. While two arrays exist,
// SCAN walks them as dictScan does, and Random() stays exactly uniform over both.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string_view>
#include <utility>

#include "engine/types/hashed_key.h"

namespace slotproxy::engine::types {

// The cursor after visiting bucket `cursor & mask` (mask = buckets - 1): Redis's reverse-binary
// increment (dictScan's `v |= ~m0; v = rev(v); v++; v = rev(v)`). 0 when the scan is complete.
uint64_t NextScanCursor(uint64_t cursor, uint64_t mask);

// The smallest power of two >= max(n, 1).
uint64_t RoundUpPow2(uint64_t n);

// Incremental rehash work done on this thread by every ScanTable, as running totals: non-empty
// buckets moved to a new array and empty ones passed over. Tests count the work of one operation
// with it (the difference before and after) instead of timing it.
struct RehashWork {
  uint64_t moved = 0;
  uint64_t empty = 0;
};
RehashWork& ScanTableRehashWork();

namespace internal {
// Gives the pages wholly inside bytes [*released, moved) of a big old bucket array back to the
// OS (they only hold nulls now) once at least a chunk has accumulated, and advances *released.
// Why: freeing a 64 MB array in the call that ends a rehash costs milliseconds of page freeing;
// this spreads that over the rehash. The released range reads as zeros (nulls) afterwards.
void ReleaseMovedBuckets(void* array, size_t array_bytes, size_t moved, size_t* released);
}  // namespace internal

template <class Node>
class ScanTable {
 public:
  // Redis's DICT_HT_INITIAL_SIZE: no table smaller than this once anything is stored.
  static constexpr size_t kMinBuckets = 4;
  // Redis's _dictRehashStep: non-empty buckets each Find / Insert / Detach moves while a rehash
  // is in progress, and (dictRehash's empty_visits) empty buckets passed per bucket asked for.
  static constexpr size_t kStepBuckets = 1;
  static constexpr size_t kEmptyVisitsPerBucket = 10;

  ScanTable() = default;
  ~ScanTable() { Clear(); }
  // A deep copy (Node::Copy for each node) with the same bucket count; a rehash in progress in
  // `other` is finished in the copy (every node lands in the new array's layout).
  ScanTable(const ScanTable& other);
  ScanTable& operator=(const ScanTable& other) {
    ScanTable copy(other);
    Swap(copy);
    return *this;
  }
  ScanTable(ScanTable&& other) noexcept { Swap(other); }
  ScanTable& operator=(ScanTable&& other) noexcept {
    ScanTable moved(std::move(other));
    Swap(moved);
    return *this;
  }
  void Swap(ScanTable& other) noexcept {
    std::swap(buckets_, other.buckets_);
    std::swap(mask_, other.mask_);
    std::swap(size_, other.size_);
    std::swap(max_chain_, other.max_chain_);
    std::swap(rehash_, other.rehash_);
  }

  // The number of elements.
  size_t Size() const { return size_; }
  bool Empty() const { return size_ == 0; }
  // The number of buckets (0 before the first insert and after Clear()); during a rehash, those
  // of the new array, the only one left when the rehash ends.
  size_t BucketCount() const { return buckets_ ? mask_ + 1 : 0; }
  // True while a resize is in progress (two bucket arrays).
  bool Rehashing() const { return rehash_ != nullptr; }

  // The node whose key is `key` (`hash` must be StableHash(key)), or nullptr. During a rehash it
  // first moves kStepBuckets buckets (dictFind does too: a set that is only read still finishes
  // its rehash), except inside a ForEach / Scan callback, which it must not disturb. Node
  // addresses never change, so pointers returned earlier stay valid.
  Node* Find(uint64_t hash, std::string_view key) const {
    if (rehash_ != nullptr) [[unlikely]] {
      if (rehash_->paused == 0) MoveBuckets(kStepBuckets);
      return Lookup(hash, key);
    }
    if (!buckets_) return nullptr;
    return FindInChain(buckets_[hash & mask_], hash, key);
  }

  // Links `node` in and takes ownership; its key must not be present. Moves kStepBuckets buckets
  // of a rehash in progress, or else starts a grow when the table would pass load factor 1.
  void Insert(Node* node);

  // Unlinks the node with `key` and hands it to the caller (nullptr when absent). Moves
  // kStepBuckets buckets of a rehash in progress, or else starts a shrink when the table falls
  // below load factor 1/8.
  Node* Detach(uint64_t hash, std::string_view key);
  // Detach and destroy: true when `key` was present.
  bool Erase(uint64_t hash, std::string_view key) {
    Node* n = Detach(hash, key);
    if (n == nullptr) return false;
    Node::Destroy(n);
    return true;
  }
  // Puts `repl` (same hash and key) where `old` is linked and destroys `old` (a value that no
  // longer fits its node). Moves no bucket.
  void Replace(Node* old, Node* repl);

  // Destroys every node and frees the buckets (both arrays during a rehash).
  void Clear();
  // Sizes the bucket array for `n` elements without a resize on the way. Finishes a rehash in
  // progress first, in this call (O(n): meant for a table being filled, as on a conversion).
  void Reserve(size_t n) {
    while (rehash_ != nullptr) MoveBuckets(size_t{1} << 20);
    if (n > BucketCount()) Resize(RoundUpPow2(n));
  }

  // Finishes pending rehash work under a budget (Redis's dictRehash): moves up to `max_buckets`
  // non-empty buckets of a rehash in progress into the new array, passing at most
  // kEmptyVisitsPerBucket empty ones per bucket asked for; costs O(max_buckets * chain length).
  // Returns true while work remains, false once no rehash is in progress. An owner with a time
  // budget calls it ~100 buckets at a time until it returns false or the budget is spent
  // (dictRehashMilliseconds). Not from inside a ForEach / Scan callback.
  bool RehashSteps(size_t max_buckets) {
    if (rehash_ == nullptr) return false;
    assert(rehash_->paused == 0);
    return MoveBuckets(max_buckets);
  }

  // Calls fn(const Node&) on every node once, bucket by bucket. `fn` must not modify the table
  // (Find is allowed: it moves no bucket meanwhile).
  template <class Fn>
  void ForEach(Fn&& fn) const {
    PauseGuard pause(*this);
    if (rehash_ != nullptr) [[unlikely]] {
      const Rehash& r = *rehash_;
      for (size_t b = r.next; b <= r.old_mask; b++) ForEachInChain(r.old[b], fn);
    }
    for (size_t b = 0; b < BucketCount(); b++) ForEachInChain(buckets_[b], fn);
  }

  // One SCAN step (dictScan): calls fn(const Node&) on every node of the bucket `cursor` points
  // at (during a rehash: that bucket of the smaller array and each of its expansions in the
  // larger one) and returns the next cursor, 0 when the scan is complete. Any 64-bit cursor is
  // valid. `fn` must not modify the table.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const {
    if (size_ == 0) return 0;
    if (rehash_ != nullptr) [[unlikely]]
      return ScanRehashing(cursor, fn);
    ForEachInChain(buckets_[cursor & mask_], fn);
    return NextScanCursor(cursor, mask_);
  }

  // SSCAN / HSCAN / ZSCAN's loop (scanGenericCommand): steps from `cursor` until at least
  // `count` nodes were visited, the scan completed, or 10 * count empty steps were taken.
  template <class Fn>
  uint64_t ScanSome(uint64_t cursor, size_t count, Fn&& fn) const {
    size_t visited = 0;
    size_t steps = std::max<size_t>(count, 1) * 10;
    do {
      cursor = Scan(cursor, [&](const Node& n) {
        visited++;
        fn(n);
      });
    } while (cursor != 0 && steps-- > 0 && visited < count);
    return cursor;
  }

  // A uniformly random node of a non-empty table (SPOP, SRANDMEMBER, HRANDFIELD). Redis's
  // dictGetFairRandomKey samples to soften the bias of "random bucket, then random chain
  // element" towards short chains; this removes it: a random bucket (of both arrays during a
  // rehash) and a random position below the longest chain length, retried when that position is
  // empty, picks every node with the same probability. Expected tries: longest chain / load
  // factor (counting both arrays during a rehash; ~10 at worst); past a bound it falls back to
  // Redis's biased pick. Moves no bucket.
  const Node* Random() const {
    assert(size_ > 0);
    if (rehash_ != nullptr) [[unlikely]]
      return RandomRehashing();
    return RandomPick(
        BucketCount(), max_chain_, [&] { return static_cast<size_t>(Rng()() & mask_); },
        [&](size_t b) -> const Node* { return buckets_[b]; });
  }

 private:
  struct FreeBuckets {
    void operator()(Node** p) const { std::free(p); }
  };
  // calloc, not new[]: a big array comes zeroed from fresh pages, so starting a resize costs no
  // O(buckets) memset in the call that starts it.
  using Buckets = std::unique_ptr<Node*[], FreeBuckets>;
  static Buckets AllocBuckets(size_t n) {
    void* p = std::calloc(n, sizeof(Node*));
    if (p == nullptr) throw std::bad_alloc();
    return Buckets(static_cast<Node**>(p));
  }

  // The old array of a resize in progress. Kept out of line so that a table not rehashing costs
  // one pointer for it.
  struct Rehash {
    Buckets old;
    size_t old_mask = 0;
    size_t next = 0;           // old buckets below this one are moved (empty)
    size_t old_size = 0;       // nodes still in the old array
    size_t old_max_chain = 0;  // bounds the old array's chains (they only shrink)
    size_t released = 0;       // bytes of `old` given back (internal::ReleaseMovedBuckets)
    uint32_t paused = 0;       // ForEach / Scan callbacks running: Find moves nothing
  };
  // Holds moves back while a ForEach / Scan callback runs (Redis's dictPauseRehashing). A rehash
  // cannot start or end meanwhile: only Insert / Detach / RehashSteps do that.
  class PauseGuard {
   public:
    explicit PauseGuard(const ScanTable& t) : r_(t.rehash_.get()) {
      if (r_ != nullptr) r_->paused++;
    }
    ~PauseGuard() {
      if (r_ != nullptr) r_->paused--;
    }
    PauseGuard(const PauseGuard&) = delete;
    PauseGuard& operator=(const PauseGuard&) = delete;

   private:
    Rehash* r_;
  };

  static Node* FindInChain(Node* n, uint64_t hash, std::string_view key) {
    for (; n != nullptr; n = n->next) {
      if (n->hash == hash && n->Key() == key) return n;
    }
    return nullptr;
  }
  template <class Fn>
  static void ForEachInChain(const Node* n, Fn& fn) {
    for (; n != nullptr; n = n->next) fn(*n);
  }
  // Unlinks and returns the node with `key` from the chain at `*p`, or nullptr.
  static Node* Unlink(Node** p, uint64_t hash, std::string_view key) {
    for (; *p != nullptr; p = &(*p)->next) {
      Node* n = *p;
      if (n->hash == hash && n->Key() == key) {
        *p = n->next;
        n->next = nullptr;
        return n;
      }
    }
    return nullptr;
  }
  // Prepends `node` to its chain in `buckets` and raises `*max_chain` to that chain's length.
  static void LinkInto(Node** buckets, size_t mask, Node* node, size_t* max_chain) {
    Node** head = &buckets[node->hash & mask];
    size_t chain = 1;
    for (const Node* n = *head; n != nullptr; n = n->next) chain++;
    node->next = *head;
    *head = node;
    *max_chain = std::max(*max_chain, chain);
  }
  static void DestroyChains(Node** buckets, size_t from, size_t to_inclusive) {
    for (size_t b = from; b <= to_inclusive; b++) {
      for (Node* n = buckets[b]; n != nullptr;) {
        Node* next = n->next;
        Node::Destroy(n);
        n = next;
      }
    }
  }

  // Find without moving anything: the old array's bucket (unless already moved), then the new.
  Node* Lookup(uint64_t hash, std::string_view key) const {
    if (rehash_ != nullptr) {
      const Rehash& r = *rehash_;
      const size_t b = hash & r.old_mask;
      if (b >= r.next) {
        if (Node* n = FindInChain(r.old[b], hash, key)) return n;
      }
    }
    return buckets_ ? FindInChain(buckets_[hash & mask_], hash, key) : nullptr;
  }
  // Starts a resize to `buckets` (a power of two >= Size()); no rehash may be in progress. An
  // empty table just swaps arrays.
  void Resize(size_t buckets);
  void MaybeShrink() {
    if (BucketCount() > kMinBuckets && size_ * 8 < BucketCount()) {
      Resize(RoundUpPow2(std::max(size_, kMinBuckets)));
    }
  }
  // dictRehash: moves up to `n` non-empty buckets from the old array (see RehashSteps) and frees
  // it once empty. Returns true while work remains. const because Find calls it: moving nodes
  // between the arrays changes no element, and the members it writes are mutable.
  bool MoveBuckets(size_t n) const;
  Node** LinkOf(const Node* node);
  template <class Fn>
  uint64_t ScanRehashing(uint64_t cursor, Fn& fn) const;
  const Node* RandomRehashing() const;
  // Random() over `total` buckets numbered 0..total-1: `draw()` a uniform bucket number, `at(b)`
  // that bucket's chain, `longest` bounds every chain.
  template <class Draw, class At>
  const Node* RandomPick(size_t total, size_t longest, Draw draw, At at) const;

  Buckets buckets_;
  size_t mask_ = 0;
  size_t size_ = 0;
  // Bounds every chain's length in buckets_ since it was allocated: Random()'s position range.
  mutable size_t max_chain_ = 0;
  // Non-null while a resize is in progress; buckets_ is then the new array.
  mutable std::unique_ptr<Rehash> rehash_;
};

template <class Node>
ScanTable<Node>::ScanTable(const ScanTable& other)
    : mask_(other.mask_), size_(other.size_), max_chain_(other.max_chain_) {
  if (!other.buckets_) return;
  buckets_ = AllocBuckets(mask_ + 1);
  try {
    for (size_t b = 0; b <= mask_; b++) {
      Node** tail = &buckets_[b];
      for (const Node* n = other.buckets_[b]; n != nullptr; n = n->next) {
        Node* c = Node::Copy(*n);
        c->next = nullptr;
        *tail = c;
        tail = &c->next;
      }
    }
    if (other.rehash_ != nullptr) {
      const Rehash& r = *other.rehash_;
      for (size_t b = r.next; b <= r.old_mask; b++) {
        for (const Node* n = r.old[b]; n != nullptr; n = n->next) {
          LinkInto(buckets_.get(), mask_, Node::Copy(*n), &max_chain_);
        }
      }
    }
  } catch (...) {
    Clear();
    throw;
  }
}

template <class Node>
void ScanTable<Node>::Insert(Node* node) {
  assert(Lookup(node->hash, node->Key()) == nullptr);
  if (rehash_ != nullptr) [[unlikely]] {
    assert(rehash_->paused == 0);
    MoveBuckets(kStepBuckets);
  } else if (size_ + 1 > BucketCount()) [[unlikely]] {
    Resize(std::max({kMinBuckets, BucketCount() * 2, RoundUpPow2(size_ + 1)}));
  }
  LinkInto(buckets_.get(), mask_, node, &max_chain_);
  size_++;
}

template <class Node>
Node* ScanTable<Node>::Detach(uint64_t hash, std::string_view key) {
  if (rehash_ == nullptr) [[likely]] {
    if (!buckets_) return nullptr;
    Node* n = Unlink(&buckets_[hash & mask_], hash, key);
    if (n == nullptr) return nullptr;
    size_--;
    MaybeShrink();
    return n;
  }
  assert(rehash_->paused == 0);
  if (!MoveBuckets(kStepBuckets)) return Detach(hash, key);
  Rehash& r = *rehash_;
  const size_t b = hash & r.old_mask;
  Node* n = b >= r.next ? Unlink(&r.old[b], hash, key) : nullptr;
  if (n != nullptr) {
    r.old_size--;
  } else {
    n = Unlink(&buckets_[hash & mask_], hash, key);
    if (n == nullptr) return nullptr;
  }
  size_--;
  // The last node out of the old array ends the rehash now, so that a drained table settles.
  if (r.old_size == 0) {
    rehash_.reset();
    MaybeShrink();
  }
  return n;
}

template <class Node>
Node** ScanTable<Node>::LinkOf(const Node* node) {
  Node** p = nullptr;
  if (rehash_ != nullptr && (node->hash & rehash_->old_mask) >= rehash_->next) {
    p = &rehash_->old[node->hash & rehash_->old_mask];
    while (*p != nullptr && *p != node) p = &(*p)->next;
    if (*p == node) return p;
  }
  for (p = &buckets_[node->hash & mask_]; *p != nullptr; p = &(*p)->next) {
    if (*p == node) return p;
  }
  return nullptr;
}

template <class Node>
void ScanTable<Node>::Replace(Node* old, Node* repl) {
  Node** p = LinkOf(old);
  assert(p != nullptr && "Replace: node not in the table");
  repl->next = old->next;
  *p = repl;
  Node::Destroy(old);
}

template <class Node>
void ScanTable<Node>::Clear() {
  if (rehash_ != nullptr) {
    DestroyChains(rehash_->old.get(), rehash_->next, rehash_->old_mask);
    rehash_.reset();
  }
  if (!buckets_) return;
  DestroyChains(buckets_.get(), 0, mask_);
  buckets_.reset();
  mask_ = 0;
  size_ = 0;
  max_chain_ = 0;
}

template <class Node>
void ScanTable<Node>::Resize(size_t buckets) {
  assert(rehash_ == nullptr && buckets >= size_ && (buckets & (buckets - 1)) == 0);
  Buckets fresh = AllocBuckets(buckets);
  if (size_ > 0) {
    rehash_ = std::make_unique<Rehash>();
    rehash_->old = std::move(buckets_);
    rehash_->old_mask = mask_;
    rehash_->old_size = size_;
    rehash_->old_max_chain = max_chain_;
  }
  buckets_ = std::move(fresh);
  mask_ = buckets - 1;
  max_chain_ = 0;
}

template <class Node>
bool ScanTable<Node>::MoveBuckets(size_t n) const {
  Rehash& r = *rehash_;
  RehashWork& work = ScanTableRehashWork();
  size_t empty_visits = n > SIZE_MAX / kEmptyVisitsPerBucket ? SIZE_MAX : n * kEmptyVisitsPerBucket;
  for (; n > 0 && r.old_size != 0; n--) {
    // old_size != 0: a non-empty bucket lies at or after `next`.
    while (r.old[r.next] == nullptr) {
      r.next++;
      work.empty++;
      if (--empty_visits == 0) break;
    }
    if (empty_visits == 0) break;
    for (Node* e = r.old[r.next]; e != nullptr;) {
      Node* following = e->next;
      LinkInto(buckets_.get(), mask_, e, &max_chain_);
      r.old_size--;
      e = following;
    }
    r.old[r.next++] = nullptr;
    work.moved++;
  }
  if (r.old_size != 0) {
    internal::ReleaseMovedBuckets(r.old.get(), (r.old_mask + 1) * sizeof(Node*),
                                  r.next * sizeof(Node*), &r.released);
    return true;
  }
  rehash_.reset();
  return false;
}

template <class Node>
template <class Fn>
uint64_t ScanTable<Node>::ScanRehashing(uint64_t cursor, Fn& fn) const {
  PauseGuard pause(*this);
  Node* const* small = rehash_->old.get();
  Node* const* big = buckets_.get();
  uint64_t m0 = rehash_->old_mask;
  uint64_t m1 = mask_;
  if (m0 > m1) {
    std::swap(small, big);
    std::swap(m0, m1);
  }
  // dictScan: the cursor's bucket in the smaller array, then every bucket of the larger one
  // that it expands to (those that agree with it on the low bits); the carry out of the extra
  // bits leaves the cursor on the smaller array's next bucket. Moved old buckets are empty.
  ForEachInChain(small[cursor & m0], fn);
  do {
    ForEachInChain(big[cursor & m1], fn);
    cursor = NextScanCursor(cursor, m1);
  } while ((cursor & (m0 ^ m1)) != 0);
  return cursor;
}

template <class Node>
const Node* ScanTable<Node>::RandomRehashing() const {
  // Bucket numbers: first the old array's unmoved buckets, then the new array's. Every bucket
  // (and so every chain position) is drawn with the same probability.
  const Rehash& r = *rehash_;
  const size_t old_live = r.old_mask + 1 - r.next;
  return RandomPick(
      old_live + BucketCount(), std::max(max_chain_, r.old_max_chain),
      [&] { return static_cast<size_t>(RandomBelow(old_live + BucketCount())); },
      [&](size_t b) -> const Node* {
        return b < old_live ? r.old[r.next + b] : buckets_[b - old_live];
      });
}

template <class Node>
template <class Draw, class At>
const Node* ScanTable<Node>::RandomPick(size_t total, size_t longest, Draw draw, At at) const {
  const size_t positions = std::max<size_t>(longest, 1);
  // ~99.99% of the time within the bound at the worst load factor and chain length.
  const size_t tries = std::min<size_t>(8192, 64 * positions * std::max<size_t>(1, total / size_));
  for (size_t t = 0; t < tries; t++) {
    const Node* n = at(draw());
    for (uint64_t k = RandomBelow(positions); n != nullptr && k > 0; k--) n = n->next;
    if (n != nullptr) return n;
  }
  // Redis's dictGetRandomKey: the first non-empty bucket from a random one, a random element of
  // its chain.
  size_t b = draw();
  while (at(b) == nullptr) b = b + 1 == total ? 0 : b + 1;
  size_t chain = 0;
  for (const Node* n = at(b); n != nullptr; n = n->next) chain++;
  const Node* n = at(b);
  for (uint64_t k = RandomBelow(chain); k > 0; k--) n = n->next;
  return n;
}

}  // namespace slotproxy::engine::types
