#include "config/yaml_reader.h"

#include <charconv>

#include "config/suggest.h"

namespace slotproxy::config::internal {
namespace {

const char* KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "a scalar";
  }
}

// The scalar text of `v`, or nullopt after recording that `what` was expected.
std::optional<std::string> Scalar(ErrorSink& sink, const Value& v, std::string_view what) {
  if (v.node.IsScalar()) return v.node.Scalar();
  if (v.node.IsNull()) {
    sink.Add(v.mark, v.path, "missing value (expected " + std::string(what) + ")");
  } else {
    sink.Add(v.mark, v.path,
             "expected " + std::string(what) + ", got " + std::string(KindName(v.node)));
  }
  return std::nullopt;
}

std::string Quote(std::string_view text) { return "'" + Shorten(text) + "'"; }

}  // namespace

void ErrorSink::Add(const YAML::Mark& mark, std::string path, std::string message) {
  if (errors_->size() > kMaxConfigErrors) return;
  if (errors_->size() == kMaxConfigErrors) {
    errors_->push_back({file_, 0, 0, "", "too many errors; the rest are not listed"});
    return;
  }
  bool has_place = !mark.is_null();
  errors_->push_back({file_, has_place ? mark.line + 1 : 0, has_place ? mark.column + 1 : 0,
                      std::move(path), std::move(message)});
}

std::string JoinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "." + std::string(key);
}

std::string IndexPath(std::string_view path, size_t index) {
  return std::string(path) + "[" + std::to_string(index) + "]";
}

YAML::Mark ValueMark(const YAML::Node& value, const YAML::Mark& key_mark) {
  if (value.IsNull() || value.Mark().is_null()) return key_mark;
  return value.Mark();
}

std::optional<std::string> ReadString(ErrorSink& sink, const Value& v, bool allow_empty) {
  std::optional<std::string> text = Scalar(sink, v, "a string");
  if (text && !allow_empty && text->empty()) {
    sink.Add(v.mark, v.path, "must not be empty");
    return std::nullopt;
  }
  return text;
}

std::optional<int64_t> ReadInt(ErrorSink& sink, const Value& v, int64_t min, int64_t max) {
  std::optional<std::string> text = Scalar(sink, v, "an integer");
  if (!text) return std::nullopt;
  int64_t number = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), number);
  if (text->empty() || end != text->data() + text->size() || ec == std::errc::invalid_argument) {
    sink.Add(v.mark, v.path, "expected an integer, got " + Quote(*text));
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || number < min || number > max) {
    sink.Add(v.mark, v.path,
             "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (got " +
                 Shorten(*text) + ")");
    return std::nullopt;
  }
  return number;
}

std::optional<bool> ReadBool(ErrorSink& sink, const Value& v) {
  std::optional<std::string> text = Scalar(sink, v, "yes or no");
  if (!text) return std::nullopt;
  std::string lower = ToLower(*text);
  if (lower == "yes" || lower == "true" || lower == "on") return true;
  if (lower == "no" || lower == "false" || lower == "off") return false;
  sink.Add(v.mark, v.path, "expected yes or no (or true/false), got " + Quote(*text));
  return std::nullopt;
}

std::optional<Duration> ReadDuration(ErrorSink& sink, const Value& v, Duration min, Duration max,
                                     bool allow_zero) {
  std::optional<std::string> text = Scalar(sink, v, "a duration such as 500ms");
  if (!text) return std::nullopt;
  Result<Duration> d = ParseDuration(*text);
  if (!d.ok()) {
    sink.Add(v.mark, v.path, d.status().message());
    return std::nullopt;
  }
  if (allow_zero && d.value().count() == 0) return d.value();
  if (d.value() < min || d.value() > max) {
    std::string range = "between " + FormatDuration(min) + " and " + FormatDuration(max);
    if (allow_zero) range = "0 (off) or " + range;
    sink.Add(v.mark, v.path, "must be " + range + " (got " + Shorten(*text) + ")");
    return std::nullopt;
  }
  return d.value();
}

std::optional<uint64_t> ReadSize(ErrorSink& sink, const Value& v, uint64_t min, uint64_t max) {
  std::optional<std::string> text = Scalar(sink, v, "a size such as 512mb");
  if (!text) return std::nullopt;
  Result<uint64_t> bytes = ParseSize(*text);
  if (!bytes.ok()) {
    sink.Add(v.mark, v.path, bytes.status().message());
    return std::nullopt;
  }
  if (bytes.value() < min || bytes.value() > max) {
    sink.Add(v.mark, v.path,
             "must be between " + FormatSize(min) + " and " + FormatSize(max) + " (got " +
                 Shorten(*text) + ")");
    return std::nullopt;
  }
  return bytes.value();
}

std::optional<HostPort> ReadHostPort(ErrorSink& sink, const Value& v, int min_port) {
  std::optional<std::string> text = Scalar(sink, v, "host:port");
  if (!text) return std::nullopt;
  Result<HostPort> address = ParseHostPort(*text, min_port);
  if (!address.ok()) {
    sink.Add(v.mark, v.path, address.status().message());
    return std::nullopt;
  }
  return address.value();
}

std::optional<size_t> ReadChoice(ErrorSink& sink, const Value& v,
                                 std::span<const std::string_view> names) {
  std::string expected;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) expected += i + 1 == names.size() ? " or " : ", ";
    expected += names[i];
  }
  std::optional<std::string> text = Scalar(sink, v, expected);
  if (!text) return std::nullopt;
  for (size_t i = 0; i < names.size(); ++i) {
    if (*text == names[i]) return i;
  }
  std::string message = "invalid value " + Quote(*text) + " (expected " + expected;
  std::string hint = NearestMatch(*text, names);
  if (!hint.empty()) message += "; did you mean '" + hint + "'?";
  sink.Add(v.mark, v.path, message + ")");
  return std::nullopt;
}

Section::Section(ErrorSink& sink, Value v, std::span<const std::string_view> keys)
    : sink_(&sink), path_(std::move(v.path)), mark_(v.mark) {
  if (v.node.IsNull()) return;
  if (!v.node.IsMap()) {
    sink.Add(mark_, path_, std::string("expected a mapping of keys, got ") + KindName(v.node));
    return;
  }
  for (auto it = v.node.begin(); it != v.node.end(); ++it) {
    // Copies: yaml-cpp's operator-> returns a temporary proxy, so a reference would dangle.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    YAML::Mark key_mark = key.Mark().is_null() ? mark_ : key.Mark();
    if (!key.IsScalar()) {
      sink.Add(key_mark, path_, "keys must be plain names");
      continue;
    }
    const std::string& name = key.Scalar();
    bool known = false;
    for (std::string_view allowed : keys) known = known || allowed == name;
    if (!known) {
      std::string message = "unknown key";
      std::string hint = NearestMatch(name, keys);
      if (!hint.empty()) message += " (did you mean '" + hint + "'?)";
      sink.Add(key_mark, JoinPath(path_, Shorten(name)), message);
      continue;
    }
    if (const Field* first = Find(name)) {
      sink.Add(key_mark, JoinPath(path_, name),
               "duplicate key (first at line " + std::to_string(first->key_mark.line + 1) + ")");
      continue;
    }
    fields_.push_back({name, key_mark, value});
  }
}

const Section::Field* Section::Find(std::string_view key) const {
  for (const Field& field : fields_) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

std::optional<Value> Section::Get(std::string_view key) const {
  const Field* field = Find(key);
  if (field == nullptr) return std::nullopt;
  return Value{field->value, ValueMark(field->value, field->key_mark), PathOf(key)};
}

YAML::Mark Section::KeyMark(std::string_view key) const {
  const Field* field = Find(key);
  return field == nullptr ? mark_ : field->key_mark;
}

void Section::ErrorAtKey(std::string_view key, std::string message) const {
  sink_->Add(KeyMark(key), PathOf(key), std::move(message));
}

bool Section::Require(std::span<const std::string_view> keys) const {
  bool all = true;
  for (std::string_view key : keys) {
    if (Has(key)) continue;
    all = false;
    sink_->Add(mark_, path_, "missing required key '" + std::string(key) + "'");
  }
  return all;
}

void Section::String(std::string_view key, std::string* out, bool allow_empty) const {
  if (auto v = Get(key)) {
    if (auto s = ReadString(*sink_, *v, allow_empty)) *out = std::move(*s);
  }
}

void Section::Int(std::string_view key, int64_t min, int64_t max, int* out) const {
  if (auto v = Get(key)) {
    if (auto n = ReadInt(*sink_, *v, min, max)) *out = static_cast<int>(*n);
  }
}

void Section::Port(std::string_view key, int min_port, uint16_t* out) const {
  if (auto v = Get(key)) {
    if (auto n = ReadInt(*sink_, *v, min_port, 65535)) *out = static_cast<uint16_t>(*n);
  }
}

void Section::Bool(std::string_view key, bool* out) const {
  if (auto v = Get(key)) {
    if (auto b = ReadBool(*sink_, *v)) *out = *b;
  }
}

void Section::Dur(std::string_view key, Duration min, Duration max, bool allow_zero,
                  Duration* out) const {
  if (auto v = Get(key)) {
    if (auto d = ReadDuration(*sink_, *v, min, max, allow_zero)) *out = *d;
  }
}

void Section::Size(std::string_view key, uint64_t min, uint64_t max, uint64_t* out) const {
  if (auto v = Get(key)) {
    if (auto s = ReadSize(*sink_, *v, min, max)) *out = *s;
  }
}

void Section::Address(std::string_view key, int min_port, HostPort* out) const {
  if (auto v = Get(key)) {
    if (auto a = ReadHostPort(*sink_, *v, min_port)) *out = std::move(*a);
  }
}

Section Section::Sub(std::string_view key, std::span<const std::string_view> keys) const {
  if (auto v = Get(key)) return Section(*sink_, std::move(*v), keys);
  return Section(*sink_, Value{YAML::Node(), KeyMark(key), PathOf(key)}, keys);
}

}  // namespace slotproxy::config::internal
