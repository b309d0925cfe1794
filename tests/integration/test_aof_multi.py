"""MULTI/EXEC and scripts in the shard's append-only file: the writes of one EXEC or one EVAL are
one MULTI ... EXEC block in the file, so a kill -9 (appendfsync always) leaves all of them or
none after the restart; a file cut by hand anywhere inside a block restarts without the block
(cut back to its MULTI, with a log line); a misplaced EXEC stops start-up with its offset."""

import os
import random
import shutil
import struct
import sys
import tempfile
import threading
import time
import unittest

import redis

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

MAGIC = b"SPAOF001"
GROUP_KEYS = 4
VALUE_PAD = 256 * 1024  # a block of ~1 MB: a kill can land inside its write
SET_ALL = "for i, k in ipairs(KEYS) do redis.call('SET', k, ARGV[1]) end return #KEYS"


def records(data):
    """[(offset, end, [args])] of an intact file body (after the header)."""
    out = []
    pos = len(MAGIC)
    while pos < len(data):
        length, _crc = struct.unpack_from("<II", data, pos)
        payload = data[pos + 8:pos + 8 + length]
        argc = struct.unpack_from("<I", payload, 0)[0]
        args, p = [], 4
        for _ in range(argc):
            n = struct.unpack_from("<I", payload, p)[0]
            args.append(payload[p + 4:p + 4 + n])
            p += 4 + n
        out.append((pos, pos + 8 + length, args))
        pos += 8 + length
    return out


def group_keys(group):
    return [f"{{{group}}}k{j}" for j in range(GROUP_KEYS)]


class AofMulti(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="aof-multi-")
        self.port = harness.free_port()
        self.path = os.path.join(self.dir, "appendonly.aof")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, *extra):
        argv = [harness.binary("shard"), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--appendfsync", "always", *extra]
        proc = harness.Process(argv, log_name="aof-multi")
        harness.wait_until(lambda: harness.ping_ok(self.port) or not proc.alive(), timeout=30,
                           what="shard start")
        return proc

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)

    # ---- kill -9 under transactions and scripts ------------------------------------------------

    def write_until_killed(self, proc, state, seconds):
        """Alternates EXEC and EVAL, each setting GROUP_KEYS keys of its group to one value, and
        kills the shard with SIGKILL from another thread after `seconds`."""
        killer = threading.Timer(seconds, proc.kill9)
        killer.start()
        r = self.client()
        try:
            for _ in range(100000):
                group = "tx" if state["n"] % 2 == 0 else "ev"
                n = state["n"]
                state["n"] += 1
                value = b"%08d" % n + b"x" * VALUE_PAD
                state["sent"][group] = n
                if group == "tx":
                    p = r.pipeline(transaction=True)
                    for k in group_keys(group):
                        p.set(k, value)
                    self.assertEqual(p.execute(), [True] * GROUP_KEYS)
                else:
                    self.assertEqual(r.eval(SET_ALL, GROUP_KEYS, *group_keys(group), value),
                                     GROUP_KEYS)
                state["acked"][group] = n
        except (redis.ConnectionError, redis.TimeoutError, ConnectionError, OSError):
            pass
        finally:
            killer.join()
            r.close()
        self.assertFalse(proc.alive())

    def check_all_or_nothing(self, state):
        r = self.client()
        try:
            for group in ("tx", "ev"):
                values = r.mget(group_keys(group))
                numbers = {None if v is None else int(v[:8]) for v in values}
                self.assertEqual(len(numbers), 1, f"{group}: a block was half applied: {numbers}")
                got = numbers.pop()
                acked = state["acked"].get(group)
                if got is None:
                    self.assertIsNone(acked, f"{group}: acknowledged block {acked} lost")
                    continue
                self.assertTrue(all(len(v) == 8 + VALUE_PAD for v in values))
                if acked is not None:
                    self.assertGreaterEqual(got, acked, f"{group}: acknowledged block lost")
                self.assertLessEqual(got, state["sent"][group])
        finally:
            r.close()

    def test_kill9_leaves_each_transaction_and_script_whole_or_absent(self):
        rng = random.Random(11)
        state = {"n": 0, "sent": {}, "acked": {}}
        reverted = 0
        for _ in range(5):
            proc = self.start()
            self.assertTrue(proc.alive(), proc.output())
            self.check_all_or_nothing(state)
            reverted += proc.output().count("incomplete MULTI/EXEC block")
            self.write_until_killed(proc, state, rng.uniform(0.3, 0.9))
            proc.stop()
        self.assertGreater(len(state["acked"]), 1, "no transaction and script acknowledged")
        with self.start() as proc:
            self.assertTrue(proc.alive(), proc.output())
            self.check_all_or_nothing(state)
            reverted += proc.output().count("incomplete MULTI/EXEC block")
        print(f"{state['n']} blocks sent, {reverted} restarts cut a block", file=sys.stderr)

    def test_kill9_during_a_busy_script_loses_all_its_writes(self):
        # Past the busy threshold the shard runs loop turns (and so its AOF flush) from inside
        # the script: the script's block must stay in memory until the script ends.
        proc = self.start("--busy-reply-threshold", "50")
        try:
            with harness.RawClient(self.port, timeout=5) as a, \
                    harness.RawClient(self.port, timeout=5) as b:
                self.assertEqual(a.call("SET", "{s}before", "1"), b"+OK\r\n")
                a.send_raw(harness.encode_command(
                    "EVAL", "redis.call('SET', KEYS[1], '1') redis.call('SET', KEYS[2], '1') "
                    "while true do end", "2", "{s}a", "{s}b"))
                busy = b""
                for _ in range(200):
                    busy = b.call("GET", "{s}a")
                    if busy.startswith(b"-BUSY"):
                        break
                    time.sleep(0.02)
                self.assertTrue(busy.startswith(b"-BUSY"), busy)
                # More turns ran from inside the script since: their flush saw the open block.
                for _ in range(5):
                    self.assertTrue(b.call("PING").startswith(b"-BUSY"))
                proc.kill9()
        finally:
            proc.stop()
        values, _ = self.restart_and_read(["{s}before", "{s}a", "{s}b"])
        self.assertEqual(values, [b"1", None, None])

    # ---- a file cut by hand --------------------------------------------------------------------

    def write_blocks(self):
        """before=1; a transaction and a script of GROUP_KEYS SETs each; after=1. Returns the
        file and the (MULTI offset, EXEC end) of both blocks."""
        with self.start() as proc:
            r = self.client()
            r.set("{b}before", "1")
            p = r.pipeline(transaction=True)
            for k in group_keys("b"):
                p.set(k, "tx")
            self.assertEqual(p.execute(), [True] * GROUP_KEYS)
            self.assertEqual(r.eval(SET_ALL, GROUP_KEYS, *group_keys("c"), "ev"), GROUP_KEYS)
            r.close()
            proc.stop()
        with open(self.path, "rb") as f:
            data = f.read()
        recs = records(data)
        multis = [i for i, (_, _, a) in enumerate(recs) if a == [b"MULTI"]]
        self.assertEqual(len(multis), 2, recs)
        blocks = []
        for i in multis:
            j = i + GROUP_KEYS + 1
            self.assertEqual(recs[j][2], [b"EXEC"])
            blocks.append((recs[i][0], recs[j][1]))
        self.assertEqual(blocks[1][1], len(data))
        return data, blocks

    def restart_and_read(self, keys):
        with self.start() as proc:
            self.assertTrue(proc.alive(), proc.output())
            r = self.client()
            values = [r.get(k) for k in keys]
            r.close()
            proc.stop()
            return values, proc.output()

    def test_a_file_cut_inside_a_block_restarts_without_it(self):
        data, (tx, ev) = self.write_blocks()
        keys = ["{b}before"] + group_keys("b") + group_keys("c")
        # Cuts inside the script's block (the last one): just after MULTI starts, inside the
        # MULTI, right after it, inside a SET, between SETs, inside the EXEC.
        start, end = ev
        cuts = sorted({start + 1, start + 10, start + 21, start + 40, (start + end) // 2,
                       end - 21, end - 1})
        for cut in cuts:
            with self.subTest(cut=cut):
                with open(self.path, "wb") as f:
                    f.write(data[:cut])
                values, log = self.restart_and_read(keys)
                self.assertEqual(values, [b"1"] + [b"tx"] * GROUP_KEYS + [None] * GROUP_KEYS)
                # A cut inside the MULTI record itself leaves a torn last record, not a block.
                what = ("an incomplete MULTI/EXEC block" if cut >= start + 21
                        else "a torn last record")
                self.assertIn(f"cut off {what}: {cut - start} bytes dropped at offset {start}", log)
                self.assertEqual(os.path.getsize(self.path), start)
        # Cut right after the EXEC: the block is whole.
        with open(self.path, "wb") as f:
            f.write(data)
        values, log = self.restart_and_read(keys)
        self.assertEqual(values, [b"1"] + [b"tx"] * GROUP_KEYS + [b"ev"] * GROUP_KEYS)
        self.assertNotIn("cut off", log)
        # Inside the transaction's block with the script's block removed too.
        with open(self.path, "wb") as f:
            f.write(data[:tx[1] - 5])
        values, _ = self.restart_and_read(keys)
        self.assertEqual(values, [b"1"] + [None] * (2 * GROUP_KEYS))
        self.assertEqual(os.path.getsize(self.path), tx[0])

    def test_an_exec_without_multi_stops_startup_with_its_offset(self):
        data, (tx, _ev) = self.write_blocks()
        multi_size = 8 + 4 + 4 + len(b"MULTI")
        with open(self.path, "wb") as f:
            f.write(data[:tx[0]] + data[tx[0] + multi_size:])  # the transaction's MULTI removed
        exec_at = tx[1] - multi_size - (8 + 4 + 4 + len(b"EXEC"))
        proc = self.start()
        try:
            harness.wait_until(lambda: not proc.alive(), timeout=15, what="shard refusing")
            self.assertIn(f"EXEC without MULTI at offset {exec_at}", proc.output())
        finally:
            proc.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
