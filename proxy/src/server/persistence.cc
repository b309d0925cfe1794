#include "server/persistence.h"

#include <cstdio>
#include <filesystem>
#include <utility>

#include "cluster/crc16.h"
#include "command/command_table.h"
#include "server/commands/persistence_commands.h"
#include "server/shard.h"

namespace slotproxy::server {
namespace {

void Field(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->push_back(':');
  out->append(value);
  out->append("\r\n");
}

void Field(std::string* out, std::string_view name, int64_t value) {
  Field(out, name, std::string_view(std::to_string(value)));
}

}  // namespace

engine::aof::FsyncPolicy Persistence::PolicyFromName(std::string_view name) {
  if (name == "always") return engine::aof::FsyncPolicy::kAlways;
  if (name == "no") return engine::aof::FsyncPolicy::kNo;
  return engine::aof::FsyncPolicy::kEverysec;
}

Persistence::Persistence(std::string dir, engine::aof::FsyncPolicy policy, RewriteOptions rewrite)
    : dir_(std::move(dir)),
      path_(dir_ + "/appendonly.aof"),
      policy_(policy),
      rewrite_options_(rewrite),
      alive_(std::make_shared<Persistence*>(this)) {}

Status Persistence::Load(Shard& shard) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::Error("cannot create " + dir_ + ": " + ec.message());
  Result<engine::aof::LoadStats> loaded = engine::aof::LoadAof(
      path_, [&shard](std::span<const std::string_view> args) { return shard.Replay(args); });
  if (!loaded.ok()) return loaded.status();
  loaded_ = loaded.value();
  Result<std::unique_ptr<engine::aof::AofWriter>> writer =
      engine::aof::AofWriter::Open(path_, policy_);
  if (!writer.ok()) return writer.status();
  writer_ = std::move(writer.value());
  // The shard's keyspace uses cluster::KeySlot (shard.cc); the rewriter must scan with the same.
  driver_ = std::make_unique<AofRewriteDriver>(
      path_, policy_, rewrite_options_, &shard.db(), &cluster::KeySlot,
      KeysFromCommandTable(command::CommandTable::BuiltIn()));
  driver_->set_base_size(writer_->stats().file_size);
  loop_ = &shard.loop();
  hook_ = loop_->AddBeforeSleep([this] { FlushAndMaybeRewrite(); });
  hooked_ = true;
  db_ = &shard.db();
  AttachPersistence(db_, this);
  return Status();
}

void Persistence::Close() {
  if (db_ != nullptr) {
    AttachPersistence(db_, nullptr);
    db_ = nullptr;
  }
  if (driver_ != nullptr) driver_->Abort();
  if (hooked_) {
    loop_->RemoveBeforeSleep(hook_);
    hooked_ = false;
  }
  alive_.reset();  // posted steps become no-ops
}

Persistence::~Persistence() { Close(); }

void Persistence::Append(std::span<const std::string_view> args) {
  if (writer_ == nullptr) return;
  writer_->Append(args);
  // After the write was applied (the AofSink contract), as the rewriter requires.
  if (driver_->in_progress()) driver_->OnLiveRecord(args);
}

void Persistence::BeginBlock() {
  if (writer_ == nullptr || block_depth_++ > 0) return;
  writer_->BeginBlock();
  driver_->OnBlockBegin();
}

void Persistence::EndBlock() {
  if (writer_ == nullptr || block_depth_ == 0 || --block_depth_ > 0) return;
  writer_->EndBlock();
  // A rewrite started inside this block (BGREWRITEAOF queued in the transaction) never saw its
  // BeginBlock; the rewriter ignores this unmatched end.
  driver_->OnBlockEnd();
}

void Persistence::FlushAndMaybeRewrite() {
  Status s = writer_->Flush();
  if (!s.ok()) {
    std::fprintf(stderr, "shard: %s\n", s.message().c_str());
    return;
  }
  // Not while a block is open (a busy script serving other clients runs this hook mid-script).
  if (block_depth_ == 0 && driver_->AutoRewriteDue(writer_->stats().file_size, Shard::WallMs())) {
    std::fprintf(stderr, "shard: starting automatic rewriting of AOF on %llu%% growth\n",
                 static_cast<unsigned long long>(rewrite_options_.auto_percentage));
    StartRewrite();
  }
}

AofRewriteDriver::StartResult Persistence::StartRewrite() {
  if (driver_ == nullptr || alive_ == nullptr) return AofRewriteDriver::StartResult::kFailed;
  AofRewriteDriver::StartResult r = driver_->Start(Shard::WallMs());
  if (r == AofRewriteDriver::StartResult::kStarted) ScheduleStep();
  return r;
}

void Persistence::ScheduleStep() {
  if (step_scheduled_) return;
  step_scheduled_ = true;
  // A posted closure runs on the next loop turn and re-posts itself while the rewrite runs: an
  // idle callback that keeps the poll from blocking, so the rewrite advances one bounded slice
  // per turn whether or not clients are active.
  std::weak_ptr<Persistence*> weak = alive_;
  loop_->Post([weak] {
    if (std::shared_ptr<Persistence*> self = weak.lock()) (*self)->RunStep();
  });
}

void Persistence::RunStep() {
  step_scheduled_ = false;
  if (block_depth_ > 0) {
    // A busy script serving other clients runs posted closures mid-script: the dump must not
    // read its half-done writes, nor the file be swapped under its open block. Next turn.
    ScheduleStep();
    return;
  }
  std::unique_ptr<engine::aof::AofWriter> fresh = driver_->Step(Shard::WallMs());
  if (fresh != nullptr) {
    // Records still buffered in the old writer are already in the new file (the rewriter took
    // them as live records); the old writer flushes them into the replaced inode as it closes.
    writer_ = std::move(fresh);
  }
  if (driver_->in_progress()) ScheduleStep();
}

AofInfo Persistence::Info() const {
  AofInfo info;
  const int64_t now = Shard::WallMs();
  if (driver_ != nullptr) info.rewrite = driver_->Info(now);
  if (writer_ != nullptr) {
    info.last_write_ok = writer_->last_error().ok();
    info.current_size = writer_->stats().file_size;
    info.buffer_length = writer_->PendingBytes();
  }
  return info;
}

bool Persistence::AppendInfoFields(std::string* out) const {
  const AofInfo info = Info();
  const RewriteInfo& rw = info.rewrite;
  Field(out, "aof_enabled", 1);
  Field(out, "aof_rewrite_in_progress", rw.in_progress ? 1 : 0);
  Field(out, "aof_rewrite_scheduled", 0);  // nothing (no BGSAVE) can hold a rewrite back
  Field(out, "aof_last_rewrite_time_sec", rw.last_time_sec);
  Field(out, "aof_current_rewrite_time_sec", rw.current_time_sec);
  Field(out, "aof_last_bgrewrite_status", rw.last_ok ? "ok" : "err");
  Field(out, "aof_rewrites", static_cast<int64_t>(rw.rewrites));
  Field(out, "aof_rewrites_consecutive_failures", static_cast<int64_t>(rw.consecutive_failures));
  Field(out, "aof_last_write_status", info.last_write_ok ? "ok" : "err");
  Field(out, "aof_last_cow_size", 0);
  Field(out, "module_fork_in_progress", 0);
  Field(out, "module_fork_last_cow_size", 0);
  Field(out, "aof_current_size", static_cast<int64_t>(info.current_size));
  Field(out, "aof_base_size", static_cast<int64_t>(rw.base_size));
  Field(out, "aof_pending_rewrite", 0);
  Field(out, "aof_buffer_length", static_cast<int64_t>(info.buffer_length));
  Field(out, "aof_pending_bio_fsync", 0);
  Field(out, "aof_delayed_fsync", 0);
  return true;
}

}  // namespace slotproxy::server
