#include "metrics/process_metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>

#include <catch2/catch.hpp>

namespace slotproxy::metrics {
namespace {

TEST_CASE("process metrics: /proc/<pid>/stat parsing", "[metrics]") {
  // A command name with spaces and ')' (fields 14, 15: utime, stime; 22 starttime; 23 vsize;
  // 24 rss in pages).
  std::string stat =
      "4242 (a b) c) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 3 0 12345 "
      "104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
  auto p = ParseProcStat(stat, 100, 4096, 1'700'000'000);
  REQUIRE(p);
  CHECK(p->cpu_seconds == Approx(3.0));
  CHECK(p->start_time_seconds == Approx(1'700'000'123.45));
  CHECK(p->virtual_bytes == 104857600);
  CHECK(p->resident_bytes == 2560.0 * 4096);
  CHECK_FALSE(ParseProcStat("garbage", 100, 4096, 0));
  CHECK_FALSE(ParseProcStat("1 (x) S 1 2", 100, 4096, 0));
}

TEST_CASE("process metrics: this process", "[metrics]") {
  auto p = ReadProcessFigures();
  REQUIRE(p);
  CHECK(p->resident_bytes > 0);
  CHECK(p->start_time_seconds <= static_cast<double>(std::time(nullptr)) + 1);
  CHECK(p->start_time_seconds > 1e9);
  CHECK(p->max_fds >= p->open_fds);
  // One more open descriptor shows up as one more fd.
  double before = p->open_fds;
  int fd = open("/dev/null", O_RDONLY);
  REQUIRE(fd >= 0);
  auto after = ReadProcessFigures();
  close(fd);
  REQUIRE(after);
  CHECK(after->open_fds == before + 1);
  CHECK(CollectProcessMetrics().size() == 6);
}

}  // namespace
}  // namespace slotproxy::metrics
