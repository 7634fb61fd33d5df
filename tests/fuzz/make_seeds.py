#!/usr/bin/env python3
"""Writes the binary seed inputs of tests/fuzz/corpus/ (the text seeds are
plain files). Run from the repository root: python3 tests/fuzz/make_seeds.py
Needs protoc (protobuf-compiler) for the request seeds."""

import json
import os
import struct
import subprocess

CORPUS = "tests/fuzz/corpus"
M = (1 << 64) - 1
P1, P2, P3, P4, P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                      0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M


def xxh_round(acc, v):
    return (rotl((acc + v * P2) & M, 31) * P1) & M


def xxh64(data, seed=0):
    """XXH64, as content_hash.cc's HashBytes (manifest checksums)."""
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M]
        while i + 32 <= n:
            for j in range(4):
                v[j] = xxh_round(v[j], struct.unpack_from("<Q", data, i + 8 * j)[0])
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
        for x in v:
            h = ((h ^ xxh_round(0, x)) * P1 + P4) & M
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 8 <= n:
        h ^= xxh_round(0, struct.unpack_from("<Q", data, i)[0])
        h = (rotl(h, 27) * P1 + P4) & M
        i += 8
    if i + 4 <= n:
        h ^= (struct.unpack_from("<I", data, i)[0] * P1) & M
        h = (rotl(h, 23) * P2 + P3) & M
        i += 4
    while i < n:
        h ^= (data[i] * P5) & M
        h = (rotl(h, 11) * P1) & M
        i += 1
    h ^= h >> 33
    h = (h * P2) & M
    h ^= h >> 29
    h = (h * P3) & M
    h ^= h >> 32
    return "%016x" % h


def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape, bytes)] -> file bytes (padded header)."""
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(t[3] for t in tensors)


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def f32(values):
    return struct.pack("<%df" % len(values), *values)


def main():
    scores = f32([5.0, 3.0, 2.0, 1.0])
    pop = [("scores", "F32", [4], scores)]
    write("safetensors", "pop_scores", safetensors(pop))
    write("safetensors", "mixed_dtypes", safetensors([
        ("item_factors", "F32", [3, 2], f32([0.1, -0.2, 0.3, 0.4, -0.5, 0.6])),
        ("offsets", "I64", [4], struct.pack("<4q", 0, 1, 3, 4)),
        ("indices", "I32", [4], struct.pack("<4i", 1, 2, 0, 2)),
        ("empty", "F32", [0, 8], b"")], metadata={"format": "pt"}))
    write("safetensors", "unsupported_f16", safetensors([("w", "F16", [2], b"\x00\x3c\x00\x40")]))

    manifest = {
        "model_type": "pop", "format_version": 1, "num_items": 4, "dims": {},
        "data_hash": "c6f269f55ae7d1b8", "created_at": "2026-11-22T16:36:20Z",
        "metrics": {"valid_HR@10": 0.061, "valid_NDCG@10": None},
        "params": {"items_hash": "096127768fc84342", "event_weight_view": "1",
                   "event_weight_cart": "3", "event_weight_purchase": "5"},
        "tensors": {"scores": {"dtype": "F32", "shape": [4], "checksum": xxh64(scores)}}}
    sep = b"\n--- model.safetensors ---\n"
    write("model_dir", "pop", json.dumps(manifest, indent=2).encode() + sep + safetensors(pop))
    manifest["tensors"]["scores"]["checksum"] = "0000000000000000"
    write("model_dir", "pop_bad_checksum",
          json.dumps(manifest, indent=2).encode() + sep + safetensors(pop))

    # Feature store values (store/value_codec.h): history, item, blob.
    def varint(v):
        out = b""
        while v >= 0x80:
            out += bytes([(v & 0x7F) | 0x80])
            v >>= 7
        return out + bytes([v])

    def zigzag(v):
        return ((v << 1) ^ (v >> 63)) & M

    def lp(s):
        return varint(len(s)) + s

    events = [(b"i17", 0, 1714564800), (b"i1373", 2, 1714564860), (b"i222", 1, 1714564830)]
    history, prev = b"\x01" + varint(len(events)), 0
    for item, kind, ts in events:
        history += lp(item) + bytes([kind]) + varint(zigzag(ts - prev))
        prev = ts
    write("value_codec", "history", history)
    # v2: the same events, then the request ids retries are checked against.
    write("value_codec", "history_v2", b"\x02" + history[1:] + varint(2) + lp(b"req-1") + lp(b"req-2"))
    item = (b"\x01\x01" + struct.pack("<f", 12.5) + lp(b"Rose hand cream") + varint(2) +
            lp(b"Beauty") + lp(b"Skin Care") + lp(b"Acme") + varint(1) + lp(b"brand=Acme"))
    write("value_codec", "item", item)
    write("value_codec", "blob", b"\x01" + b"profile-bytes")

    # Requests: a selector byte (0 recommend, 1 similar, 2 events, 0x80 rank
    # items, 0x81 complete cart, 0xC0 add items; +4 = tight limits), then the serialized message.
    requests = [
        (0, "RecommendRequest", 'user_id: "u42" k: 10 recent_item_ids: "i17" category: "Beauty/Skin" '
            'filters { exclude_item_ids: "i3" exclude_purchased: true in_stock_only: true '
            'allowed_categories: "Beauty" } explain: true'),
        (1, "SimilarItemsRequest", 'item_id: "i17" k: 5 filters { exclude_item_ids: "i18" }'),
        (2, "RecordEventsRequest", 'events { user_id: "u42" item_id: "i17" type: PURCHASE '
            'timestamp { seconds: 1714564800 nanos: 5 } } events { user_id: "u7" item_id: "i3" type: VIEW }'),
        (4, "RecommendRequest", 'user_id: "u1" k: 3 recent_item_ids: "i1" recent_item_ids: "i2"'),
        (0x80, "RankItemsRequest", 'user_id: "u42" item_ids: "i3" item_ids: "i17" item_ids: "i99" '
            'recent_item_ids: "i1" apply_rules: true filters { in_stock_only: true } explain: true'),
        (0x84, "RankItemsRequest", 'user_id: "u1" item_ids: "i1" item_ids: "i2"'),
        (0x81, "CompleteCartRequest", 'item_ids: "i17" item_ids: "i40" user_id: "u42" k: 5 '
            'filters { exclude_item_ids: "i18" }'),
        (0xC0, "AddItemsRequest", 'items { item_id: "n1" title: "Zzyzx Garden Rake" category_path: "Garden" '
            'category_path: "Rakes" brand: "Zzyzx" price: 19.99 attributes: "color=Green" } '
            'items { item_id: "n2" out_of_stock: true }'),
    ]
    for selector, message, text in requests:
        data = subprocess.run(
            ["protoc", "--proto_path=proto", "--encode=recd.v1." + message,
             "recd/v1/recommender.proto"], input=text.encode(), capture_output=True, check=True).stdout
        write("request_validation", "%s_%d" % (message, selector), bytes([selector]) + data)


if __name__ == "__main__":
    main()
