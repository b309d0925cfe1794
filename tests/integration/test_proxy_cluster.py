"""The proxy in front of a real 3-master Redis Cluster (Debian's redis-server), compared byte for
byte with a standalone redis-server; real clients (redis-py, redis-cli, redis-benchmark)
through it; a master killed under it."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Process, RawClient, free_port, ping_ok, wait_until  # noqa: E402


def start_proxy(seed_port, workers=2, extra=()):
    port = free_port()
    argv = [harness.binary("proxy"), "--port", str(port), "--seed", f"127.0.0.1:{seed_port}",
            "--workers", str(workers), *extra]
    proc = Process(argv, log_name=f"proxy-{port}")
    wait_until(lambda: ping_ok(port), timeout=15, what=f"proxy on {port}")
    return port, proc


# Each command is sent to both; the raw replies must be identical.
SAME_REPLY = [
    ("SET", "foo", "bar"), ("GET", "foo"), ("GET", "missing"), ("INCR", "counter"),
    ("INCRBY", "counter", "41"), ("APPEND", "foo", "baz"), ("STRLEN", "foo"),
    ("LPUSH", "list", "a", "b", "c"), ("LRANGE", "list", "0", "-1"), ("LPOP", "list"),
    ("HSET", "h", "f1", "v1", "f2", "v2"), ("HGET", "h", "f1"), ("HLEN", "h"),
    ("SADD", "s", "x"), ("SCARD", "s"), ("SISMEMBER", "s", "x"),
    ("ZADD", "z", "1", "one", "2", "two"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    ("MSET", "k1", "v1", "k2", "v2", "k3", "v3", "{t}a", "1", "{t}b", "2"),
    ("MGET", "k1", "missing", "k2", "k3", "{t}a", "{t}b"),
    ("EXISTS", "k1", "k2", "nope", "k3"), ("TOUCH", "k1", "k2"),
    ("DEL", "k1", "k2", "nope"), ("UNLINK", "k3"),
    ("EXPIRE", "foo", "100"), ("TTL", "foo"), ("TYPE", "h"), ("TYPE", "nothing"),
    ("GET",), ("SET", "onlykey"), ("NOSUCHCOMMAND", "x", "y"),
    ("RENAME", "{t}a", "{t}c"), ("GET", "{t}c"), ("PING",), ("PING", "hello"), ("ECHO", "x"),
    ("SELECT", "0"), ("INCR", "foo"), ("HGET", "foo", "x"),
    ("SETEX", "e", "100", "v"), ("GETDEL", "e"), ("DBSIZE",),
]


def compare_with_redis(proxy_port, ref_port):
    failures = []
    with RawClient(proxy_port) as p, RawClient(ref_port) as r:
        for cmd in SAME_REPLY:
            got, want = p.call(*cmd), r.call(*cmd)
            if got != want:
                failures.append(f"{cmd}: proxy {got!r} != redis {want!r}")
        # Multi-key commands across slots: the proxy splits; a Redis Cluster node would refuse.
        got = p.call("RENAME", "a", "b")
        if got != b"-CROSSSLOT Keys in request don't hash to the same slot\r\n":
            failures.append(f"CROSSSLOT: {got!r}")
    assert not failures, "\n".join(failures)


def check_pipeline_and_scan(proxy_port):
    with RawClient(proxy_port) as p:
        n = 2000
        p.send_raw(b"".join(harness.encode_command("SET", f"key:{i}", f"v{i}") for i in range(n)))
        for _ in range(n):
            assert p.read_reply() == b"+OK\r\n"
        p.send_raw(b"".join(harness.encode_command("GET", f"key:{i}") for i in range(n)))
        for i in range(n):
            v = f"v{i}".encode()
            assert p.read_reply() == b"$%d\r\n%s\r\n" % (len(v), v), i
    import redis
    r = redis.Redis(port=proxy_port)
    keys = set(r.scan_iter(match="key:*", count=100))
    assert keys == {f"key:{i}".encode() for i in range(n)}, len(keys)
    assert sorted(r.keys("key:*")) == sorted(keys)
    assert r.dbsize() >= n
    pipe = r.pipeline(transaction=False)
    for i in range(100):
        pipe.incr(f"ctr:{i}")
    assert pipe.execute() == [1] * 100
    assert r.mget([f"ctr:{i}" for i in range(100)]) == [b"1"] * 100
    assert r.delete(*[f"ctr:{i}" for i in range(100)]) == 100


def check_redis_cli(proxy_port, ref_port):
    for args in (["set", "cli", "value"], ["get", "cli"], ["mget", "cli", "nope"],
                 ["lrange", "list", "0", "-1"], ["nosuch"], ["ping"]):
        out = [subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                              timeout=30).stdout for port in (proxy_port, ref_port)]
        assert out[0] == out[1], (args, out)


def check_benchmark(proxy_port):
    res = subprocess.run(["redis-benchmark", "-p", str(proxy_port), "-t",
                          "set,get,incr,lpush,lpop,sadd,hset,mset", "-n", "20000", "-c", "20",
                          "-P", "8", "-q"], capture_output=True, timeout=300, text=True)
    text = res.stdout + res.stderr
    assert res.returncode == 0, text
    assert "ERR" not in text and "rror" not in text, text
    print(text)


def check_dead_master(proxy_port, cluster_ports):
    """kill -9 one master: its keys get a clear error within the op timeout, others serve."""
    with RawClient(cluster_ports[0]) as c:
        slots = c.call("CLUSTER", "SLOTS")
    # Find a key owned by cluster_ports[2] and one owned by another master.
    with RawClient(proxy_port) as p:
        victim = cluster_ports[2]
        keys = {}
        for i in range(200):
            k = f"probe:{i}"
            with RawClient(victim) as v:
                owned = not v.call("GET", k).startswith(b"-MOVED")
            keys.setdefault(owned, k)
            if len(keys) == 2:
                break
        assert slots
        return victim, keys


def main():
    with harness.redis_cluster(3) as cluster_ports, harness.redis_server() as (ref_port, _):
        proxy_port, proxy = start_proxy(cluster_ports[0])
        with proxy:
            compare_with_redis(proxy_port, ref_port)
            check_pipeline_and_scan(proxy_port)
            check_redis_cli(proxy_port, ref_port)
            check_benchmark(proxy_port)
            victim, keys = check_dead_master(proxy_port, cluster_ports)
            # Kill the victim master (the cluster context will find it gone; it stops the rest).
            pid = int(subprocess.run(["redis-cli", "-p", str(victim), "info", "server"],
                                     capture_output=True, text=True).stdout.split(
                "process_id:")[1].split()[0])
            os.kill(pid, 9)
            with RawClient(proxy_port) as p:
                t0 = time.monotonic()
                dead = p.call("GET", keys[True])
                elapsed = time.monotonic() - t0
                assert dead.startswith(b"-ERR") and str(victim).encode() in dead, dead
                assert elapsed < 2.5, elapsed
                assert p.call("SET", keys[False], "alive") == b"+OK\r\n"
                assert p.call("GET", keys[False]) == b"$5\r\nalive\r\n"
            assert proxy.alive()
    print("ok")


if __name__ == "__main__":
    main()
