#!/usr/bin/env python3
"""CTest entry: recd's ops listener (/metrics) against Prometheus' own tools.

  run_test.py promtool   PATH/TO/recd PATH/TO/recd-cli
      a scrape of a running daemon passes `promtool check metrics`, with no
      lint warning, and counts the RecommendItems calls made;
  run_test.py prometheus PATH/TO/recd PATH/TO/recd-cli
      a real Prometheus server (temp dir, loopback, 1 s scrape interval)
      scrapes recd, and recd_requests_total reads back through its HTTP API
      (/api/v1/query) within 30 s.

Exit 77 = skipped (promtool or prometheus missing: scripts/install-deps.sh).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test_util"))
from recd_daemon import Daemon, free_port, http_get, wait_for  # noqa: E402

CALLS = 4
SERIES = 'recd_requests_total{method="RecommendItems",code="OK"}'
# A shadow that ranks every answer again, so its families are checked too.
SHADOW = "shadow: {name: candidate, fraction: 1.0, fusion: {weights: {knn: 1.0, markov: 1.0}}}\n"


def sample(text, series):
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split(" ")[-1])
    return None


def check_promtool(daemon, cli, tmp):
    daemon.recommend(cli, CALLS)
    text = daemon.scrape()
    assert sample(text, SERIES) == CALLS, f"{SERIES} is {sample(text, SERIES)}, expected {CALLS}"
    for series in ("recd_quarantine_users", 'recd_quarantine_signal_users{signal="swarm"}'):
        assert sample(text, series) == 0, f"{series} is {sample(text, series)}, expected 0 (nothing recorded)"
    sampled = 'recd_shadow_requests_total{shadow="candidate",outcome="sampled"}'
    assert sample(text, sampled) == CALLS, f"{sampled} is {sample(text, sampled)}, expected {CALLS}"
    assert sample(text, 'recd_shadow_info{shadow="candidate",bundle_version="1"}') == 1, "no recd_shadow_info"
    checked = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True,
                             timeout=30)
    print(f"promtool check metrics: exit {checked.returncode} {checked.stdout.strip()} {checked.stderr.strip()}")
    assert checked.returncode == 0, f"promtool failed:\n{checked.stdout}\n{checked.stderr}"
    assert not (checked.stdout + checked.stderr).strip(), f"promtool lint findings:\n{checked.stdout}{checked.stderr}"
    print(f"{len(text)} bytes, {sum(1 for l in text.splitlines() if not l.startswith('#'))} samples: clean")


def check_prometheus(daemon, cli, tmp):
    port = free_port()
    with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
        f.write("global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
                "scrape_configs:\n"
                f"  - job_name: recd\n    static_configs: [{{targets: ['127.0.0.1:{daemon.ops_port}']}}]\n")
    log = open(os.path.join(tmp, "prometheus.log"), "w+")
    proc = subprocess.Popen(["prometheus", f"--config.file={tmp}/prometheus.yml",
                             f"--storage.tsdb.path={tmp}/tsdb", "--storage.tsdb.retention.time=1h",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    try:
        daemon.recommend(cli, CALLS)
        query = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": SERIES})
        got = {}

        def read_back():
            if proc.poll() is not None:
                log.seek(0)
                raise AssertionError(f"prometheus exited with {proc.returncode}:\n{log.read()}")
            status, body = http_get(query, 2)
            if status != 200:
                return False
            result = json.loads(body)["data"]["result"]
            if result:
                got["value"] = float(result[0]["value"][1])
                got["labels"] = result[0]["metric"]
            return got.get("value") == CALLS

        started = time.monotonic()
        try:
            wait_for(f"Prometheus to read {SERIES} == {CALLS}", read_back, 30)
        except AssertionError:
            log.seek(0)
            print(f"last value read: {got}\n--- prometheus log\n{log.read()}")
            raise
        print(f"Prometheus read {SERIES} = {got['value']:.0f} after {time.monotonic() - started:.1f} s; "
              f"labels {got['labels']}")
        assert got["labels"].get("job") == "recd"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    mode, recd, cli = sys.argv[1:4]
    tool = {"promtool": "promtool", "prometheus": "prometheus"}[mode]
    if shutil.which(tool) is None:
        print(f"SKIPPED: needs {tool} (Debian package prometheus; scripts/install-deps.sh)")
        return 77
    tmp = tempfile.mkdtemp(prefix=f"recd-{mode}-test-")
    daemon = None
    try:
        daemon = Daemon(recd, tmp, extra_config=SHADOW if mode == "promtool" else "")
        (check_promtool if mode == "promtool" else check_prometheus)(daemon, cli, tmp)
        print("PASS")
        return 0
    except AssertionError as e:
        print(f"FAIL: {e}")
        if daemon is not None:
            print("--- recd log\n" + daemon.log_text())
        return 1
    finally:
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
