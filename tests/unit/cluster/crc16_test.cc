#include "cluster/crc16.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "redis_process.h"

namespace slotproxy::cluster {
namespace {

// The bit-by-bit reference from the protocol notes (section 1), to check the table version.
uint16_t BitwiseCrc16(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char byte : data) {
    crc ^= static_cast<uint16_t>(byte << 8);
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

TEST_CASE("Crc16 is CRC16/XMODEM") {
  CHECK(Crc16("123456789") == 0x31C3);
  CHECK(Crc16("") == 0);
  std::mt19937 rng(7);
  for (int i = 0; i < 500; ++i) {
    std::string data(rng() % 200, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    CHECK(Crc16(data) == BitwiseCrc16(data));
  }
}

TEST_CASE("KeySlot matches the slots captured from redis-server 7.0.15") {
  CHECK(KeySlot("123456789") == 12739);
  CHECK(KeySlot("foo") == 12182);
  CHECK(KeySlot("bar") == 5061);
  CHECK(KeySlot("") == 0);
  CHECK(KeySlot("{user1000}.following") == 3443);
  CHECK(KeySlot("foo{bar}{zap}") == 5061);
  CHECK(KeySlot("foo{}{bar}") == 8363);
  CHECK(KeySlot("foo{{bar}}zap") == 4015);
  CHECK(KeySlot("{}") == 15257);
  CHECK(KeySlot("{") == 4092);
  CHECK(KeySlot("foo{bar") == 15278);
}

TEST_CASE("HashPart follows the hash-tag rules") {
  CHECK(HashPart("{user1000}.following") == "user1000");
  CHECK(HashPart("foo{bar}{zap}") == "bar");
  CHECK(HashPart("foo{}{bar}") == "foo{}{bar}");
  CHECK(HashPart("foo{{bar}}zap") == "{bar");
  CHECK(HashPart("foo{bar") == "foo{bar");
  CHECK(HashPart("}{a}") == "a");
  CHECK(HashPart("a}b") == "a}b");
  CHECK(HashPart("") == "");
  std::string binary("x{\0\xff}y", 6);
  CHECK(HashPart(binary) == std::string_view("\0\xff", 2));
  CHECK(KeySlot("{a}1") == KeySlot("{a}2"));
}

// A random key: mostly printable, with braces common enough that every tag rule is exercised
// (no tag, empty tag, unclosed tag, nested braces, several tags), and some binary bytes.
std::string RandomKey(std::mt19937& rng) {
  static constexpr std::string_view kAlphabet = "ab{}{}}{xyz019:._-";
  std::string key;
  const int len = static_cast<int>(rng() % 24);
  for (int i = 0; i < len; ++i) {
    const unsigned pick = rng() % 10;
    key.push_back(pick == 0 ? static_cast<char>(rng()) : kAlphabet[rng() % kAlphabet.size()]);
  }
  return key;
}

TEST_CASE("KeySlot agrees with CLUSTER KEYSLOT of a real redis-server on random keys") {
  std::string error;
  auto redis = testing::RedisProcess::Start(&error);
  REQUIRE(redis != nullptr);
  auto conn = testing::TestConnection::Connect(redis->port());
  REQUIRE(conn != nullptr);

  std::mt19937 rng(20261121);
  std::vector<std::string> keys;
  for (int i = 0; i < 2000; ++i) keys.push_back(RandomKey(rng));
  keys.push_back("{user1000}.following");  // at least a few sure tag hits
  keys.push_back(std::string(1000, '{') + "}");
  std::string pipeline;
  for (const std::string& key : keys)
    pipeline += testing::EncodeCommand({"CLUSTER", "KEYSLOT", key});
  REQUIRE(conn->Send(pipeline));

  int tagged = 0;
  for (const std::string& key : keys) {
    std::string line;
    REQUIRE(conn->ReadLine(&line));
    REQUIRE(line.size() > 1);
    REQUIRE(line[0] == ':');
    INFO("key: " << key);
    CHECK(KeySlot(key) == std::stoi(line.substr(1)));
    if (HashPart(key).size() != key.size()) ++tagged;
  }
  // The key generator must exercise tags, or the comparison proves little.
  CHECK(tagged > 200);
}

}  // namespace
}  // namespace slotproxy::cluster
