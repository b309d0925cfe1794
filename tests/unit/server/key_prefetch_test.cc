// PeekKeys: the look-ahead over pipelined requests that picks the keys to prefetch.
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "server/key_prefetch.h"

namespace slotproxy::server {
namespace {

struct Peeked {
  size_t requests = 0;
  std::vector<std::string> keys;
};

Peeked Peek(std::string_view input, size_t room = 16) {
  std::array<std::string_view, 16> keys;
  size_t stored = 0;
  Peeked p;
  p.requests = PeekKeys(input, std::span<std::string_view>(keys.data(), room), &stored);
  for (size_t i = 0; i < stored; ++i) p.keys.emplace_back(keys[i]);
  return p;
}

TEST_CASE("key prefetch: the second argument of each complete request") {
  Peeked p = Peek(
      "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n"
      "*1\r\n$4\r\nPING\r\n"
      "*3\r\n$3\r\nSET\r\n$4\r\nb\r\nr\r\n$1\r\nv\r\n");
  CHECK(p.requests == 3);
  CHECK(p.keys == std::vector<std::string>{"foo", "b\r\nr"});
}

TEST_CASE("key prefetch: stops at an incomplete, inline or malformed request") {
  CHECK(Peek("*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n*2\r\n$3\r\nGET\r\n$3\r\nfo").requests == 1);
  CHECK(Peek("*2\r\n$3\r\nGET\r\n$3\r\nfoo").requests == 0);
  CHECK(Peek("*2\r\n$3\r\nGET\r\n$3\r\nfoo\r").requests == 0);
  CHECK(Peek("GET foo\r\n").requests == 0);
  CHECK(Peek("*2\r\n$3\r\nGET\r\n$3\r\nfooX\r\n").requests == 0);  // length does not match
  CHECK(Peek("*0\r\n").requests == 0);
  CHECK(Peek("*-1\r\n").requests == 0);
  CHECK(Peek("*2\r\n$\r\nGET\r\n").requests == 0);
  CHECK(Peek("*2\r\n$99999999999999999999\r\nGET\r\n").requests == 0);  // no overflow
  CHECK(Peek("*2\r\n:3\r\nGET\r\n$3\r\nfoo\r\n").requests == 0);
  CHECK(Peek("").requests == 0);
}

TEST_CASE("key prefetch: no more keys than there is room for") {
  std::string input;
  for (int i = 0; i < 5; ++i) input += "*2\r\n$3\r\nGET\r\n$2\r\nk" + std::to_string(i) + "\r\n";
  Peeked p = Peek(input, 3);
  CHECK(p.requests == 3);
  CHECK(p.keys == std::vector<std::string>{"k0", "k1", "k2"});
  CHECK(Peek(input, 0).requests == 0);
}

}  // namespace
}  // namespace slotproxy::server
