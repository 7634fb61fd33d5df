#!/usr/bin/env python3
"""CTest entry: the retraining loop (scripts/retrain.sh) against a live recd.

  run_test.py RECD RECD_TRAIN RECD_BENCH RECD_DATAGEN RECD_CLI

Makes a small synthetic shop with recd-datagen, trains version 1 of a bundle
root, and starts recd on it with its store seeded from the log. While
recd-bench sends RecommendItems and RecordEvents open loop, runs retrain.sh
twice on the live store: first with a deliberately worse setting (the
popularity model alone), which the gate must keep back (exit 10, no version
2, recd still on version 1), having read an event recd acknowledged just
before (a new user's); then with the first bundle's settings, which it
must publish as version 2 and recd must pick up. Every call recd answered
meanwhile (its own recd_requests_total) must have been OK.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test_util"))
from recd_daemon import ROOT, Daemon, http_get, wait_for  # noqa: E402

RETRAIN = os.path.join(ROOT, "scripts", "retrain.sh")
# Quick settings: a test, not a benchmark.
TRAIN_FLAGS = ["--models", "mf,knn,markov,pop", "--als-iterations", "4", "--threads", "1"]


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)
    return r.returncode, r.stdout + r.stderr


def versions(root):
    return sorted(int(n) for n in os.listdir(root) if n.isdigit())


def served_version(daemon):
    status, body = http_get(daemon.ops_url("/api/status"))
    return json.loads(body)["bundle_version"].split("+")[0] if status == 200 else None


def calls_by_code(daemon):
    """{(method, code): count} of recd_requests_total from /metrics."""
    calls = {}
    for m in re.finditer(r'^recd_requests_total\{method="(\w+)",code="(\w+)"\} (\S+)$', daemon.scrape(), re.M):
        calls[(m.group(1), m.group(2))] = float(m.group(3))
    return calls


def main():
    recd, train, bench, datagen, cli = sys.argv[1:6]
    tmp = tempfile.mkdtemp(prefix="recd-retrain-test-")
    daemon = load = None
    try:
        data = os.path.join(tmp, "data")
        code, out = run([datagen, "--items", "300", "--users", "400", "--events", "12000", "--seed", "5",
                         "--out", data, "--no-progress"])
        assert code == 0, out
        events, catalog = os.path.join(data, "events.csv"), os.path.join(data, "catalog.jsonl")
        models = os.path.join(tmp, "models")
        code, out = run([train, "--events", events, "--catalog", catalog, "--out", models, "--no-progress"]
                        + TRAIN_FLAGS)
        assert code == 0, out
        assert versions(models) == [1], versions(models)

        daemon = Daemon(recd, tmp, store=f"{{path: store, seed_events: {events}, seed_catalog: {catalog}}}",
                        models=models)
        with open(os.path.join(data, "items.txt"), "w") as f:
            f.write("\n".join(json.loads(line)["item_id"] for line in open(catalog)) + "\n")
        with open(os.path.join(data, "users.txt"), "w") as f:
            f.write("\n".join(f"u{i}" for i in range(400)) + "\n")
        load = subprocess.Popen([bench, "--target", f"127.0.0.1:{daemon.grpc_port}", "--open-loop", "--qps", "40",
                                 "--duration", "600", "--warmup", "0", "--timeout-ms", "5000",
                                 "--users-file", os.path.join(data, "users.txt"),
                                 "--items-file", os.path.join(data, "items.txt"),
                                 "--event-fraction", "0.2"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env = dict(os.environ, RECD_BIN_DIR=os.path.dirname(train))
        store = os.path.join(tmp, "store")

        # A user recd has just acknowledged is in what the retrain reads.
        code, out = run([cli, "--target", f"127.0.0.1:{daemon.grpc_port}", "event", "--user", "newcomer",
                         "--item", open(os.path.join(data, "items.txt")).readline().strip()])
        assert code == 0, out
        code, out = run([RETRAIN, store, models, "0.005", "--", "--models", "pop", "--threads", "1"], env=env)
        print(out)
        assert "store with 401 users" in out, "the acknowledged event of a new user was not read"
        assert code == 10, f"the pop-only bundle was not kept back (exit {code})"
        assert "kept back by the gate" in out, out
        assert versions(models) == [1], f"a rejected bundle was published: {versions(models)}"
        assert not [n for n in os.listdir(models) if n.startswith(".tmp")], os.listdir(models)

        code, out = run([RETRAIN, store, models, "0.05", "--"] + TRAIN_FLAGS, env=env)
        print(out)
        assert code == 0, f"retrain.sh failed (exit {code})"
        assert versions(models) == [1, 2], versions(models)
        wait_for("recd to serve version 2", lambda: served_version(daemon) == "2", 30)
        time.sleep(2)  # calls under version 2 too
        calls = calls_by_code(daemon)
        print(f"recd answered meanwhile: {calls}")
        for method in ("RecommendItems", "RecordEvents"):
            assert calls.get((method, "OK"), 0) > 0, f"no {method} answered: {calls}"
        failed = {k: v for k, v in calls.items() if k[1] != "OK" and v > 0}
        assert not failed, f"calls failed during the retrains: {failed}"
        print("PASS")
        return 0
    except AssertionError as e:
        print(f"FAIL: {e}")
        if daemon is not None:
            print("--- recd log\n" + daemon.log_text())
        return 1
    finally:
        if load is not None and load.poll() is None:
            load.kill()
            load.wait()
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
