#!/usr/bin/env python3
"""Synthesise a large Ethernet pcap for the capture benchmark (documentation addresses
only; nothing is sent anywhere).
   capture_gen.py OUT [TARGET_MB]   (default 100)
Content, repeated until the file reaches TARGET_MB:
  - client 192.0.2.x connections to 198.51.100.y:443, each a handshake with MSS/WS
    options, 3 full-size (1448-byte) segments from the server with ACKs, and a FIN
    exchange (server TTL 62, client TTL 64);
  - every 10th connection refused with a RST, every 25th unanswered (SYN sent twice);
  - a DNS-like UDP query/response every 5 connections;
  - between connections, a burst of 200 small (100-byte) segments on one long-lived
    connection, so the packet count is high as well as the byte count."""
import struct
import sys

out, target_mb = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100
limit = target_mb * 1000 * 1000
f = open(out, "wb", buffering=1 << 20)
f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
size = 24
ts = 1_700_000_000 * 1_000_000
ETH_C2S = bytes.fromhex("020000000002" "020000000001" "0800")
ETH_S2C = bytes.fromhex("020000000001" "020000000002" "0800")
ip_id = [0]


def ip4(src, dst, proto, ttl, payload):
    ip_id[0] = (ip_id[0] + 1) & 0xffff
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ip_id[0], 0x4000, ttl,
                       proto, 0, src, dst) + payload


def tcp(sport, dport, seq, ack, flags, opts=b"", data=b""):
    hl = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                       hl << 4, flags, 502, 0, 0) + opts + data


def emit(eth, pkt, gap_us=30):
    global size, ts
    ts += gap_us
    frame = eth + pkt
    f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(frame), len(frame)))
    f.write(frame)
    size += 16 + len(frame)


SYN_OPTS = bytes.fromhex("020405b4" "0402" "080a0000000100000000" "01" "03030a")
FULL = b"\xab" * 1448
SMALL = b"\xcd" * 46
S, A, F, R, P = 0x02, 0x10, 0x01, 0x04, 0x08
n = 0
long_seq = 1000
cli_long, srv_long = bytes([192, 0, 2, 250]), bytes([198, 51, 100, 250])
while size < limit:
    n += 1
    cli = bytes([192, 0, 2, 1 + n % 200])
    srv = bytes([198, 51, 100, 1 + n % 50])
    cp = 10000 + n % 50000
    cs, ss = n * 7919, n * 104729
    c2s = lambda fl, seq, ack, opts=b"", data=b"": emit(ETH_C2S, ip4(cli, srv, 6, 64, tcp(cp, 443, seq, ack, fl, opts, data)))
    s2c = lambda fl, seq, ack, opts=b"", data=b"": emit(ETH_S2C, ip4(srv, cli, 6, 62, tcp(443, cp, seq, ack, fl, opts, data)))
    if n % 25 == 0:
        c2s(S, cs, 0, SYN_OPTS)
        c2s(S, cs, 0, SYN_OPTS)
    elif n % 10 == 0:
        c2s(S, cs, 0, SYN_OPTS)
        s2c(R | A, 0, cs + 1)
    else:
        c2s(S, cs, 0, SYN_OPTS)
        s2c(S | A, ss, cs + 1, SYN_OPTS)
        c2s(A, cs + 1, ss + 1)
        c2s(P | A, cs + 1, ss + 1, b"", SMALL)
        for k in range(3):
            s2c(A, ss + 1 + k * 1448, cs + 47, b"", FULL)
            c2s(A, cs + 47, ss + 1 + (k + 1) * 1448)
        c2s(F | A, cs + 47, ss + 1 + 3 * 1448)
        s2c(F | A, ss + 1 + 3 * 1448, cs + 48)
        c2s(A, cs + 48, ss + 2 + 3 * 1448)
    if n % 5 == 0:
        emit(ETH_C2S, ip4(cli, srv, 17, 64, struct.pack("!HHHH", 30000 + n % 20000, 53, 40, 0) + b"q" * 32))
        emit(ETH_S2C, ip4(srv, cli, 17, 62, struct.pack("!HHHH", 53, 30000 + n % 20000, 72, 0) + b"r" * 64))
    if n % 10 == 0:
        for k in range(200):
            emit(ETH_C2S, ip4(cli_long, srv_long, 6, 64, tcp(40000, 8443, long_seq, 5000, P | A, b"", SMALL)), 5)
            long_seq += len(SMALL)
f.close()
print(f"{out}: {size} bytes, {n} connections")
