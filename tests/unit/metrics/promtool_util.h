// Runs Prometheus's linter on exposition text: `promtool check metrics` (bounded by timeout).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

namespace slotproxy::metrics::testing {

struct PromtoolResult {
  int exit_code = 0;
  std::string output;  // findings and errors; empty when clean
};

// nullopt when promtool is not installed.
inline std::optional<PromtoolResult> Promtool(const std::string& text) {
  if (access("/usr/bin/promtool", X_OK) != 0) return std::nullopt;
  char path[] = "/tmp/metrics_promtool.XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return PromtoolResult{-1, "mkstemp failed"};
  close(fd);
  {
    std::ofstream out(path);
    out << text;
  }
  std::string cmd = "timeout 60 /usr/bin/promtool check metrics < " + std::string(path) + " 2>&1";
  PromtoolResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return PromtoolResult{-1, "popen failed"};
  char buf[512];
  while (fgets(buf, sizeof(buf), p) != nullptr) r.output += buf;
  r.exit_code = pclose(p);
  unlink(path);
  return r;
}

}  // namespace slotproxy::metrics::testing
