#include "server/persistence.h"

#include <cstdio>
#include <filesystem>

#include "server/shard.h"

namespace slotproxy::server {

engine::aof::FsyncPolicy Persistence::PolicyFromName(std::string_view name) {
  if (name == "always") return engine::aof::FsyncPolicy::kAlways;
  if (name == "no") return engine::aof::FsyncPolicy::kNo;
  return engine::aof::FsyncPolicy::kEverysec;
}

Persistence::Persistence(net::EventLoop& loop, std::string dir, engine::aof::FsyncPolicy policy)
    : loop_(loop), dir_(std::move(dir)), policy_(policy) {
  // Hooks run before the loop flushes client output: records reach the file (and, with
  // `always`, the disk) before the replies of those writes are written.
  hook_ = loop_.AddBeforeSleep([this] {
    if (writer_ == nullptr) return;
    Status s = writer_->Flush();
    if (!s.ok()) std::fprintf(stderr, "shard: %s\n", s.message().c_str());
  });
}

Status Persistence::Load(Shard& shard) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::Error("cannot create " + dir_ + ": " + ec.message());
  std::string path = dir_ + "/appendonly.aof";
  Result<engine::aof::LoadStats> loaded = engine::aof::LoadAof(
      path, [&shard](std::span<const std::string_view> args) { return shard.Replay(args); });
  if (!loaded.ok()) return loaded.status();
  loaded_ = loaded.value();
  Result<std::unique_ptr<engine::aof::AofWriter>> writer =
      engine::aof::AofWriter::Open(path, policy_);
  if (!writer.ok()) return writer.status();
  writer_ = std::move(writer.value());
  return Status();
}

Persistence::~Persistence() { loop_.RemoveBeforeSleep(hook_); }

void Persistence::Append(std::span<const std::string_view> args) {
  if (writer_ != nullptr) writer_->Append(args);
}

}  // namespace slotproxy::server
