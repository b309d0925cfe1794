#include "net/input_buffer.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

namespace slotproxy::net {

void InputBuffer::Consume(size_t n) {
  assert(n <= size_);
  data_ += n;
  size_ -= n;
  // Empty: the next append restarts at the front for free instead of memmoving later. The
  // bytes themselves stay put, so views the parser handed out remain valid.
  if (size_ == 0 && !external_) data_ = storage_.get();
}

void InputBuffer::ShrinkIfIdle() {
  if (size_ == 0 && !external_ && capacity_ > kKeepCapacity) Clear();
}

void InputBuffer::Clear() {
  external_ = false;
  size_ = 0;
  if (capacity_ > kKeepCapacity) {
    storage_.reset();
    capacity_ = 0;
  }
  data_ = storage_.get();
}

void InputBuffer::Reserve(size_t extra) {
  if (external_) AdoptExternal();
  const size_t offset = storage_ ? Offset() : 0;
  if (offset + size_ + extra <= capacity_) return;
  const size_t needed = size_ + extra;
  if (needed <= capacity_ && offset >= size_) {
    // The consumed prefix is at least as large as the live bytes: compacting is cheaper than
    // growing and its memmove cost is paid for by the bytes consumed.
    std::memmove(storage_.get(), data_, size_);
    data_ = storage_.get();
    return;
  }
  size_t new_capacity = std::max(needed, capacity_ + capacity_ / 2);
  auto fresh = std::make_unique_for_overwrite<char[]>(new_capacity);
  if (size_ > 0) std::memcpy(fresh.get(), data_, size_);
  storage_ = std::move(fresh);
  capacity_ = new_capacity;
  data_ = storage_.get();
}

Status InputBuffer::Append(std::string_view bytes) {
  if (bytes.size() > max_size_ - std::min(max_size_, size_)) {
    return Status::Error("input buffer limit of " + std::to_string(max_size_) + " bytes reached");
  }
  if (bytes.empty()) return Status();
  Reserve(bytes.size());
  std::memcpy(const_cast<char*>(data_) + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
  return Status();
}

char* InputBuffer::PrepareAppend(size_t chunk, size_t* granted) {
  const size_t room = max_size_ - std::min(max_size_, size_);
  *granted = std::min(chunk, room);
  if (*granted == 0) return nullptr;
  Reserve(*granted);
  return const_cast<char*>(data_) + size_;
}

void InputBuffer::CommitAppend(size_t n) {
  assert(!external_);
  assert(storage_ && Offset() + size_ + n <= capacity_);
  size_ += n;
}

void InputBuffer::AttachExternal(const char* data, size_t n) {
  assert(size_ == 0);
  external_ = true;
  data_ = data;
  size_ = n;
}

void InputBuffer::AdoptExternal() {
  if (!external_) return;
  const char* src = data_;
  const size_t n = size_;
  external_ = false;
  size_ = 0;
  data_ = storage_.get();
  if (n == 0) return;
  Reserve(n);
  std::memcpy(const_cast<char*>(data_), src, n);
  size_ = n;
}

}  // namespace slotproxy::net
