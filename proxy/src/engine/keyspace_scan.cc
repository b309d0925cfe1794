// Keyspace operations that walk many keys: SCAN, KEYS, RANDOMKEY and the active expiry cycle.
#include <algorithm>
#include <utility>

#include "engine/glob.h"
#include "engine/keyspace.h"

namespace slotproxy::engine {
namespace {

// Keys looked at per active-expiry sample, as Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP.
constexpr size_t kExpireSampleSize = 20;
// A slot is finished in at most about this many SCAN steps, however small COUNT is: a step walks
// the whole slot, so a huge slot (hash tags) would otherwise cost O(size^2 / COUNT).
constexpr size_t kScanStepsPerSlot = 64;
// RandomKey walks at most this far into a slot's list, bounding its cost for huge slots.
constexpr size_t kRandomWalkMax = 1024;

}  // namespace

uint32_t ScanHash(std::string_view key) {
  // FNV-1a with a murmur3 finaliser: fixed across runs, so cursors and tests are deterministic.
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return static_cast<uint32_t>(h);
}

size_t Keyspace::ScanSlot(uint16_t slot, uint32_t from, size_t budget, std::vector<Entry*>* picked,
                          uint32_t* next_hash, bool* slot_done) const {
  std::vector<std::pair<uint32_t, Entry*>> items;
  items.reserve(slot_count_[slot]);
  for (Entry* e = slot_head_[slot]; e != nullptr; e = e->next_) {
    const uint32_t h = ScanHash(e->key());
    if (h >= from) items.emplace_back(h, e);
  }
  if (items.size() <= budget) {
    for (const auto& item : items) picked->push_back(item.second);
    *slot_done = true;
    return items.size();
  }
  // Take the `budget` smallest hashes, plus every key sharing the largest taken hash, so the
  // next step can resume at that hash + 1 without skipping anyone.
  std::nth_element(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(budget - 1),
                   items.end());
  const uint32_t limit = items[budget - 1].first;
  size_t n = 0;
  for (const auto& item : items) {
    if (item.first <= limit) {
      picked->push_back(item.second);
      n++;
    }
  }
  *slot_done = limit == UINT32_MAX;
  *next_hash = limit + 1;
  return n;
}

uint64_t Keyspace::ScanEntries(uint64_t cursor, size_t count, int64_t now_ms,
                               absl::FunctionRef<void(Entry*)> visit) {
  uint64_t slot = cursor >> 32;
  uint32_t from = static_cast<uint32_t>(cursor);
  if (slot >= kSlots) return 0;
  size_t budget = std::max<size_t>(count, 1);
  std::vector<Entry*> picked;
  uint64_t next = 0;
  while (slot < kSlots) {
    if (slot_count_[slot] == 0) {
      slot++;
      from = 0;
      continue;
    }
    uint32_t next_hash = 0;
    bool slot_done = false;
    const size_t slot_budget = std::max<size_t>(budget, slot_count_[slot] / kScanStepsPerSlot);
    const size_t n =
        ScanSlot(static_cast<uint16_t>(slot), from, slot_budget, &picked, &next_hash, &slot_done);
    budget -= std::min(n, budget);
    if (!slot_done) {
      next = (slot << 32) | next_hash;
      break;
    }
    slot++;
    from = 0;
    if (budget == 0) {
      next = slot < kSlots ? slot << 32 : 0;
      break;
    }
  }
  for (Entry* e : picked) {
    // Deleting an expired entry never touches another picked one.
    if (ExpiredAt(e, now_ms)) {
      ExpireNow(e);
      continue;
    }
    visit(e);
  }
  return next;
}

uint64_t Keyspace::Scan(uint64_t cursor, size_t count, std::string_view pattern,
                        std::optional<ObjType> type, int64_t now_ms,
                        std::vector<std::string>* out) {
  const bool use_pattern = !pattern.empty() && !IsMatchAll(pattern);
  return ScanEntries(cursor, count, now_ms, [&](Entry* e) {
    if (type.has_value() && e->type() != *type) return;
    if (use_pattern && !GlobMatch(pattern, e->key())) return;
    out->emplace_back(e->key());
  });
}

std::vector<std::string> Keyspace::KeysMatching(std::string_view pattern, int64_t now_ms) const {
  std::vector<std::string> keys;
  const bool all = IsMatchAll(pattern);
  for (size_t t = 0; t < kTables; t++) {
    for (const Entry* e : tables_[t]) {
      if (!all && !GlobMatch(pattern, e->key())) continue;
      if (ExpiredAt(e, now_ms)) continue;
      keys.emplace_back(e->key());
    }
  }
  return keys;
}

std::optional<std::string> Keyspace::RandomKey(int64_t now_ms) {
  while (size_ != 0) {
    size_t slot = rng_() % kSlots;
    // A few random probes find a non-empty slot quickly when keys are spread; a linear sweep
    // from a random start bounds the cost when they are not.
    for (int tries = 0; tries < 64 && slot_count_[slot] == 0; tries++) slot = rng_() % kSlots;
    while (slot_count_[slot] == 0) slot = (slot + 1) % kSlots;
    const size_t span = std::min<size_t>(slot_count_[slot], kRandomWalkMax);
    Entry* e = slot_head_[slot];
    for (size_t i = rng_() % span; i > 0; i--) e = e->next_;
    if (ExpiredAt(e, now_ms)) {
      ExpireNow(e);
      continue;
    }
    return std::string(e->key());
  }
  return std::nullopt;
}

ExpireCycleStats Keyspace::ActiveExpireCycle(int64_t now_ms, size_t max_work) {
  ExpireCycleStats stats;
  while (stats.sampled < max_work && !volatile_.empty()) {
    const size_t batch = std::min(kExpireSampleSize, max_work - stats.sampled);
    size_t sampled = 0;
    size_t expired = 0;
    for (; sampled < batch && !volatile_.empty(); sampled++) {
      const Volatile v = volatile_[rng_() % volatile_.size()];
      if (now_ms > v.when_ms) {
        ExpireNow(v.entry);
        expired++;
      }
    }
    stats.sampled += sampled;
    stats.expired += expired;
    // Like Redis: stop once at most 10% of a sample was stale, the rest can wait.
    if (expired * 10 <= sampled) break;
  }
  return stats;
}

}  // namespace slotproxy::engine
