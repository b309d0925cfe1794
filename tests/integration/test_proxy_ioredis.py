"""ioredis (Node.js, from the npm registry) as a real client: node/ioredis_smoke.js (ready
check, GET/SET, a 100-command pipeline, MULTI/EXEC, BLPOP woken by LPUSH and timing out,
SUBSCRIBE + PUBLISH exactly once) run against a standalone redis-server (the sanity baseline:
every part must pass there), the proxy on its embedded shards, and the proxy in front of a real
3-master Redis Cluster.

The node folder is copied to a temporary directory and installed there with `npm ci` from its
package-lock.json, so the source tree is left alone. node and npm are required: without them,
or without the npm registry, the test fails with a message saying so (deploy/install_deps.sh
installs node and npm; CI machines have them)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_proxy_client as targets  # noqa: E402

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
PARTS = ["connect", "getset", "pipeline", "multi", "blpop", "subscribe"]

# Parts of the smoke that are expected to fail on a proxy target because the proxy feature they
# need has not landed yet. A listed part that passes fails the test ("remove it from here"), so
# this list cannot go stale. Empty means every part must pass on every target.
EXPECTED_FAIL = {
    "embedded": set(),
    "redis-cluster": set(),
}

NETWORK_ERRORS = ("ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET",
                  "ENETUNREACH", "EHOSTUNREACH", "network", "fetch failed", "socket hang up")


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def install(workdir):
    """Copies the node folder to workdir and runs npm ci there. Returns the node binary."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        fail("node and npm are required for this test but were not found on PATH "
             f"(node: {node}, npm: {npm}); install them with deploy/install_deps.sh")
    for name in ("package.json", "package-lock.json", "ioredis_smoke.js"):
        shutil.copy(os.path.join(NODE_DIR, name), workdir)
    try:
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=workdir,
                           capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        fail("`npm ci` did not finish within 240 s: is the npm registry reachable "
             "(npm config get registry)?")
    if r.returncode != 0:
        out = "\n".join((r.stdout + r.stderr).splitlines()[-25:])
        if any(e in out for e in NETWORK_ERRORS):
            registry = subprocess.run([npm, "config", "get", "registry"], capture_output=True,
                                      text=True, timeout=30).stdout.strip()
            fail(f"the npm registry ({registry}) is unreachable, so ioredis cannot be installed "
                 f"(`npm ci` exit {r.returncode}):\n{out}")
        fail(f"`npm ci` failed with exit {r.returncode}:\n{out}")
    return node


def run_smoke(node, workdir, port, label):
    """Runs every part against port. Returns {part: "pass"|"fail"} and prints node's output."""
    try:
        r = subprocess.run([node, "ioredis_smoke.js", "--port", str(port)], cwd=workdir,
                           capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        fail(f"{label}: ioredis_smoke.js did not exit within 90 s")
    print(f"--- ioredis against {label} (exit {r.returncode})")
    print(r.stdout.rstrip())
    if r.stderr.strip():
        print(r.stderr.rstrip())
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        fail(f"{label}: ioredis_smoke.js printed no RESULT line (exit {r.returncode})")
    results = json.loads(lines[-1][len("RESULT "):])
    if sorted(results) != sorted(PARTS):
        fail(f"{label}: parts run {sorted(results)} != {sorted(PARTS)}")
    if (r.returncode == 0) != all(v == "pass" for v in results.values()):
        fail(f"{label}: exit {r.returncode} does not match the results {results}")
    return results


def judge(results, label, expected_fail):
    """Problems with one target's results given the parts expected to fail there."""
    problems = []
    for part in PARTS:
        passed = results[part] == "pass"
        if not passed and part not in expected_fail:
            problems.append(f"{label}: part {part} failed")
        elif passed and part in expected_fail:
            problems.append(f"{label}: part {part} passes now: remove it from EXPECTED_FAIL")
        elif not passed:
            print(f"{label}: part {part} failed as expected (feature not landed yet)")
    return problems


def main():
    workdir = tempfile.mkdtemp(prefix="ioredis-")
    try:
        node = install(workdir)
        problems = []
        with harness.redis_server() as (ref_port, _):
            problems += judge(run_smoke(node, workdir, ref_port, "redis-server"),
                              "redis-server", set())
        with targets.embedded_proxy() as (port, _):
            problems += judge(run_smoke(node, workdir, port, "proxy-embedded"), "embedded",
                              EXPECTED_FAIL["embedded"])
        with targets.cluster_proxy() as (port, _):
            problems += judge(run_smoke(node, workdir, port, "proxy-redis-cluster"),
                              "redis-cluster", EXPECTED_FAIL["redis-cluster"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    assert not problems, "\n".join(problems)
    print("ok")


if __name__ == "__main__":
    main()
