"""A small WebSocket-over-HTTP/2 client (RFC 8441) on python3-h2 (h2 4.1
sends `:protocol` on CONNECT). RFC 6455 framing inside the stream's DATA
frames, masked as from any client; pings answered; close handshake mapped
to END_STREAM. For tests: every wait is bounded, every error raises."""

import os
import socket
import ssl
import struct
import time

import h2.config
import h2.connection
import h2.events
import h2.settings


class H2Error(Exception):
    pass


class H2Connection:
    """One HTTP/2 connection (h2c prior knowledge, or TLS with ALPN h2)."""

    def __init__(self, port, host="127.0.0.1", tls=False, timeout=10,
                 read_after_goaway=False):
        raw = socket.create_connection((host, port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["h2"])
            raw = ctx.wrap_socket(raw, server_hostname=host)
            if raw.selected_alpn_protocol() != "h2":
                raise H2Error("ALPN did not choose h2")
        self.sock = raw
        self.authority = "%s:%d" % (host, port)
        self.scheme = "https" if tls else "http"
        self.timeout = timeout
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True,
                                      header_encoding="utf-8"))
        if read_after_goaway:
            # python-h2 4.1 takes a received GOAWAY for the connection's
            # end and refuses the frames of the streams it lets finish
            # (RFC 9113 §6.8): keep the connection open for those
            sm = self.conn.state_machine
            sm._transitions = dict(sm._transitions)
            open_ = h2.connection.ConnectionState.CLIENT_OPEN
            sm._transitions[(open_, h2.connection.ConnectionInputs.
                             RECV_GOAWAY)] = (None, open_)
        self.conn.initiate_connection()
        self.flush()
        self.events = {}       # stream id -> list of events
        self.data = {}         # stream id -> bytearray of DATA
        self.ended = set()     # streams the server ended
        self.resets = {}       # stream id -> RST_STREAM code
        self.goaway = None     # error code of a GOAWAY
        self.remote_settings = {}
        self.wait(lambda: self.remote_settings)

    def flush(self):
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    def pump(self, deadline):
        """Reads once (bounded) and files the events; False on EOF."""
        self.sock.settimeout(max(0.01, deadline - time.time()))
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return True
        if not chunk:
            return False
        for ev in self.conn.receive_data(chunk):
            sid = getattr(ev, "stream_id", 0)
            if isinstance(ev, h2.events.RemoteSettingsChanged):
                for k, v in ev.changed_settings.items():
                    self.remote_settings[int(k)] = v.new_value
            elif isinstance(ev, h2.events.DataReceived):
                self.data.setdefault(sid, bytearray()).extend(ev.data)
                self.conn.acknowledge_received_data(
                    ev.flow_controlled_length, sid)
            elif isinstance(ev, h2.events.StreamEnded):
                self.ended.add(sid)
            elif isinstance(ev, h2.events.StreamReset):
                self.resets[sid] = int(ev.error_code)
            elif isinstance(ev, h2.events.ConnectionTerminated):
                self.goaway = int(ev.error_code)
            if sid:
                self.events.setdefault(sid, []).append(ev)
        self.flush()
        return True

    def wait(self, cond, timeout=None):
        deadline = time.time() + (timeout or self.timeout)
        while not cond():
            if time.time() > deadline:
                raise H2Error("timed out")
            if not self.pump(deadline):
                if cond():
                    return
                raise H2Error("connection closed")

    def request(self, method, path, body=b"", headers=()):
        """A plain request: (status, headers dict, body)."""
        sid = self.conn.get_next_available_stream_id()
        hs = [(":method", method), (":scheme", self.scheme),
              (":path", path), (":authority", self.authority)] + list(headers)
        self.conn.send_headers(sid, hs, end_stream=not body)
        if body:
            self.conn.send_data(sid, body, end_stream=True)
        self.flush()
        self.wait(lambda: sid in self.ended or sid in self.resets)
        if sid in self.resets:
            raise H2Error("stream reset %d" % self.resets[sid])
        return self.response(sid) + (bytes(self.data.get(sid, b"")),)

    def response(self, sid):
        for ev in self.events.get(sid, []):
            if isinstance(ev, h2.events.ResponseReceived):
                hs = dict(ev.headers)
                return int(hs[":status"]), hs
        return None, {}

    def close(self):
        try:
            self.conn.close_connection()
            self.flush()
        except Exception:
            pass
        self.sock.close()


def ws_frame(op, payload, fin=True, mask=True):
    head = bytes([(0x80 if fin else 0) | op])
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack("!H", n)
    else:
        head += bytes([m | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class H2WebSocket:
    """A WebSocket on one HTTP/2 stream (extended CONNECT)."""

    def __init__(self, h2c, path, protocol="websocket", headers=(),
                 subprotocols=()):
        self.h = h2c
        self.buf = bytearray()
        self.sid = h2c.conn.get_next_available_stream_id()
        hs = [(":method", "CONNECT"), (":protocol", protocol),
              (":scheme", h2c.scheme), (":path", path),
              (":authority", h2c.authority),
              ("sec-websocket-version", "13")] + list(headers)
        if subprotocols:
            hs.append(("sec-websocket-protocol", ", ".join(subprotocols)))
        h2c.conn.send_headers(self.sid, hs)
        h2c.flush()
        h2c.wait(lambda: h2c.response(self.sid)[0] is not None or
                 self.sid in h2c.resets)
        self.status, self.headers = h2c.response(self.sid)
        self.close_code = None

    def send_text(self, text):
        self.send_frame(0x1, text.encode())

    def send_frame(self, op, payload, fin=True):
        self.h.conn.send_data(self.sid, ws_frame(op, payload, fin))
        self.h.flush()

    def _take(self):
        """One complete frame from what arrived, or None."""
        data = self.h.data.get(self.sid, bytearray())
        self.buf.extend(data)
        data.clear()
        b = self.buf
        if len(b) < 2:
            return None
        if b[1] & 0x80:
            raise H2Error("server frames must not be masked")
        n, off = b[1] & 0x7F, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, off = struct.unpack("!H", bytes(b[2:4]))[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, off = struct.unpack("!Q", bytes(b[2:10]))[0], 10
        if len(b) < off + n:
            return None
        op, payload = b[0] & 0x0F, bytes(b[off:off + n])
        self.last_rsv1 = bool(b[0] & 0x40)  # (permessage-deflate)
        del b[:off + n]
        return op, payload

    def recv(self, timeout=10):
        """The next text/binary message's payload (pings answered); a
        close frame sets close_code and returns None."""
        deadline = time.time() + timeout
        while True:
            f = self._take()
            if f:
                op, payload = f
                if op == 0x9:
                    self.send_frame(0xA, payload)
                    continue
                if op == 0xA:
                    continue
                if op == 0x8:
                    self.close_code = (struct.unpack("!H", payload[:2])[0]
                                       if len(payload) >= 2 else 1005)
                    return None
                return payload
            if self.sid in self.h.resets or self.sid in self.h.ended:
                if not self.h.data.get(self.sid):
                    raise H2Error("stream ended (reset %r)" %
                                  self.h.resets.get(self.sid))
            if time.time() > deadline:
                raise H2Error("no WebSocket message in time")
            if not self.h.pump(deadline):
                raise H2Error("connection closed")

    def close(self, code=1000):
        """Close handshake; then END_STREAM both ways."""
        self.send_frame(0x8, struct.pack("!H", code))
        while self.close_code is None:
            self.recv()
        self.h.wait(lambda: self.sid in self.h.ended or
                    self.sid in self.h.resets)
        if self.sid not in self.h.resets:
            try:
                self.h.conn.end_stream(self.sid)
                self.h.flush()
            except Exception:
                pass


class H2WsStream:
    """A byte stream carried in binary messages of a WebSocket on one
    HTTP/2 stream (MQTT at /mqtt, PostgreSQL at /pg), with the socket
    methods the raw MQTT and PG test clients use (sendall, recv,
    settimeout): recv answers b"" once the server closed, and raises
    socket.timeout when nothing came in time."""

    def __init__(self, h2c, path, subprotocols=(), headers=()):
        self.ws = H2WebSocket(h2c, path, subprotocols=subprotocols,
                              headers=headers)
        self.status = self.ws.status
        self.timeout = h2c.timeout

    def settimeout(self, t):
        self.timeout = t

    def sendall(self, data):
        self.ws.send_frame(0x2, bytes(data))

    def recv(self, _n=65536):
        try:
            payload = self.ws.recv(self.timeout)
        except H2Error as e:
            if "in time" in str(e):
                raise socket.timeout(str(e))
            return b""
        return b"" if payload is None else payload

    def close(self):
        try:
            self.ws.close()
        except H2Error:
            pass
