#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end tests: a scripted sleeping CoAP device on one UDP socket (standard library only).
"""A device for the end-to-end tests, or a one-shot client of kaasd.

Device (--ep given):

  device.py --kaasd HOST:PORT --ep NAME --bind ADDR [--port P] [--lt S]
            [--ttl N | --no-ttl] [--interval S] [--state FILE] [--duration S]
            [--no-answer] [--status-after S] [--delete-after S]

  Binds one UDP socket, subscribes from it with
  POST /kaas?ep=NAME&lt=S&ttl=N[&interval=S] (confirmable, retransmitted;
  --ttl also sets the socket's IPv4 TTL / IPv6 hop limit, so the hint is true;
  --no-ttl sends no hint) and prints "location kaas/<id>" on the 2.01. From then
  on it sends nothing of its own: it answers what arrives (GET /hello -> 2.05
  "hello from NAME", an empty CON -> RST, other requests -> 4.04), or with
  --no-answer (a sleeping radio) only counts it. Every datagram is logged
  ("rx <src> ttl <n> <kind> ...") and counted; the counts go to FILE
  ("pings N", "requests N", "other N", "total N") on every arrival and on
  SIGTERM. --status-after / --delete-after send GET / DELETE /kaas/<id> from
  the device's own socket after S seconds and print "status <json>" or
  "deleted <code>". Exits after --duration seconds (default 600) or on SIGTERM.

Client (one request from a fresh socket, prints the payload, or the code and
diagnostic of an error, exits 0 on a 2.xx):

  device.py --kaasd HOST:PORT [--bind ADDR] --get PATH | --delete PATH
"""

import argparse
import os
import random
import signal
import socket
import struct
import sys
import time

CON, NON, ACK, RST = 0, 1, 2, 3
# Linux values, for Pythons that lack the names.
IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)
IPV6_RECVHOPLIMIT = getattr(socket, "IPV6_RECVHOPLIMIT", 51)
IPV6_HOPLIMIT = getattr(socket, "IPV6_HOPLIMIT", 52)
GET, POST, DELETE = 1, 2, 4


def opt_bytes(opts):
    out = b""
    last = 0
    for num, val in sorted(opts, key=lambda o: o[0]):

        def ext(v):
            if v < 13:
                return v, b""
            if v < 269:
                return 13, bytes([v - 13])
            return 14, struct.pack("!H", v - 269)

        dn, de = ext(num - last)
        ln, le = ext(len(val))
        last = num
        out += bytes([(dn << 4) | ln]) + de + le + val
    return out


def message(typ, code, mid, token=b"", opts=(), payload=b""):
    b = bytes([0x40 | (typ << 4) | len(token), code]) + struct.pack("!H", mid) + token
    b += opt_bytes(list(opts))
    if payload:
        b += b"\xff" + payload
    return b


def parse(b):
    """(type, code, mid, token, [(num, value)], payload) or None."""
    if len(b) < 4 or b[0] >> 6 != 1 or (b[0] & 15) > 8:
        return None
    typ = (b[0] >> 4) & 3
    tkl = b[0] & 15
    code = b[1]
    mid = struct.unpack("!H", b[2:4])[0]
    token = b[4:4 + tkl]
    i = 4 + tkl
    opts = []
    num = 0
    try:
        while i < len(b) and b[i] != 0xFF:
            d, ln = b[i] >> 4, b[i] & 15
            i += 1
            if d == 13:
                d = b[i] + 13
                i += 1
            elif d == 14:
                d = struct.unpack("!H", b[i:i + 2])[0] + 269
                i += 2
            if ln == 13:
                ln = b[i] + 13
                i += 1
            elif ln == 14:
                ln = struct.unpack("!H", b[i:i + 2])[0] + 269
                i += 2
            if d == 15 or ln == 15:
                return None
            num += d
            opts.append((num, b[i:i + ln]))
            i += ln
    except (IndexError, struct.error):
        return None
    payload = b[i + 1:] if i < len(b) else b""
    return typ, code, mid, token, opts, payload


def code_str(code):
    return "%d.%02d" % (code >> 5, code & 31)


def path_opts(path):
    """Uri-Path and Uri-Query options of "a/b?x=1&y=2"."""
    path, _, query = path.lstrip("/").partition("?")
    opts = [(11, p.encode()) for p in path.split("/") if p]
    opts += [(15, q.encode()) for q in query.split("&") if q]
    return opts


class Device:
    def __init__(self, a):
        self.a = a
        host, port = a.kaasd.rsplit(":", 1)
        host = host.strip("[]")
        self.v6 = ":" in host
        self.dst = (host, int(port))
        self.s = socket.socket(socket.AF_INET6 if self.v6 else socket.AF_INET,
                               socket.SOCK_DGRAM)
        if self.v6:
            self.s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
        else:
            self.s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
        if getattr(a, "ttl", None):
            if self.v6:
                self.s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, a.ttl)
            else:
                self.s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, a.ttl)
        self.s.bind((a.bind or ("::" if self.v6 else "0.0.0.0"), a.port or 0))
        self.counts = {"pings": 0, "requests": 0, "other": 0, "total": 0}
        self.mid = random.randrange(65536)
        self.t0 = time.monotonic()

    def save(self):
        if self.a.state:
            with open(self.a.state + ".tmp", "w") as f:
                for k, v in self.counts.items():
                    f.write("%s %d\n" % (k, v))
            os.replace(self.a.state + ".tmp", self.a.state)

    def log(self, what):
        print("%7.3f %s" % (time.monotonic() - self.t0, what), flush=True)

    def recv(self, timeout):
        """(data, src, ttl) or None after timeout seconds."""
        self.s.settimeout(max(0.01, timeout))
        try:
            data, anc, _, src = self.s.recvmsg(2048, 64)
        except socket.timeout:
            return None
        ttl = -1
        for lvl, typ, val in anc:
            if (lvl, typ) in ((socket.IPPROTO_IP, socket.IP_TTL),
                              (socket.IPPROTO_IPV6, IPV6_HOPLIMIT)):
                ttl = struct.unpack("i", val[:4])[0] if len(val) >= 4 else val[0]
        return data, src, ttl

    def request(self, code, opts, on_other=None):
        """A CON request to kaasd, retransmitted (2, 4, 8, 16 s): the response or None."""
        self.mid = (self.mid + 1) & 0xFFFF
        mid = self.mid
        token = bytes(random.randrange(256) for _ in range(4))
        req = message(CON, code, mid, token, opts)
        wait = 2.0
        for _ in range(5):
            self.s.sendto(req, self.dst)
            end = time.monotonic() + wait
            while time.monotonic() < end:
                r = self.recv(end - time.monotonic())
                if r is None:
                    break
                m = parse(r[0])
                if m and m[3] == token and m[1] != 0:
                    if m[0] == CON:  # a separate response
                        self.s.sendto(message(ACK, 0, m[2]), r[1])
                    return m
                if m and m[0] == ACK and m[2] == mid and m[1] == 0:
                    end = time.monotonic() + 30  # empty ACK: the response follows
                    continue
                if on_other:
                    on_other(*r)
            wait *= 2
        return None

    def serve(self, data, src, ttl):
        a = self.a
        self.counts["total"] += 1
        m = parse(data)
        if m is None:
            self.counts["other"] += 1
            self.log("rx %s ttl %d not coap (%d bytes)" % (src[0], ttl, len(data)))
            self.save()
            return
        typ, code, mid, token, opts, _ = m
        if code == 0 and typ == CON:
            self.counts["pings"] += 1
            self.log("rx %s:%d ttl %d empty CON mid 0x%04x%s" %
                     (src[0], src[1], ttl, mid, "" if a.no_answer else " -> RST"))
            if not a.no_answer:
                self.s.sendto(message(RST, 0, mid), src)
        elif 1 <= code <= 31:
            self.counts["requests"] += 1
            path = "/".join(v.decode(errors="replace") for n, v in opts if n == 11)
            if code == GET and path == "hello":
                rcode, body = 0x45, ("hello from %s" % a.ep).encode()
            else:
                rcode, body = 0x84, b"no such resource"
            self.log("rx %s:%d ttl %d %s request %s /%s%s" %
                     (src[0], src[1], ttl, "CON" if typ == CON else "NON", code_str(code), path,
                      "" if a.no_answer else " -> " + code_str(rcode)))
            if not a.no_answer:
                if typ == CON:
                    self.s.sendto(message(ACK, rcode, mid, token, [(12, b"")] if rcode == 0x45
                                          else [], body), src)
                else:
                    self.mid = (self.mid + 1) & 0xFFFF
                    self.s.sendto(message(NON, rcode, self.mid, token, [], body), src)
        else:
            self.counts["other"] += 1
            self.log("rx %s:%d ttl %d type %d code %s mid 0x%04x" %
                     (src[0], src[1], ttl, typ, code_str(code), mid))
        self.save()

    def run(self):
        a = self.a
        self.save()
        q = [(11, b"kaas"), (15, ("ep=%s" % a.ep).encode()), (15, ("lt=%d" % a.lt).encode())]
        if a.ttl:
            q.append((15, ("ttl=%d" % a.ttl).encode()))
        if a.interval:
            q.append((15, ("interval=%d" % a.interval).encode()))
        m = self.request(POST, q, self.serve)
        if m is None:
            print("no answer to the subscription", flush=True)
            return 1
        _, code, _, _, opts, payload = m
        if code != 0x41:
            print("refused %s %s" % (code_str(code), payload.decode(errors="replace")),
                  flush=True)
            return 1
        loc = "/".join(v.decode() for n, v in opts if n == 8)
        self.log("subscribed from %s port %d" % self.s.getsockname()[:2])
        print("location %s" % loc, flush=True)

        start = time.monotonic()
        end = start + a.duration
        todo = []
        if a.status_after is not None:
            todo.append((start + a.status_after, "status"))
        if a.delete_after is not None:
            todo.append((start + a.delete_after, "delete"))
        todo.sort()
        while time.monotonic() < end:
            if todo and todo[0][0] <= time.monotonic():
                what = todo.pop(0)[1]
                if what == "status":
                    r = self.request(GET, path_opts(loc), self.serve)
                    print("status %s" % ("no answer" if r is None else
                                         r[5].decode(errors="replace")), flush=True)
                else:
                    r = self.request(DELETE, path_opts(loc), self.serve)
                    print("deleted %s" % ("no answer" if r is None else code_str(r[1])),
                          flush=True)
                continue
            until = min([end] + [t for t, _ in todo])
            r = self.recv(until - time.monotonic())
            if r is not None:
                self.serve(*r)
        return 0


def client(a):
    d = Device(a)
    path = a.get or a.delete
    m = d.request(GET if a.get else DELETE, path_opts(path))
    if m is None:
        print("no answer")
        return 1
    body = m[5].decode(errors="replace")
    if m[1] >> 5 == 2:
        print(body if a.get else code_str(m[1]))
        return 0
    print("%s %s" % (code_str(m[1]), body))
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kaasd", required=True, help="HOST:PORT ([v6]:PORT for IPv6)")
    ap.add_argument("--bind", help="the device's address")
    ap.add_argument("--port", type=int, default=0, help="the device's port")
    ap.add_argument("--ep")
    ap.add_argument("--lt", type=int, default=600)
    ap.add_argument("--ttl", type=int, default=64, help="initial TTL, sent as the hint")
    ap.add_argument("--no-ttl", action="store_true", help="send no TTL hint")
    ap.add_argument("--interval", type=int)
    ap.add_argument("--state", help="file for the counters")
    ap.add_argument("--duration", type=float, default=600)
    ap.add_argument("--no-answer", action="store_true", help="a sleeping radio")
    ap.add_argument("--status-after", type=float)
    ap.add_argument("--delete-after", type=float)
    ap.add_argument("--get", help="client: GET this path")
    ap.add_argument("--delete", help="client: DELETE this path")
    a = ap.parse_args()
    if a.no_ttl:
        a.ttl = None
    if a.get or a.delete:
        a.ttl = None
        return client(a)
    if not a.ep:
        ap.error("--ep, --get or --delete is needed")
    d = Device(a)

    def term(signo, frame):
        d.save()
        d.log("signal %d: %s" % (signo, " ".join("%s %d" % kv for kv in d.counts.items())))
        sys.exit(0)

    signal.signal(signal.SIGTERM, term)
    signal.signal(signal.SIGINT, term)
    return d.run()


if __name__ == "__main__":
    sys.exit(main())
