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

void AofWriter::Append(std::span<const std::string_view> args) { EncodeRecord(args, &buffer_); }

Status AofWriter::Flush() {
  if (buffer_.empty()) return last_error_ = Status();
  Status s = WriteAll(fd_, buffer_);
  if (!s.ok()) {
    // A partial write leaves a torn record behind; the next successful write would follow it
    // and turn it into mid-file corruption, so cut the file back to the last whole record.
    if (::ftruncate(fd_, static_cast<off_t>(file_size_)) != 0) write_errors_++;
    write_errors_++;
    return last_error_ = s;
  }
  file_size_ += buffer_.size();
  buffer_.clear();
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

Result<LoadStats> LoadAof(const std::string& path,
                          const std::function<Status(std::span<const std::string_view>)>& replay) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return LoadStats{};
    return OsError("cannot open", path);
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  std::string data = std::move(contents).str();
  LoadStats stats;
  size_t pos = 0;
  if (data.size() < kFileMagic.size() && kFileMagic.substr(0, data.size()) == data) {
    pos = data.size();  // a header torn at creation: the file holds nothing yet
  } else if (data.compare(0, kFileMagic.size(), kFileMagic) != 0) {
    return Status::Error(path + ": not an slotproxy append-only file (bad header at offset 0)");
  } else {
    pos = kFileMagic.size();
  }
  std::vector<std::string_view> args;
  while (pos < data.size()) {
    std::string_view rest = std::string_view(data).substr(pos);
    size_t consumed = 0;
    std::string error;
    DecodeStatus st = DecodeRecord(rest, &args, &consumed, &error);
    if (st == DecodeStatus::kRecord) {
      Status s = replay(args);
      if (!s.ok()) {
        return Status::Error(path + ": record at offset " + std::to_string(pos) +
                             " failed to replay: " + s.message());
      }
      stats.records++;
      pos += consumed;
      continue;
    }
    // A torn tail: the record runs past the end of the file, or it is the last thing in the
    // file (a crash can leave a zero-filled or half-written last block). Anything else is
    // real corruption and we refuse to guess.
    bool torn = st == DecodeStatus::kTruncated || AllZero(rest);
    if (!torn && rest.size() >= kRecordHeaderSize) {
      uint32_t announced = static_cast<uint32_t>(static_cast<unsigned char>(rest[0])) |
                           static_cast<uint32_t>(static_cast<unsigned char>(rest[1])) << 8 |
                           static_cast<uint32_t>(static_cast<unsigned char>(rest[2])) << 16 |
                           static_cast<uint32_t>(static_cast<unsigned char>(rest[3])) << 24;
      torn = announced <= kMaxPayload && kRecordHeaderSize + announced == rest.size();
    }
    if (!torn) {
      return Status::Error(path + ": corrupt record at offset " + std::to_string(pos) + " (" +
                           error + "); " + std::to_string(rest.size()) +
                           " bytes follow. Refusing to start.");
    }
    stats.truncated_bytes = rest.size();
    break;
  }
  stats.valid_size = pos;
  if (stats.truncated_bytes > 0 || pos < kFileMagic.size()) {
    if (::truncate(path.c_str(), static_cast<off_t>(pos < kFileMagic.size() ? 0 : pos)) != 0) {
      return OsError("cannot truncate the torn tail of", path);
    }
    if (stats.truncated_bytes > 0) {
      std::fprintf(stderr, "AOF %s: cut off a torn last record: %llu bytes dropped at offset %zu\n",
                   path.c_str(), static_cast<unsigned long long>(stats.truncated_bytes), pos);
    }
  }
  return stats;
}

}  // namespace slotproxy::engine::aof
