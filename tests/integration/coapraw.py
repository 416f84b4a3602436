#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Integration tests: hand-built CoAP datagrams, a CoAP-over-TCP ping and a CBOR decoder.
"""Small CoAP tools for the integration tests (standard library only).

  coapraw.py send --port P [--host H] [--sport S] [--wait SEC] MESSAGE
      Send one datagram and print the first reply, decoded on one line:
        TYPE C.DD mid=N token=HEX|- opts=NUM:VAL;...|- payload=TEXT|-
      or "none" when nothing came back within --wait seconds.
      MESSAGE is --hex HEX (sent as is) or built from --type, --code,
      --mid, --token, --opt NUM=VAL (repeatable; VAL is u:INT for a uint,
      x:HEX for opaque bytes, empty for a zero-length value, else text),
      --payload TEXT and --version.
  coapraw.py tcp-ping --port P [--host H] [--wait SEC]
      Open a coap+tcp connection, send CSM and Ping, and print the codes of
      the signalling messages received until the Pong, e.g. "7.01 7.03".
  coapraw.py cbor FILE
      Decode one CBOR item (maps, arrays, text and byte strings, integers)
      that must fill FILE exactly and print it as compact JSON.
"""

import argparse
import json
import socket
import sys
import time

TYPES = {"CON": 0, "NON": 1, "ACK": 2, "RST": 3}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
METHODS = {"EMPTY": 0, "GET": 1, "POST": 2, "PUT": 3, "DELETE": 4}
# Options whose values print as unsigned integers.
UINT_OPTS = {6, 7, 12, 14, 17, 23, 27, 28, 60, 258}


def fail(msg):
    sys.stderr.write("coapraw: %s\n" % msg)
    sys.exit(2)


def encode_uint(v):
    out = b""
    while v:
        out = bytes([v & 0xFF]) + out
        v >>= 8
    return out


def parse_value(text):
    if text.startswith("u:"):
        return encode_uint(int(text[2:], 0))
    if text.startswith("x:"):
        return bytes.fromhex(text[2:])
    return text.encode()


def ext(n):
    """Option delta/length nibble and extension bytes (RFC 7252 section 3.1)."""
    if n < 13:
        return n, b""
    if n < 269:
        return 13, bytes([n - 13])
    return 14, (n - 269).to_bytes(2, "big")


def encode_options(opts):
    out = b""
    last = 0
    for num, val in sorted(opts, key=lambda o: o[0]):  # stable: repeats keep their order
        dn, dx = ext(num - last)
        ln, lx = ext(len(val))
        out += bytes([dn << 4 | ln]) + dx + lx + val
        last = num
    return out


def parse_code(text):
    if text.upper() in METHODS:
        return METHODS[text.upper()]
    cls, _, detail = text.partition(".")
    return int(cls) << 5 | int(detail)


def build(args):
    if args.hex is not None:
        return bytes.fromhex(args.hex)
    token = bytes.fromhex(args.token) if args.token else b""
    opts = []
    for o in args.opt:
        num, _, val = o.partition("=")
        opts.append((int(num), parse_value(val)))
    msg = bytes([args.version << 6 | TYPES[args.type] << 4 | len(token),
                 parse_code(args.code)]) + int(args.mid, 0).to_bytes(2, "big") + token
    msg += encode_options(opts)
    if args.payload is not None:
        msg += b"\xff" + args.payload.encode()
    return msg


def read_ext(n, buf, i):
    if n < 13:
        return n, i
    if n == 13:
        return buf[i] + 13, i + 1
    if n == 14:
        return int.from_bytes(buf[i:i + 2], "big") + 269, i + 2
    raise ValueError("reserved nibble 15")


def show_bytes(b):
    try:
        s = b.decode()
        if s.isprintable():
            return s
    except UnicodeDecodeError:
        pass
    return "x:" + b.hex()


def parse_options(buf, i):
    """Options from buf[i:] up to the payload marker: (list, payload or None)."""
    opts = []
    num = 0
    while i < len(buf):
        if buf[i] == 0xFF:
            return opts, buf[i + 1:]
        dn, ln = buf[i] >> 4, buf[i] & 15
        delta, i = read_ext(dn, buf, i + 1)
        olen, i = read_ext(ln, buf, i)
        num += delta
        opts.append((num, buf[i:i + olen]))
        i += olen
    return opts, None


def show_options(opts):
    if not opts:
        return "-"
    return ";".join("%d:%s" % (n, int.from_bytes(v, "big") if n in UINT_OPTS else show_bytes(v))
                    for n, v in opts)


def decode(buf):
    if len(buf) < 4:
        return "short len=%d hex=%s" % (len(buf), buf.hex())
    ver, typ, tkl = buf[0] >> 6, buf[0] >> 4 & 3, buf[0] & 15
    code, mid = buf[1], int.from_bytes(buf[2:4], "big")
    token = buf[4:4 + tkl]
    try:
        opts, payload = parse_options(buf, 4 + tkl)
    except (ValueError, IndexError):
        return "unparsable hex=%s" % buf.hex()
    return "%s%s %d.%02d mid=%d token=%s opts=%s payload=%s" % (
        "" if ver == 1 else "v%d " % ver, TYPE_NAMES[typ], code >> 5, code & 31, mid,
        token.hex() or "-", show_options(opts),
        "-" if payload is None else show_bytes(payload))


def cmd_send(args):
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", args.sport))
    s.settimeout(args.wait)
    s.sendto(build(args), (args.host, args.port))
    try:
        data, _ = s.recvfrom(65536)
    except socket.timeout:
        print("none")
        return
    except ConnectionRefusedError:
        print("refused")
        return
    print(decode(data))


class TcpReader:
    """CoAP-over-TCP messages (RFC 8323 section 3.2) from a stream socket."""

    def __init__(self, sock, deadline):
        self.sock, self.deadline, self.buf = sock, deadline, b""

    def need(self, n):
        while len(self.buf) < n:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            self.sock.settimeout(left)
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError()
            self.buf += chunk

    def message(self):
        """The next message's code."""
        self.need(1)
        ln, tkl = self.buf[0] >> 4, self.buf[0] & 15
        extra = {13: 1, 14: 2, 15: 4}.get(ln, 0)
        self.need(1 + extra)
        length = ln
        if extra:
            length = int.from_bytes(self.buf[1:1 + extra], "big") + \
                {13: 13, 14: 269, 15: 65805}[ln]
        total = 1 + extra + 1 + tkl + length
        self.need(total)
        code = self.buf[1 + extra]
        self.buf = self.buf[total:]
        return code


def cmd_tcp_ping(args):
    sock = socket.create_connection((args.host, args.port), timeout=args.wait)
    sock.sendall(bytes([0x00, 0xE1]))  # CSM without options
    sock.sendall(bytes([0x00, 0xE2]))  # Ping
    reader = TcpReader(sock, time.monotonic() + args.wait)
    seen = []
    try:
        while True:
            code = reader.message()
            seen.append("%d.%02d" % (code >> 5, code & 31))
            if code == 0xE3 or len(seen) > 8:
                break
    except socket.timeout:
        seen.append("timeout")
    except EOFError:
        seen.append("closed")
    sock.close()
    print(" ".join(seen))


class CborError(Exception):
    pass


def cbor_item(b, i):
    if i >= len(b):
        raise CborError("truncated")
    mt, ai = b[i] >> 5, b[i] & 31
    i += 1
    if ai < 24:
        arg = ai
    elif ai in (24, 25, 26, 27):
        n = 1 << (ai - 24)
        if i + n > len(b):
            raise CborError("truncated argument")
        arg = int.from_bytes(b[i:i + n], "big")
        i += n
    else:
        raise CborError("indefinite or reserved length (ai %d)" % ai)
    if mt == 0:
        return arg, i
    if mt == 1:
        return -1 - arg, i
    if mt in (2, 3):
        if i + arg > len(b):
            raise CborError("truncated string")
        s = b[i:i + arg]
        return (s.hex() if mt == 2 else s.decode("utf-8")), i + arg
    if mt == 4:
        out = []
        for _ in range(arg):
            v, i = cbor_item(b, i)
            out.append(v)
        return out, i
    if mt == 5:
        out = {}
        for _ in range(arg):
            k, i = cbor_item(b, i)
            v, i = cbor_item(b, i)
            if k in out:
                raise CborError("duplicate key %r" % k)
            out[k] = v
        return out, i
    raise CborError("major type %d not expected here" % mt)


def cmd_cbor(args):
    with open(args.file, "rb") as f:
        data = f.read()
    try:
        item, end = cbor_item(data, 0)
        if end != len(data):
            raise CborError("%d trailing bytes" % (len(data) - end))
    except (CborError, UnicodeDecodeError) as e:
        print("invalid CBOR: %s (hex %s)" % (e, data.hex()))
        sys.exit(1)
    print(json.dumps(item, separators=(",", ":")))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd")
    s = sub.add_parser("send")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--sport", type=int, default=0)
    s.add_argument("--wait", type=float, default=1.0)
    s.add_argument("--hex")
    s.add_argument("--version", type=int, default=1)
    s.add_argument("--type", default="CON", choices=sorted(TYPES))
    s.add_argument("--code", default="GET")
    s.add_argument("--mid", default="0x1234")
    s.add_argument("--token", default="")
    s.add_argument("--opt", action="append", default=[])
    s.add_argument("--payload")
    t = sub.add_parser("tcp-ping")
    t.add_argument("--host", default="127.0.0.1")
    t.add_argument("--port", type=int, required=True)
    t.add_argument("--wait", type=float, default=3.0)
    c = sub.add_parser("cbor")
    c.add_argument("file")
    args = ap.parse_args()
    if args.cmd == "send":
        cmd_send(args)
    elif args.cmd == "tcp-ping":
        cmd_tcp_ping(args)
    elif args.cmd == "cbor":
        cmd_cbor(args)
    else:
        ap.print_help()
        sys.exit(2)


if __name__ == "__main__":
    main()
