#include "engine/aof/aof_file.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/aof/aof_format.h"

namespace slotproxy::engine::aof {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/aof-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string File(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

using Records = std::vector<std::vector<std::string>>;

Result<LoadStats> LoadInto(const std::string& path, Records* out) {
  return LoadAof(path, [out](std::span<const std::string_view> args) {
    out->emplace_back(args.begin(), args.end());
    return Status();
  });
}

std::string FileWith(const Records& records) {
  std::string data(kFileMagic);
  for (const auto& r : records) {
    std::vector<std::string_view> views(r.begin(), r.end());
    EncodeRecord(views, &data);
  }
  return data;
}

const Records kSample = {{"SET", "k", "v"},
                         {"RPUSH", "l", "a", std::string("b\0c", 3)},
                         {"DEL", "k"},
                         {"SET", "", std::string(1000, 'x')}};

}  // namespace

TEST_CASE("records written by AofWriter load back in order, under every fsync policy") {
  for (FsyncPolicy policy : {FsyncPolicy::kAlways, FsyncPolicy::kEverysec, FsyncPolicy::kNo}) {
    TempDir dir;
    std::string path = dir.File("a.aof");
    {
      auto writer = AofWriter::Open(path, policy);
      REQUIRE(writer.ok());
      for (const auto& r : kSample) {
        std::vector<std::string_view> views(r.begin(), r.end());
        writer.value()->Append(views);
      }
      REQUIRE(writer.value()->Flush().ok());
      CHECK(writer.value()->PendingBytes() == 0);
      CHECK(writer.value()->stats().file_size == ReadFile(path).size());
      if (policy == FsyncPolicy::kAlways) CHECK(writer.value()->stats().fsyncs >= 1);
    }
    Records loaded;
    auto stats = LoadInto(path, &loaded);
    REQUIRE(stats.ok());
    CHECK(stats.value().records == kSample.size());
    CHECK(stats.value().truncated_bytes == 0);
    CHECK(loaded == kSample);
  }
}

TEST_CASE("a missing file loads nothing; reopening appends after existing records") {
  TempDir dir;
  std::string path = dir.File("a.aof");
  Records loaded;
  REQUIRE(LoadInto(path, &loaded).ok());
  CHECK(loaded.empty());
  WriteFile(path, FileWith({kSample[0]}));
  {
    auto writer = AofWriter::Open(path, FsyncPolicy::kAlways);
    REQUIRE(writer.ok());
    std::vector<std::string_view> views(kSample[2].begin(), kSample[2].end());
    writer.value()->Append(views);
  }  // the destructor flushes
  REQUIRE(LoadInto(path, &loaded).ok());
  CHECK(loaded == Records{kSample[0], kSample[2]});
}

TEST_CASE("a torn last record of any length is cut off and everything before it loads") {
  std::string whole = FileWith(kSample);
  std::string without_last = FileWith({kSample.begin(), kSample.end() - 1});
  TempDir dir;
  std::string path = dir.File("a.aof");
  for (size_t cut = without_last.size() + 1; cut < whole.size(); ++cut) {
    WriteFile(path, whole.substr(0, cut));
    Records loaded;
    auto stats = LoadInto(path, &loaded);
    REQUIRE(stats.ok());
    CHECK(loaded == Records(kSample.begin(), kSample.end() - 1));
    CHECK(stats.value().truncated_bytes == cut - without_last.size());
    CHECK(ReadFile(path) == without_last);
  }
}

TEST_CASE("a zero-filled or garbled last record is a torn tail too") {
  std::string good = FileWith({kSample[0], kSample[1]});
  TempDir dir;
  std::string path = dir.File("a.aof");
  WriteFile(path, good + std::string(37, '\0'));
  Records loaded;
  auto stats = LoadInto(path, &loaded);
  REQUIRE(stats.ok());
  CHECK(stats.value().truncated_bytes == 37);
  CHECK(ReadFile(path) == good);

  std::string whole = FileWith(kSample);
  whole[whole.size() - 3] ^= 0x40;  // damage inside the last record's payload
  WriteFile(path, whole);
  loaded.clear();
  stats = LoadInto(path, &loaded);
  REQUIRE(stats.ok());
  CHECK(loaded.size() == kSample.size() - 1);
}

TEST_CASE("corruption before the last record stops the load and names the offset") {
  std::string whole = FileWith(kSample);
  std::string first = FileWith({kSample[0]});
  whole[first.size() + 10] ^= 0x01;  // inside the second record, two more records follow
  TempDir dir;
  std::string path = dir.File("a.aof");
  WriteFile(path, whole);
  Records loaded;
  auto stats = LoadInto(path, &loaded);
  REQUIRE_FALSE(stats.ok());
  CHECK_THAT(stats.status().message(),
             Catch::Contains("corrupt record at offset " + std::to_string(first.size())));
  CHECK(ReadFile(path) == whole);  // nothing was truncated
}

TEST_CASE("a bad header or a failing replay is an error") {
  TempDir dir;
  std::string path = dir.File("a.aof");
  WriteFile(path, "REDIS0011 not ours");
  Records loaded;
  auto stats = LoadInto(path, &loaded);
  REQUIRE_FALSE(stats.ok());
  CHECK_THAT(stats.status().message(), Catch::Contains("bad header at offset 0"));

  WriteFile(path, FileWith(kSample));
  stats = LoadAof(
      path, [](std::span<const std::string_view>) { return Status::Error("ERR unknown command"); });
  REQUIRE_FALSE(stats.ok());
  CHECK_THAT(stats.status().message(), Catch::Contains("offset 8 failed to replay"));
}

TEST_CASE("a header torn at creation counts as an empty file") {
  TempDir dir;
  std::string path = dir.File("a.aof");
  WriteFile(path, std::string(kFileMagic.substr(0, 3)));
  Records loaded;
  auto stats = LoadInto(path, &loaded);
  REQUIRE(stats.ok());
  CHECK(loaded.empty());
  CHECK(ReadFile(path).empty());
  REQUIRE(AofWriter::Open(path, FsyncPolicy::kNo).ok());
  CHECK(ReadFile(path) == kFileMagic);
}

}  // namespace slotproxy::engine::aof
