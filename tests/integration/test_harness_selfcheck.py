"""Checks the integration harness itself against real Redis: a standalone server answers through
RawClient with exact bytes, and a three-master Redis Cluster builds and serves every slot."""

import sys
import unittest

sys.path.insert(0, __import__("os").path.dirname(__file__))
import harness  # noqa: E402


class HarnessSelfCheck(unittest.TestCase):
    def test_reply_framing(self):
        cases = [b"+OK\r\n", b"$-1\r\n", b"*2\r\n$1\r\na\r\n:1\r\n", b"%1\r\n+k\r\n,1.5\r\n",
                 b"|1\r\n+a\r\n:1\r\n$1\r\nx\r\n", b"*-1\r\n", b"_\r\n"]
        for reply in cases:
            self.assertEqual(harness.reply_end(reply + b"+NEXT\r\n"), len(reply), reply)
            self.assertIsNone(harness.reply_end(reply[:-1]), reply)

    def test_standalone_exact_bytes(self):
        with harness.redis_server() as (port, _proc):
            with harness.RawClient(port) as c:
                self.assertEqual(c.call("SET", "k", "v"), b"+OK\r\n")
                self.assertEqual(c.call("GET", "k"), b"$1\r\nv\r\n")
                self.assertEqual(c.call("GET", "missing"), b"$-1\r\n")
                c.send_raw(b"*1\r\n$1x\r\n")
                self.assertEqual(c.read_until_eof(),
                                 b"-ERR Protocol error: invalid bulk length\r\n")

    def test_cluster_covers_all_slots(self):
        with harness.redis_cluster(3) as ports:
            with harness.RawClient(ports[0]) as c:
                info = c.call("CLUSTER", "INFO")
                self.assertIn(b"cluster_slots_assigned:16384", info)
                self.assertIn(b"cluster_size:3", info)
                reply = c.call("GET", "foo")  # slot 12182: on the third master
                self.assertTrue(reply.startswith(b"-MOVED 12182 127.0.0.1:"), reply)


if __name__ == "__main__":
    unittest.main(verbosity=2)
