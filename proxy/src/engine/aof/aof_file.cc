#include "engine/aof/aof_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "engine/aof/aof_format.h"

namespace slotproxy::engine::aof {
namespace {

Status OsError(const std::string& what, const std::string& path) {
  return Status::Error(what + " " + path + ": " + std::strerror(errno));
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error(std::string("AOF write failed: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status();
}

bool AllZero(std::string_view bytes) {
  for (char c : bytes) {
    if (c != 0) return false;
  }
  return true;
}

// The encoded MULTI and EXEC records (constant bytes).
const std::string& EncodedMarker(std::string_view name) {
  static const std::string multi = [] {
    std::string out;
    const std::string_view args[] = {kMultiName};
    EncodeRecord(args, &out);
    return out;
  }();
  static const std::string exec = [] {
    std::string out;
    const std::string_view args[] = {kExecName};
    EncodeRecord(args, &out);
    return out;
  }();
  return name == kMultiName ? multi : exec;
}

using ReplayFn = std::function<Status(std::span<const std::string_view>)>;

Status ReplayFailed(const std::string& path, size_t pos, const Status& s) {
  return Status::Error(path + ": record at offset " + std::to_string(pos) +
                       " failed to replay: " + s.message());
}

// The records of the MULTI/EXEC block read so far (views into the file's bytes).
struct OpenBlock {
  bool open = false;
  size_t offset = 0;  // of its MULTI record
  std::vector<size_t> offsets;
  std::vector<std::vector<std::string_view>> records;
};

// Takes the complete record at `pos`: replays it, or keeps it for its block, or opens / applies
// a block. Error: a misplaced MULTI or EXEC, or a failed replay, naming the offset.
Status TakeRecord(const std::string& path, size_t pos, const std::vector<std::string_view>& args,
                  const ReplayFn& replay, OpenBlock* block, LoadStats* stats) {
  if (IsMultiRecord(args)) {
    if (block->open) {
      return Status::Error(path + ": the MULTI/EXEC block at offset " +
                           std::to_string(block->offset) +
                           " has no EXEC before the MULTI at offset " + std::to_string(pos) +
                           ". Refusing to start.");
    }
    block->open = true;
    block->offset = pos;
    return Status();
  }
  if (IsExecRecord(args)) {
    if (!block->open) {
      return Status::Error(path + ": EXEC without MULTI at offset " + std::to_string(pos) +
                           ". Refusing to start.");
    }
    // Only now, with the whole block read, does any of it reach the keyspace.
    for (size_t i = 0; i < block->records.size(); ++i) {
      Status s = replay(block->records[i]);
      if (!s.ok()) return ReplayFailed(path, block->offsets[i], s);
      stats->records++;
    }
    stats->blocks++;
    *block = OpenBlock();
    return Status();
  }
  if (block->open) {
    block->offsets.push_back(pos);
    block->records.push_back(args);
    return Status();
  }
  Status s = replay(args);
  if (!s.ok()) return ReplayFailed(path, pos, s);
  stats->records++;
  return Status();
}

// True when the undecodable `rest` (DecodeRecord said `st`) is a torn tail: the record runs past
// the end of the file, or it is the last thing in the file (a crash can leave a zero-filled or
// half-written last block). Anything else is real corruption and we refuse to guess.
bool TornTail(std::string_view rest, DecodeStatus st) {
  if (st == DecodeStatus::kTruncated || AllZero(rest)) return true;
  if (rest.size() < kRecordHeaderSize) return false;
  uint32_t announced = static_cast<uint32_t>(static_cast<unsigned char>(rest[0])) |
                       static_cast<uint32_t>(static_cast<unsigned char>(rest[1])) << 8 |
                       static_cast<uint32_t>(static_cast<unsigned char>(rest[2])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(rest[3])) << 24;
  return announced <= kMaxPayload && kRecordHeaderSize + announced == rest.size();
}

// Where the records of `data` start (after the header). Error: a bad header.
Result<size_t> RecordsStart(const std::string& path, const std::string& data) {
  if (data.size() < kFileMagic.size() && kFileMagic.substr(0, data.size()) == data) {
    return data.size();  // a header torn at creation: the file holds nothing yet
  }
  if (data.compare(0, kFileMagic.size(), kFileMagic) != 0) {
    return Status::Error(path + ": not an slotproxy append-only file (bad header at offset 0)");
  }
  return kFileMagic.size();
}

// Cuts `path` back to `valid` bytes (0 when not even the header is whole) with a log line.
Status CutTail(const std::string& path, size_t valid, const LoadStats& stats, bool in_block) {
  if (::truncate(path.c_str(), static_cast<off_t>(valid < kFileMagic.size() ? 0 : valid)) != 0) {
    return OsError("cannot truncate the torn tail of", path);
  }
  if (stats.truncated_bytes > 0) {
    std::fprintf(stderr, "AOF %s: cut off %s: %llu bytes dropped at offset %zu\n", path.c_str(),
                 in_block ? "an incomplete MULTI/EXEC block" : "a torn last record",
                 static_cast<unsigned long long>(stats.truncated_bytes), valid);
  }
  return Status();
}

}  // namespace

Result<std::unique_ptr<AofWriter>> AofWriter::Open(const std::string& path, FsyncPolicy policy) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return OsError("cannot open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = OsError("cannot stat", path);
    ::close(fd);
    return s;
  }
  auto size = static_cast<uint64_t>(st.st_size);
  if (size == 0) {
    Status s = WriteAll(fd, kFileMagic);
    if (!s.ok() || ::fdatasync(fd) != 0) {
      ::close(fd);
      return s.ok() ? OsError("cannot sync", path) : s;
    }
    size = kFileMagic.size();
  }
  return std::unique_ptr<AofWriter>(new AofWriter(fd, policy, size));
}

AofWriter::AofWriter(int fd, FsyncPolicy policy, uint64_t size)
    : fd_(fd), policy_(policy), file_size_(size) {
  if (policy_ == FsyncPolicy::kEverysec) sync_thread_ = std::thread([this] { SyncLoop(); });
}

AofWriter::~AofWriter() {
  (void)Flush();
  if (sync_thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    sync_thread_.join();
  }
  if (policy_ != FsyncPolicy::kNo) (void)SyncNow();
  ::close(fd_);
}

void AofWriter::Append(std::span<const std::string_view> args) {
  EncodeRecord(args, &buffer_);
  if (block_depth_ > 0) block_records_++;
}

void AofWriter::BeginBlock() {
  if (block_depth_++ > 0) return;
  block_start_ = buffer_.size();
  block_records_ = 0;
}

void AofWriter::EndBlock() {
  if (block_depth_ == 0 || --block_depth_ > 0) return;
  // One record is atomic by itself (Redis skips the wrapper too), and that is the common case,
  // so the MULTI is only put in front once a second record makes it needed.
  if (block_records_ < 2) return;
  buffer_.insert(block_start_, EncodedMarker(kMultiName));
  buffer_.append(EncodedMarker(kExecName));
}

Status AofWriter::Flush() {
  // An open block is held back whole: a crash must never find half of it on disk.
  const size_t ready = block_depth_ > 0 ? block_start_ : buffer_.size();
  if (ready == 0) return last_error_ = Status();
  Status s = WriteAll(fd_, std::string_view(buffer_).substr(0, ready));
  if (!s.ok()) {
    // A partial write leaves a torn record behind; the next successful write would follow it
    // and turn it into mid-file corruption, so cut the file back to the last whole record.
    if (::ftruncate(fd_, static_cast<off_t>(file_size_)) != 0) write_errors_++;
    write_errors_++;
    return last_error_ = s;
  }
  file_size_ += ready;
  buffer_.erase(0, ready);
  if (block_depth_ > 0) block_start_ = 0;
  written_seq_.fetch_add(1, std::memory_order_release);
  if (policy_ == FsyncPolicy::kAlways) {
    s = SyncNow();
    if (!s.ok()) return last_error_ = s;
  }
  return last_error_ = Status();
}

Status AofWriter::SyncNow() {
  auto start = std::chrono::steady_clock::now();
  if (::fdatasync(fd_) != 0) {
    write_errors_++;
    return Status::Error(std::string("AOF fsync failed: ") + std::strerror(errno));
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  last_fsync_micros_.store(static_cast<uint64_t>(ns.count()) / 1000, std::memory_order_relaxed);
  fsyncs_++;
  std::lock_guard<std::mutex> lock(observer_mu_);
  if (observer_) observer_(static_cast<uint64_t>(ns.count()));
  return Status();
}

void AofWriter::SetFsyncObserver(std::function<void(uint64_t ns)> observer) const {
  std::lock_guard<std::mutex> lock(observer_mu_);
  observer_ = std::move(observer);
}

void AofWriter::SyncLoop() {
  uint64_t synced_seq = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    uint64_t seq = written_seq_.load(std::memory_order_acquire);
    if (seq == synced_seq) continue;
    lock.unlock();
    // fdatasync on the same fd as the loop's write() is safe; it covers every completed write.
    if (SyncNow().ok()) synced_seq = seq;
    lock.lock();
  }
}

WriterStats AofWriter::stats() const {
  return WriterStats{file_size_, fsyncs_.load(), last_fsync_micros_.load(), write_errors_.load()};
}

Result<LoadStats> LoadAof(const std::string& path, const ReplayFn& replay) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return LoadStats{};
    return OsError("cannot open", path);
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  const std::string data = std::move(contents).str();
  Result<size_t> start = RecordsStart(path, data);
  if (!start.ok()) return start.status();
  size_t pos = start.value();
  LoadStats stats;
  OpenBlock block;
  std::vector<std::string_view> args;
  bool torn = false;
  while (pos < data.size()) {
    const std::string_view rest = std::string_view(data).substr(pos);
    size_t consumed = 0;
    std::string error;
    const DecodeStatus st = DecodeRecord(rest, &args, &consumed, &error);
    if (st == DecodeStatus::kRecord) {
      Status s = TakeRecord(path, pos, args, replay, &block, &stats);
      if (!s.ok()) return s;
      pos += consumed;
      continue;
    }
    if (!TornTail(rest, st)) {
      return Status::Error(path + ": corrupt record at offset " + std::to_string(pos) + " (" +
                           error + "); " + std::to_string(rest.size()) +
                           " bytes follow. Refusing to start.");
    }
    torn = true;
    break;
  }
  // A file that ends inside a block, torn or not, loses the whole block (Redis 7.0 reverts an
  // incomplete MULTI/EXEC the same way): none of it was replayed.
  stats.valid_size = block.open ? block.offset : pos;
  if (torn || block.open) stats.truncated_bytes = data.size() - stats.valid_size;
  if (stats.truncated_bytes > 0 || stats.valid_size < kFileMagic.size()) {
    Status s = CutTail(path, stats.valid_size, stats, block.open);
    if (!s.ok()) return s;
  }
  return stats;
}

}  // namespace slotproxy::engine::aof
