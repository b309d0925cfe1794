"""A live slot move on a real Redis Cluster (`redis-cli --cluster reshard` of 3000 slots) while a
client pipelines writes and reads through the proxy: the client sees zero errors and every key
is readable afterwards (the proxy follows ASK, MOVED and TRYAGAIN itself)."""

import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Process, RawClient, free_port, ping_ok, wait_until  # noqa: E402


def main():
    with harness.redis_cluster(3) as ports:
        port = free_port()
        proxy = Process([harness.binary("proxy"), "--port", str(port), "--seed",
                         f"127.0.0.1:{ports[0]}", "--workers", "2"], log_name="proxy-reshard")
        with proxy:
            wait_until(lambda: ping_ok(port), timeout=15, what="proxy")
            ids = []
            for p in ports:
                with RawClient(p) as c:
                    ids.append(c.call("CLUSTER", "MYID").split(b"\r\n")[1].decode())
            errors = []
            written = {}
            stop = threading.Event()

            def writer():
                n = 0
                with RawClient(port, timeout=30) as c:
                    while not stop.is_set() or n < 20:
                        batch = [f"key:{(n * 50 + i) % 5000}" for i in range(50)]
                        req = b""
                        for i, k in enumerate(batch):
                            req += harness.encode_command("SET", k, f"{n}:{i}")
                            req += harness.encode_command("GET", k)
                        req += harness.encode_command("MGET", *batch[:10])
                        c.send_raw(req)
                        for i, k in enumerate(batch):
                            ok, val = c.read_reply(), c.read_reply()
                            want = f"{n}:{i}".encode()
                            if ok != b"+OK\r\n" or val != b"$%d\r\n%s\r\n" % (len(want), want):
                                errors.append((k, ok, val))
                            written[k] = want
                        m = c.read_reply()
                        if not m.startswith(b"*10\r\n"):
                            errors.append(("MGET", m))
                        n += 1

            t = threading.Thread(target=writer)
            t.start()
            try:
                res = subprocess.run(
                    ["redis-cli", "--cluster", "reshard", f"127.0.0.1:{ports[0]}",
                     "--cluster-from", ids[0], "--cluster-to", ids[1], "--cluster-slots", "3000",
                     "--cluster-yes", "--cluster-pipeline", "100"],
                    capture_output=True, text=True, timeout=300)
                assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
            finally:
                stop.set()
                t.join(120)
            assert not t.is_alive(), "the writer hung"
            assert not errors, errors[:5]
            with RawClient(port) as c:
                for k, want in written.items():
                    got = c.call("GET", k)
                    assert got == b"$%d\r\n%s\r\n" % (len(want), want), (k, got)
            with RawClient(port) as c:
                info = c.call("INFO", "proxy")
            print(f"{len(written)} keys checked; {info!r}"[:400])
            assert proxy.alive()
    print("ok")


if __name__ == "__main__":
    main()
