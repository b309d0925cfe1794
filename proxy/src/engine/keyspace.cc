#include "engine/keyspace.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>

#include "absl/hash/hash.h"
#include "engine/numbers.h"

namespace slotproxy::engine {

size_t Keyspace::KeyHash::operator()(std::string_view k) const {
  return absl::Hash<std::string_view>{}(k);
}

Keyspace::Keyspace(SlotFunction slot_of)
    : slot_of_(slot_of), slot_head_(new Entry*[kSlots]()), slot_count_(new uint32_t[kSlots]()) {
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
  LinkSlot(e);
  [[maybe_unused]] const bool inserted = table_.insert(e).second;
  assert(inserted);
}

template <class Make>
Keyspace::Table::iterator Keyspace::FindOrCreate(std::string_view key, Make make, Entry** created) {
  *created = nullptr;
  auto it = table_.lazy_emplace(key, [&](const auto& construct) {
    *created = make();
    construct(*created);
  });
  if (*created != nullptr) LinkSlot(*created);
  return it;
}

void Keyspace::Unlink(Entry* e) {
  table_.erase(e->key());
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
  auto it = table_.find(key);
  if (it == table_.end()) return nullptr;
  Entry* e = *it;
  if (ExpiredAt(e, now_ms)) {
    ExpireNow(e);
    return nullptr;
  }
  return e;
}

void Keyspace::Prefetch(std::span<const std::string_view> keys) const {
  // Two passes so that the probe-group loads of all keys are in flight together; the second
  // pass reads those groups (by then mostly arrived) and starts the entry loads.
  for (std::string_view key : keys) table_.prefetch(key);
  for (std::string_view key : keys) (void)table_.find(PrefetchProbe{key});
}

const Entry* Keyspace::Peek(std::string_view key) const {
  auto it = table_.find(key);
  return it == table_.end() ? nullptr : *it;
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
  assert(table_.find(key) == table_.end());
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
  for (Entry* e : table_) EntryOps::Free(e);
  // Swap rather than clear() so a big table gives its memory back.
  Table().swap(table_);
  std::fill(slot_head_.get(), slot_head_.get() + kSlots, nullptr);
  std::fill(slot_count_.get(), slot_count_.get() + kSlots, 0);
  std::vector<Volatile>().swap(volatile_);
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
