#include "resp/encoder.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace slotproxy::resp {

void AppendHeader(char prefix, int64_t n, std::string* out) {
  char buf[24];
  buf[0] = prefix;
  char* end = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n).ptr;
  *end++ = '\r';
  *end++ = '\n';
  out->append(buf, static_cast<size_t>(end - buf));
}

void Encoder::Header(char prefix, int64_t n) { AppendHeader(prefix, n, out_); }

void Encoder::Line(char prefix, std::string_view s) {
  const size_t at = out_->size();
  out_->reserve(at + s.size() + 3);
  out_->push_back(prefix);
  out_->append(s);
  // Newlines would end the line early and desynchronise the client.
  for (size_t i = at + 1; i < out_->size(); ++i) {
    char& c = (*out_)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
  out_->append("\r\n", 2);
}

void Encoder::SimpleString(std::string_view s) { Line('+', s); }

void Encoder::Error(std::string_view message) {
  // addReplyErrorFormat: sdstrim(s, "\r\n") first, then the remaining CR/LF become spaces.
  const size_t first = message.find_first_not_of("\r\n");
  if (first == std::string_view::npos) {
    message = {};
  } else {
    message = message.substr(first, message.find_last_not_of("\r\n") - first + 1);
  }
  Line('-', message);
}

void Encoder::Integer(int64_t v) { Header(':', v); }

void Encoder::Bulk(std::string_view s) {
  Header('$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append("\r\n", 2);
}

void Encoder::Null() {
  if (protocol_ == Protocol::kResp2) {
    out_->append("$-1\r\n", 5);
  } else {
    out_->append("_\r\n", 3);
  }
}

void Encoder::NullArray() {
  if (protocol_ == Protocol::kResp2) {
    out_->append("*-1\r\n", 5);
  } else {
    out_->append("_\r\n", 3);
  }
}

void Encoder::ArrayHeader(size_t n) { Header('*', static_cast<int64_t>(n)); }

void Encoder::MapHeader(size_t pairs) {
  if (protocol_ == Protocol::kResp2) {
    Header('*', static_cast<int64_t>(pairs * 2));
  } else {
    Header('%', static_cast<int64_t>(pairs));
  }
}

void Encoder::SetHeader(size_t n) {
  Header(protocol_ == Protocol::kResp2 ? '*' : '~', static_cast<int64_t>(n));
}

void Encoder::PushHeader(size_t n) {
  Header(protocol_ == Protocol::kResp2 ? '*' : '>', static_cast<int64_t>(n));
}

bool Encoder::AttributeHeader(size_t pairs) {
  if (protocol_ == Protocol::kResp2) return false;
  Header('|', static_cast<int64_t>(pairs));
  return true;
}

void Encoder::Double(double d) {
  // Redis 7.0 special-cases infinities (libc spellings differ) and prints the rest with
  // "%.17g"; to_chars with general/17 is specified to match that printf conversion.
  char buf[64];
  size_t len;
  if (std::isinf(d)) {
    len = d > 0 ? 3 : 4;
    std::memcpy(buf, d > 0 ? "inf" : "-inf", len);
  } else {
    len = static_cast<size_t>(
        std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::general, 17).ptr - buf);
  }
  if (protocol_ == Protocol::kResp2) {
    Bulk(std::string_view(buf, len));
  } else {
    out_->push_back(',');
    out_->append(buf, len);
    out_->append("\r\n", 2);
  }
}

void Encoder::Boolean(bool b) {
  if (protocol_ == Protocol::kResp2) {
    out_->append(b ? ":1\r\n" : ":0\r\n", 4);
  } else {
    out_->append(b ? "#t\r\n" : "#f\r\n", 4);
  }
}

void Encoder::BigNumber(std::string_view digits) {
  if (protocol_ == Protocol::kResp2) {
    Bulk(digits);
  } else {
    out_->push_back('(');
    out_->append(digits);
    out_->append("\r\n", 2);
  }
}

void Encoder::Verbatim(std::string_view text, std::string_view format) {
  if (protocol_ == Protocol::kResp2) {
    Bulk(text);
    return;
  }
  Header('=', static_cast<int64_t>(text.size() + 4));
  // addReplyVerbatim: the format is exactly 3 bytes, padded with spaces.
  for (size_t i = 0; i < 3; ++i) out_->push_back(i < format.size() ? format[i] : ' ');
  out_->push_back(':');
  out_->append(text);
  out_->append("\r\n", 2);
}

void EncodeCommand(std::span<const std::string_view> args, std::string* out) {
  size_t total = 16;
  for (std::string_view arg : args) total += arg.size() + 16;
  out->reserve(out->size() + total);
  AppendHeader('*', static_cast<int64_t>(args.size()), out);
  for (std::string_view arg : args) {
    AppendHeader('$', static_cast<int64_t>(arg.size()), out);
    out->append(arg);
    out->append("\r\n", 2);
  }
}

void EncodeCommand(std::initializer_list<std::string_view> args, std::string* out) {
  EncodeCommand(std::span<const std::string_view>(args.begin(), args.size()), out);
}

std::string EncodeCommand(std::initializer_list<std::string_view> args) {
  std::string out;
  EncodeCommand(args, &out);
  return out;
}

}  // namespace slotproxy::resp
