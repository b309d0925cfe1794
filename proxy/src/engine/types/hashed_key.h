// Building blocks shared by the container types: the hash of the "hashtable" encodings
// (types::ScanTable, scan_table.h), SCAN's MATCH filter, and the per-thread random source that
// SPOP / SRANDMEMBER / HRANDFIELD draw from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/hash/hash.h"

namespace slotproxy::engine {

// SCAN's MATCH filter: true when an element (field / member) should be returned.
using ScanMatch = absl::FunctionRef<bool(std::string_view)>;

namespace types {

// A hash of `s` that is fixed for the life of the process (cursors depend on it). absl::Hash is
// seeded once per process and mixes well into the low bits, which ScanTable's buckets use.
inline uint64_t StableHash(std::string_view s) { return absl::Hash<std::string_view>{}(s); }

// The per-thread random engine (each engine runs on one thread).
std::mt19937_64& Rng();

// A uniformly random integer in [0, n); n must be > 0.
inline uint64_t RandomBelow(uint64_t n) {
  return std::uniform_int_distribution<uint64_t>(0, n - 1)(Rng());
}

// Knuth's selection sampling: `k` distinct indexes of [0, n) in increasing order (k <= n).
std::vector<size_t> SampleIndexes(size_t n, size_t k);

}  // namespace types
}  // namespace slotproxy::engine
