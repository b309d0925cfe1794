#include "engine/aof/aof_rewrite.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "engine/aof/aof_format.h"
#include "engine/numbers.h"
#include "engine/types/hash_value.h"
#include "engine/types/list_value.h"
#include "engine/types/set_value.h"
#include "engine/types/zset_value.h"

namespace slotproxy::engine::aof {
namespace {

// Pending bytes are written out once they reach this size, so a big step does not hold them all.
constexpr size_t kWriteChunk = 1 << 20;

Status OsError(const std::string& what, const std::string& path) {
  return Status::Error(what + " " + path + ": " + std::strerror(errno));
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return OsError("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status();
}

// The exact text of `score`: %.17g reads back to the same double (and inf / -inf parse too).
std::string ScoreText(double score) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", score);
  return buf;
}

// Streams `cmd key item...` records of at most `max_items` items each, so dumping a big
// container never holds more than one batch of copies.
class Batcher {
 public:
  Batcher(std::string_view cmd, std::string_view key, size_t max_items, std::string* out)
      : cmd_(cmd), key_(key), max_items_(max_items), out_(out) {}
  ~Batcher() { Flush(); }
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  void Add(std::string_view item) {
    items_.emplace_back(item);
    if (items_.size() == max_items_) Flush();
  }

 private:
  void Flush() {
    if (items_.empty()) return;
    args_.assign({cmd_, key_});
    for (const std::string& item : items_) args_.emplace_back(item);
    EncodeRecord(args_, out_);
    items_.clear();
  }

  std::string_view cmd_;
  std::string_view key_;
  size_t max_items_;
  std::string* out_;
  std::vector<std::string> items_;
  std::vector<std::string_view> args_;
};

}  // namespace

bool ShouldRewrite(uint64_t current_size, uint64_t base_size, uint64_t percentage,
                   uint64_t min_size) {
  if (percentage == 0 || current_size <= min_size) return false;
  const uint64_t base = base_size == 0 ? 1 : base_size;
  if (current_size < base) return false;
  // Redis: growth = current * 100 / base - 100 (integer division), split so it cannot overflow.
  const uint64_t ratio_percent = current_size / base * 100 + current_size % base * 100 / base;
  return ratio_percent - 100 >= percentage;
}

Result<std::unique_ptr<AofRewriter>> AofRewriter::Start(Keyspace* keyspace, SlotFunction slot_of,
                                                        std::string aof_path, KeysOfFn keys_of) {
  std::string temp_path = aof_path + ".rewrite.tmp";
  int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return OsError("cannot create", temp_path);
  auto rewriter = std::unique_ptr<AofRewriter>(new AofRewriter(
      keyspace, slot_of, std::move(aof_path), std::move(temp_path), std::move(keys_of), fd));
  rewriter->pending_.append(kFileMagic);
  return rewriter;
}

AofRewriter::AofRewriter(Keyspace* keyspace, SlotFunction slot_of, std::string aof_path,
                         std::string temp_path, KeysOfFn keys_of, int fd)
    : keyspace_(keyspace),
      slot_of_(slot_of),
      aof_path_(std::move(aof_path)),
      temp_path_(std::move(temp_path)),
      keys_of_(std::move(keys_of)),
      fd_(fd) {}

AofRewriter::~AofRewriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_) ::unlink(temp_path_.c_str());
}

bool AofRewriter::Dumped(std::string_view key) const {
  if (done_) return true;
  if (Keyspace::ScanPosition(key, slot_of_(key)) < cursor_) return true;
  return forced_.contains(absl::string_view(key.data(), key.size()));
}

Result<bool> AofRewriter::Step(size_t max_keys, int64_t now_ms) {
  if (!done_) {
    // ScanEntries may expire keys of this step, and the shard then hands us their DEL from
    // inside this call: cursor_ still has its old value, so those DELs are (rightly) dropped.
    const uint64_t next = keyspace_->ScanEntries(cursor_, max_keys, now_ms, [this](Entry* e) {
      if (!forced_.empty() && forced_.contains(absl::string_view(e->key().data(), e->key().size())))
        return;
      DumpEntry(e);
      stats_.keys_dumped++;
    });
    if (next == 0) {
      done_ = true;
      forced_.clear();
    } else {
      cursor_ = next;
    }
  }
  Status s = WritePending();
  if (!s.ok()) return s;
  return done_;
}

void AofRewriter::OnLiveRecord(std::span<const std::string_view> args) {
  std::vector<std::string_view> keys = keys_of_(args);
  if (keys.empty()) {
    Emit(args);  // FLUSHALL / FLUSHDB: it empties what is dumped so far, as it emptied the keyspace
    stats_.records_appended++;
    return;
  }
  size_t dumped = 0;
  for (std::string_view k : keys) dumped += Dumped(k) ? 1 : 0;
  if (dumped == keys.size()) {
    Emit(args);
    stats_.records_appended++;
  } else if (dumped == 0) {
    stats_.records_dropped++;
  } else {
    Redump(keys);
    stats_.records_dropped++;
  }
  if (pending_.size() >= kWriteChunk) (void)WritePending();  // an error resurfaces in Step
}

void AofRewriter::Redump(const std::vector<std::string_view>& keys) {
  // The keyspace already holds the record's effect, so the record cannot be replayed on top of a
  // dump taken now; instead every key it touched is written afresh in its current state.
  for (std::string_view k : keys) {
    if (Dumped(k)) {
      const std::string_view del[] = {"DEL", k};
      Emit(del);
    } else {
      forced_.emplace(k);
    }
    // Peek: no lazy expiry (and so no re-entrant DEL); an expired key is written with its past
    // PEXPIREAT, which deletes it on load.
    if (const Entry* e = keyspace_->Peek(k)) DumpEntry(e);
    stats_.keys_redumped++;
  }
}

void AofRewriter::BeginBlock() { block_depth_++; }

void AofRewriter::EndBlock() {
  if (block_depth_ == 0 || --block_depth_ > 0) return;
  if (block_.empty()) return;
  // Two or more records when the first one does not span the whole buffer.
  std::vector<std::string_view> first;
  size_t first_size = 0;
  std::string error;
  const bool several = DecodeRecord(block_, &first, &first_size, &error) == DecodeStatus::kRecord &&
                       first_size < block_.size();
  if (several) {
    const std::string_view multi[] = {kMultiName};
    EncodeRecord(multi, &pending_);
  }
  pending_.append(block_);
  if (several) {
    const std::string_view exec[] = {kExecName};
    EncodeRecord(exec, &pending_);
    stats_.blocks_appended++;
  }
  block_.clear();
  if (pending_.size() >= kWriteChunk) (void)WritePending();  // an error resurfaces in Step
}

void AofRewriter::Emit(std::span<const std::string_view> args) { EncodeRecord(args, Out()); }

void AofRewriter::DumpEntry(const Entry* e) {
  const std::string_view key = e->key();
  const size_t n = AofRewriter::kItemsPerCommand;
  switch (e->type()) {
    case ObjType::kString: {
      char buf[kInt64Chars];
      const std::string_view set[] = {"SET", key, e->StringValue(buf)};
      Emit(set);
      break;
    }
    case ObjType::kList: {
      Batcher batch("RPUSH", key, n, Out());
      e->list()->ForRange(0, -1, [&](std::string_view v) { batch.Add(v); });
      break;
    }
    case ObjType::kHash: {
      Batcher batch("HSET", key, 2 * n, Out());
      e->hash()->ForEach([&](std::string_view f, std::string_view v) {
        batch.Add(f);
        batch.Add(v);
      });
      break;
    }
    case ObjType::kSet: {
      Batcher batch("SADD", key, n, Out());
      e->set()->ForEach([&](std::string_view m) { batch.Add(m); });
      break;
    }
    case ObjType::kZSet: {
      Batcher batch("ZADD", key, 2 * n, Out());
      e->zset()->ForEach([&](std::string_view m, double score) {
        batch.Add(ScoreText(score));
        batch.Add(m);
      });
      break;
    }
  }
  const int64_t when = keyspace_->GetExpire(e);
  if (when >= 0) {
    const std::string when_text = std::to_string(when);
    const std::string_view expire[] = {"PEXPIREAT", key, when_text};
    Emit(expire);
  }
}

Status AofRewriter::WritePending() {
  if (pending_.empty()) return Status();
  Status s = WriteAll(fd_, pending_, temp_path_);
  if (!s.ok()) return s;
  stats_.bytes_written += pending_.size();
  unsynced_ += pending_.size();
  pending_.clear();
  if (unsynced_ >= kSyncEvery) {
    // Starts the writeback of what was written since the last call without waiting for it (an
    // fdatasync here would stall the shard's loop for the whole chunk); Finish's fsync then has
    // little left. Advisory: an error shows up in that fsync.
    const uint64_t from = stats_.bytes_written - unsynced_;
    (void)::sync_file_range(fd_, static_cast<off_t>(from), static_cast<off_t>(unsynced_),
                            SYNC_FILE_RANGE_WRITE);
    unsynced_ = 0;
  }
  return Status();
}

Result<uint64_t> AofRewriter::Finish(const BeforeRenameFn& before_rename) {
  if (!done_) return Status::Error("AOF rewrite: Finish before the dump is done");
  if (block_depth_ > 0) return Status::Error("AOF rewrite: Finish inside a MULTI/EXEC block");
  Status s = WritePending();
  if (!s.ok()) return s;
  if (::fsync(fd_) != 0) return OsError("cannot sync", temp_path_);
  ::close(fd_);
  fd_ = -1;
  if (before_rename) {
    s = before_rename();
    if (!s.ok()) return s;
  }
  if (::rename(temp_path_.c_str(), aof_path_.c_str()) != 0) {
    return OsError("cannot rename " + temp_path_ + " to", aof_path_);
  }
  finished_ = true;
  // The rename is durable only once the directory entry is synced.
  std::filesystem::path parent = std::filesystem::path(aof_path_).parent_path();
  // Built in one expression: `dir = "."` after the fact trips GCC 12's -Wrestrict false positive.
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return OsError("cannot open directory", dir);
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return OsError("cannot sync directory", dir);
  return stats_.bytes_written;
}

}  // namespace slotproxy::engine::aof
