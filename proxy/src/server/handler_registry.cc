#include "server/handler_registry.h"

#include "server/handler_tables.h"

namespace slotproxy::server {

HandlerRegistry::HandlerRegistry(const command::CommandTable& table,
                                 std::span<const std::span<const HandlerRow>> extra) {
  for (auto rows : {StringHandlers(), KeyHandlers(), HashHandlers(), ListHandlers(), SetHandlers(),
                    SortedSetHandlers()}) {
    AddRows(table, rows);
  }
  for (auto rows : extra) AddRows(table, rows);
  for (auto rows : {ConnectionHandlers(), ServerInfoHandlers(), CommandCommandHandlers(),
                    PubSubHandlers(), TransactionHandlers(), ScriptHandlers()}) {
    AddServerRows(table, rows);
  }
}

const HandlerRegistry& HandlerRegistry::Default() {
  static const HandlerRegistry* registry = new HandlerRegistry(command::CommandTable::BuiltIn());
  return *registry;
}

void HandlerRegistry::AddRows(const command::CommandTable& table,
                              std::span<const HandlerRow> rows) {
  for (const HandlerRow& row : rows) {
    const command::CommandInfo* info = table.Find(row.name);
    if (info == nullptr || row.handler == nullptr) {
      unknown_.push_back(row.name);
      continue;
    }
    HandlerEntry entry;
    entry.handler = row.handler;
    map_.try_emplace(info, entry);
  }
}

void HandlerRegistry::AddServerRows(const command::CommandTable& table,
                                    std::span<const ServerHandlerRow> rows) {
  for (const ServerHandlerRow& row : rows) {
    const command::CommandInfo* info = table.Find(row.name);
    if (info == nullptr || row.handler == nullptr) {
      unknown_.push_back(row.name);
      continue;
    }
    HandlerEntry entry;
    entry.server = row.handler;
    map_.try_emplace(info, entry);
  }
}

const HandlerEntry* HandlerRegistry::Find(const command::CommandInfo* info) const {
  for (; info != nullptr; info = info->parent) {
    auto it = map_.find(info);
    if (it != map_.end()) return &it->second;
  }
  return nullptr;
}

}  // namespace slotproxy::server
