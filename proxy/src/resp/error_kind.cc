#include "resp/error_kind.h"

namespace slotproxy::resp {
namespace {

// Removes the optional leading '-' and trailing CRLF (or lone LF) of a raw reply line.
std::string_view StripLine(std::string_view line) {
  if (!line.empty() && line.front() == '-') line.remove_prefix(1);
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// True when `line` starts with the error code `code` followed by a space or the end.
bool HasCode(std::string_view line, std::string_view code) {
  return line.starts_with(code) && (line.size() == code.size() || line[code.size()] == ' ');
}

// Parses a plain decimal number (digits only, at most 5 of them) no larger than `max`.
std::optional<uint32_t> ParseSmallNumber(std::string_view digits, uint32_t max) {
  if (digits.empty() || digits.size() > 5) return std::nullopt;
  uint32_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

}  // namespace

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone:
      return "none";
    case ErrorKind::kMoved:
      return "moved";
    case ErrorKind::kAsk:
      return "ask";
    case ErrorKind::kTryAgain:
      return "tryagain";
    case ErrorKind::kClusterDown:
      return "clusterdown";
    case ErrorKind::kOther:
      return "other";
  }
  return "other";
}

ErrorKind ClassifyError(std::string_view error_line) {
  std::string_view line = StripLine(error_line);
  if (line.empty()) return ErrorKind::kOther;
  // One switch on the first byte keeps the common non-cluster error to a single compare.
  switch (line.front()) {
    case 'M':
      return HasCode(line, "MOVED") ? ErrorKind::kMoved : ErrorKind::kOther;
    case 'A':
      return HasCode(line, "ASK") ? ErrorKind::kAsk : ErrorKind::kOther;
    case 'T':
      return HasCode(line, "TRYAGAIN") ? ErrorKind::kTryAgain : ErrorKind::kOther;
    case 'C':
      return HasCode(line, "CLUSTERDOWN") ? ErrorKind::kClusterDown : ErrorKind::kOther;
    default:
      return ErrorKind::kOther;
  }
}

std::optional<Redirect> ParseRedirect(std::string_view error_line) {
  std::string_view line = StripLine(error_line);
  Redirect redirect;
  if (line.starts_with("MOVED ")) {
    redirect.kind = ErrorKind::kMoved;
    line.remove_prefix(6);
  } else if (line.starts_with("ASK ")) {
    redirect.kind = ErrorKind::kAsk;
    line.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::optional<uint32_t> slot = ParseSmallNumber(line.substr(0, space), 16383);
  if (!slot) return std::nullopt;
  std::string_view address = line.substr(space + 1);
  if (address.find(' ') != std::string_view::npos) return std::nullopt;
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::optional<uint32_t> port = ParseSmallNumber(address.substr(colon + 1), 65535);
  if (!port || *port == 0) return std::nullopt;
  std::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  redirect.slot = static_cast<uint16_t>(*slot);
  redirect.host = host;
  redirect.port = static_cast<uint16_t>(*port);
  return redirect;
}

}  // namespace slotproxy::resp
