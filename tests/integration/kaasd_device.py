#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Integration tests: a scripted sleeping device for kaasd on one UDP socket (standard library only).
"""A device for the kaasd end-to-end tests.

  kaasd_device.py --bind ADDR --kaasd HOST:PORT --ep NAME --state FILE
                  [--port P] [--lt S] [--ttl N] [--interval S] [--duration S]

Binds one UDP socket (the device's CoAP port), subscribes from it with
POST /kaas?ep=NAME&lt=S[&ttl=N][&interval=S] (confirmable, retransmitted),
prints "location kaas/<id>" on the 2.01, and from then on sends nothing of
its own: it only answers what arrives (GET /hello -> 2.05 "hello from NAME",
an empty CON -> RST, anything else -> 4.04). Every datagram received is
counted in FILE ("pings N", "requests N", "other N", one line each,
rewritten on every arrival); with --mute it answers nothing at all. Exits
after --duration seconds (default 600).
"""

import argparse
import random
import socket
import struct
import sys
import time


def opt_bytes(opts):
    out = b""
    last = 0
    for num, val in sorted(opts, key=lambda o: o[0]):
        d = num - last
        last = num
        ln = len(val)

        def ext(v):
            if v < 13:
                return v, b""
            if v < 269:
                return 13, bytes([v - 13])
            return 14, struct.pack("!H", v - 269)

        dn, de = ext(d)
        ln_, le = ext(ln)
        out += bytes([(dn << 4) | ln_]) + de + le + val
    return out


def message(typ, code, mid, token, opts=(), payload=b""):
    b = bytes([0x40 | (typ << 4) | len(token), code]) + struct.pack("!H", mid) + token
    b += opt_bytes(list(opts))
    if payload:
        b += b"\xff" + payload
    return b


def parse(b):
    if len(b) < 4 or b[0] >> 6 != 1:
        return None
    typ = (b[0] >> 4) & 3
    tkl = b[0] & 15
    code = b[1]
    mid = struct.unpack("!H", b[2:4])[0]
    token = b[4:4 + tkl]
    i = 4 + tkl
    opts = []
    num = 0
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
        num += d
        opts.append((num, b[i:i + ln]))
        i += ln
    payload = b[i + 1:] if i < len(b) else b""
    return typ, code, mid, token, opts, payload


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bind", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--kaasd", required=True, help="HOST:PORT ([v6]:PORT)")
    ap.add_argument("--ep", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--lt", type=int, default=600)
    ap.add_argument("--ttl", type=int)
    ap.add_argument("--interval", type=int)
    ap.add_argument("--duration", type=float, default=600)
    ap.add_argument("--mute", action="store_true", help="answer nothing after subscribing")
    a = ap.parse_args()

    host, port = a.kaasd.rsplit(":", 1)
    host = host.strip("[]")
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((a.bind, a.port))
    dst = (host, int(port))
    counts = {"pings": 0, "requests": 0, "other": 0}

    def save():
        with open(a.state, "w") as f:
            for k, v in counts.items():
                f.write("%s %d\n" % (k, v))

    save()
    q = [(11, b"kaas"), (15, ("ep=%s" % a.ep).encode()), (15, ("lt=%d" % a.lt).encode())]
    if a.ttl:
        q.append((15, ("ttl=%d" % a.ttl).encode()))
    if a.interval:
        q.append((15, ("interval=%d" % a.interval).encode()))
    mid = random.randrange(65536)
    token = bytes(random.randrange(256) for _ in range(4))
    req = message(0, 2, mid, token, q)
    wait = 2.0
    for attempt in range(5):
        s.sendto(req, dst)
        s.settimeout(wait)
        try:
            while True:
                data, src = s.recvfrom(2048)
                m = parse(data)
                if m and m[2] == mid and m[0] == 2:
                    break
            break
        except socket.timeout:
            wait *= 2
    else:
        print("no answer to the subscription", flush=True)
        return 1
    typ, code, _, _, opts, payload = m
    if code != 0x41:
        print("refused %d.%02d %s" % (code >> 5, code & 31, payload.decode(errors="replace")),
              flush=True)
        return 1
    loc = "/".join(v.decode() for n, v in opts if n == 8)
    print("location %s" % loc, flush=True)

    end = time.time() + a.duration
    while time.time() < end:
        s.settimeout(max(0.1, end - time.time()))
        try:
            data, src = s.recvfrom(2048)
        except socket.timeout:
            break
        m = parse(data)
        if a.mute:
            counts["other"] += 1
            save()
            continue
        if m is None:
            counts["other"] += 1
            save()
            continue
        typ, code, rmid, rtok, opts, payload = m
        if code == 0 and typ == 0:
            counts["pings"] += 1
            s.sendto(message(3, 0, rmid, b""), src)
        elif code >> 5 == 0 and code != 0:
            counts["requests"] += 1
            path = "/".join(v.decode(errors="replace") for n, v in opts if n == 11)
            rtype = 2 if typ == 0 else 1
            rmid2 = rmid if typ == 0 else random.randrange(65536)
            if code == 1 and path == "hello":
                s.sendto(message(rtype, 0x45, rmid2, rtok, [(12, b"")],
                                 ("hello from %s" % a.ep).encode()), src)
            else:
                s.sendto(message(rtype, 0x84, rmid2, rtok), src)
        else:
            counts["other"] += 1
        save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
