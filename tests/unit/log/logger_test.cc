#include "log/logger.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace slotproxy::log {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TempPath(const char* name) {
  return std::string("/tmp/slotproxy_log_test_") + std::to_string(getpid()) + "_" + name;
}

TEST_CASE("lines have Redis's layout: pid:role date time.ms mark message") {
  std::ostringstream out;
  auto logger = Logger::ForStream(out, Level::kDebug, 'P');
  logger->Notice("Ready to accept connections on {}", 7000);
  const std::vector<std::string> lines = Lines(out.str());
  REQUIRE(lines.size() == 1);
  const std::regex re(std::to_string(getpid()) +
                      R"(:P \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} )"
                      R"(\d\d:\d\d:\d\d\.\d{3} \* Ready to accept connections on 7000)");
  CHECK(std::regex_match(lines[0], re));
}

TEST_CASE("each level has Redis's mark") {
  std::ostringstream out;
  auto logger = Logger::ForStream(out, Level::kDebug, 'M');
  logger->Debug("d");
  logger->Verbose("v");
  logger->Notice("n");
  logger->Warning("w");
  const std::vector<std::string> lines = Lines(out.str());
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].substr(lines[0].size() - 3) == ". d");
  CHECK(lines[1].substr(lines[1].size() - 3) == "- v");
  CHECK(lines[2].substr(lines[2].size() - 3) == "* n");
  CHECK(lines[3].substr(lines[3].size() - 3) == "# w");
  CHECK(lines[0].find(":M ") != std::string::npos);
}

TEST_CASE("the threshold drops lower levels and changes at run time") {
  std::ostringstream out;
  auto logger = Logger::ForStream(out, Level::kNotice);
  logger->Debug("hidden debug");
  logger->Verbose("hidden verbose");
  logger->Notice("shown notice");
  CHECK(Lines(out.str()).size() == 1);
  logger->SetLevel(Level::kDebug);
  CHECK(logger->level() == Level::kDebug);
  logger->Debug("now shown");
  CHECK(Lines(out.str()).size() == 2);
  logger->SetLevel(Level::kWarning);
  logger->Notice("hidden again");
  logger->Warning("warned");
  const std::vector<std::string> lines = Lines(out.str());
  REQUIRE(lines.size() == 3);
  CHECK(lines[2].find("warned") != std::string::npos);
  CHECK(out.str().find("hidden") == std::string::npos);
}

TEST_CASE("arguments are not formatted below the threshold") {
  std::ostringstream out;
  auto logger = Logger::ForStream(out, Level::kWarning);
  int calls = 0;
  auto arg = [&calls] {
    ++calls;
    return 1;
  };
  if (logger->Enabled(Level::kDebug)) logger->Debug("{}", arg());
  CHECK(calls == 0);
  CHECK(!logger->Enabled(Level::kNotice));
  CHECK(logger->Enabled(Level::kWarning));
}

TEST_CASE("a file logger appends, and Reopen starts a new file after a rename") {
  const std::string path = TempPath("a.log");
  const std::string rotated = path + ".1";
  std::remove(path.c_str());
  std::remove(rotated.c_str());
  { std::ofstream(path) << "earlier line\n"; }
  auto created = Logger::Create({path, Level::kNotice, 'P'});
  REQUIRE(created.ok());
  Logger& logger = *created.value();
  CHECK(logger.destination() == path);
  logger.Notice("first");
  CHECK(Lines(ReadFile(path)).size() == 2);  // appended, flushed at once
  REQUIRE(std::rename(path.c_str(), rotated.c_str()) == 0);
  REQUIRE(logger.Reopen(path).ok());
  logger.Notice("second");
  CHECK(Lines(ReadFile(rotated)).size() == 2);
  const std::vector<std::string> fresh = Lines(ReadFile(path));
  REQUIRE(fresh.size() == 1);
  CHECK(fresh[0].find("* second") != std::string::npos);
  std::remove(path.c_str());
  std::remove(rotated.c_str());
}

TEST_CASE("an unopenable file is an error; Reopen failure keeps the old destination") {
  auto bad = Logger::Create({"/nonexistent-dir/x.log", Level::kNotice, 'P'});
  REQUIRE(!bad.ok());
  CHECK(bad.status().message().find("/nonexistent-dir/x.log") != std::string::npos);

  const std::string path = TempPath("b.log");
  std::remove(path.c_str());
  auto created = Logger::Create({path, Level::kNotice, 'P'});
  REQUIRE(created.ok());
  Status st = created.value()->Reopen("/nonexistent-dir/y.log");
  CHECK(!st.ok());
  CHECK(created.value()->destination() == path);
  created.value()->Notice("still here");
  CHECK(ReadFile(path).find("still here") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("stream and discard loggers cannot be reopened; discard drops everything") {
  std::ostringstream out;
  auto stream = Logger::ForStream(out, Level::kNotice);
  CHECK(!stream->Reopen("stderr").ok());
  auto none = Logger::Discard();
  none->Warning("nothing");
  CHECK(!none->Reopen("stderr").ok());
}

TEST_CASE("level names round-trip; unknown names are refused with the accepted list") {
  for (Level l : {Level::kDebug, Level::kVerbose, Level::kNotice, Level::kWarning}) {
    auto parsed = ParseLevel(LevelName(l));
    REQUIRE(parsed.ok());
    CHECK(parsed.value() == l);
  }
  auto bad = ParseLevel("loud");
  REQUIRE(!bad.ok());
  CHECK(bad.status().message() ==
        "unknown log level 'loud' (expected debug, verbose, notice or warning)");
}

}  // namespace
}  // namespace slotproxy::log
