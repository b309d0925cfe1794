#include "config/host_port.h"

#include <charconv>

#include "config/suggest.h"

namespace slotproxy::config {

Result<uint16_t> ParsePort(std::string_view text, int min_port) {
  int port = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || text[0] == '-' ||
      port < min_port || port > 65535) {
    return Status::Error("invalid port '" + Shorten(text) + "' (expected " +
                         std::to_string(min_port) + "-65535)");
  }
  return static_cast<uint16_t>(port);
}

Result<HostPort> ParseHostPort(std::string_view text, int min_port) {
  std::string shown = Shorten(text);
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::Error("invalid address '" + shown + "' (expected [ipv6]:port)");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::Error("invalid address '" + shown + "' (expected host:port)");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return Status::Error("invalid address '" + shown +
                           "' (write an IPv6 address in brackets: [::1]:7000)");
    }
  }
  if (host.empty()) return Status::Error("invalid address '" + shown + "' (empty host)");
  for (char c : host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '[' || c == ']') {
      return Status::Error("invalid address '" + shown + "' (bad character in host)");
    }
  }
  Result<uint16_t> parsed_port = ParsePort(port, min_port);
  if (!parsed_port.ok()) {
    return Status::Error("invalid address '" + shown + "': " + parsed_port.status().message());
  }
  return HostPort{std::string(host), parsed_port.value()};
}

std::string FormatHostPort(const HostPort& address) {
  if (address.host.find(':') != std::string::npos) {
    return "[" + address.host + "]:" + std::to_string(address.port);
  }
  return address.host + ":" + std::to_string(address.port);
}

}  // namespace slotproxy::config
