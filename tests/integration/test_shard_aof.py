"""The shard's append-only file: with appendfsync always, every write acknowledged before a
kill -9 is there after a restart; a torn last record is cut off at start-up; damage in the middle
of the file stops start-up with the offset."""

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


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path, data, mode="wb"):
    with open(path, mode) as f:
        f.write(data)


class ShardAof(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="shard-aof-")
        self.port = harness.free_port()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, fsync="always"):
        argv = [harness.binary("shard"), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--appendfsync", fsync]
        proc = harness.Process(argv, log_name="shard-aof")
        harness.wait_until(lambda: harness.ping_ok(self.port) or not proc.alive(), timeout=15,
                           what="shard start")
        return proc

    def write_until_killed(self, proc, first, kill_after):
        """Pipelines SETs (8 in flight) and kills the shard with SIGKILL after `kill_after` s.
        Returns the indexes whose +OK arrived before the kill."""
        acked = []
        deadline = time.monotonic() + kill_after
        i = first
        with harness.RawClient(self.port, timeout=5) as c:
            try:
                while time.monotonic() < deadline and i < first + 200000:
                    batch = list(range(i, i + 8))
                    c.send_raw(b"".join(harness.encode_command("SET", f"k{n}", f"v{n}")
                                        for n in batch))
                    for n in batch:
                        self.assertEqual(c.read_reply(), b"+OK\r\n")
                        acked.append(n)
                    i += 8
                proc.kill9()
                # Replies already in flight when the kill landed may still be readable.
                c.sock.settimeout(1)
                for n in range(i, i + 8):
                    if c.read_reply() == b"+OK\r\n":
                        acked.append(n)
            except (ConnectionError, OSError, socket.timeout):
                pass
        proc.kill9()
        return acked, i + 8

    def test_acknowledged_writes_survive_kill9(self):
        acked_all = []
        next_index = 0
        rng = random.Random(7)
        for _ in range(5):
            proc = self.start()
            self.assertTrue(proc.alive(), proc.output())
            acked, next_index = self.write_until_killed(proc, next_index, rng.uniform(0.2, 0.6))
            proc.stop()
            acked_all += acked
        self.assertGreater(len(acked_all), 100)
        with self.start() as proc:
            self.assertTrue(proc.alive(), proc.output())
            with harness.RawClient(self.port) as c:
                for chunk in range(0, len(acked_all), 500):
                    part = acked_all[chunk:chunk + 500]
                    c.send_raw(b"".join(harness.encode_command("GET", f"k{n}") for n in part))
                    for n in part:
                        value = f"v{n}".encode()
                        self.assertEqual(c.read_reply(),
                                         b"$%d\r\n%s\r\n" % (len(value), value), f"k{n} lost")

    def test_torn_tail_is_cut_and_mid_file_damage_refused(self):
        with self.start() as proc:
            with harness.RawClient(self.port) as c:
                for n in range(20):
                    self.assertEqual(c.call("SET", f"k{n}", "x" * 50), b"+OK\r\n")
        path = os.path.join(self.dir, "appendonly.aof")
        good = read_bytes(path)
        write_bytes(path, good[8:8 + 30], "ab")  # half a record, as a crash mid-write leaves it
        with self.start() as proc:
            self.assertTrue(harness.ping_ok(self.port))
            with harness.RawClient(self.port) as c:
                self.assertEqual(c.call("DBSIZE"), b":20\r\n")
            proc.stop()
            self.assertIn("torn last record", proc.output())
        self.assertEqual(read_bytes(path), good)
        damaged = bytearray(good)
        damaged[40] ^= 0xFF  # inside the first record; 19 records follow
        write_bytes(path, bytes(damaged))
        proc = self.start()
        try:
            harness.wait_until(lambda: not proc.alive(), timeout=10, what="shard refusing")
            self.assertIn("corrupt record at offset 8", proc.output())
        finally:
            proc.stop()

    def test_keys_that_expired_while_down_still_replay(self):
        """Nothing expires while the file loads (as in Redis): records touching a key whose TTL
        ran out while the shard was down replay as they ran, then the key is gone."""
        with self.start() as proc:
            with harness.RawClient(self.port) as c:
                self.assertEqual(c.call("SET", "{x}a", "1", "PX", "300"), b"+OK\r\n")
                self.assertEqual(c.call("RENAME", "{x}a", "{x}b"), b"+OK\r\n")
                self.assertEqual(c.call("RPUSH", "{x}l", "a", "b"), b":2\r\n")
                self.assertEqual(c.call("PEXPIRE", "{x}l", "300"), b":1\r\n")
                self.assertEqual(c.call("LSET", "{x}l", "0", "z"), b"+OK\r\n")
                self.assertEqual(c.call("SET", "{x}keep", "v"), b"+OK\r\n")
            proc.stop()
        time.sleep(0.5)  # both TTLs run out while the shard is down
        with self.start() as proc:
            self.assertTrue(proc.alive(), proc.output())
            with harness.RawClient(self.port) as c:
                self.assertEqual(c.call("EXISTS", "{x}b", "{x}l", "{x}a"), b":0\r\n")
                self.assertEqual(c.call("GET", "{x}keep"), b"$1\r\nv\r\n")
            proc.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
