#include "engine/keyspace.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>

#include "absl/hash/hash.h"
#include "engine/numbers.h"

namespace slotproxy::engine {

size_t Keyspace::KeyHash::Of(std::string_view k) { return absl::Hash<std::string_view>{}(k); }

Keyspace::Keyspace(SlotFunction slot_of)
    : slot_of_(slot_of),
      tables_(new Table[kTables]),
      slot_head_(new Entry*[kSlots]()),
      slot_count_(new uint32_t[kSlots]()) {
  assert(slot_of_ != nullptr);
}

Keyspace::~Keyspace() { Flush(); }

void Keyspace::LinkSlot(Entry* e) {
  const uint16_t slot = slot_of_(e->key());
  assert(slot < kSlots);
  e->slot_ = slot;
  Entry*& head = slot_head_[slot];
  e->prev_ = nullptr;
  e->next_ = head;
  if (head != nullptr) head->prev_ = e;
  head = e;
  slot_count_[slot]++;
}

void Keyspace::Link(Entry* e) {
  const HashedKey hk = Hashed(e->key());
  [[maybe_unused]] bool inserted = false;
  TableOf(hk.hash).lazy_emplace(hk, [&](const auto& construct) {
    inserted = true;
    construct(e);
  });
  assert(inserted);
  LinkSlot(e);
  size_++;
}

template <class Make>
Keyspace::Table::iterator Keyspace::FindOrCreate(std::string_view key, Make make, Entry** created) {
  *created = nullptr;
  const HashedKey hk = Hashed(key);
  auto it = TableOf(hk.hash).lazy_emplace(hk, [&](const auto& construct) {
    *created = make();
    construct(*created);
  });
  if (*created != nullptr) {
    LinkSlot(*created);
    size_++;
  }
  return it;
}

void Keyspace::Unlink(Entry* e) {
  const HashedKey hk = Hashed(e->key());
  [[maybe_unused]] const size_t erased = TableOf(hk.hash).erase(hk);
  assert(erased == 1);
  size_--;
  if (e->prev_ != nullptr) {
    e->prev_->next_ = e->next_;
  } else {
    slot_head_[e->slot_] = e->next_;
  }
  if (e->next_ != nullptr) e->next_->prev_ = e->prev_;
  slot_count_[e->slot_]--;
  if (e->has_expire()) RemoveVolatile(e);
}

void Keyspace::Replace(Table::iterator it, Entry* fresh, bool keep_ttl) {
  Entry* old = *it;
  // Same key, hence same hash and equality: the table slot may simply take the new pointer.
  const_cast<Entry*&>(*it) = fresh;
  // The fresh block takes the old one's place in the slot list and volatile array, so neither
  // the per-slot order nor the TTL sampling notices the reallocation.
  fresh->slot_ = old->slot_;
  fresh->prev_ = old->prev_;
  fresh->next_ = old->next_;
  if (fresh->prev_ != nullptr) {
    fresh->prev_->next_ = fresh;
  } else {
    slot_head_[fresh->slot_] = fresh;
  }
  if (fresh->next_ != nullptr) fresh->next_->prev_ = fresh;
  if (old->has_expire()) {
    if (keep_ttl) {
      fresh->expire_index_ = old->expire_index_;
      fresh->flags_ |= Entry::kHasExpire;
      volatile_[fresh->expire_index_].entry = fresh;
      old->flags_ &= static_cast<uint8_t>(~Entry::kHasExpire);
    } else {
      RemoveVolatile(old);
    }
  }
  EntryOps::Free(old);
}

Entry* Keyspace::Install(Entry* fresh, bool keep_ttl) {
  Entry* created = nullptr;
  auto it = FindOrCreate(
      fresh->key(), [fresh] { return fresh; }, &created);
  if (created == nullptr) Replace(it, fresh, keep_ttl);
  return fresh;
}

Entry* Keyspace::Find(std::string_view key, int64_t now_ms) {
  const HashedKey hk = Hashed(key);
  Table& table = TableOf(hk.hash);
  auto it = table.find(hk);
  if (it == table.end()) return nullptr;
  Entry* e = *it;
  if (ExpiredAt(e, now_ms)) {
    ExpireNow(e);
    return nullptr;
  }
  return e;
}

void Keyspace::Prefetch(std::span<const std::string_view> keys) const {
  // Two passes so that the probe-group loads of all keys are in flight together; the second
  // pass reads those groups (by then mostly arrived) and starts the entry loads. Keys go in
  // chunks so each is hashed once; a chunk is more loads than a core keeps in flight anyway.
  constexpr size_t kChunk = 32;
  size_t hashes[kChunk];
  for (size_t begin = 0; begin < keys.size(); begin += kChunk) {
    const size_t n = std::min(kChunk, keys.size() - begin);
    for (size_t i = 0; i < n; i++) {
      hashes[i] = KeyHash::Of(keys[begin + i]);
      TableOf(hashes[i]).prefetch(HashedKey{keys[begin + i], hashes[i]});
    }
    for (size_t i = 0; i < n; i++) {
      (void)TableOf(hashes[i]).find(PrefetchProbe{keys[begin + i], hashes[i]});
    }
  }
}

const Entry* Keyspace::Peek(std::string_view key) const {
  const HashedKey hk = Hashed(key);
  const Table& table = TableOf(hk.hash);
  auto it = table.find(hk);
  return it == table.end() ? nullptr : *it;
}

namespace {

// A fresh string entry for `key` holding `value` as embstr or raw (never int).
Entry* NewStringEntry(std::string_view key, std::string_view value) {
  if (value.size() > kEmbStrMax) {
    Entry* e = EntryOps::Allocate(key, ObjType::kString, StrEncoding::kRaw, 0);
    EntryOps::InitRaw(e, std::string(value));
    return e;
  }
  Entry* e = EntryOps::Allocate(key, ObjType::kString, StrEncoding::kEmbStr, value.size());
  std::memcpy(EntryOps::EmbData(e), value.data(), value.size());
  return e;
}

}  // namespace

Entry* Keyspace::SetString(std::string_view key, std::string_view value, bool keep_ttl) {
  int64_t iv = 0;
  const bool as_int = value.size() <= 20 && ParseInt64(value, &iv);
  if (as_int) return SetInteger(key, iv, keep_ttl);
  Entry* created = nullptr;
  auto it = FindOrCreate(
      key, [&] { return NewStringEntry(key, value); }, &created);
  if (created != nullptr) return created;
  Entry* e = *it;
  if (e->type() == ObjType::kString) {
    // Overwrite in place when the layout fits, saving an allocation.
    const StrEncoding enc = e->str_encoding();
    if ((enc == StrEncoding::kEmbStr && value.size() == e->emb_len_) ||
        (enc == StrEncoding::kRaw && value.size() > kEmbStrMax)) {
      if (!keep_ttl && e->has_expire()) RemoveVolatile(e);
      if (enc == StrEncoding::kRaw) {
        e->raw()->assign(value);
      } else {
        std::memcpy(e->emb_data(), value.data(), value.size());
      }
      return e;
    }
  }
  Entry* fresh = NewStringEntry(key, value);
  Replace(it, fresh, keep_ttl);
  return fresh;
}

Entry* Keyspace::SetRawString(std::string_view key, std::string value, bool keep_ttl) {
  Entry* fresh = EntryOps::Allocate(key, ObjType::kString, StrEncoding::kRaw, 0);
  EntryOps::InitRaw(fresh, std::move(value));
  return Install(fresh, keep_ttl);
}

Entry* Keyspace::SetInteger(std::string_view key, int64_t value, bool keep_ttl) {
  auto make = [&] {
    Entry* e = EntryOps::Allocate(key, ObjType::kString, StrEncoding::kInt, 0);
    e->set_int(value);
    return e;
  };
  Entry* created = nullptr;
  auto it = FindOrCreate(key, make, &created);
  if (created != nullptr) return created;
  Entry* e = *it;
  if (e->type() == ObjType::kString && e->str_encoding() == StrEncoding::kInt) {
    if (!keep_ttl && e->has_expire()) RemoveVolatile(e);
    e->set_int(value);
    return e;
  }
  Entry* fresh = make();
  Replace(it, fresh, keep_ttl);
  return fresh;
}

Entry* Keyspace::AddContainer(std::string_view key, ObjType type, void* value) {
  assert(Peek(key) == nullptr);
  Entry* fresh = EntryOps::Allocate(key, type, StrEncoding::kInt, 0);
  fresh->set_pointer(value);
  Link(fresh);
  return fresh;
}

Entry* Keyspace::StoreContainer(std::string_view key, ObjType type, void* value, bool keep_ttl) {
  Entry* fresh = EntryOps::Allocate(key, type, StrEncoding::kInt, 0);
  fresh->set_pointer(value);
  return Install(fresh, keep_ttl);
}

bool Keyspace::Delete(std::string_view key, int64_t now_ms) {
  Entry* e = Find(key, now_ms);
  if (e == nullptr) return false;
  Delete(e);
  return true;
}

void Keyspace::Delete(Entry* e) {
  Unlink(e);
  EntryOps::Free(e);
}

void Keyspace::Flush() {
  for (size_t t = 0; t < kTables; t++) {
    Table& table = tables_[t];
    if (table.capacity() == 0) continue;  // never used: nothing to free or give back
    for (Entry* e : table) EntryOps::Free(e);
    // Swap rather than clear() so a big table gives its memory back.
    Table().swap(table);
  }
  size_ = 0;
  std::fill(slot_head_.get(), slot_head_.get() + kSlots, nullptr);
  std::fill(slot_count_.get(), slot_count_.get() + kSlots, 0);
  std::vector<Volatile>().swap(volatile_);
}

KeyspaceTableStats Keyspace::TableStats() const {
  KeyspaceTableStats stats;
  stats.tables = kTables;
  for (size_t t = 0; t < kTables; t++) {
    const Table& table = tables_[t];
    stats.used += table.empty() ? 0 : 1;
    stats.largest = std::max(stats.largest, table.size());
    stats.capacity += table.capacity();
  }
  return stats;
}

bool Keyspace::ExpiredAt(const Entry* e, int64_t now_ms) const {
  // Redis's keyIsExpired: a key expires strictly after its expire time.
  return e->has_expire() && now_ms > volatile_[e->expire_index_].when_ms;
}

void Keyspace::ExpireNow(Entry* e) {
  if (on_expire_) on_expire_(e->key());
  stats_.expired_keys++;
  Delete(e);
}

void Keyspace::SetExpire(Entry* e, int64_t when_ms) {
  if (e->has_expire()) {
    volatile_[e->expire_index_].when_ms = when_ms;
    return;
  }
  e->expire_index_ = static_cast<uint32_t>(volatile_.size());
  e->flags_ |= Entry::kHasExpire;
  volatile_.push_back(Volatile{e, when_ms});
}

bool Keyspace::Persist(Entry* e) {
  if (!e->has_expire()) return false;
  RemoveVolatile(e);
  return true;
}

int64_t Keyspace::GetExpire(const Entry* e) const {
  return e->has_expire() ? volatile_[e->expire_index_].when_ms : -1;
}

void Keyspace::RemoveVolatile(Entry* e) {
  const uint32_t idx = e->expire_index_;
  const Volatile last = volatile_.back();
  volatile_[idx] = last;
  last.entry->expire_index_ = idx;
  volatile_.pop_back();
  e->flags_ &= static_cast<uint8_t>(~Entry::kHasExpire);
}

RenameResult Keyspace::Rename(std::string_view src, std::string_view dst, bool nx, int64_t now_ms) {
  Entry* s = Find(src, now_ms);
  if (s == nullptr) return RenameResult::kNoSuchKey;
  if (src == dst) return RenameResult::kOk;
  Entry* d = Find(dst, now_ms);
  if (d != nullptr && nx) return RenameResult::kTargetExists;
  const int64_t when = GetExpire(s);
  Entry* fresh = EntryOps::Allocate(dst, s->type(), s->str_encoding(), s->emb_len_);
  EntryOps::MoveValue(s, fresh);
  Delete(s);
  if (d != nullptr) Delete(d);
  Link(fresh);
  if (when >= 0) SetExpire(fresh, when);
  return RenameResult::kOk;
}

CopyResult Keyspace::Copy(std::string_view src, std::string_view dst, bool replace,
                          int64_t now_ms) {
  if (src == dst) return CopyResult::kSameKey;
  Entry* s = Find(src, now_ms);
  if (s == nullptr) return CopyResult::kNoSuchKey;
  Entry* d = Find(dst, now_ms);
  if (d != nullptr && !replace) return CopyResult::kTargetExists;
  Entry* fresh = EntryOps::Allocate(dst, s->type(), s->str_encoding(), s->emb_len_);
  EntryOps::CopyValue(s, fresh);
  const int64_t when = GetExpire(s);
  if (d != nullptr) Delete(d);
  Link(fresh);
  if (when >= 0) SetExpire(fresh, when);
  return CopyResult::kOk;
}

std::vector<std::string> Keyspace::KeysInSlot(uint16_t slot, size_t count) const {
  std::vector<std::string> keys;
  if (slot >= kSlots) return keys;
  for (const Entry* e = slot_head_[slot]; e != nullptr && keys.size() < count; e = e->next_) {
    keys.emplace_back(e->key());
  }
  return keys;
}

size_t Keyspace::DeleteKeysInSlot(uint16_t slot) {
  size_t n = 0;
  if (slot >= kSlots) return 0;
  while (slot_head_[slot] != nullptr) {
    Delete(slot_head_[slot]);
    n++;
  }
  return n;
}

}  // namespace slotproxy::engine
