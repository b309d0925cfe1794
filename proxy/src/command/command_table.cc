#include "command/command_table.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "command/command_table_data.h"
#include "command/key_extraction.h"
#include "command/routing.h"

namespace slotproxy::command {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Lowercases `name` into `buf`; an empty view when it does not fit (such names are never known).
std::string_view LowerInto(std::string_view name, char (&buf)[kMaxCommandNameLength]) {
  if (name.empty() || name.size() > kMaxCommandNameLength) return {};
  for (size_t i = 0; i < name.size(); ++i) buf[i] = Lower(name[i]);
  return std::string_view(buf, name.size());
}

bool ByName(const CommandInfo* a, const CommandInfo* b) { return a->name < b->name; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

// A C string view of a Redis sds printed with %s: it ends at the first NUL.
std::string_view UpToNul(std::string_view s) {
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

}  // namespace

std::unique_ptr<CommandTable> CommandTable::CreateBuiltIn() {
  std::unique_ptr<CommandTable> table(new CommandTable());
  table->AddBuiltInRows();
  return table;
}

const CommandTable& CommandTable::BuiltIn() {
  // Leaked on purpose: no destruction-order problems at exit.
  static const CommandTable* const table = [] {
    std::unique_ptr<CommandTable> t = CreateBuiltIn();
    t->Freeze();
    return t.release();
  }();
  return *table;
}

void CommandTable::AddBuiltInRows() {
  std::span<const internal::CommandRow> rows = internal::BuiltinRows();
  std::span<const ReplyNode> docs = internal::BuiltinDocNodes();
  std::vector<CommandInfo*> by_index;
  by_index.reserve(rows.size());
  for (const internal::CommandRow& row : rows) {
    CommandInfo& info = rows_.emplace_back();
    info.name = row.name;
    info.arity = row.arity;
    info.flags = row.flags;
    info.first_key = row.first_key;
    info.last_key = row.last_key;
    info.key_step = row.key_step;
    info.acl_categories = row.acl_categories;
    info.tips = row.tips;
    info.key_specs = row.key_specs;
    info.docs = docs.subspan(row.docs_begin, row.docs_size);
    by_index.push_back(&info);
    if (row.parent >= 0) {
      info.parent = by_index[static_cast<size_t>(row.parent)];
      LinkSubcommand(by_index[static_cast<size_t>(row.parent)], &info);
    }
  }
  for (CommandInfo* info : by_index) {
    info->keys_proc = internal::FindKeysProc(info->name);
    info->key_layout = SummarizeKeyLayout(*info);
    info->routing = DeriveRouting(*info);
    IndexRow(info);
  }
}

void CommandTable::IndexRow(CommandInfo* row) {
  by_name_.emplace(row->name, row);
  if (row->parent == nullptr) {
    auto at = std::lower_bound(top_level_.begin(), top_level_.end(), row, ByName);
    top_level_.insert(at, row);
  }
}

void CommandTable::LinkSubcommand(CommandInfo* container, const CommandInfo* sub) {
  std::vector<const CommandInfo*>*& list = sub_list_of_[container];
  if (list == nullptr) list = &sub_lists_.emplace_back();
  list->insert(std::lower_bound(list->begin(), list->end(), sub, ByName), sub);
  container->subcommands = *list;  // the vector may have moved its elements
}

CommandInfo* CommandTable::FindMutable(std::string_view lower_name) const {
  auto it = by_name_.find(lower_name);
  return it == by_name_.end() ? nullptr : it->second;
}

const CommandInfo* CommandTable::Find(std::string_view name) const {
  char buf[kMaxCommandNameLength];
  std::string_view lower = LowerInto(name, buf);
  return lower.empty() ? nullptr : FindMutable(lower);
}

const CommandInfo* CommandTable::FindSubcommand(const CommandInfo& container,
                                                std::string_view sub) const {
  if (!container.IsContainer() || sub.empty()) return nullptr;
  char buf[kMaxCommandNameLength];
  size_t size = container.name.size() + 1 + sub.size();
  if (size > kMaxCommandNameLength) return nullptr;
  std::memcpy(buf, container.name.data(), container.name.size());
  buf[container.name.size()] = '|';
  char* out = buf + container.name.size() + 1;
  for (char c : sub) *out++ = Lower(c);
  return FindMutable(std::string_view(buf, size));
}

const CommandInfo* CommandTable::Lookup(std::span<const std::string_view> args) const {
  if (args.empty()) return nullptr;
  const CommandInfo* base = Find(args[0]);
  if (base != nullptr && base->parent != nullptr) return nullptr;  // "config|get" is no request
  if (base == nullptr || args.size() == 1 || !base->IsContainer()) return base;
  return FindSubcommand(*base, args[1]);
}

std::string_view CommandTable::Intern(std::string_view s) {
  if (s.empty()) return {};
  return strings_.emplace_back(s);
}

Result<int> CommandTable::MergeLearnedCommand(const CommandInfo& info) {
  if (frozen_) return Status::Error("ERR command table is frozen");
  if (info.name.empty() || info.name.size() > kMaxCommandNameLength) {
    return Status::Error("ERR learned command name is empty or too long");
  }
  std::string lower = ToLower(info.name);
  size_t bar = lower.find('|');
  CommandInfo* parent = nullptr;
  if (bar != std::string::npos) {
    parent = FindMutable(std::string_view(lower).substr(0, bar));
    if (parent == nullptr || parent->parent != nullptr || bar + 1 == lower.size() ||
        lower.find('|', bar + 1) != std::string::npos) {
      return Status::Error("ERR learned subcommand '" + lower + "' has no known container");
    }
  }
  return AddLearned(info, parent);
}

CommandInfo* CommandTable::NewLearnedRow(const CommandInfo& info, std::string_view lower,
                                         CommandInfo* parent) {
  CommandInfo* row = &rows_.emplace_back(info);
  row->name = Intern(lower);
  row->parent = parent;
  row->subcommands = {};
  row->learned = true;
  row->keys_proc = 0;  // a backend's row: its semantics are not ours to guess
  row->tips = tip_lists_.emplace_back(info.tips.begin(), info.tips.end());
  for (std::string_view& tip : tip_lists_.back()) tip = Intern(tip);
  std::vector<KeySpec>& specs =
      spec_lists_.emplace_back(info.key_specs.begin(), info.key_specs.end());
  for (KeySpec& spec : specs) {
    spec.bs_keyword = Intern(spec.bs_keyword);
    spec.notes = Intern(spec.notes);
  }
  if (specs.empty() && info.first_key > 0) {
    // Redis gives module commands declared with a legacy range this spec.
    KeySpec legacy;
    legacy.flags = key_flag::kRW | key_flag::kAccess | key_flag::kUpdate | key_flag::kVariableFlags;
    legacy.bs_type = BeginSearchType::kIndex;
    legacy.bs_index = info.first_key;
    legacy.fk_type = FindKeysType::kRange;
    legacy.fk_lastkey = info.last_key < 0 ? info.last_key : info.last_key - info.first_key;
    legacy.fk_keystep = info.key_step;
    specs.push_back(legacy);
  }
  row->key_specs = specs;
  row->key_layout = SummarizeKeyLayout(*row);
  row->docs = doc_lists_.emplace_back(info.docs.begin(), info.docs.end());
  for (ReplyNode& node : doc_lists_.back()) node.str = Intern(node.str);
  row->routing = DeriveRouting(*row);
  if (parent != nullptr) LinkSubcommand(parent, row);
  IndexRow(row);
  return row;
}

Result<int> CommandTable::AddLearned(const CommandInfo& info, CommandInfo* parent) {
  std::string lower = ToLower(info.name);
  if (parent != nullptr) {
    // The container's name, whatever prefix (or none) the backend gave the subcommand.
    size_t bar = lower.rfind('|');
    std::string sub = bar == std::string::npos ? lower : lower.substr(bar + 1);
    if (sub.empty()) return 0;  // nothing to look it up by
    lower = std::string(parent->name) + "|" + sub;
  }
  if (lower.size() > kMaxCommandNameLength) {
    return Status::Error("ERR learned command name is empty or too long");
  }
  int added = 0;
  CommandInfo* row = FindMutable(lower);
  if (row == nullptr) {
    row = NewLearnedRow(info, lower, parent);
    ++added;
  }
  if (row->parent != nullptr) return added;  // one level of subcommands, as Redis
  for (const CommandInfo* sub : info.subcommands) {
    if (sub == nullptr) continue;
    Result<int> sub_added = AddLearned(*sub, row);
    if (!sub_added.ok()) return sub_added;
    added += sub_added.value();
  }
  return added;
}

const CommandInfo* FindCommand(std::string_view name) { return CommandTable::BuiltIn().Find(name); }

std::string WrongArityError(const CommandInfo& info) {
  return "ERR wrong number of arguments for '" + std::string(info.name) + "' command";
}

std::string UnknownCommandError(const CommandTable& table, std::span<const std::string_view> args) {
  std::string err;
  const CommandInfo* base = args.empty() ? nullptr : table.Find(args[0]);
  if (base != nullptr && base->IsContainer() && args.size() > 1) {
    std::string upper(args[0]);
    for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    err = "ERR unknown subcommand '";
    err += UpToNul(args[1]).substr(0, 128);
    err += "'. Try ";
    err += UpToNul(upper);
    err += " HELP.";
  } else {
    std::string list;
    for (size_t i = 1; i < args.size() && list.size() < 128; ++i) {
      size_t room = 128 - list.size();  // Redis's precision, computed before the quote
      list += '\'';
      list += UpToNul(args[i]).substr(0, room);
      list += "' ";
    }
    std::string_view name = args.empty() ? std::string_view() : UpToNul(args[0]).substr(0, 128);
    err = "ERR unknown command '";
    err += name;
    err += "', with args beginning with: ";
    err += list;
  }
  std::replace(err.begin(), err.end(), '\r', ' ');
  std::replace(err.begin(), err.end(), '\n', ' ');
  return err;
}

}  // namespace slotproxy::command
