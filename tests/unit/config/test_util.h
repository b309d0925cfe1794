// Helpers shared by the config tests.
#pragma once

#include <string>
#include <vector>

#include "config/loader.h"

namespace slotproxy::config::testing {

// Every error of a parse as "file:line:col: path: message" lines, for readable failures.
inline std::vector<std::string> ErrorLines(const std::vector<ConfigError>& errors) {
  std::vector<std::string> lines;
  for (const ConfigError& e : errors) lines.push_back(e.ToString());
  return lines;
}

}  // namespace slotproxy::config::testing
