// The cluster error replies, worded byte for byte as Redis 7.0's clusterRedirectClient() sends
// them. Messages are returned without the leading '-' and the trailing CRLF (the Status and
// resp::ParseRedirect convention); the encoder adds both. Parsing them is resp::ParseRedirect.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/slot_map.h"

namespace slotproxy::cluster {

inline constexpr std::string_view kCrossSlotError =
    "CROSSSLOT Keys in request don't hash to the same slot";
inline constexpr std::string_view kTryAgainError =
    "TRYAGAIN Multiple keys request during rehashing of slot";
inline constexpr std::string_view kSlotNotServedError = "CLUSTERDOWN Hash slot not served";
inline constexpr std::string_view kClusterDownError = "CLUSTERDOWN The cluster is down";
inline constexpr std::string_view kClusterDownReadOnlyError =
    "CLUSTERDOWN The cluster is down and only accepts read commands";

// "MOVED <slot> <host>:<port>". `host` is written as given: an IPv6 literal without brackets,
// or "" for Redis's unknown-endpoint form ("MOVED 12182 :7402").
std::string MovedError(uint16_t slot, std::string_view host, uint16_t port);

// "ASK <slot> <host>:<port>", same conventions as MovedError.
std::string AskError(uint16_t slot, std::string_view host, uint16_t port);

// MovedError / AskError for a node of a SlotMap.
inline std::string MovedError(uint16_t slot, const Node& node) {
  return MovedError(slot, node.host, node.port);
}
inline std::string AskError(uint16_t slot, const Node& node) {
  return AskError(slot, node.host, node.port);
}

}  // namespace slotproxy::cluster
