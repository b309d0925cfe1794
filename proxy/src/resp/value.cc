#include "resp/value.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <limits>

#include "resp/reply_parser.h"

namespace slotproxy::resp {
namespace {

// Decodes bytes that ReplyParser has already framed and validated as one reply, so every
// check here is defensive only. Recursion is bounded by the depth limit the parser enforced.
class Decoder {
 public:
  explicit Decoder(std::string_view bytes) : bytes_(bytes) {}

  // Decodes one value, with the attributes that precede it, into *out.
  bool Decode(Value* out) {
    for (;;) {
      if (pos_ >= bytes_.size()) return false;
      const char type = bytes_[pos_++];
      std::string_view line;
      if (!ReadLine(&line)) return false;
      if (type != '|') return DecodeTyped(type, line, out);
      int64_t pairs = 0;
      if (!ToInt(line, &pairs)) return false;
      for (int64_t i = 0; i < 2 * pairs; ++i) {
        if (!Decode(&out->attributes.emplace_back())) return false;
      }
    }
  }

 private:
  bool DecodeTyped(char type, std::string_view line, Value* out) {
    switch (type) {
      case '+':
        return SetString(ValueType::kSimpleString, line, out);
      case '-':
        return SetString(ValueType::kError, line, out);
      case '(':
        return SetString(ValueType::kBigNumber, line, out);
      case ':':
        out->type = ValueType::kInteger;
        return ToInt(line, &out->integer);
      case '_':
        out->type = ValueType::kNull;
        return true;
      case '#':
        out->type = ValueType::kBoolean;
        out->boolean = line == "t";
        return true;
      case ',':
        out->type = ValueType::kDouble;
        return ToDouble(line, &out->number);
      case '$':
      case '!':
      case '=':
        return DecodeBulk(type, line, out);
      case '*':
      case '%':
      case '~':
      case '>':
        return DecodeAggregate(type, line, out);
      default:
        return false;
    }
  }

  bool DecodeBulk(char type, std::string_view line, Value* out) {
    if (line == "?") return DecodeStreamedString(out);
    int64_t length = 0;
    if (!ToInt(line, &length)) return false;
    if (length == -1) {
      out->type = ValueType::kNull;
      return true;
    }
    if (length < 0 || bytes_.size() - pos_ < static_cast<uint64_t>(length) + 2) return false;
    std::string_view payload = bytes_.substr(pos_, static_cast<size_t>(length));
    pos_ += static_cast<size_t>(length) + 2;
    if (type == '=') {
      if (payload.size() < 4) return false;
      out->format.assign(payload.substr(0, 3));
      return SetString(ValueType::kVerbatim, payload.substr(4), out);
    }
    return SetString(type == '!' ? ValueType::kError : ValueType::kBulkString, payload, out);
  }

  // "$?" then ";N" chunks up to ";0": one bulk string, the chunks concatenated.
  bool DecodeStreamedString(Value* out) {
    out->type = ValueType::kBulkString;
    for (;;) {
      std::string_view line;
      int64_t length = 0;
      if (pos_ >= bytes_.size() || bytes_[pos_++] != ';' || !ReadLine(&line) ||
          !ToInt(line, &length) || length < 0) {
        return false;
      }
      if (length == 0) return true;  // the last chunk has no payload
      if (bytes_.size() - pos_ < static_cast<uint64_t>(length) + 2) return false;
      out->str.append(bytes_.substr(pos_, static_cast<size_t>(length)));
      pos_ += static_cast<size_t>(length) + 2;
    }
  }

  bool DecodeAggregate(char type, std::string_view line, Value* out) {
    int64_t count = 0;
    const bool streamed = line == "?";
    if (streamed) {
      count = std::numeric_limits<int64_t>::max() / 2;  // until "."
    } else if (!ToInt(line, &count)) {
      return false;
    }
    if (count == -1) {
      out->type = ValueType::kNull;
      return true;
    }
    if (count < 0) return false;
    switch (type) {
      case '%':
        out->type = ValueType::kMap;
        count *= 2;
        break;
      case '~':
        out->type = ValueType::kSet;
        break;
      case '>':
        out->type = ValueType::kPush;
        break;
      default:
        out->type = ValueType::kArray;
    }
    // Every element takes at least 3 bytes, which bounds the reservation by the input size.
    if (!streamed) {
      out->elements.reserve(static_cast<size_t>(
          std::min<int64_t>(count, static_cast<int64_t>((bytes_.size() - pos_) / 3))));
    }
    for (int64_t i = 0; i < count; ++i) {
      if (streamed && pos_ < bytes_.size() && bytes_[pos_] == '.') {
        pos_ += 3;  // ".\r\n"
        return true;
      }
      if (!Decode(&out->elements.emplace_back())) return false;
    }
    return !streamed;
  }

  static bool SetString(ValueType type, std::string_view text, Value* out) {
    out->type = type;
    out->str.assign(text);
    return true;
  }

  bool ReadLine(std::string_view* line) {
    size_t crlf = bytes_.find("\r\n", pos_);
    if (crlf == std::string_view::npos) return false;
    *line = bytes_.substr(pos_, crlf - pos_);
    pos_ = crlf + 2;
    return true;
  }

  static bool ToInt(std::string_view text, int64_t* out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && end == text.data() + text.size();
  }

  static bool ToDouble(std::string_view text, double* out) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    if (ec == std::errc::result_out_of_range) {
      // from_chars leaves *out untouched on overflow/underflow; strtod gives +-HUGE_VAL or 0.
      *out = std::strtod(std::string(text).c_str(), nullptr);
      return true;
    }
    return ec == std::errc() && end == text.data() + text.size();
  }

  std::string_view bytes_;
  size_t pos_ = 0;
};

}  // namespace

Result<Value> DecodeValue(std::string_view bytes, size_t* consumed, int max_depth) {
  ReplyLimits limits;
  limits.max_depth = max_depth;
  ReplyParser parser(limits);
  switch (parser.Parse(bytes)) {
    case ReplyStatus::kNeedMore:
      return Status::Error("incomplete");
    case ReplyStatus::kError:
      return Status::Error(std::string(parser.error()));
    case ReplyStatus::kComplete:
      break;
  }
  const size_t length = parser.info().length;
  Value value;
  if (!Decoder(bytes.substr(0, length)).Decode(&value)) {
    return Status::Error("undecodable reply");
  }
  *consumed = length;
  return value;
}

}  // namespace slotproxy::resp
