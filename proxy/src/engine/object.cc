#include "engine/object.h"

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

#include "engine/numbers.h"

// The container classes are written beside this file (engine/types/). Each hook compiles only
// once its header exists, so the object model builds on its own.
#if __has_include("engine/types/hash_value.h")
#include "engine/types/hash_value.h"
#define SLOTPROXY_HAVE_HASH 1
#endif
#if __has_include("engine/types/list_value.h")
#include "engine/types/list_value.h"
#define SLOTPROXY_HAVE_LIST 1
#endif
#if __has_include("engine/types/set_value.h")
#include "engine/types/set_value.h"
#define SLOTPROXY_HAVE_SET 1
#endif
#if __has_include("engine/types/zset_value.h")
#include "engine/types/zset_value.h"
#define SLOTPROXY_HAVE_ZSET 1
#endif

namespace slotproxy::engine {
namespace {

// Type-erased operations on one container class.
struct ContainerOps {
  void (*destroy)(void*);
  void* (*clone)(const void*);
  std::string (*encoding)(const void*);
};

template <class T>
std::string EncodingOf(const T& v) {
  // The types expose their OBJECT ENCODING name under one of these spellings.
  if constexpr (requires { v.Encoding(); }) {
    return std::string(v.Encoding());
  } else if constexpr (requires { v.EncodingName(); }) {
    return std::string(v.EncodingName());
  } else {
    return "unknown";
  }
}

template <class T>
constexpr ContainerOps OpsFor() {
  return ContainerOps{
      [](void* p) { delete static_cast<T*>(p); },
      [](const void* p) -> void* { return static_cast<const T*>(p)->Clone().release(); },
      [](const void* p) { return EncodingOf(*static_cast<const T*>(p)); },
  };
}

const ContainerOps* OpsOf(ObjType type) {
  switch (type) {
#ifdef SLOTPROXY_HAVE_HASH
    case ObjType::kHash: {
      static constexpr ContainerOps kOps = OpsFor<HashValue>();
      return &kOps;
    }
#endif
#ifdef SLOTPROXY_HAVE_LIST
    case ObjType::kList: {
      static constexpr ContainerOps kOps = OpsFor<ListValue>();
      return &kOps;
    }
#endif
#ifdef SLOTPROXY_HAVE_SET
    case ObjType::kSet: {
      static constexpr ContainerOps kOps = OpsFor<SetValue>();
      return &kOps;
    }
#endif
#ifdef SLOTPROXY_HAVE_ZSET
    case ObjType::kZSet: {
      static constexpr ContainerOps kOps = OpsFor<ZSetValue>();
      return &kOps;
    }
#endif
    default:
      // No container of a type whose header is missing can exist: nobody could construct one.
      return nullptr;
  }
}

char FoldAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string_view TypeName(ObjType type) {
  switch (type) {
    case ObjType::kString:
      return "string";
    case ObjType::kList:
      return "list";
    case ObjType::kSet:
      return "set";
    case ObjType::kZSet:
      return "zset";
    case ObjType::kHash:
      return "hash";
  }
  return "none";
}

std::optional<ObjType> ParseTypeName(std::string_view name) {
  for (ObjType t :
       {ObjType::kString, ObjType::kList, ObjType::kSet, ObjType::kZSet, ObjType::kHash}) {
    const std::string_view want = TypeName(t);
    if (want.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; i++) same = FoldAscii(name[i]) == want[i];
    if (same) return t;
  }
  return std::nullopt;
}

void* Entry::pointer() const {
  void* p;
  std::memcpy(&p, tail(), sizeof(p));
  return p;
}

void Entry::set_pointer(void* p) { std::memcpy(tail(), &p, sizeof(p)); }

int64_t Entry::int_value() const {
  int64_t v;
  std::memcpy(&v, tail(), sizeof(v));
  return v;
}

void Entry::set_int(int64_t v) { std::memcpy(tail(), &v, sizeof(v)); }

std::string_view Entry::StringValue(char* int_buf) const {
  switch (str_encoding()) {
    case StrEncoding::kInt:
      return FormatInt64(int_value(), int_buf);
    case StrEncoding::kEmbStr:
      return std::string_view(emb_data(), emb_len_);
    case StrEncoding::kRaw:
      return *raw();
  }
  return {};
}

size_t Entry::StringLength() const {
  switch (str_encoding()) {
    case StrEncoding::kInt: {
      char buf[kInt64Chars];
      return FormatInt64(int_value(), buf).size();
    }
    case StrEncoding::kEmbStr:
      return emb_len_;
    case StrEncoding::kRaw:
      return raw()->size();
  }
  return 0;
}

Entry* EntryOps::Allocate(std::string_view key, ObjType type, StrEncoding enc, size_t emb_len) {
  const bool emb = type == ObjType::kString && enc == StrEncoding::kEmbStr;
  const size_t size = sizeof(Entry) + key.size() + (emb ? emb_len : Entry::kPayloadSize);
  void* mem = std::malloc(size);
  if (mem == nullptr) throw std::bad_alloc();
  Entry* e = new (mem) Entry();
  e->prev_ = nullptr;
  e->next_ = nullptr;
  e->key_len_ = static_cast<uint32_t>(key.size());
  e->expire_index_ = 0;
  e->slot_ = 0;
  e->type_ = static_cast<uint8_t>(type);
  e->flags_ = type == ObjType::kString ? static_cast<uint8_t>(enc) : 0;
  e->emb_len_ = emb ? static_cast<uint32_t>(emb_len) : 0;
  if (!emb) e->set_pointer(nullptr);
  std::memcpy(e->tail() + (emb ? 0 : Entry::kPayloadSize), key.data(), key.size());
  return e;
}

void EntryOps::DestroyValue(Entry* e) {
  if (e->type() == ObjType::kString) {
    if (e->str_encoding() == StrEncoding::kRaw) delete e->raw();
    if (e->str_encoding() != StrEncoding::kEmbStr) e->set_pointer(nullptr);
    return;
  }
  void* p = e->pointer();
  if (p == nullptr) return;
  const ContainerOps* ops = OpsOf(e->type());
  assert(ops != nullptr);
  if (ops != nullptr) ops->destroy(p);
  e->set_pointer(nullptr);
}

void EntryOps::Free(Entry* e) {
  DestroyValue(e);
  e->~Entry();
  std::free(e);
}

void EntryOps::CopyValue(const Entry* src, Entry* dst) {
  if (src->type() == ObjType::kString) {
    switch (src->str_encoding()) {
      case StrEncoding::kInt:
        dst->set_int(src->int_value());
        return;
      case StrEncoding::kEmbStr:
        std::memcpy(dst->emb_data(), src->emb_data(), src->emb_len_);
        return;
      case StrEncoding::kRaw:
        dst->set_pointer(new std::string(*src->raw()));
        return;
    }
  }
  const ContainerOps* ops = OpsOf(src->type());
  assert(ops != nullptr);
  dst->set_pointer(ops == nullptr ? nullptr : ops->clone(src->pointer()));
}

void EntryOps::MoveValue(Entry* src, Entry* dst) {
  if (src->is_embstr()) {
    std::memcpy(dst->emb_data(), src->emb_data(), src->emb_len_);
    return;
  }
  std::memcpy(dst->tail(), src->tail(), Entry::kPayloadSize);
  src->set_pointer(nullptr);
}

void EntryOps::InitRaw(Entry* e, std::string value) {
  e->set_pointer(new std::string(std::move(value)));
}

std::string EntryOps::Encoding(const Entry* e) {
  if (e->type() == ObjType::kString) {
    switch (e->str_encoding()) {
      case StrEncoding::kInt:
        return "int";
      case StrEncoding::kEmbStr:
        return "embstr";
      case StrEncoding::kRaw:
        return "raw";
    }
  }
  const ContainerOps* ops = OpsOf(e->type());
  return ops == nullptr ? std::string("unknown") : ops->encoding(e->pointer());
}

}  // namespace slotproxy::engine
