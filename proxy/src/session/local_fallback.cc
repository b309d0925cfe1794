#include "session/local_fallback.h"

#include "resp/encoder.h"

namespace slotproxy::session {

LocalOutcome AnswerLocally(const command::CommandInfo& info, std::span<const std::string_view> args,
                           LocalState& /*state*/, std::string* out) {
  resp::Encoder enc(out, resp::Protocol::kResp2);
  const std::string_view name = info.name;
  if (name == "ping") {
    if (args.size() > 1) {
      enc.Bulk(args[1]);
    } else {
      enc.SimpleString("PONG");
    }
  } else if (name == "echo") {
    enc.Bulk(args[1]);
  } else if (name == "quit") {
    enc.SimpleString("OK");
    return LocalOutcome::kCloseAfterReply;
  } else if (name == "select") {
    if (args[1] == "0") {
      enc.SimpleString("OK");
    } else {
      enc.Error("ERR DB index is out of range");
    }
  } else {
    enc.Error("ERR command '" + std::string(name) + "' is not available in slotproxy yet");
  }
  return LocalOutcome::kReply;
}

}  // namespace slotproxy::session
