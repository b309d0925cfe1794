#include "config/loader.h"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>

#include "config/suggest.h"
#include "config/yaml_reader.h"

namespace slotproxy::config {
namespace internal {

// Declared here, defined in proxy_loader.cc and shard_loader.cc.
void ReadProxy(ErrorSink& sink, const Value& root, ProxyConfig* config);
void ReadShard(ErrorSink& sink, const Value& root, ShardConfig* config);

namespace {

// yaml-cpp reports a tab in indentation as a generic error; say what is wrong.
std::string TabHint(std::string_view text, const YAML::Mark& mark) {
  if (mark.is_null()) return "";
  size_t start = 0;
  for (int line = 0; line < mark.line && start != std::string_view::npos; ++line) {
    start = text.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (start == std::string_view::npos) return "";
  for (size_t i = start; i < text.size() && (text[i] == ' ' || text[i] == '\t'); ++i) {
    if (text[i] == '\t') return " (a tab in the indentation: YAML allows only spaces)";
  }
  return "";
}

// Records where each document starts and ignores everything else.
class DocumentCounter : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Checks that the text holds at most one document. Not YAML::LoadAll: in yaml-cpp 0.7 it loops
// forever, allocating, on a stray ',' at the top level (jbeder/yaml-cpp#1040, fixed upstream by
// PR #1319 after 0.7), because the parser reports a new empty document without consuming
// anything. Here a document that starts where the previous one did is that case.
bool CheckSingleDocument(ErrorSink& sink, std::string_view text) {
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  DocumentCounter counter;
  for (int i = 0; i < 2 && parser.HandleNextDocument(counter); ++i) {
  }
  if (counter.starts.size() < 2) return true;
  const YAML::Mark& second = counter.starts[1];
  if (second.pos == counter.starts[0].pos) {
    std::string shown = Shorten(text.substr(second.pos, 1));
    sink.Add(second, "", "YAML syntax error: unexpected '" + shown + "'");
  } else {
    sink.Add(second, "", "more than one YAML document (remove the second '---')");
  }
  return false;
}

// Parses the text as exactly one YAML document; nullopt after recording a syntax error.
std::optional<YAML::Node> ParseDocument(ErrorSink& sink, std::string_view text) {
  try {
    if (!CheckSingleDocument(sink, text)) return std::nullopt;
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    sink.Add(e.mark, "", "YAML syntax error: " + e.msg + TabHint(text, e.mark));
  } catch (const std::exception& e) {
    sink.Add(YAML::Mark::null_mark(), "", std::string("cannot parse YAML: ") + e.what());
  }
  return std::nullopt;
}

// Errors are found in schema order; people read them in file order. A "too many errors" entry
// stays last.
void SortByPlace(std::vector<ConfigError>* errors) {
  auto end = errors->size() > kMaxConfigErrors ? errors->begin() + kMaxConfigErrors : errors->end();
  std::stable_sort(errors->begin(), end, [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
}

template <typename T, typename ReadFn>
Parsed<T> ParseWith(std::string_view text, std::string_view file_name, T defaults, ReadFn read) {
  Parsed<T> parsed{std::move(defaults), {}};
  ErrorSink sink(std::string(file_name), &parsed.errors);
  std::optional<YAML::Node> root = ParseDocument(sink, text);
  if (!root) return parsed;
  try {
    YAML::Mark start;  // 1:1 for problems of a document that is not a mapping at all
    read(sink, Value{*root, root->IsNull() ? start : root->Mark(), ""}, &parsed.config);
  } catch (const std::exception& e) {
    // yaml-cpp documents no throw on the accessors used, but a config reader must not crash.
    sink.Add(YAML::Mark::null_mark(), "", std::string("cannot read config: ") + e.what());
  }
  SortByPlace(&parsed.errors);
  return parsed;
}

std::optional<std::string> ReadWholeFile(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open config file: " + std::string(std::strerror(errno));
    return std::nullopt;
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    *error = "cannot read config file";
    return std::nullopt;
  }
  return contents.str();
}

template <typename T, typename ParseFn>
Parsed<T> ReadFileWith(const std::string& path, T defaults, ParseFn parse) {
  std::string error;
  std::optional<std::string> text = ReadWholeFile(path, &error);
  if (!text) return Parsed<T>{std::move(defaults), {ConfigError{path, 0, 0, "", error}}};
  return parse(*text, path);
}

template <typename T>
Result<T> ToResult(Parsed<T> parsed) {
  if (parsed.ok()) return std::move(parsed.config);
  return Status::Error(FormatConfigErrors(parsed.errors));
}

}  // namespace
}  // namespace internal

std::string ConfigError::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  if (!out.empty()) out += ": ";
  if (!path.empty()) out += path + ": ";
  return out + message;
}

std::string FormatConfigErrors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const ConfigError& error : errors) out += error.ToString() + "\n";
  return out;
}

void PrintConfigErrors(const std::vector<ConfigError>& errors, std::FILE* out) {
  std::string text = FormatConfigErrors(errors);
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

Parsed<ProxyConfig> ParseProxyConfig(std::string_view text, std::string_view file_name) {
  return internal::ParseWith(text, file_name, DefaultProxyConfig(), internal::ReadProxy);
}

Parsed<ProxyConfig> ReadProxyConfigFile(const std::string& path) {
  return internal::ReadFileWith(path, DefaultProxyConfig(), ParseProxyConfig);
}

Result<ProxyConfig> LoadProxyConfig(const std::string& path) {
  return internal::ToResult(ReadProxyConfigFile(path));
}

Result<ProxyConfig> LoadProxyConfigFromString(std::string_view text, std::string_view file_name) {
  return internal::ToResult(ParseProxyConfig(text, file_name));
}

Parsed<ShardConfig> ParseShardConfig(std::string_view text, std::string_view file_name) {
  return internal::ParseWith(text, file_name, DefaultShardConfig(), internal::ReadShard);
}

Parsed<ShardConfig> ReadShardConfigFile(const std::string& path) {
  return internal::ReadFileWith(path, DefaultShardConfig(), ParseShardConfig);
}

Result<ShardConfig> LoadShardConfig(const std::string& path) {
  return internal::ToResult(ReadShardConfigFile(path));
}

Result<ShardConfig> LoadShardConfigFromString(std::string_view text, std::string_view file_name) {
  return internal::ToResult(ParseShardConfig(text, file_name));
}

}  // namespace slotproxy::config
