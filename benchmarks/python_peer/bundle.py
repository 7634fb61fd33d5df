"""recd's model bundle and ranking maths in plain numpy: the Python peer's core.

Reads a bundle version directory (items.txt, fusion.yaml, one directory per
model with manifest.json and model.safetensors) and scores the whole catalog
for one history with each model, as src/models/*_scorer.cc do, then blends the
scores as src/fusion/fusion_layer.cc does. No candidate stage: every request is
a full scan of the catalog, vectorised with numpy.

A history is a pair of int arrays, oldest event first: dense item ids and
event types (0 view, 1 cart, 2 purchase). Everything here is read-only after
load, so one Bundle serves any number of threads.
"""

import json
import os
import struct

import numpy as np
import yaml

VIEW, CART, PURCHASE = 0, 1, 2
_DTYPES = {"F32": np.float32, "I32": np.int32, "F64": np.float64, "I64": np.int64}


def read_safetensors(path):
    """Returns {name: numpy array} and the metadata dict of a safetensors file."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        tensors[name] = np.frombuffer(data, _DTYPES[t["dtype"]], (end - begin) // np.dtype(_DTYPES[t["dtype"]]).itemsize,
                                      begin).reshape(t["shape"])
    return tensors, metadata


def _event_weights(params, prefix):
    """Weight per event type (view, cart, purchase) from manifest params."""
    return np.array([float(params[prefix + t]) for t in ("view", "cart", "purchase")], np.float32)


def _decays(n, decay):
    """decay**a for a = 0..n-1, computed as the C++ loop does (repeated float products)."""
    out = np.empty(n, np.float32)
    w = np.float32(1.0)
    for a in range(n):
        out[a] = w
        w = np.float32(w * np.float32(decay))
    return out


class Csr:
    """A square or rectangular CSR matrix as stored in the bundle (prefix.indptr/.indices/.values)."""

    def __init__(self, tensors, prefix):
        self.indptr = tensors[prefix + ".indptr"].astype(np.int64)
        self.indices = tensors[prefix + ".indices"]
        self.values = tensors[prefix + ".values"]
        # Row of every stored entry, for row-wise sums with np.bincount.
        self.rows = np.repeat(np.arange(len(self.indptr) - 1, dtype=np.int32), np.diff(self.indptr))

    def weighted_rows(self, rows, weights, n):
        """sum_r weights[r] * row(rows[r]) as a dense vector of length n."""
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        lengths = ends - starts
        if lengths.sum() == 0:
            return np.zeros(n, np.float32)
        # Positions of every entry of the selected rows, in one gather.
        pos = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        contrib = self.values[pos] * np.repeat(weights, lengths)
        return np.bincount(self.indices[pos], contrib, minlength=n).astype(np.float32)


class Pop:
    def __init__(self, t, m):
        self.scores = t["scores"]

    def score(self, items, types):
        return self.scores


class Mf:
    """Matrix factorisation: fold the history in by one implicit-ALS least-squares solve, score Y x."""

    def __init__(self, t, m):
        p = m["params"]
        self.y = t["item_factors"]
        # Scores as x @ Y^T over a contiguous Y^T: BLAS's fast gemv direction
        # (2x faster than Y @ x here with OpenBLAS).
        self.y_t = np.ascontiguousarray(self.y.T)
        self.alpha = np.float32(p["alpha"])
        self.reg = np.float32(p["regularization"])
        self.decay = np.float32(p["recency_decay"])
        self.weights = _event_weights(p, "weight_")
        # Y^T Y depends only on the model: paid once here, as the C++ scorer does.
        self.gram = self.y.T.astype(np.float64) @ self.y.astype(np.float64)

    def score(self, items, types):
        f = self.y.shape[1]
        if len(items) == 0:
            return np.zeros(len(self.y), np.float32)
        # Newest event weighs 1, each older one decay times less.
        w = _decays(len(items), self.decay)[::-1] * self.weights[types]
        uniq, inverse = np.unique(items, return_inverse=True)
        conf = 1.0 + self.alpha * np.bincount(inverse, w).astype(np.float32)
        yu = self.y[uniq].astype(np.float64)
        a = self.gram + self.reg * np.eye(f) + (yu.T * (conf - 1.0)) @ yu
        x = np.linalg.solve(a, yu.T @ conf).astype(np.float32)
        return x @ self.y_t


class Content:
    """TF-IDF content: a unit-length token profile of the recent items, cosine to every item plus a prior."""

    def __init__(self, t, m):
        p = m["params"]
        self.items = Csr(t, "item_vectors")
        self.prior = t["prior"]
        self.prior_weight = np.float32(p["prior_weight"])
        self.decay = np.float32(p["recency_decay"])
        self.history_items = int(m["dims"]["history_items"])
        self.num_tokens = int(m["dims"]["num_tokens"])
        self.weights = _event_weights(p, "event_weight_")

    def score(self, items, types):
        n = len(self.prior)
        take = len(items) if self.history_items == 0 else min(len(items), self.history_items)
        recent = items[::-1][:take]
        w = _decays(take, self.decay) * self.weights[types[::-1][:take]]
        profile = self.items.weighted_rows(recent, w, self.num_tokens)
        norm2 = np.dot(profile.astype(np.float64), profile)
        if norm2 > 0:
            profile = profile * np.float32(1.0 / np.sqrt(norm2))
        scores = np.bincount(self.items.rows, self.items.values * profile[self.items.indices], minlength=n)
        return (self.prior_weight * self.prior + scores.astype(np.float32)) if self.prior_weight != 0 else \
            scores.astype(np.float32)


class ItemItem:
    """kNN similarities or Markov transitions: decayed sum of the recent items' rows plus a prior."""

    def __init__(self, t, m, matrix, with_event_weights):
        p = m["params"]
        self.matrix = Csr(t, matrix)
        self.prior = t["prior"]
        self.prior_weight = np.float32(p["prior_weight"])
        self.decay = np.float32(p["recency_decay"])
        self.history_items = int(m["dims"]["history_items"])
        self.weights = _event_weights(p, "event_weight_") if with_event_weights else None

    def score(self, items, types):
        n = len(self.prior)
        take = len(items) if self.history_items == 0 else min(len(items), self.history_items)
        w = _decays(take, self.decay)
        if self.weights is not None:
            w = w * self.weights[types[::-1][:take]]
        keep = w != 0
        sums = self.matrix.weighted_rows(items[::-1][:take][keep], w[keep], n)
        return sums + self.prior_weight * self.prior if self.prior_weight != 0 else sums


class Lstm:
    """PyTorch-layout one-layer LSTM over the last max_len items; scores = output layer of the last hidden state."""

    def __init__(self, t, m):
        self.max_len = int(m["dims"]["max_len"])
        self.emb = t["item_embedding.weight"]
        self.w_ih = t["lstm.weight_ih_l0"]
        self.w_hh = t["lstm.weight_hh_l0"]
        self.bias = t["lstm.bias_ih_l0"] + t["lstm.bias_hh_l0"]
        self.out_w_t = np.ascontiguousarray(t["output.weight"].T)  # see Mf.y_t
        self.out_b = t["output.bias"]

    def score(self, items, types):
        hd = self.w_hh.shape[1]
        h = np.zeros(hd, np.float32)
        c = np.zeros(hd, np.float32)
        seq = items[-self.max_len:]
        # Input projections of every step in one GEMM; only the recurrence is a loop.
        xs = self.emb[seq] @ self.w_ih.T + self.bias
        for x in xs:
            z = x + self.w_hh @ h
            i = 1.0 / (1.0 + np.exp(-z[:hd]))
            f = 1.0 / (1.0 + np.exp(-z[hd:2 * hd]))
            g = np.tanh(z[2 * hd:3 * hd])
            o = 1.0 / (1.0 + np.exp(-z[3 * hd:]))
            c = f * c + i * g
            h = o * np.tanh(c)
        return h @ self.out_w_t + self.out_b


_LOADERS = {
    "pop": Pop,
    "mf": Mf,
    "content": Content,
    "lstm": Lstm,
    "knn": lambda t, m: ItemItem(t, m, "similarities", True),
    "markov": lambda t, m: ItemItem(t, m, "transitions", False),
}


def newest_version(root):
    """The bundle dir to serve: root itself if it holds items.txt, else its highest numbered version."""
    if os.path.exists(os.path.join(root, "items.txt")):
        return root
    versions = [d for d in os.listdir(root) if d.isdigit() and os.path.exists(os.path.join(root, d, "items.txt"))]
    if not versions:
        raise FileNotFoundError(f"{root}: no bundle version (N/items.txt)")
    return os.path.join(root, max(versions, key=int))


class Fusion:
    """Weighted-sum or reciprocal-rank fusion with per-history-length segments (fusion.yaml / config fusion:)."""

    def __init__(self, node):
        self.version = str(node.get("version", ""))
        self.method = node.get("method", "weighted_sum")
        self.normalization = node.get("normalization", "zscore")
        self.rrf_k = float(node.get("rrf_k", 60))
        self.weights = {k: float(v) for k, v in node["weights"].items()}
        self.segments = [(int(s["max_history"]), {k: float(v) for k, v in s["weights"].items()})
                         for s in node.get("segments", []) or []]

    def weights_for(self, history_length):
        for max_history, weights in self.segments:
            if history_length <= max_history:
                return weights
        return self.weights

    def normalize(self, raw):
        finite = np.isfinite(raw)
        if not finite.all():  # non-finite scores count as the lowest finite one, as in the daemon
            raw = np.where(finite, raw, np.min(raw[finite], initial=0.0)).astype(np.float32)
        if self.method == "reciprocal_rank" or self.normalization == "rank":
            order = np.argsort(-raw, kind="stable")
            ranks = np.empty(len(raw), np.float64)
            ranks[order] = np.arange(len(raw))
            if self.method == "reciprocal_rank":
                return (1.0 / (self.rrf_k + ranks + 1)).astype(np.float32)
            return (1.0 - ranks / max(len(raw) - 1, 1)).astype(np.float32)
        if self.normalization == "minmax":
            lo, hi = raw.min(), raw.max()
            return (raw - lo) / (hi - lo) if hi > lo else np.zeros_like(raw)
        if self.normalization == "zscore":
            mean = raw.mean(dtype=np.float64)
            sd = np.sqrt(max(0.0, np.mean(np.square(raw, dtype=np.float64)) - mean * mean))
            return ((raw - mean) * (1.0 / sd if sd > 1e-12 else 0.0)).astype(np.float32)
        return raw


class Bundle:
    """Loaded models (in the daemon's order: sorted model directory names), item ids and tuned fusion."""

    def __init__(self, root):
        self.dir = newest_version(root)
        with open(os.path.join(self.dir, "items.txt")) as f:
            self.item_ids = [line.rstrip("\n") for line in f if line.strip()]
        self.index = {item: i for i, item in enumerate(self.item_ids)}
        with open(os.path.join(self.dir, "fusion.yaml")) as f:
            self.fusion = Fusion(yaml.safe_load(f)["fusion"])
        self.version = os.path.basename(self.dir.rstrip("/"))
        self.models = {}
        for name in sorted(os.listdir(self.dir)):
            manifest = os.path.join(self.dir, name, "manifest.json")
            if not os.path.exists(manifest):
                continue
            with open(manifest) as f:
                m = json.load(f)
            tensors, _ = read_safetensors(os.path.join(self.dir, name, "model.safetensors"))
            self.models[m["model_type"]] = _LOADERS[m["model_type"]](tensors, m)

    def rank(self, items, types, k, fusion, banned, explain=False):
        """Top k (item index, fused score, per-model (name, raw, normalized, weight)) of the whole catalog.

        `banned` is an int array of item indices never returned (seen, excluded).
        """
        weights = fusion.weights_for(len(items))
        fused = np.zeros(len(self.item_ids), np.float32)
        parts = []
        for name, model in self.models.items():
            w = weights.get(name, 0.0)
            if w <= 0:
                continue  # unweighted models cost nothing, as in the daemon
            raw = model.score(items, types)
            norm = fusion.normalize(raw)
            fused += np.float32(w) * norm
            parts.append((name, raw, norm, w))
        masked = fused.copy()
        masked[banned] = -np.inf
        k = min(k, len(masked) - len(np.unique(banned)))
        top = np.argpartition(-masked, k - 1)[:k] if k > 0 else np.array([], np.int64)
        # Best first; ties by item index, as the daemon's TopK.
        top = top[np.lexsort((top, -masked[top]))]
        return [(int(i), float(fused[i]),
                 [(n, float(r[i]), float(nm[i]), w) for n, r, nm, w in parts] if explain else [])
                for i in top]
