"""MULTI / EXEC / DISCARD / WATCH / UNWATCH through the proxy, on its embedded shards and in
front of a real Redis Cluster: replies compared byte for byte with a standalone redis-server,
the one-slot rule (CROSSSLOT when queued, EXECABORT at EXEC, nothing applied), WATCH conflicts,
redis-py's transaction pipelines, and (real cluster) a slot moved under an open transaction."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_proxy_client as targets  # noqa: E402
from harness import RawClient, encode_command  # noqa: E402

CROSSSLOT = b"-CROSSSLOT Keys in request don't hash to the same slot\r\n"
EXECABORT = b"-EXECABORT Transaction discarded because of previous errors.\r\n"

# Scripts run on a fresh connection to the proxy and to a standalone redis-server; every reply
# must be identical. Keys share the {t} tag where a script uses several.
SCRIPTS = [
    [("MULTI",), ("SET", "{t}a", "1"), ("INCR", "{t}b"), ("GET", "{t}a"), ("EXEC",)],
    [("MULTI",), ("PING",), ("ECHO", "x"), ("SET", "{t}c", "v"), ("GET", "{t}c"), ("EXEC",)],
    [("MULTI",), ("PING",), ("EXEC",)],
    [("MULTI",), ("EXEC",)],
    [("MULTI",), ("SET", "{t}d", "1"), ("DISCARD",), ("GET", "{t}d")],
    [("MULTI",), ("NOSUCHCMD", "x"), ("SET", "{t}e", "1"), ("EXEC",), ("GET", "{t}e")],
    [("MULTI",), ("GET",), ("EXEC",)],
    [("MULTI",), ("MULTI",), ("SET", "{t}f", "1"), ("EXEC",)],
    [("EXEC",), ("DISCARD",), ("UNWATCH",)],
    [("MULTI",), ("WATCH", "{t}a"), ("INCR", "{t}a"), ("EXEC",)],
    [("WATCH", "{t}g"), ("MULTI",), ("SET", "{t}g", "1"), ("EXEC",)],
    [("WATCH", "{t}h"), ("UNWATCH",), ("MULTI",), ("SET", "{t}h", "1"), ("EXEC",)],
    [("MULTI",), ("SET", "{t}i", "x"), ("INCR", "{t}i"), ("GET", "{t}i"), ("EXEC",)],
    [("MULTI",), ("LPUSH", "{t}l", "a"), ("BLPOP", "{t}l", "0"), ("EXEC",)],
]


def compare_scripts(port, ref_port, label):
    failures = []
    for script in SCRIPTS:
        with RawClient(port) as p, RawClient(ref_port) as r:
            for cmd in script:
                got, want = p.call(*cmd), r.call(*cmd)
                if got != want:
                    failures.append(f"{label} {script}: {cmd}: proxy {got!r} != redis {want!r}")
        keys = {c[1] for c in script if len(c) > 1 and c[1].startswith("{t}")}
        for target in (port, ref_port):  # the keys of one script do not leak into the next
            with RawClient(target) as c:
                if keys:
                    c.call("DEL", *keys)
    assert not failures, "\n".join(failures)


def check_one_slot_rule(port, label):
    with RawClient(port) as p:
        # Several slots in one command: refused when queued, EXEC aborts (as Redis Cluster).
        assert p.call("MULTI") == b"+OK\r\n"
        assert p.call("MSET", "xa", "1", "xb", "2") == CROSSSLOT
        assert p.call("EXEC") == EXECABORT
        # A second slot in a later command: same answer, and nothing of the first applies.
        for second in ["other", "zzz", "q1", "q2"]:
            assert p.call("MULTI") == b"+OK\r\n"
            assert p.call("SET", "first", "1") == b"+QUEUED\r\n"
            assert p.call("SET", second, "1") == CROSSSLOT, (label, second)
            assert p.call("EXEC") == EXECABORT
            assert p.call("GET", "first") == b"$-1\r\n"
            assert p.call("GET", second) == b"$-1\r\n"
        # WATCH with keys of two slots: Redis Cluster's CROSSSLOT.
        assert p.call("WATCH", "xa", "xb") == CROSSSLOT
        # Pipelined transactions on one connection, back to back.
        p.send_raw(b"".join(encode_command(*c) for c in [
            ("MULTI",), ("INCR", "{p}n"), ("EXEC",), ("MULTI",), ("INCR", "{p}n"), ("EXEC",),
            ("GET", "{p}n")]))
        replies = [p.read_reply() for _ in range(7)]
        assert replies == [b"+OK\r\n", b"+QUEUED\r\n", b"*1\r\n:1\r\n", b"+OK\r\n",
                           b"+QUEUED\r\n", b"*1\r\n:2\r\n", b"$1\r\n2\r\n"], replies
        p.call("DEL", "{p}n")


def check_watch_conflict(port, label):
    with RawClient(port) as a, RawClient(port) as b:
        a.call("SET", "w:k", "0")
        assert a.call("WATCH", "w:k") == b"+OK\r\n"
        assert b.call("SET", "w:k", "changed") == b"+OK\r\n"
        assert a.call("MULTI") == b"+OK\r\n"
        assert a.call("SET", "w:k", "mine") == b"+QUEUED\r\n"
        assert a.call("EXEC") == b"*-1\r\n", label
        assert a.call("GET", "w:k") == b"$7\r\nchanged\r\n"
        # No conflict: it applies.
        assert a.call("WATCH", "w:k") == b"+OK\r\n"
        assert a.call("MULTI") == b"+OK\r\n"
        assert a.call("SET", "w:k", "mine") == b"+QUEUED\r\n"
        assert a.call("EXEC") == b"*1\r\n+OK\r\n"
        assert b.call("GET", "w:k") == b"$4\r\nmine\r\n"
        # Pipelined: the client's own write after WATCH fails its EXEC, as on one Redis.
        for _ in range(5):
            a.send_raw(b"".join(encode_command(*c) for c in [
                ("WATCH", "w:k"), ("SET", "w:k", "own"), ("MULTI",), ("SET", "w:k", "tx"),
                ("EXEC",)]))
            replies = [a.read_reply() for _ in range(5)]
            assert replies == [b"+OK\r\n", b"+OK\r\n", b"+OK\r\n", b"+QUEUED\r\n",
                               b"*-1\r\n"], (label, replies)


def check_redis_py(port, label):
    import redis
    r = redis.Redis(port=port)
    pipe = r.pipeline(transaction=True)
    pipe.set("{py}a", 1).incr("{py}a").get("{py}a")
    assert pipe.execute() == [True, 2, b"2"]
    # Optimistic locking with WATCH, retried on conflict.
    r.set("{py}ctr", 10)

    def incr(p):
        value = int(p.get("{py}ctr"))
        p.multi()
        p.set("{py}ctr", value + 1)

    for _ in range(5):
        r.transaction(incr, "{py}ctr")
    assert r.get("{py}ctr") == b"15"
    with r.pipeline() as p:
        p.watch("{py}ctr")
        r.set("{py}ctr", 0)  # another connection changes it
        p.multi()
        p.set("{py}ctr", 99)
        try:
            p.execute()
            raise AssertionError("WatchError expected")
        except redis.WatchError:
            pass
    assert r.get("{py}ctr") == b"0"
    r.delete("{py}a", "{py}ctr")


def node_ids(nodes):
    ids = {}
    for p in nodes:
        with RawClient(p) as c:
            ids[p] = c.call("CLUSTER", "MYID").split(b"\r\n")[1].decode()
    return ids


def owner_port(nodes, slot):
    with RawClient(nodes[0]) as c:
        for line in c.call("CLUSTER", "NODES").split(b"\r\n", 1)[1].decode().splitlines():
            parts = line.split()
            for rng in parts[8:]:
                lo, _, hi = rng.partition("-")
                if int(lo) <= slot <= int(hi or lo):
                    return int(parts[1].split(":")[1].split("@")[0])
    raise AssertionError(f"no owner for slot {slot}")


def check_moved_inside(port, nodes):
    """A slot reassigned while a transaction is open: the transaction aborts, nothing applies."""
    key = "moved:key"
    with RawClient(nodes[0]) as c:  # the proxy hides CLUSTER: ask a node
        slot = int(c.call("CLUSTER", "KEYSLOT", key)[1:-2])
    ids = node_ids(nodes)
    src = owner_port(nodes, slot)
    dst = next(n for n in nodes if n != src)

    def move_slot(to):
        for n in nodes:
            with RawClient(n) as c:
                assert c.call("CLUSTER", "SETSLOT", slot, "NODE", ids[to]) == b"+OK\r\n"

    with RawClient(port) as p:
        assert p.call("MULTI") == b"+OK\r\n"
        assert p.call("SET", key, "1") == b"+QUEUED\r\n"
        move_slot(dst)
        reply = p.call("EXEC")
        assert reply.startswith(b"-EXECABORT Transaction discarded because of: MOVED"), reply
        assert p.call("GET", key) == b"$-1\r\n"
        # Moved between two queued commands: the next one says so, EXEC aborts.
        assert p.call("MULTI") == b"+OK\r\n"
        assert p.call("SET", key, "2") == b"+QUEUED\r\n"
        move_slot(src)
        reply = p.call("INCR", key)
        assert reply.startswith(b"-ERR slotproxy: hash slot %d moved" % slot), reply
        assert p.call("EXEC") == EXECABORT
        harness.wait_until(lambda: p.call("GET", key) == b"$-1\r\n", timeout=5,
                           what="key readable after the move")


def main():
    with harness.redis_server() as (ref_port, _):
        def check(port, nodes, label):
            compare_scripts(port, ref_port, label)
            check_one_slot_rule(port, label)
            check_watch_conflict(port, label)
            check_redis_py(port, label)
            if label == "redis-cluster":
                check_moved_inside(port, nodes)
            print(label, "ok")
        targets.run_on_both(check)
    print("ok")


if __name__ == "__main__":
    main()
