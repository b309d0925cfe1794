#include "session/command_learning.h"

#include <memory>
#include <optional>

#include "command/command_reply.h"
#include "net/event_loop.h"

namespace slotproxy::session {

void ValueToReplyNodes(const resp::Value& value, std::vector<command::ReplyNode>* out) {
  command::ReplyNode node;
  switch (value.type) {
    case resp::ValueType::kArray:
    case resp::ValueType::kPush:
    case resp::ValueType::kSet:
    case resp::ValueType::kMap:
      node.kind = value.type == resp::ValueType::kMap   ? command::ReplyKind::kMap
                  : value.type == resp::ValueType::kSet ? command::ReplyKind::kSet
                                                        : command::ReplyKind::kArray;
      node.value = static_cast<int64_t>(
          value.type == resp::ValueType::kMap ? value.elements.size() / 2 : value.elements.size());
      out->push_back(node);
      for (const resp::Value& e : value.elements) ValueToReplyNodes(e, out);
      return;
    case resp::ValueType::kInteger:
      node.kind = command::ReplyKind::kInteger;
      node.value = value.integer;
      break;
    case resp::ValueType::kSimpleString:
      node.kind = command::ReplyKind::kSimpleString;
      node.str = value.str;
      break;
    case resp::ValueType::kBulkString:
    case resp::ValueType::kVerbatim:
    case resp::ValueType::kBigNumber:
      node.kind = command::ReplyKind::kBulkString;
      node.str = value.str;
      break;
    default:
      node.kind = command::ReplyKind::kNull;
      break;
  }
  out->push_back(node);
}

Result<int> LearnCommandsFrom(const std::string& host, uint16_t port,
                              const backend::ControlOptions& options, uint64_t timeout_ms,
                              command::CommandTable* table) {
  std::optional<Result<resp::Value>> reply;
  {
    net::EventLoop loop;
    backend::ControlOptions o = options;
    o.request_timeout_ms = timeout_ms;
    auto conn = std::make_unique<backend::ControlConnection>(loop, host, port, o);
    conn->Send({"COMMAND"}, [&](Result<resp::Value> r) {
      reply.emplace(std::move(r));
      loop.Stop();
    });
    net::Timer guard(loop);
    guard.Start(timeout_ms + 500, [&] { loop.Stop(); });
    loop.Run();
    conn.reset();
  }
  if (!reply)
    return Status::Error("COMMAND to " + host + ":" + std::to_string(port) + " timed out");
  if (!reply->ok()) return reply->status();
  const resp::Value& value = reply->value();
  if (value.type == resp::ValueType::kError) return Status::Error(value.str);
  std::vector<command::ReplyNode> nodes;
  ValueToReplyNodes(value, &nodes);
  return command::MergeCommandReply(table, nodes);
}

}  // namespace slotproxy::session
