#!/usr/bin/env python3
"""Write the seed corpus for fuzz_pkt from the packet fixtures (tests/fixtures/net).

Each seed is one mode byte (see fuzz_pkt.c) then the bytes.  Run from anywhere:
    python3 tests/fuzz/make_corpus.py
"""
import glob, os, struct

here = os.path.dirname(os.path.abspath(__file__))
fix = os.path.join(here, "..", "fixtures", "net")
out = os.path.join(here, "corpus", "pkt")
os.makedirs(out, exist_ok=True)

def load(path):
    data = bytearray()
    for line in open(path):
        if not line.startswith("#"):
            data += bytes.fromhex(line)
    return bytes(data)

PROTO_BITS = {1: 0 << 5, 58: 1 << 5, 17: 2 << 5, 6: 3 << 5}
for path in sorted(glob.glob(os.path.join(fix, "*.hex"))):
    name = os.path.basename(path)[:-4]
    pkt = load(path)
    open(os.path.join(out, name + ".ip"), "wb").write(b"\x00" + pkt)
    # the same message as a datagram socket delivers it (no IP header)
    v6 = pkt[0] >> 4 == 6
    hl = 40 if v6 else (pkt[0] & 15) * 4
    proto = pkt[6] if v6 else pkt[9]
    if proto in PROTO_BITS and not name.endswith("hbh"):
        mode = 1 | (0x10 if v6 else 0) | PROTO_BITS[proto]
        open(os.path.join(out, name + ".l4"), "wb").write(bytes([mode]) + pkt[hl:])

# recverr: sock_extended_err {errno u32, origin u8, type u8, code u8, pad u8, info u32,
# data u32}, 16 address bytes, then the returned probe start.
addr6 = bytes.fromhex("20010db8000000000000000000000001")
ee = struct.pack("=IBBBBII", 90, 2, 3, 4, 0, 1280, 0)
open(os.path.join(out, "recverr_fragneeded.bin"), "wb").write(
    b"\x02" + ee + bytes.fromhex("c0000201") + b"\0" * 12 + bytes.fromhex("0800f4fa01020003"))
ee = struct.pack("=IBBBBII", 113, 3, 3, 0, 0, 0, 0)
open(os.path.join(out, "recverr6_ttl_udp.bin"), "wb").write(
    bytes([2 | 0x10 | 0x40 | 0x80]) + ee + addr6 + bytes.fromhex("9c40829a00080000"))

# round trips: flags byte, 16+16 address bytes, ttl tos id(2) flow(3) a(2) b(2) seq(4), data
def rt(name, flags, proto_bits, data=b""):
    src = bytes.fromhex("c0000201") if not flags & 1 else addr6
    dst = bytes.fromhex("cb00710a") if not flags & 1 else addr6[:-1] + b"\x02"
    body = bytes([flags | proto_bits]) + src.ljust(16, b"\0") + dst.ljust(16, b"\0")
    body += bytes([5, 0, 0x12, 0x34, 0, 0, 1, 0x9c, 0x40, 0x01, 0xbb, 1, 2, 3, 4]) + data
    open(os.path.join(out, name), "wb").write(b"\x03" + body)

rt("rt_icmp4.bin", 0, 0 << 1, b"nrb-probe-data!!")
rt("rt_icmp6.bin", 1, 0 << 1, b"nrb-probe-data!!")
rt("rt_udp4.bin", 8, 2 << 1, b"\x40" * 32)
rt("rt_udp6.bin", 1, 2 << 1, b"\x40" * 32)
rt("rt_tcp4_mss.bin", 0x30, 3 << 1)
rt("rt_tcp6_ack.bin", 1, 3 << 1)

# ICMP time exceeded with an RFC 4950 MPLS extension, RFC 4884 and legacy layouts
def csum(b):
    s = 0
    for i in range(0, len(b), 2):
        s += b[i] << 8 | (b[i + 1] if i + 1 < len(b) else 0)
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

orig = load(os.path.join(fix, "v4_ttl_exceeded_udp.hex"))
ext = bytearray(bytes.fromhex("20000000000c010103e8500105dc1b01"))
c = csum(ext)
ext[2], ext[3] = c >> 8, c & 255
for name, lenfield in (("ext_mpls_4884.ip", 32), ("ext_mpls_legacy.ip", 0)):
    b = bytearray(28 + 128) + ext
    b[:88] = orig[:88]
    b[25] = lenfield
    b[2], b[3] = len(b) >> 8, len(b) & 255
    open(os.path.join(out, name), "wb").write(b"\x00" + bytes(b))
