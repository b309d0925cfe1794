#include "engine/types/string_ring.h"

#include <memory>
#include <new>

namespace slotproxy::engine::types {
namespace {

constexpr size_t kMinCapacity = 4;

}  // namespace

void StringRing::FreeSlots::operator()(std::string* slots) const {
  std::destroy_n(slots, cap);
  ::operator delete(slots);
}

StringRing::Slots StringRing::NewSlots(size_t cap) {
  auto* raw = static_cast<std::string*>(::operator new(cap * sizeof(std::string)));
  std::uninitialized_value_construct_n(raw, cap);  // noexcept for std::string
  return Slots(raw, FreeSlots{cap});
}

StringRing::StringRing(const StringRing& other) {
  if (other.size_ == 0) return;
  size_t cap = kMinCapacity;
  while (cap < other.size_) cap *= 2;
  buf_ = NewSlots(cap);
  cap_ = cap;
  for (size_t i = 0; i < other.size_; i++) buf_[i] = other[i];
  size_ = other.size_;
}

void StringRing::Resize(size_t cap) {
  // The elements are move-constructed straight into raw storage and only the free slots are
  // default-constructed: a growing list (RPUSH) pays no construct-then-move-assign per element.
  auto* raw = static_cast<std::string*>(::operator new(cap * sizeof(std::string)));
  for (size_t i = 0; i < size_; i++) ::new (raw + i) std::string(std::move((*this)[i]));
  std::uninitialized_value_construct_n(raw + size_, cap - size_);
  buf_ = Slots(raw, FreeSlots{cap});  // frees the old slots (moved-from strings are empty)
  cap_ = cap;
  head_ = 0;
}

void StringRing::MaybeShrink() {
  if (size_ == 0) {
    Clear();
  } else if (cap_ > kMinCapacity && size_ <= cap_ / 4) {
    Resize(cap_ / 2);
  }
}

void StringRing::PushBack(std::string_view s) {
  if (size_ == cap_) Resize(cap_ == 0 ? kMinCapacity : cap_ * 2);
  (*this)[size_].assign(s);
  size_++;
}

void StringRing::PushFront(std::string_view s) {
  if (size_ == cap_) Resize(cap_ == 0 ? kMinCapacity : cap_ * 2);
  head_ = (head_ + cap_ - 1) & (cap_ - 1);
  size_++;
  (*this)[0].assign(s);
}

std::string StringRing::PopFront() {
  std::string out = std::move((*this)[0]);
  std::string().swap((*this)[0]);  // release a long element's heap block now
  head_ = (head_ + 1) & (cap_ - 1);
  size_--;
  MaybeShrink();
  return out;
}

std::string StringRing::PopBack() {
  std::string out = std::move((*this)[size_ - 1]);
  std::string().swap((*this)[size_ - 1]);
  size_--;
  MaybeShrink();
  return out;
}

void StringRing::Insert(size_t pos, std::string_view s) {
  if (pos == 0) return PushFront(s);
  PushBack(std::string_view());
  for (size_t i = size_ - 1; i > pos; i--) (*this)[i] = std::move((*this)[i - 1]);
  (*this)[pos].assign(s);
}

void StringRing::Clear() {
  buf_.reset();
  cap_ = head_ = size_ = 0;
}

}  // namespace slotproxy::engine::types
