// Replays COMMAND GETKEYSANDFLAGS answers captured from redis-server 7.0.15
// (proxy/src/command/gen/capture_getkeys.py) through CommandGetKeys.
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "command/command_table.h"
#include "command/key_extraction.h"

namespace slotproxy::command {
namespace {

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) return out;
    start = tab + 1;
  }
}

std::string FlagsText(uint32_t flags) {
  std::string out;
  for (size_t bit = 0; bit < KeySpecFlagNames().size(); ++bit) {
    if ((flags & (1u << bit)) == 0) continue;
    if (!out.empty()) out += ',';
    out += KeySpecFlagNames()[bit];
  }
  return out;
}

// Our answer in the fixture's format.
std::string OurAnswer(const std::vector<std::string>& args) {
  const CommandTable& table = CommandTable::BuiltIn();
  std::vector<std::string_view> views(args.begin(), args.end());
  const CommandInfo* getkeys = table.Find("command|getkeysandflags");
  REQUIRE(getkeys != nullptr);
  if (!CheckArity(*getkeys, args.size() + 2)) return "E\t" + WrongArityError(*getkeys);
  Result<KeyRefs> keys = CommandGetKeys(table, views);
  if (!keys.ok()) return "E\t" + keys.status().message();
  std::string out = "K";
  for (const KeyRef& key : keys.value()) {
    out += "\t" + args[static_cast<size_t>(key.pos)] + "\t" + FlagsText(key.flags);
  }
  return out;
}

TEST_CASE("COMMAND GETKEYSANDFLAGS answers match redis-server 7.0.15") {
  std::ifstream in(SLOTPROXY_SOURCE_DIR "/tests/unit/command/testdata/getkeys_cases.txt");
  REQUIRE(in.good());
  std::string command_line;
  std::string answer_line;
  int cases = 0;
  int mismatches = 0;
  while (std::getline(in, command_line) && std::getline(in, answer_line)) {
    REQUIRE(command_line.rfind("C\t", 0) == 0);
    std::vector<std::string> args = SplitTabs(command_line);
    args.erase(args.begin());
    std::string ours = OurAnswer(args);
    ++cases;
    if (ours != answer_line) {
      ++mismatches;
      UNSCOPED_INFO(command_line << "\n  redis: " << answer_line << "\n  ours:  " << ours);
    }
  }
  CHECK(cases > 1000);
  CHECK(mismatches == 0);
}

}  // namespace
}  // namespace slotproxy::command
