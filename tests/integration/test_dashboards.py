"""The Grafana dashboard against a real Prometheus.

Static checks: the dashboard JSON has a datasource template variable and no hard-coded
datasource uid, unique panel ids, and every metric a panel queries is one of the names in
proxy/src/metrics/README.md. The provisioning files parse and point at the dashboard folder.

Live check: the proxy runs on its embedded default with metrics on; redis-py drives traffic
(including errors); Debian's `prometheus` (temp TSDB, 127.0.0.1, scrape interval 1 s) scrapes
the proxy; every panel query is evaluated through /api/v1/query and must return data.

A panel whose metric the proxy does not export yet (its producer is not wired) is listed and
skipped, not hidden; every other panel must have data. The backend metrics (REQUIRED) are
wired, so their panels are never skipped: a missing one fails, and their scraped values must
show the traffic (round trips and connects per node, open connections per node). When the
proxy serves no /metrics at all, the live part is skipped with a message.
"""

import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

DASH_DIR = os.path.join(harness.SOURCE_DIR, "dashboards")
DASHBOARD = os.path.join(DASH_DIR, "slotproxy.json")
README = os.path.join(harness.SOURCE_DIR, "proxy", "src", "metrics", "README.md")
METRIC_RE = re.compile(r"\b((?:slotproxy|process)_[a-z0-9_]+)\b")
HIST_SUFFIXES = ("_bucket", "_sum", "_count")
# Exported by the proxy's backend side: a panel on them is checked, never skipped.
REQUIRED = {
    "slotproxy_backend_rtt_seconds_bucket", "slotproxy_backend_rtt_seconds_count",
    "slotproxy_backend_rtt_seconds_sum", "slotproxy_backend_connects_total",
    "slotproxy_backend_timeouts_total", "slotproxy_backend_connections",
    "slotproxy_topology_refreshes_total", "slotproxy_redirections_total",
    "slotproxy_tryagain_retries_total",
}


def panel_queries(dashboard):
    """(panel title, expr) for every query of every panel, rows included."""
    out = []
    for panel in dashboard["panels"]:
        for sub in [panel] + panel.get("panels", []):
            for target in sub.get("targets", []):
                out.append((sub["title"], target["expr"]))
    return out


def base_name(metric):
    for suffix in HIST_SUFFIXES:
        if metric.endswith(suffix):
            return metric[: -len(suffix)]
    return metric


def documented_names():
    names = set()
    with open(README) as f:
        for line in f:
            if line.startswith("|"):
                for m in METRIC_RE.findall(line.split("|")[1]):
                    names.add(m)
    return names


def check_static(dashboard):
    text = json.dumps(dashboard)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource", variables
    assert variables["datasource"]["query"] == "prometheus"
    uids = set(re.findall(r'"uid": "([^"]*)"', json.dumps(
        [p.get("datasource") for p in dashboard["panels"]] +
        [t.get("datasource") for p in dashboard["panels"] for t in p.get("targets", [])])))
    assert uids <= {"${datasource}"}, f"hard-coded datasource uid(s): {uids}"
    assert "${datasource}" in text
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    documented = documented_names()
    for title, expr in panel_queries(dashboard):
        for metric in METRIC_RE.findall(expr):
            assert base_name(metric) in documented, (
                f"panel {title!r} queries {metric}, not in proxy/src/metrics/README.md")
    wanted = ["Request rate", "Error rate", "p50", "p99", "p99.9", "Backend round trip",
              "Redirections", "Topology refreshes", "Connections", "Pending", "Shard memory",
              "Shard keys", "CPU", "memory"]
    titles = " | ".join(p["title"] for p in dashboard["panels"])
    for w in wanted:
        assert w in titles, f"no panel for {w!r}"
    try:
        import yaml
    except ImportError:
        print("SKIPPED provisioning YAML parse: python3-yaml not installed")
        return
    with open(os.path.join(DASH_DIR, "provisioning", "datasources", "prometheus.yaml")) as f:
        ds = yaml.safe_load(f)
    assert ds["datasources"][0]["type"] == "prometheus"
    with open(os.path.join(DASH_DIR, "provisioning", "dashboards", "slotproxy.yaml")) as f:
        prov = yaml.safe_load(f)
    assert prov["providers"][0]["type"] == "file"
    assert prov["providers"][0]["options"]["path"].startswith("/var/lib/grafana/dashboards")


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def scraped_samples(metrics_port):
    """(name, labels text, value) for every sample of the proxy's own scrape."""
    out = []
    for line in http_get(f"http://127.0.0.1:{metrics_port}/metrics").splitlines():
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)", line)
        if m and not line.startswith("#"):
            out.append((m.group(1), m.group(2) or "", float(m.group(3))))
    return out


def backend_by_node(samples, name, extra=""):
    """{node: value} of `name`'s samples whose labels contain `extra`."""
    out = {}
    for n, labels, value in samples:
        node = re.search(r'node="([^"]+)"', labels)
        if n == name and node and extra in labels:
            out[node.group(1)] = out.get(node.group(1), 0.0) + value
    return out


def check_backend_values(metrics_port):
    """The traffic shows in the backend figures of every embedded shard."""
    samples = scraped_samples(metrics_port)
    rtt = backend_by_node(samples, "slotproxy_backend_rtt_seconds_count")
    connects = backend_by_node(samples, "slotproxy_backend_connects_total", 'result="ok"')
    open_conns = backend_by_node(samples, "slotproxy_backend_connections")
    timeouts = backend_by_node(samples, "slotproxy_backend_timeouts_total")
    assert len(rtt) == 3 and all(v > 0 for v in rtt.values()), rtt
    assert set(connects) == set(rtt) and all(v >= 1 for v in connects.values()), connects
    assert set(open_conns) == set(rtt) and all(v >= 1 for v in open_conns.values()), open_conns
    assert all(v == 0 for v in timeouts.values()), timeouts
    triggers = {re.search(r'trigger="([^"]+)"', labels).group(1)
                for n, labels, _ in samples if n == "slotproxy_topology_refreshes_total"}
    assert triggers == {"moved", "periodic", "connection_lost", "clusterdown", "startup"}, triggers
    print(f"backend figures: {len(rtt)} nodes, round trips {int(sum(rtt.values()))}, "
          f"open connections {int(sum(open_conns.values()))}")


def scraped_names(metrics_port):
    """Metric names with at least one sample in the proxy's own scrape."""
    names = set()
    for line in http_get(f"http://127.0.0.1:{metrics_port}/metrics").splitlines():
        if line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, 1)[0])
    return names


def drive_traffic(port, stop):
    import redis
    r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
    i = 0
    while not stop.is_set():
        pipe = r.pipeline(transaction=False)
        for j in range(20):
            k = f"dash:{i}:{j}"
            pipe.set(k, "v")
            pipe.get(k)
            pipe.incr(f"dash:counter:{j}")
        pipe.mget([f"dash:{i}:{j}" for j in range(5)])
        pipe.execute()
        try:
            r.incr(f"dash:{i}:0")  # "value is not an integer": an error reply
        except redis.ResponseError:
            pass
        i += 1
        time.sleep(0.02)
    r.close()


def start_prometheus(workdir, metrics_port):
    prom_port = harness.free_port()
    config = os.path.join(workdir, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                "scrape_configs:\n"
                "  - job_name: slotproxy\n"
                f"    static_configs: [{{targets: ['127.0.0.1:{metrics_port}']}}]\n")
    proc = harness.Process(
        ["prometheus", f"--config.file={config}",
         f"--storage.tsdb.path={os.path.join(workdir, 'tsdb')}",
         f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
        cwd=workdir, log_name="prometheus")
    return proc, prom_port


def query(prom_port, expr):
    url = (f"http://127.0.0.1:{prom_port}/api/v1/query?" +
           urllib.parse.urlencode({"query": expr}))
    body = json.loads(http_get(url))
    assert body["status"] == "success", body
    return body["data"]["result"]


def has_data(result):
    for series in result:
        value = float(series["value"][1])
        if not math.isnan(value):
            return True
    return False


def check_live(dashboard):
    workdir = tempfile.mkdtemp(prefix="dashboards-")
    port, metrics_port = harness.free_port(), harness.free_port()
    config = os.path.join(workdir, "proxy.yaml")
    with open(config, "w") as f:
        f.write(f"listen: 127.0.0.1:{port}\nworkers: 2\n"
                f"embedded: {{shards: 3, data_dir: {workdir}/data, appendfsync: 'no'}}\n"
                f"metrics: {{listen: 127.0.0.1:{metrics_port}}}\n"
                f"slowlog: {{threshold: 0}}\n")
    stop = threading.Event()
    try:
        with harness.Process([harness.binary("proxy"), "-c", config], cwd=workdir,
                             log_name="proxy") as proxy:
            harness.wait_until(lambda: harness.ping_ok(port), timeout=20, what="proxy up")
            try:
                scraped_names(metrics_port)
            except (urllib.error.URLError, OSError) as e:
                print(f"SKIPPED live dashboard check: the proxy serves no /metrics yet ({e})")
                return
            traffic = threading.Thread(target=drive_traffic, args=(port, stop))
            traffic.start()
            try:
                prom, prom_port = start_prometheus(workdir, metrics_port)
                with prom:
                    harness.wait_until(
                        lambda: "Ready" in http_get(f"http://127.0.0.1:{prom_port}/-/ready"),
                        timeout=30, what="prometheus ready")
                    evaluate_panels(dashboard, metrics_port, prom_port)
                    assert proxy.alive()
            finally:
                stop.set()
                traffic.join(15)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def evaluate_panels(dashboard, metrics_port, prom_port):
    harness.wait_until(lambda: query(prom_port, "up") and
                       float(query(prom_port, "up")[0]["value"][1]) == 1.0,
                       timeout=30, what="prometheus scraping the proxy")
    time.sleep(3)  # a few scrapes, so rates over 5 s have two samples
    exported = scraped_names(metrics_port)
    pending, waiting = [], []
    for title, expr in panel_queries(dashboard):
        metrics = METRIC_RE.findall(expr)
        missing = [m for m in metrics if m not in exported]
        wired = [m for m in missing if m in REQUIRED]
        assert not wired, f"{title}: the proxy does not export {', '.join(sorted(set(wired)))}"
        if missing:
            waiting.append(f"{title}: {', '.join(sorted(set(missing)))}")
            continue
        pending.append((title, expr.replace("$__rate_interval", "5s")
                        .replace("$instance", ".*")))
    deadline = time.monotonic() + 45
    failures = []
    for title, expr in pending:
        while True:
            if has_data(query(prom_port, expr)):
                break
            if time.monotonic() > deadline:
                failures.append(f"{title}: {expr}")
                break
            time.sleep(0.5)
    print(f"{len(pending)} panel queries returned data")
    check_backend_values(metrics_port)
    if waiting:
        print("SKIPPED panels whose metrics the proxy does not export yet:")
        for w in waiting:
            print("  " + w)
    assert not failures, "panel queries without data:\n  " + "\n  ".join(failures)


def main():
    with open(DASHBOARD) as f:
        dashboard = json.load(f)
    check_static(dashboard)
    if shutil.which("prometheus") is None:
        print("SKIPPED live dashboard check: Debian's prometheus is not installed")
        return
    check_live(dashboard)
    print("ok")


if __name__ == "__main__":
    main()
