// The explicit routing decisions that Redis's tips and flags do not give (routing_overrides.cc).
// Internal to the command module: use DeriveRouting / FindRoutingOverride (routing.h).
#pragma once

#include <span>
#include <string_view>

#include "command/command_info.h"

namespace slotproxy::command::internal {

struct RoutingOverride {
  std::string_view name;  // full lowercase name; "container|*" covers every subcommand
  Routing routing;
};

// Every override, in no particular order.
std::span<const RoutingOverride> RoutingOverrides();

}  // namespace slotproxy::command::internal
