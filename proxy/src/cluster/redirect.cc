#include "cluster/redirect.h"

namespace slotproxy::cluster {
namespace {

std::string Redirect(std::string_view code, uint16_t slot, std::string_view host, uint16_t port) {
  std::string out(code);
  out += ' ';
  out += std::to_string(slot);
  out += ' ';
  out += host;
  out += ':';
  out += std::to_string(port);
  return out;
}

}  // namespace

std::string MovedError(uint16_t slot, std::string_view host, uint16_t port) {
  return Redirect("MOVED", slot, host, port);
}

std::string AskError(uint16_t slot, std::string_view host, uint16_t port) {
  return Redirect("ASK", slot, host, port);
}

}  // namespace slotproxy::cluster
