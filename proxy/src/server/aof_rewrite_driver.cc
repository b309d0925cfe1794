#include "server/aof_rewrite_driver.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "command/key_extraction.h"

namespace slotproxy::server {

engine::aof::KeysOfFn KeysFromCommandTable(const command::CommandTable& table) {
  return [&table](std::span<const std::string_view> args) {
    std::vector<std::string_view> keys;
    if (args.empty()) return keys;
    const command::CommandInfo* info = table.Lookup(args);
    if (info == nullptr) return keys;
    command::KeyRefs refs;
    command::ExtractKeys(*info, args, /*include_not_key=*/false, &refs);
    keys.reserve(refs.size());
    for (const command::KeyRef& r : refs) {
      if (r.pos > 0 && static_cast<size_t>(r.pos) < args.size()) keys.push_back(args[r.pos]);
    }
    return keys;
  };
}

AofRewriteDriver::AofRewriteDriver(std::string aof_path, engine::aof::FsyncPolicy policy,
                                   RewriteOptions options, engine::Keyspace* keyspace,
                                   engine::SlotFunction slot_of, engine::aof::KeysOfFn keys_of)
    : aof_path_(std::move(aof_path)),
      policy_(policy),
      options_(options),
      keyspace_(keyspace),
      slot_of_(slot_of),
      keys_of_(std::move(keys_of)) {
  if (options_.keys_per_step == 0) options_.keys_per_step = 1;
}

AofRewriteDriver::StartResult AofRewriteDriver::Start(int64_t now_ms) {
  if (rewriter_ != nullptr) return StartResult::kAlreadyInProgress;
  started_ms_ = now_ms;
  auto started = engine::aof::AofRewriter::Start(keyspace_, slot_of_, aof_path_, keys_of_);
  if (!started.ok()) {
    Failed(started.status().message());
    return StartResult::kFailed;
  }
  rewriter_ = std::move(started.value());
  rewrites_++;  // as Redis counts: rewrites that got going (its fork), not refused ones
  std::fprintf(stderr, "shard: background append only file rewriting started\n");
  return StartResult::kStarted;
}

void AofRewriteDriver::OnLiveRecord(std::span<const std::string_view> args) {
  if (rewriter_ != nullptr) rewriter_->OnLiveRecord(args);
}

void AofRewriteDriver::OnBlockBegin() {
  if (rewriter_ != nullptr) rewriter_->BeginBlock();
}

void AofRewriteDriver::OnBlockEnd() {
  if (rewriter_ != nullptr) rewriter_->EndBlock();
}

std::unique_ptr<engine::aof::AofWriter> AofRewriteDriver::Step(int64_t now_ms) {
  if (rewriter_ == nullptr) return nullptr;
  Result<bool> done = rewriter_->Step(options_.keys_per_step, now_ms);
  if (!done.ok()) {
    Failed(done.status().message());
    return nullptr;
  }
  if (!done.value()) return nullptr;
  std::unique_ptr<engine::aof::AofWriter> writer;
  const std::string temp = rewriter_->temp_path();
  // The writer is opened on the temp file before the rename: its descriptor then follows the
  // inode, so from the rename on every record lands in the new live file.
  Result<uint64_t> size = rewriter_->Finish([&]() -> Status {
    auto opened = engine::aof::AofWriter::Open(temp, policy_);
    if (!opened.ok()) return opened.status();
    writer = std::move(opened.value());
    return Status();
  });
  if (!size.ok()) {
    // Only the directory sync can fail after the rename: the new file is live then, so the
    // writer opened on it must be used (the old one points at the replaced inode).
    const bool live = rewriter_->renamed();
    const uint64_t written = rewriter_->stats().bytes_written;
    Failed(size.status().message());
    if (!live) return nullptr;
    base_size_ = written;
    return writer;
  }
  const engine::aof::RewriteStats stats = rewriter_->stats();
  rewriter_.reset();
  base_size_ = size.value();
  last_time_sec_ = std::max<int64_t>(0, (now_ms - started_ms_) / 1000);
  last_ok_ = true;
  consecutive_failures_ = 0;
  std::fprintf(stderr,
               "shard: background AOF rewrite finished successfully: %llu bytes, %llu keys "
               "dumped, %llu live records appended\n",
               static_cast<unsigned long long>(size.value()),
               static_cast<unsigned long long>(stats.keys_dumped),
               static_cast<unsigned long long>(stats.records_appended));
  return writer;
}

void AofRewriteDriver::Abort() { rewriter_.reset(); }

void AofRewriteDriver::Failed(const std::string& message) {
  std::fprintf(stderr, "shard: background AOF rewrite failed: %s\n", message.c_str());
  rewriter_.reset();  // removes the temp file
  last_ok_ = false;
  consecutive_failures_++;
}

bool AofRewriteDriver::BackoffHolds(int64_t now_ms) {
  if (consecutive_failures_ < kBackoffThreshold) {
    backoff_minutes_ = 0;
    next_auto_ms_ = 0;
    return false;
  }
  if (next_auto_ms_ != 0) {
    if (now_ms < next_auto_ms_) return true;
    next_auto_ms_ = 0;  // the wait is over: this attempt may go
    return false;
  }
  backoff_minutes_ = backoff_minutes_ == 0 ? 1 : std::min(backoff_minutes_ * 2, kMaxBackoffMinutes);
  next_auto_ms_ = now_ms + backoff_minutes_ * 60 * 1000;
  std::fprintf(stderr,
               "shard: background AOF rewrite failed %llu times in a row; the next automatic "
               "rewrite waits %lld minute(s)\n",
               static_cast<unsigned long long>(consecutive_failures_),
               static_cast<long long>(backoff_minutes_));
  return true;
}

bool AofRewriteDriver::AutoRewriteDue(uint64_t current_size, int64_t now_ms) {
  if (rewriter_ != nullptr) return false;
  if (!engine::aof::ShouldRewrite(current_size, base_size_, options_.auto_percentage,
                                  options_.auto_min_size)) {
    return false;
  }
  return !BackoffHolds(now_ms);
}

RewriteInfo AofRewriteDriver::Info(int64_t now_ms) const {
  RewriteInfo info;
  info.in_progress = rewriter_ != nullptr;
  info.last_time_sec = last_time_sec_;
  info.current_time_sec =
      info.in_progress ? std::max<int64_t>(0, (now_ms - started_ms_) / 1000) : int64_t{-1};
  info.last_ok = last_ok_;
  info.rewrites = rewrites_;
  info.consecutive_failures = consecutive_failures_;
  info.base_size = base_size_;
  return info;
}

}  // namespace slotproxy::server
