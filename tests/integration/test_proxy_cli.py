"""The proxy binary's command line: --version, --help, -t on good and bad files, a bad option,
and a listen port already in use (a clear error and a non-zero exit, never a hang)."""

import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def run(*args, cwd=None):
    return subprocess.run([harness.binary("proxy"), *args], capture_output=True, text=True,
                          timeout=30, cwd=cwd)


def main():
    config = os.path.join(harness.SOURCE_DIR, "config", "cluster.yaml")
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("slotproxy "), r
    r = run("--help")
    assert r.returncode == 0 and "--seed" in r.stdout, r
    r = run("-t", "-c", config)
    assert r.returncode == 0, r
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write("listen: 127.0.0.1:notaport\nworkers: -3\n")
    try:
        r = run("-t", "-c", f.name)
        assert r.returncode != 0 and f.name in r.stderr, r
    finally:
        os.unlink(f.name)
    r = run("--prot", "7000")
    assert r.returncode != 0 and "--port" in r.stderr, r
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        workdir = tempfile.mkdtemp(prefix="proxy-cli-")
        r = run("-c", config, "--port", str(port), cwd=workdir)
        assert r.returncode != 0 and "in use" in r.stderr, r
    print("ok")


if __name__ == "__main__":
    main()
