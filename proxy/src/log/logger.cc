#include "log/logger.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include "spdlog/details/os.h"
#include "spdlog/logger.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/basic_file_sink.h"
#include "spdlog/sinks/dist_sink.h"
#include "spdlog/sinks/null_sink.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace slotproxy::log {

namespace {

// Our four levels onto spdlog's: spdlog's own threshold stays at trace, ours decides.
spdlog::level::level_enum ToSpd(Level level) {
  switch (level) {
    case Level::kDebug:
      return spdlog::level::trace;
    case Level::kVerbose:
      return spdlog::level::debug;
    case Level::kNotice:
      return spdlog::level::info;
    case Level::kWarning:
      break;
  }
  return spdlog::level::warn;
}

// Redis's level marks (serverLogRaw: ".-*#").
class LevelMark final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    char mark = '#';
    switch (msg.level) {
      case spdlog::level::trace:
        mark = '.';
        break;
      case spdlog::level::debug:
        mark = '-';
        break;
      case spdlog::level::info:
        mark = '*';
        break;
      default:
        break;
    }
    dest.push_back(mark);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelMark>();
  }
};

std::unique_ptr<spdlog::formatter> RedisFormatter(char role) {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<LevelMark>('Q');
  std::string pattern = "%P:";
  if (role == '%') {
    pattern += "%%";
  } else {
    pattern += role;
  }
  pattern += " %d %b %Y %H:%M:%S.%e %Q %v";
  f->set_pattern(pattern);
  return f;
}

Result<spdlog::sink_ptr> OpenSink(const std::string& file) {
  if (file.empty() || file == "stderr")
    return spdlog::sink_ptr(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  // Open once ourselves first: spdlog reports failures by throwing, with less helpful text.
  std::FILE* probe = std::fopen(file.c_str(), "a");
  if (probe == nullptr) {
    return Status::Error("log file " + file + ": " + std::strerror(errno));
  }
  std::fclose(probe);
  try {
    return spdlog::sink_ptr(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file, false));
  } catch (const std::exception& e) {
    return Status::Error("log file " + file + ": " + e.what());
  }
}

}  // namespace

struct Logger::Impl {
  std::shared_ptr<spdlog::sinks::dist_sink_mt> dist;  // swaps its one inner sink on Reopen
  std::shared_ptr<spdlog::logger> logger;
  char role = 'P';
  bool reopenable = true;
  mutable std::mutex mu;
  std::string destination;  // guarded by mu

  Impl(spdlog::sink_ptr sink, char r, std::string dest, bool can_reopen)
      : dist(std::make_shared<spdlog::sinks::dist_sink_mt>()),
        role(r),
        reopenable(can_reopen),
        destination(std::move(dest)) {
    SetSink(std::move(sink));
    logger = std::make_shared<spdlog::logger>("slotproxy", dist);
    logger->set_level(spdlog::level::trace);
    logger->flush_on(spdlog::level::trace);  // events are rare: every line reaches the file
  }

  void SetSink(spdlog::sink_ptr sink) {
    sink->set_formatter(RedisFormatter(role));
    dist->set_sinks({std::move(sink)});
  }
};

Logger::Logger(std::unique_ptr<Impl> impl, Level level) : impl_(std::move(impl)), level_(level) {}

Logger::~Logger() { Flush(); }

Result<std::unique_ptr<Logger>> Logger::Create(const LoggerOptions& options) {
  Result<spdlog::sink_ptr> sink = OpenSink(options.file);
  if (!sink.ok()) return sink.status();
  const std::string dest = options.file.empty() ? "stderr" : options.file;
  auto impl = std::make_unique<Impl>(std::move(sink.value()), options.role, dest, true);
  return std::unique_ptr<Logger>(new Logger(std::move(impl), options.level));
}

std::unique_ptr<Logger> Logger::ForStream(std::ostream& out, Level level, char role) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out, true);
  auto impl = std::make_unique<Impl>(std::move(sink), role, "stream", false);
  return std::unique_ptr<Logger>(new Logger(std::move(impl), level));
}

std::unique_ptr<Logger> Logger::Discard() {
  auto impl =
      std::make_unique<Impl>(std::make_shared<spdlog::sinks::null_sink_mt>(), 'P', "null", false);
  return std::unique_ptr<Logger>(new Logger(std::move(impl), Level::kWarning));
}

void Logger::SetLevel(Level level) { level_.store(level, std::memory_order_relaxed); }

Status Logger::Reopen(const std::string& file) {
  if (!impl_->reopenable) return Status::Error("this logger writes to a fixed stream");
  Result<spdlog::sink_ptr> sink = OpenSink(file);
  if (!sink.ok()) return sink.status();
  impl_->SetSink(std::move(sink.value()));
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->destination = file.empty() ? "stderr" : file;
  return Status();
}

std::string Logger::destination() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->destination;
}

void Logger::Log(Level level, std::string_view message) {
  if (!Enabled(level)) return;
  impl_->logger->log(ToSpd(level), "{}", message);
}

void Logger::Flush() { impl_->logger->flush(); }

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kVerbose:
      return "verbose";
    case Level::kNotice:
      return "notice";
    case Level::kWarning:
      break;
  }
  return "warning";
}

Result<Level> ParseLevel(std::string_view name) {
  for (Level l : {Level::kDebug, Level::kVerbose, Level::kNotice, Level::kWarning}) {
    if (name == LevelName(l)) return l;
  }
  return Status::Error("unknown log level '" + std::string(name) +
                       "' (expected debug, verbose, notice or warning)");
}

}  // namespace slotproxy::log
