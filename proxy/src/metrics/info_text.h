// The text of INFO commandstats and INFO latencystats, in Redis 7.0's format (src/server.c
// genRedisInfoString), made from folded worker figures. Pure functions: no I/O, no locks.
#pragma once

#include <span>
#include <string>

#include "metrics/loop_stats.h"

namespace slotproxy::metrics {

// Redis's default latency-tracking-info-percentiles.
inline constexpr double kDefaultInfoPercentiles[] = {50.0, 99.0, 99.9};

// Appends "# Commandstats\r\n" and one line per command called at least once, sorted by name:
//   cmdstat_<name>:calls=N,usec=N,usec_per_call=N.NN,rejected_calls=0,failed_calls=N\r\n
// <name> is the full row name ("client|list"), with '#', ':', CR and LF made '_' as Redis's
// getSafeInfoString. Unknown commands are not listed (Redis has no row for them either).
// rejected_calls is always 0: the proxy records every answered command as a call.
void AppendCommandStats(const StatsSnapshot& snap, std::string* out);

// Appends "# Latencystats\r\n" and one line per command called at least once, sorted by name:
//   latency_percentiles_usec_<name>:p50=N.NNN,p99=N.NNN,p99.9=N.NNN\r\n
// Percentile labels as Redis prints them ("%f" with trailing zeros trimmed); values in
// microseconds interpolated from the command's histogram (QuantileNs), so they are estimates
// within a bucket (25 us doubling), where Redis uses an HDR histogram.
void AppendLatencyStats(const StatsSnapshot& snap, std::string* out,
                        std::span<const double> percentiles = kDefaultInfoPercentiles);

// `snap` minus `base`, per command and node and counter (CONFIG RESETSTAT for INFO: the
// exported Prometheus counters never go back; INFO shows the figures since the reset). Slots
// absent from `snap` stay absent; a command whose calls drop to 0 is removed.
StatsSnapshot Subtract(const StatsSnapshot& snap, const StatsSnapshot& base);

}  // namespace slotproxy::metrics
