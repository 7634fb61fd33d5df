#!/usr/bin/env python3
"""Side by side: the daemon's replay (recd-bench --replay-outcomes) and the
offline one (recd-eval --replay-outcomes) of the same held-out log.

  replay_compare.py DAEMON.tsv OFFLINE.tsv [K]

Each file has one line per event of the log, in log order:
user, item, arm, rank (-1: a miss; "error": the ask got no answer). Per arm,
prints HR@K and NDCG@K of each with its standard error (binomial for HR,
sample for NDCG), their difference, and whether it is within sampling error:
|diff| <= 2 x the combined SE, sqrt(se_daemon^2 + se_offline^2) (the two
treated as independent samples: conservative, as both score the same
events). Then how many events got the same rank from both.
"""
import math
import sys


def read(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def score(rows, k):
    """(asked, HR, HR SE, NDCG, NDCG SE) of the answered rows."""
    gains = [0.0 if r[3] == "-1" or int(r[3]) >= k else 1 / math.log2(int(r[3]) + 2) for r in rows if r[3] != "error"]
    n = len(gains)
    if n == 0:
        return 0, 0.0, 0.0, 0.0, 0.0
    hr = sum(1 for g in gains if g > 0) / n
    ndcg = sum(gains) / n
    var = sum((g - ndcg) ** 2 for g in gains) / (n - 1) if n > 1 else 0.0
    return n, hr, math.sqrt(hr * (1 - hr) / n), ndcg, math.sqrt(var / n)


def verdict(diff, se_a, se_b):
    combined = math.hypot(se_a, se_b)
    return combined, ("within" if abs(diff) <= 2 * combined else "OUTSIDE")


def main():
    daemon, offline = read(sys.argv[1]), read(sys.argv[2])
    k = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    if len(daemon) != len(offline):
        print(f"the two files cover different logs: {len(daemon)} vs {len(offline)} events")
        return 1
    arms = sorted({r[2] for r in daemon + offline if r[3] != "error"})
    groups = [(arm, [r for r in daemon if r[2] == arm], [r for r in offline if r[2] == arm]) for arm in arms]
    if len(arms) > 1:
        groups.append(("all", daemon, offline))
    print(f"{'arm':<12} {'metric':<8} {'daemon':>17} {'offline':>17} {'diff':>8} {'2xSE':>7}  within sampling error?")
    for arm, a, b in groups:
        na, hra, hra_se, nda, nda_se = score(a, k)
        nb, hrb, hrb_se, ndb, ndb_se = score(b, k)
        for metric, x, xs, y, ys in ((f"HR@{k}", hra, hra_se, hrb, hrb_se), (f"NDCG@{k}", nda, nda_se, ndb, ndb_se)):
            combined, ok = verdict(x - y, xs, ys)
            print(f"{arm or '(none)':<12} {metric:<8} {x:8.4f} +- {xs:.4f} {y:8.4f} +- {ys:.4f} {x - y:+8.4f} "
                  f"{2 * combined:7.4f}  {ok}")
        print(f"{'':<12} {'asked':<8} {na:>17} {nb:>17}")
    both = [(x, y) for x, y in zip(daemon, offline) if x[3] != "error" and y[3] != "error"]
    same = sum(1 for x, y in both if x[2] == y[2] and x[3] == y[3])
    hit_same = sum(1 for x, y in both if (x[3] == "-1") == (y[3] == "-1"))
    errors = sum(1 for x in daemon if x[3] == "error")
    print(f"events answered by both: {len(both)} of {len(daemon)} (daemon errors {errors}); same arm and rank: "
          f"{same}; same hit or miss: {hit_same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
