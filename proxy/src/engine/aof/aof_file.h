// The append-only file: AofWriter logs records with an fsync policy, LoadAof replays a file at
// start-up, cutting off a torn last record (kill -9 mid-write) and refusing any other damage.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"

namespace slotproxy::engine::aof {

enum class FsyncPolicy { kAlways, kEverysec, kNo };

// Counters for INFO persistence and metrics.
struct WriterStats {
  uint64_t file_size = 0;          // bytes in the file, header included
  uint64_t fsyncs = 0;             // completed fdatasync calls
  uint64_t last_fsync_micros = 0;  // duration of the latest fdatasync
  uint64_t write_errors = 0;       // failed write or fdatasync calls
};

class AofWriter {
 public:
  // Opens `path` for appending, creating it with the file header when it is missing or empty.
  // The file must already be valid (run LoadAof first). Error: the OS error, naming the path.
  static Result<std::unique_ptr<AofWriter>> Open(const std::string& path, FsyncPolicy policy);

  // Flushes what is buffered, syncs it, stops the everysec thread and closes the file.
  ~AofWriter();
  AofWriter(const AofWriter&) = delete;
  AofWriter& operator=(const AofWriter&) = delete;

  // Buffers one record (written by the next Flush).
  void Append(std::span<const std::string_view> args);

  // Opens a block: the records appended until the matching EndBlock are one atomic unit, written
  // as `MULTI`, the records, `EXEC` when there are two or more (Redis 7.0's
  // propagatePendingCommands), as the lone record when there is one, and not at all when there
  // are none. Pairs nest; only the outermost one makes a block. Flush never writes part of an
  // open block.
  void BeginBlock();
  // Closes the block BeginBlock opened (a no-op when none is open).
  void EndBlock();
  // True between BeginBlock and its matching EndBlock.
  bool in_block() const { return block_depth_ > 0; }

  // Writes every buffered record (those of an open block stay buffered). With kAlways it also
  // fdatasyncs before returning, so call it before the replies of those writes leave (an
  // acknowledged write is on disk). With kEverysec a background thread syncs once per second; with
  // kNo the kernel decides. Error: the write or sync failed (the records stay buffered and are
  // retried on the next Flush); the shard must then refuse writes as Redis does (MISCONF).
  Status Flush();

  // Bytes buffered and not yet written.
  size_t PendingBytes() const { return buffer_.size(); }
  // The latest write/sync error, ok() when the last Flush succeeded.
  const Status& last_error() const { return last_error_; }
  WriterStats stats() const;

  // Any thread: `observer` (empty: none) is called with the duration in nanoseconds of every
  // successful fdatasync from now on, on the thread that synced (the loop with kAlways, the
  // everysec thread otherwise), so it must be cheap and thread-safe. const because it is
  // instrumentation, not file state: whoever only sees the writer (Persistence::writer()) may
  // still watch it.
  void SetFsyncObserver(std::function<void(uint64_t ns)> observer) const;

 private:
  AofWriter(int fd, FsyncPolicy policy, uint64_t size);
  Status SyncNow();
  void SyncLoop();

  int fd_;
  FsyncPolicy policy_;
  std::string buffer_;
  int block_depth_ = 0;
  size_t block_start_ = 0;      // offset in buffer_ of the open block's first record
  uint64_t block_records_ = 0;  // records appended to the open block
  Status last_error_;
  uint64_t file_size_;
  std::atomic<uint64_t> fsyncs_{0};
  std::atomic<uint64_t> last_fsync_micros_{0};
  std::atomic<uint64_t> write_errors_{0};
  std::atomic<uint64_t> written_seq_{0};  // bumped after every write, read by the sync thread
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread sync_thread_;
  mutable std::mutex observer_mu_;  // guards observer_ (set on the loop, called by the syncer)
  mutable std::function<void(uint64_t)> observer_;
};

struct LoadStats {
  uint64_t records = 0;          // records replayed (a block's MULTI and EXEC not counted)
  uint64_t blocks = 0;           // MULTI/EXEC blocks replayed
  uint64_t truncated_bytes = 0;  // bytes of a torn tail that were cut off
  uint64_t valid_size = 0;       // file size after loading
};

// Replays `path` record by record through `replay` (which runs the command without a reply).
// A MULTI/EXEC block is replayed once its EXEC is read (`replay` sees its records, not the MULTI
// and EXEC). A missing file loads nothing. A torn last record is cut off (the file is truncated
// to the last complete record) and reported in LoadStats with a log line on stderr; when the
// file ends inside a block (torn or not), the file is cut back to the block's MULTI and the
// block is not replayed, as Redis's aof-load-truncated does. Any other damage (bad header, a
// bad record followed by more data, a MULTI inside a block, an EXEC outside one, or `replay`
// failing) is an error that names the byte offset; nothing is truncated then.
Result<LoadStats> LoadAof(const std::string& path,
                          const std::function<Status(std::span<const std::string_view>)>& replay);

}  // namespace slotproxy::engine::aof
