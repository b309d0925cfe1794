// The object model: one heap block per key (an Entry) holding a small header, the key bytes and,
// for short strings, the value bytes inline (like Redis's embstr). Containers live behind a
// pointer to the classes in engine/types/, which this header only forward-declares.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/numbers.h"

namespace slotproxy::engine {

class HashValue;
class ListValue;
class SetValue;
class ZSetValue;

// The Redis type of a key's value (TYPE, SCAN TYPE, WRONGTYPE checks).
enum class ObjType : uint8_t { kString = 0, kList = 1, kSet = 2, kZSet = 3, kHash = 4 };

// Redis's name of `type`: "string", "list", "set", "zset" or "hash".
std::string_view TypeName(ObjType type);

// The type named `name` (ASCII case-insensitive, as SCAN TYPE compares), or nullopt.
std::optional<ObjType> ParseTypeName(std::string_view name);

// How a string value is stored, which is also what OBJECT ENCODING reports for it.
enum class StrEncoding : uint8_t {
  kInt = 0,     // an int64 (the text is its canonical decimal form)
  kEmbStr = 1,  // bytes inline in the entry (strings of at most kEmbStrMax bytes set whole)
  kRaw = 2,     // a separately allocated, growable buffer (long or modified strings)
};

// Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT.
inline constexpr size_t kEmbStrMax = 44;

// The largest string value (Redis's proto-max-bulk-len default, 512 MB).
inline constexpr size_t kMaxStringLength = 512ull * 1024 * 1024;

// Maps a container class to its ObjType, for Keyspace::Add / Store and Entry::As.
template <class T>
struct ObjTypeOf;
template <>
struct ObjTypeOf<HashValue> {
  static constexpr ObjType kValue = ObjType::kHash;
};
template <>
struct ObjTypeOf<ListValue> {
  static constexpr ObjType kValue = ObjType::kList;
};
template <>
struct ObjTypeOf<SetValue> {
  static constexpr ObjType kValue = ObjType::kSet;
};
template <>
struct ObjTypeOf<ZSetValue> {
  static constexpr ObjType kValue = ObjType::kZSet;
};

// One key and its value. Entries are created, moved and freed only by Keyspace; a pointer to one
// stays valid until the next Keyspace call that writes that key (SetString may reallocate it) or
// deletes anything (expiry included). Never hold one across calls into the Keyspace.
class Entry {
 public:
  Entry(const Entry&) = delete;
  Entry& operator=(const Entry&) = delete;

  // The key's bytes.
  std::string_view key() const {
    return std::string_view(tail() + (is_embstr() ? 0 : kPayloadSize), key_len_);
  }
  // The value's Redis type.
  ObjType type() const { return static_cast<ObjType>(type_); }
  // The key's cluster slot, as the Keyspace's slot function computed it.
  uint16_t slot() const { return slot_; }
  // True when the key has a time to live (see Keyspace::GetExpire).
  bool has_expire() const { return (flags_ & kHasExpire) != 0; }

  // --- strings (only when type() == kString) ---
  // The storage encoding.
  StrEncoding str_encoding() const { return static_cast<StrEncoding>(flags_ & kEncodingMask); }
  // The integer of an int-encoded string; only when str_encoding() == kInt.
  int64_t int_value() const;
  // The value's bytes. `int_buf` (at least kInt64Chars bytes, engine/numbers.h) receives the
  // text of an int-encoded value; the view is valid until the entry or int_buf changes.
  std::string_view StringValue(char* int_buf) const;
  // The value's length in bytes (STRLEN), without formatting an int-encoded value.
  size_t StringLength() const;

  // --- containers (only when type() matches; nullptr otherwise) ---
  HashValue* hash() const { return As<HashValue>(); }
  ListValue* list() const { return As<ListValue>(); }
  SetValue* set() const { return As<SetValue>(); }
  ZSetValue* zset() const { return As<ZSetValue>(); }
  // The container of type T, or nullptr when the value is not a T.
  template <class T>
  T* As() const {
    return type() == ObjTypeOf<T>::kValue ? static_cast<T*>(pointer()) : nullptr;
  }

 private:
  friend class Keyspace;
  friend struct EntryOps;

  static constexpr uint8_t kEncodingMask = 0x03;
  static constexpr uint8_t kHasExpire = 0x80;
  static constexpr size_t kPayloadSize = 8;  // int64 or pointer, before the key when not embstr

  Entry() = default;
  bool is_embstr() const {
    return type() == ObjType::kString && str_encoding() == StrEncoding::kEmbStr;
  }
  const char* tail() const { return reinterpret_cast<const char*>(this + 1); }
  char* tail() { return reinterpret_cast<char*>(this + 1); }
  void* pointer() const;
  void set_pointer(void* p);
  void set_int(int64_t v);
  std::string* raw() const { return static_cast<std::string*>(pointer()); }
  char* emb_data() { return tail() + key_len_; }
  const char* emb_data() const { return tail() + key_len_; }

  Entry* prev_;            // per-slot intrusive list
  Entry* next_;            //
  uint32_t key_len_;       //
  uint32_t expire_index_;  // index in Keyspace's volatile array when has_expire()
  uint16_t slot_;          //
  uint8_t type_;           // ObjType
  uint8_t flags_;          // StrEncoding in the low bits, kHasExpire
  uint32_t emb_len_;       // embstr value length
  // Followed by: embstr: key bytes, value bytes. Otherwise: 8-byte payload, key bytes.
};
static_assert(sizeof(Entry) == 32, "the entry header is part of the per-key memory budget");

// Low-level entry allocation and value hooks; used by Keyspace only.
struct EntryOps {
  // Allocates an entry for `key` with an uninitialised value of `type` / `enc`; for an embstr,
  // room for `emb_len` value bytes. The links, slot and expiry fields are the caller's.
  static Entry* Allocate(std::string_view key, ObjType type, StrEncoding enc, size_t emb_len);
  // Frees the value (raw buffer or container) and the entry itself.
  static void Free(Entry* e);
  // Frees only the value, leaving the entry block for reuse.
  static void DestroyValue(Entry* e);
  // A deep copy of `src`'s value into `dst` (same type and encoding, allocated by Allocate).
  static void CopyValue(const Entry* src, Entry* dst);
  // Moves the value of `src` into `dst` (allocated with the same type and encoding); `src`'s value
  // is left empty so Free(src) releases only the block.
  static void MoveValue(Entry* src, Entry* dst);
  // Stores a raw string / an int / a container pointer in a freshly allocated entry.
  static void InitRaw(Entry* e, std::string value);
  static void InitInt(Entry* e, int64_t v) { e->set_int(v); }
  static void InitPointer(Entry* e, void* p) { e->set_pointer(p); }
  static std::string* Raw(Entry* e) { return e->raw(); }
  static char* EmbData(Entry* e) { return e->emb_data(); }
  // OBJECT ENCODING's answer for `e`'s value ("int", "embstr", "raw", "listpack", ...).
  static std::string Encoding(const Entry* e);
};

}  // namespace slotproxy::engine
