#include "command/reply_node.h"

namespace slotproxy::command {

size_t SubtreeSize(std::span<const ReplyNode> nodes, size_t index) {
  // Iterative: a hostile tree (from a backend) cannot exhaust the stack.
  if (index >= nodes.size()) return 0;
  size_t pending = 1;  // nodes still to visit
  size_t i = index;
  while (pending > 0) {
    if (i >= nodes.size()) return 0;
    int64_t children = nodes[i].DirectChildren();
    if (children < 0 || static_cast<uint64_t>(children) > nodes.size()) return 0;
    pending = pending - 1 + static_cast<size_t>(children);
    ++i;
  }
  return i - index;
}

}  // namespace slotproxy::command
