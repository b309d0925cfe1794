// InputBuffer: the bytes read from a connection that its parser has not consumed yet.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "base/status.h"

namespace slotproxy::net {

// A contiguous window of unconsumed bytes. Parsers look at Data()/Size() and Consume() what
// they have handled from the front. Memory: nothing is preallocated beyond the bytes that
// arrived plus one read chunk (growth is geometric, 1.5x, so huge arguments cost amortised
// O(n) copying); an idle buffer keeps no storage above kKeepCapacity; the consumed prefix is
// reclaimed by compaction (memmove to the front) before growing.
//
// While a TcpConnection delivers fresh reads, the window may point into the loop's shared read
// scratch buffer rather than own storage (zero copy for the common case of a read holding only
// complete requests); the connection copies whatever is left unconsumed into own storage after
// its data callback returns. Views into Data() (the request parser's argument views) are
// therefore valid until the data callback returns or the next Append, whichever comes first;
// Consume() does not invalidate them. Copy what must live longer (e.g. into a backend's
// Output()) before returning.
class InputBuffer {
 public:
  // Redis's client-query-buffer-limit default.
  static constexpr size_t kDefaultMaxSize = size_t{1} << 30;
  // Storage kept for reuse when the buffer empties; larger storage is released.
  static constexpr size_t kKeepCapacity = 64 * 1024;

  explicit InputBuffer(size_t max_size = kDefaultMaxSize) : max_size_(max_size) {}
  InputBuffer(const InputBuffer&) = delete;
  InputBuffer& operator=(const InputBuffer&) = delete;

  // The first unconsumed byte (nullptr when empty and nothing was ever stored).
  const char* Data() const { return data_; }
  // Number of unconsumed bytes.
  size_t Size() const { return size_; }
  bool Empty() const { return size_ == 0; }
  std::string_view View() const { return {data_, size_}; }

  // Drops the first `n` bytes; requires n <= Size(). Never moves or frees memory: views into
  // Data() taken before it stay valid until the next Append/PrepareAppend/ShrinkIfIdle (for a
  // connection's buffer: until the data callback returns).
  void Consume(size_t n);

  // Releases storage above kKeepCapacity when empty (the connection calls it after each data
  // callback, so a burst of large input does not pin memory on an idle connection).
  void ShrinkIfIdle();

  // Appends a copy of `bytes`. Error (and nothing appended) when Size() would exceed MaxSize().
  Status Append(std::string_view bytes);

  // Drops every byte; releases storage above kKeepCapacity.
  void Clear();

  // Bytes of owned storage (for memory accounting); 0 while only the scratch is in use.
  size_t Capacity() const { return capacity_; }
  size_t MaxSize() const { return max_size_; }
  void SetMaxSize(size_t max_size) { max_size_ = max_size; }

  // --- For the reader (TcpConnection) ---------------------------------------------------------

  // Makes room for up to `chunk` bytes at the tail (compacting or growing as needed) and returns
  // where to write them; `*granted` receives the room given, less than `chunk` only near
  // MaxSize() and 0 when the buffer is full.
  char* PrepareAppend(size_t chunk, size_t* granted);
  // Marks `n` bytes written at the pointer PrepareAppend returned as data.
  void CommitAppend(size_t n);
  // Views `n` bytes owned by someone else (the loop's read scratch); requires Empty().
  void AttachExternal(const char* data, size_t n);
  // Copies a still-viewed external window into own storage (no-op when not external).
  void AdoptExternal();
  bool IsExternal() const { return external_; }

 private:
  // Ensures own storage with room for `extra` bytes after the current data.
  void Reserve(size_t extra);
  size_t Offset() const { return static_cast<size_t>(data_ - storage_.get()); }

  std::unique_ptr<char[]> storage_;
  size_t capacity_ = 0;
  const char* data_ = nullptr;
  size_t size_ = 0;
  bool external_ = false;
  size_t max_size_;
};

}  // namespace slotproxy::net
