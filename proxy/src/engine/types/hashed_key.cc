#include "engine/types/hashed_key.h"

namespace slotproxy::engine::types {

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

std::vector<size_t> SampleIndexes(size_t n, size_t k) {
  std::vector<size_t> out;
  out.reserve(k);
  for (size_t i = 0; i < n && out.size() < k; i++) {
    // Keep index i with probability (still needed) / (still available).
    if (RandomBelow(n - i) < k - out.size()) out.push_back(i);
  }
  return out;
}

}  // namespace slotproxy::engine::types
