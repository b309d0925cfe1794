#include "net/input_buffer.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

namespace slotproxy::net {
namespace {

TEST_CASE("InputBuffer appends and consumes from the front", "[net][input]") {
  InputBuffer in;
  REQUIRE(in.Empty());
  REQUIRE(in.Append("hello ").ok());
  REQUIRE(in.Append("world").ok());
  REQUIRE(in.View() == "hello world");
  in.Consume(6);
  REQUIRE(in.View() == "world");
  in.Consume(5);
  REQUIRE(in.Empty());
  REQUIRE(in.Append("again").ok());
  REQUIRE(in.View() == "again");
}

TEST_CASE("InputBuffer allocates only what arrived plus one chunk", "[net][input]") {
  InputBuffer in;
  size_t granted = 0;
  char* p = in.PrepareAppend(16384, &granted);
  REQUIRE(granted == 16384);
  REQUIRE(in.Capacity() == 16384);
  std::memcpy(p, "abc", 3);
  in.CommitAppend(3);
  REQUIRE(in.View() == "abc");
  // Room for a chunk after the 3 bytes: grows to at most arrived + chunk, amortised.
  in.PrepareAppend(16384, &granted);
  REQUIRE(in.Capacity() >= 3 + 16384);
  REQUIRE(in.Capacity() <= (3 + 16384) * 2);
}

TEST_CASE("InputBuffer compacts the consumed prefix instead of growing", "[net][input]") {
  InputBuffer in;
  std::string block(1000, 'x');
  for (int i = 0; i < 10; ++i) REQUIRE(in.Append(block).ok());
  const size_t cap = in.Capacity();
  in.Consume(9500);
  size_t granted = 0;
  char* p = in.PrepareAppend(cap - 600, &granted);
  REQUIRE(granted == cap - 600);
  REQUIRE(in.Capacity() == cap);  // compacted, not grown
  REQUIRE(p == in.Data() + 500);
  REQUIRE(in.View() == std::string(500, 'x'));
}

TEST_CASE("InputBuffer enforces its maximum size", "[net][input]") {
  InputBuffer in(10);
  REQUIRE(in.Append("12345678").ok());
  Status st = in.Append("abc");
  REQUIRE_FALSE(st.ok());
  REQUIRE(st.message() == "input buffer limit of 10 bytes reached");
  REQUIRE(in.View() == "12345678");
  size_t granted = 0;
  in.PrepareAppend(100, &granted);
  REQUIRE(granted == 2);
  in.CommitAppend(2);
  REQUIRE(in.PrepareAppend(100, &granted) == nullptr);
  REQUIRE(granted == 0);
}

TEST_CASE("InputBuffer views external bytes and adopts the unconsumed tail", "[net][input]") {
  InputBuffer in;
  std::string scratch = "GET a\r\nGET b\r\nGE";
  in.AttachExternal(scratch.data(), scratch.size());
  REQUIRE(in.IsExternal());
  REQUIRE(in.Capacity() == 0);
  in.Consume(14);
  in.AdoptExternal();
  scratch.assign(scratch.size(), '#');  // the scratch is reused by the next read
  REQUIRE_FALSE(in.IsExternal());
  REQUIRE(in.View() == "GE");
  REQUIRE(in.Append("T c\r\n").ok());
  REQUIRE(in.View() == "GET c\r\n");
}

TEST_CASE("InputBuffer releases large storage once empty", "[net][input]") {
  InputBuffer in;
  REQUIRE(in.Append(std::string(1 << 20, 'z')).ok());
  REQUIRE(in.Capacity() >= (1u << 20));
  const char* first = in.Data();
  in.Consume(in.Size());
  REQUIRE(in.Capacity() >= (1u << 20));  // Consume never frees: parser views stay valid
  REQUIRE(first[0] == 'z');
  in.ShrinkIfIdle();
  REQUIRE(in.Capacity() == 0);
  REQUIRE(in.Append("small").ok());
  in.Consume(5);
  in.ShrinkIfIdle();
  REQUIRE(in.Capacity() > 0);  // small storage is kept for reuse
  REQUIRE(in.Capacity() <= InputBuffer::kKeepCapacity);
}

}  // namespace
}  // namespace slotproxy::net
