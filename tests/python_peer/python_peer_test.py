"""The Python peer answers RecommendItems like recd on the demo bundle.

    python3 tests/python_peer/python_peer_test.py PATH/TO/recd

Seeds recd and the peer from the same generated event log (seeded, 150
users), starts both on loopback ports with one config that weights all six
demo models, and checks that the peer answers k items, that its top-10 agrees
with recd's (a full scan at 2,000 items) on at least 80% of the items, that a
recorded purchase drops out of both answers, and that session items move both
the same way. Run by CTest through run_test.sh, which skips it when the Python
packages are missing.
"""

import os
import random
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "python_peer"))
import grpc  # noqa: E402
import stubs  # noqa: E402

pb, pb_grpc = stubs.load()
USERS = 150
K = 10
BAR = 0.8


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_events(path, items):
    rng = random.Random(7)
    with open(path, "w") as f:
        f.write("user_id,item_id,event,timestamp\n")
        for u in range(USERS):
            t = 1_700_000_000 + rng.randrange(86400)
            for _ in range(rng.randrange(3, 80)):
                t += rng.randrange(1, 600)
                event = rng.choices(["view", "cart", "purchase"], [0.8, 0.15, 0.05])[0]
                f.write(f"u{u},{rng.choice(items)},{event},{t}\n")


def wait_until_answers(stub, proc, name):
    for _ in range(200):
        if proc.poll() is not None:
            raise SystemExit(f"FAIL: {name} exited with {proc.returncode}")
        try:
            stub.RecommendItems(pb.RecommendRequest(user_id="u0", k=1), timeout=1)
            return
        except grpc.RpcError:
            time.sleep(0.1)
    raise SystemExit(f"FAIL: {name} did not answer within 20 s")


def top(stub, user, **kw):
    return [i.item_id for i in stub.RecommendItems(pb.RecommendRequest(user_id=user, k=K, **kw), timeout=10).items]


def overlap(a, b):
    return len(set(a) & set(b)) / K


def main():
    recd_bin = sys.argv[1]
    failures = []
    with open(os.path.join(ROOT, "models", "demo", "1", "items.txt")) as f:
        items = [line.strip() for line in f if line.strip()]
    with tempfile.TemporaryDirectory(prefix="recd-peer-test-") as tmp:
        write_events(os.path.join(tmp, "events.csv"), items)
        config = os.path.join(tmp, "recd.yaml")
        with open(config, "w") as f:
            # Long budgets: on a loaded machine a model over its budget would be
            # left out of recd's answer, and that answer is another ranking.
            f.write(f"""server: {{default_deadline_ms: 20000}}
store: {{path: store, seed_events: events.csv}}
models: {{path: {os.path.join(ROOT, "models", "demo")}, budget_ms: 20000}}
fusion: {{version: peer-test, normalization: zscore,
          weights: {{content: 0.3, knn: 0.7, lstm: 0.5, markov: 0.2, mf: 1.0, pop: 0.1}}}}
logging: {{level: warn}}
""")
        recd_port, peer_port = free_port(), free_port()
        log = open(os.path.join(tmp, "servers.log"), "w")
        recd = subprocess.Popen([recd_bin, "--config", config, "--listen", f"127.0.0.1:{recd_port}"],
                                stdout=log, stderr=log)
        peer = subprocess.Popen([sys.executable, os.path.join(ROOT, "benchmarks", "python_peer", "peer.py"),
                                 "--config", config, "--listen", f"127.0.0.1:{peer_port}"], stdout=log, stderr=log)
        try:
            recd_stub = pb_grpc.RecommenderStub(grpc.insecure_channel(f"127.0.0.1:{recd_port}"))
            peer_stub = pb_grpc.RecommenderStub(grpc.insecure_channel(f"127.0.0.1:{peer_port}"))
            wait_until_answers(recd_stub, recd, "recd")
            wait_until_answers(peer_stub, peer, "the peer")

            answer = top(peer_stub, "u0")
            if len(answer) != K:
                failures.append(f"the peer answered {len(answer)} items for u0, asked for {K}")

            users = [f"u{u}" for u in range(USERS)] + ["nobody"]
            mean = sum(overlap(top(recd_stub, u), top(peer_stub, u)) for u in users) / len(users)
            print(f"top-{K} agreement over {len(users)} users: {mean:.4f}")
            if mean < BAR:
                failures.append(f"mean top-{K} agreement {mean:.4f} < {BAR}")

            # A purchase of u1's first recommendation: both must drop it and still agree.
            bought = top(recd_stub, "u1")[0]
            event = pb.Event(user_id="u1", item_id=bought, type=pb.PURCHASE)
            for stub in (recd_stub, peer_stub):
                stub.RecordEvents(pb.RecordEventsRequest(events=[event]), timeout=10)
            after_recd, after_peer = top(recd_stub, "u1"), top(peer_stub, "u1")
            if bought in after_peer or bought in after_recd:
                failures.append(f"{bought}, just purchased by u1, is still recommended")
            if overlap(after_recd, after_peer) < BAR:
                failures.append(f"after RecordEvents: recd {after_recd} vs peer {after_peer}")

            # Session items (recent_item_ids) join the history of both.
            session = items[:3]
            mean = sum(overlap(top(recd_stub, u, recent_item_ids=session), top(peer_stub, u, recent_item_ids=session))
                       for u in users[:20]) / 20
            if mean < BAR:
                failures.append(f"with session items: agreement {mean:.4f} < {BAR}")
        finally:
            for proc in (recd, peer):
                proc.terminate()
                proc.wait(timeout=10)
            log.close()
            if failures:
                with open(os.path.join(tmp, "servers.log")) as f:
                    print(f.read()[-3000:])
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
