#include "config/fleet_reader.h"

#include <charconv>

#include "config/suggest.h"

namespace slotproxy::config::internal {
namespace {

constexpr std::string_view kNodeKeys[] = {"id", "host", "port", "slots"};

// Parses "N" or "N-M" with 0 <= N <= M < kSlotCount.
std::optional<SlotRange> ParseSlotRange(std::string_view text) {
  auto parse = [](std::string_view part, int* out) {
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), *out);
    return ec == std::errc() && end == part.data() + part.size() && !part.empty() && *out >= 0 &&
           *out < kSlotCount;
  };
  size_t dash = text.find('-');
  SlotRange range;
  if (dash == std::string_view::npos) {
    if (!parse(text, &range.first)) return std::nullopt;
    range.last = range.first;
  } else if (!parse(text.substr(0, dash), &range.first) ||
             !parse(text.substr(dash + 1), &range.last) || range.first > range.last) {
    return std::nullopt;
  }
  return range;
}

std::string RangeText(int first, int last) {
  return first == last ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
}

// Where each node's id, address and slot ranges were written, for the whole-fleet checks.
struct NodePlaces {
  std::optional<Value> id;
  std::optional<Value> port;
  std::vector<std::pair<Value, SlotRange>> ranges;
};

void ReadId(ErrorSink& sink, const Value& v, std::string* out) {
  std::optional<std::string> id = ReadString(sink, v, false);
  if (!id) return;
  if (!IsNodeId(*id)) {
    sink.Add(v.mark, v.path,
             "invalid node id '" + Shorten(*id) +
                 "' (expected 40 lower-case hex digits, like "
                 "Redis node ids)");
    return;
  }
  *out = std::move(*id);
}

FleetNode ReadNode(ErrorSink& sink, const Value& v, int min_port, NodePlaces* places) {
  FleetNode node;
  Section section(sink, v, kNodeKeys);
  if (!v.node.IsMap()) {
    if (v.node.IsNull()) sink.Add(v.mark, v.path, "expected a node (id, host, port, slots)");
    return node;
  }
  constexpr std::string_view kRequired[] = {"id", "host", "port", "slots"};
  section.Require(kRequired);
  places->id = section.Get("id");
  places->port = section.Get("port");
  if (places->id) ReadId(sink, *places->id, &node.id);
  section.String("host", &node.host, false);
  section.Port("port", min_port, &node.port);
  if (auto slots = section.Get("slots")) {
    ForEachElement(sink, *slots, [&](const Value& element) {
      std::optional<std::string> text = ReadString(sink, element, false);
      if (!text) return;
      std::optional<SlotRange> range = ParseSlotRange(*text);
      if (!range) {
        sink.Add(element.mark, element.path,
                 "invalid slot range '" + Shorten(*text) +
                     "' (expected N or N-M with 0 <= N <= M "
                     "<= 16383)");
        return;
      }
      node.slots.push_back(*range);
      places->ranges.emplace_back(element, *range);
    });
  }
  return node;
}

void CheckDuplicates(ErrorSink& sink, const std::vector<FleetNode>& nodes,
                     const std::vector<NodePlaces>& places, std::string_view fleet_path) {
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (!nodes[i].id.empty() && nodes[i].id == nodes[j].id && places[i].id) {
        sink.Add(places[i].id->mark, places[i].id->path,
                 "duplicate node id (also " + IndexPath(fleet_path, j) + ")");
      }
      if (nodes[i].port != 0 && nodes[i].port == nodes[j].port && !nodes[i].host.empty() &&
          nodes[i].host == nodes[j].host && places[i].port) {
        sink.Add(places[i].port->mark, places[i].port->path,
                 "duplicate address " + FormatHostPort({nodes[i].host, nodes[i].port}) + " (also " +
                     IndexPath(fleet_path, j) + ")");
      }
    }
  }
}

// Overlaps are reported at the later range; gaps at the fleet key.
void CheckSlots(const Section& parent, std::string_view key, const std::vector<NodePlaces>& places,
                bool complete) {
  ErrorSink& sink = parent.sink();
  std::vector<const Value*> owner(kSlotCount, nullptr);
  for (const NodePlaces& node : places) {
    for (const auto& [value, range] : node.ranges) {
      // Aliases can repeat one huge list many times; once the error list is full, stop.
      if (sink.count() > kMaxConfigErrors) return;
      const Value* clash = nullptr;
      int clash_slot = -1;
      for (int slot = range.first; slot <= range.last; ++slot) {
        if (owner[slot] != nullptr && clash == nullptr) {
          clash = owner[slot];
          clash_slot = slot;
        }
        if (owner[slot] == nullptr) owner[slot] = &value;
      }
      if (clash != nullptr) {
        sink.Add(value.mark, value.path,
                 "slots " + RangeText(range.first, range.last) + " overlap " + clash->path +
                     " (slot " + std::to_string(clash_slot) + " is in both)");
      }
    }
  }
  // A fleet with unreadable ranges would only produce a confusing gap list on top.
  if (!complete) return;
  std::string gaps;
  int gap_count = 0;
  for (int slot = 0; slot < kSlotCount;) {
    if (owner[slot] != nullptr) {
      ++slot;
      continue;
    }
    int last = slot;
    while (last + 1 < kSlotCount && owner[last + 1] == nullptr) ++last;
    if (++gap_count <= 5) gaps += (gap_count > 1 ? ", " : "") + RangeText(slot, last);
    slot = last + 1;
  }
  if (gap_count > 5) gaps += " and " + std::to_string(gap_count - 5) + " more";
  if (gap_count > 0) {
    parent.ErrorAtKey(
        key, "slots not covered by any node: " + gaps + " (the fleet must cover all 16384 slots)");
  }
}

}  // namespace

bool IsNodeId(std::string_view id) {
  if (id.size() != 40) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void ReadFleet(const Section& parent, std::string_view key, int min_port,
               std::vector<FleetNode>* out) {
  std::optional<Value> list = parent.Get(key);
  if (!list) return;
  ErrorSink& sink = parent.sink();
  size_t errors_before = sink.count();
  std::vector<FleetNode> nodes;
  std::vector<NodePlaces> places;
  bool is_list = ForEachElement(sink, *list, [&](const Value& element) {
    places.emplace_back();
    nodes.push_back(ReadNode(sink, element, min_port, &places.back()));
  });
  if (!is_list) return;
  if (nodes.empty()) {
    parent.ErrorAtKey(key, "must list at least one node");
    return;
  }
  CheckDuplicates(sink, nodes, places, list->path);
  CheckSlots(parent, key, places, sink.count() == errors_before);
  *out = std::move(nodes);
}

void ReadNodeIds(const Section& parent, std::string_view key, std::vector<std::string>* out) {
  std::optional<Value> list = parent.Get(key);
  if (!list) return;
  ErrorSink& sink = parent.sink();
  std::vector<std::string> ids;
  std::vector<std::string> paths;
  ForEachElement(sink, *list, [&](const Value& element) {
    std::string id;
    ReadId(sink, element, &id);
    if (id.empty()) return;
    for (size_t j = 0; j < ids.size(); ++j) {
      if (ids[j] == id)
        sink.Add(element.mark, element.path, "duplicate node id (also " + paths[j] + ")");
    }
    ids.push_back(std::move(id));
    paths.push_back(element.path);
  });
  *out = std::move(ids);
}

}  // namespace slotproxy::config::internal
