"""Shared helpers for integration tests: free loopback ports, real redis-server instances and
clusters from Debian's package, our own binaries, and a raw RESP client that returns the exact
reply bytes (so replies can be compared byte for byte).

Every process started here is stopped by the context manager that started it; every wait loop is
bounded in time.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BUILD_DIR = os.environ.get("SLOTPROXY_BUILD_DIR", os.path.join(os.getcwd(), "build"))
SOURCE_DIR = os.environ.get(
    "SLOTPROXY_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def binary(name):
    """Path of one of our executables (shard, proxy) in the build directory."""
    return os.path.join(BUILD_DIR, "proxy", "src", "bin", name)


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(with_bus=False):
    """A loopback port the OS reports free. with_bus: port+10000 (cluster bus) is free too."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not with_bus:
            return port
        if port + 10000 <= 65535 and port_is_free(port + 10000):
            return port
    raise RuntimeError("no free port found")


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


# ---------------------------------------------------------------------------------------------
# RESP framing (test-side, independent of our C++ parser so it can check it).

def _find_crlf(buf, start):
    end = buf.find(b"\r\n", start)
    return end


def reply_end(buf, pos=0):
    """Returns the index just past one complete RESP2/RESP3 reply starting at pos, or None if
    the buffer does not hold a complete reply yet."""
    if pos >= len(buf):
        return None
    kind = buf[pos:pos + 1]
    eol = _find_crlf(buf, pos)
    if eol < 0:
        return None
    head = buf[pos + 1:eol]
    after = eol + 2
    if kind in (b"+", b"-", b":", b"_", b",", b"#", b"("):
        return after
    if kind in (b"$", b"!", b"="):
        n = int(head)
        if n < 0:
            return after
        return after + n + 2 if len(buf) >= after + n + 2 else None
    if kind in (b"*", b"~", b">", b"%", b"|"):
        n = int(head)
        if n < 0:
            return after
        count = n * 2 if kind in (b"%", b"|") else n
        cur = after
        for _ in range(count):
            cur = reply_end(buf, cur)
            if cur is None:
                return None
        if kind == b"|":  # an attribute is followed by the reply it annotates
            return reply_end(buf, cur)
        return cur
    raise ValueError(f"bad RESP type byte {kind!r} at {pos}")


def encode_command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RawClient:
    """A blocking RESP client that returns raw reply bytes."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def read_reply(self):
        """One complete reply's raw bytes. Raises ConnectionError on EOF."""
        while True:
            end = reply_end(self.buf) if self.buf else None
            if end is not None:
                reply, self.buf = self.buf[:end], self.buf[end:]
                return reply
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by peer")
            self.buf += chunk

    def call(self, *args):
        self.send_raw(encode_command(*args))
        return self.read_reply()

    def read_until_eof(self, timeout=5.0):
        """Everything the peer sends until it closes (bounded by timeout)."""
        self.sock.settimeout(timeout)
        data, self.buf = self.buf, b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("peer did not close the connection")
            if not chunk:
                return data
            data += chunk


def ping_ok(port):
    try:
        with RawClient(port, timeout=1.0) as c:
            return c.call("PING") == b"+PONG\r\n"
    except (OSError, ConnectionError):
        return False


# ---------------------------------------------------------------------------------------------
# Processes

class Process:
    """A child process, stopped (SIGTERM, then SIGKILL) when the context exits."""

    def __init__(self, argv, cwd=None, log_name="proc"):
        self.log = tempfile.NamedTemporaryFile(prefix=f"{log_name}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(argv, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.argv = argv

    def alive(self):
        return self.proc.poll() is None

    def output(self):
        with open(self.log.name, "rb") as f:
            return f.read().decode(errors="replace")

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def stop(self, timeout=10.0):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()

    def kill9(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


@contextlib.contextmanager
def redis_server(*extra, cluster=False):
    """A real redis-server on a free loopback port, persistence off. Yields (port, Process)."""
    port = free_port(with_bus=cluster)
    workdir = tempfile.mkdtemp(prefix="redis-")
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", workdir, "--enable-debug-command", "yes"]
    if cluster:
        argv += ["--cluster-enabled", "yes", "--cluster-config-file",
                 os.path.join(workdir, "nodes.conf"), "--cluster-node-timeout", "2000"]
    argv += list(extra)
    proc = Process(argv, log_name=f"redis-{port}")
    try:
        wait_until(lambda: ping_ok(port), timeout=15, what=f"redis-server on {port}")
        yield port, proc
    finally:
        proc.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def redis_cluster(masters=3):
    """A real Redis Cluster of `masters` masters (no replicas) built with
    `redis-cli --cluster create`. Yields the list of ports."""
    with contextlib.ExitStack() as stack:
        ports = [stack.enter_context(redis_server(cluster=True))[0] for _ in range(masters)]
        addrs = [f"127.0.0.1:{p}" for p in ports]
        subprocess.run(["redis-cli", "--cluster", "create", *addrs, "--cluster-yes"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                       timeout=60)

        def cluster_ok():
            for p in ports:
                with RawClient(p, timeout=1.0) as c:
                    if b"cluster_state:ok" not in c.call("CLUSTER", "INFO"):
                        return False
            return True

        wait_until(cluster_ok, timeout=30, what="cluster_state:ok")
        yield ports
