"""Operating a shard: the standalone `shard` serves Prometheus /metrics (--metrics-port) with its
keys per slot range, memory, AOF size and fsync latency moving with the writes; SIGTERM logs
Redis's shutdown lines, exits 0 and leaves every acknowledged write in the AOF (a restart
replays them); the proxy's embedded /metrics carries its shards' families once each."""

import os
import re
import shutil
import signal
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.read().decode()


def samples(text, name):
    """{labels-string: value} of every sample of family `name` (not its _bucket/_sum lines)."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^" + re.escape(name) + r"(\{[^}]*\})? (\S+)$", line)
        if m:
            out[m.group(1) or ""] = float(m.group(2))
    return out


def label(labels, key):
    m = re.search(key + r'="([^"]*)"', labels)
    return m.group(1) if m else None


class ShardOps(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="shard-ops-")
        self.port = harness.free_port()
        self.mport = harness.free_port()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self):
        argv = [harness.binary("shard"), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--appendfsync", "always", "--metrics-port", str(self.mport)]
        proc = harness.Process(argv, log_name="shard-ops")
        harness.wait_until(lambda: harness.ping_ok(self.port) or not proc.alive(), timeout=15,
                           what="shard start")
        self.assertTrue(proc.alive(), proc.output())
        return proc

    def test_metrics_follow_writes(self):
        with self.start() as proc:
            with harness.RawClient(self.port) as c:
                for i in range(200):
                    self.assertEqual(c.call("SET", f"k{i}", "v" * 50), b"+OK\r\n")
            shard = f"127.0.0.1:{self.port}"

            def keys_total():
                keys = samples(scrape(self.mport), "slotproxy_shard_keys")
                return sum(v for k, v in keys.items() if label(k, "shard") == shard)

            # The keys gauge is sampled by a 1 s loop timer.
            harness.wait_until(lambda: keys_total() == 200, timeout=10, what="keys gauge")
            text = scrape(self.mport)
            keys = samples(text, "slotproxy_shard_keys")
            self.assertEqual(len(keys), 16, keys)
            self.assertEqual({label(k, "shard") for k in keys}, {shard})
            memory = samples(text, "slotproxy_shard_memory_bytes")
            self.assertGreater(list(memory.values())[0], 0)
            aof = samples(text, "slotproxy_shard_aof_size_bytes")
            self.assertEqual(list(aof.values())[0],
                             os.path.getsize(os.path.join(self.dir, "appendonly.aof")))
            fsyncs = samples(text, "slotproxy_shard_aof_fsync_seconds_count")
            self.assertGreaterEqual(list(fsyncs.values())[0], 200)  # appendfsync always
            self.assertIn("process_resident_memory_bytes", text)
            rewrites = samples(text, "slotproxy_shard_aof_rewrites_total")
            self.assertEqual(rewrites.get('{shard="%s",result="ok"}' % shard), 0, rewrites)
            self.assertEqual(proc.proc.poll(), None)

    def test_sigterm_exits_zero_with_acknowledged_writes_on_disk(self):
        proc = self.start()
        acknowledged = {}
        with harness.RawClient(self.port) as c:
            for i in range(300):
                if c.call("SET", f"key:{i}", f"value-{i}") == b"+OK\r\n":
                    acknowledged[f"key:{i}"] = f"value-{i}"
            proc.signal(signal.SIGTERM)
            rc = proc.proc.wait(15)
        out = proc.output()
        proc.stop()
        self.assertEqual(rc, 0, out)
        self.assertIn("Received SIGTERM scheduling shutdown...", out)
        self.assertIn("ready to exit, bye bye...", out)
        self.assertRegex(out, r"\d+:M \d+ \w+ \d{4} [\d:.]+ \* Ready to accept connections")
        self.assertEqual(len(acknowledged), 300)
        with self.start() as again:
            with harness.RawClient(self.port) as c:
                self.assertEqual(c.call("DBSIZE"), b":300\r\n")
                for key in ("key:0", "key:150", "key:299"):
                    v = acknowledged[key].encode()
                    self.assertEqual(c.call("GET", key), b"$%d\r\n%s\r\n" % (len(v), v))
            again.stop()


class EmbeddedShardMetrics(unittest.TestCase):
    def test_proxy_metrics_include_each_shard_once(self):
        workdir = tempfile.mkdtemp(prefix="proxy-shard-metrics-")
        port, mport = harness.free_port(), harness.free_port()
        cfg = os.path.join(workdir, "proxy.yaml")
        with open(cfg, "w") as f:
            f.write(f"listen: 127.0.0.1:{port}\nworkers: 1\n"
                    f"metrics: {{listen: 127.0.0.1:{mport}}}\n"
                    f"embedded: {{shards: 3, data_dir: {workdir}/data, appendfsync: 'no'}}\n")
        try:
            with harness.Process([harness.binary("proxy"), "-c", cfg], cwd=workdir,
                                 log_name="proxy-shard-metrics") as proc:
                harness.wait_until(lambda: harness.ping_ok(port) or not proc.alive(), timeout=20,
                                   what="embedded proxy")
                self.assertTrue(proc.alive(), proc.output())
                with harness.RawClient(port) as c:
                    for i in range(90):
                        self.assertEqual(c.call("SET", f"e{i}", "v"), b"+OK\r\n")

                def total_keys():
                    return sum(samples(scrape(mport), "slotproxy_shard_keys").values())

                harness.wait_until(lambda: total_keys() == 90, timeout=10, what="shard keys")
                text = scrape(mport)
                shards = {label(k, "shard") for k in samples(text, "slotproxy_shard_keys")}
                self.assertEqual(len(shards), 3, shards)
                self.assertEqual(len(samples(text, "slotproxy_shard_memory_bytes")), 3)
                self.assertEqual(len(samples(text, "slotproxy_shard_aof_size_bytes")), 3)
                types = [line for line in text.splitlines() if line.startswith("# TYPE ")]
                self.assertEqual(len(types), len(set(types)), "a family declared twice")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
