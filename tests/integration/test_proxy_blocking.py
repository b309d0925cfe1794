"""Blocking commands through the proxy (BLPOP BRPOP BLMOVE BRPOPLPUSH BZPOPMIN BZPOPMAX), on its
embedded shards and in front of a real Redis Cluster: timeouts and wake-ups compared with a
standalone redis-server, a timeout longer than the proxy's op timeout, pipelined replies in
order, one dedicated backend connection reused, and a client that disconnects while blocked
released on the shard at once (CLIENT LIST on the shards)."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_proxy_client as targets  # noqa: E402
from harness import RawClient, encode_command, wait_until  # noqa: E402

SCRIPT = [
    ("BLPOP", "{b}l", "0.05"), ("BRPOP", "{b}l", "{b}m", "0.05"),
    ("RPUSH", "{b}l", "a", "b", "c"), ("BLPOP", "{b}l", "0"), ("BRPOP", "{b}l", "0"),
    ("BLMOVE", "{b}l", "{b}m", "LEFT", "RIGHT", "0"), ("BRPOPLPUSH", "{b}m", "{b}l", "0"),
    ("LRANGE", "{b}l", "0", "-1"), ("BLMOVE", "{b}l", "{b}m", "LEFT", "RIGHT", "0.05"),
    ("ZADD", "{b}z", "1", "one", "2", "two", "3", "three"), ("BZPOPMIN", "{b}z", "0"),
    ("BZPOPMAX", "{b}z", "0"), ("BZPOPMIN", "{b}z", "{b}l", "0.05"), ("BZPOPMAX", "{b}nz", "0.05"),
    ("BLPOP", "{b}l", "-1"), ("BLPOP", "{b}l", "abc"), ("BLPOP", "{b}l"),
    ("SET", "{b}s", "x"), ("BLPOP", "{b}s", "0"),
]


def compare(port, ref_port, label):
    failures = []
    with RawClient(port) as p, RawClient(ref_port) as r:
        for c in (p, r):
            c.call("DEL", "{b}l", "{b}m", "{b}z", "{b}s")
        for cmd in SCRIPT:
            got, want = p.call(*cmd), r.call(*cmd)
            if got != want:
                failures.append(f"{label} {cmd}: proxy {got!r} != redis {want!r}")
        assert p.call("BLMOVE", "xa", "xb", "LEFT", "LEFT", "0") == (
            b"-CROSSSLOT Keys in request don't hash to the same slot\r\n")
    assert not failures, "\n".join(failures)


def blocked_on(shards, cmd):
    return [c for c in targets.shard_clients(shards) if c.get("cmd") == cmd]


def check_wakeup_and_reuse(port, shards, label):
    with RawClient(port) as p, RawClient(port) as q:
        p.call("DEL", "wq")
        before = len(targets.shard_clients(shards))
        for i in range(3):
            p.send_raw(encode_command("BLPOP", "wq", "0"))
            wait_until(lambda: len(blocked_on(shards, "blpop")) == 1, timeout=5,
                       what="the BLPOP blocked on its shard")
            assert q.call("RPUSH", "wq", f"job{i}") == b":1\r\n"
            assert p.read_reply() == b"*2\r\n$2\r\nwq\r\n$4\r\njob%d\r\n" % i
        # One dedicated connection, reused by the three BLPOPs.
        after = len(targets.shard_clients(shards))
        assert after - before <= 1, (label, before, after)
        # Longer than the proxy's 1 s op timeout: the command's own timeout applies.
        t0 = time.monotonic()
        assert p.call("BLPOP", "wq", "1.5") == b"*-1\r\n"
        assert 1.3 < time.monotonic() - t0 < 5
        # Pipelined behind a blocked command, replies stay in order.
        p.send_raw(encode_command("BLPOP", "wq", "0.3") + encode_command("SET", "wk", "1") +
                   encode_command("GET", "wk"))
        assert [p.read_reply() for _ in range(3)] == [b"*-1\r\n", b"+OK\r\n", b"$1\r\n1\r\n"]


def check_disconnect_releases(port, shards, label):
    p = RawClient(port)
    p.send_raw(encode_command("BRPOP", "gone", "0"))
    wait_until(lambda: len(blocked_on(shards, "brpop")) == 1, timeout=5, what="BRPOP blocked")
    p.close()
    wait_until(lambda: not blocked_on(shards, "brpop"), timeout=2,
               what=f"{label}: the shard released the blocked connection")
    # The list is not consumed by a ghost: a later push stays.
    with RawClient(port) as q:
        assert q.call("RPUSH", "gone", "x") == b":1\r\n"
        time.sleep(0.1)
        assert q.call("LLEN", "gone") == b":1\r\n"
        q.call("DEL", "gone")


def check_xread_block(port):
    """XREAD BLOCK (real Redis only: our shards have no streams yet) is a blocking command."""
    with RawClient(port) as p, RawClient(port) as q:
        p.call("DEL", "st")
        p.send_raw(encode_command("XREAD", "BLOCK", "0", "STREAMS", "st", "$"))
        time.sleep(0.3)
        assert q.call("XADD", "st", "1-1", "f", "v") == b"$3\r\n1-1\r\n"
        assert p.read_reply().startswith(b"*1\r\n*2\r\n$2\r\nst\r\n")
        t0 = time.monotonic()
        assert p.call("XREAD", "BLOCK", "1500", "STREAMS", "st", "$") == b"*-1\r\n"
        assert time.monotonic() - t0 > 1.3


def check_redis_py(port):
    import redis
    r = redis.Redis(port=port)
    r.delete("py:q")
    results = []
    t = threading.Thread(target=lambda: results.append(r.blpop("py:q", timeout=5)))
    t.start()
    time.sleep(0.2)
    redis.Redis(port=port).rpush("py:q", "v")
    t.join(10)
    assert results == [(b"py:q", b"v")], results
    assert r.brpoplpush("{py}q", "{py}q2", timeout=1) is None


def main():
    with harness.redis_server() as (ref_port, _):
        def check(port, shards, label):
            compare(port, ref_port, label)
            check_wakeup_and_reuse(port, shards, label)
            check_disconnect_releases(port, shards, label)
            check_redis_py(port)
            if label == "redis-cluster":
                check_xread_block(port)
            print(label, "ok")
        targets.run_on_both(check, workers=1)
    print("ok")


if __name__ == "__main__":
    main()
