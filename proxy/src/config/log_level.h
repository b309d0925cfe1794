// The config's log level as the logger's (log::Level): the binaries configure their Logger
// with it at start and on SIGHUP.
#pragma once

#include "config/config.h"
#include "log/event_log.h"

namespace slotproxy::config {

// debug→kDebug, verbose→kVerbose, notice→kNotice, warning→kWarning.
inline log::Level ToLogLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return log::Level::kDebug;
    case LogLevel::kVerbose:
      return log::Level::kVerbose;
    case LogLevel::kNotice:
      return log::Level::kNotice;
    case LogLevel::kWarning:
      break;
  }
  return log::Level::kWarning;
}

}  // namespace slotproxy::config
