// Reads YAML into ProxyConfig / ShardConfig and validates it, collecting EVERY problem with its
// position and key path, e.g.
//   cluster.yaml:14:7: timeouts.opp: unknown key (did you mean 'op'?)
// so that `proxy -t` can list them all at once and exit non-zero.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "config/config.h"

namespace slotproxy::config {

// One problem in a config file. line and column are 1-based; 0 when the problem has no place
// in the text (the file cannot be read). path is the key path ("timeouts.op", "seeds[1]",
// "fleet[0].slots[2]"); empty for problems of the whole document.
struct ConfigError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string path;
  std::string message;

  // "file:line:col: path: message", leaving out the parts that are empty or 0.
  std::string ToString() const;
};

// A parsed config and the problems found; `config` is only meaningful when errors is empty.
template <typename T>
struct Parsed {
  T config;
  std::vector<ConfigError> errors;

  bool ok() const { return errors.empty(); }
};

// At most this many problems are collected; one more entry then says the list was cut.
inline constexpr size_t kMaxConfigErrors = 100;

// Parses and validates proxy config text. `file_name` only labels the errors. Never throws.
Parsed<ProxyConfig> ParseProxyConfig(std::string_view text, std::string_view file_name);

// Reads the file at `path` and parses it as above; an unreadable file is one error.
Parsed<ProxyConfig> ReadProxyConfigFile(const std::string& path);

// Shorthands for callers that only print: the error Status holds FormatConfigErrors().
Result<ProxyConfig> LoadProxyConfig(const std::string& path);
Result<ProxyConfig> LoadProxyConfigFromString(std::string_view text,
                                              std::string_view file_name = "<string>");

// The same four for the shard server's config.
Parsed<ShardConfig> ParseShardConfig(std::string_view text, std::string_view file_name);
Parsed<ShardConfig> ReadShardConfigFile(const std::string& path);
Result<ShardConfig> LoadShardConfig(const std::string& path);
Result<ShardConfig> LoadShardConfigFromString(std::string_view text,
                                              std::string_view file_name = "<string>");

// One ToString() per line, each line ending in '\n'.
std::string FormatConfigErrors(const std::vector<ConfigError>& errors);

// Writes FormatConfigErrors(errors) to `out` (stderr for the binaries).
void PrintConfigErrors(const std::vector<ConfigError>& errors, std::FILE* out);

}  // namespace slotproxy::config
