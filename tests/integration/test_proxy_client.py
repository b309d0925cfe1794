"""Shared targets for the stateful-command tests (test_proxy_resp3_auth, _multi, _blocking,
_pubsub import them): the proxy on its embedded shards and the proxy in front of a real
3-master Redis Cluster. Run as a test itself, it checks CLIENT and RESET through both."""

import contextlib
import os
import shutil
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
    try:
        with proc:
            wait_until(up, timeout=20, what="embedded proxy")
            yield port, [base, base + 1, base + 2]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


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


def client_line(listing, client_id):
    for line in listing.split(b"\n"):
        if line.startswith(b"id=%d " % client_id) or b"\r\nid=%d " % client_id in line:
            return line
    return b""


def check_client(port, shards, label):
    # Several connections land on both workers (SO_REUSEPORT): CLIENT LIST sees all of them.
    clients = [RawClient(port) for _ in range(6)]
    try:
        ids = []
        for i, c in enumerate(clients):
            assert c.call("CLIENT", "SETNAME", f"c{i}") == b"+OK\r\n"
            ids.append(int(c.call("CLIENT", "ID")[1:-2]))
        for c in clients:
            listing = c.call("CLIENT", "LIST")
            for i, cid in enumerate(ids):
                assert b"name=c%d " % i in client_line(listing, cid), (label, i, listing)
        only = clients[0].call("CLIENT", "LIST", "ID", str(ids[3]), str(ids[5]))
        assert only.count(b"id=") == 2, only
        # Flags and counters: pub/sub (P) and MULTI (x) as Redis prints them.
        clients[1].call("SUBSCRIBE", "f1", "f2")
        clients[1].read_reply()
        clients[2].call("MULTI")
        clients[2].call("SET", "k", "v")
        listing = clients[0].call("CLIENT", "LIST")
        assert b" flags=P db=0 sub=2 psub=0 ssub=0 multi=-1 " in client_line(listing, ids[1])
        assert b" flags=x db=0 sub=0 psub=0 ssub=0 multi=1 " in client_line(listing, ids[2])
        assert clients[0].call("CLIENT", "LIST", "TYPE", "pubsub").count(b"id=") == 1
        clients[2].call("DISCARD")
        # CLIENT KILL across workers: by ID, by ADDR (old form), errors as Redis.
        assert clients[0].call("CLIENT", "KILL", "ID", str(ids[4])) == b":1\r\n"
        assert clients[0].call("CLIENT", "KILL", "ID", str(ids[4])) == b":0\r\n"
        addr = client_line(clients[0].call("CLIENT", "LIST"), ids[5]).split(b" ")[1][5:]
        assert clients[0].call("CLIENT", "KILL", addr.decode()) == b"+OK\r\n"
        assert clients[0].call("CLIENT", "KILL", "1.2.3.4:5") == b"-ERR No such client\r\n"
        assert clients[0].call("CLIENT", "KILL", "ID", "0") == (
            b"-ERR client-id should be greater than 0\r\n")
        assert clients[0].call("CLIENT", "KILL", "USER", "nobody") == (
            b"-ERR No such user 'nobody'\r\n")
        for victim in (clients[4], clients[5]):
            try:
                victim.sock.settimeout(5)
                assert victim.read_until_eof() == b""
            except ConnectionError:
                pass
        # SKIPME no: the caller is killed too, after its reply.
        me = clients[3]
        assert me.call("CLIENT", "KILL", "ID", str(ids[3]), "SKIPME", "no") == b":1\r\n"
        assert me.read_until_eof() == b""
    finally:
        for c in clients:
            c.close()
    with RawClient(port) as a:
        # RESET: back to RESP2, no name, out of MULTI and of pub/sub.
        assert a.call("CLIENT", "SETNAME", "alpha") == b"+OK\r\n"
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
