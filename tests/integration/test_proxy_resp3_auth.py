"""HELLO / RESP3 and client authentication through the proxy, on its embedded shards and in
front of a real Redis Cluster: HELLO's reply shape, RESP3 replies (passed through from RESP3
backend connections, and the proxy's own and merged replies encoded in RESP3) compared byte for
byte with a standalone redis-server, redis-cli -3; then requirepass and ACL users from the
config (NOAUTH, WRONGPASS, NOPERM, pre-auth limits) against a standalone redis-server set up
with the same users."""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_proxy_client as targets  # noqa: E402
from harness import Process, RawClient, free_port, wait_until  # noqa: E402

# RESP3 replies that must be identical to a standalone redis-server's after HELLO 3. Keys of
# several slots make the proxy split and merge (MGET, DEL, EXISTS).
RESP3_SAME = [
    ("SET", "r3:a", "1"), ("GET", "r3:a"), ("GET", "r3:missing"),
    ("HSET", "r3:h", "f", "v", "g", "w"), ("HGETALL", "r3:h"), ("HRANDFIELD", "r3:nope", "1"),
    ("SADD", "r3:s", "x"), ("SMEMBERS", "r3:s"), ("ZADD", "r3:z", "1.5", "m"),
    ("ZSCORE", "r3:z", "m"), ("ZRANGE", "r3:z", "0", "-1", "WITHSCORES"),
    ("MSET", "r3:b", "2", "r3:c", "3"), ("MGET", "r3:a", "r3:missing", "r3:b", "r3:c"),
    ("EXISTS", "r3:a", "r3:b", "r3:zz"), ("DEL", "r3:b", "r3:c", "r3:zz"),
    ("CONFIG", "GET", "maxmemory"), ("PING",), ("ECHO", "e"), ("CLIENT", "GETNAME"),
    ("SELECT", "0"), ("LPOP", "r3:nolist"), ("BLPOP", "r3:nolist", "0.05"),
    ("NOSUCHCOMMAND",), ("INCR", "r3:h"), ("DBSIZE",), ("KEYS", "r3:*"),
]


def hello_shape(reply):
    return re.sub(rb":\d+\r\n\$4\r\nmode", b":ID\r\n$4\r\nmode", reply)


def check_resp3(port, ref_port, label):
    with RawClient(port) as p, RawClient(ref_port) as r:
        assert hello_shape(p.call("HELLO", "3")) == hello_shape(r.call("HELLO", "3"))
        assert p.call("HELLO", "4") == b"-NOPROTO unsupported protocol version\r\n"
        failures = []
        for cmd in RESP3_SAME:
            if cmd[0] in ("DBSIZE", "KEYS"):
                r.call("FLUSHALL")  # the reference holds only this test's keys
                p.call("DEL", "r3:a", "r3:h", "r3:s", "r3:z")
                r.call("DEL", "r3:a", "r3:h", "r3:s", "r3:z")
            got, want = p.call(*cmd), r.call(*cmd)
            if cmd[0] == "KEYS":
                got, want = sorted(got.split(b"\r\n")), sorted(want.split(b"\r\n"))
            if cmd[0] == "DBSIZE":
                got, want = got[:1], want[:1]
            if got != want:
                failures.append(f"{label} {cmd}: proxy {got!r} != redis {want!r}")
        assert not failures, "\n".join(failures)
        info = p.call("INFO", "server")
        assert info.startswith(b"="), info[:20]  # a verbatim string in RESP3
        assert p.call("HELLO", "2", "SETNAME", "back2")[:4] == b"*14\r"
        assert p.call("GET", "r3:missing") == b"$-1\r\n"
        assert p.call("CLIENT", "GETNAME") == b"$5\r\nback2\r\n"
    # redis-cli in RESP3 mode, as a real client.
    out = subprocess.run(["redis-cli", "-3", "--no-raw", "-p", str(port), "HGETALL", "r3:h2"],
                         capture_output=True, text=True, timeout=10).stdout
    assert out.strip() in ("(empty hash)", "(empty array)", ""), out
    subprocess.run(["redis-cli", "-3", "-p", str(port), "HSET", "r3:h2", "k", "v"],
                   capture_output=True, timeout=10)
    out = subprocess.run(["redis-cli", "-3", "--no-raw", "-p", str(port), "HGETALL", "r3:h2"],
                         capture_output=True, text=True, timeout=10).stdout
    assert out.strip() == '1# "k" => "v"', out


AUTH_YAML = """auth:
  requirepass: sekret
  users:
    - name: app
      password: app-pw
      commands: ["+get", "+set", "+subscribe", "+ping", "+multi", "+exec"]
      keys: ["app:*"]
"""


def auth_script(c):
    out = []
    for cmd in [("GET", "x"), ("NOSUCH",), ("GET",), ("PING",), ("HELLO", "3"),
                ("HELLO", "2", "AUTH", "default", "bad"), ("AUTH", "bad"), ("AUTH", "a", "b", "c"),
                ("AUTH", "sekret"), ("ACL", "WHOAMI"), ("AUTH", "app", "wrong"),
                ("AUTH", "app", "app-pw"), ("ACL", "WHOAMI"), ("GET", "app:1"), ("GET", "other"),
                ("DEL", "app:1"), ("MULTI",), ("SET", "app:2", "v"), ("DEL", "app:2"), ("EXEC",),
                ("RESET",), ("GET", "app:1"), ("HELLO", "2", "AUTH", "app", "app-pw")]:
        reply = c.call(*cmd)
        if cmd[0] == "HELLO" and reply.startswith(b"*14"):
            reply = hello_shape(reply)
        out.append((cmd, reply))
    return out


def pre_auth_limits(port):
    replies = []
    with RawClient(port) as c:
        c.send_raw(harness.encode_command(*(["SET"] + ["a"] * 11)))
        replies.append(c.read_until_eof())
    with RawClient(port) as c:
        c.send_raw(b"*2\r\n$3\r\nGET\r\n$20000\r\n")
        replies.append(c.read_until_eof())
    return replies


def check_auth(ref_port):
    with RawClient(ref_port) as r:
        assert r.call("ACL", "SETUSER", "app", "on", ">app-pw", "~app:*", "+get", "+set",
                      "+subscribe", "+ping", "+multi", "+exec") == b"+OK\r\n"
        assert r.call("CONFIG", "SET", "requirepass", "sekret") == b"+OK\r\n"
    with RawClient(ref_port) as r:
        want = auth_script(r)
    want_limits = pre_auth_limits(ref_port)
    with targets.embedded_proxy(extra_yaml=AUTH_YAML) as (port, _):
        with RawClient(port) as p:
            assert p.call("PING") == b"-NOAUTH Authentication required.\r\n"
            got = auth_script(p)
        got_limits = pre_auth_limits(port)
    diffs = [f"{g[0]}: proxy {g[1]!r} != redis {w[1]!r}" for g, w in zip(got, want) if g != w]
    assert not diffs, "\n".join(diffs)
    assert got_limits == want_limits, (got_limits, want_limits)
    print("auth ok")


def main():
    with harness.redis_server() as (ref_port, _):
        def check(port, nodes, label):
            check_resp3(port, ref_port, label)
            print(label, "resp3 ok")
        targets.run_on_both(check)
        check_auth(ref_port)
    print("ok")


if __name__ == "__main__":
    main()
