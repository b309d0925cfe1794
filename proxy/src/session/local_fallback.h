// The few commands the proxy answers itself while the full local command set is not wired:
// PING, ECHO, QUIT, SELECT. Everything else that routes locally gets a clear error.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "command/command_info.h"
#include "session/session_context.h"

namespace slotproxy::session {

enum class LocalOutcome { kReply, kCloseAfterReply };

// Appends the reply for `args` (a kProxyLocal command) to `*out`.
LocalOutcome AnswerLocally(const command::CommandInfo& info, std::span<const std::string_view> args,
                           LocalState& state, std::string* out);

}  // namespace slotproxy::session
