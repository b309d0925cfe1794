"""The shard's background AOF rewrite: BGREWRITEAOF (Redis's replies) compacts a log full of
overwrites without stopping the shard; writes acknowledged while it runs and after it survive a
kill -9 and a restart (the whole keyspace is compared with what the client was acknowledged); the
automatic trigger (auto_aof_rewrite_min_size / percentage) fires on growth."""

import os
import random
import shutil
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402


def info_fields(client, section="persistence"):
    raw = client.call("INFO", section)
    body = raw.split(b"\r\n", 1)[1].decode()
    fields = {}
    for line in body.split("\r\n"):
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            fields[k] = v
    return fields


def bulk(value):
    value = value.encode() if isinstance(value, str) else value
    return b"$%d\r\n%s\r\n" % (len(value), value)


class ShardRewrite(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="shard-rewrite-")
        self.port = harness.free_port()
        self.aof = os.path.join(self.dir, "appendonly.aof")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, *extra):
        argv = [harness.binary("shard"), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--appendfsync", "always", *extra]
        proc = harness.Process(argv, log_name="shard-rewrite")
        harness.wait_until(lambda: harness.ping_ok(self.port) or not proc.alive(), timeout=15,
                           what="shard start")
        self.assertTrue(proc.alive(), proc.output())
        return proc

    def size(self):
        return os.path.getsize(self.aof)

    def fill(self, c, model, keys, rounds, value_len=60):
        """Pipelined SETs: every key overwritten `rounds` times (the log is `rounds` x the data)."""
        for r in range(rounds):
            for start in range(0, keys, 1000):
                batch = []
                for i in range(start, min(keys, start + 1000)):
                    value = f"r{r}-{i}-" + "x" * value_len
                    batch.append((f"key:{i}", value))
                c.send_raw(b"".join(harness.encode_command("SET", k, v) for k, v in batch))
                for k, v in batch:
                    self.assertEqual(c.read_reply(), b"+OK\r\n")
                    model[k] = v

    def keyspace(self, c):
        """Every key and its string value, through SCAN + MGET."""
        keys, cursor = [], b"0"
        for _ in range(100000):  # bounded
            reply = c.call("SCAN", cursor, "COUNT", "1000")
            parts = reply.split(b"\r\n")
            cursor = parts[2]
            keys += [parts[i] for i in range(5, len(parts) - 1, 2)]
            if cursor == b"0":
                break
        out = {}
        for start in range(0, len(keys), 500):
            chunk = [k.decode() for k in keys[start:start + 500]]
            c.send_raw(b"".join(harness.encode_command("GET", k) for k in chunk))
            for k in chunk:
                reply = c.read_reply()
                self.assertTrue(reply.startswith(b"$"), (k, reply))
                out[k] = reply.split(b"\r\n")[1].decode()
        return out

    def wait_rewrite_done(self, c, smaller_than):
        """Bounded wait until INFO says no rewrite runs and the file was replaced by a smaller
        one (the rename is what finishes a rewrite, whatever INFO reports)."""
        def done():
            return (info_fields(c).get("aof_rewrite_in_progress") == "0"
                    and self.size() < smaller_than)
        harness.wait_until(done, timeout=60, interval=0.02, what="the AOF rewrite to finish")

    def test_bgrewriteaof_compacts_and_acknowledged_writes_survive_kill9(self):
        rng = random.Random(11)
        model = {}
        proc = self.start()
        try:
            with harness.RawClient(self.port, timeout=10) as c:
                self.fill(c, model, keys=20000, rounds=6)
                grown = self.size()
                # Pipelined: both run in the same loop turn, before the first rewrite slice.
                c.send_raw(harness.encode_command("BGREWRITEAOF") * 2)
                self.assertEqual(c.read_reply(),
                                 b"+Background append only file rewriting started\r\n")
                self.assertEqual(c.read_reply(), b"-ERR Background append only file rewriting "
                                                 b"already in progress\r\n")
                # Pipelined batches while the rewrite runs (one slice per loop turn), every reply
                # read before the next batch; straddling MSETs exercise the re-dump path.
                during = 0
                n = 0
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    in_progress = info_fields(c).get("aof_rewrite_in_progress")
                    if self.size() < grown // 3 and in_progress == "0":
                        break
                    batch = []
                    for _ in range(200):
                        n += 1
                        k = f"key:{rng.randrange(25000)}"
                        v = f"during-{n}"
                        if n % 5 == 0:  # two keys of one slot: may straddle the rewrite cursor
                            batch.append((("MSET", "{t}a", v, "{t}" + k, v),
                                          [("{t}a", v), ("{t}" + k, v)]))
                        else:
                            batch.append((("SET", k, v), [(k, v)]))
                    c.send_raw(b"".join(harness.encode_command(*cmd) for cmd, _ in batch))
                    for _, effects in batch:
                        self.assertEqual(c.read_reply(), b"+OK\r\n")
                        model.update(effects)
                        during += 1
                self.wait_rewrite_done(c, grown // 3)
                rewritten = self.size()
                fields = info_fields(c)
                self.assertEqual(fields["aof_rewrites"], "1")
                self.assertEqual(fields["aof_last_bgrewrite_status"], "ok")
                # Writes pipelined across the rename land after the base: base <= file size.
                self.assertLessEqual(int(fields["aof_base_size"]), rewritten)
                # More writes into the new file, then a kill -9 with one write in flight.
                for i in range(300):
                    k, v = f"after:{i % 50}", f"after-{i}"
                    self.assertEqual(c.call("SET", k, v), b"+OK\r\n")
                    model[k] = v
                in_flight = ("key:1", "in-flight")
                c.send_raw(harness.encode_command("SET", *in_flight))
                proc.kill9()
                try:
                    c.sock.settimeout(1)
                    if c.read_reply() == b"+OK\r\n":
                        model[in_flight[0]] = in_flight[1]
                        in_flight = None
                except (ConnectionError, OSError, socket.timeout):
                    pass
        finally:
            proc.stop()
        print(f"\n{during} writes acknowledged while the rewrite ran; AOF {grown} -> {rewritten} "
              "bytes", file=sys.stderr)
        self.assertGreater(during, 0)
        self.assertLess(rewritten * 3, grown)
        with self.start() as proc:
            with harness.RawClient(self.port, timeout=10) as c:
                got = self.keyspace(c)
        if in_flight is not None and got.get(in_flight[0]) == in_flight[1]:
            model[in_flight[0]] = in_flight[1]  # written, reply lost in the kill: allowed
        self.assertEqual(len(got), len(model))
        missing = [k for k in model if got.get(k) != model[k]]
        self.assertEqual(missing[:10], [], f"{len(missing)} acknowledged writes lost or wrong")

    def test_auto_rewrite_on_growth(self):
        conf = os.path.join(self.dir, "shard.yaml")
        with open(conf, "w") as f:
            f.write("auto_aof_rewrite_percentage: 100\nauto_aof_rewrite_min_size: 64kb\n")
        proc = self.start("-c", conf)
        try:
            with harness.RawClient(self.port) as c:
                value = "v" * 200
                writes = 0
                # 20 keys overwritten until the file passes 64 KB; then the shard rewrites it.
                while writes < 5000 and self.size() <= 64 * 1024:
                    self.assertEqual(c.call("SET", f"k{writes % 20}", value), b"+OK\r\n")
                    writes += 1
                self.assertLess(writes, 5000)
                for i in range(20):  # every flush checks the trigger
                    self.assertEqual(c.call("SET", f"k{i}", value), b"+OK\r\n")
                self.wait_rewrite_done(c, 16 * 1024)
                fields = info_fields(c)
                self.assertGreaterEqual(int(fields["aof_rewrites"]), 1)
                self.assertLess(int(fields["aof_base_size"]), 16 * 1024)
                self.assertEqual(c.call("DBSIZE"), b":20\r\n")
        finally:
            proc.stop()
        self.assertIn("automatic rewriting of AOF", proc.output())
        with self.start() as proc:
            with harness.RawClient(self.port) as c:
                self.assertEqual(c.call("DBSIZE"), b":20\r\n")
                self.assertEqual(c.call("GET", "k3"), bulk(value))


if __name__ == "__main__":
    unittest.main(verbosity=2)
