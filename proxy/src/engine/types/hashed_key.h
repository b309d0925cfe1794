// Building blocks shared by the container types: a key ordered by (hash, bytes) so that the
// "hashtable" encodings can be kept in an absl::btree and scanned with a stateless cursor, plus
// the process-wide random source that SPOP / SRANDMEMBER / HRANDFIELD draw from.
//
// Why not absl::flat_hash_map for the big encodings: SCAN's contract (every element present for
// the whole scan is returned at least once, with nothing but a 64-bit cursor as state) needs an
// iteration order that rehashing cannot reshuffle. Ordering by a fixed 64-bit hash gives exactly
// that: the cursor is "the next hash to visit", valid across any insertions, deletions and node
// splits, and lookups stay O(log n) with one integer compare per level in the common case.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"

namespace slotproxy::engine {

// SCAN's MATCH filter: true when an element (field / member) should be returned.
using ScanMatch = absl::FunctionRef<bool(std::string_view)>;

namespace types {

// A hash of `s` that is fixed for the life of the process (cursors depend on it).
inline uint64_t StableHash(std::string_view s) { return std::hash<std::string_view>{}(s); }

// A probe for heterogeneous lookup: a hash and the bytes it was computed from.
struct HashedView {
  uint64_t hash;
  std::string_view bytes;
};

// An owned key ordered by (hash, bytes).
struct HashedKey {
  uint64_t hash;
  std::string bytes;
};

// Strict weak order on (hash, bytes) over HashedKey and HashedView alike.
struct HashedLess {
  using is_transparent = void;
  static HashedView View(const HashedKey& k) { return {k.hash, k.bytes}; }
  static HashedView View(const HashedView& k) { return k; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    const HashedView x = View(a), y = View(b);
    if (x.hash != y.hash) return x.hash < y.hash;
    return x.bytes < y.bytes;
  }
};

// The per-thread random engine (each engine runs on one thread).
std::mt19937_64& Rng();

// A uniformly random integer in [0, n); n must be > 0.
inline uint64_t RandomBelow(uint64_t n) {
  return std::uniform_int_distribution<uint64_t>(0, n - 1)(Rng());
}

// Knuth's selection sampling: `k` distinct indexes of [0, n) in increasing order (k <= n).
std::vector<size_t> SampleIndexes(size_t n, size_t k);

// One step of a hash-ordered scan over `tree` (a btree ordered by HashedLess whose elements expose
// their hash through `hash_of`): visits elements from hash `cursor` on, at least `count` of them
// unless the tree ends, finishing the run of equal hashes so none is split across calls; calls
// `visit` on each. Returns the next cursor, 0 when the scan is complete.
template <class Tree, class HashOf, class Visit>
uint64_t HashOrderedScan(const Tree& tree, uint64_t cursor, size_t count, HashOf hash_of,
                         Visit visit) {
  auto it = tree.lower_bound(HashedView{cursor, std::string_view()});
  size_t visited = 0;
  while (it != tree.end()) {
    const uint64_t h = hash_of(*it);
    if (visited >= count) return h;  // > every visited hash, hence never 0
    for (; it != tree.end() && hash_of(*it) == h; ++it, ++visited) visit(*it);
  }
  return 0;
}

// An element of `tree` (a non-empty btree ordered by HashedLess), close to uniformly random in
// O(log n): a random hash lands before an element with probability proportional to the gap in
// front of it, so a random walk of up to kRandomWalk more steps evens out the unequal gaps (the
// same idea as Redis's dictGetFairRandomKey sampling several buckets).
template <class Tree>
typename Tree::const_iterator RandomHashed(const Tree& tree) {
  constexpr uint64_t kRandomWalk = 16;
  auto it = tree.lower_bound(HashedView{Rng()(), std::string_view()});
  for (uint64_t steps = RandomBelow(kRandomWalk); steps > 0; steps--) {
    if (it == tree.end()) it = tree.begin();
    ++it;
  }
  return it == tree.end() ? tree.begin() : it;
}

}  // namespace types
}  // namespace slotproxy::engine
