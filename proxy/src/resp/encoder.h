// Encoder: writes RESP2/RESP3 replies and RESP requests, byte for byte as Redis 7.0 writes
// them (addReply* in src/networking.c). Appends to a caller-owned std::string; no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace slotproxy::resp {

// The protocol a client negotiated (HELLO 2 / HELLO 3).
enum class Protocol : uint8_t { kResp2 = 2, kResp3 = 3 };

// Appends replies to `*out` in the protocol chosen at construction. RESP3-only types are
// rendered the way Redis renders them for a RESP2 client (see each method). Aggregate headers
// only announce counts: the caller writes exactly that many elements after them.
class Encoder {
 public:
  // `out` must outlive the encoder; bytes are only ever appended to it.
  Encoder(std::string* out, Protocol protocol) : out_(out), protocol_(protocol) {}

  Protocol protocol() const { return protocol_; }
  std::string* out() const { return out_; }

  // "+<s>\r\n". CR and LF inside `s` become spaces so the reply stays one line.
  void SimpleString(std::string_view s);
  // "-<message>\r\n"; `message` starts with the error code ("ERR ...", "MOVED ...").
  // As Redis's addReplyErrorFormat: CR/LF at either end are trimmed, the others become spaces.
  void Error(std::string_view message);
  // ":<v>\r\n".
  void Integer(int64_t v);
  // "$<len>\r\n<s>\r\n".
  void Bulk(std::string_view s);
  // A missing value: RESP2 "$-1\r\n", RESP3 "_\r\n" (addReplyNull).
  void Null();
  // A missing aggregate: RESP2 "*-1\r\n", RESP3 "_\r\n" (addReplyNullArray).
  void NullArray();
  // "*<n>\r\n".
  void ArrayHeader(size_t n);
  // RESP3 "%<pairs>\r\n"; RESP2 a flat "*<2*pairs>\r\n". Write key, value, key, value, ...
  void MapHeader(size_t pairs);
  // RESP3 "~<n>\r\n"; RESP2 "*<n>\r\n".
  void SetHeader(size_t n);
  // RESP3 "><n>\r\n"; RESP2 "*<n>\r\n" (how pub/sub messages reach a RESP2 client).
  void PushHeader(size_t n);
  // RESP3 "|<pairs>\r\n" and returns true: write the 2*pairs elements, then the reply proper.
  // RESP2 has no attributes: writes nothing and returns false; the caller skips the elements.
  bool AttributeHeader(size_t pairs);
  // RESP3 ",<d>\r\n"; RESP2 a bulk string. Formatted like printf("%.17g") (Redis 7.0), with
  // "inf" and "-inf" for infinities ("nan"/"-nan" as printf writes them).
  void Double(double d);
  // RESP3 "#t\r\n"/"#f\r\n"; RESP2 ":1\r\n"/":0\r\n".
  void Boolean(bool b);
  // RESP3 "(<digits>\r\n"; RESP2 a bulk string of the digits.
  void BigNumber(std::string_view digits);
  // RESP3 "=<len+4>\r\n<fmt>:<text>\r\n" with `format` cut or space-padded to 3 bytes;
  // RESP2 a plain bulk string of `text`.
  void Verbatim(std::string_view text, std::string_view format = "txt");
  // Appends already-encoded bytes unchanged (e.g. a backend reply passed through).
  void Raw(std::string_view bytes) { out_->append(bytes); }

 private:
  void Header(char prefix, int64_t n);
  void Line(char prefix, std::string_view s);

  std::string* out_;
  Protocol protocol_;
};

// Appends "<prefix><n>\r\n", e.g. AppendHeader('*', 3, out) -> "*3\r\n". No snprintf.
void AppendHeader(char prefix, int64_t n, std::string* out);

// Appends the request `*<N>\r\n` followed by `$<len>\r\n<arg>\r\n` for every argument.
void EncodeCommand(std::span<const std::string_view> args, std::string* out);
void EncodeCommand(std::initializer_list<std::string_view> args, std::string* out);
// Same, returning a new string.
std::string EncodeCommand(std::initializer_list<std::string_view> args);

}  // namespace slotproxy::resp
