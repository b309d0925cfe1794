// Learning commands from a backend at start-up: the proxy asks one node for COMMAND and adds the
// rows its built-in table lacks (a newer Redis, modules), so their key specs route correctly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/control_connection.h"
#include "base/status.h"
#include "command/command_info.h"
#include "command/command_table.h"
#include "command/reply_node.h"
#include "resp/value.h"

namespace slotproxy::session {

// Appends `value` to `out` as a pre-order ReplyNode tree whose strings view into `value`
// (which must outlive `out`). Doubles, booleans, big numbers and verbatim strings become
// strings; errors become nulls; pushes and attributes are not expected in COMMAND replies.
void ValueToReplyNodes(const resp::Value& value, std::vector<command::ReplyNode>* out);

// Sends COMMAND to host:port (blocking the calling thread, which must run no loop; at most
// `timeout_ms`) and merges the unknown commands into `table` (not frozen). Returns the number
// of rows added. Error: the node's or the merge's message.
Result<int> LearnCommandsFrom(const std::string& host, uint16_t port,
                              const backend::ControlOptions& options, uint64_t timeout_ms,
                              command::CommandTable* table);

}  // namespace slotproxy::session
