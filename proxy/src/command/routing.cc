#include "command/routing.h"

#include <array>
#include <optional>

#include <string>
#include "command/routing_overrides.h"

namespace slotproxy::command {
namespace {

// The value of the tip "<prefix>:<value>", if present.
std::optional<std::string_view> TipValue(const CommandInfo& info, std::string_view prefix) {
  for (std::string_view tip : info.tips) {
    if (tip.size() > prefix.size() && tip.substr(0, prefix.size()) == prefix &&
        tip[prefix.size()] == ':') {
      return tip.substr(prefix.size() + 1);
    }
  }
  return std::nullopt;
}

// A fan-out to every master merged by the response policy; unsupported for policies the proxy
// cannot merge ("special", or a newer one).
Routing AllShardsRouting(std::optional<std::string_view> response) {
  Routing r = MakeRouting(RouteKind::kAllShards);
  if (!response) {
    r.merge = MergeKind::kConcat;  // Redis's default for keyless fan-out
  } else if (*response == "agg_sum") {
    r.merge = MergeKind::kSum;
  } else if (*response == "all_succeeded") {
    r.merge = MergeKind::kAllOk;
  } else if (*response == "one_succeeded") {
    r.merge = MergeKind::kOneSucceeded;
  } else if (*response == "agg_logical_and") {
    r.merge = MergeKind::kLogicalAnd;
  } else if (*response == "agg_min") {
    r.merge = MergeKind::kMin;
  } else {
    r = MakeRouting(RouteKind::kUnsupported);
  }
  return r;
}

// A split by slot, merged in key order or by the response policy. Policies that cannot be
// merged without breaking atomicity (agg_min on MSETNX) keep the keys on one slot instead.
Routing SplitRouting(const CommandInfo& info, std::optional<std::string_view> response) {
  Routing r = MakeRouting(RouteKind::kSplitBySlot);
  if (!response) {
    r.merge = MergeKind::kMgetConcat;
  } else if (*response == "agg_sum") {
    r.merge = MergeKind::kSum;
  } else if (*response == "all_succeeded") {
    r.merge = MergeKind::kAllOk;
  } else {
    return MakeRouting(RouteKind::kSameSlotOnly);
  }
  // Only a single range spec tells how to cut the arguments into key groups.
  if (info.key_specs.size() != 1 || info.key_specs[0].fk_type != FindKeysType::kRange ||
      info.key_specs[0].fk_keystep < 1 || info.key_specs[0].fk_keystep > 255) {
    return MakeRouting(RouteKind::kSameSlotOnly);
  }
  r.key_step = static_cast<uint8_t>(info.key_specs[0].fk_keystep);
  return r;
}

// True when the specs can only ever yield the one key at a fixed index.
bool HasExactlyOneKey(const CommandInfo& info) {
  if (info.key_specs.size() != 1 || info.HasFlag(flag::kMovableKeys)) return false;
  const KeySpec& spec = info.key_specs[0];
  return spec.bs_type == BeginSearchType::kIndex && spec.fk_type == FindKeysType::kRange &&
         spec.fk_lastkey == 0 && (spec.flags & key_flag::kIncomplete) == 0;
}

}  // namespace

const Routing* FindRoutingOverride(std::string_view full_name) {
  const Routing* wildcard = nullptr;
  size_t bar = full_name.find('|');
  for (const internal::RoutingOverride& o : internal::RoutingOverrides()) {
    if (o.name == full_name) return &o.routing;
    if (bar != std::string_view::npos && o.name.size() == bar + 2 &&
        o.name.substr(0, bar + 1) == full_name.substr(0, bar + 1) && o.name.back() == '*') {
      wildcard = &o.routing;
    }
  }
  return wildcard;
}

Routing DeriveRouting(const CommandInfo& info) {
  if (const Routing* o = FindRoutingOverride(info.name)) return *o;
  std::optional<std::string_view> request = TipValue(info, "request_policy");
  std::optional<std::string_view> response = TipValue(info, "response_policy");
  if (request == "all_shards" || request == "all_nodes") return AllShardsRouting(response);
  if (request == "multi_shard") return SplitRouting(info, response);
  if (request) return MakeRouting(RouteKind::kUnsupported);  // "special" needs an override
  if (info.HasFlag(flag::kBlocking) || info.HasFlag(flag::kPubsub)) {
    return MakeRouting(RouteKind::kStateful);
  }
  if (!info.key_specs.empty()) {
    return MakeRouting(HasExactlyOneKey(info) ? RouteKind::kSingleSlot : RouteKind::kSameSlotOnly);
  }
  if (info.HasFlag(flag::kAdmin)) return MakeRouting(RouteKind::kUnsupported);
  return MakeRouting(RouteKind::kKeylessAnyShard);
}

std::string UnsupportedError(const CommandInfo& info) {
  if (!info.routing.error.empty()) return std::string(info.routing.error);
  return "ERR command '" + std::string(info.name) + "' is not supported by slotproxy";
}

std::string_view RouteKindName(RouteKind kind) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "single_slot",       "same_slot_only", "split_by_slot", "all_shards",
      "keyless_any_shard", "proxy_local",    "stateful",      "unsupported"};
  return kNames[static_cast<size_t>(kind)];
}

std::string_view MergeKindName(MergeKind kind) {
  static constexpr std::array<std::string_view, 10> kNames = {
      "none",        "mget_concat", "all_ok",        "sum",        "concat",
      "logical_and", "min",         "one_succeeded", "random_key", "scan"};
  return kNames[static_cast<size_t>(kind)];
}

}  // namespace slotproxy::command
