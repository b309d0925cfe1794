#!/usr/bin/python3
"""Memory per small string key: one `shard` against redis-server 7.0 in cluster mode owning all
slots (persistence off on both), each loaded with the same keys over `redis-cli --pipe`.

Prints, per server, INFO memory's used_memory and the process RSS (VmRSS) before and after the
load, and their growth per key. It prints figures; it is not a pass/fail test (issue 3's target:
the shard within 1.3x of Redis).

Usage:
  tests/bench/shard_memory.py [--keys 1000000] [--key-bytes 16] [--value-bytes 32]

The build directory defaults to build/release (SLOTPROXY_BUILD_DIR overrides it).
"""

import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
os.environ.setdefault("SLOTPROXY_BUILD_DIR", os.path.join(ROOT, "build", "release"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402


def write_load_file(path, keys, key_bytes, value_bytes):
    """SET commands for `keys` distinct keys of exactly key_bytes bytes, as raw RESP."""
    value = b"v" * value_bytes
    digits = key_bytes - len("key:")
    with open(path, "wb") as f:
        for i in range(keys):
            key = b"key:%0*d" % (digits, i)
            f.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                    % (len(key), key, len(value), value))


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def used_memory(port):
    with harness.RawClient(port) as c:
        info = c.call("INFO", "memory").decode()
    for line in info.split("\r\n"):
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    raise RuntimeError(f"no used_memory in INFO memory on {port}")


def dbsize(port):
    with harness.RawClient(port) as c:
        return int(c.call("DBSIZE")[1:-2])


def cluster_ok(port):
    with harness.RawClient(port) as c:
        return b"cluster_state:ok" in c.call("CLUSTER", "INFO")


def measure(port, pid, load_path, keys):
    """(used_memory before, after, RSS before, after) around loading the file."""
    mem0, rss0 = used_memory(port), rss_bytes(pid)
    with open(load_path, "rb") as f:
        subprocess.run(["redis-cli", "-p", str(port), "--pipe"], stdin=f, check=True,
                       stdout=subprocess.DEVNULL, timeout=600)
    if dbsize(port) != keys:
        raise RuntimeError(f"server on {port} holds {dbsize(port)} keys, expected {keys}")
    return mem0, used_memory(port), rss0, rss_bytes(pid)


def report(name, keys, figures):
    mem0, mem1, rss0, rss1 = figures
    mib = 1024 * 1024
    print(f"| {name} | {mem1 / mib:.1f} | {(mem1 - mem0) / keys:.1f} | {rss1 / mib:.1f} | "
          f"{(rss1 - rss0) / keys:.1f} |")
    return (mem1 - mem0) / keys, (rss1 - rss0) / keys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--key-bytes", type=int, default=16)
    ap.add_argument("--value-bytes", type=int, default=32)
    args = ap.parse_args()
    if args.key_bytes < len("key:") + len(str(args.keys - 1)):
        ap.error("--key-bytes too small for that many distinct keys")

    with tempfile.TemporaryDirectory(prefix="shard-memory-") as tmp:
        load_path = os.path.join(tmp, "load.resp")
        write_load_file(load_path, args.keys, args.key_bytes, args.value_bytes)
        print(f"{args.keys} keys of {args.key_bytes} bytes, values of {args.value_bytes} bytes\n")
        print("| server | used_memory MiB | used_memory B/key | RSS MiB | RSS B/key |")
        print("|---|---|---|---|---|")
        shard_port = harness.free_port()
        shard_argv = [harness.binary("shard"), "--port", str(shard_port), "--dir",
                      os.path.join(tmp, "shard"), "--appendonly", "no"]
        os.makedirs(os.path.join(tmp, "shard"))
        with harness.Process(shard_argv, log_name="shard-memory") as shard:
            harness.wait_until(lambda: harness.ping_ok(shard_port), timeout=15, what="shard")
            shard_figures = report("shard", args.keys,
                                   measure(shard_port, shard.proc.pid, load_path, args.keys))
        with harness.redis_server(cluster=True) as (port, proc):
            subprocess.run(["redis-cli", "-p", str(port), "CLUSTER", "ADDSLOTSRANGE", "0",
                            "16383"], check=True, stdout=subprocess.DEVNULL, timeout=30)
            harness.wait_until(lambda: cluster_ok(port), timeout=15, what="cluster_state:ok")
            redis_figures = report("redis-server 7.0 (cluster mode)", args.keys,
                                   measure(port, proc.proc.pid, load_path, args.keys))
        print(f"\nshard/redis per key: used_memory {shard_figures[0] / redis_figures[0]:.2f}x, "
              f"RSS {shard_figures[1] / redis_figures[1]:.2f}x")


if __name__ == "__main__":
    main()
