// Fuzzes the config loaders and the command-line parsers: any input must give a config or a
// list of errors, never a crash, a hang or an unbounded error list.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/cli.h"
#include "config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auto proxy = slotproxy::config::ParseProxyConfig(text, "fuzz.yaml");
  if (proxy.errors.size() > slotproxy::config::kMaxConfigErrors + 1) __builtin_trap();
  for (const auto& error : proxy.errors) {
    if (error.ToString().size() > 4096) __builtin_trap();
  }
  auto shard = slotproxy::config::ParseShardConfig(text, "fuzz.yaml");
  if (shard.errors.size() > slotproxy::config::kMaxConfigErrors + 1) __builtin_trap();

  // The same bytes as an argument vector, split at NUL bytes.
  std::vector<std::string> args = {"prog"};
  size_t start = 0;
  while (start <= text.size() && args.size() < 64) {
    size_t end = text.find('\0', start);
    if (end == std::string_view::npos) end = text.size();
    args.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  int argc = static_cast<int>(argv.size());
  (void)slotproxy::config::ParseProxyArgs(argc, argv.data());
  (void)slotproxy::config::ParseShardArgs(argc, argv.data());
  (void)slotproxy::config::ParseDuration(text);
  (void)slotproxy::config::ParseSize(text);
  (void)slotproxy::config::ParseHostPort(text, 0);
  return 0;
}
