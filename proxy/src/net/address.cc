#include "net/address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>

namespace slotproxy::net {

Status ParseIpAddress(const std::string& host, uint16_t port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  std::string ip = host == "localhost" ? "127.0.0.1" : host;
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return Status();
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return Status();
  }
  return Status::Error("invalid IP address '" + host + "' (expected an IPv4 or IPv6 literal)");
}

Result<std::string> ResolveBlocking(const std::string& host) {
  sockaddr_storage literal;
  if (ParseIpAddress(host, 0, &literal).ok()) return host == "localhost" ? "127.0.0.1" : host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc != 0) return Status::Error("cannot resolve '" + host + "': " + gai_strerror(rc));
  std::string chosen;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    sockaddr_storage addr{};
    std::memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
    std::string text = FormatSockaddr(addr);  // "ip:0" or "[ip]:0"
    text = text.substr(0, text.rfind(':'));
    if (text.size() >= 2 && text.front() == '[') text = text.substr(1, text.size() - 2);
    if (chosen.empty() || ai->ai_family == AF_INET) chosen = text;
    if (ai->ai_family == AF_INET) break;
  }
  freeaddrinfo(list);
  if (chosen.empty()) return Status::Error("cannot resolve '" + host + "': no IP address");
  return chosen;
}

std::string FormatHostPort(const std::string& ip, uint16_t port) {
  if (ip.find(':') != std::string::npos) return "[" + ip + "]:" + std::to_string(port);
  return ip + ":" + std::to_string(port);
}

std::string FormatSockaddr(const sockaddr_storage& addr) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof(buf));
  } else if (addr.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof(buf));
  } else {
    return "";
  }
  return FormatHostPort(buf, SockaddrPort(addr));
}

uint16_t SockaddrPort(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  }
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  }
  return 0;
}

}  // namespace slotproxy::net
