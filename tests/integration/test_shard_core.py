"""Differential tests of the shard server's core (connection commands, transactions, pub/sub,
pipelining, protocol errors, AUTH) against a real redis-server 7.0 in cluster mode owning every
slot: the same scripts run against both and the raw reply bytes must match. Then redis-cli and
redis-py are used against the shard as real clients."""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402


@contextlib.contextmanager
def shard_server(*extra):
    """Our shard binary on a free loopback port. Yields (port, Process)."""
    port = harness.free_port()
    workdir = tempfile.mkdtemp(prefix="shard-")
    argv = [harness.binary("shard"), "--port", str(port), "--bind", "127.0.0.1", "--dir",
            workdir, *extra]
    proc = harness.Process(argv, log_name=f"shard-{port}")
    try:
        harness.wait_until(lambda: proc.alive() and _answers(port), timeout=15,
                           what=f"shard on {port}")
        yield port, proc
    finally:
        proc.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _answers(port):
    try:
        with harness.RawClient(port, timeout=1.0) as c:
            reply = c.call("PING")
            return reply in (b"+PONG\r\n",) or reply.startswith(b"-NOAUTH")
    except (OSError, ConnectionError):
        return False


@contextlib.contextmanager
def redis_node(*extra):
    """A real redis-server 7.0 in cluster mode owning all 16384 slots."""
    with harness.redis_server(cluster=True) as (port, proc):
        with harness.RawClient(port) as c:
            assert c.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383") == b"+OK\r\n"

            def ok():
                return b"cluster_state:ok" in c.call("CLUSTER", "INFO")

            harness.wait_until(ok, timeout=15, what="cluster_state:ok")
            # Settings that would stop the harness's PING probe are applied once it is up.
            for i in range(0, len(extra), 2):
                assert c.call("CONFIG", "SET", extra[i].lstrip("-"), extra[i + 1]) == b"+OK\r\n"
        yield port, proc


class Pair:
    """One connection to each server; run() sends a command to both and returns both replies."""

    def __init__(self, test, shard_port, redis_port):
        self.test = test
        self.s = harness.RawClient(shard_port)
        self.r = harness.RawClient(redis_port)

    def close(self):
        self.s.close()
        self.r.close()

    def run(self, *args):
        a = self.s.call(*args)
        b = self.r.call(*args)
        return a, b

    def same(self, *args):
        a, b = self.run(*args)
        self.test.assertEqual(a, b, f"command {args!r}")
        return a

    def same_raw(self, data, replies=1):
        self.s.send_raw(data)
        self.r.send_raw(data)
        for _ in range(replies):
            a, b = self.s.read_reply(), self.r.read_reply()
            self.test.assertEqual(a, b, f"input {data[:80]!r}")

    def same_read(self):
        a, b = self.s.read_reply(), self.r.read_reply()
        self.test.assertEqual(a, b)
        return a


class ShardDifferential(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = contextlib.ExitStack()
        cls.shard_port, _ = cls.stack.enter_context(shard_server("--appendonly", "no"))
        cls.redis_port, _ = cls.stack.enter_context(redis_node())

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()

    def pair(self):
        p = Pair(self, self.shard_port, self.redis_port)
        self.addCleanup(p.close)
        return p

    def test_connection_commands(self):
        p = self.pair()
        for cmd in [("PING",), ("PING", "hello"), ("PING", "a", "b"), ("ECHO", "x"), ("ECHO",),
                    ("ping",), ("SELECT", "0"), ("SELECT", "1"), ("SELECT", "x"),
                    ("SELECT", "99999999999"), ("ASKING",), ("READONLY",), ("READWRITE",),
                    ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "foo"), ("CLIENT", "GETNAME"),
                    ("CLIENT", "SETNAME", "a b"), ("CLIENT", "SETNAME", "a\nb"),
                    ("CLIENT", "SETNAME", ""), ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME"),
                    ("NOSUCHCMD", "a", "b"), ("CLIENT", "NOSUCH"), ("CLIENT",),
                    ("AUTH", "x"), ("AUTH", "default", "x"), ("AUTH", "someone", "x"),
                    ("AUTH", "a", "b", "c"), ("HELLO", "4"), ("HELLO", "x"), ("HELLO", "1"),
                    ("HELLO", "2", "foo"), ("HELLO", "2", "AUTH", "x"),
                    ("HELLO", "2", "SETNAME", "a b"),
                    ("CONFIG", "GET", "maxmemory"), ("CONFIG", "GET", "MAXMEMORY"),
                    ("CONFIG", "GET", "databases"), ("CONFIG", "GET", "cluster-enabled"),
                    ("CONFIG", "GET", "appendonly"), ("CONFIG", "GET", "maxmemory-policy"),
                    ("CONFIG", "GET", "nosuch"), ("CONFIG", "GET", "maxmemory-p*"),
                    ("CONFIG", "GET", "save"), ("CONFIG",), ("CONFIG", "GET"),
                    ("COMMAND", "COUNT"), ("COMMAND", "INFO", "get"), ("COMMAND", "INFO", "nosuch"),
                    ("COMMAND", "INFO", "get", "set", "nosuch"), ("COMMAND", "DOCS", "get"),
                    ("COMMAND", "DOCS", "echo"), ("COMMAND", "GETKEYS", "set", "a", "b"),
                    ("COMMAND", "GETKEYS", "ping"), ("COMMAND", "GETKEYS", "nosuch"),
                    ("COMMAND", "GETKEYS", "mset", "a", "b", "c"),
                    ("COMMAND", "GETKEYSANDFLAGS", "lmove", "a", "b", "left", "right"),
                    ("COMMAND", "LIST", "FILTERBY", "MODULE", "x"), ("COMMAND", "LIST", "x"),
                    ("PUBSUB", "NUMPAT"), ("PUBSUB", "CHANNELS"), ("PUBSUB", "NUMSUB", "a"),
                    ("PUBSUB", "NUMSUB", "a", "b"), ("PUBSUB", "SHARDNUMSUB"),
                    ("PUBSUB", "ShardChannels", "a", "b"), ("PUBSUB", "channels", "a*", "b"),
                    ("QUIT",)]:
            p.same(*cmd)
        with self.assertRaises(ConnectionError):
            p.s.call("PING")

    def test_command_list_and_time(self):
        p = self.pair()
        a, b = p.run("COMMAND", "LIST", "FILTERBY", "PATTERN", "cl*")
        # CLIENT SETINFO is the one command Redis 7.0 does not have.
        names = set(a.split(b"\r\n")[2::2]) - {b"client|setinfo"}
        self.assertEqual(names, set(b.split(b"\r\n")[2::2]))
        a, b = p.run("COMMAND", "LIST", "FILTERBY", "ACLCAT", "pubsub")
        self.assertEqual(sorted(a.split(b"\r\n")), sorted(b.split(b"\r\n")))
        a, _ = p.run("TIME")
        parts = a.split(b"\r\n")
        self.assertEqual(parts[0], b"*2")
        self.assertLess(abs(int(parts[2]) - time.time()), 5)

    def test_resp3(self):
        p = self.pair()
        p.run("HELLO", "3")
        for cmd in [("PING",), ("CLIENT", "GETNAME"), ("CONFIG", "GET", "maxmemory"),
                    ("COMMAND", "INFO", "get", "nosuch"), ("COMMAND", "DOCS", "set"),
                    ("COMMAND", "GETKEYSANDFLAGS", "set", "a", "b"), ("HELLO", "4"),
                    ("PUBSUB", "NUMSUB", "a", "b"), ("PUBSUB", "SHARDNUMSUB", "x"),
                    ("PUBSUB", "SHARDNUMSUB"),
                    ("MULTI",), ("PING",), ("EXEC",), ("RESET",), ("PING",)]:
            p.same(*cmd)

    def test_hello_reply_shape(self):
        for proto in ("2", "3"):
            with harness.RawClient(self.shard_port) as c:
                reply = c.call("HELLO", proto, "SETNAME", "n1")
                cid = c.call("CLIENT", "ID").strip()[1:]
            head = b"%7\r\n" if proto == "3" else b"*14\r\n"
            expected = (head + b"$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
                        b"$5\r\nproto\r\n:" + proto.encode() + b"\r\n$2\r\nid\r\n:" + cid +
                        b"\r\n$4\r\nmode\r\n$7\r\ncluster\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
                        b"$7\r\nmodules\r\n*0\r\n")
            self.assertEqual(reply, expected)

    def test_client_setinfo(self):
        # Redis 7.0 has no CLIENT SETINFO; the shard answers as 7.2 does.
        with harness.RawClient(self.shard_port) as c:
            self.assertEqual(c.call("CLIENT", "SETINFO", "lib-name", "redis-py"), b"+OK\r\n")
            self.assertEqual(c.call("CLIENT", "SETINFO", "LIB-VER", "4.3.4"), b"+OK\r\n")
            self.assertEqual(c.call("CLIENT", "SETINFO", "lib-name", "a b"),
                             b"-ERR lib-name cannot contain spaces, newlines or special "
                             b"characters.\r\n")
            self.assertEqual(c.call("CLIENT", "SETINFO", "x", "y"),
                             b"-ERR Unrecognized option 'x'\r\n")
            self.assertIn(b"lib-name=redis-py lib-ver=4.3.4", c.call("CLIENT", "INFO"))

    def test_client_ids_increase(self):
        with harness.RawClient(self.shard_port) as a, harness.RawClient(self.shard_port) as b:
            ia = int(a.call("CLIENT", "ID")[1:])
            ib = int(b.call("CLIENT", "ID")[1:])
            self.assertGreater(ia, 0)
            self.assertEqual(ib, ia + 1)
            listing = a.call("CLIENT", "LIST")
            self.assertIn(b"id=%d " % ia, listing)
            self.assertIn(b"id=%d " % ib, listing)
            self.assertIn(b"cmd=client|list", listing)

    def test_transactions(self):
        p = self.pair()
        for cmd in [("EXEC",), ("DISCARD",), ("MULTI",), ("MULTI",), ("PING",), ("ECHO", "a"),
                    ("WATCH", "k"), ("EXEC",), ("MULTI",), ("NOSUCH",), ("PING",), ("EXEC",),
                    ("MULTI",), ("PING", "a", "b"), ("EXEC",), ("MULTI",), ("DISCARD",),
                    ("WATCH", "k"), ("UNWATCH",), ("MULTI",), ("EXEC",), ("WATCH", "a", "b"),
                    ("MULTI",), ("CLIENT", "ID", "x"), ("UNWATCH",), ("EXEC",)]:
            p.same(*cmd)

    def test_watch_flush(self):
        # FLUSHALL only breaks the transaction when a watched key existed.
        p = self.pair()
        for cmd in [("WATCH", "nokey"), ("FLUSHALL",), ("MULTI",), ("PING",), ("EXEC",)]:
            p.same(*cmd)

    def test_pubsub_resp2(self):
        sub, pub = self.pair(), self.pair()
        sub.same("SUBSCRIBE", "a", "b")
        sub.same_read()
        pub.same("PUBLISH", "a", "hi")
        sub.same_read()
        for cmd in [("GET", "x"), ("CLIENT", "ID"), ("PING",), ("PING", "x"),
                    ("PSUBSCRIBE", "h*"), ("UNSUBSCRIBE", "a"), ("UNSUBSCRIBE", "b")]:
            sub.same(*cmd)
        pub.same("PUBLISH", "hello", "m")
        sub.same_read()
        pub.same("PUBSUB", "NUMPAT")
        sub.same("PUNSUBSCRIBE", "h*")
        sub.same("UNSUBSCRIBE")
        sub.same("PUNSUBSCRIBE")
        sub.same("SUNSUBSCRIBE")
        sub.same("SSUBSCRIBE", "s1")
        pub.same("SPUBLISH", "s1", "m")
        sub.same_read()
        sub.same("SSUBSCRIBE", "a", "b")  # CROSSSLOT
        sub.same("SUNSUBSCRIBE", "s1")
        sub.same("PING")

    def test_pubsub_resp3(self):
        sub, pub = self.pair(), self.pair()
        sub.run("HELLO", "3")
        sub.same("SUBSCRIBE", "a")
        pub.same("PUBLISH", "a", "hi")
        sub.same_read()
        for cmd in [("PING",), ("CLIENT", "GETNAME"), ("PSUBSCRIBE", "a*")]:
            sub.same(*cmd)
        pub.same("PUBLISH", "ab", "x")
        sub.same_read()
        sub.same("UNSUBSCRIBE", "a")
        sub.same("PUNSUBSCRIBE", "a*")
        sub.same("UNSUBSCRIBE")

    def test_protocol_errors(self):
        cases = [b"*1\r\n$1x\r\n", b"PING\r\n*x\r\n", b"PING\r\n\"unbalanced\r\n",
                 b"*2\r\n$4\r\nPING\r\nx\r\n", b"*3\r\n$3\r\nSET\r\n$-5\r\n",
                 b"ECHO a\r\n*1\r\n$999999999999\r\n", b"x" * 70000,
                 b"*1\r\n$4\r\nPING\r\n*" + b"1" * 70000]
        for data in cases:
            with harness.RawClient(self.shard_port) as s, harness.RawClient(self.redis_port) as r:
                s.send_raw(data)
                r.send_raw(data)
                self.assertEqual(s.read_until_eof(), r.read_until_eof(), data[:40])

    def test_pipeline_depth(self):
        depth = 10000
        data = b"".join(harness.encode_command("ECHO", str(i)) for i in range(depth))
        data += b"PING\r\n" * 10
        expected = b"".join(b"$%d\r\n%d\r\n" % (len(str(i)), i) for i in range(depth))
        expected += b"+PONG\r\n" * 10
        for port in (self.shard_port, self.redis_port):
            with harness.RawClient(port) as c:
                c.send_raw(data)
                got = b""
                while len(got) < len(expected):
                    chunk = c.sock.recv(1 << 20)
                    if not chunk:
                        break
                    got += chunk
                self.assertEqual(got, expected, port)

    def test_unread_output_backpressure(self):
        # A client that sends much and never reads: the shard stops reading it instead of
        # buffering without bound, and still serves everyone else.
        c = harness.RawClient(self.shard_port)
        self.addCleanup(c.close)
        c.sock.setblocking(False)
        payload = harness.encode_command("ECHO", "x" * 60000) * 50
        sent = 0
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and sent < 200 * len(payload):
            try:
                sent += c.sock.send(payload)
            except BlockingIOError:
                break
        with harness.RawClient(self.shard_port) as other:
            self.assertEqual(other.call("PING"), b"+PONG\r\n")
            # The flooding client's unsent output stays near the high-water mark (1 MiB) plus
            # one reply: the shard stopped reading it instead of buffering every reply.
            listing = other.call("CLIENT", "LIST").decode()
            omems = [int(f.split("=")[1]) for line in listing.split("\n")
                     for f in line.split() if f.startswith("omem=")]
            self.assertTrue(omems)
            self.assertLess(max(omems), (1 << 20) + 200000)

    def test_watch_with_writes(self):
        p, other = self.pair(), self.pair()
        if p.s.call("SET", "probe", "1").startswith(b"-ERR unknown"):
            self.skipTest("string commands not in this build")
        p.r.call("SET", "probe", "1")
        for cmd in [("WATCH", "wk"), ("MULTI",), ("SET", "wk", "1"), ("GET", "wk"), ("EXEC",),
                    ("WATCH", "wk")]:
            p.same(*cmd)
        other.same("SET", "wk", "2")
        for cmd in [("MULTI",), ("GET", "wk"), ("EXEC",), ("MULTI",), ("SET", "wk"),
                    ("GET", "wk"), ("EXEC",), ("MULTI",), ("INCR", "wk"), ("INCR", "probe"),
                    ("EXEC",), ("MULTI",), ("SET", "{a}x", "1"), ("SET", "{b}x", "1"), ("EXEC",),
                    ("WATCH", "wk"), ("FLUSHALL",), ("MULTI",), ("EXEC",)]:
            p.same(*cmd)

    def test_blocking_pop(self):
        p, other = self.pair(), self.pair()
        if p.s.call("LLEN", "probe").startswith(b"-ERR unknown"):
            self.skipTest("list commands not in this build")
        for c in (p.s, p.r):
            c.send_raw(harness.encode_command("BLPOP", "bq", "0") + b"PING\r\n")
        other.same("RPUSH", "bq", "a", "b")
        p.same_read()
        p.same_read()
        p.same("BLPOP", "bq", "0")
        p.same("BLPOP", "bq", "0.05")
        p.same("MULTI")
        p.same("BLPOP", "bq", "0")
        p.same("EXEC")


class ShardAuth(unittest.TestCase):
    def test_requirepass(self):
        with shard_server("--requirepass", "pw") as (sp, _), \
                redis_node("--requirepass", "pw") as (rp, _):
            p = Pair(self, sp, rp)
            try:
                for cmd in [("PING",), ("GET", "x"), ("CLIENT", "ID"), ("AUTH", "bad"),
                            ("AUTH", "default", "bad"), ("HELLO", "3"),
                            ("HELLO", "2", "AUTH", "default", "bad"), ("NOSUCH",),
                            ("MULTI",), ("AUTH", "pw"), ("PING",), ("AUTH", "default", "pw"),
                            ("RESET",), ("PING",), ("HELLO", "2", "AUTH", "default", "pw",
                                                     "SETNAME", "x")]:
                    if cmd[0] == "HELLO" and len(cmd) > 3 and cmd[4] == "pw":
                        a, b = p.run(*cmd)
                        self.assertEqual(a[:20], b[:20])
                        continue
                    p.same(*cmd)
            finally:
                p.close()
            big = b"*11\r\n"
            with harness.RawClient(sp) as s, harness.RawClient(rp) as r:
                s.send_raw(big)
                r.send_raw(big)
                self.assertEqual(s.read_until_eof(), r.read_until_eof())
            with harness.RawClient(sp) as s, harness.RawClient(rp) as r:
                data = b"*1\r\n$20000\r\n"
                s.send_raw(data)
                r.send_raw(data)
                self.assertEqual(s.read_until_eof(), r.read_until_eof())


class ShardProcess(unittest.TestCase):
    def test_sigterm_stops_cleanly(self):
        with shard_server("--appendonly", "no") as (port, proc):
            with harness.RawClient(port) as c:
                self.assertEqual(c.call("PING"), b"+PONG\r\n")
                proc.signal(harness.signal.SIGTERM)
                proc.proc.wait(10)
                self.assertEqual(proc.proc.returncode, 0)
                self.assertIn("scheduling shutdown", proc.output())

    def test_help_and_bad_flags(self):
        out = subprocess.run([harness.binary("shard"), "--help"], capture_output=True, timeout=10)
        self.assertEqual(out.returncode, 0)
        self.assertIn(b"--port", out.stdout)
        bad = subprocess.run([harness.binary("shard"), "--prot", "1"], capture_output=True,
                             timeout=10)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn(b"--port", bad.stderr)

    def test_port_in_use(self):
        with shard_server("--appendonly", "no") as (port, _):
            with tempfile.TemporaryDirectory(prefix="shard-in-use-") as workdir:
                out = subprocess.run([harness.binary("shard"), "--port", str(port), "--appendonly",
                                      "no", "--dir", workdir], capture_output=True, timeout=10)
            self.assertNotEqual(out.returncode, 0)
            self.assertIn(b"in use", out.stderr)


class ShardRealClients(unittest.TestCase):
    def test_redis_cli(self):
        with shard_server() as (port, _):
            def cli(*args):
                return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                                      timeout=10, check=True).stdout

            self.assertEqual(cli("PING"), b"PONG\n")
            self.assertEqual(cli("ECHO", "hi there"), b"hi there\n")
            self.assertIn(b"cluster_enabled:1", cli("INFO", "cluster"))
            self.assertIn(b"redis_version:7.0.15", cli("INFO"))
            self.assertEqual(cli("-3", "CLIENT", "GETNAME"), b"\n")
            self.assertEqual(cli("CONFIG", "GET", "databases"), b"databases\n16\n")
            self.assertEqual(cli("COMMAND", "COUNT"), b"240\n")

    def test_redis_py(self):
        import redis
        with shard_server() as (port, _):
            r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
            self.assertTrue(r.ping())
            self.assertEqual(r.echo("x"), b"x")
            self.assertTrue(r.client_setname("py"))
            self.assertEqual(r.client_getname(), "py")
            self.assertEqual(r.info()["redis_version"], "7.0.15")
            self.assertEqual(r.info("cluster")["cluster_enabled"], 1)
            self.assertEqual(r.config_get("maxmemory"), {"maxmemory": "0"})
            self.assertEqual(r.dbsize(), 0)
            pipe = r.pipeline(transaction=True)
            pipe.ping()
            pipe.echo("a")
            self.assertEqual(pipe.execute(), [True, b"a"])
            ps = r.pubsub()
            ps.subscribe("ch")
            msg = ps.get_message(timeout=5)
            self.assertEqual(msg["type"], "subscribe")
            self.assertEqual(r.publish("ch", "hello"), 1)
            msg = ps.get_message(timeout=5)
            self.assertEqual(msg["data"], b"hello")
            ps.close()
            self.assertGreaterEqual(len(r.client_list()), 1)
            r.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
