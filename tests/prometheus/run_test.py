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
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALLS = 4
SERIES = 'recd_requests_total{method="RecommendItems",code="OK"}'


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    """(status, body) of a GET; (None, error text) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


def wait_for(what, check, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


class Daemon:
    """recd on the demo bundle with gRPC and the ops listener on free loopback ports."""

    def __init__(self, recd, tmp):
        self.grpc_port, self.ops_port = free_port(), free_port()
        config = os.path.join(tmp, "recd.yaml")
        with open(config, "w") as f:
            f.write(f"server: {{listen: '127.0.0.1:{self.grpc_port}', default_deadline_ms: 5000}}\n"
                    f"ops: {{listen: '127.0.0.1:{self.ops_port}'}}\n"
                    f"store: {{path: store}}\n"
                    f"models: {{path: {ROOT}/models/demo, budget_ms: 5000}}\n"
                    f"logging: {{level: warn}}\n")
        self.log = open(os.path.join(tmp, "recd.log"), "w+")
        self.proc = subprocess.Popen([recd, "--config", config], stdout=self.log, stderr=subprocess.STDOUT)
        wait_for("recd /readyz", lambda: self.proc.poll() is None and
                 http_get(f"http://127.0.0.1:{self.ops_port}/readyz", 1)[0] == 200 or self._died(), 30)

    def _died(self):
        if self.proc.poll() is not None:
            self.log.seek(0)
            raise AssertionError(f"recd exited with {self.proc.returncode}:\n{self.log.read()}")
        return False

    def recommend(self, cli, calls):
        for i in range(calls):
            subprocess.run([cli, "--target", f"127.0.0.1:{self.grpc_port}", "recommend", "--user", f"u{i + 1}",
                            "-k", "5"], check=True, stdout=subprocess.DEVNULL, timeout=10)

    def scrape(self):
        status, body = http_get(f"http://127.0.0.1:{self.ops_port}/metrics")
        assert status == 200, f"/metrics answered {status}: {body}"
        return body

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def sample(text, series):
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split(" ")[-1])
    return None


def check_promtool(daemon, cli, tmp):
    daemon.recommend(cli, CALLS)
    text = daemon.scrape()
    assert sample(text, SERIES) == CALLS, f"{SERIES} is {sample(text, SERIES)}, expected {CALLS}"
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
        daemon = Daemon(recd, tmp)
        (check_promtool if mode == "promtool" else check_prometheus)(daemon, cli, tmp)
        print("PASS")
        return 0
    except AssertionError as e:
        print(f"FAIL: {e}")
        if daemon is not None:
            daemon.log.seek(0)
            print("--- recd log\n" + daemon.log.read())
        return 1
    finally:
        if daemon is not None:
            daemon.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
