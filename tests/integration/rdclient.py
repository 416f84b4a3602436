#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Integration tests: a small raw CoAP client for the Resource Directory (rdd) tests.
"""A raw CoAP client for the rdd tests (standard library only, UDP and TCP).

  rdclient.py req [common] METHOD PATH[?QUERY] [--cf N] [--accept N]
          [--payload TEXT | --payload-file F] [--opt NUM=VAL]... [--query Q]...
          [--block1 SZX] [--size1 N] [--block2 SZX] [--no-follow]
          [--type CON|NON] [--kill PID]
      One request; prints the answer: a head line
        CODE [loc=/reg/1] [cf=N] [obs=N] [size1=N] [blocks=N]
      then the payload (Block2 answers reassembled), or "none" when nothing
      came back. QUERY is split at '&' into Uri-Query options (use --query
      for a value holding '&'). --block1 sends the payload in blocks of
      2**(SZX+4) bytes (--size1 adds Size1 to the first); --block2 asks for
      blocks of that size; --kill sends SIGKILL to PID as soon as the answer
      is in, before anything is printed.
  rdclient.py observe [common] PATH[?QUERY] [--accept N] [--duration S]
          [--max N] [--out FILE]
      GET with Observe: 0, then one line per message with that token:
        N TYPE CODE obs=N|- cf=N|- [blocks=N] payload=TEXT
      (a notification in Block2 is completed with GETs of the other blocks)
      (N counts from 0, the first answer) until --duration seconds passed,
      --max messages came, or a message ended the observation (an error
      code, or an answer without Observe). Confirmable notifications are
      acknowledged. The last line is "end".
  rdclient.py simple [common] --ep NAME [--query Q]... --links TEXT
          [--answer CODE] [--silent] [--linger S]
      Simple registration (RFC 9176 section 5.1): POST /.well-known/rd?ep=NAME
      from --sport, and answer the RD's GET /.well-known/core on that same
      socket (or --tcp connection) with TEXT (application/link-format, Block2 when asked or over
      1024 bytes), or with --answer CODE, or (--silent) not at all. Prints
      "response CODE [payload=...]" and "request GET /.well-known/core ..."
      lines as they happen and "end" when both are done, after an error
      response, or at --wait.
  rdclient.py lf [--json] [--sort] [--sort-attrs] [TEXT]
      Normalise link-format (or, --json, a links-json array) from TEXT or
      stdin: one link per line, <target>;name=value;name (values unquoted,
      bare attributes without '='), to compare links whatever their quoting.

  rdclient.py serve --in FIFO --out FILE --done FIFO --ready FILE
      Stay resident and run the req, simple and lf commands above, each read from
      --in as its argument count and arguments, every one ended by a NUL
      byte, with the output in --out; then write "done" to --done. --ready
      is created once both FIFOs are open. This saves a Python start per
      request (lib.sh's rdreq and lf use it).

  common: --host H (127.0.0.1) --port P --sport S --tcp --wait SEC (3)
"""

import argparse
import contextlib
import json
import os
import select
import signal
import socket
import struct
import sys
import time

from coapraw import encode_options, parse_options, parse_value  # same folder

CON, NON, ACK, RST = 0, 1, 2, 3
TYPE_NAMES = ["CON", "NON", "ACK", "RST"]
METHODS = {"GET": 1, "POST": 2, "PUT": 3, "DELETE": 4, "FETCH": 5, "PATCH": 6, "IPATCH": 7}
OPT_OBSERVE, OPT_LOCATION_PATH, OPT_URI_PATH, OPT_CF = 6, 8, 11, 12
OPT_URI_QUERY, OPT_ACCEPT, OPT_BLOCK2, OPT_BLOCK1, OPT_SIZE2, OPT_SIZE1 = 15, 17, 23, 27, 28, 60


def uint(b):
    return int.from_bytes(b, "big")


def enc_uint(v):
    out = b""
    while v:
        out = bytes([v & 0xFF]) + out
        v >>= 8
    return out


def code_str(code):
    return "%d.%02d" % (code >> 5, code & 31)


def block_opt(num, more, szx):
    return enc_uint(num << 4 | (8 if more else 0) | szx)


def block_val(v):
    v = uint(v)
    return v >> 4, bool(v & 8), v & 7


class Msg:
    def __init__(self, typ, code, mid, token, opts, payload):
        self.typ, self.code, self.mid, self.token = typ, code, mid, token
        self.opts, self.payload = opts, payload or b""

    def opt(self, num):
        for n, v in self.opts:
            if n == num:
                return v
        return None

    def opt_all(self, num):
        return [v for n, v in self.opts if n == num]


# ------------------------------------------------------------ transports

class Udp:
    reliable = False

    def __init__(self, host, port, sport):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", sport))
        self.dest = (host, port)
        self.peer = None  # (host, port) of the last datagram received

    def send(self, m):
        data = bytes([0x40 | m.typ << 4 | len(m.token), m.code]) + \
            m.mid.to_bytes(2, "big") + m.token + encode_options(m.opts)
        if m.payload:
            data += b"\xff" + m.payload
        self.sock.sendto(data, self.peer_of(m))

    def peer_of(self, m):
        return self.dest

    def recv(self, timeout):
        """The next message, or None after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return None
            try:
                data, src = self.sock.recvfrom(65536)
            except ConnectionRefusedError:
                continue
            if len(data) < 4 or data[0] >> 6 != 1:
                continue
            tkl = data[0] & 15
            try:
                opts, payload = parse_options(data, 4 + tkl)
            except (ValueError, IndexError):
                continue
            self.peer = src
            return Msg(data[0] >> 4 & 3, data[1], int.from_bytes(data[2:4], "big"),
                       data[4:4 + tkl], opts, payload)


class Tcp:
    """CoAP over TCP (RFC 8323): no type or message ID; CSM first."""
    reliable = True

    def __init__(self, host, port, sport):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Close with a reset: no TIME_WAIT, so the next request may use the
        # same source port (--sport) at once.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        if sport:
            self.sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", sport))
        self.sock.settimeout(5)
        self.sock.connect((host, port))
        self.buf = b""
        self.closed = False
        self.send(Msg(CON, 0xE1, 0, b"", [], b""))  # CSM

    def send(self, m):
        body = encode_options(m.opts)
        if m.payload:
            body += b"\xff" + m.payload
        n, tkl = len(body), len(m.token)
        if n < 13:
            head = bytes([n << 4 | tkl])
        elif n < 269:
            head = bytes([13 << 4 | tkl, n - 13])
        elif n < 65805:
            head = bytes([14 << 4 | tkl]) + (n - 269).to_bytes(2, "big")
        else:
            head = bytes([15 << 4 | tkl]) + (n - 65805).to_bytes(4, "big")
        self.sock.sendall(head + bytes([m.code]) + m.token + body)

    def _frame(self):
        b = self.buf
        if not b:
            return None
        ln, tkl = b[0] >> 4, b[0] & 15
        extra = {13: 1, 14: 2, 15: 4}.get(ln, 0)
        if len(b) < 2 + extra:
            return None
        length = ln
        if extra:
            length = int.from_bytes(b[1:1 + extra], "big") + {13: 13, 14: 269, 15: 65805}[ln]
        total = 1 + extra + 1 + tkl + length
        if len(b) < total:
            return None
        code = b[1 + extra]
        token = b[2 + extra:2 + extra + tkl]
        opts, payload = parse_options(b[2 + extra + tkl:total], 0)
        self.buf = b[total:]
        return Msg(CON, code, 0, token, opts, payload)

    def recv(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            m = self._frame()
            if m is not None:
                if m.code == 0xE2:  # Ping: Pong
                    self.send(Msg(CON, 0xE3, 0, m.token, [], b""))
                    continue
                if m.code >> 5 == 7:  # CSM, Pong, Release, Abort
                    if m.code in (0xE4, 0xE5):
                        self.closed = True
                    continue
                return m
            if self.closed:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return None
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, OSError):
                chunk = b""
            if not chunk:
                self.closed = True
                continue
            self.buf += chunk


def transport(args):
    if args.tcp:
        return Tcp(args.host, args.port, args.sport)
    return Udp(args.host, args.port, args.sport)


# ------------------------------------------------------------ requests

class Client:
    def __init__(self, tr, wait):
        self.tr, self.wait = tr, wait
        self.mid = int.from_bytes(os.urandom(2), "big")
        self.tok = int.from_bytes(os.urandom(4), "big")
        self.keep = set()  # tokens whose messages exchange() queues in pending
        self.pending = []

    def next_mid(self):
        self.mid = (self.mid + 1) & 0xFFFF
        return self.mid

    def next_token(self):
        self.tok = (self.tok + 1) & 0xFFFFFFFF
        return self.tok.to_bytes(4, "big")

    def ack(self, m):
        if not self.tr.reliable and m.typ == CON:
            self.tr.send(Msg(ACK, 0, m.mid, b"", [], b""))

    def exchange(self, typ, code, token, opts, payload):
        """Send one request, return its response (Msg), "RST" or None."""
        tr = self.tr
        mid = self.next_mid()
        req = Msg(typ, code, mid, token, opts, payload)
        tr.send(req)
        deadline = time.monotonic() + self.wait
        resend = time.monotonic() + 1.0 if typ == CON and not tr.reliable else None
        while True:
            now = time.monotonic()
            if now >= deadline:
                return None
            until = deadline if resend is None else min(deadline, resend)
            m = tr.recv(max(0.0, until - now))
            if m is None:
                if resend is not None and time.monotonic() >= resend:
                    tr.send(req)
                    resend += 1.0
                if tr.reliable and getattr(tr, "closed", False):
                    return None
                continue
            if not tr.reliable and m.mid == mid and m.typ in (ACK, RST):
                resend = None
                if m.typ == RST:
                    return "RST"
                if m.code == 0:
                    continue  # a separate response follows
            if m.token != token or m.code < 64:
                if m.token in self.keep and m.code >= 64:
                    self.ack(m)
                    self.pending.append(m)
                elif not tr.reliable and m.typ == CON:
                    tr.send(Msg(RST, 0, m.mid, b"", [], b""))
                continue
            self.ack(m)
            return m


def split_target(target):
    path, _, query = target.partition("?")
    segs = [s for s in path.split("/") if s != ""]
    qs = [q for q in query.split("&") if q != ""] if query else []
    return segs, qs


def request_opts(args, target):
    segs, qs = split_target(target)
    opts = [(OPT_URI_PATH, s.encode()) for s in segs]
    opts += [(OPT_URI_QUERY, q.encode()) for q in qs + list(args.query)]
    if getattr(args, "cf", None) is not None:
        opts.append((OPT_CF, enc_uint(args.cf)))
    if getattr(args, "accept", None) is not None:
        opts.append((OPT_ACCEPT, enc_uint(args.accept)))
    for o in getattr(args, "opt", []):
        num, _, val = o.partition("=")
        opts.append((int(num), parse_value(val)))
    return opts


def head_line(m, blocks):
    out = [code_str(m.code)]
    loc = m.opt_all(OPT_LOCATION_PATH)
    if loc:
        out.append("loc=/" + "/".join(v.decode("utf-8", "replace") for v in loc))
    for num, name in ((OPT_CF, "cf"), (OPT_OBSERVE, "obs"), (OPT_SIZE1, "size1")):
        v = m.opt(num)
        if v is not None:
            out.append("%s=%d" % (name, uint(v)))
    if blocks > 1:
        out.append("blocks=%d" % blocks)
    return " ".join(out)


def cmd_req(args):
    method = args.method.upper()
    code = METHODS[method] if method in METHODS else int(method, 0)
    cl = Client(transport(args), args.wait)
    opts = request_opts(args, args.target)
    if args.payload_file:
        with open(args.payload_file, "rb") as f:
            payload = f.read()
    else:
        payload = (args.payload or "").encode()
    typ = CON if args.type == "CON" else NON
    token = cl.next_token()

    if args.block1 is not None and payload:
        size = 1 << (args.block1 + 4)
        num = 0
        while True:
            chunk = payload[num * size:(num + 1) * size]
            more = (num + 1) * size < len(payload)
            o = opts + [(OPT_BLOCK1, block_opt(num, more, args.block1))]
            if num == 0 and args.size1 is not None:
                o.append((OPT_SIZE1, enc_uint(args.size1)))
            m = cl.exchange(typ, code, token, o, chunk)
            if m is None or m == "RST" or not more or m.code != 0x5F:  # 2.31 Continue
                break
            num += 1
    else:
        o = list(opts)
        if args.size1 is not None:
            o.append((OPT_SIZE1, enc_uint(args.size1)))
        if args.block2 is not None:
            o.append((OPT_BLOCK2, block_opt(0, False, args.block2)))
        m = cl.exchange(typ, code, token, o, payload)

    body, blocks = b"", 0
    if isinstance(m, Msg):
        body, blocks = m.payload, 1
        b2 = m.opt(OPT_BLOCK2)
        first = m
        while b2 is not None and not args.no_follow:
            num, more, szx = block_val(b2)
            if not more:
                break
            o = [x for x in opts if x[0] not in (OPT_BLOCK2, OPT_BLOCK1, OPT_SIZE1)]
            o.append((OPT_BLOCK2, block_opt(num + 1, False, szx)))
            nxt = cl.exchange(typ, METHODS["GET"] if code == METHODS["GET"] else code,
                              token, o, b"")
            if not isinstance(nxt, Msg) or nxt.code != first.code:
                body += b"<<block %d failed>>" % (num + 1)
                break
            body += nxt.payload
            blocks += 1
            b2 = nxt.opt(OPT_BLOCK2)
        m = first
    if args.kill and isinstance(m, Msg):
        os.kill(args.kill, signal.SIGKILL)
    if m is None:
        print("none")
    elif m == "RST":
        print("RST")
    else:
        print(head_line(m, blocks))
        sys.stdout.write(body.decode("utf-8", "replace"))
        if body:
            sys.stdout.write("\n")
    sys.stdout.flush()


# ------------------------------------------------------------ observe

def show_payload(b):
    return b.decode("utf-8", "replace").replace("\\", "\\\\").replace("\n", "\\n")


def cmd_observe(args):
    out = open(args.out, "a", buffering=1) if args.out else sys.stdout
    tr = transport(args)
    cl = Client(tr, args.wait)
    token = cl.next_token()
    cl.keep.add(token)
    base_opts = request_opts(args, args.target)
    opts = base_opts + [(OPT_OBSERVE, b"")]
    mid = cl.next_mid()
    req = Msg(CON, METHODS["GET"], mid, token, opts, b"")
    tr.send(req)
    end = time.monotonic() + args.duration
    resend = time.monotonic() + 1.0 if not tr.reliable else None
    n = 0
    while time.monotonic() < end:
        until = end if resend is None else min(end, resend)
        if cl.pending:
            m = cl.pending.pop(0)
        else:
            m = tr.recv(max(0.0, until - time.monotonic()))
        if m is None:
            if resend is not None and time.monotonic() >= resend and n == 0:
                tr.send(req)
                resend += 1.0
            if tr.reliable and tr.closed:
                out.write("closed\n")
                break
            continue
        if not tr.reliable and m.typ == ACK and m.mid == mid and m.code == 0:
            resend = None
            continue
        if m.token != token or m.code < 64:
            if not tr.reliable and m.typ == CON:
                tr.send(Msg(RST, 0, m.mid, b"", [], b""))
            continue
        if not tr.reliable and m.mid == mid:
            resend = None
        cl.ack(m)
        obs = m.opt(OPT_OBSERVE)
        cf = m.opt(OPT_CF)
        body, blocks = m.payload, 1
        b2 = m.opt(OPT_BLOCK2)
        while b2 is not None and block_val(b2)[1]:
            # RFC 7959 section 2.6: GET the rest of a large notification.
            num, _, szx = block_val(b2)
            o = base_opts + [(OPT_BLOCK2, block_opt(num + 1, False, szx))]
            nxt = cl.exchange(CON, METHODS["GET"], cl.next_token(), o, b"")
            if not isinstance(nxt, Msg) or nxt.code != m.code:
                body += b"<<block %d failed>>" % (num + 1)
                break
            body += nxt.payload
            blocks += 1
            b2 = nxt.opt(OPT_BLOCK2)
        out.write("%d %s %s obs=%s cf=%s %spayload=%s\n" % (
            n, "TCP" if tr.reliable else TYPE_NAMES[m.typ], code_str(m.code),
            "-" if obs is None else uint(obs), "-" if cf is None else uint(cf),
            "blocks=%d " % blocks if blocks > 1 else "", show_payload(body)))
        out.flush()
        n += 1
        if m.code >> 5 != 2 or obs is None or (args.max and n >= args.max):
            break
    out.write("end\n")
    out.flush()


# ------------------------------------------------------------ simple registration

def cmd_simple(args):
    out = sys.stdout
    tr = transport(args)
    cl = Client(tr, args.wait)
    token = cl.next_token()
    opts = [(OPT_URI_PATH, b".well-known"), (OPT_URI_PATH, b"rd"),
            (OPT_URI_QUERY, ("ep=" + args.ep).encode())]
    opts += [(OPT_URI_QUERY, q.encode()) for q in args.query]
    mid = cl.next_mid()
    req = Msg(CON, METHODS["POST"], mid, token, opts, b"")
    tr.send(req)
    links = args.links.encode()
    end = time.monotonic() + args.wait
    resend = None if tr.reliable else time.monotonic() + 1.0
    got_response = served = failed = False
    done_at = None
    while time.monotonic() < end:
        if done_at is not None and time.monotonic() >= done_at:
            break
        until = end if resend is None else min(end, resend)
        if done_at is not None:
            until = min(until, done_at)
        m = tr.recv(max(0.0, until - time.monotonic()))
        if m is None:
            if resend is not None and time.monotonic() >= resend:
                tr.send(req)
                resend += 1.0
            if tr.reliable and tr.closed:
                break
            continue
        if not tr.reliable and m.typ in (ACK, RST) and m.mid == mid:
            resend = None
        if m.token == token and m.code >= 64:
            cl.ack(m)
            if not got_response:
                out.write("response %s%s\n" % (code_str(m.code), " payload=" + show_payload(
                    m.payload) if m.payload else ""))
                out.flush()
            got_response = True
            failed = m.code >> 5 != 2
        elif m.typ in (CON, NON) and 1 <= m.code < 32:
            path = "/" + "/".join(v.decode("utf-8", "replace") for v in m.opt_all(OPT_URI_PATH))
            b2 = m.opt(OPT_BLOCK2)
            num, _, szx = block_val(b2) if b2 is not None else (0, False, 6)
            out.write("request %s %s%s from %s\n" % (
                {v: k for k, v in METHODS.items()}.get(m.code, code_str(m.code)), path,
                "" if b2 is None else " block2=%d/%d" % (num, 16 << szx),
                "the connection" if tr.reliable else "%s:%d" % tuple(tr.peer[:2])))
            out.flush()
            if args.silent:
                continue
            rtyp = ACK if m.typ == CON else NON
            rmid = m.mid if m.typ == CON else cl.next_mid()
            if args.answer:
                cls, _, det = args.answer.partition(".")
                rsp = Msg(rtyp, int(cls) << 5 | int(det), rmid, m.token, [], b"")
            elif m.code != METHODS["GET"] or path != "/.well-known/core":
                rsp = Msg(rtyp, 0x84, rmid, m.token, [], b"")
            elif tr.reliable and b2 is None:
                rsp = Msg(CON, 0x45, 0, m.token, [(OPT_CF, enc_uint(40))], links)
                served = True
            else:
                size = 16 << szx
                part = links[num * size:(num + 1) * size]
                more = (num + 1) * size < len(links)
                o = [(OPT_CF, enc_uint(40))]
                if b2 is not None or more:
                    o.append((OPT_BLOCK2, block_opt(num, more, szx)))
                    if num == 0:
                        o.append((OPT_SIZE2, enc_uint(len(links))))
                rsp = Msg(rtyp, 0x45, rmid, m.token, o, part)
                if not more:
                    served = True
            if not tr.reliable:
                tr.dest = tr.peer
            tr.send(rsp)
        if got_response and (served or failed or args.silent or args.answer) and done_at is None:
            done_at = time.monotonic() + args.linger
    out.write("end\n")
    out.flush()


# ------------------------------------------------------------ link-format

class LfError(Exception):
    pass


def parse_lf(s):
    links, i, n = [], 0, len(s)
    while True:
        while i < n and s[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        if s[i] != "<":
            raise LfError("expected '<' at %d" % i)
        j = s.find(">", i)
        if j < 0:
            raise LfError("unterminated target at %d" % i)
        target, i, attrs = s[i + 1:j], j + 1, []
        while i < n and s[i] == ";":
            i += 1
            k = i
            while i < n and s[i] not in "=;,":
                i += 1
            name = s[k:i].strip()
            if not name:
                raise LfError("empty attribute name at %d" % k)
            value = None
            if i < n and s[i] == "=":
                i += 1
                if i < n and s[i] == '"':
                    i += 1
                    v = []
                    while i < n and s[i] != '"':
                        if s[i] == "\\" and i + 1 < n:
                            i += 1
                        v.append(s[i])
                        i += 1
                    if i >= n:
                        raise LfError("unterminated quoted value")
                    i += 1
                    value = "".join(v)
                else:
                    k = i
                    while i < n and s[i] not in ";,":
                        i += 1
                    value = s[k:i]
            attrs.append((name, value))
        while i < n and s[i] in " \t\r\n":
            i += 1
        if i < n:
            if s[i] != ",":
                raise LfError("expected ',' at %d" % i)
            i += 1
        links.append((target, attrs))
    return links


def parse_json_links(s):
    if not s.strip():
        return []
    arr = json.loads(s)
    if not isinstance(arr, list):
        raise LfError("not a JSON array")
    links = []
    for obj in arr:
        if not isinstance(obj, dict) or not isinstance(obj.get("href"), str):
            raise LfError("not a link object: %r" % (obj,))
        attrs = []
        for k, v in obj.items():
            if k == "href":
                continue
            for x in (v if isinstance(v, list) else [v]):
                if x is True:
                    attrs.append((k, None))
                elif isinstance(x, str):
                    attrs.append((k, x))
                else:
                    raise LfError("bad value for %s: %r" % (k, x))
        links.append((obj["href"], attrs))
    return links


def cmd_lf(args):
    text = args.text if args.text is not None else sys.stdin.read()
    try:
        links = parse_json_links(text) if args.json else parse_lf(text)
    except (LfError, ValueError) as e:
        print("malformed: %s" % e)
        sys.exit(1)
    lines = []
    for target, attrs in links:
        if args.sort_attrs:
            attrs = sorted(attrs, key=lambda a: (a[0], a[1] or ""))
        lines.append("<%s>" % target + "".join(
            ";%s" % k if v is None else ";%s=%s" % (k, v) for k, v in attrs))
    if args.sort:
        lines.sort()
    for line in lines:
        print(line)


# ------------------------------------------------------------ resident

def cmd_serve(args, ap):
    # Both FIFOs opened read-write, so that neither open blocks; the shell
    # opens --in for writing and --done for reading once --ready exists. A
    # request is its argument count and its arguments, each ended by NUL.
    fin = os.open(args.inp, os.O_RDWR)
    fdone = os.open(args.done, os.O_RDWR)
    open(args.ready, "w").close()
    buf = b""
    while True:
        fields = buf.split(b"\0")
        if len(fields) < 2 or len(fields) < int(fields[0] or b"0") + 2:
            chunk = os.read(fin, 65536)
            if not chunk:
                return
            buf += chunk
            continue
        n = int(fields[0])
        argv = [a.decode("utf-8", "surrogateescape") for a in fields[1:n + 1]]
        buf = b"\0".join(fields[n + 1:])
        with open(args.out, "w") as out, contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(out):
            try:
                sub = ap.parse_args(argv)
                if sub.cmd in ("req", "lf", "simple"):
                    run(sub, ap)
                else:
                    print("error: only req, simple and lf run resident")
            except SystemExit:
                pass
            except Exception as e:  # report it, keep serving
                print("error: %s: %s" % (type(e).__name__, e))
        os.write(fdone, b"done\n")


def run(args, ap):
    if args.cmd == "req":
        cmd_req(args)
    elif args.cmd == "observe":
        cmd_observe(args)
    elif args.cmd == "simple":
        cmd_simple(args)
    elif args.cmd == "lf":
        cmd_lf(args)
    elif args.cmd == "serve":
        cmd_serve(args, ap)
    else:
        ap.print_help()
        sys.exit(2)


# ------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd")

    def common(p):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--sport", type=int, default=0)
        p.add_argument("--tcp", action="store_true")
        p.add_argument("--wait", type=float, default=3.0)
        p.add_argument("--query", action="append", default=[])

    r = sub.add_parser("req")
    common(r)
    r.add_argument("method")
    r.add_argument("target")
    r.add_argument("--type", default="CON", choices=["CON", "NON"])
    r.add_argument("--cf", type=int)
    r.add_argument("--accept", type=int)
    r.add_argument("--payload")
    r.add_argument("--payload-file")
    r.add_argument("--opt", action="append", default=[])
    r.add_argument("--block1", type=int)
    r.add_argument("--block2", type=int)
    r.add_argument("--size1", type=int)
    r.add_argument("--no-follow", action="store_true")
    r.add_argument("--kill", type=int)

    o = sub.add_parser("observe")
    common(o)
    o.add_argument("target")
    o.add_argument("--accept", type=int)
    o.add_argument("--opt", action="append", default=[])
    o.add_argument("--duration", type=float, default=10.0)
    o.add_argument("--max", type=int, default=0)
    o.add_argument("--out")

    s = sub.add_parser("simple")
    common(s)
    s.add_argument("--ep", required=True)
    s.add_argument("--links", default="")
    s.add_argument("--answer")
    s.add_argument("--silent", action="store_true")
    s.add_argument("--linger", type=float, default=0.1)

    lf = sub.add_parser("lf")
    lf.add_argument("--json", action="store_true")
    lf.add_argument("--sort", action="store_true")
    lf.add_argument("--sort-attrs", action="store_true")
    lf.add_argument("text", nargs="?")

    sv = sub.add_parser("serve")
    sv.add_argument("--in", dest="inp", required=True)
    sv.add_argument("--out", required=True)
    sv.add_argument("--done", required=True)
    sv.add_argument("--ready", required=True)

    run(ap.parse_args(), ap)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
    except (ConnectionRefusedError, socket.timeout, OSError) as e:
        print("error: %s" % e)
        sys.exit(1)
