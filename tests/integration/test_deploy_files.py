"""deploy/: every file parses, and ports, paths, config keys and flags agree with config/ and the
binaries. No container engine or Kubernetes runs here; what is checked instead:

- every proxy / shard config in deploy/ (the image's default, the compose files, the
  Kubernetes ConfigMap entries) passes the binaries' own `-t` check;
- Dockerfile: two stages on debian:bookworm-slim, apt packages that exist in Debian's index, a
  runtime stage whose packages provide every shared library the built binaries link, a
  non-root USER, EXPOSEd ports equal to the default config's, COPY sources that exist;
- docker-compose.yml: the shards' static addresses equal the fleet hosts and the proxy's
  seeds, published ports equal the configs' ports, Prometheus scrapes the configs' metrics
  addresses, Grafana mounts the dashboard and provisioning files that exist;
- Kubernetes: seeds equal the shard Services' fixed ClusterIPs, probes hit /readyz and /healthz
  on the metrics port, container ports equal the config's, the StatefulSet has one
  PersistentVolumeClaim mounted at the shard config's dir and one config entry per ordinal;
- systemd unit: `systemd-analyze verify` (when present) reports nothing, ExecStartPre runs the
  config check, ExecReload sends SIGHUP, hardening options as Debian's redis-server unit;
- every flag in any command line above appears in the binary's --help.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

try:
    import yaml
except ImportError:  # deploy/install_deps.sh installs python3-yaml
    print("SKIPPED: python3-yaml is not installed (deploy/install_deps.sh installs it)")
    sys.exit(0)

SRC = harness.SOURCE_DIR
DEPLOY = os.path.join(SRC, "deploy")
BIN_NAMES = {"slotproxy": "proxy", "slotproxy-shard": "shard"}  # installed name -> build target


def read(*parts):
    with open(os.path.join(*parts)) as f:
        return f.read()


def help_text(target):
    r = subprocess.run([harness.binary(target), "--help"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0, r
    return r.stdout


def check_flags(argv, where):
    """Every -flag / --flag of an installed binary's command line is in its --help."""
    if not argv or os.path.basename(argv[0]) not in BIN_NAMES:
        return
    text = help_text(BIN_NAMES[os.path.basename(argv[0])])
    for arg in argv[1:]:
        if arg.startswith("-"):
            flag = arg.split("=", 1)[0]
            assert re.search(r"(^|[\s,])" + re.escape(flag) + r"\b", text), (
                f"{where}: {flag} is not in {argv[0]} --help")


def check_config(kind, text, where):
    """`proxy -t` / `shard -t` on the text; returns the parsed YAML."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
    try:
        r = subprocess.run([harness.binary(kind), "-t", "-c", f.name], capture_output=True,
                           text=True, timeout=20)
    finally:
        os.unlink(f.name)
    assert r.returncode == 0, f"{where}: {kind} -t refused it:\n{r.stdout}{r.stderr}"
    return yaml.safe_load(text)


def port_of(hostport):
    return int(str(hostport).rsplit(":", 1)[1])


def host_of(hostport):
    return str(hostport).rsplit(":", 1)[0]


# ---------------------------------------------------------------------------------------------
# Dockerfile

def dockerfile_instructions():
    text = read(DEPLOY, "Dockerfile").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def apt_packages(run_args):
    m = re.search(r"apt-get install ((?:-\S+\s+)*)(.*?)(?:&&|$)", run_args)
    assert m, run_args
    return [p for p in m.group(2).split() if not p.startswith("-")]


def linked_packages(target):
    """Debian packages providing the shared libraries the built binary links."""
    r = subprocess.run(["ldd", harness.binary(target)], capture_output=True, text=True, timeout=10)
    paths = re.findall(r"=> (/\S+)", r.stdout)
    # usrmerge: ldd says /lib/..., dpkg may know /usr/lib/...; ask for every spelling at once.
    candidates = sorted({c for p in paths for c in (p, "/usr" + p, os.path.realpath(p))})
    q = subprocess.run(["dpkg", "-S", *candidates], capture_output=True, text=True)
    owners = {}
    for line in q.stdout.splitlines():
        pkg, _, path = line.partition(": ")
        owners[path.strip()] = pkg.split(":", 1)[0]
    pkgs = set()
    for p in paths:
        found = [owners[c] for c in (p, "/usr" + p, os.path.realpath(p)) if c in owners]
        assert found, f"no Debian package owns {p} ({target} links it)"
        pkgs.add(found[0])
    return pkgs


def check_dockerfile():
    ins = dockerfile_instructions()
    froms = [rest for word, rest in ins if word == "FROM"]
    assert len(froms) == 2 and all(f.startswith("debian:bookworm-slim") for f in froms), froms
    stages, current = [[], []], -1
    for word, rest in ins:
        if word == "FROM":
            current += 1
        stages[current].append((word, rest))
    installs = [[apt_packages(r) for w, r in st if w == "RUN" and "apt-get install" in r]
                for st in stages]
    build_pkgs = [p for group in installs[0] for p in group]
    runtime_pkgs = [p for group in installs[1] for p in group]
    r = subprocess.run(["apt-cache", "show", "--no-all-versions", *build_pkgs, *runtime_pkgs],
                       capture_output=True, text=True)
    known = set(re.findall(r"^Package: (\S+)$", r.stdout, re.M))
    missing = sorted(set(build_pkgs + runtime_pkgs) - known)
    assert not missing, f"Dockerfile: apt has no package(s) {missing}"
    base = {"libc6", "libgcc-s1", "libstdc++6"}
    for target in ("proxy", "shard"):
        missing = linked_packages(target) - base - set(runtime_pkgs)
        assert not missing, f"Dockerfile runtime stage lacks {sorted(missing)} ({target} links them)"
    users = [rest for word, rest in stages[1] if word == "USER"]
    assert users and users[-1] not in ("root", "0"), users
    assert "useradd" in " ".join(r for w, r in stages[1] if w == "RUN")
    for word, rest in stages[1]:
        if word == "COPY" and "--from" not in rest:
            src = rest.split()[0]
            assert os.path.exists(os.path.join(SRC, src)), f"Dockerfile: COPY {src} missing"
    for word, rest in stages[0]:
        if word == "COPY":
            src = rest.split()[0]
            assert os.path.exists(os.path.join(SRC, src)), f"Dockerfile: COPY {src} missing"
    installed = {}
    for word, rest in stages[1]:
        if word == "COPY" and rest.startswith("--from=build"):
            _, src, dst = rest.split()
            installed[os.path.basename(dst)] = os.path.basename(src)
    assert installed == {"slotproxy": "proxy", "slotproxy-shard": "shard"}, installed
    cmd = [rest for word, rest in stages[1] if word == "CMD"][-1]
    argv = yaml.safe_load(cmd)
    check_flags(argv, "Dockerfile CMD")
    config_path = argv[argv.index("-c") + 1]
    copies = {rest.split()[1]: rest.split()[0] for w, rest in stages[1]
              if w == "COPY" and "--from" not in rest}
    cfg = check_config("proxy", read(SRC, copies[config_path]), "deploy/docker/cluster.yaml")
    exposed = {int(p) for word, rest in stages[1] if word == "EXPOSE" for p in rest.split()}
    assert exposed == {port_of(cfg["listen"]), port_of(cfg["metrics"]["listen"])}, exposed
    assert host_of(cfg["listen"]) == "0.0.0.0" and host_of(cfg["metrics"]["listen"]) == "0.0.0.0"
    default = yaml.safe_load(read(SRC, "config", "cluster.yaml"))
    assert port_of(cfg["listen"]) == port_of(default["listen"])
    assert port_of(cfg["metrics"]["listen"]) == port_of(default["metrics"]["listen"])
    return cfg


# ---------------------------------------------------------------------------------------------
# docker-compose

def check_compose():
    compose = yaml.safe_load(read(DEPLOY, "docker-compose.yml"))
    services = compose["services"]
    base = os.path.join(DEPLOY)

    def mounted(service, target):
        for v in services[service].get("volumes", []):
            src, dst = v.split(":")[:2]
            if dst == target:
                return os.path.normpath(os.path.join(base, src))
        raise AssertionError(f"{service}: nothing mounted at {target}")

    def address(service):
        return services[service]["networks"]["slotproxy"]["ipv4_address"]

    proxy_argv = services["proxy"]["command"]
    check_flags(proxy_argv, "compose proxy")
    proxy_cfg_path = mounted("proxy", proxy_argv[proxy_argv.index("-c") + 1])
    proxy_cfg = check_config("proxy", read(proxy_cfg_path), proxy_cfg_path)
    shard_names = sorted(s for s in services if s.startswith("shard-"))
    assert len(shard_names) == 3, shard_names
    fleet_hosts, shard_metrics = None, []
    for name in shard_names:
        argv = services[name]["command"]
        check_flags(argv, f"compose {name}")
        path = mounted(name, argv[argv.index("-c") + 1])
        cfg = check_config("shard", read(path), path)
        fleet = {n["id"]: f'{n["host"]}:{n["port"]}' for n in cfg["fleet"]}
        assert fleet[cfg["self"]] == f"{address(name)}:{cfg['port']}", (name, fleet)
        if fleet_hosts is None:
            fleet_hosts = sorted(fleet.values())
        assert sorted(fleet.values()) == fleet_hosts, "shards disagree on the fleet"
        assert mounted(name, cfg["dir"]), name  # the data dir is a volume
        shard_metrics.append(f"{address(name)}:{port_of(cfg['metrics']['listen'])}")
    assert sorted(proxy_cfg["seeds"]) == fleet_hosts, (proxy_cfg["seeds"], fleet_hosts)
    published = {int(p.split(":")[1]) for p in services["proxy"]["ports"]}
    assert published == {port_of(proxy_cfg["listen"]), port_of(proxy_cfg["metrics"]["listen"])}
    prom = yaml.safe_load(read(mounted("prometheus", "/etc/prometheus/prometheus.yml")))
    targets = {job["job_name"]: sorted(t for sc in job["static_configs"] for t in sc["targets"])
               for job in prom["scrape_configs"]}
    assert targets["slotproxy"] == [f"{address('proxy')}:{port_of(proxy_cfg['metrics']['listen'])}"]
    assert targets["slotproxy-shard"] == sorted(shard_metrics)
    ds_dir = mounted("grafana", "/etc/grafana/provisioning/datasources")
    ds = yaml.safe_load(read(ds_dir, "prometheus.yaml"))
    assert ds["datasources"][0]["url"] == "http://prometheus:9090"
    assert "9090:9090" in services["prometheus"]["ports"]
    prov = yaml.safe_load(read(mounted("grafana", "/etc/grafana/provisioning/dashboards"),
                               "slotproxy.yaml"))
    dash_dir = prov["providers"][0]["options"]["path"]
    dash_file = mounted("grafana", dash_dir + "/slotproxy.json")
    assert os.path.isfile(dash_file), dash_file
    assert services["proxy"]["build"]["dockerfile"] == "deploy/Dockerfile"


# ---------------------------------------------------------------------------------------------
# Kubernetes

def k8s_objects():
    objs = []
    for name in sorted(os.listdir(os.path.join(DEPLOY, "k8s"))):
        if name.endswith(".yaml") and name != "kustomization.yaml":
            objs += [d for d in yaml.safe_load_all(read(DEPLOY, "k8s", name)) if d]
    kust = yaml.safe_load(read(DEPLOY, "k8s", "kustomization.yaml"))
    for res in kust["resources"]:
        assert os.path.isfile(os.path.join(DEPLOY, "k8s", res)), res
    return objs


def find(objs, kind, name):
    for o in objs:
        if o["kind"] == kind and o["metadata"]["name"] == name:
            return o
    raise AssertionError(f"no {kind} {name}")


def check_k8s():
    objs = k8s_objects()
    for o in objs:
        assert o.get("apiVersion") and o.get("kind") and o["metadata"].get("name"), o
    cm = find(objs, "ConfigMap", "slotproxy-config")["data"]
    proxy_cfg = check_config("proxy", cm["cluster.yaml"], "ConfigMap cluster.yaml")
    deploy = find(objs, "Deployment", "slotproxy")
    pod = deploy["spec"]["template"]["spec"]
    c = pod["containers"][0]
    check_flags(c["command"], "k8s proxy")
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"redis": port_of(proxy_cfg["listen"]),
                     "metrics": port_of(proxy_cfg["metrics"]["listen"])}, ports
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    mount = {m["mountPath"]: m for m in c["volumeMounts"]}
    cfg_path = c["command"][c["command"].index("-c") + 1]
    assert mount[cfg_path]["subPath"] == "cluster.yaml"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["terminationGracePeriodSeconds"] > 5  # above shutdown_timeout
    sts = find(objs, "StatefulSet", "slotproxy-shard")
    spod = sts["spec"]["template"]["spec"]
    sc = spod["containers"][0]
    replicas = sts["spec"]["replicas"]
    command = " ".join(sc["command"])
    m = re.search(r"exec (\S+) -c (\S+)-\$\{HOSTNAME##\*-\}\.yaml", command)
    assert m, command
    check_flags([m.group(1), "-c", "x"], "k8s shard")
    claims = [t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]]
    smounts = {v["name"]: v["mountPath"] for v in sc["volumeMounts"]}
    seeds = []
    for i in range(replicas):
        key = f"shard-{i}.yaml"
        assert m.group(2) == smounts["config"] + "/shard", m.group(2)
        cfg = check_config("shard", cm[key], f"ConfigMap {key}")
        assert smounts[claims[0]] == cfg["dir"], (smounts, cfg["dir"])
        svc = find(objs, "Service", f"slotproxy-shard-{i}")
        assert svc["spec"]["selector"]["statefulset.kubernetes.io/pod-name"] == \
            f"{sts['metadata']['name']}-{i}"
        self_node = [n for n in cfg["fleet"] if n["id"] == cfg["self"]][0]
        assert self_node["host"] == svc["spec"]["clusterIP"], (self_node, svc["spec"])
        assert {p["port"] for p in svc["spec"]["ports"]} >= {cfg["port"]}
        assert len(cfg["fleet"]) == replicas
        seeds.append(f'{svc["spec"]["clusterIP"]}:{cfg["port"]}')
    assert sorted(proxy_cfg["seeds"]) == sorted(seeds), (proxy_cfg["seeds"], seeds)
    assert spod["securityContext"]["runAsNonRoot"] is True
    assert find(objs, "Service", "slotproxy-shard")["spec"]["clusterIP"] == "None"
    find(objs, "Service", "slotproxy")


# ---------------------------------------------------------------------------------------------
# systemd

def unit_entries(text):
    section, out = None, []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out.append((section, key, value))
    return out


def check_systemd(docker_installed_name="slotproxy"):
    path = os.path.join(DEPLOY, "systemd", "slotproxy.service")
    text = read(path)
    entries = unit_entries(text)
    svc = {}
    for section, key, value in entries:
        if section == "Service":
            svc.setdefault(key, []).append(value)
    pre = shlex.split(svc["ExecStartPre"][0])
    start = shlex.split(svc["ExecStart"][0])
    assert os.path.basename(start[0]) == docker_installed_name
    assert pre[0] == start[0] and ("-t" in pre or "--check-config" in pre), pre
    check_flags(pre, "ExecStartPre")
    check_flags(start, "ExecStart")
    assert pre[pre.index("-c") + 1] == start[start.index("-c") + 1] == \
        "/etc/slotproxy/cluster.yaml"
    assert svc["ExecReload"] == ["/bin/kill -HUP $MAINPID"], svc["ExecReload"]
    assert svc["User"][0] not in ("root", "0")
    for key in ("NoNewPrivileges", "PrivateTmp", "PrivateDevices", "ProtectHome",
                "ProtectSystem", "RestrictAddressFamilies", "ProtectKernelTunables",
                "ProtectKernelModules", "ProtectControlGroups", "MemoryDenyWriteExecute",
                "SystemCallFilter", "CapabilityBoundingSet"):
        assert key in svc, f"systemd unit lacks {key}"
    # The config it is shipped with (config/cluster.yaml) keeps its data under a writable dir.
    cfg = yaml.safe_load(read(SRC, "config", "cluster.yaml"))
    data_dir = cfg["embedded"]["data_dir"]
    workdir = svc["WorkingDirectory"][0]
    full = data_dir if data_dir.startswith("/") else os.path.join(workdir, data_dir)
    writable = [p.lstrip("-") for p in svc["ReadWritePaths"]]
    assert any(full.startswith(w) for w in writable), (full, writable)
    stop = svc["TimeoutStopSec"][0]
    assert int(stop) > 5, stop  # above the default shutdown_timeout
    if shutil.which("systemd-analyze") is None:
        print("SKIPPED systemd-analyze verify: not installed")
        return
    with tempfile.TemporaryDirectory() as d:
        unit = os.path.join(d, "slotproxy.service")
        with open(unit, "w") as f:
            f.write(text.replace("/usr/local/bin/slotproxy", harness.binary("proxy")))
        r = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True,
                           timeout=60)
        problems = [l for l in (r.stdout + r.stderr).splitlines()
                    if "slotproxy.service" in l or "Unknown" in l or "Invalid" in l]
        assert r.returncode == 0 and not problems, r.stdout + r.stderr


def main():
    check_dockerfile()
    check_compose()
    check_k8s()
    check_systemd()
    print("ok")


if __name__ == "__main__":
    main()
