#!/usr/bin/python3
"""Throughput benchmark with redis-benchmark against several targets, interleaved in one run.

It prints figures; it is not a pass/fail test (these machines are shared and noisy, so compare
ratios measured in the same run, never absolute numbers across runs).

Suites:
  shard  (issue 3): one `shard` vs one redis-server 7.0, persistence off on both.
  proxy  (issue 4): redis-server direct; twemproxy (nutcracker) over three redis-servers;
                    slotproxy over a three-master Redis Cluster; slotproxy on its embedded
                    default (config/cluster.yaml).

Usage:
  tests/bench/redis_benchmark.py --suite shard [--requests 200000] [--rounds 2]
  tests/bench/redis_benchmark.py --suite proxy [--workers 1]

The build directory defaults to build/release (SLOTPROXY_BUILD_DIR overrides it).
"""

import argparse
import contextlib
import csv
import io
import os
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
    """User+system CPU seconds consumed so far by the given processes (all threads)."""
    total = 0.0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


def run_redis_benchmark(port, tests, requests, clients, pipeline, keyspace):
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", tests,
            "-n", str(requests), "-c", str(clients), "-P", str(pipeline),
            "-r", str(keyspace), "--csv"]
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
def target_proxy_cluster(workers):
    with harness.redis_cluster(3) as ports:
        port = harness.free_port()
        seeds = [a for p in ports for a in ("--seed", f"127.0.0.1:{p}")]
        with harness.Process(_proxy_argv(port, workers, seeds), log_name="proxy") as proc:
            harness.wait_until(lambda: harness.ping_ok(port), timeout=20, what="proxy")
            yield port, [proc.proc.pid]


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

def measure(targets, tests, args):
    """results[target][pipeline][test] = list of {rps, p50, p99, cpu_per_m} over rounds."""
    results = {name: {p: {} for p in args.pipelines} for name, _ in targets}
    for rnd in range(args.rounds):
        for pipeline in args.pipelines:
            for name, factory in targets:  # interleaved: every target in every round
                with factory() as (port, pids):
                    before = cpu_seconds(pids)
                    rows = run_redis_benchmark(port, tests, args.requests, args.clients,
                                               pipeline, args.keyspace)
                    used = cpu_seconds(pids) - before
                total_requests = args.requests * len(rows)
                for test, row in rows.items():
                    row["cpu_per_m"] = used / total_requests * 1e6
                    results[name][pipeline].setdefault(test, []).append(row)
                print(f"round {rnd + 1} -P {pipeline} {name}: done", file=sys.stderr)
    return results


def report(results, baselines, args):
    names = list(results)
    for pipeline in args.pipelines:
        print(f"\n## -P {pipeline}, {args.clients} clients, {args.requests} requests per test, "
              f"median of {args.rounds} round(s)")
        header = ["test"]
        for n in names:
            header += [f"{n} ops/s", "p50 ms", "p99 ms"]
        header += [f"{n} / {b}" for b in baselines for n in names if n != b]
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        tests = list(results[names[0]][pipeline])
        for test in tests:
            cells = [test]
            med = {}
            for n in names:
                rows = results[n][pipeline].get(test, [])
                if not rows:
                    cells += ["-", "-", "-"]
                    continue
                med[n] = statistics.median(r["rps"] for r in rows)
                cells += [f"{med[n]:.0f}", f"{statistics.median(r['p50'] for r in rows):.3f}",
                          f"{statistics.median(r['p99'] for r in rows):.3f}"]
            for b in baselines:
                for n in names:
                    if n == b:
                        continue
                    cells.append(f"{med[n] / med[b]:.2f}x" if n in med and b in med else "-")
            print("| " + " | ".join(cells) + " |")
        print("\nCPU seconds per million requests (the target's own processes):")
        for n in names:
            per_m = [r["cpu_per_m"] for rows in results[n][pipeline].values() for r in rows]
            print(f"  {n}: {statistics.median(per_m):.2f}")


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
    args = ap.parse_args()
    if args.suite == "shard":
        targets = [("redis", target_redis), ("shard", target_shard)]
        results = measure(targets, SHARD_TESTS, args)
        report(results, ["redis"], args)
    else:
        targets = [("redis", target_redis), ("twemproxy", target_twemproxy),
                   ("slotproxy-cluster", lambda: target_proxy_cluster(args.workers)),
                   ("slotproxy-embedded", lambda: target_proxy_embedded(args.workers))]
        results = measure(targets, PROXY_TESTS, args)
        report(results, ["redis", "twemproxy"], args)


if __name__ == "__main__":
    main()
