#include "engine/types/scan_table.h"

#include <sys/mman.h>
#include <unistd.h>

#include <bit>

namespace slotproxy::engine::types {

uint64_t NextScanCursor(uint64_t cursor, uint64_t mask) {
  // rev(rev(v) + 1) adds one at the top bit and carries downwards: it sets the highest clear bit
  // of v and clears every bit above it. Setting the bits outside the mask first (as dictScan
  // does) makes that bit the highest clear one inside the mask; none left means the scan is done.
  const uint64_t v = cursor | ~mask;
  if (v == ~uint64_t{0}) return 0;
  const uint64_t top = uint64_t{1} << (63 - std::countl_zero(~v));
  return (v & (top - 1)) | top;
}

uint64_t RoundUpPow2(uint64_t n) { return n <= 1 ? 1 : std::bit_ceil(n); }

namespace internal {

void ReleaseMovedBuckets(void* array, size_t array_bytes, size_t moved, size_t* released) {
  // Small arrays are cheap to free at once; release big ones 2 MB at a time (~512 pages).
  constexpr size_t kMinArray = size_t{8} << 20;
  constexpr size_t kChunk = size_t{2} << 20;
  if (array_bytes < kMinArray || moved - *released < kChunk) return;
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const auto base = reinterpret_cast<uintptr_t>(array);
  const uintptr_t from = (base + *released + page - 1) & ~(page - 1);
  const uintptr_t to = (base + moved) & ~(page - 1);
  // Advisory: on failure the pages stay until the array is freed.
  if (to <= from) return;
  madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
  *released = to - base;
}

}  // namespace internal

RehashWork& ScanTableRehashWork() {
  thread_local RehashWork work;
  return work;
}

}  // namespace slotproxy::engine::types
