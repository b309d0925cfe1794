// Prometheus's standard process metrics (process_resident_memory_bytes, process_open_fds,
// process_cpu_seconds_total, process_start_time_seconds, ...) read from /proc/self at scrape
// time, as the official Go and Python clients export them. Linux only.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "prometheus/metric_family.h"

namespace slotproxy::metrics {

struct ProcessFigures {
  double cpu_seconds = 0;         // user + system
  double start_time_seconds = 0;  // since the Unix epoch
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;  // soft RLIMIT_NOFILE
};

// The figures of this process; nullopt when /proc is unreadable.
std::optional<ProcessFigures> ReadProcessFigures();

// Parses the text of /proc/<pid>/stat (`stat`), with the system's clock ticks per second and
// page size, and `boot_time` (btime of /proc/stat, Unix seconds). nullopt when malformed
// (the command name between parentheses may hold spaces and ')' : the last ')' ends it).
std::optional<ProcessFigures> ParseProcStat(std::string_view stat, double ticks_per_second,
                                            double page_size, double boot_time);

// The families above (an empty vector when /proc is unreadable).
std::vector<prometheus::MetricFamily> CollectProcessMetrics();

}  // namespace slotproxy::metrics
