#!/usr/bin/env python3
"""A plain grpcio + numpy implementation of recd's RecommendItems: the baseline recd is compared with.

    python3 benchmarks/python_peer/peer.py --config /work/bench100k/recd.yaml --listen 127.0.0.1:50081

It reads the same config file as recd (store seed events, history length,
bundle root, fusion weights, rules), the same bundle files, and serves the same
proto service (recd.v1.Recommender: RecommendItems and RecordEvents), so
`recd-bench --service recd` drives it unchanged. Histories live in a dict,
seeded from the config's store.seed_events as recd seeds its store (events per
user sorted by time, the last store.history_length kept); RecordEvents appends
to them. Each request scores the whole catalog with every weighted model
(bundle.py), blends, drops seen items and returns the top k: the way a
data-science team would prototype the service, written to be fast in numpy
but with no candidate stage, state cache or other serving machinery.

Not implemented (answered with UNIMPLEMENTED): category / allowed_categories /
in_stock_only filters, SimilarItems and the Admin service.
"""

import argparse
import collections
import concurrent.futures
import os
import sys
import threading
import time
import uuid

# Requests run concurrently on the gRPC thread pool: one BLAS thread each.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import grpc  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle as bundle_lib  # noqa: E402
import stubs  # noqa: E402

pb, pb_grpc = stubs.load()
_TYPES = {"view": 0, "cart": 1, "purchase": 2}
_PROTO_TYPES = {pb.CART: 1, pb.PURCHASE: 2}  # anything else is a view, as in recd


class Config:
    """The parts of recd's config file the peer uses, paths resolved against the file's directory."""

    def __init__(self, path):
        with open(path) as f:
            root = yaml.safe_load(f) or {}
        base = os.path.dirname(os.path.abspath(path))
        resolve = lambda p: p if not p or os.path.isabs(p) else os.path.normpath(os.path.join(base, p))  # noqa: E731
        server, store, models, rules = (root.get(s) or {} for s in ("server", "store", "models", "rules"))
        self.max_k = int(server.get("max_k", 1000))
        self.history_length = int(store.get("history_length", 200))
        self.seed_catalog = resolve(store.get("seed_catalog", ""))
        self.seed_events = resolve(store.get("seed_events", ""))
        self.models_path = resolve(models.get("path", "models"))
        self.fusion = bundle_lib.Fusion(root["fusion"]) if root.get("fusion") else None
        self.exclude_seen = bool(rules.get("exclude_seen", True))
        self.exclude_purchased = bool(rules.get("exclude_purchased", True))


class Histories:
    """User id -> deque of (item id, event type), oldest first, at most `length` events. Thread-safe."""

    def __init__(self, length):
        self.length = length
        self.users = {}
        self.lock = threading.Lock()

    def seed(self, events_csv):
        per_user = collections.defaultdict(list)
        with open(events_csv) as f:
            next(f)  # header: user_id,item_id,event,timestamp
            for line in f:
                user, item, event, ts = line.rstrip("\n").split(",")
                per_user[user].append((int(ts), item, _TYPES[event.lower()]))
        for user, events in per_user.items():
            events.sort(key=lambda e: e[0])  # stable: same-second events keep file order, as recd
            self.users[user] = collections.deque(((i, t) for _, i, t in events[-self.length:]), self.length)
        return sum(len(e) for e in per_user.values())

    def get(self, user):
        with self.lock:
            return list(self.users.get(user, ()))

    def append(self, user, events):
        with self.lock:
            self.users.setdefault(user, collections.deque(maxlen=self.length)).extend(events)


class Recommender(pb_grpc.RecommenderServicer):
    def __init__(self, config, bundle, histories, catalog_ids):
        self.config = config
        self.bundle = bundle
        self.fusion = config.fusion or bundle.fusion
        self.histories = histories
        self.catalog_ids = catalog_ids

    def RecommendItems(self, request, context):
        if not 1 <= request.k <= self.config.max_k:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"k: must be in 1..{self.config.max_k}, got {request.k}")
        f = request.filters
        if request.category or f.allowed_categories or f.in_stock_only:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "the Python peer has no category or stock filters")
        index = self.bundle.index
        history = [(index[i], t) for i, t in self.histories.get(request.user_id) if i in index]
        ignored = [i for i in request.recent_item_ids if i not in index]
        history += [(index[i], 0) for i in request.recent_item_ids if i in index]
        items = np.array([i for i, _ in history], np.int64)
        types = np.array([t for _, t in history], np.int64)
        banned = [index[i] for i in f.exclude_item_ids if i in index]
        if self.config.exclude_seen:
            banned += items.tolist()
        elif f.exclude_purchased or self.config.exclude_purchased:
            banned += items[types == 2].tolist()
        top = self.bundle.rank(items, types, request.k, self.fusion, np.array(banned, np.int64), request.explain)
        response = pb.RecommendResponse(request_id=uuid.uuid4().hex, config_version=self.fusion.version,
                                        ignored_item_ids=ignored)
        for item, score, parts in top:
            out = response.items.add(item_id=self.bundle.item_ids[item], score=score)
            for name, raw, norm, w in parts:
                out.explanation.contributions.add(model=name, raw_score=raw, normalized_score=norm, weight=w,
                                                  contribution=w * norm)
        for name in self.bundle.models:
            response.model_versions[name] = self.bundle.version
        return response

    def RecordEvents(self, request, context):
        index = self.bundle.index
        for n, e in enumerate(request.events):
            if not e.user_id:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"events[{n}].user_id: empty")
            if e.item_id not in index and e.item_id not in self.catalog_ids:
                context.abort(grpc.StatusCode.NOT_FOUND, f"events[{n}].item_id: unknown item '{e.item_id}'")
        for e in request.events:
            self.histories.append(e.user_id, [(e.item_id, _PROTO_TYPES.get(e.type, 0))])
        return pb.RecordEventsResponse(accepted=len(request.events))

    def SimilarItems(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "the Python peer serves RecommendItems and RecordEvents only")


def catalog_item_ids(path):
    if not path:
        return set()
    import json
    with open(path) as f:
        return {json.loads(line)["item_id"] for line in f if line.strip()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="recd's config file (recd.yaml)")
    parser.add_argument("--listen", default="127.0.0.1:50081")
    parser.add_argument("--threads", type=int, default=8, help="gRPC thread pool size")
    args = parser.parse_args()

    start = time.time()
    config = Config(args.config)
    bundle = bundle_lib.Bundle(config.models_path)
    histories = Histories(config.history_length)
    events = histories.seed(config.seed_events) if config.seed_events else 0
    catalog = catalog_item_ids(config.seed_catalog)
    print(f"peer: bundle {bundle.dir} ({len(bundle.item_ids)} items, models {', '.join(bundle.models)}), "
          f"{len(histories.users)} users / {events} events seeded in {time.time() - start:.1f} s", flush=True)

    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=args.threads))
    pb_grpc.add_RecommenderServicer_to_server(Recommender(config, bundle, histories, catalog), server)
    if server.add_insecure_port(args.listen) == 0:
        sys.exit(f"peer: cannot listen on {args.listen}")
    server.start()
    print(f"peer: listening on {args.listen}", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
