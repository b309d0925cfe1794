// MULTI/EXEC blocks in the append-only file: AofWriter wraps a block of two or more records,
// LoadAof applies a block whole or (file cut inside it) not at all, and refuses misplaced
// markers; AofRewriter keeps the blocks it copies from the live AOF intact.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cluster/crc16.h"
#include "engine/aof/aof_file.h"
#include "engine/aof/aof_format.h"
#include "engine/aof/aof_rewrite.h"
#include "engine/keyspace.h"

namespace slotproxy::engine::aof {
namespace {

namespace fs = std::filesystem;
using Record = std::vector<std::string>;
using Records = std::vector<Record>;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/aofblock-test-XXXXXX";
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

void Encode(const Record& r, std::string* out) {
  std::vector<std::string_view> views(r.begin(), r.end());
  EncodeRecord(views, out);
}

std::string FileWith(const Records& records) {
  std::string data(kFileMagic);
  for (const Record& r : records) Encode(r, &data);
  return data;
}

// Every record of a file as stored, markers included (the file must be intact).
Records RawRecords(const std::string& data) {
  Records out;
  size_t pos = kFileMagic.size();
  std::vector<std::string_view> args;
  while (pos < data.size()) {
    size_t consumed = 0;
    std::string error;
    REQUIRE(DecodeRecord(std::string_view(data).substr(pos), &args, &consumed, &error) ==
            DecodeStatus::kRecord);
    out.emplace_back(args.begin(), args.end());
    pos += consumed;
  }
  return out;
}

Result<LoadStats> LoadInto(const std::string& path, Records* out) {
  return LoadAof(path, [out](std::span<const std::string_view> args) {
    out->emplace_back(args.begin(), args.end());
    return Status();
  });
}

// A keyspace-like view of replayed records: SET k v and DEL k only.
std::map<std::string, std::string> Apply(const Records& records) {
  std::map<std::string, std::string> kv;
  for (const Record& r : records) {
    if (r[0] == "SET") kv[r[1]] = r[2];
    if (r[0] == "DEL") kv.erase(r[1]);
  }
  return kv;
}

const Record kMulti = {"MULTI"};
const Record kExec = {"EXEC"};
const Record kBefore = {"SET", "a", "0"};
const Records kBlock = {{"SET", "a", "1"}, {"SET", "b", std::string(300, 'b')}, {"DEL", "c"}};
const Record kAfter = {"SET", "z", "9"};

void AppendAll(AofWriter& w, const Records& records) {
  for (const Record& r : records) {
    std::vector<std::string_view> views(r.begin(), r.end());
    w.Append(views);
  }
}

}  // namespace

TEST_CASE("aof block: AofWriter wraps two or more records in MULTI/EXEC, one or none bare") {
  TempDir dir;
  const std::string path = dir.File("a.aof");
  {
    auto opened = AofWriter::Open(path, FsyncPolicy::kAlways);
    REQUIRE(opened.ok());
    AofWriter& w = *opened.value();
    AppendAll(w, {kBefore});
    w.BeginBlock();
    AppendAll(w, {kBlock[0]});
    w.BeginBlock();  // nested (a script inside EXEC): still one block
    AppendAll(w, {kBlock[1]});
    w.EndBlock();
    CHECK(w.in_block());
    AppendAll(w, {kBlock[2]});
    w.EndBlock();
    CHECK_FALSE(w.in_block());
    w.BeginBlock();  // one record: no wrapper
    AppendAll(w, {kAfter});
    w.EndBlock();
    w.BeginBlock();  // no record: nothing at all
    w.EndBlock();
    w.EndBlock();  // unmatched: ignored
    REQUIRE(w.Flush().ok());
  }
  CHECK(RawRecords(ReadFile(path)) ==
        Records{kBefore, kMulti, kBlock[0], kBlock[1], kBlock[2], kExec, kAfter});
  Records loaded;
  auto stats = LoadInto(path, &loaded);
  REQUIRE(stats.ok());
  CHECK(loaded == Records{kBefore, kBlock[0], kBlock[1], kBlock[2], kAfter});
  CHECK(stats.value().records == 5);
  CHECK(stats.value().blocks == 1);
}

TEST_CASE("aof block: Flush holds an open block back and writes it whole after EndBlock") {
  TempDir dir;
  const std::string path = dir.File("a.aof");
  auto opened = AofWriter::Open(path, FsyncPolicy::kNo);
  REQUIRE(opened.ok());
  AofWriter& w = *opened.value();
  AppendAll(w, {kBefore});
  w.BeginBlock();
  AppendAll(w, {kBlock[0], kBlock[1]});
  REQUIRE(w.Flush().ok());
  CHECK(ReadFile(path) == FileWith({kBefore}));  // only what precedes the block
  CHECK(w.PendingBytes() > 0);
  AppendAll(w, {kBlock[2]});
  w.EndBlock();
  REQUIRE(w.Flush().ok());
  CHECK(w.PendingBytes() == 0);
  CHECK(ReadFile(path) == FileWith({kBefore, kMulti, kBlock[0], kBlock[1], kBlock[2], kExec}));
  CHECK(w.stats().file_size == ReadFile(path).size());
}

TEST_CASE(
    "aof block: a file cut anywhere inside a block replays without it, cut after EXEC with it") {
  const std::string before = FileWith({kBefore});
  Records all = {kBefore, kMulti};
  all.insert(all.end(), kBlock.begin(), kBlock.end());
  all.push_back(kExec);
  const std::string whole = FileWith(all);
  const std::string with_after = FileWith([&] {
    Records r = all;
    r.push_back(kAfter);
    return r;
  }());
  TempDir dir;
  const std::string path = dir.File("a.aof");
  const auto absent = Apply({kBefore});
  Records present_records = {kBefore};
  present_records.insert(present_records.end(), kBlock.begin(), kBlock.end());
  const auto present = Apply(present_records);
  REQUIRE(absent != present);
  // Every cut from just after the MULTI's first byte to just before the EXEC's last byte.
  for (size_t cut = before.size() + 1; cut < whole.size(); ++cut) {
    INFO("cut at " << cut);
    WriteFile(path, whole.substr(0, cut));
    Records loaded;
    auto stats = LoadInto(path, &loaded);
    REQUIRE(stats.ok());
    CHECK(Apply(loaded) == absent);
    CHECK(loaded == Records{kBefore});
    CHECK(stats.value().blocks == 0);
    CHECK(stats.value().truncated_bytes == cut - before.size());
    CHECK(stats.value().valid_size == before.size());
    CHECK(ReadFile(path) == before);  // cut back to the MULTI: the next append follows kBefore
  }
  // Cut exactly before the MULTI, or anywhere after the EXEC (inside the record after it).
  for (size_t cut : {before.size(), whole.size()}) {
    WriteFile(path, whole.substr(0, cut));
    Records loaded;
    auto stats = LoadInto(path, &loaded);
    REQUIRE(stats.ok());
    CHECK(stats.value().truncated_bytes == 0);
    CHECK(Apply(loaded) == (cut == whole.size() ? present : absent));
  }
  for (size_t cut = whole.size() + 1; cut < with_after.size(); ++cut) {
    WriteFile(path, with_after.substr(0, cut));
    Records loaded;
    auto stats = LoadInto(path, &loaded);
    REQUIRE(stats.ok());
    CHECK(Apply(loaded) == present);
    CHECK(stats.value().blocks == 1);
    CHECK(ReadFile(path) == whole);
  }
}

TEST_CASE("aof block: a block followed by zeros keeps the block; zeros inside one drop it") {
  TempDir dir;
  const std::string path = dir.File("a.aof");
  const std::string complete = FileWith({kBefore, kMulti, kBlock[0], kBlock[1], kExec});
  WriteFile(path, complete + std::string(50, '\0'));
  Records loaded;
  auto stats = LoadInto(path, &loaded);
  REQUIRE(stats.ok());
  CHECK(loaded == Records{kBefore, kBlock[0], kBlock[1]});
  CHECK(ReadFile(path) == complete);

  const std::string open = FileWith({kBefore, kMulti, kBlock[0], kBlock[1]});
  WriteFile(path, open + std::string(50, '\0'));
  loaded.clear();
  stats = LoadInto(path, &loaded);
  REQUIRE(stats.ok());
  CHECK(loaded == Records{kBefore});
  CHECK(stats.value().truncated_bytes == open.size() + 50 - FileWith({kBefore}).size());
  CHECK(ReadFile(path) == FileWith({kBefore}));
}

TEST_CASE("aof block: a MULTI inside a block or an EXEC outside one stops the load") {
  TempDir dir;
  const std::string path = dir.File("a.aof");
  const size_t first_multi = FileWith({kBefore}).size();
  const std::string nested = FileWith({kBefore, kMulti, kBlock[0], kMulti, kBlock[1], kExec});
  const size_t second_multi = FileWith({kBefore, kMulti, kBlock[0]}).size();
  WriteFile(path, nested);
  Records loaded;
  auto stats = LoadInto(path, &loaded);
  REQUIRE_FALSE(stats.ok());
  CHECK_THAT(
      stats.status().message(),
      Catch::Contains("the MULTI/EXEC block at offset " + std::to_string(first_multi) +
                      " has no EXEC before the MULTI at offset " + std::to_string(second_multi)));
  CHECK_THAT(stats.status().message(), Catch::Contains("Refusing to start."));
  CHECK(ReadFile(path) == nested);  // nothing truncated
  CHECK(loaded == Records{kBefore});

  const std::string stray = FileWith({kBefore, kBlock[0], kExec, kAfter});
  WriteFile(path, stray);
  loaded.clear();
  stats = LoadInto(path, &loaded);
  REQUIRE_FALSE(stats.ok());
  CHECK_THAT(stats.status().message(),
             Catch::Contains("EXEC without MULTI at offset " +
                             std::to_string(FileWith({kBefore, kBlock[0]}).size())));
  CHECK(ReadFile(path) == stray);

  // A damaged record inside a block with more data after it is corruption, not a torn tail.
  std::string damaged = FileWith({kBefore, kMulti, kBlock[0], kBlock[1], kExec});
  const size_t bad = FileWith({kBefore, kMulti}).size();
  damaged[bad + 10] ^= 0x01;
  WriteFile(path, damaged);
  loaded.clear();
  stats = LoadInto(path, &loaded);
  REQUIRE_FALSE(stats.ok());
  CHECK_THAT(stats.status().message(),
             Catch::Contains("corrupt record at offset " + std::to_string(bad)));
}

TEST_CASE("aof block: markers are matched in any case and replay failures name the record") {
  TempDir dir;
  const std::string path = dir.File("a.aof");
  WriteFile(path, FileWith({{"multi"}, kBlock[0], kBlock[1], {"Exec"}}));
  Records loaded;
  auto stats = LoadInto(path, &loaded);
  REQUIRE(stats.ok());
  CHECK(loaded == Records{kBlock[0], kBlock[1]});
  CHECK(stats.value().blocks == 1);
  // MULTI with an argument is not a marker (and not a command the loader knows either).
  CHECK_FALSE(IsMultiRecord(std::vector<std::string_view>{"MULTI", "x"}));
  CHECK(IsExecRecord(std::vector<std::string_view>{"eXeC"}));

  WriteFile(path, FileWith({kMulti, kBlock[0], kBlock[1], kExec}));
  const size_t second = FileWith({kMulti, kBlock[0]}).size();
  stats = LoadAof(path, [](std::span<const std::string_view> args) {
    return args[1] == "b" ? Status::Error("ERR boom") : Status();
  });
  REQUIRE_FALSE(stats.ok());
  CHECK_THAT(stats.status().message(),
             Catch::Contains("record at offset " + std::to_string(second) + " failed to replay"));
}

TEST_CASE("aof block: a rewrite wraps the block records it keeps, and only those") {
  TempDir dir;
  const std::string path = dir.File("appendonly.aof");
  Keyspace ks(&cluster::KeySlot);
  for (int i = 0; i < 20; ++i) ks.SetString("k" + std::to_string(i), "v");
  auto started = AofRewriter::Start(&ks, &cluster::KeySlot, path, [](auto args) {
    return std::vector<std::string_view>{args[1]};
  });
  REQUIRE(started.ok());
  AofRewriter& rw = *started.value();
  auto live = [&](const Record& r) {
    ks.SetString(r[1], r[2]);
    std::vector<std::string_view> views(r.begin(), r.end());
    rw.OnLiveRecord(views);
  };
  // Nothing dumped yet: the block's records are dropped (the dump covers them), no wrapper.
  rw.BeginBlock();
  live({"SET", "k1", "early"});
  live({"SET", "k2", "early"});
  rw.EndBlock();
  while (!rw.Done()) REQUIRE(rw.Step(5, 0).ok());
  rw.EndBlock();  // unmatched (a rewrite started inside a transaction): ignored
  rw.BeginBlock();
  live({"SET", "k1", "late"});
  rw.BeginBlock();
  live({"SET", "new", "late"});
  rw.EndBlock();
  rw.EndBlock();
  rw.BeginBlock();
  live({"SET", "k3", "alone"});
  rw.EndBlock();
  REQUIRE(rw.Finish().ok());
  CHECK(rw.stats().blocks_appended == 1);
  const Records raw = RawRecords(ReadFile(path));
  REQUIRE(raw.size() == 20 + 5);
  CHECK(Records(raw.end() - 5, raw.end()) ==
        Records{
            kMulti, {"SET", "k1", "late"}, {"SET", "new", "late"}, kExec, {"SET", "k3", "alone"}});
  for (size_t i = 0; i < 20; ++i) CHECK(raw[i][0] == "SET");
}

}  // namespace slotproxy::engine::aof
