"""A real recd for the script tests (tests/prometheus, tests/dashboard): the
demo bundle, a store in a temp dir, gRPC and the ops listener on free
loopback ports, started and waited for until /readyz answers 200."""
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
    """recd on the demo bundle (or the bundle root `models`, with the store
    section `store`); raises AssertionError with its log if it exits or is
    not ready within 30 s."""

    def __init__(self, recd, tmp, extra_config="", store="{path: store}", models=None):
        self.grpc_port, self.ops_port = free_port(), free_port()
        config = os.path.join(tmp, "recd.yaml")
        with open(config, "w") as f:
            f.write(f"server: {{listen: '127.0.0.1:{self.grpc_port}', default_deadline_ms: 5000}}\n"
                    f"ops: {{listen: '127.0.0.1:{self.ops_port}'}}\n"
                    f"store: {store}\n"
                    f"models: {{path: {models or ROOT + '/models/demo'}, budget_ms: 5000}}\n"
                    f"logging: {{level: warn}}\n" + extra_config)
        self.log = open(os.path.join(tmp, "recd.log"), "w+")
        self.proc = subprocess.Popen([recd, "--config", config], stdout=self.log, stderr=subprocess.STDOUT)
        wait_for("recd /readyz", lambda: self._died() or http_get(self.ops_url("/readyz"), 1)[0] == 200, 30)

    def _died(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"recd exited with {self.proc.returncode}:\n{self.log_text()}")
        return False

    def ops_url(self, path):
        return f"http://127.0.0.1:{self.ops_port}{path}"

    def log_text(self):
        self.log.seek(0)
        return self.log.read()

    def recommend(self, cli, calls):
        for i in range(calls):
            subprocess.run([cli, "--target", f"127.0.0.1:{self.grpc_port}", "recommend", "--user", f"u{i + 1}",
                            "-k", "5"], check=True, stdout=subprocess.DEVNULL, timeout=10)

    def scrape(self):
        status, body = http_get(self.ops_url("/metrics"))
        assert status == 200, f"/metrics answered {status}: {body}"
        return body

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
