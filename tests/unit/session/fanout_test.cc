#include "session/fanout.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "command/command_table.h"
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

}  // namespace
}  // namespace slotproxy::session
