#include "metrics/info_text.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "command/command_info.h"

namespace slotproxy::metrics {
namespace {

// Redis's getSafeInfoString: "#:\n\r" become '_'.
std::string SafeName(std::string_view name) {
  std::string s(name);
  for (char& c : s) {
    if (c == '#' || c == ':' || c == '\n' || c == '\r') c = '_';
  }
  return s;
}

// The called commands, sorted by name.
std::vector<std::pair<std::string, const CommandFigures*>> Called(const StatsSnapshot& snap) {
  std::vector<std::pair<std::string, const CommandFigures*>> rows;
  for (const auto& [row, f] : snap.commands) {
    if (row == nullptr || f.latency.Count() == 0) continue;
    rows.emplace_back(SafeName(row->name), &f);
  }
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return rows;
}

// printf("%f") with trailing zeros (and a trailing '.') removed, as Redis's trimDoubleString.
std::string PercentileLabel(double p) {
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%f", p);
  std::string s(buf, n > 0 ? static_cast<size_t>(n) : 0);
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

void SubtractHistogram(HistogramCounts* h, const HistogramCounts& base) {
  for (size_t i = 0; i < kBucketSlots; ++i) {
    h->buckets[i] -= std::min(h->buckets[i], base.buckets[i]);
  }
  h->sum_ns -= std::min(h->sum_ns, base.sum_ns);
}

uint64_t Minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

}  // namespace

void AppendCommandStats(const StatsSnapshot& snap, std::string* out) {
  out->append("# Commandstats\r\n");
  char buf[256];
  for (const auto& [name, f] : Called(snap)) {
    uint64_t calls = f->latency.Count();
    long long usec = static_cast<long long>(f->latency.sum_ns / 1000);
    // Redis divides as float, not double: the same rounding of usec_per_call.
    float per_call = static_cast<float>(usec) / static_cast<float>(calls);
    int n = std::snprintf(buf, sizeof(buf),
                          ":calls=%llu,usec=%lld,usec_per_call=%.2f,rejected_calls=0,"
                          "failed_calls=%llu\r\n",
                          static_cast<unsigned long long>(calls), usec, per_call,
                          static_cast<unsigned long long>(f->failed));
    out->append("cmdstat_").append(name).append(buf, static_cast<size_t>(n));
  }
}

void AppendLatencyStats(const StatsSnapshot& snap, std::string* out,
                        std::span<const double> percentiles) {
  out->append("# Latencystats\r\n");
  std::vector<std::string> labels;
  for (double p : percentiles) labels.push_back(PercentileLabel(p));
  char buf[64];
  for (const auto& [name, f] : Called(snap)) {
    out->append("latency_percentiles_usec_").append(name).append(":");
    for (size_t j = 0; j < percentiles.size(); ++j) {
      double usec = QuantileNs(f->latency, percentiles[j] / 100.0) / 1000.0;
      int n = std::snprintf(buf, sizeof(buf), "p%s=%.3f", labels[j].c_str(), usec);
      out->append(buf, static_cast<size_t>(n));
      if (j + 1 != percentiles.size()) out->push_back(',');
    }
    out->append("\r\n");
  }
}

StatsSnapshot Subtract(const StatsSnapshot& snap, const StatsSnapshot& base) {
  StatsSnapshot out = snap;
  for (auto it = out.commands.begin(); it != out.commands.end();) {
    if (auto b = base.commands.find(it->first); b != base.commands.end()) {
      SubtractHistogram(&it->second.latency, b->second.latency);
      it->second.backend_ns = Minus(it->second.backend_ns, b->second.backend_ns);
      it->second.failed = Minus(it->second.failed, b->second.failed);
    }
    if (it->second.latency.Count() == 0 && it->second.failed == 0) {
      out.commands.erase(it++);
    } else {
      ++it;
    }
  }
  for (auto& [node, f] : out.nodes) {
    if (auto b = base.nodes.find(node); b != base.nodes.end()) {
      SubtractHistogram(&f.rtt, b->second.rtt);
      f.connects_ok = Minus(f.connects_ok, b->second.connects_ok);
      f.connects_failed = Minus(f.connects_failed, b->second.connects_failed);
      f.timeouts = Minus(f.timeouts, b->second.timeouts);
    }
  }
  out.moved = Minus(out.moved, base.moved);
  out.ask = Minus(out.ask, base.ask);
  out.tryagain = Minus(out.tryagain, base.tryagain);
  out.protocol_errors = Minus(out.protocol_errors, base.protocol_errors);
  out.bytes_in = Minus(out.bytes_in, base.bytes_in);
  out.bytes_out = Minus(out.bytes_out, base.bytes_out);
  return out;
}

}  // namespace slotproxy::metrics
