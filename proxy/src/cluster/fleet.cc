#include "cluster/fleet.h"

#include <cmath>

namespace slotproxy::cluster {
namespace {

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string Describe(const FleetNode& node, size_t index) {
  return "fleet node " + std::to_string(index) + " (" + node.host + ":" +
         std::to_string(node.port) + ")";
}

}  // namespace

Result<std::vector<SlotRange>> SplitSlotsEvenly(size_t masters) {
  if (masters == 0 || masters > static_cast<size_t>(kSlotCount)) {
    return Status::Error("cannot split " + std::to_string(kSlotCount) + " slots over " +
                         std::to_string(masters) + " masters");
  }
  // Float on purpose: this is redis-cli's clusterManagerCommandCreate arithmetic, rounding
  // included, so our fleets look exactly like a cluster redis-cli would create.
  const float slots_per_node = static_cast<float>(kSlotCount) / static_cast<float>(masters);
  long first = 0;
  float cursor = 0.0f;
  std::vector<SlotRange> ranges;
  for (size_t i = 0; i < masters; ++i) {
    long last = std::lround(cursor + slots_per_node - 1);
    if (last > kSlotCount || i == masters - 1) last = kSlotCount - 1;
    if (last < first) last = first;
    if (last >= kSlotCount) {
      return Status::Error("slot split overflowed at master " + std::to_string(i));
    }
    ranges.push_back({static_cast<uint16_t>(first), static_cast<uint16_t>(last)});
    first = last + 1;
    cursor += slots_per_node;
  }
  return ranges;
}

std::string NodeIdFromSeed(std::string_view seed) {
  // FNV-1a folds the seed into a SplitMix64 state; three outputs give 48 hex digits.
  uint64_t state = 0xcbf29ce484222325ULL;
  for (unsigned char c : seed) state = (state ^ c) * 0x100000001b3ULL;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string id;
  id.reserve(kNodeIdLength);
  while (id.size() < kNodeIdLength) {
    uint64_t word = SplitMix64(&state);
    for (int i = 0; i < 16 && id.size() < kNodeIdLength; ++i, word >>= 4) {
      id.push_back(kDigits[word & 0xf]);
    }
  }
  return id;
}

bool IsValidNodeId(std::string_view id) {
  if (id.size() != kNodeIdLength) return false;
  for (char c : id) {
    if (!IsHex(c)) return false;
  }
  return true;
}

Result<std::vector<FleetNode>> MakeEvenFleet(std::string_view host, std::span<const uint16_t> ports,
                                             std::string_view id_seed) {
  Result<std::vector<SlotRange>> split = SplitSlotsEvenly(ports.size());
  if (!split.ok()) return split.status();
  std::vector<FleetNode> fleet;
  for (size_t i = 0; i < ports.size(); ++i) {
    FleetNode node;
    node.id = NodeIdFromSeed(std::string(id_seed) + ":" + std::to_string(i));
    node.host = std::string(host);
    node.port = ports[i];
    node.slots.push_back(split.value()[i]);
    fleet.push_back(std::move(node));
  }
  return fleet;
}

Status ValidateFleet(std::span<const FleetNode> fleet) {
  Result<SlotMapPtr> map = SlotMapFromFleet(fleet, 0);
  return map.ok() ? Status() : map.status();
}

Result<SlotMapPtr> SlotMapFromFleet(std::span<const FleetNode> fleet, uint64_t version) {
  SlotMapBuilder builder;
  builder.set_version(version);
  for (size_t i = 0; i < fleet.size(); ++i) {
    const FleetNode& f = fleet[i];
    const std::string where = Describe(f, i);
    if (!IsValidNodeId(f.id)) {
      return Status::Error(where + ": id '" + f.id + "' is not 40 hex characters");
    }
    if (f.host.empty()) return Status::Error(where + ": empty host");
    Node node;
    node.id = f.id;
    node.host = f.host;
    node.port = f.port;
    Result<NodeIndex> index = builder.AddNode(std::move(node));
    if (!index.ok()) return Status::Error(where + ": " + index.status().message());
    for (const SlotRange& range : f.slots) {
      Status status = builder.AssignSlots(range, index.value());
      if (!status.ok()) return Status::Error(where + ": " + status.message());
    }
  }
  return builder.Build();
}

}  // namespace slotproxy::cluster
