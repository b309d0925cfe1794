#!/usr/bin/python3
"""Throughput benchmark with redis-benchmark against several targets, interleaved in one run.

It prints figures; it is not a pass/fail test (these machines are shared and noisy, so compare
ratios measured in the same run, never absolute numbers across runs).

All targets run side by side for the whole measurement and every test is one redis-benchmark
call per target, back to back (the order alternates between rounds), so background load hits
the targets alike. Besides ops/s and latency, each row gives the target's CPU time per request
(its processes' scheduler counters over exactly that call) and redis-benchmark's own: on a
shared machine ops/s swing by 2x between identical runs, CPU per request by a few percent.

Suites:
  shard  (issue 3): one `shard` vs one redis-server 7.0, persistence off on both.
  proxy  (issue 4): redis-server direct; twemproxy (nutcracker) over three redis-servers;
                    slotproxy over a three-master Redis Cluster; slotproxy on its embedded
                    default (config/cluster.yaml).

Usage:
  tests/bench/redis_benchmark.py --suite shard [--requests 200000] [--rounds 2] [--tests set,get]
  tests/bench/redis_benchmark.py --suite proxy [--workers 1]
  tests/bench/redis_benchmark.py --suite proxy --metrics-cost   # request stats on vs off

The build directory defaults to build/release (SLOTPROXY_BUILD_DIR overrides it).
"""

import argparse
import contextlib
import csv
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
os.environ.setdefault("SLOTPROXY_BUILD_DIR", os.path.join(ROOT, "build", "release"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402

SHARD_TESTS = "set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,zadd,lrange_100,mset"
PROXY_TESTS = "set,get,incr,lpush,lpop,sadd,hset,mset"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    """CPU seconds consumed so far by the given processes (all threads), from the scheduler's
    nanosecond counters (/proc/PID/task/TID/schedstat); utime+stime from /proc/PID/stat, in
    clock ticks, where schedstat is unavailable."""
    total = 0.0
    for pid in pids:
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0]) / 1e9
        except (FileNotFoundError, ProcessLookupError):
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


def run_redis_benchmark(port, tests, requests, clients, pipeline, keyspace, command=None):
    """Runs redis-benchmark with -t `tests` (or the plain `command`); {TEST: row}."""
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port),
            "-n", str(requests), "-c", str(clients), "-P", str(pipeline),
            "-r", str(keyspace), "--csv"]
    argv += ["-t", tests] if command is None else command
    out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=1800).stdout
    rows = {}
    for row in csv.DictReader(io.StringIO(out)):
        name = row["test"].split(" ")[0]
        if name.startswith("LPUSH") and "LRANGE" in row["test"]:
            continue  # redis-benchmark's own fill step for the LRANGE tests
        rows[name] = {"rps": float(row["rps"]), "p50": float(row["p50_latency_ms"]),
                      "p99": float(row["p99_latency_ms"])}
    return rows


# ----------------------------------------------------------------------------------------------
# Targets: context managers yielding (port, [pids whose CPU is the target's own cost]).

@contextlib.contextmanager
def target_redis():
    with harness.redis_server() as (port, proc):
        yield port, [proc.proc.pid]


@contextlib.contextmanager
def target_shard():
    port = harness.free_port()
    workdir = tempfile.mkdtemp(prefix="shard-bench-")
    argv = [harness.binary("shard"), "--port", str(port), "--bind", "127.0.0.1",
            "--dir", workdir, "--appendonly", "no"]
    with harness.Process(argv, log_name="shard-bench") as proc:
        harness.wait_until(lambda: harness.ping_ok(port), timeout=15, what="shard")
        yield port, [proc.proc.pid]


@contextlib.contextmanager
def target_twemproxy():
    with contextlib.ExitStack() as stack:
        backends = [stack.enter_context(harness.redis_server()) for _ in range(3)]
        port = harness.free_port()
        conf = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False)
        servers = "\n".join(f"   - 127.0.0.1:{p}:1" for p, _ in backends)
        conf.write(f"alpha:\n  listen: 127.0.0.1:{port}\n  hash: fnv1a_64\n"
                   f"  distribution: ketama\n  redis: true\n  server_connections: 1\n"
                   f"  servers:\n{servers}\n")
        conf.close()
        stats_port = harness.free_port()
        proc = stack.enter_context(harness.Process(
            ["nutcracker", "-c", conf.name, "-s", str(stats_port), "-a", "127.0.0.1",
             "-o", os.devnull, "-p", conf.name + ".pid"], log_name="nutcracker"))
        harness.wait_until(lambda: harness.ping_ok(port), timeout=15, what="nutcracker")
        yield port, [proc.proc.pid]


def _proxy_argv(port, workers, extra):
    return [harness.binary("proxy"), "--port", str(port), "--workers", str(workers), *extra]


@contextlib.contextmanager
def target_proxy_cluster(workers, request_stats=True):
    """slotproxy over a three-master Redis Cluster. request_stats False: the per-request
    figures (latency histograms, commandstats, slowlog) are off, to measure their cost."""
    with harness.redis_cluster(3) as ports:
        port = harness.free_port()
        seeds = [a for p in ports for a in ("--seed", f"127.0.0.1:{p}")]
        conf = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        conf.write(f"metrics: {{listen: 127.0.0.1:0, request_stats: {str(request_stats).lower()}}}\n")
        conf.close()
        argv = _proxy_argv(port, workers, ["-c", conf.name, *seeds])
        try:
            with harness.Process(argv, log_name="proxy") as proc:
                harness.wait_until(lambda: harness.ping_ok(port), timeout=20, what="proxy")
                yield port, [proc.proc.pid]
        finally:
            os.unlink(conf.name)


@contextlib.contextmanager
def target_proxy_embedded(workers):
    port = harness.free_port()
    workdir = tempfile.mkdtemp(prefix="proxy-embedded-")
    conf = os.path.join(ROOT, "config", "cluster.yaml")
    argv = _proxy_argv(port, workers, ["-c", conf])
    with harness.Process(argv, cwd=workdir, log_name="proxy-embedded") as proc:
        harness.wait_until(lambda: harness.ping_ok(port), timeout=20, what="embedded proxy")
        yield port, [proc.proc.pid]


# ----------------------------------------------------------------------------------------------

LIST_FILL = 600  # elements in redis-benchmark's "mylist" before LRANGE_100 (it pushes its own)


def prepare_test(port, test, suite):
    """The plain command to benchmark instead of `-t test`, or None.

    - lrange_N: redis-benchmark's -t lrange_100 first runs an LPUSH fill step of -n requests,
      which would be counted in the CPU figure; the list is filled here instead and the same
      command (LRANGE mylist 0 N-1) is benchmarked as a plain command.
    - mset (shard suite): -t mset sends 10 keys in 10 different slots, which a cluster node (the
      shard always is one) answers with CROSSSLOT; the same command with a hash tag in every
      key, as redis-benchmark --cluster sends it, is sent to every target instead. The proxy
      suite keeps -t mset: splitting it by slot is part of what it measures."""
    if test == "mset" and suite == "shard":
        return ["MSET", *(["key:{bench}:__rand_int__", "xxx"] * 10)]
    if not test.startswith("lrange"):
        return None
    count = int(test.split("_")[1])
    with harness.RawClient(port) as c:
        c.call("DEL", "mylist")
        for _ in range(0, LIST_FILL, 100):
            c.call("RPUSH", "mylist", *(["xxx"] * 100))
    return ["LRANGE", "mylist", "0", str(count - 1)]


def run_one(port, pids, test, args, pipeline):
    """One redis-benchmark run of one test; returns its row with the target's CPU per request."""
    command = prepare_test(port, test, args.suite)
    before = cpu_seconds(pids)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    if command is None:
        rows = run_redis_benchmark(port, test, args.requests, args.clients, pipeline,
                                   args.keyspace)
    else:
        rows = run_redis_benchmark(port, None, args.requests, args.clients, pipeline,
                                   args.keyspace, command)
    used = cpu_seconds(pids) - before
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    row = next(iter(rows.values()))
    row["cpu_us"] = used / args.requests * 1e6
    row["client_us"] = client / args.requests * 1e6  # redis-benchmark's own CPU per request
    return row


def measure(targets, tests, args):
    """results[target][pipeline][test] = list of {rps, p50, p99, cpu_us} over rounds.

    Every target runs for the whole measurement; each test is run on every target back to back
    (the order alternating between rounds), so background load hits both alike."""
    results = {name: {p: {} for p in args.pipelines} for name, _ in targets}
    with contextlib.ExitStack() as stack:
        live = [(name, *stack.enter_context(factory())) for name, factory in targets]
        for rnd in range(args.rounds):
            order = live if rnd % 2 == 0 else list(reversed(live))
            for pipeline in args.pipelines:
                for test in tests.split(","):
                    for name, port, pids in order:
                        row = run_one(port, pids, test, args, pipeline)
                        results[name][pipeline].setdefault(test.upper(), []).append(row)
                print(f"round {rnd + 1} -P {pipeline}: done", file=sys.stderr)
    return results


def paired_ratio(rows, base_rows):
    """ops/s of `rows` over `base_rows`, paired by round: the two runs of a round are back to
    back, so they share the machine's background load, which swings ops/s by up to 2x over
    minutes on a shared host. Prints the median of the per-round ratios and, with several
    rounds, their range (the spread is the noise the median stands against)."""
    ratios = sorted(r["rps"] / b["rps"] for r, b in zip(rows, base_rows) if b["rps"] > 0)
    if not ratios:
        return "-"
    text = f"{statistics.median(ratios):.2f}x"
    if len(ratios) > 1:
        text += f" ({ratios[0]:.2f}-{ratios[-1]:.2f})"
    return text


def report(results, baselines, args):
    names = list(results)
    for pipeline in args.pipelines:
        print(f"\n## -P {pipeline}, {args.clients} clients, {args.requests} requests per test, "
              f"median of {args.rounds} round(s); a/b ops = median of the per-round ratios "
              f"(min-max); cpu us = the target's CPU time per request "
              f"(= its CPU seconds per million requests), client us = redis-benchmark's")
        header = ["test"]
        for n in names:
            header += [f"{n} ops/s", "p50 ms", "p99 ms", "cpu us", "client us"]
        header += [f"{n}/{b} ops" for b in baselines for n in names if n != b]
        header += [f"{b}/{n} cpu" for b in baselines for n in names if n != b]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        tests = list(results[names[0]][pipeline])
        for test in tests:
            cells = [test]
            rps, cpu = {}, {}
            for n in names:
                rows = results[n][pipeline].get(test, [])
                if not rows:
                    cells += ["-"] * 5
                    continue
                rps[n] = statistics.median(r["rps"] for r in rows)
                cpu[n] = statistics.median(r["cpu_us"] for r in rows)
                cells += [f"{rps[n]:.0f}", f"{statistics.median(r['p50'] for r in rows):.3f}",
                          f"{statistics.median(r['p99'] for r in rows):.3f}", f"{cpu[n]:.2f}",
                          f"{statistics.median(r['client_us'] for r in rows):.2f}"]
            for table in (rps, None):
                for b in baselines:
                    for n in names:
                        if n == b:
                            continue
                        if table is rps:
                            ok = n in rps and b in rps
                            cells.append(paired_ratio(results[n][pipeline][test],
                                                      results[b][pipeline][test]) if ok else "-")
                        else:
                            ok = n in cpu and b in cpu and cpu[n] > 0
                            cells.append(f"{cpu[b] / cpu[n]:.2f}x" if ok else "-")
            print("| " + " | ".join(cells) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", choices=["shard", "proxy"], required=True)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--keyspace", type=int, default=100000)
    ap.add_argument("--pipelines", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--workers", type=int, default=1, help="proxy worker threads")
    ap.add_argument("--tests", help="comma-separated subset of the suite's redis-benchmark tests")
    ap.add_argument("--metrics-cost", action="store_true",
                    help="proxy suite: only slotproxy over the cluster, request stats on vs off")
    args = ap.parse_args()
    if args.suite == "shard":
        targets = [("redis", target_redis), ("shard", target_shard)]
        results = measure(targets, args.tests or SHARD_TESTS, args)
        report(results, ["redis"], args)
    elif args.metrics_cost:
        targets = [("stats-off", lambda: target_proxy_cluster(args.workers, False)),
                   ("stats-on", lambda: target_proxy_cluster(args.workers, True))]
        results = measure(targets, args.tests or PROXY_TESTS, args)
        report(results, ["stats-off"], args)
    else:
        targets = [("redis", target_redis), ("twemproxy", target_twemproxy),
                   ("slotproxy-cluster", lambda: target_proxy_cluster(args.workers)),
                   ("slotproxy-embedded", lambda: target_proxy_embedded(args.workers))]
        results = measure(targets, args.tests or PROXY_TESTS, args)
        report(results, ["redis", "twemproxy"], args)


if __name__ == "__main__":
    main()
