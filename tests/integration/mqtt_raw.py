"""A small MQTT client on a raw socket for what mosquitto_pub/sub cannot
do: read exact reason codes, hold acknowledgements back, drop the
connection without DISCONNECT, and look at DUP flags and packet ids.
Every read has a timeout."""

import socket
import struct


def mqtt_string(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(b)) + b


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def props(*items):
    """items: (id, bytes) pairs, already encoded values."""
    body = b"".join(bytes([i]) + v for i, v in items)
    return varint(len(body)) + body


def u32(v):
    return struct.pack("!I", v)


class Client:
    def __init__(self, port, version=5, timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.version = version
        self.buf = b""
        self.next_id = 0

    def close(self):
        self.s.close()

    def __del__(self):
        self.s.close()

    def send(self, first, body):
        self.s.sendall(bytes([first]) + varint(len(body)) + body)

    def connect(self, client_id, clean=True, keep_alive=60, username=None,
                password=None, connect_props=b"", will=None):
        """will: (topic, payload, qos, will_props bytes)."""
        flags = 0x02 if clean else 0
        payload = mqtt_string(client_id)
        if will:
            topic, msg, qos, wprops = will
            flags |= 0x04 | (qos << 3)
            if self.version == 5:
                payload += wprops or b"\x00"
            payload += mqtt_string(topic) + mqtt_string(msg)
        if username is not None:
            flags |= 0x80
            payload += mqtt_string(username)
        if password is not None:
            flags |= 0x40
            payload += mqtt_string(password)
        body = mqtt_string("MQTT") + bytes([self.version, flags]) + \
            struct.pack("!H", keep_alive)
        if self.version == 5:
            body += connect_props or b"\x00"
        self.send(0x10, body + payload)
        return self.read()

    def subscribe(self, flt, qos=1):
        self.next_id += 1
        body = struct.pack("!H", self.next_id)
        if self.version == 5:
            body += b"\x00"
        self.send(0x82, body + mqtt_string(flt) + bytes([qos]))
        return self.read()

    def publish(self, topic, payload, qos=0, retain=False, pid=None,
                pub_props=b""):
        body = mqtt_string(topic)
        if qos:
            if pid is None:
                self.next_id += 1
                pid = self.next_id
            body += struct.pack("!H", pid)
        if self.version == 5:
            body += pub_props or b"\x00"
        body += payload.encode() if isinstance(payload, str) else payload
        self.send(0x30 | (qos << 1) | (1 if retain else 0), body)
        return pid

    def ack(self, kind, pid):
        """kind: 0x40 PUBACK, 0x50 PUBREC, 0x62 PUBREL, 0x70 PUBCOMP."""
        self.send(kind, struct.pack("!H", pid))

    def read(self, timeout=5):
        """The next packet as (type nibble, flags, body), or None on
        timeout, or ("closed", 0, b"") when the server closed."""
        self.s.settimeout(timeout)
        while True:
            pkt = self._frame()
            if pkt:
                return pkt
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                return ("closed", 0, b"")
            if not d:
                return ("closed", 0, b"")
            self.buf += d

    def _frame(self):
        if len(self.buf) < 2:
            return None
        n, shift, i = 0, 0, 1
        while True:
            if i >= len(self.buf):
                return None
            b = self.buf[i]
            n |= (b & 0x7F) << shift
            shift += 7
            i += 1
            if not b & 0x80:
                break
        if len(self.buf) < i + n:
            return None
        first = self.buf[0]
        body = self.buf[i:i + n]
        self.buf = self.buf[i + n:]
        return (first >> 4, first & 0x0F, body)

    def parse_publish(self, flags, body):
        """(topic, packet id, dup, payload) of a PUBLISH body."""
        tlen = struct.unpack("!H", body[:2])[0]
        topic = body[2:2 + tlen].decode()
        pos = 2 + tlen
        pid = None
        if (flags >> 1) & 3:
            pid = struct.unpack("!H", body[pos:pos + 2])[0]
            pos += 2
        if self.version == 5:
            n, shift = 0, 0
            while True:
                b = body[pos]
                pos += 1
                n |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    break
            pos += n
        return topic, pid, bool(flags & 0x08), body[pos:]
