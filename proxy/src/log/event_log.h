// EventLog: how a component that must report events (a worker refusing clients, the proxy
// server seeing a new topology) is handed a log: a function, passed in, never a global.
// Header-only and free of spdlog and fmt, so any module can take one without linking the
// logger; the binary builds it from its Logger (Logger::AsEventLog()).
#pragma once

#include <functional>
#include <string_view>
#include <utility>

namespace slotproxy::log {

// Redis's loglevel values, most verbose first. Marks in the line: . - * #
enum class Level { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

class EventLog {
 public:
  using Fn = std::function<void(Level level, std::string_view message)>;

  // Logs nothing.
  EventLog() = default;
  // Logs through `fn` (null: nothing). `fn` may be called from any thread.
  explicit EventLog(Fn fn) : fn_(std::move(fn)) {}

  // False for a default-constructed log: callers may skip building the message.
  explicit operator bool() const { return static_cast<bool>(fn_); }

  // Writes one line at `level` (the destination applies its own threshold).
  void Log(Level level, std::string_view message) const {
    if (fn_) fn_(level, message);
  }
  void Verbose(std::string_view message) const { Log(Level::kVerbose, message); }
  void Notice(std::string_view message) const { Log(Level::kNotice, message); }
  void Warning(std::string_view message) const { Log(Level::kWarning, message); }

 private:
  Fn fn_;
};

}  // namespace slotproxy::log
