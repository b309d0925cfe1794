// "host:port" addresses as written in configs and on the command line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace slotproxy::config {

// A host name or IP literal (IPv6 without brackets) and a TCP port.
struct HostPort {
  std::string host;
  uint16_t port = 0;

  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// Parses "host:port" or "[v6-address]:port". `min_port` is 0 where the OS may pick a port
// (listeners) and 1 where a real peer port is needed (seeds). Error: a message naming the text:
// missing colon, empty host, non-numeric port or port out of [min_port, 65535].
Result<HostPort> ParseHostPort(std::string_view text, int min_port);

// Parses a decimal port in [min_port, 65535]. Error: a message naming the text and the range.
Result<uint16_t> ParsePort(std::string_view text, int min_port);

// "host:port", with brackets around an IPv6 host.
std::string FormatHostPort(const HostPort& address);

}  // namespace slotproxy::config
