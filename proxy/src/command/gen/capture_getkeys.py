#!/usr/bin/env python3
"""Captures COMMAND GETKEYSANDFLAGS answers from a real redis-server as a unit-test fixture.

Writes tests/unit/command/testdata/getkeys_cases.txt: hand-written cases (the examples of
shared/reference/cluster-protocol.md section 5 and the edge cases of every key-spec form) plus
seeded random argument vectors for every command that has keys. tests/unit/command/
getkeys_fixture_test.cc replays them through CommandGetKeys and expects the same answers.

Format, two lines per case (fields separated by TAB; arguments contain no TAB, CR or LF):
    C <arg0> <arg1> ...            the command after "COMMAND GETKEYSANDFLAGS"
    K <key> <flags> <key> <flags>  the keys with comma-separated flags (possibly none)
 or E <error text>                 Redis's error, without the leading '-'

Usage: python3 proxy/src/command/gen/capture_getkeys.py [--redis-server PATH] [--out FILE]
"""

import argparse
import os
import random
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_command_table as gen  # noqa: E402  (reuses its RESP3 client and server launcher)

HAND_WRITTEN = [
    "SORT l BY w_* STORE dst", "ZUNIONSTORE dst 2 z1 z2 WEIGHTS 1 2", "EVAL x 2 k1 k2 a1",
    "XREAD COUNT 2 STREAMS s1 s2 0 0", "EVAL x 5 a", "PING", "PING x", "GET a b", "NOSUCH x",
    "LMOVE a b LEFT RIGHT", "GET a", "MSET a 1 b 2", "MGET a b c", "DEL a b c", "BLPOP a b 0",
    "XREAD STREAMS s1", "XREAD STREAMS s1 s2 s3", "XREADGROUP GROUP g c STREAMS s 0",
    "XREADGROUP GROUP g c COUNT 1 STREAMS s1 s2 > >", "MIGRATE h 1 k 0 10",
    "MIGRATE h 1 \"\" 0 10 KEYS a b", "MIGRATE h 1 k 0 10 KEYS a b",
    "MIGRATE h 1 \"\" 0 10 COPY REPLACE AUTH p KEYS a", "MIGRATE h 1 \"\" 0 10 AUTH2 u p KEYS a b",
    "SORT l", "SORT l STORE", "SORT l STORE a STORE b", "SORT l LIMIT 0 1 STORE d",
    "SORT l GET STORE STORE d", "SORT_RO l BY x GET y", "EVAL x 0", "EVAL x -1 a",
    "EVAL x 2abc k1 k2", "EVAL x \" 2\" k1 k2", "EVAL x 1", "EVALSHA x 1 k", "FCALL f 1 k a",
    "FCALL_RO f 2 a b", "ZUNION 2 a b", "ZUNION 3 a b", "ZINTERSTORE d 1 a", "ZDIFFSTORE d 0 a",
    "ZINTERCARD 2 a b LIMIT 1", "SINTERCARD 1 a", "LMPOP 2 a b LEFT", "BLMPOP 0 2 a b LEFT",
    "ZMPOP 1 z MIN", "BZMPOP 1 2 z1 z2 MAX COUNT 2", "GEORADIUS g 0 0 1 m STORE d",
    "GEORADIUS g 0 0 1 m STOREDIST d", "GEORADIUS g 0 0 1 m STORE a STOREDIST b",
    "GEORADIUSBYMEMBER g m 1 km STORE d", "GEORADIUS g 0 0 1 m STORE", "SET k v", "SET k v GET",
    "SET k v NX GET EX 1", "BITFIELD k GET u8 0", "BITFIELD k SET u8 0 1",
    "BITFIELD k OVERFLOW SAT GET u8 0", "BITFIELD k GET u8", "SPUBLISH ch msg", "PUBLISH ch msg",
    "OBJECT ENCODING k", "OBJECT", "OBJECT NOSUCH k", "MEMORY USAGE k SAMPLES 5",
    "XINFO STREAM s FULL", "XGROUP CREATE s g $", "CONFIG GET x", "COMMAND INFO get",
    "SUNIONSTORE d a b c", "RENAME a b", "SMOVE a b m", "MSETNX a 1 b 2", "EXISTS a a b",
    "BRPOPLPUSH a b 0", "BLMOVE a b LEFT RIGHT 0", "BZPOPMIN a b 0", "WATCH a b", "COPY a b",
    "LCS a b", "TOUCH a", "UNLINK a b", "PFCOUNT a b", "PFMERGE d a b", "BITOP AND d a b",
    "GEOSEARCHSTORE d s FROMMEMBER m BYRADIUS 1 m", "ZRANGESTORE d s 0 1", "RESTORE k 0 x",
    "XADD s * f v", "XAUTOCLAIM s g c 0 0", "HSET h f v", "ZADD z 1 m", "LPOS l x",
    "get A", "Get a", "object encoding k", "xread streams s 0", "xread Streams a b 1 2",
    "SORT l store d", "ZUNIONSTORE d 4294967298 a b", "ZUNIONSTORE d 2 a",
    "EVAL x 99999999999 a", "XREAD STREAMS", "XREAD COUNT STREAMS a b",
]

VOCAB = ["a", "b", "c", "k1", "k2", "0", "1", "2", "3", "-1", "-2", "2abc", "STORE", "STOREDIST",
         "STREAMS", "KEYS", "BY", "GET", "LIMIT", "WEIGHTS", "COUNT", "BLOCK", "GROUP", "AUTH",
         "AUTH2", "COPY", "REPLACE", "SET", "INCRBY", "OVERFLOW", "LEFT", "RIGHT", "NX", "\"\"",
         "x*", "MIN", "MAX", "10", "99"]


def split(case):
    out = []
    for word in case.split(" "):
        out.append("" if word == '""' else word.replace('"', ""))
    if case.endswith('" 2" k1 k2'):
        out = ["EVAL", "x", " 2", "k1", "k2"]
    return out


def random_cases(client, rng):
    """Random argument vectors for every row that has keys (by COMMAND's key specs)."""
    cases = []
    reply = client.call("COMMAND")

    def walk(entry, container):
        fields = entry[1]
        name = fields[0][1]
        has_keys = len(fields[8][1]) > 0 or "movablekeys" in [f[1] for f in fields[2][1]]
        if has_keys:
            prefix = name.split("|")
            for _ in range(10):
                n = rng.randint(0, 8)
                args = prefix + [rng.choice(VOCAB) for _ in range(n)]
                cases.append([("" if a == '""' else a) for a in args])
        for sub in fields[9][1]:
            walk(sub, name)

    for entry in sorted(reply[1], key=lambda e: e[1][0][1]):
        walk(entry, None)
    return cases


def answer(client, args):
    try:
        reply = client.call("COMMAND", "GETKEYSANDFLAGS", *args)
    except RuntimeError as e:
        return "E\t" + str(e)
    fields = ["K"]
    for item in reply[1]:
        fields.append(item[1][0][1])
        fields.append(",".join(f[1] for f in item[1][1][1]))
    return "\t".join(fields)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", "..", "..", ".."))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-server", default="redis-server")
    parser.add_argument("--out", default=os.path.join(
        root, "tests", "unit", "command", "testdata", "getkeys_cases.txt"))
    args = parser.parse_args()
    port = gen.free_port()
    import shutil
    import subprocess
    import tempfile
    import time
    workdir = tempfile.mkdtemp(prefix="capture_getkeys.")
    proc = subprocess.Popen([args.redis_server, "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while True:
            try:
                client = gen.Resp3Client(port)
                client.call("PING")
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        client.call("HELLO", "3")
        cases = [split(c) for c in HAND_WRITTEN] + random_cases(client, random.Random(20261121))
        lines = []
        for case in cases:
            lines.append("\t".join(["C"] + case))
            lines.append(answer(client, case))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %s: %d cases" % (args.out, len(cases)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
