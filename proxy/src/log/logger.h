// Logger: the process's event log, Redis style. One line per significant event (start-up,
// listening, topology change, node down / up, config reload, client limit hit), never one per
// request. Lines look like Redis's:
//
//   12345:P 21 Nov 2026 08:44:18.123 * Ready to accept connections
//
// (pid, role letter, local time with milliseconds, level mark . - * #, message).
//
// Nothing here is global: the binary creates a Logger and passes a pointer to what needs one.
// Thread-safe: any thread may log, change the level or reopen the file.
#pragma once

#include <atomic>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"
#include "fmt/format.h"
#include "log/event_log.h"

namespace slotproxy::log {

struct LoggerOptions {
  std::string file;  // empty or "stderr": standard error; otherwise a path, appended to
  Level level = Level::kNotice;
  char role = 'P';  // the letter after the pid (Redis: M master, S replica, C child, X sentinel)
};

class Logger {
 public:
  // Opens the destination. Error: the file cannot be opened ("log file /x: ...").
  static Result<std::unique_ptr<Logger>> Create(const LoggerOptions& options);
  // A logger writing to `out` (tests, tools). `out` must outlive it.
  static std::unique_ptr<Logger> ForStream(std::ostream& out, Level level, char role = 'P');
  // A logger that drops everything (a default for components given no logger).
  static std::unique_ptr<Logger> Discard();

  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // The threshold: lines below it are dropped. Takes effect at once on every thread.
  void SetLevel(Level level);
  Level level() const { return level_.load(std::memory_order_relaxed); }
  bool Enabled(Level level) const { return level >= this->level(); }

  // Points the logger at `file` (empty or "stderr": standard error), reopening it even when
  // it is the same path (so SIGHUP after logrotate moves the file starts a new one). Error:
  // the file cannot be opened; the old destination stays.
  Status Reopen(const std::string& file);
  // The destination as last set ("stderr" or a path); a stream logger answers "stream".
  std::string destination() const;

  // Writes one line at `level` when enabled. `message` should not end in a newline.
  void Log(Level level, std::string_view message);

  // Formatting shorthands (fmt syntax); the arguments are only formatted when enabled.
  template <typename... Args>
  void Debug(fmt::format_string<Args...> f, Args&&... args) {
    LogF(Level::kDebug, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void Verbose(fmt::format_string<Args...> f, Args&&... args) {
    LogF(Level::kVerbose, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void Notice(fmt::format_string<Args...> f, Args&&... args) {
    LogF(Level::kNotice, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void Warning(fmt::format_string<Args...> f, Args&&... args) {
    LogF(Level::kWarning, f, std::forward<Args>(args)...);
  }

  // An EventLog writing through this logger (which must outlive it), for components.
  EventLog AsEventLog() {
    return EventLog([this](Level level, std::string_view message) { Log(level, message); });
  }

  // Writes out anything buffered (lines are flushed as written; this is for exit paths).
  void Flush();

 private:
  struct Impl;
  explicit Logger(std::unique_ptr<Impl> impl, Level level);

  template <typename... Args>
  void LogF(Level level, fmt::format_string<Args...> f, Args&&... args) {
    if (Enabled(level)) Log(level, fmt::format(f, std::forward<Args>(args)...));
  }

  std::unique_ptr<Impl> impl_;
  std::atomic<Level> level_;
};

// "debug", "verbose", "notice", "warning".
const char* LevelName(Level level);
// Parses one of the names above. Error: names the accepted values.
Result<Level> ParseLevel(std::string_view name);

}  // namespace slotproxy::log
