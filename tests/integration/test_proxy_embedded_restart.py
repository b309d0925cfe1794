"""Restarting the embedded proxy on the same data_dir: the same fleet gets every key back; a
fleet whose shard count changed refuses to start with a message saying why, instead of routing
slots to shards that no longer run (shrink) or splitting slots two ways (grow)."""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

KEYS = 200


class EmbeddedRestart(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="proxy-embedded-restart-")
        self.port = harness.free_port()

    def tearDown(self):
        shutil.rmtree(self.workdir, ignore_errors=True)

    def config(self, shards):
        path = os.path.join(self.workdir, f"proxy-{shards}.yaml")
        with open(path, "w") as f:
            f.write(f"listen: 127.0.0.1:{self.port}\nworkers: 1\n"
                    f"metrics: {{listen: 127.0.0.1:{harness.free_port()}}}\n"
                    f"embedded: {{shards: {shards}, data_dir: {self.workdir}/data,"
                    f" appendfsync: always}}\n")
        return path

    def start(self, shards):
        return harness.Process([harness.binary("proxy"), "-c", self.config(shards)],
                               cwd=self.workdir, log_name=f"proxy-restart-{shards}")

    def run_until_ready(self, proc):
        harness.wait_until(lambda: harness.ping_ok(self.port) or not proc.alive(), timeout=20,
                           what="embedded proxy")
        self.assertTrue(proc.alive(), proc.output())

    def refused(self, shards):
        """Starts a fleet of `shards` on the data dir; it must exit non-zero. Its output."""
        with self.start(shards) as proc:
            harness.wait_until(lambda: not proc.alive(), timeout=20, what="refused start")
            self.assertNotEqual(proc.proc.returncode, 0, proc.output())
            self.assertFalse(harness.ping_ok(self.port))
            return proc.output()

    def test_changed_shard_count_is_refused_and_the_keys_stay(self):
        with self.start(3) as proc:
            self.run_until_ready(proc)
            with harness.RawClient(self.port) as c:
                for i in range(KEYS):
                    self.assertEqual(c.call("SET", f"k{i}", f"v{i}"), b"+OK\r\n")
            proc.stop()

        shrunk = self.refused(2)
        self.assertIn("shard-2 belongs to shard 2 but the fleet has 2 shard(s)", shrunk)
        self.assertIn("its keys would be unreachable", shrunk)

        grown = self.refused(4)
        self.assertIn("describes a cluster of 3 master(s) but the fleet config has 4", grown)

        with self.start(3) as proc:
            self.run_until_ready(proc)
            with harness.RawClient(self.port) as c:
                self.assertEqual(c.call("DBSIZE"), b":%d\r\n" % KEYS)
                for i in (0, KEYS // 2, KEYS - 1):
                    v = f"v{i}".encode()
                    self.assertEqual(c.call("GET", f"k{i}"), b"$%d\r\n%s\r\n" % (len(v), v))
            proc.stop()


if __name__ == "__main__":
    unittest.main()
