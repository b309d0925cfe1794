#include "resp/reply_parser.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>

namespace slotproxy::resp {
namespace {

// A valid numeric header or integer line is at most type byte + sign + 19 digits + CR; anything
// longer without a newline is an error, without waiting for the rest.
constexpr size_t kMaxNumberLine = 24;

// How much of an unfinished first line the fast path may scan again on the next call.
constexpr size_t kFastPathRescan = 64;

// Parses a whole line as a signed decimal int64 ("-?[0-9]{1,19}", range-checked).
bool ParseInt64(std::string_view s, int64_t* out) {
  bool negative = false;
  if (!s.empty() && s.front() == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 19) return false;
  uint64_t value = 0;  // 19 digits always fit in uint64
  for (char c : s) {
    unsigned digit = static_cast<unsigned char>(c) - static_cast<unsigned>('0');
    if (digit > 9) return false;
    value = value * 10 + digit;
  }
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (value > kMax + (negative ? 1 : 0)) return false;
  *out = negative ? static_cast<int64_t>(0 - value) : static_cast<int64_t>(value);
  return true;
}

size_t SkipDigits(std::string_view s, size_t i) {
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  return i;
}

// RESP3 double: inf, -inf, nan, or a decimal with optional fraction and exponent.
bool ValidDouble(std::string_view s) {
  if (s == "inf" || s == "-inf" || s == "+inf" || s == "nan" || s == "-nan") return true;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t int_end = SkipDigits(s, i);
  size_t digits = int_end - i;
  i = int_end;
  if (i < s.size() && s[i] == '.') {
    size_t frac_end = SkipDigits(s, i + 1);
    digits += frac_end - (i + 1);
    i = frac_end;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_end = SkipDigits(s, i);
    if (exp_end == i) return false;
    i = exp_end;
  }
  return i == s.size();
}

// RESP3 big number: an optionally signed run of decimal digits.
bool ValidBigNumber(std::string_view s) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  return i < s.size() && SkipDigits(s, i) == s.size();
}

bool IsLineType(char type) { return type == '+' || type == '-' || type == ',' || type == '('; }

bool IsKnownType(char type) {
  return std::strchr("+-:_,#($!=*%~>|;.", type) != nullptr && type != '\0';
}

ValueType AggregateType(char type) {
  switch (type) {
    case '%':
      return ValueType::kMap;
    case '~':
      return ValueType::kSet;
    case '>':
      return ValueType::kPush;
    default:
      return ValueType::kArray;
  }
}

// Fast path helpers: they recognise only well-formed, complete, common input and return nullptr
// for anything else, which then goes to the slow path (which also produces the error reasons).

// "<digits>\r\n" after a type byte; at most 18 digits so no overflow check is needed.
inline const char* FastNumber(const char* p, const char* end, int64_t* out) {
  bool negative = false;
  if (p < end && *p == '-') {
    negative = true;
    ++p;
  }
  const char* start = p;
  int64_t value = 0;
  while (p < end) {
    unsigned digit = static_cast<unsigned char>(*p) - static_cast<unsigned>('0');
    if (digit > 9) break;
    if (p - start == 18) return nullptr;  // a 19th digit could overflow
    value = value * 10 + digit;
    ++p;
  }
  if (p == start || end - p < 2 || p[0] != '\r' || p[1] != '\n') return nullptr;
  *out = negative ? -value : value;
  return p + 2;
}

// One '$', ':', '+' or '-' reply starting at p < end; returns the byte after it.
inline const char* FastScalar(const char* p, const char* end, const ReplyLimits& limits) {
  int64_t n;
  switch (*p) {
    case '$': {
      const char* q = FastNumber(p + 1, end, &n);
      if (q == nullptr) return nullptr;
      if (n < 0) return n == -1 ? q : nullptr;
      if (n > limits.max_bulk_length || end - q < n + 2) return nullptr;
      q += n;
      return (q[0] == '\r' && q[1] == '\n') ? q + 2 : nullptr;
    }
    case ':':
      return FastNumber(p + 1, end, &n);
    case '+':
    case '-': {
      const char* lf = static_cast<const char*>(std::memchr(p + 1, '\n', end - p - 1));
      if (lf == nullptr || lf - p < 2 || lf[-1] != '\r' || lf - p - 2 > limits.max_line_length) {
        return nullptr;
      }
      return lf + 1;
    }
    default:
      return nullptr;
  }
}

// A flat array of scalars ("*N" then N FastScalar elements), or "*-1".
inline const char* FastArray(const char* p, const char* end, const ReplyLimits& limits,
                             bool* null) {
  int64_t count;
  const char* q = FastNumber(p + 1, end, &count);
  if (q == nullptr) return nullptr;
  if (count < 0) {
    *null = count == -1;
    return *null ? q : nullptr;
  }
  if (limits.max_depth < 1 || count > limits.max_aggregate_length) return nullptr;
  for (int64_t i = 0; i < count; ++i) {
    if (q == end) return nullptr;
    q = FastScalar(q, end, limits);
    if (q == nullptr) return nullptr;
  }
  return q;
}

}  // namespace

ReplyParser::ReplyParser(ReplyLimits limits) : limits_(limits) { stack_.reserve(8); }

void ReplyParser::Reset() {
  info_ = ReplyInfo{};
  stack_.clear();
  error_ = "";
  pos_ = 0;
  line_scan_ = 0;
  bulk_start_ = 0;
  bulk_type_ = 0;
  streamed_length_ = 0;
  in_streamed_string_ = false;
  after_attribute_ = false;
  failed_ = false;
}

ReplyStatus ReplyParser::Parse(std::string_view unconsumed) {
  if (failed_) return ReplyStatus::kError;
  // The fast path starts from byte 0, so it only runs while nothing but the first line has been
  // walked, and only a short stretch of it: a long line arriving in small pieces would
  // otherwise be rescanned on every call.
  if (pos_ == 0 && line_scan_ <= kFastPathRescan && !unconsumed.empty() &&
      TryFast(unconsumed.data(), unconsumed.size())) {
    return ReplyStatus::kComplete;
  }
  return ParseSlow(unconsumed.data(), unconsumed.size());
}

bool ReplyParser::TryFast(const char* data, size_t size) {
  const char* end = data + size;
  const char* after = nullptr;
  ValueType type;
  bool null = false;
  switch (data[0]) {
    case '+':
      type = ValueType::kSimpleString;
      after = FastScalar(data, end, limits_);
      break;
    case '-':
      type = ValueType::kError;
      after = FastScalar(data, end, limits_);
      break;
    case ':':
      type = ValueType::kInteger;
      after = FastScalar(data, end, limits_);
      break;
    case '$':
      after = FastScalar(data, end, limits_);
      type = ValueType::kBulkString;
      if (size > 1 && data[1] == '-') {
        // Only the canonical "$-1\r\n" here; odd spellings such as "$-0" take the slow path.
        if (after != data + 5) return false;
        type = ValueType::kNull;
      }
      break;
    case '*':
      after = FastArray(data, end, limits_, &null);
      type = null ? ValueType::kNull : ValueType::kArray;
      break;
    default:
      return false;
  }
  if (after == nullptr) return false;
  line_scan_ = 0;
  info_ = ReplyInfo{};
  info_.length = static_cast<size_t>(after - data);
  info_.type = type;
  if (type == ValueType::kError) {
    info_.message_offset = 1;
    info_.message_length = info_.length - 3;
    info_.error_kind = ClassifyError(std::string_view(data + 1, info_.message_length));
  }
  return true;
}

ReplyStatus ReplyParser::ParseSlow(const char* data, size_t size) {
  if (pos_ == 0) info_ = ReplyInfo{};  // nothing of this reply is known yet
  for (;;) {
    bool element_done = false;
    Step step;
    if (bulk_type_ != 0) {
      // pos_ is the end of the pending payload + CRLF: skipped by length, never scanned.
      if (size < pos_) return ReplyStatus::kNeedMore;
      // A chunk of a streamed string is part of an element, not one.
      element_done = bulk_type_ != ';';
      step = FinishBulk(data);
    } else {
      step = ParseLine(data, size, &element_done);
    }
    if (step == Step::kContinue && element_done) step = ElementDone(&element_done);
    if (step == Step::kNeedMore) return ReplyStatus::kNeedMore;
    if (step == Step::kError) return ReplyStatus::kError;
    if (element_done) return Complete(data);
  }
}

ReplyParser::Step ReplyParser::ParseLine(const char* data, size_t size, bool* element_done) {
  assert(line_scan_ <= size && "Parse() was given fewer bytes than before");
  if (pos_ >= size) return Step::kNeedMore;
  const char type = data[pos_];
  if (!IsKnownType(type)) return Fail("unknown reply type byte");
  // Inside a streamed string only its chunks may come, and chunks nowhere else.
  if (in_streamed_string_ != (type == ';')) return Fail("invalid streamed string chunk");
  size_t from = std::max(line_scan_, pos_ + 1);
  const void* found = from < size ? std::memchr(data + from, '\n', size - from) : nullptr;
  if (found == nullptr) {
    line_scan_ = size;
    return LineNeedMore(type, size, data[size - 1] == '\r');
  }
  size_t lf = static_cast<size_t>(static_cast<const char*>(found) - data);
  if (lf < pos_ + 2 || data[lf - 1] != '\r') return Fail("reply line not terminated by CRLF");
  std::string_view line(data + pos_ + 1, lf - 1 - (pos_ + 1));
  const size_t line_start = pos_ + 1;
  line_scan_ = 0;
  pos_ = lf + 1;
  const bool follows_attribute = after_attribute_;
  after_attribute_ = false;
  *element_done = true;
  switch (type) {
    case '$':
    case '!':
    case '=':
    case ';':
      return StartBulk(type, line, element_done);
    case '*':
    case '%':
    case '~':
    case '>':
    case '|':
      return StartAggregate(type, line, element_done);
    case '.':
      // Ends a streamed aggregate, which is then an element of its parent.
      // (A streamed frame starts at an odd count for a map, so an even count means a key
      // without its value.)
      if (!line.empty() || stack_.empty() || !stack_.back().streamed || follows_attribute ||
          (stack_.back().map && stack_.back().remaining % 2 == 0)) {
        return Fail("unexpected streamed aggregate end");
      }
      stack_.pop_back();
      return Step::kContinue;
    default:
      return ScalarLine(type, line, line_start);
  }
}

ReplyParser::Step ReplyParser::ScalarLine(char type, std::string_view line, size_t line_start) {
  if (IsLineType(type) && line.size() > static_cast<uint64_t>(limits_.max_line_length)) {
    return Fail("reply line too long");
  }
  int64_t number = 0;
  switch (type) {
    case '+':
      SetTop(ValueType::kSimpleString);
      return Step::kContinue;
    case '-':
      if (stack_.empty()) {
        SetTop(ValueType::kError);
        info_.message_offset = line_start;
        info_.message_length = line.size();
      }
      return Step::kContinue;
    case ':':
      if (!ParseInt64(line, &number)) return Fail("invalid integer");
      SetTop(ValueType::kInteger);
      return Step::kContinue;
    case '_':
      if (!line.empty()) return Fail("invalid null");
      SetTop(ValueType::kNull);
      return Step::kContinue;
    case ',':
      if (!ValidDouble(line)) return Fail("invalid double");
      SetTop(ValueType::kDouble);
      return Step::kContinue;
    case '#':
      if (line != "t" && line != "f") return Fail("invalid boolean");
      SetTop(ValueType::kBoolean);
      return Step::kContinue;
    case '(':
      if (!ValidBigNumber(line)) return Fail("invalid big number");
      SetTop(ValueType::kBigNumber);
      return Step::kContinue;
    default:
      return Fail("unknown reply type byte");
  }
}

ReplyParser::Step ReplyParser::LineNeedMore(char type, size_t size, bool ends_with_cr) {
  size_t have = size - pos_;
  if (IsLineType(type)) {
    // The content is at least what follows the type byte, minus a final CR.
    size_t content = have - 1 - (ends_with_cr ? 1 : 0);
    if (content > static_cast<uint64_t>(limits_.max_line_length)) {
      return Fail("reply line too long");
    }
  } else if (have > kMaxNumberLine) {
    return Fail(type == '$' || type == '!' || type == '=' || type == ';' ? "invalid bulk length"
                : type == ':'                                            ? "invalid integer"
                              : "invalid multibulk length");
  }
  return Step::kNeedMore;
}

ReplyParser::Step ReplyParser::StartBulk(char type, std::string_view line, bool* element_done) {
  if (type == '$' && line == "?") {  // RESP3 streamed string: ;N chunks up to ;0
    SetTop(ValueType::kBulkString);
    in_streamed_string_ = true;
    streamed_length_ = 0;
    *element_done = false;
    return Step::kContinue;
  }
  int64_t length = 0;
  if (!ParseInt64(line, &length)) return Fail("invalid bulk length");
  if (length == -1 && type == '$') {  // RESP2 null bulk
    SetTop(ValueType::kNull);
    return Step::kContinue;
  }
  if (length < 0 || length > limits_.max_bulk_length) return Fail("invalid bulk length");
  if (type == ';') {
    streamed_length_ += length;
    if (streamed_length_ > limits_.max_bulk_length) return Fail("invalid bulk length");
    if (length == 0) {  // the last chunk
      in_streamed_string_ = false;
      return Step::kContinue;
    }
  }
  if (type == '=' && length < 4) return Fail("invalid verbatim string");
  if (stack_.empty() && type != ';') {
    if (type == '!') {
      SetTop(ValueType::kError);
      info_.message_offset = pos_;
      info_.message_length = static_cast<size_t>(length);
    } else {
      SetTop(type == '$' ? ValueType::kBulkString : ValueType::kVerbatim);
    }
  }
  bulk_type_ = type;
  bulk_start_ = pos_;
  pos_ += static_cast<size_t>(length) + 2;
  *element_done = false;
  return Step::kContinue;
}

ReplyParser::Step ReplyParser::FinishBulk(const char* data) {
  if (data[pos_ - 2] != '\r' || data[pos_ - 1] != '\n') {
    return Fail("bulk payload not terminated by CRLF");
  }
  if (bulk_type_ == '=' && data[bulk_start_ + 3] != ':') return Fail("invalid verbatim string");
  bulk_type_ = 0;
  return Step::kContinue;
}

ReplyParser::Step ReplyParser::StartAggregate(char type, std::string_view line,
                                              bool* element_done) {
  const bool attribute = type == '|';
  const bool map = type == '%' || attribute;
  // Streamed (RESP3 "*?", "%?", "~?"): up to the limit, until ".".
  const bool streamed = line == "?" && (type == '*' || type == '%' || type == '~');
  int64_t count = limits_.max_aggregate_length;
  if (!streamed && !ParseInt64(line, &count)) return Fail("invalid multibulk length");
  if (count == -1 && type == '*') {  // RESP2 null array
    SetTop(ValueType::kNull);
    return Step::kContinue;
  }
  if (count < 0 || count > limits_.max_aggregate_length) {
    return Fail("invalid multibulk length");
  }
  if (stack_.size() >= static_cast<size_t>(std::max(limits_.max_depth, 0))) {
    return Fail("reply nesting too deep");
  }
  if (attribute) {
    if (stack_.empty()) info_.has_attribute = true;
  } else {
    SetTop(AggregateType(type));
  }
  // A streamed frame counts down from one past its limit, so reaching 0 means "too many".
  const int64_t elements = (map ? 2 * count : count) + (streamed ? 1 : 0);
  if (elements == 0) {
    // An empty aggregate is a finished element; an empty attribute annotates what follows.
    *element_done = !attribute;
    after_attribute_ = attribute;
    return Step::kContinue;
  }
  stack_.push_back(Frame{elements, attribute, streamed, map});
  *element_done = false;
  return Step::kContinue;
}

ReplyParser::Step ReplyParser::ElementDone(bool* reply_done) {
  *reply_done = false;
  while (!stack_.empty()) {
    Frame& frame = stack_.back();
    if (--frame.remaining > 0) return Step::kContinue;
    if (frame.streamed) return Fail("invalid multibulk length");
    const bool attribute = frame.attribute;
    stack_.pop_back();
    if (attribute) {
      // A finished attribute is not an element of its parent: the value it annotates follows.
      after_attribute_ = true;
      return Step::kContinue;
    }
  }
  *reply_done = true;
  return Step::kContinue;
}

void ReplyParser::SetTop(ValueType type) {
  if (stack_.empty()) info_.type = type;
}

ReplyStatus ReplyParser::Complete(const char* data) {
  info_.length = pos_;
  if (info_.type == ValueType::kError) {
    info_.error_kind =
        ClassifyError(std::string_view(data + info_.message_offset, info_.message_length));
  }
  stack_.clear();
  pos_ = 0;
  line_scan_ = 0;
  bulk_type_ = 0;
  after_attribute_ = false;
  return ReplyStatus::kComplete;
}

ReplyParser::Step ReplyParser::Fail(const char* reason) {
  failed_ = true;
  error_ = reason;
  return Step::kError;
}

}  // namespace slotproxy::resp
