// Test helpers: a RESP encoder for ReplyNode trees (what the server will do) and a nested tree
// form for comparisons.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "command/reply_node.h"

namespace slotproxy::command::testing {

// Encodes the tree at nodes[*at] as RESP2 or RESP3 and advances *at past it.
inline void Encode(std::span<const ReplyNode> nodes, size_t* at, bool resp3, std::string* out) {
  const ReplyNode& n = nodes[(*at)++];
  switch (n.kind) {
    case ReplyKind::kSimpleString:
      *out += "+" + std::string(n.str) + "\r\n";
      return;
    case ReplyKind::kBulkString:
      *out += "$" + std::to_string(n.str.size()) + "\r\n" + std::string(n.str) + "\r\n";
      return;
    case ReplyKind::kInteger:
      *out += ":" + std::to_string(n.value) + "\r\n";
      return;
    case ReplyKind::kNull:
      *out += resp3 ? "_\r\n" : "$-1\r\n";
      return;
    case ReplyKind::kArray:
    case ReplyKind::kSet:
    case ReplyKind::kMap: {
      char type = n.kind == ReplyKind::kArray ? '*' : n.kind == ReplyKind::kSet ? '~' : '%';
      int64_t count = n.value;
      if (!resp3) {
        if (n.kind == ReplyKind::kMap) count *= 2;
        type = '*';
      }
      *out += type + std::to_string(count) + "\r\n";
      for (int64_t i = 0; i < n.DirectChildren(); ++i) Encode(nodes, at, resp3, out);
      return;
    }
  }
}

inline std::string Encode(std::span<const ReplyNode> nodes, bool resp3) {
  std::string out;
  size_t at = 0;
  while (at < nodes.size()) Encode(nodes, &at, resp3, &out);
  return out;
}

// A nested copy of a ReplyNode tree that owns its strings.
struct Tree {
  ReplyKind kind = ReplyKind::kNull;
  int64_t value = 0;
  std::string str;
  std::vector<Tree> children;
  friend bool operator==(const Tree&, const Tree&) = default;
};

inline Tree ToTree(std::span<const ReplyNode> nodes, size_t* at) {
  const ReplyNode& n = nodes[(*at)++];
  Tree t{n.kind, n.IsAggregate() ? 0 : n.value, std::string(n.str), {}};
  for (int64_t i = 0; i < n.DirectChildren(); ++i) t.children.push_back(ToTree(nodes, at));
  return t;
}

inline Tree ToTree(std::span<const ReplyNode> nodes) {
  size_t at = 0;
  return ToTree(nodes, &at);
}

// Where two trees first differ, for failure messages ("" when equal).
inline std::string FirstDifference(const Tree& a, const Tree& b, const std::string& path = "") {
  if (a.kind != b.kind || a.value != b.value || a.str != b.str ||
      a.children.size() != b.children.size()) {
    return path + ": kind " + std::to_string(static_cast<int>(a.kind)) + "/" +
           std::to_string(static_cast<int>(b.kind)) + " value " + std::to_string(a.value) + "/" +
           std::to_string(b.value) + " str '" + a.str + "'/'" + b.str + "' children " +
           std::to_string(a.children.size()) + "/" + std::to_string(b.children.size());
  }
  for (size_t i = 0; i < a.children.size(); ++i) {
    std::string d = FirstDifference(a.children[i], b.children[i],
                                    path + "/" + std::to_string(i) + "(" + a.children[i].str + ")");
    if (!d.empty()) return d;
  }
  return "";
}

}  // namespace slotproxy::command::testing
