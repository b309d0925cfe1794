// Internal to sp_config (the only header here that names yaml-cpp types): a schema-checking
// walker over a yaml-cpp tree that records every problem as a ConfigError and never throws.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/loader.h"

namespace slotproxy::config::internal {

// Collects errors for one file.
class ErrorSink {
 public:
  ErrorSink(std::string file, std::vector<ConfigError>* errors)
      : file_(std::move(file)), errors_(errors) {}

  // Records `message` at `mark` (0-based, as yaml-cpp gives it; printed 1-based). Past
  // kMaxConfigErrors only a single "too many errors" entry is added.
  void Add(const YAML::Mark& mark, std::string path, std::string message);

  const std::string& file() const { return file_; }
  size_t count() const { return errors_->size(); }

 private:
  std::string file_;
  std::vector<ConfigError>* errors_;
};

// "parent.key", or "key" at the root.
std::string JoinPath(std::string_view parent, std::string_view key);
// "path[index]".
std::string IndexPath(std::string_view path, size_t index);

// The position to blame for a value: its own, or the key's when the value is an empty null
// (yaml-cpp marks those at the start of the next line).
YAML::Mark ValueMark(const YAML::Node& value, const YAML::Mark& key_mark);

// A value with the place to blame for it.
struct Value {
  YAML::Node node;
  YAML::Mark mark;  // already corrected with ValueMark()
  std::string path;
};

// Scalar readers: each returns nullopt after recording an error (wrong type, missing value,
// bad text, out of range). Ranges are inclusive.
std::optional<std::string> ReadString(ErrorSink& sink, const Value& v, bool allow_empty);
std::optional<int64_t> ReadInt(ErrorSink& sink, const Value& v, int64_t min, int64_t max);
std::optional<bool> ReadBool(ErrorSink& sink, const Value& v);
// `allow_zero` admits 0 even when below `min` (0 means "off" for several keys).
std::optional<Duration> ReadDuration(ErrorSink& sink, const Value& v, Duration min, Duration max,
                                     bool allow_zero);
std::optional<uint64_t> ReadSize(ErrorSink& sink, const Value& v, uint64_t min, uint64_t max);
std::optional<HostPort> ReadHostPort(ErrorSink& sink, const Value& v, int min_port);
// One of `names`; the error lists them and suggests the nearest.
std::optional<size_t> ReadChoice(ErrorSink& sink, const Value& v,
                                 std::span<const std::string_view> names);
// A sequence; each element is passed to `each(Value)` (null: an empty list). False after an
// error about the whole value.
template <typename F>
bool ForEachElement(ErrorSink& sink, const Value& v, F each);

// A mapping whose keys are checked against a fixed list: unknown keys (with a "did you mean"
// hint), duplicate keys and non-string keys are recorded when it is opened.
class Section {
 public:
  // Opens `v` as a mapping; a null value is an empty mapping. Anything else is recorded as a
  // wrong type and the section behaves as empty.
  Section(ErrorSink& sink, Value v, std::span<const std::string_view> keys);

  // True when the key is present (even with a null value).
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  // The value of `key` with its blame position; nullopt when absent.
  std::optional<Value> Get(std::string_view key) const;
  // The key's own position; the section's position when absent.
  YAML::Mark KeyMark(std::string_view key) const;
  std::string PathOf(std::string_view key) const { return JoinPath(path_, key); }
  const std::string& path() const { return path_; }
  const YAML::Mark& mark() const { return mark_; }
  ErrorSink& sink() const { return *sink_; }
  // Records an error at the key (or, when absent, the section).
  void ErrorAtKey(std::string_view key, std::string message) const;
  // Records "missing required key" for each of `keys` that is absent. False if any was.
  bool Require(std::span<const std::string_view> keys) const;

  // Field setters: leave *out alone when the key is absent or its value is bad.
  void String(std::string_view key, std::string* out, bool allow_empty = true) const;
  void Int(std::string_view key, int64_t min, int64_t max, int* out) const;
  void Port(std::string_view key, int min_port, uint16_t* out) const;
  void Bool(std::string_view key, bool* out) const;
  void Dur(std::string_view key, Duration min, Duration max, bool allow_zero, Duration* out) const;
  void Size(std::string_view key, uint64_t min, uint64_t max, uint64_t* out) const;
  void Address(std::string_view key, int min_port, HostPort* out) const;
  // Sub-mapping at `key` (empty when absent).
  Section Sub(std::string_view key, std::span<const std::string_view> keys) const;

 private:
  struct Field {
    std::string key;
    YAML::Mark key_mark;
    YAML::Node value;
  };
  const Field* Find(std::string_view key) const;

  ErrorSink* sink_;
  std::string path_;
  YAML::Mark mark_;
  std::vector<Field> fields_;
};

template <typename F>
bool ForEachElement(ErrorSink& sink, const Value& v, F each) {
  if (v.node.IsNull()) return true;
  if (!v.node.IsSequence()) {
    sink.Add(v.mark, v.path, "expected a list");
    return false;
  }
  size_t index = 0;
  for (const YAML::Node& element : v.node) {
    each(Value{element, ValueMark(element, v.mark), IndexPath(v.path, index)});
    ++index;
  }
  return true;
}

}  // namespace slotproxy::config::internal
