#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Integration tests: a minimal stand-in Resource Directory (RFC 9176) over CoAP/UDP.
"""A stand-in RD that logs every request it gets, one line each, to --log.

  rdstub.py --port P --log FILE [--host H] [--no-delete-reply] [--fail-registrations N]

Registration: POST to any path other than /reg/N with an ep query creates
/reg/N (N = 1, 2, ...) and answers 2.01 with Location-Path reg, N.
POST /reg/N answers 2.04 (4.04 when unknown), DELETE /reg/N 2.02 (4.04).
GET /rd-lookup/res[?rt=X][&ep=X] lists the links of the live registrations
resolved against their base (the base query, else the request's source);
GET /rd-lookup/ep lists the registrations. A retransmitted CON gets the
cached answer and is logged as "dup". --fail-registrations N answers the
first N registrations with 5.03; --no-delete-reply leaves DELETEs
unanswered. Log lines look like
  POST /rd?ep=tstun-test&lt=60 ct=40 payload=</tstun>;rt="tstun" -> 2.01 /reg/1 [CON mid=7 from 127.0.0.1:5783 at 0.125s]
"""

import argparse
import socket
import sys
import time

from coapraw import encode_options, read_ext  # same folder: the CoAP codec

CON, NON, ACK, RST = 0, 1, 2, 3
METHODS = {1: "GET", 2: "POST", 3: "PUT", 4: "DELETE"}
OPT_LOCATION_PATH, OPT_URI_PATH, OPT_CONTENT_FORMAT, OPT_URI_QUERY = 8, 11, 12, 15




def parse(buf):
    if len(buf) < 4 or buf[0] >> 6 != 1:
        raise ValueError("not CoAP version 1")
    typ, tkl, code = buf[0] >> 4 & 3, buf[0] & 15, buf[1]
    mid = int.from_bytes(buf[2:4], "big")
    if tkl > 8:
        raise ValueError("token too long")
    token = buf[4:4 + tkl]
    opts, payload, num, i = [], b"", 0, 4 + tkl
    while i < len(buf):
        if buf[i] == 0xFF:
            payload = buf[i + 1:]
            break
        delta, i2 = read_ext(buf[i] >> 4, buf, i + 1)
        olen, i2 = read_ext(buf[i] & 15, buf, i2)
        num += delta
        opts.append((num, buf[i2:i2 + olen]))
        i = i2 + olen
    return typ, code, mid, token, opts, payload




def build(typ, code, mid, token, opts=(), payload=b""):
    out = bytes([0x40 | typ << 4 | len(token), code]) + mid.to_bytes(2, "big") + token
    out += encode_options(opts)
    if payload:
        out += b"\xff" + payload
    return out


def uint(b):
    return int.from_bytes(b, "big")


class Stub:
    def __init__(self, log, no_delete_reply, fail_registrations):
        self.log = log
        self.no_delete_reply = no_delete_reply
        self.fail_registrations = fail_registrations
        self.regs = {}  # id -> dict
        self.next_id = 1
        self.cache = {}  # (addr, mid) -> reply
        self.next_mid = 0x4000
        self.t0 = time.monotonic()

    def lookup_res(self, query):
        links = []
        for rid in sorted(self.regs):
            reg = self.regs[rid]
            if "ep" in query and query["ep"] != reg["ep"]:
                continue
            for link in reg["links"].split(","):
                if not link.startswith("<") or ">" not in link:
                    continue
                href, attrs = link[1:].split(">", 1)
                if "rt" in query and ';rt="%s"' % query["rt"] not in attrs and \
                        ";rt=%s" % query["rt"] not in attrs:
                    continue
                links.append("<%s%s>%s" % (reg["base"], href, attrs))
        return ",".join(links)

    def lookup_ep(self):
        return ",".join('</reg/%d>;ep="%s";base="%s";lt=%s' %
                        (rid, r["ep"], r["base"], r["lt"]) for rid, r in sorted(self.regs.items()))

    def handle(self, method, path, query, opts, payload, src):
        """(code, options, payload, log suffix) for one request."""
        segs = path.strip("/").split("/") if path.strip("/") else []
        if len(segs) == 2 and segs[0] == "reg":
            rid = int(segs[1]) if segs[1].isdigit() else -1
            if method == "POST":
                if rid not in self.regs:
                    return 0x84, [], b"", "4.04"
                if "lt" in query:
                    self.regs[rid]["lt"] = query["lt"]
                return 0x44, [], b"", "2.04"
            if method == "DELETE":
                if rid not in self.regs:
                    return 0x84, [], b"", "4.04"
                del self.regs[rid]
                return 0x42, [], b"", "2.02"
            return 0xA5, [], b"", "4.05"
        if method == "GET" and path == "/rd-lookup/res":
            return 0x45, [(OPT_CONTENT_FORMAT, bytes([40]))], self.lookup_res(query).encode(), "2.05"
        if method == "GET" and path == "/rd-lookup/ep":
            return 0x45, [(OPT_CONTENT_FORMAT, bytes([40]))], self.lookup_ep().encode(), "2.05"
        if method == "POST" and "ep" in query and self.fail_registrations > 0:
            self.fail_registrations -= 1
            return 0xA3, [], b"try later", "5.03"
        if method == "POST" and "ep" in query:
            rid = self.next_id
            self.next_id += 1
            host = "[%s]" % src[0] if ":" in src[0] else src[0]
            self.regs[rid] = {
                "ep": query["ep"], "lt": query.get("lt", "90000"),
                "base": query.get("base", "coap://%s:%d" % (host, src[1])),
                "links": payload.decode("utf-8", "replace"),
            }
            return 0x41, [(OPT_LOCATION_PATH, b"reg"),
                          (OPT_LOCATION_PATH, str(rid).encode())], b"", "2.01 /reg/%d" % rid
        return 0x84, [], b"", "4.04"

    def datagram(self, data, src):
        try:
            typ, code, mid, token, opts, payload = parse(data)
        except (ValueError, IndexError) as e:
            self.log.write("unparsable (%s)\n" % e)
            return None
        if code == 0:
            return build(RST, 0, mid, b"") if typ == CON else None
        if typ not in (CON, NON) or code >> 5 != 0:
            return None
        if typ == CON and (src, mid) in self.cache:
            self.log.write("dup mid=%d\n" % mid)
            return self.cache[(src, mid)]
        method = METHODS.get(code, "%d.%02d" % (code >> 5, code & 31))
        path = "/" + "/".join(v.decode("utf-8", "replace") for n, v in opts if n == OPT_URI_PATH)
        qlist = [v.decode("utf-8", "replace") for n, v in opts if n == OPT_URI_QUERY]
        query = dict(q.split("=", 1) if "=" in q else (q, "") for q in qlist)
        cf = [uint(v) for n, v in opts if n == OPT_CONTENT_FORMAT]
        line = method + " " + path + ("?" + "&".join(qlist) if qlist else "")
        if cf:
            line += " ct=%d" % cf[0]
        if payload:
            line += " payload=" + payload.decode("utf-8", "replace")
        where = " [%s mid=%d from %s:%d at %.3fs]" % (
            "CON" if typ == CON else "NON", mid, src[0], src[1], time.monotonic() - self.t0)
        if method == "DELETE" and self.no_delete_reply:
            self.log.write(line + " -> (no reply)" + where + "\n")
            return None
        rcode, ropts, rpayload, what = self.handle(method, path, query, opts, payload, src)
        self.log.write(line + " -> " + what + where + "\n")
        if typ == CON:
            reply = build(ACK, rcode, mid, token, ropts, rpayload)
            self.cache[(src, mid)] = reply
        else:
            self.next_mid = (self.next_mid + 1) & 0xFFFF
            reply = build(NON, rcode, self.next_mid, token, ropts, rpayload)
        return reply


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--no-delete-reply", action="store_true")
    ap.add_argument("--fail-registrations", type=int, default=0)
    args = ap.parse_args()
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((args.host, args.port))
    with open(args.log, "a", buffering=1) as log:
        log.write("listening on %s:%d\n" % (args.host, args.port))
        stub = Stub(log, args.no_delete_reply, args.fail_registrations)
        while True:
            data, src = sock.recvfrom(2048)
            reply = stub.datagram(data, src[:2])
            if reply is not None:
                sock.sendto(reply, src)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
