#!/usr/bin/env python3
"""Agreement of two RecommendItems services: the mean share of top-k items they have in common.

    python3 benchmarks/python_peer/agreement.py --a 127.0.0.1:50071 --b 127.0.0.1:50081 --users 2000

Asks both targets for the same users (u0..uN-1, or --users-file) and prints
the mean overlap |top_a & top_b| / k over the users both answered, and the
share of users whose lists are identical in order. Run it against recd
configured for a full scan (candidates.full_scan_max_items above the catalog
size) and a long models.budget_ms (a model over budget is left out of the
answer, which is then another ranking), and the Python peer on the same config to check that both do the same
work (benchmarks/python_peer/agreement.sh starts both).
"""

import argparse
import concurrent.futures
import json
import os
import sys
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stubs  # noqa: E402

pb, pb_grpc = stubs.load()


def top(stub, user, k):
    # recd refuses what it cannot start within max_queue_ms (RESOURCE_EXHAUSTED):
    # a full scan of a large catalog on a busy machine can; ask again.
    for attempt in range(100):
        try:
            response = stub.RecommendItems(pb.RecommendRequest(user_id=user, k=k), timeout=30)
            return [i.item_id for i in response.items], bool(response.degraded) or response.fallback
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or attempt == 99:
                raise
            time.sleep(0.05)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--a", required=True, help="first target, e.g. recd with a full scan")
    parser.add_argument("--b", required=True, help="second target, e.g. the Python peer")
    parser.add_argument("--users", type=int, default=2000, help="users u0..uN-1")
    parser.add_argument("--users-file", help="user ids, one per line (instead of --users)")
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--threads", type=int, default=4, help="calls in flight per target")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    if args.users_file:
        with open(args.users_file) as f:
            users = [line.strip() for line in f if line.strip()]
    else:
        users = [f"u{i}" for i in range(args.users)]
    stub_a = pb_grpc.RecommenderStub(grpc.insecure_channel(args.a))
    stub_b = pb_grpc.RecommenderStub(grpc.insecure_channel(args.b))
    with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
        answers_a = list(pool.map(lambda u: top(stub_a, u, args.k), users))
        answers_b = list(pool.map(lambda u: top(stub_b, u, args.k), users))
    tops_a, tops_b = [t for t, _ in answers_a], [t for t, _ in answers_b]
    # A model left out for its time budget makes a different ranking, not a
    # different implementation: count such answers (give recd a long budget).
    degraded = sum(d for _, d in answers_a) + sum(d for _, d in answers_b)

    overlaps = [len(set(a) & set(b)) / args.k for a, b in zip(tops_a, tops_b)]
    identical = sum(a == b for a, b in zip(tops_a, tops_b))
    result = {"users": len(users), "k": args.k, "mean_overlap": sum(overlaps) / len(overlaps),
              "min_overlap": min(overlaps), "identical_lists": identical / len(users), "degraded_answers": degraded}
    print(f"agreement over {len(users)} users: mean top-{args.k} overlap {result['mean_overlap']:.4f}, "
          f"min {result['min_overlap']:.2f}, identical lists {result['identical_lists']:.4f}, "
          f"degraded or fallback answers {degraded}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
