#include "resp/request_parser.h"

#include <cassert>
#include <cstring>
#include <optional>

namespace slotproxy::resp {
namespace {

constexpr size_t kNpos = static_cast<size_t>(-1);

// Redis's string2ll (src/util.c): optional '-', no '+', no leading zeros, no spaces, fewer than
// 21 bytes (LONG_STR_SIZE), no overflow of long long.
bool String2ll(const char* s, size_t len, int64_t* value) {
  if (len == 0 || len >= 21) return false;
  if (len == 1 && s[0] == '0') {
    *value = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    if (++i == len) return false;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = static_cast<uint64_t>(s[i++] - '0');
  for (; i < len && s[i] >= '0' && s[i] <= '9'; ++i) {
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > UINT64_MAX / 10) return false;
    v *= 10;
    if (v > UINT64_MAX - digit) return false;
    v += digit;
  }
  if (i < len) return false;
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *value = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *value = static_cast<int64_t>(v);
  }
  return true;
}

// The common header: `<prefix><1..18 digits, no leading zero>\r` plus one more byte present.
// Returns the offset of the '\r' and the value, or kNpos when the general path must decide.
// Equivalent to the general path because digits contain neither '\r' nor NUL.
inline size_t FastHeader(const char* data, size_t pos, size_t end, int64_t* value) {
  size_t i = pos + 1;
  if (i + 2 < end && data[i] == '0' && data[i + 1] == '\r') {  // `$0` and `*0`
    *value = 0;
    return i + 1;
  }
  if (i >= end || data[i] < '1' || data[i] > '9') return kNpos;
  int64_t v = data[i++] - '0';
  const size_t max_end = i + 17 < end ? i + 17 : end;
  while (i < max_end && data[i] >= '0' && data[i] <= '9') v = v * 10 + (data[i++] - '0');
  if (i + 1 >= end || data[i] != '\r') return kNpos;
  *value = v;
  return i;
}

// isspace() in the C locale, which is what sdssplitargs runs under.
inline bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// The bytes that end an unquoted token in sdssplitargs (note: not '\v' or '\f').
inline bool EndsToken(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

inline bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The byte a backslash escape inside double quotes stands for.
char Unescape(char e) {
  switch (e) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return e;
  }
}

inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace

std::string_view RequestErrorName(RequestError error) {
  switch (error) {
    case RequestError::kNone:
      return "none";
    case RequestError::kTooBigInlineRequest:
      return "too_big_inline_request";
    case RequestError::kUnbalancedQuotes:
      return "unbalanced_quotes";
    case RequestError::kTooBigMbulkCountString:
      return "too_big_mbulk_count_string";
    case RequestError::kInvalidMultibulkLength:
      return "invalid_multibulk_length";
    case RequestError::kUnauthenticatedMultibulkLength:
      return "unauthenticated_multibulk_length";
    case RequestError::kTooBigBulkCountString:
      return "too_big_bulk_count_string";
    case RequestError::kExpectedDollar:
      return "expected_dollar";
    case RequestError::kInvalidBulkLength:
      return "invalid_bulk_length";
    case RequestError::kUnauthenticatedBulkLength:
      return "unauthenticated_bulk_length";
  }
  return "unknown";
}

namespace {

// The text after "Protocol error: " for every error but kExpectedDollar.
std::string_view FixedErrorText(RequestError error) {
  switch (error) {
    case RequestError::kTooBigInlineRequest:
      return "too big inline request";
    case RequestError::kUnbalancedQuotes:
      return "unbalanced quotes in request";
    case RequestError::kTooBigMbulkCountString:
      return "too big mbulk count string";
    case RequestError::kInvalidMultibulkLength:
      return "invalid multibulk length";
    case RequestError::kUnauthenticatedMultibulkLength:
      return "unauthenticated multibulk length";
    case RequestError::kTooBigBulkCountString:
      return "too big bulk count string";
    case RequestError::kInvalidBulkLength:
      return "invalid bulk length";
    case RequestError::kUnauthenticatedBulkLength:
      return "unauthenticated bulk length";
    case RequestError::kNone:
    case RequestError::kExpectedDollar:
      break;
  }
  return "";
}

// Appends "ERR Protocol error: ..." to `out` (append only: GCC 12 -O3 warns falsely about
// std::string operator+ with -Wrestrict).
void AppendErrorMessage(RequestError error, char got, std::string* out) {
  if (error == RequestError::kNone) return;
  out->append("ERR Protocol error: ");
  if (error != RequestError::kExpectedDollar) {
    out->append(FixedErrorText(error));
    return;
  }
  // addReplyErrorFormat maps CR and LF to spaces so the reply stays one line.
  if (got == '\r' || got == '\n') got = ' ';
  out->append("expected '$', got '");
  out->push_back(got);
  out->push_back('\'');
}

}  // namespace

std::string RequestErrorMessage(RequestError error, char got) {
  std::string out;
  AppendErrorMessage(error, got, &out);
  return out;
}

std::string RequestErrorReply(RequestError error, char got) {
  std::string out = "-";
  AppendErrorMessage(error, got, &out);
  out.append("\r\n");
  return out;
}

Status ParseResult::ToStatus() const {
  if (status != RequestStatus::kError) return Status();
  return Status::Error(RequestErrorMessage(error, got));
}

RequestParser::RequestParser(RequestLimits limits) : limits_(limits) {}

void RequestParser::Reset() {
  state_ = State::kStart;
  start_ = pos_ = scan_ = 0;
  nul_seen_ = false;
  remaining_ = 0;
  bulk_len_ = -1;
  args_.clear();
  spans_.clear();
}

void RequestParser::StartLine(size_t pos) {
  scan_ = pos;
  nul_seen_ = false;
}

ParseResult RequestParser::Parse(std::string_view buffer) {
  // The caller must pass at least the bytes it kept after kNeedMore.
  assert(state_ == State::kStart || (pos_ <= buffer.size() && scan_ <= buffer.size()));
  args_.clear();
  size_t consumed = 0;
  for (;;) {
    ParseResult result;
    if (state_ == State::kStart) {
      if (consumed >= buffer.size()) return NeedMore(consumed);
      start_ = pos_ = consumed;
      StartLine(consumed);
      if (buffer[consumed] == '*') {
        if (TryFastMultibulk(buffer, consumed, &result)) return result;
        state_ = State::kMultibulk;
        remaining_ = 0;
        bulk_len_ = -1;
        raw_ok_ = true;
        spans_.clear();
      } else {
        state_ = State::kInline;
      }
    }
    if (state_ == State::kInline) {
      result = ParseInline(buffer, consumed);
    } else {
      result = ParseMultibulk(buffer, consumed);
    }
    // A blank line or a multibulk count <= 0: Redis resets the client and goes on.
    if (result.status == RequestStatus::kComplete && result.args.empty()) {
      consumed = result.consumed;
      state_ = State::kStart;
      continue;
    }
    return result;
  }
}

ParseResult RequestParser::NeedMore(size_t consumed) {
  if (state_ == State::kStart) {
    start_ = pos_ = scan_ = 0;
  } else {
    // Rebase so the offsets stay relative to the first byte the caller keeps.
    start_ -= consumed;
    pos_ -= consumed;
    scan_ -= consumed;
  }
  ParseResult result;
  result.status = RequestStatus::kNeedMore;
  result.consumed = consumed;
  return result;
}

ParseResult RequestParser::Fail(RequestError error, char got) {
  ParseResult result;
  result.status = RequestStatus::kError;
  result.consumed = start_;
  result.error = error;
  result.got = got;
  Reset();
  return result;
}

ParseResult RequestParser::ParseInline(std::string_view buffer, size_t consumed) {
  const char* data = buffer.data();
  const size_t end = buffer.size();
  size_t newline = kNpos;
  if (!nul_seen_ && scan_ < end) {
    const void* found = std::memchr(data + scan_, '\n', end - scan_);
    const size_t limit = found ? static_cast<size_t>(static_cast<const char*>(found) - data) : end;
    // Redis finds the newline with strchr, so a NUL before it hides it for good.
    if (std::memchr(data + scan_, '\0', limit - scan_) != nullptr) {
      nul_seen_ = true;
    } else if (found) {
      newline = limit;
    }
    scan_ = limit;
  }
  if (newline == kNpos) {
    if (end - start_ > limits_.max_inline_size) return Fail(RequestError::kTooBigInlineRequest);
    return NeedMore(consumed);
  }
  size_t line_end = newline;
  if (line_end > start_ && data[line_end - 1] == '\r') --line_end;
  bool in_buffer = true;
  if (!SplitInline(std::string_view(data + start_, line_end - start_), &in_buffer)) {
    return Fail(RequestError::kUnbalancedQuotes);
  }
  ParseResult result;
  result.args_in_buffer = in_buffer;
  result.status = RequestStatus::kComplete;
  result.consumed = newline + 1;
  result.args = args_;
  result.is_inline = true;
  state_ = State::kStart;
  return result;
}

bool RequestParser::SplitInline(std::string_view line, bool* in_buffer) {
  args_.clear();
  if (line.find_first_of("\"'") != std::string_view::npos) {
    *in_buffer = false;
    return SplitQuoted(line);
  }
  // Without quotes every token is a plain run of bytes: views, no copy.
  const size_t n = line.size();
  size_t i = 0;
  for (;;) {
    while (i < n && IsSpace(line[i])) ++i;
    if (i >= n) return true;
    const size_t begin = i;
    while (i < n && !EndsToken(line[i])) ++i;
    args_.emplace_back(line.data() + begin, i - begin);
  }
}

// One token of sdssplitargs's state machine, starting at a non-blank line[*p]; appends the
// decoded bytes to owned_ and leaves *p after the token. `line` holds no NUL (see ParseInline),
// so at() returning '\0' past the end plays the role of the C string terminator.
bool RequestParser::ReadQuotedToken(std::string_view line, size_t* pos) {
  const size_t n = line.size();
  auto at = [&](size_t i) { return i < n ? line[i] : '\0'; };
  size_t p = *pos;
  bool in_double = false, in_single = false, done = false;
  while (!done) {
    const char c = at(p);
    if (in_double) {
      if (c == '\\' && at(p + 1) == 'x' && IsHex(at(p + 2)) && IsHex(at(p + 3))) {
        owned_ += static_cast<char>(HexValue(at(p + 2)) * 16 + HexValue(at(p + 3)));
        p += 3;
      } else if (c == '\\' && at(p + 1) != '\0') {
        owned_ += Unescape(at(++p));
      } else if (c == '"') {
        // The closing quote must be followed by a space or nothing at all.
        if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
        done = true;
      } else if (c == '\0') {
        return false;  // unterminated quotes
      } else {
        owned_ += c;
      }
    } else if (in_single) {
      if (c == '\\' && at(p + 1) == '\'') {
        ++p;
        owned_ += '\'';
      } else if (c == '\'') {
        if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
        done = true;
      } else if (c == '\0') {
        return false;
      } else {
        owned_ += c;
      }
    } else if (c == '\0' || EndsToken(c)) {
      done = true;
    } else if (c == '"') {
      in_double = true;
    } else if (c == '\'') {
      in_single = true;
    } else {
      owned_ += c;
    }
    if (p < n) ++p;
  }
  *pos = p;
  return true;
}

bool RequestParser::SplitQuoted(std::string_view line) {
  owned_.clear();
  owned_.reserve(line.size());  // decoded tokens never exceed the line: views stay valid
  spans_.clear();
  size_t p = 0;
  for (;;) {
    while (p < line.size() && IsSpace(line[p])) ++p;
    if (p >= line.size()) break;
    const size_t token = owned_.size();
    if (!ReadQuotedToken(line, &p)) return false;
    spans_.emplace_back(token, owned_.size() - token);
  }
  for (const auto& [offset, length] : spans_) args_.emplace_back(owned_.data() + offset, length);
  spans_.clear();
  return true;
}

size_t RequestParser::FindHeaderEnd(std::string_view buffer) {
  const char* data = buffer.data();
  const size_t end = buffer.size();
  if (nul_seen_ || scan_ >= end) return kNpos;
  const void* found = std::memchr(data + scan_, '\r', end - scan_);
  const size_t limit = found ? static_cast<size_t>(static_cast<const char*>(found) - data) : end;
  // Redis finds the '\r' with strchr, so a NUL before it hides it for good.
  if (std::memchr(data + scan_, '\0', limit - scan_) != nullptr) {
    nul_seen_ = true;
    scan_ = limit;
    return kNpos;
  }
  scan_ = limit;
  return found ? limit : kNpos;
}

RequestParser::HeaderLine RequestParser::LocateHeader(std::string_view buffer, char prefix) {
  const char* data = buffer.data();
  const size_t end = buffer.size();
  HeaderLine line;
  if (pos_ < end && data[pos_] == prefix) {
    line.cr = FastHeader(data, pos_, end, &line.value);
    if (line.cr != kNpos) {
      line.state = HeaderLine::kFound;
      line.parsed = true;
      return line;
    }
  }
  line.cr = FindHeaderEnd(buffer);
  if (line.cr == kNpos) {
    line.state = end - pos_ > limits_.max_inline_size ? HeaderLine::kTooBig : HeaderLine::kWait;
  } else {
    // Redis only needs one byte after the '\r', and never checks that it is '\n'.
    line.state = line.cr + 1 >= end ? HeaderLine::kWait : HeaderLine::kFound;
  }
  return line;
}

std::optional<ParseResult> RequestParser::ReadCount(std::string_view buffer, size_t consumed) {
  HeaderLine line = LocateHeader(buffer, '*');
  if (line.state == HeaderLine::kTooBig) return Fail(RequestError::kTooBigMbulkCountString);
  if (line.state == HeaderLine::kWait) return NeedMore(consumed);
  if ((!line.parsed && !String2ll(buffer.data() + pos_ + 1, line.cr - pos_ - 1, &line.value)) ||
      line.value > limits_.max_multibulk_len) {
    return Fail(RequestError::kInvalidMultibulkLength);
  }
  if (limits_.unauthenticated && line.value > limits_.unauthenticated_max_multibulk_len) {
    return Fail(RequestError::kUnauthenticatedMultibulkLength);
  }
  pos_ = line.cr + 2;
  if (line.value <= 0) {
    ParseResult empty;  // kComplete without arguments: skipped by Parse()
    empty.status = RequestStatus::kComplete;
    empty.consumed = pos_;
    return empty;
  }
  remaining_ = line.value;
  StartLine(pos_);
  return std::nullopt;
}

std::optional<ParseResult> RequestParser::ReadBulkHeader(std::string_view buffer, size_t consumed) {
  HeaderLine line = LocateHeader(buffer, '$');
  if (line.state == HeaderLine::kTooBig) return Fail(RequestError::kTooBigBulkCountString);
  if (line.state == HeaderLine::kWait) return NeedMore(consumed);
  const char* data = buffer.data();
  if (data[pos_] != '$') return Fail(RequestError::kExpectedDollar, data[pos_]);
  if ((!line.parsed && !String2ll(data + pos_ + 1, line.cr - pos_ - 1, &line.value)) ||
      line.value < 0 || line.value > limits_.max_bulk_len) {
    return Fail(RequestError::kInvalidBulkLength);
  }
  if (limits_.unauthenticated && line.value > limits_.unauthenticated_max_bulk_len) {
    return Fail(RequestError::kUnauthenticatedBulkLength);
  }
  pos_ = line.cr + 2;
  bulk_len_ = line.value;
  return std::nullopt;
}

bool RequestParser::TryFastMultibulk(std::string_view buffer, size_t at, ParseResult* out) {
  if (limits_.unauthenticated) return false;
  const char* data = buffer.data();
  const size_t end = buffer.size();
  int64_t count = 0;
  size_t cr = FastHeader(data, at, end, &count);
  // FastHeader leaves at least one byte after the '\r' it finds.
  if (cr == kNpos || count <= 0 || count > limits_.max_multibulk_len || data[cr + 1] != '\n') {
    return false;
  }
  size_t pos = cr + 2;
  for (int64_t i = 0; i < count; ++i) {
    int64_t len = 0;
    cr = pos < end && data[pos] == '$' ? FastHeader(data, pos, end, &len) : kNpos;
    if (cr == kNpos || len > limits_.max_bulk_len || data[cr + 1] != '\n') break;
    pos = cr + 2;
    if (end - pos < static_cast<uint64_t>(len) + 2) break;
    const size_t after = pos + static_cast<size_t>(len);
    if (data[after] != '\r' || data[after + 1] != '\n') break;
    args_.emplace_back(data + pos, static_cast<size_t>(len));
    pos = after + 2;
  }
  if (args_.size() != static_cast<size_t>(count)) {
    args_.clear();  // incomplete or unusual: the general parser starts over
    return false;
  }
  out->status = RequestStatus::kComplete;
  out->consumed = pos;
  out->args = args_;
  out->raw = buffer.substr(at, pos - at);
  return true;
}

ParseResult RequestParser::ParseMultibulk(std::string_view buffer, size_t consumed) {
  const char* data = buffer.data();
  const size_t end = buffer.size();
  if (remaining_ == 0) {
    // Hot path inline (the first byte is '*'); ReadCount decides everything else.
    int64_t value = 0;
    const size_t cr = FastHeader(data, pos_, end, &value);
    if (cr != kNpos && value > 0 && value <= limits_.max_multibulk_len &&
        !limits_.unauthenticated) {
      pos_ = cr + 2;
      remaining_ = value;
      StartLine(pos_);
    } else if (std::optional<ParseResult> stop = ReadCount(buffer, consumed)) {
      return *stop;
    }
    raw_ok_ &= data[pos_ - 1] == '\n';  // Redis skips the byte after '\r' unchecked
  }
  while (remaining_ > 0) {
    if (bulk_len_ < 0) {
      // Hot path inline; ReadBulkHeader decides everything else (errors, need more).
      int64_t value = 0;
      const size_t cr =
          pos_ < end && data[pos_] == '$' ? FastHeader(data, pos_, end, &value) : kNpos;
      if (cr != kNpos && value <= limits_.max_bulk_len && !limits_.unauthenticated) {
        pos_ = cr + 2;
        bulk_len_ = value;
      } else if (std::optional<ParseResult> stop = ReadBulkHeader(buffer, consumed)) {
        return *stop;
      }
      raw_ok_ &= data[pos_ - 1] == '\n';
    }
    // The payload and the 2 bytes after it must be there; Redis skips those 2 unchecked.
    const uint64_t need = static_cast<uint64_t>(bulk_len_) + 2;
    if (end - pos_ < need) {
      StartLine(pos_);  // keeps scan_ <= pos_ so NeedMore can rebase it
      return NeedMore(consumed);
    }
    spans_.emplace_back(pos_ - start_, static_cast<size_t>(bulk_len_));
    pos_ += static_cast<size_t>(need);
    raw_ok_ &= data[pos_ - 2] == '\r' && data[pos_ - 1] == '\n';
    bulk_len_ = -1;
    --remaining_;
    StartLine(pos_);
  }
  return CompleteMultibulk(buffer);
}

ParseResult RequestParser::CompleteMultibulk(std::string_view buffer) {
  const char* base = buffer.data() + start_;
  for (const auto& [offset, length] : spans_) args_.emplace_back(base + offset, length);
  ParseResult result;
  result.status = RequestStatus::kComplete;
  result.consumed = pos_;
  result.args = args_;
  if (raw_ok_) result.raw = buffer.substr(start_, pos_ - start_);
  state_ = State::kStart;
  remaining_ = 0;
  spans_.clear();
  return result;
}

}  // namespace slotproxy::resp
