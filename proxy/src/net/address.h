// IP address parsing and formatting shared by the listener and connections. POSIX types only.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "base/status.h"

namespace slotproxy::net {

// Fills `out` with `host`:`port`. `host` is an IPv4 literal ("127.0.0.1"), an IPv6 literal
// ("::1", with or without brackets) or "localhost" (127.0.0.1). Error for anything else: the
// loop never blocks on DNS, so names must be resolved before they reach sp_net.
Status ParseIpAddress(const std::string& host, uint16_t port, sockaddr_storage* out);

// Resolves a host name with getaddrinfo and returns its first address as an IP literal (IPv4
// preferred); an IP literal is returned unchanged. BLOCKS on DNS: call it at start-up or on a
// thread that runs no loop, never from a loop callback. Error text names the host.
Result<std::string> ResolveBlocking(const std::string& host);

// "127.0.0.1:6379", or "[::1]:6379" for IPv6 (Redis's anetFormatAddr layout).
std::string FormatHostPort(const std::string& ip, uint16_t port);

// Formats a socket address as FormatHostPort does; empty for a non-IP family.
std::string FormatSockaddr(const sockaddr_storage& addr);

// The port of an IPv4/IPv6 socket address (host order); 0 for other families.
uint16_t SockaddrPort(const sockaddr_storage& addr);

}  // namespace slotproxy::net
