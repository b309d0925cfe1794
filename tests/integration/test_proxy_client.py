"""Shared targets for the stateful-command tests (test_proxy_resp3_auth, _multi, _blocking,
_pubsub import them): the proxy on its embedded shards and the proxy in front of a real
3-master Redis Cluster. Run as a test itself, it checks CLIENT and RESET through both."""

import contextlib
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Process, RawClient, free_port, ping_ok, port_is_free, wait_until  # noqa: E402


def _three_free_ports():
    for _ in range(100):
        p = free_port()
        if p + 2 <= 65535 and port_is_free(p + 1) and port_is_free(p + 2):
            return p
    raise RuntimeError("no three consecutive free ports")


@contextlib.contextmanager
def embedded_proxy(workers=2, extra_yaml=""):
    """The proxy with three in-process shards on known ports. Yields (port, shard_ports)."""
    workdir = tempfile.mkdtemp(prefix="proxy-stateful-")
    base = _three_free_ports()
    port = free_port()
    config = os.path.join(workdir, "proxy.yaml")
    with open(config, "w") as f:
        f.write(f"listen: 127.0.0.1:{port}\nworkers: {workers}\nmode: embedded\n"
                f"embedded:\n  shards: 3\n  base_port: {base}\n  data_dir: data\n"
                f"  appendfsync: \"no\"\nmetrics:\n  listen: 127.0.0.1:0\n{extra_yaml}")
    proc = Process([harness.binary("proxy"), "-c", config], cwd=workdir, log_name="proxy-emb")

    def up():  # PING answers, or NOAUTH when the config asks for a password
        with RawClient(port, timeout=1.0) as c:
            return c.call("PING") in (b"+PONG\r\n", b"-NOAUTH Authentication required.\r\n")
    with proc:
        wait_until(up, timeout=20, what="embedded proxy")
        yield port, [base, base + 1, base + 2]


@contextlib.contextmanager
def cluster_proxy(workers=2, extra=()):
    """The proxy in front of a real Redis Cluster. Yields (port, node_ports)."""
    with harness.redis_cluster() as nodes:
        port = free_port()
        argv = [harness.binary("proxy"), "--port", str(port), "--seed", f"127.0.0.1:{nodes[0]}",
                "--workers", str(workers), *extra]
        with Process(argv, log_name=f"proxy-{port}"):
            wait_until(lambda: ping_ok(port), timeout=15, what=f"proxy on {port}")
            yield port, nodes


def run_on_both(check, workers=2):
    """check(port, shard_ports, label) against the embedded proxy, then the cluster one."""
    with embedded_proxy(workers) as (port, shards):
        check(port, shards, "embedded")
    with cluster_proxy(workers) as (port, nodes):
        check(port, nodes, "redis-cluster")


def shard_clients(shard_ports):
    """Every client line of every shard (CLIENT LIST), as dicts."""
    out = []
    for p in shard_ports:
        with RawClient(p) as c:
            reply = c.call("CLIENT", "LIST")
        text = reply.split(b"\r\n", 1)[1].decode()
        for line in text.strip().splitlines():
            out.append(dict(kv.split("=", 1) for kv in line.split(" ") if "=" in kv))
    return out


def check_client(port, shards, label):
    with RawClient(port) as a, RawClient(port) as b:
        assert a.call("CLIENT", "SETNAME", "alpha") == b"+OK\r\n"
        my_id = int(a.call("CLIENT", "ID")[1:-2])
        info = a.call("CLIENT", "INFO")
        assert b"name=alpha" in info and b"id=%d " % my_id in info, info
        listing = b.call("CLIENT", "LIST")
        assert b"name=alpha" in listing, (label, listing)
        # RESET: back to RESP2, no name, out of MULTI and of pub/sub.
        assert a.call("MULTI") == b"+OK\r\n"
        assert a.call("SET", "reset:k", "1") == b"+QUEUED\r\n"
        assert a.call("RESET") == b"+RESET\r\n"
        assert a.call("EXEC") == b"-ERR EXEC without MULTI\r\n"
        assert a.call("GET", "reset:k") == b"$-1\r\n", label
        assert a.call("CLIENT", "GETNAME") == b"$-1\r\n"
        a.call("SUBSCRIBE", "reset:ch")
        assert a.call("RESET") == b"+RESET\r\n"
        assert a.call("PING") == b"+PONG\r\n"
        # WAIT: the proxy is a master without replicas.
        assert a.call("WAIT", "0", "0") == b":0\r\n"
        assert a.call("CLIENT", "NO-EVICT", "on") == b"+OK\r\n"
    print(label, "client ok")


def main():
    run_on_both(check_client)
    print("ok")


if __name__ == "__main__":
    main()
