#include "engine/types/scan_table.h"

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

}  // namespace slotproxy::engine::types
