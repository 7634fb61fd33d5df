#!/usr/bin/env python3
"""CTest entry: recd-eval --replay (offline) agrees with recd-bench --replay
(against a live recd) event by event on a small synthetic log.

  run_test.py RECD RECD_TRAIN RECD_BENCH RECD_DATAGEN RECD_EVAL

Makes a small shop with recd-datagen, holds out its last events (the tail),
trains a bundle on the rest (the head) and starts recd seeded with the head,
with two experiment arms and model budgets far beyond any model's time (so
no model is left out of an answer for being late). recd-bench replays the
tail against it, recd-eval replays it offline from the same config; both
write every event's arm and rank, which must be identical (and
benchmarks/replay_compare.py must say so). A malformed
--replay file must fail recd-eval naming the file and line.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test_util"))
from recd_daemon import Daemon  # noqa: E402

# Quick settings: a test, not a benchmark. The LSTM is in, as its cached
# user states are extended event by event in the daemon (encoded whole offline).
TRAIN_FLAGS = ["--models", "mf,knn,markov,pop,lstm", "--als-iterations", "4", "--epochs", "2", "--threads", "1"]
EXPERIMENTS = ("experiments: {salt: replay-test, arms: [{name: control, share: 0.5}, "
               "{name: cooccur, share: 0.5, fusion: {weights: {knn: 1.0, markov: 1.0}}}]}\n")
TAIL_EVENTS = 400
COMPARE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "benchmarks", "replay_compare.py")


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    return r.returncode, r.stdout + r.stderr


def split(events, head, tail):
    """The last TAIL_EVENTS events by time (whole seconds: no tie is cut) to `tail`."""
    with open(events) as f:
        header, rows = f.readline(), f.readlines()
    times = sorted(int(r.rsplit(",", 1)[1]) for r in rows)
    cut = times[-TAIL_EVENTS]
    with open(head, "w") as h, open(tail, "w") as t:
        h.write(header)
        t.write(header)
        for r in rows:
            (t if int(r.rsplit(",", 1)[1]) >= cut else h).write(r)


def outcomes(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f]


def main():
    recd, train, bench, datagen, evaluate = sys.argv[1:6]
    tmp = tempfile.mkdtemp(prefix="recd-replay-test-")
    daemon = None
    try:
        data = os.path.join(tmp, "data")
        code, out = run([datagen, "--items", "300", "--users", "400", "--events", "12000", "--seed", "7",
                         "--out", data, "--no-progress"])
        assert code == 0, out
        catalog = os.path.join(data, "catalog.jsonl")
        head, tail = os.path.join(tmp, "head.csv"), os.path.join(tmp, "tail.csv")
        split(os.path.join(data, "events.csv"), head, tail)
        models = os.path.join(tmp, "models")
        code, out = run([train, "--events", head, "--catalog", catalog, "--out", models, "--no-progress"]
                        + TRAIN_FLAGS)
        assert code == 0, out

        # The Daemon's model budgets and default deadline are 5 s, thousands of
        # times what a model takes on this shop: no answer leaves a model out.
        daemon = Daemon(recd, tmp, store=f"{{path: store, seed_events: {head}, seed_catalog: {catalog}}}",
                        models=models, extra_config=EXPERIMENTS)
        config = os.path.join(tmp, "recd.yaml")
        online = os.path.join(tmp, "online.tsv")
        code, out = run([bench, "--target", f"127.0.0.1:{daemon.grpc_port}", "--replay", tail, "--qps", "100",
                         "-k", "10", "--timeout-ms", "5000", "--replay-outcomes", online])
        print(out)
        assert code == 0, out

        offline = os.path.join(tmp, "offline.tsv")
        code, out = run([evaluate, "--replay", tail, "--config", config, "--replay-outcomes", offline])
        print(out)
        assert code == 0, out

        a, b = outcomes(online), outcomes(offline)
        assert len(a) == len(b) == TAIL_EVENTS, (len(a), len(b))
        arms = {row[2] for row in a}
        assert arms == {"control", "cooccur"}, arms
        hits = sum(1 for row in a if row[3] not in ("-1", "error"))
        assert hits > 0, "no hit at all: the test would not tell anything"
        differing = [(n, x, y) for n, (x, y) in enumerate(zip(a, b)) if x != y]
        for n, x, y in differing[:20]:
            print(f"event {n}: daemon {x} offline {y}")
        assert not differing, f"{len(differing)} of {len(a)} events differ between the daemon and recd-eval"
        print(f"{len(a)} events, {hits} hits: identical arm and rank for every event")

        # benchmarks/replay.sh's side-by-side table on the same two files.
        code, out = run([sys.executable, COMPARE, online, offline, "10"])
        print(out)
        assert code == 0 and "OUTSIDE" not in out, out
        assert f"same arm and rank: {TAIL_EVENTS}" in out, out

        bad = os.path.join(tmp, "bad.csv")
        with open(bad, "w") as f:
            f.write("user_id,item_id,event,timestamp\nu1,i1,view,100\nu2,i2,teleport,101\n")
        code, out = run([evaluate, "--replay", bad, "--config", config])
        assert code == 1 and f"{bad}:3" in out, f"exit {code}: {out}"
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
