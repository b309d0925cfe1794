#include "session/fanout.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "command/command_table.h"
#include "command/key_extraction.h"
#include "resp/encoder.h"
#include "resp/request_parser.h"

namespace slotproxy::session {
namespace {

// Splits `command` as the session does and encodes every sub-command both ways: from the
// arguments, and from the client's canonical bytes. They must be byte-identical.
void CheckBothEncodings(const std::vector<std::string>& command) {
  std::vector<std::string_view> views(command.begin(), command.end());
  std::string wire;
  resp::EncodeCommand(views, &wire);
  resp::RequestParser parser;
  const resp::ParseResult r = parser.Parse(wire);
  REQUIRE(r.status == resp::RequestStatus::kComplete);
  REQUIRE(r.raw == wire);
  const command::CommandInfo* info = command::CommandTable::BuiltIn().Lookup(r.args);
  REQUIRE(info != nullptr);
  SplitPlan plan;
  REQUIRE(PlanSplit(*info, r.args, &plan));
  for (const SubCommand& sub : plan.subs) {
    std::string from_args, from_bytes;
    EncodeSub(r.args, sub, info->routing.key_step, &from_args);
    EncodeSubFromCanonical(r.args, sub, info->routing.key_step, &from_bytes);
    REQUIRE(from_bytes == from_args);
  }
}

TEST_CASE("sub-commands copied from canonical bytes equal freshly encoded ones", "[fanout]") {
  CheckBothEncodings({"MSET", "a", "1", "b", "2", "c", "3", "{a}x", "4"});
  CheckBothEncodings({"mget", "a", "b", "c", "{b}1", "{c}2", "d"});
  CheckBothEncodings({"DEL", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10"});
  // Lengths around digit boundaries, empty values and binary bytes.
  CheckBothEncodings({"MSET", "", std::string(9, 'v'), "k", std::string(10, 'w'), "k2",
                      std::string(100, 'x'), "k3", std::string("\r\n\0", 3)});
  CheckBothEncodings({"MSET", std::string(1000, 'a'), "1", std::string(99, 'b'), ""});
  // Sub-commands of 9 and 11 arguments: either side of the one-digit header.
  CheckBothEncodings({"MSET", "{a}1", "1", "{a}2", "2", "{a}3", "3", "{a}4", "4", "b", "5"});
  CheckBothEncodings(
      {"MSET", "{a}1", "1", "{a}2", "2", "{a}3", "3", "{a}4", "4", "{a}5", "5", "b", "6"});
  CheckBothEncodings({"DEL", "{a}1", "{a}2", "{a}3", "{a}4", "{a}5", "{a}6", "{a}7", "{a}8", "{a}9",
                      "{a}10", "b"});
}

TEST_CASE("a split plan holds exactly the keys the key search finds, in order", "[fanout]") {
  const command::CommandTable& table = command::CommandTable::BuiltIn();
  int checked = 0;
  for (const command::CommandInfo* info : table.TopLevel()) {
    if (info->routing.kind != command::RouteKind::kSplitBySlot) continue;
    for (size_t argc = 1; argc <= 12; ++argc) {
      std::vector<std::string> command{std::string(info->name)};
      for (size_t i = 1; i < argc; ++i) command.push_back("k" + std::to_string(i));
      const std::vector<std::string_view> args(command.begin(), command.end());
      command::KeyRefs keys;
      command::ExtractKeys(*info, args, /*include_not_key=*/false, &keys);
      SplitPlan plan;
      const bool split = PlanSplit(*info, args, &plan);
      if (!split) continue;
      std::vector<int32_t> planned;
      for (const KeySource& k : plan.key_order) {
        planned.push_back(plan.subs[k.sub].key_positions[k.index]);
      }
      std::vector<int32_t> found;
      for (const command::KeyRef& k : keys) found.push_back(k.pos);
      CHECK(planned == found);
      ++checked;
    }
  }
  CHECK(checked > 10);
}

}  // namespace
}  // namespace slotproxy::session
