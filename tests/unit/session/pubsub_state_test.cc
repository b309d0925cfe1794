#include <catch2/catch.hpp>

#include <string>

#include "session/pubsub_state.h"

namespace slotproxy::session {
namespace {

std::string Confirm(resp::Protocol protocol, std::string_view word,
                    std::optional<std::string_view> name, size_t count) {
  std::string out;
  resp::Encoder enc(&out, protocol);
  WriteConfirmation(enc, word, name, count);
  return out;
}

TEST_CASE("confirmations are Redis's frames: arrays in RESP2, pushes in RESP3") {
  CHECK(Confirm(resp::Protocol::kResp2, "subscribe", "a", 1) ==
        "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
  CHECK(Confirm(resp::Protocol::kResp3, "ssubscribe", "ch", 2) ==
        ">3\r\n$10\r\nssubscribe\r\n$2\r\nch\r\n:2\r\n");
  CHECK(Confirm(resp::Protocol::kResp2, "unsubscribe", std::nullopt, 0) ==
        "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
  CHECK(Confirm(resp::Protocol::kResp3, "punsubscribe", std::nullopt, 0) ==
        ">3\r\n$12\r\npunsubscribe\r\n_\r\n:0\r\n");
}

TEST_CASE("counts: channels and patterns together, shard channels apart") {
  PubSubState s;
  CHECK_FALSE(s.Any());
  CHECK(s.Add(SubKind::kChannel, "a"));
  CHECK_FALSE(s.Add(SubKind::kChannel, "a"));
  CHECK(s.Add(SubKind::kPattern, "p*"));
  CHECK(s.Add(SubKind::kShard, "s"));
  CHECK(s.CountFor(SubKind::kChannel) == 2);
  CHECK(s.CountFor(SubKind::kPattern) == 2);
  CHECK(s.CountFor(SubKind::kShard) == 1);
  CHECK(s.Has(SubKind::kPattern, "p*"));
  CHECK_FALSE(s.Has(SubKind::kChannel, "p*"));
  CHECK(s.Add(SubKind::kChannel, "b"));
  CHECK(s.Names(SubKind::kChannel) == std::vector<std::string>{"a", "b"});
  CHECK(s.Remove(SubKind::kChannel, "a"));
  CHECK_FALSE(s.Remove(SubKind::kChannel, "a"));
  CHECK(s.Names(SubKind::kChannel) == std::vector<std::string>{"b"});
  s.Clear();
  CHECK_FALSE(s.Any());
}

TEST_CASE("frames from a pub/sub backend connection are classified") {
  PubSubFrame f = ClassifyPubSubFrame("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  CHECK(f.type == PubSubFrame::Type::kMessage);
  CHECK(f.kind == SubKind::kChannel);
  CHECK(f.channel == "ch");
  f = ClassifyPubSubFrame(">4\r\n$8\r\npmessage\r\n$2\r\np*\r\n$2\r\npx\r\n$1\r\nm\r\n");
  CHECK(f.type == PubSubFrame::Type::kPMessage);
  CHECK(f.channel == "p*");
  f = ClassifyPubSubFrame(">3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nm\r\n");
  CHECK((f.type == PubSubFrame::Type::kMessage && f.kind == SubKind::kShard));
  f = ClassifyPubSubFrame("*3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n");
  CHECK((f.type == PubSubFrame::Type::kSubscribe && f.kind == SubKind::kShard));
  f = ClassifyPubSubFrame("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
  CHECK(f.type == PubSubFrame::Type::kUnsubscribe);
  CHECK(f.channel.empty());
  CHECK(ClassifyPubSubFrame("-MOVED 1 127.0.0.1:1\r\n").type == PubSubFrame::Type::kError);
  CHECK(ClassifyPubSubFrame("+PONG\r\n").type == PubSubFrame::Type::kOther);
  // Bytes from a backend that are not a pub/sub frame are "other", never a crash.
  CHECK(ClassifyPubSubFrame("*3\r\n$99\r\nmessage\r\n").type == PubSubFrame::Type::kOther);
  CHECK(ClassifyPubSubFrame("*x\r\n").type == PubSubFrame::Type::kOther);
  CHECK(ClassifyPubSubFrame("").type == PubSubFrame::Type::kOther);
}

}  // namespace
}  // namespace slotproxy::session
