"""redis-cli in RESP3 mode (`redis-cli -3`, which opens with HELLO 3) as a real client: one
script of commands (strings, a hash as a RESP3 map, sets, sorted sets WITH SCORES as doubles,
INFO keyspace, DBSIZE, CONFIG GET, HELLO 3, errors) fed to redis-cli on stdin, and SUBSCRIBE to
two channels with a PUBLISH to each (RESP3 push messages), against the proxy on its embedded
shards and the proxy in front of a real 3-master Redis Cluster. What redis-cli prints must be
identical to what it prints for a standalone redis-server 7.0, both in its type-annotated form
(--no-raw) and its raw form.

Normalised, because they legitimately differ between servers: HELLO's id and version, the
order of a set's members (unspecified in Redis; 7.0 orders a hashtable set by a random seed),
and INFO keyspace's avg_ttl (a sampled estimate). One deliberate difference is pinned rather
than hidden: the proxy answers `CONFIG GET databases` with 1 (one logical database spans the
fleet; proxy/src/session/local_commands.cc) where a Redis node answers 16.

The reference redis-server runs with persistence off (harness.redis_server), as the proxy
reports for itself (save "", appendonly no)."""

import difflib
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_proxy_client as targets  # noqa: E402
from harness import RawClient, wait_until  # noqa: E402

# One command per line, as redis-cli reads them from stdin. Keys spread over several slots.
SCRIPT = [
    "FLUSHALL",
    "SET cli3:str \"hello world\"",
    "GET cli3:str",
    "GET cli3:missing",
    "SET cli3:n 10",
    "INCRBY cli3:n 5",
    "INCRBYFLOAT cli3:n 0.5",
    "HSET cli3:h f1 v1 f2 v2 f3 \"with space\"",
    "HGETALL cli3:h",
    "HGETALL cli3:nohash",
    "HGET cli3:h f2",
    "SADD cli3:ints 3 1 2 10",
    "SADD cli3:strs b a c",
    "SMEMBERS cli3:ints",
    "SMEMBERS cli3:strs",
    "SMEMBERS cli3:noset",
    "ZADD cli3:z 1 one 2.5 two -3 three",
    "ZRANGE cli3:z 0 -1 WITHSCORES",
    "ZRANGE cli3:z 0 -1",
    "ZSCORE cli3:z two",
    "ZSCORE cli3:z nobody",
    "LPUSH cli3:l a b c",
    "LRANGE cli3:l 0 -1",
    "MGET cli3:str cli3:missing cli3:n",
    "EXISTS cli3:str cli3:h cli3:none",
    "TYPE cli3:h",
    "INCR cli3:h",
    "NOSUCHCOMMAND x",
    "SET cli3:ttl v EX 1000",
    "TTL cli3:ttl",
    "DBSIZE",
    "INFO keyspace",
    "CONFIG GET maxmemory",
    "CONFIG GET maxmemory-policy",
    "CONFIG GET appendonly",
    "CONFIG GET databases",
    "HELLO 3",
    "PING",
    "ECHO \"x y\"",
    "DEL cli3:str cli3:missing cli3:ttl",
    "DBSIZE",
    "INFO keyspace",
]

MARKER = re.compile(r'^"?@@(\d+)"?$')


def run_cli(port, raw):
    """Runs SCRIPT through one redis-cli -3 connection. Returns {index: printed lines}."""
    lines = []
    for i, cmd in enumerate(SCRIPT):
        lines += [f"ECHO @@{i}", cmd]
    argv = ["redis-cli", "-3", "-p", str(port)] + ([] if raw else ["--no-raw"])
    r = subprocess.run(argv, input="\n".join(lines) + "\n", capture_output=True, text=True,
                       timeout=30)
    out = r.stdout.replace("\r\n", "\n")
    assert r.returncode == 0 and "@@0" in out, f"redis-cli -3 on {port}: {r}"
    blocks, current = {}, None
    for line in out.split("\n"):
        m = MARKER.match(line)
        if m:
            current = int(m.group(1))
            blocks[current] = []
        elif current is not None:
            blocks[current].append(line)
    if current is not None:  # the text after the last command ends with a newline
        while blocks[current] and blocks[current][-1] == "":
            blocks[current].pop()
    return blocks


def normalise(cmd, block):
    name = cmd.split()[0].upper()
    if name == "HELLO":
        block = [re.sub(r'^(\d+# "id" => \(integer\) |id )\d+$', r"\1ID", ln) for ln in block]
        block = [re.sub(r'^(\d+# "version" => )".*"$', r'\1"VERSION"', ln) for ln in block]
        block = [re.sub(r"^version .*$", "version VERSION", ln) for ln in block]
    elif name == "SMEMBERS":
        # Only a RESP3 set's "N~ " prefix is dropped: an array ("N) ") would still differ.
        block = sorted(re.sub(r"^\d+~ ", "~ ", ln) for ln in block)
    elif name == "INFO":
        block = [re.sub(r"avg_ttl=\d+", "avg_ttl=N", ln) for ln in block]
    return block


# Lines of the reference's output the proxy deliberately prints differently (--no-raw, raw).
DELIBERATE = {
    "CONFIG GET databases": {'1# "databases" => "16"': '1# "databases" => "1"',
                             "databases 16": "databases 1"},
}


def pin_deliberate(cmd, want):
    """The reference's output turned into what the proxy deliberately prints instead."""
    table = DELIBERATE.get(cmd, {})
    return [table.get(ln, ln) for ln in want]


def subscribe_output(port, raw):
    """What `redis-cli -3 SUBSCRIBE` prints for two channels (on two slots) and one message
    published to each through a second connection, the second sent after the first arrived."""
    argv = ["redis-cli", "-3", "-p", str(port)] + ([] if raw else ["--no-raw"])
    argv += ["SUBSCRIBE", "cli3:c1", "cli3:c2"]
    # redis-cli writes through its own O_APPEND handle and the test reads through another: a
    # shared file offset would let the reader's seek move the writer (garbled output).
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cli.out")
        with open(path, "a") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, text=True)

        def printed():
            with open(path) as f:
                return f.read()

        try:
            wait_until(lambda: printed().count("cli3:c2") >= 1, timeout=10,
                       what=f"redis-cli -3 SUBSCRIBE on {port}")
            with RawClient(port) as pub:
                for channel, message in (("cli3:c1", "hello"), ("cli3:c2", "x y")):
                    pub.call("PUBLISH", channel, message)
                    wait_until(lambda: message in printed(), timeout=10,
                               what=f"{message!r} printed by redis-cli on {port}")
            time.sleep(0.2)  # a duplicate delivery would be printed in this window
        finally:
            proc.terminate()
            proc.wait(10)
        return printed().replace("\r\n", "\n").rstrip("\n").split("\n")


def compare(port, ref_port, label):
    failures = []
    for raw in (False, True):
        mode = "raw" if raw else "--no-raw"
        got, want = run_cli(port, raw), run_cli(ref_port, raw)
        for i, cmd in enumerate(SCRIPT):
            g = normalise(cmd, got.get(i, ["<no output>"]))
            w = normalise(cmd, want.get(i, ["<no output>"]))
            if label.startswith("proxy"):
                w = pin_deliberate(cmd, w)
            if g != w:
                diff = "\n".join(difflib.unified_diff(w, g, "redis-server", label, lineterm=""))
                failures.append(f"{label} {mode} `{cmd}`:\n{diff}")
        got, want = subscribe_output(port, raw), subscribe_output(ref_port, raw)
        if got != want:
            diff = "\n".join(difflib.unified_diff(want, got, "redis-server", label, lineterm=""))
            failures.append(f"{label} {mode} SUBSCRIBE + PUBLISH:\n{diff}")
    return failures


def main():
    failures = []
    with harness.redis_server() as (ref_port, _):
        with targets.embedded_proxy() as (port, _):
            failures += compare(port, ref_port, "proxy-embedded")
        with targets.cluster_proxy() as (port, _):
            failures += compare(port, ref_port, "proxy-redis-cluster")
    assert not failures, "\n\n".join(failures)
    print("ok")


if __name__ == "__main__":
    main()
