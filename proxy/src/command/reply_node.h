// ReplyNode: a neutral, RESP-free reply tree for the command metadata (COMMAND, COMMAND INFO,
// COMMAND DOCS). The command module must not depend on resp, so it describes these replies as a
// flat pre-order array of nodes; the server encodes them in the client's protocol (RESP2 renders a
// map as a flat array of 2*N elements and a set as an array), and the proxy converts a backend's
// decoded COMMAND reply into this form to learn commands from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace slotproxy::command {

enum class ReplyKind : uint8_t {
  kSimpleString,  // +str (RESP2 and RESP3)
  kBulkString,    // $len str
  kInteger,       // :n
  kNull,          // $-1 in RESP2, _ in RESP3
  kArray,         // *n
  kMap,           // %n in RESP3, *2n in RESP2 (children: key, value, key, value, ...)
  kSet,           // ~n in RESP3, *n in RESP2
};

// One node of a pre-order tree. An aggregate's direct children follow it; `value` holds their
// number (pairs for a map). Strings are views into storage owned by whoever built the tree.
struct ReplyNode {
  ReplyKind kind = ReplyKind::kNull;
  int64_t value = 0;  // kInteger: the number; aggregates: child count (map: pair count)
  std::string_view str;

  // True for the three aggregate kinds.
  constexpr bool IsAggregate() const {
    return kind == ReplyKind::kArray || kind == ReplyKind::kMap || kind == ReplyKind::kSet;
  }
  // Number of child nodes directly below this one (2 * pairs for a map, 0 for a scalar).
  constexpr int64_t DirectChildren() const {
    if (!IsAggregate()) return 0;
    if (kind != ReplyKind::kMap) return value;
    // Saturate: a hostile count must not overflow (callers bound it by the node count).
    return value > INT64_MAX / 2 ? INT64_MAX : (value < INT64_MIN / 2 ? INT64_MIN : 2 * value);
  }
};

// Number of nodes in the subtree that starts at nodes[index] (itself included). Returns 0 when
// the tree is truncated (children missing) or index is out of range; never reads out of bounds.
size_t SubtreeSize(std::span<const ReplyNode> nodes, size_t index);

}  // namespace slotproxy::command
