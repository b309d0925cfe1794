"""Pub/sub through the proxy, on its embedded shards and in front of a real Redis Cluster:
confirmations, messages and subscribed-context errors compared byte for byte with a standalone
redis-server (RESP2 arrays and RESP3 pushes), every message exactly once per subscriber across
workers and (real cluster) whichever node the publisher reached, sharded channels of several
slots, PUBSUB SHARDCHANNELS / SHARDNUMSUB over the whole cluster, redis-py's PubSub API,
re-subscription after the backend connection is killed, and the pub/sub output limit
disconnecting a subscriber that does not read."""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_proxy_client as targets  # noqa: E402
from harness import RawClient, encode_command, wait_until  # noqa: E402


def message(kind, *parts):
    out = b"%s%d\r\n" % (kind, len(parts))
    for p in parts:
        if isinstance(p, int):
            out += b":%d\r\n" % p
        else:
            p = p.encode() if isinstance(p, str) else p
            out += b"$%d\r\n%s\r\n" % (len(p), p)
    return out


# (subscriber commands, publisher commands): the subscriber's replies and what it receives
# afterwards must match a standalone redis-server's, byte for byte.
def call_n(client, n, *cmd):
    """Sends cmd and reads its n reply frames (one per channel for (UN)SUBSCRIBE)."""
    client.send_raw(encode_command(*cmd))
    return b"".join(client.read_reply() for _ in range(n))


def script(sub, pub, resp3):
    out = []
    if resp3:
        out.append(sub.call("HELLO", "3")[:1])
    out.append(call_n(sub, 2, "SUBSCRIBE", "ch1", "ch2"))
    out.append(sub.call("PSUBSCRIBE", "pat.*"))
    out.append(sub.call("SSUBSCRIBE", "sch"))
    out.append(sub.call("GET", "x"))
    out.append(sub.call("PING"))
    out.append(sub.call("PING", "hello"))
    out.append(pub.call("PUBLISH", "ch1", "m1"))
    out.append(sub.read_reply())
    out.append(pub.call("PUBLISH", "pat.x", "m2"))
    out.append(sub.read_reply())
    out.append(pub.call("SPUBLISH", "sch", "m3"))
    out.append(sub.read_reply())
    out.append(call_n(sub, 2, "UNSUBSCRIBE", "ch1", "nosuch"))
    out.append(pub.call("PUBLISH", "ch1", "dropped"))
    out.append(sub.call("SUBSCRIBE", "ch2"))
    out.append(sub.call("UNSUBSCRIBE"))
    out.append(sub.call("PUNSUBSCRIBE"))
    out.append(sub.call("SUNSUBSCRIBE"))
    out.append(sub.call("UNSUBSCRIBE"))
    out.append(sub.call("PING"))
    out.append(sub.call("SET", "ps:after", "1"))
    return out


def compare(port, ref_port, label):
    for resp3 in (False, True):
        with RawClient(port) as s, RawClient(port) as p:
            got = script(s, p, resp3)
        with RawClient(ref_port) as s, RawClient(ref_port) as p:
            want = script(s, p, resp3)
        diffs = [f"#{i}: proxy {g!r} != redis {w!r}" for i, (g, w) in enumerate(zip(got, want))
                 if g != w]
        assert not diffs, f"{label} resp3={resp3}:\n" + "\n".join(diffs)


def check_exactly_once(port, nodes, label):
    subs = [RawClient(port) for _ in range(4)]  # spread over both workers
    try:
        for s in subs:
            s.call("SUBSCRIBE", "once")
            s.call("PSUBSCRIBE", "on*")
        n = 50
        with RawClient(port) as p:
            for i in range(n):
                # Every subscriber, once per subscription: 4 channel + 4 pattern receivers.
                assert p.call("PUBLISH", "once", f"m{i}") == b":8\r\n", label
        # In a Redis Cluster a PUBLISH sent to any node reaches the proxy's subscribers once.
        direct = nodes if label == "redis-cluster" else []
        for node in direct:
            with RawClient(node) as c:
                c.call("PUBLISH", "once", f"direct{node}")
        for s in subs:
            s.sock.settimeout(5)
            got = [s.read_reply() for _ in range(2 * (n + len(direct)))]
            for i in range(n):
                assert message(b"*", "message", "once", f"m{i}") in got
                assert message(b"*", "pmessage", "on*", "once", f"m{i}") in got
            s.sock.settimeout(0.3)
            try:
                extra = s.read_reply()
                raise AssertionError(f"{label}: duplicate delivery {extra!r}")
            except socket.timeout:
                pass
    finally:
        for s in subs:
            s.close()


def check_sharded(port, label):
    channels = [f"sh{i}" for i in range(12)]  # several slots, several owners
    with RawClient(port) as s, RawClient(port) as p:
        s.send_raw(encode_command("SSUBSCRIBE", *channels))
        for i, ch in enumerate(channels):
            assert s.read_reply() == message(b"*", "ssubscribe", ch, i + 1)
        for ch in channels:
            assert p.call("SPUBLISH", ch, "hi") == b":1\r\n", (label, ch)
            assert s.read_reply() == message(b"*", "smessage", ch, "hi")


def bulk_list(reply):
    """The elements of a flat RESP array of bulk strings."""
    assert reply[:1] == b"*", reply
    header, rest = reply.split(b"\r\n", 1)
    out = []
    for _ in range(int(header[1:])):
        size, rest = rest.split(b"\r\n", 1)
        assert size[:1] == b"$", reply
        out.append(rest[:int(size[1:])])
        rest = rest[int(size[1:]) + 2:]
    assert rest == b"", reply
    return out


# Shard channels whose slots spread over every node of a 3-master cluster (hash tags a, b, c
# sit in the three thirds of the slot range) and over the embedded shards.
SHARD_CHANNELS = [f"psc:{{{tag}}}{i}" for tag in "abc" for i in range(3)] + ["psc:x", "other"]


def shard_introspection(port, resp3):
    """Two subscribers with overlapping shard channels, then PUBSUB SHARDCHANNELS / SHARDNUMSUB
    from a third client: (sorted channel lists, exact SHARDNUMSUB replies)."""
    with RawClient(port) as s1, RawClient(port) as s2, RawClient(port) as q:
        wait_until(lambda: q.call("PUBSUB", "SHARDCHANNELS") == b"*0\r\n", timeout=5,
                   what="no shard channel left from earlier checks")
        for client, names in ((s1, SHARD_CHANNELS[:8]), (s2, SHARD_CHANNELS[4:])):
            if resp3:
                client.call("HELLO", "3")
            call_n(client, len(names), "SSUBSCRIBE", *names)
        if resp3:
            q.call("HELLO", "3")
        lists = [sorted(bulk_list(q.call("PUBSUB", "SHARDCHANNELS", *pattern)))
                 for pattern in ((), ("psc:*",), ("psc:{b}*",), ("nomatch*",))]
        numsub = [q.call("PUBSUB", "SHARDNUMSUB", *names) for names in (
            SHARD_CHANNELS + ["nosuch", "psc:{a}0", "psc:{c}2"],
            ["psc:{c}1", "psc:{a}1", "psc:{b}1"],
            ["only:absent"],
            [])]
        # Wrong arity and unknown shapes get Redis's own errors.
        errors = [q.call("PUBSUB", "SHARDCHANNELS", "a", "b"),
                  q.call("PUBSUB", "channels", "a", "b"), q.call("PUBSUB", "SHARDNUMSUB2")]
    return lists, numsub, errors


def check_shard_introspection(port, ref_port, label):
    for resp3 in (False, True):
        got = shard_introspection(port, resp3)
        want = shard_introspection(ref_port, resp3)
        assert got == want, f"{label} resp3={resp3}:\nproxy {got!r}\nredis {want!r}"
        lists, numsub, _ = got
        assert len(lists[0]) == len(SHARD_CHANNELS), (label, lists[0])
        assert b"$8\r\npsc:{a}0\r\n:1\r\n" in numsub[0], numsub[0]  # s1 only
        assert b"$8\r\npsc:{b}1\r\n:2\r\n" in numsub[1], numsub[1]  # both


def check_redis_py(port):
    import redis
    r = redis.Redis(port=port)
    ps = r.pubsub()
    ps.subscribe("py:ch")
    ps.psubscribe("py:*")
    assert ps.get_message(timeout=2)["type"] == "subscribe"
    assert ps.get_message(timeout=2)["type"] == "psubscribe"
    assert r.publish("py:ch", "hello") == 2
    got = [ps.get_message(timeout=2) for _ in range(2)]
    assert sorted(m["type"] for m in got) == ["message", "pmessage"], got
    ps.unsubscribe()
    ps.punsubscribe()
    ps.close()


def check_resubscribe(port, nodes):
    """The home node kills the proxy's subscriber connection: the proxy subscribes again."""
    with RawClient(port) as s, RawClient(port) as p:
        s.call("SUBSCRIBE", "phoenix")
        killed = 0
        for node in nodes:
            with RawClient(node) as c:
                killed += int(c.call("CLIENT", "KILL", "TYPE", "pubsub")[1:-2])
        assert killed >= 1

        def delivered():
            return p.call("PUBLISH", "phoenix", "back") == b":1\r\n"
        wait_until(delivered, timeout=5, what="re-subscribed after the kill")
        s.sock.settimeout(5)
        assert s.read_reply() == message(b"*", "message", "phoenix", "back")


def check_home_moves(port, nodes):
    """Slot 0 (the pub/sub home) moves to another node: PUBLISH follows it at once, the
    subscriber within a second or two, and every message still arrives exactly once."""
    import test_proxy_multi as multi
    with RawClient(nodes[0]) as c:
        if c.call("CLUSTER", "COUNTKEYSINSLOT", "0") != b":0\r\n":
            print("slot 0 holds keys: home move not checked")
            return  # an empty slot can be reassigned without migrating keys
    ids = multi.node_ids(nodes)
    src = multi.owner_port(nodes, 0)
    dst = next(n for n in nodes if n != src)

    def move(to):
        for n in nodes:
            with RawClient(n) as c:
                assert c.call("CLUSTER", "SETSLOT", "0", "NODE", ids[to]) == b"+OK\r\n"

    with RawClient(port) as s, RawClient(port) as p:
        s.call("SUBSCRIBE", "wanderer")
        move(dst)
        published = 0

        def counted():
            nonlocal published
            published += 1
            return p.call("PUBLISH", "wanderer", "x") == b":1\r\n"
        def pubsub_clients(node):
            with RawClient(node) as c:
                return c.call("CLIENT", "LIST", "TYPE", "pubsub").count(b"id=")
        try:
            # The proxy learns the move (periodic topology refresh), then the subscriber moves.
            wait_until(lambda: pubsub_clients(dst) == 1 and pubsub_clients(src) == 0,
                       timeout=10, what="the subscriber on the new home")
            wait_until(counted, timeout=5, interval=0.2, what="PUBLISH reaching it")
            print(f"home moved {src} -> {dst}: {published} publishes")
            s.sock.settimeout(5)
            for _ in range(published):
                assert s.read_reply() == message(b"*", "message", "wanderer", "x")
            s.sock.settimeout(0.5)
            try:
                raise AssertionError(f"duplicate: {s.read_reply()!r}")
            except socket.timeout:
                pass
        finally:
            move(src)


def check_output_limit(port, label):
    """A subscriber that never reads is disconnected past 32 MB (Redis's pubsub hard limit)."""
    slow = socket.create_connection(("127.0.0.1", port))
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.sendall(encode_command("SUBSCRIBE", "flood"))
    time.sleep(0.3)
    payload = "x" * (1 << 20)
    with RawClient(port) as p:
        receivers = []
        for _ in range(80):
            receivers.append(p.call("PUBLISH", "flood", payload))
            if receivers[-1] == b":0\r\n":
                break
        assert receivers[-1] == b":0\r\n", f"{label}: the slow subscriber was never dropped"
    slow.close()


def main():
    with harness.redis_server() as (ref_port, _):
        def check(port, nodes, label):
            check_shard_introspection(port, ref_port, label)
            compare(port, ref_port, label)
            check_exactly_once(port, nodes, label)
            check_sharded(port, label)
            check_redis_py(port)
            if label == "redis-cluster":
                check_resubscribe(port, nodes)
                check_home_moves(port, nodes)
            check_output_limit(port, label)
            print(label, "ok")
        targets.run_on_both(check)
    print("ok")


if __name__ == "__main__":
    main()
