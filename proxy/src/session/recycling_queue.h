// RecyclingQueue: a FIFO of heap objects that are reused instead of freed, for the per-request
// entries of a client session's pipeline. A ring of pointers (grown by doubling, never shrunk
// below its high-water mark while in use) plus a bounded free list: once warm, pushing and
// popping allocate nothing, and an object's buffers (strings, vectors) keep their capacity
// from one request to the next. References to queued objects stay valid until they are popped
// (as with std::deque::emplace_back), whatever else is pushed meanwhile.
#pragma once

#include <cassert>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace slotproxy::session {

// T must be default-constructible and have `void Recycle()`, which puts it back into its
// default state (it may keep capacity). Not thread-safe.
template <typename T>
class RecyclingQueue {
 public:
  RecyclingQueue() = default;
  ~RecyclingQueue() {
    clear();
    for (T* t : free_) delete t;
  }
  RecyclingQueue(const RecyclingQueue&) = delete;
  RecyclingQueue& operator=(const RecyclingQueue&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Requires !empty().
  T& front() const { return *ring_[head_]; }
  T& back() const { return *ring_[(head_ + size_ - 1) & mask_]; }
  // The i-th queued object from the front; requires i < size().
  T& operator[](size_t i) const {
    assert(i < size_);
    return *ring_[(head_ + i) & mask_];
  }

  // Appends an object in its default state and returns it.
  T& emplace_back() {
    if (size_ == ring_.size()) Grow();
    T* t;
    if (free_.empty()) {
      t = new T();
    } else {
      t = free_.back();
      free_.pop_back();
    }
    ring_[(head_ + size_) & mask_] = t;
    ++size_;
    return *t;
  }

  // Drops the front object (recycled); requires !empty().
  void pop_front() {
    assert(size_ > 0);
    T* t = ring_[head_];
    head_ = (head_ + 1) & mask_;
    --size_;
    Release(t);
  }

  // Drops every object (recycled up to the free list's bound).
  void clear() {
    while (size_ > 0) pop_front();
    head_ = 0;
  }

  // Forward iteration from front to back.
  class iterator {
   public:
    iterator(const RecyclingQueue* q, size_t i) : q_(q), i_(i) {}
    T& operator*() const { return (*q_)[i_]; }
    T* operator->() const { return &(*q_)[i_]; }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const iterator& o) const { return i_ == o.i_; }
    bool operator!=(const iterator& o) const { return i_ != o.i_; }

   private:
    const RecyclingQueue* q_;
    size_t i_;
  };
  iterator begin() const { return iterator(this, 0); }
  iterator end() const { return iterator(this, size_); }

  // Objects kept for reuse (tests).
  size_t FreeCount() const { return free_.size(); }

  // Objects beyond this many idle ones are freed: a one-off deep pipeline does not pin memory.
  static constexpr size_t kMaxFree = 64;

 private:
  void Grow() {
    const size_t cap = ring_.empty() ? 8 : ring_.size() * 2;
    std::vector<T*> next(cap, nullptr);
    for (size_t i = 0; i < size_; ++i) next[i] = ring_[(head_ + i) & mask_];
    ring_ = std::move(next);
    head_ = 0;
    mask_ = cap - 1;
  }
  void Release(T* t) {
    if (free_.size() >= kMaxFree) {
      delete t;
      return;
    }
    t->Recycle();
    free_.push_back(t);
  }

  std::vector<T*> ring_;  // capacity a power of two
  size_t head_ = 0;
  size_t size_ = 0;
  size_t mask_ = 0;
  std::vector<T*> free_;
};

}  // namespace slotproxy::session
