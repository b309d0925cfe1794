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
// The table owns the nodes linked into it. Resizes rehash everything at once (grow at load factor
// 1, shrink below 1/8, as Redis's dict): O(n) in one call, which is what an incremental rehash
// would spread over later calls; the stored hash keeps it to pointer moves.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "engine/types/hashed_key.h"

namespace slotproxy::engine::types {

// The cursor after visiting bucket `cursor & mask` (mask = buckets - 1): Redis's reverse-binary
// increment (dictScan's `v |= ~m0; v = rev(v); v++; v = rev(v)`). 0 when the scan is complete.
uint64_t NextScanCursor(uint64_t cursor, uint64_t mask);

// The smallest power of two >= max(n, 1).
uint64_t RoundUpPow2(uint64_t n);

template <class Node>
class ScanTable {
 public:
  // Redis's DICT_HT_INITIAL_SIZE: no table smaller than this once anything is stored.
  static constexpr size_t kMinBuckets = 4;

  ScanTable() = default;
  ~ScanTable() { Clear(); }
  // A deep copy (Node::Copy for each node) with the same bucket layout.
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
  }

  // The number of elements.
  size_t Size() const { return size_; }
  bool Empty() const { return size_ == 0; }
  // The number of buckets (0 before the first insert and after Clear()).
  size_t BucketCount() const { return buckets_ ? mask_ + 1 : 0; }

  // The node whose key is `key` (`hash` must be StableHash(key)), or nullptr.
  Node* Find(uint64_t hash, std::string_view key) const {
    if (!buckets_) return nullptr;
    for (Node* n = buckets_[hash & mask_]; n != nullptr; n = n->next) {
      if (n->hash == hash && n->Key() == key) return n;
    }
    return nullptr;
  }

  // Links `node` in and takes ownership; its key must not be present. Grows the table first when
  // it would pass load factor 1.
  void Insert(Node* node);

  // Unlinks the node with `key` and hands it to the caller (nullptr when absent). Shrinks the
  // table when it falls below load factor 1/8.
  Node* Detach(uint64_t hash, std::string_view key);
  // Detach and destroy: true when `key` was present.
  bool Erase(uint64_t hash, std::string_view key) {
    Node* n = Detach(hash, key);
    if (n == nullptr) return false;
    Node::Destroy(n);
    return true;
  }
  // Puts `repl` (same hash and key) where `old` is linked and destroys `old` (a value that no
  // longer fits its node).
  void Replace(Node* old, Node* repl);

  // Destroys every node and frees the buckets.
  void Clear();
  // Sizes the bucket array for `n` elements without a resize on the way.
  void Reserve(size_t n) {
    if (n > BucketCount()) Rehash(RoundUpPow2(n));
  }

  // Calls fn(const Node&) on every node, bucket by bucket. `fn` must not modify the table.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    for (size_t b = 0; b < BucketCount(); b++) {
      for (const Node* n = buckets_[b]; n != nullptr; n = n->next) fn(*n);
    }
  }

  // One SCAN step (dictScan): calls fn(const Node&) on every node of the bucket `cursor` points
  // at and returns the next cursor, 0 when the scan is complete. Any 64-bit cursor is valid.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const {
    if (size_ == 0) return 0;
    for (const Node* n = buckets_[cursor & mask_]; n != nullptr; n = n->next) fn(*n);
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
  // element" towards short chains; this removes it: a random bucket and a random position below
  // the longest chain length, retried when that position is empty, picks every node with the
  // same probability. Expected tries: longest chain / load factor (~10 at worst, as the load
  // factor stays above 1/8); past a bound it falls back to Redis's biased pick.
  const Node* Random() const;

 private:
  // Moves every node into a fresh array of `buckets` (a power of two) and recomputes max_chain_.
  void Rehash(size_t buckets);
  void MaybeShrink() {
    if (BucketCount() > kMinBuckets && size_ * 8 < BucketCount()) {
      Rehash(RoundUpPow2(std::max(size_, kMinBuckets)));
    }
  }

  std::unique_ptr<Node*[]> buckets_;
  size_t mask_ = 0;
  size_t size_ = 0;
  // Bounds every chain's length since the last rehash (reset by it): Random()'s position range.
  size_t max_chain_ = 0;
};

template <class Node>
ScanTable<Node>::ScanTable(const ScanTable& other)
    : mask_(other.mask_), size_(other.size_), max_chain_(other.max_chain_) {
  if (!other.buckets_) return;
  buckets_ = std::make_unique<Node*[]>(mask_ + 1);
  for (size_t b = 0; b <= mask_; b++) {
    Node** tail = &buckets_[b];
    for (const Node* n = other.buckets_[b]; n != nullptr; n = n->next) {
      Node* c = Node::Copy(*n);
      c->next = nullptr;
      *tail = c;
      tail = &c->next;
    }
  }
}

template <class Node>
void ScanTable<Node>::Insert(Node* node) {
  if (size_ + 1 > BucketCount()) Rehash(std::max(kMinBuckets, BucketCount() * 2));
  Node** head = &buckets_[node->hash & mask_];
  size_t chain = 1;
  for (Node* n = *head; n != nullptr; n = n->next) {
    assert(!(n->hash == node->hash && n->Key() == node->Key()));
    chain++;
  }
  node->next = *head;
  *head = node;
  size_++;
  max_chain_ = std::max(max_chain_, chain);
}

template <class Node>
Node* ScanTable<Node>::Detach(uint64_t hash, std::string_view key) {
  if (!buckets_) return nullptr;
  for (Node** p = &buckets_[hash & mask_]; *p != nullptr; p = &(*p)->next) {
    Node* n = *p;
    if (n->hash == hash && n->Key() == key) {
      *p = n->next;
      n->next = nullptr;
      size_--;
      MaybeShrink();
      return n;
    }
  }
  return nullptr;
}

template <class Node>
void ScanTable<Node>::Replace(Node* old, Node* repl) {
  for (Node** p = &buckets_[old->hash & mask_]; *p != nullptr; p = &(*p)->next) {
    if (*p == old) {
      repl->next = old->next;
      *p = repl;
      Node::Destroy(old);
      return;
    }
  }
  assert(false && "Replace: node not in the table");
}

template <class Node>
void ScanTable<Node>::Clear() {
  if (!buckets_) return;
  for (size_t b = 0; b <= mask_; b++) {
    for (Node* n = buckets_[b]; n != nullptr;) {
      Node* next = n->next;
      Node::Destroy(n);
      n = next;
    }
  }
  buckets_.reset();
  mask_ = 0;
  size_ = 0;
  max_chain_ = 0;
}

template <class Node>
void ScanTable<Node>::Rehash(size_t buckets) {
  assert(buckets >= size_ && (buckets & (buckets - 1)) == 0);
  auto fresh = std::make_unique<Node*[]>(buckets);
  // Chain lengths, saturating: only their maximum is kept.
  auto lengths = std::make_unique<uint8_t[]>(buckets);
  const size_t mask = buckets - 1;
  size_t longest = 0;
  for (size_t b = 0; b < BucketCount(); b++) {
    for (Node* n = buckets_[b]; n != nullptr;) {
      Node* next = n->next;
      const size_t to = n->hash & mask;
      n->next = fresh[to];
      fresh[to] = n;
      if (lengths[to] < 255) lengths[to]++;
      longest = std::max<size_t>(longest, lengths[to]);
      n = next;
    }
  }
  buckets_ = std::move(fresh);
  mask_ = mask;
  // A saturated count only bounds the chain from below; keep an honest upper bound.
  max_chain_ = longest >= 255 ? size_ : longest;
}

template <class Node>
const Node* ScanTable<Node>::Random() const {
  assert(size_ > 0);
  const size_t positions = std::max<size_t>(max_chain_, 1);
  // ~99.99% of the time within the bound at the worst load factor and chain length.
  const size_t tries =
      std::min<size_t>(8192, 64 * positions * std::max<size_t>(1, BucketCount() / size_));
  for (size_t t = 0; t < tries; t++) {
    const Node* n = buckets_[Rng()() & mask_];
    for (uint64_t k = RandomBelow(positions); n != nullptr && k > 0; k--) n = n->next;
    if (n != nullptr) return n;
  }
  // Redis's dictGetRandomKey: the first non-empty bucket from a random one, a random element of
  // its chain.
  size_t b = Rng()() & mask_;
  while (buckets_[b] == nullptr) b = (b + 1) & mask_;
  size_t chain = 0;
  for (const Node* n = buckets_[b]; n != nullptr; n = n->next) chain++;
  const Node* n = buckets_[b];
  for (uint64_t k = RandomBelow(chain); k > 0; k--) n = n->next;
  return n;
}

}  // namespace slotproxy::engine::types
