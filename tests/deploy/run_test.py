#!/usr/bin/env python3
"""CTest entry: the deployment files agree with recd and with each other.

No container engine or Kubernetes runs here, so this checks what can be
checked without one (scripts/test-image.sh builds and runs the image):
  - every recd config they carry (docker/recd.yaml, docker/recd-cluster.yaml,
    the Kubernetes ConfigMap) passes `recd --check-config`, and a broken copy
    does not;
  - docker/compose.yaml: the Redis nodes recd is given are the cluster's,
    HAProxy's servers are the recd replicas' addresses, every variable the
    HAProxy files use is set, and `haproxy -c` accepts the files with that
    environment;
  - deploy/kubernetes/recd.yaml: probes and Services name ports the container
    declares, the listeners in the ConfigMap are those ports, and the pod
    runs as the image's user;
  - docker/Dockerfile copies nothing that .dockerignore leaves out.

  tests/deploy/run_test.py PATH/TO/recd
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
failures = []


def check(ok, message):
    if not ok:
        failures.append(message)


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def check_config(recd, path, expect_valid=True):
    run = subprocess.run([recd, "--config", path, "--check-config"], capture_output=True, text=True, timeout=30)
    check((run.returncode == 0) == expect_valid,
          f"recd --check-config {path}: exit {run.returncode} ({run.stdout.strip()} {run.stderr.strip()})")
    return run


def port_of(listen):
    return int(listen.rsplit(":", 1)[1])


def check_recd_configs(recd, k8s_config_text, tmp):
    k8s_path = os.path.join(tmp, "k8s-recd.yaml")
    with open(k8s_path, "w") as f:
        f.write(k8s_config_text)
    for path in (os.path.join(ROOT, "docker/recd.yaml"), os.path.join(ROOT, "docker/recd-cluster.yaml"), k8s_path):
        check_config(recd, path)
    # The check can fail: the same cluster config with a misspelt key.
    broken = os.path.join(tmp, "broken.yaml")
    with open(broken, "w") as f:
        f.write(read("docker/recd-cluster.yaml").replace("wait_replicas:", "wait_replica:"))
    run = check_config(recd, broken, expect_valid=False)
    check("wait_replica" in run.stderr, f"the broken config's error does not name the field: {run.stderr.strip()}")


def check_compose(tmp):
    compose = yaml.safe_load(read("docker/compose.yaml"))
    services = compose["services"]
    ip = {name: s["networks"]["recd"]["ipv4_address"] for name, s in services.items()
          if isinstance(s.get("networks"), dict)}
    redis_nodes = sorted(n for n in services if re.fullmatch(r"redis-\d", n))
    replicas = sorted(n for n in services if re.fullmatch(r"recd-\d", n))
    check(len(redis_nodes) == 6, f"compose: {len(redis_nodes)} Redis nodes, want 6 (3 primaries + 3 replicas)")
    check(len(replicas) == 3, f"compose: {len(replicas)} recd replicas, want 3")
    for name in redis_nodes:
        command = services[name]["command"]
        check("--appendfsync always" in command and "--cluster-enabled yes" in command,
              f"compose: {name} is not a cluster node with appendfsync always")
    init = "\n".join(services["redis-cluster-init"]["command"])
    for name in redis_nodes:
        check(f"{ip[name]}:6379" in init, f"compose: redis-cluster-init does not add {name} ({ip[name]})")

    cluster = yaml.safe_load(read("docker/recd-cluster.yaml"))
    for node in cluster["store"]["redis"]["nodes"]:
        check(node.split(":")[0] in {ip[n] for n in redis_nodes}, f"recd-cluster.yaml: node {node} is not a Redis service")
    serve_port = port_of(cluster["server"]["listen"])
    ops_port = port_of(cluster["ops"]["listen"])
    for name in replicas:
        mounts = services[name]["volumes"]
        check(any(m.startswith("./recd-cluster.yaml:/etc/recd/recd.yaml") for m in mounts),
              f"compose: {name} does not mount recd-cluster.yaml as its config")

    haproxy = services["haproxy"]
    env = {k: str(v) for k, v in haproxy["environment"].items()}
    for i, name in enumerate(replicas, 1):
        check(env.get(f"RECD_REPLICA{i}") == f"{ip[name]}:{serve_port}",
              f"compose: RECD_REPLICA{i}={env.get(f'RECD_REPLICA{i}')}, want {name}'s {ip[name]}:{serve_port}")
        check(env.get(f"RECD_REPLICA{i}_OPS") == str(ops_port), f"compose: RECD_REPLICA{i}_OPS is not {ops_port}")
    cfgs = [os.path.join(ROOT, "deploy/haproxy", f) for f in ("recd.cfg", "replicas.cfg")]
    used = set(re.findall(r'"\$\{(\w+)\}"', "".join(read(os.path.relpath(c, ROOT)) for c in cfgs)))
    preset = set(re.findall(r"presetenv (\w+)", read("deploy/haproxy/recd.cfg")))
    for var in sorted(used - preset):
        check(var in env, f"compose: haproxy uses ${{{var}}} but its environment does not set it")
    if shutil.which("haproxy"):
        run = subprocess.run(["haproxy", "-c", "-f", cfgs[0], "-f", cfgs[1]], capture_output=True, text=True,
                             env={**os.environ, **env}, timeout=30)
        check(run.returncode == 0, f"haproxy -c with compose's environment: {run.stdout}{run.stderr}")
    else:
        print("note: haproxy not installed; `haproxy -c` not run")


def check_kubernetes(recd, tmp):
    docs = [d for d in yaml.safe_load_all(read("deploy/kubernetes/recd.yaml")) if d]
    kinds = {d["kind"]: d for d in docs}
    for kind in ("ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy"):
        check(kind in kinds, f"kubernetes: no {kind}")
    config_text = kinds["ConfigMap"]["data"]["recd.yaml"]
    config = yaml.safe_load(config_text)
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    check(ports.get("grpc") == port_of(config["server"]["listen"]), "kubernetes: containerPort grpc is not server.listen's")
    check(ports.get("admin") == port_of(config["admin"]["listen"]), "kubernetes: containerPort admin is not admin.listen's")
    check(ports.get("ops") == port_of(config["ops"]["listen"]), "kubernetes: containerPort ops is not ops.listen's")
    # gRPC health lives on the admin listener when there is one.
    for probe in ("startupProbe", "readinessProbe"):
        check(container[probe].get("grpc", {}).get("port") == ports["admin"],
              f"kubernetes: {probe} does not probe gRPC health on the admin port")
    live = container["livenessProbe"]["httpGet"]
    check(live["path"] == "/healthz" and live["port"] in ports, "kubernetes: livenessProbe is not the ops /healthz")
    for doc in docs:
        if doc["kind"] == "Service":
            for p in doc["spec"]["ports"]:
                check(p["targetPort"] in ports, f"kubernetes: Service {doc['metadata']['name']} targets unknown port {p['targetPort']}")
    uid = re.search(r"useradd [^\n]*--uid (\d+)", read("docker/Dockerfile"))
    check(uid is not None and pod["securityContext"]["runAsUser"] == int(uid.group(1)),
          "kubernetes: runAsUser is not the image's recd uid")
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    check(os.path.dirname(config["server"]["auth"]["tokens_file"]) in mounts, "kubernetes: the tokens file is not mounted")
    check_recd_configs(recd, config_text, tmp)


def check_dockerignore():
    ignore = read(".dockerignore").split("\n")
    kept = [line[1:].rstrip("/") for line in ignore if line.startswith("!")]
    check("*" in ignore, ".dockerignore does not start from excluding everything")
    for line in read("docker/Dockerfile").split("\n"):
        m = re.match(r"COPY (?!--from)(\S+) ", line)
        if m:
            src = m.group(1).rstrip("/")
            check(any(src == k or src.startswith(k + "/") for k in kept), f"Dockerfile copies {src}, which .dockerignore leaves out")
            check(os.path.exists(os.path.join(ROOT, src)), f"Dockerfile copies {src}, which does not exist")


def main():
    recd = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="recd-deploy-test-") as tmp:
        check_compose(tmp)
        check_kubernetes(recd, tmp)
        check_dockerignore()
    for f in failures:
        print(f"FAIL: {f}")
    if failures:
        return 1
    print("deployment files agree with recd and with each other")
    return 0


if __name__ == "__main__":
    sys.exit(main())
