"""A script that runs past busy-reply-threshold must not hang its shard (Redis 7.0's busy
scripts): other clients get -BUSY, allow-busy commands (SCRIPT KILL, MULTI...) still run, SCRIPT
KILL stops a script that has not written and answers UNKILLABLE for one that has, and the shard
serves normally afterwards. The same scenario runs against our shard and a real redis-server 7.0
(both with a 200 ms threshold) and the raw transcripts must be identical.
"""

import contextlib
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

THRESHOLD_MS = 200
BUSY = b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
UNKILLABLE = (b"-UNKILLABLE Sorry the script already executed write commands against the "
              b"dataset. You can either wait the script termination or kill the server in a hard "
              b"way using the SHUTDOWN NOSAVE command.\r\n")
LOOP = "local i = 0 while true do i = i + 1 end"
# Writes, then spins for about 1.5 s (bounded: it ends by itself).
WRITE_THEN_SPIN = ("redis.call('set', KEYS[1], 'v') "
                   "local t = redis.call('time') local t0 = t[1] * 1000000 + t[2] "
                   "while true do t = redis.call('time') "
                   "if t[1] * 1000000 + t[2] - t0 > 1500000 then break end end return 7")


def _answers(port):
    try:
        with harness.RawClient(port, timeout=1.0) as c:
            return c.call("PING") == b"+PONG\r\n"
    except (OSError, ConnectionError):
        return False


@contextlib.contextmanager
def shard_server():
    port = harness.free_port(with_bus=True)
    workdir = tempfile.mkdtemp(prefix="shard-busy-")
    argv = [harness.binary("shard"), "--port", str(port), "--bind", "127.0.0.1", "--dir",
            workdir, "--appendonly", "no", "--busy-reply-threshold", str(THRESHOLD_MS)]
    proc = harness.Process(argv, log_name=f"shard-{port}")
    try:
        harness.wait_until(lambda: proc.alive() and _answers(port), timeout=15,
                           what=f"shard on {port}")
        yield port, proc
    finally:
        proc.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def wait_busy(client, deadline_s=5.0):
    """Sends GET until the server answers BUSY (bounded); returns that reply."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        reply = client.call("GET", "probe")
        if reply.startswith(b"-BUSY"):
            return reply
        time.sleep(0.05)
    raise TimeoutError("the server never became busy")


def wait_served(client, deadline_s=5.0):
    """Sends PING until it is answered PONG (bounded); returns that reply."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        reply = client.call("PING")
        if reply == b"+PONG\r\n":
            return reply
        time.sleep(0.05)
    raise TimeoutError("the server stayed busy")


def kill_scenario(port):
    """A looping script that never writes: BUSY for others, then SCRIPT KILL."""
    out = []
    with harness.RawClient(port) as a, harness.RawClient(port) as b, \
            harness.RawClient(port) as c:
        out.append(b.call("CONFIG", "GET", "busy-reply-threshold"))
        out.append(b.call("CONFIG", "GET", "lua-time-limit"))
        out.append(b.call("SCRIPT", "KILL"))  # nothing runs yet
        a.send_raw(harness.encode_command("EVAL", LOOP, 0) + harness.encode_command("PING"))
        out.append(wait_busy(b))
        out.append(c.call("PING"))
        out.append(c.call("EVAL", "return 1", 0))
        out.append(c.call("SCRIPT", "LOAD", "return 1"))
        with harness.RawClient(port) as d:  # a connection accepted while busy
            out.append(d.call("PING"))
        out.append(c.call("MULTI"))  # allow-busy
        out.append(c.call("GET", "x"))  # BUSY, flags the transaction
        out.append(b.call("SCRIPT", "KILL"))
        out.append(a.read_reply())  # the kill error
        out.append(a.read_reply())  # its pipelined PING ran after the script
        out.append(c.call("EXEC"))
        out.append(b.call("SCRIPT", "KILL"))
        out.append(b.call("GET", "x"))
        out.append(a.call("PING"))
    return out


def unkillable_scenario(port):
    """A script that wrote, then spins for a bounded time: SCRIPT KILL cannot stop it."""
    out = []
    with harness.RawClient(port) as a, harness.RawClient(port) as b:
        a.send_raw(harness.encode_command("EVAL", WRITE_THEN_SPIN, 1, "k"))
        out.append(wait_busy(b))
        out.append(b.call("SCRIPT", "KILL"))
        out.append(b.call("SET", "k", "other"))
        out.append(a.read_reply())  # the script ends by itself
        out.append(b.call("GET", "k"))
        out.append(b.call("DEL", "k"))
    return out


def closed_caller_scenario(port):
    """The EVAL's client goes away while its script is busy; the kill still works."""
    out = []
    with harness.RawClient(port) as b:
        a = harness.RawClient(port)
        a.send_raw(harness.encode_command("EVAL", LOOP, 0))
        out.append(wait_busy(b))
        a.close()
        time.sleep(0.3)
        out.append(b.call("PING"))
        out.append(b.call("SCRIPT", "KILL"))
        # Redis may still answer BUSY to a request read in the same events pass as the kill.
        out.append(wait_served(b))
        with harness.RawClient(port) as c:
            out.append(c.call("SET", "after", "1"))
            out.append(c.call("GET", "after"))
            out.append(c.call("DEL", "after"))
    return out


class ScriptBusy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = contextlib.ExitStack()
        cls.shard, cls.shard_proc = cls.stack.enter_context(shard_server())
        cls.redis, _ = cls.stack.enter_context(
            harness.redis_server("--busy-reply-threshold", str(THRESHOLD_MS)))

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()

    def compare(self, scenario):
        ours = scenario(self.shard)
        theirs = scenario(self.redis)
        self.assertEqual(ours, theirs)
        self.assertTrue(self.shard_proc.alive())
        return ours

    def test_kill(self):
        out = self.compare(kill_scenario)
        self.assertEqual(out[0], b"*2\r\n$20\r\nbusy-reply-threshold\r\n$3\r\n200\r\n")
        self.assertEqual(out[2], b"-NOTBUSY No scripts in execution right now.\r\n")
        self.assertEqual(out[3:8], [BUSY] * 5)
        self.assertEqual(out[8], b"+OK\r\n")
        self.assertEqual(out[10], b"+OK\r\n")
        self.assertTrue(out[11].startswith(b"-ERR Script killed by user with SCRIPT KILL... "
                                           b"script: "), out[11])
        self.assertEqual(out[12], b"+PONG\r\n")
        self.assertTrue(out[13].startswith(b"-EXECABORT"), out[13])

    def test_unkillable(self):
        out = self.compare(unkillable_scenario)
        self.assertEqual(out, [BUSY, UNKILLABLE, BUSY, b":7\r\n", b"$1\r\nv\r\n", b":1\r\n"])

    def test_closed_caller(self):
        out = self.compare(closed_caller_scenario)
        self.assertEqual(out[:3], [BUSY, BUSY, b"+OK\r\n"])
        self.assertEqual(out[3], b"+PONG\r\n")


if __name__ == "__main__":
    unittest.main()
