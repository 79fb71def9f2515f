"""A raw WebSocket client for the tests (issue 19): the handshake on a
plain socket, masked frames built by hand so a test decides how protocol
bytes are cut into frames, and a socket-like object (sendall/recv/
settimeout/close) that carries a byte stream in binary messages, so the
raw MQTT client of mqtt_raw.py runs over WebSocket unchanged."""

import base64
import os
import socket
import struct


def masked(op, payload, fin=True, rsv1=False):
    mask = os.urandom(4)
    head = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | op])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def handshake(port, path, protocols=None, extensions=None, timeout=10,
              extra=""):
    """(socket, status line, headers dict lower-cased, leftover bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    req = ("GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
           "Sec-WebSocket-Version: 13\r\n" % (path, key))
    if protocols:
        req += "Sec-WebSocket-Protocol: %s\r\n" % protocols
    if extensions:
        req += "Sec-WebSocket-Extensions: %s\r\n" % extensions
    s.sendall((req + extra + "\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    return s, lines[0], headers, rest


class Frames:
    """Reads server frames (unmasked) from a socket."""

    def __init__(self, sock, buf=b""):
        self.s = sock
        self.buf = buf

    def next(self, timeout=5):
        """(opcode, rsv1, fin, payload) or None when the socket closed."""
        self.s.settimeout(timeout)
        while True:
            f = self._parse()
            if f:
                return f
            d = self.s.recv(65536)
            if not d:
                return None
            self.buf += d

    def _parse(self):
        b = self.buf
        if len(b) < 2:
            return None
        n = b[1] & 0x7F
        pos = 2
        if n == 126:
            if len(b) < 4:
                return None
            n = struct.unpack("!H", b[2:4])[0]
            pos = 4
        elif n == 127:
            if len(b) < 10:
                return None
            n = struct.unpack("!Q", b[2:10])[0]
            pos = 10
        if len(b) < pos + n:
            return None
        f = (b[0] & 0x0F, bool(b[0] & 0x40), bool(b[0] & 0x80),
             b[pos:pos + n])
        self.buf = b[pos + n:]
        return f


class WsStream:
    """A byte stream over binary messages: what mqtt_raw.Client needs of
    a socket. `chunk`: cut each sendall into frames of this many bytes
    (fragments of one message); 0 sends one frame."""

    def __init__(self, port, path="/mqtt", protocol="mqtt", chunk=0):
        self.s, self.status, self.headers, rest = handshake(
            port, path, protocols=protocol)
        if " 101 " not in self.status + " ":
            raise RuntimeError("handshake refused: " + self.status)
        self.frames = Frames(self.s, rest)
        self.chunk = chunk
        self.timeout = 10
        self.close_code = None

    def settimeout(self, t):
        self.timeout = t

    def sendall(self, data):
        if not self.chunk or len(data) <= self.chunk:
            self.s.sendall(masked(2, data))
            return
        parts = [data[i:i + self.chunk]
                 for i in range(0, len(data), self.chunk)]
        out = b""
        for i, p in enumerate(parts):
            out += masked(2 if i == 0 else 0, p, fin=i == len(parts) - 1)
        self.s.sendall(out)

    def recv(self, n):
        while True:
            f = self.frames.next(self.timeout) if self.timeout else None
            if f is None:
                return b""
            op, _, _, payload = f
            if op == 2 or op == 0:
                return payload
            if op == 8:
                if len(payload) >= 2:
                    self.close_code = struct.unpack("!H", payload[:2])[0]
                return b""
            # pings and pongs: skip

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass
