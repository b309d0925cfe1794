#include "metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace slotproxy::metrics {
namespace {

std::optional<std::string> ReadFile(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// btime from /proc/stat: the boot time in Unix seconds.
std::optional<double> BootTime() {
  auto text = ReadFile("/proc/stat");
  if (!text) return std::nullopt;
  size_t at = text->find("\nbtime ");
  if (at == std::string::npos) return std::nullopt;
  return std::strtod(text->c_str() + at + 7, nullptr);
}

prometheus::MetricFamily Scalar(const char* name, const char* help, prometheus::MetricType type,
                                double v) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = v;
  } else {
    m.gauge.value = v;
  }
  f.metric.push_back(std::move(m));
  return f;
}

}  // namespace

std::optional<ProcessFigures> ParseProcStat(std::string_view stat, double ticks_per_second,
                                            double page_size, double boot_time) {
  size_t close = stat.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // Fields after "pid (comm)", numbered as in proc(5): 3 is state; 14 utime, 15 stime,
  // 22 starttime, 23 vsize (bytes), 24 rss (pages).
  std::vector<std::string_view> fields;
  std::string_view rest = stat.substr(close + 1);
  while (!rest.empty()) {
    size_t start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    size_t end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  auto field = [&](size_t n, double* out) {
    size_t i = n - 3;
    if (i >= fields.size()) return false;
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(fields[i].data(), fields[i].data() + fields[i].size(), v);
    if (ec != std::errc() || p != fields[i].data() + fields[i].size()) return false;
    *out = static_cast<double>(v);
    return true;
  };
  double utime, stime, start, vsize, rss;
  if (!field(14, &utime) || !field(15, &stime) || !field(22, &start) || !field(23, &vsize) ||
      !field(24, &rss)) {
    return std::nullopt;
  }
  ProcessFigures p;
  p.cpu_seconds = (utime + stime) / ticks_per_second;
  p.start_time_seconds = boot_time + start / ticks_per_second;
  p.virtual_bytes = vsize;
  p.resident_bytes = rss * page_size;
  return p;
}

std::optional<ProcessFigures> ReadProcessFigures() {
  auto stat = ReadFile("/proc/self/stat");
  auto boot = BootTime();
  if (!stat || !boot) return std::nullopt;
  auto p = ParseProcStat(*stat, static_cast<double>(sysconf(_SC_CLK_TCK)),
                         static_cast<double>(sysconf(_SC_PAGESIZE)), *boot);
  if (!p) return std::nullopt;
  std::error_code ec;
  size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  // The iterator's own descriptor was open while counting; not one of ours.
  p->open_fds = fds > 0 ? static_cast<double>(fds - 1) : 0;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) p->max_fds = static_cast<double>(lim.rlim_cur);
  return p;
}

std::vector<prometheus::MetricFamily> CollectProcessMetrics() {
  std::vector<prometheus::MetricFamily> out;
  auto p = ReadProcessFigures();
  if (!p) return out;
  using prometheus::MetricType;
  out.push_back(Scalar("process_cpu_seconds_total",
                       "Total user and system CPU time spent in seconds.", MetricType::Counter,
                       p->cpu_seconds));
  out.push_back(Scalar("process_start_time_seconds",
                       "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
                       p->start_time_seconds));
  out.push_back(Scalar("process_resident_memory_bytes", "Resident memory size in bytes.",
                       MetricType::Gauge, p->resident_bytes));
  out.push_back(Scalar("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                       MetricType::Gauge, p->virtual_bytes));
  out.push_back(Scalar("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
                       p->open_fds));
  out.push_back(Scalar("process_max_fds", "Maximum number of open file descriptors.",
                       MetricType::Gauge, p->max_fds));
  return out;
}

}  // namespace slotproxy::metrics
