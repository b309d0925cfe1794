// The built-in command table as constant data, generated from redis-server 7.0.15 by
// gen/gen_command_table.py into command_table_data.cc. Only command_table.cc reads it directly;
// everyone else uses CommandTable.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "command/command_info.h"
#include "command/reply_node.h"

namespace slotproxy::command::internal {

// One generated row: a CommandInfo without the links and routing that the table adds.
struct CommandRow {
  std::string_view name;
  int32_t arity;
  uint32_t flags;
  int32_t first_key;
  int32_t last_key;
  int32_t key_step;
  uint32_t acl_categories;
  std::span<const std::string_view> tips;
  std::span<const KeySpec> key_specs;
  int32_t parent;       // index of the container's row, -1 for a top-level command
  uint32_t docs_begin;  // first node in BuiltinDocNodes()
  uint32_t docs_size;   // node count of this row's docs map
};

// Every row: each top-level command (sorted by name) followed by its subcommands (sorted).
std::span<const CommandRow> BuiltinRows();

// The docs maps of all rows, back to back.
std::span<const ReplyNode> BuiltinDocNodes();

// The Redis version the rows were captured from ("7.0.15").
std::string_view BuiltinSourceVersion();

}  // namespace slotproxy::command::internal
