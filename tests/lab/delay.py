#!/usr/bin/env python3
"""A delay line for the lab's high-latency scenario (this kernel has no netem qdisc).

Runs inside a router namespace.  Policy routing there sends every forwarded packet into the
TUN device given (--dev); this program reads each packet, holds it for --delay-ms, adds one
to its TTL / hop limit (the kernel decremented it once on the way into the TUN device and
decrements it again when it forwards the re-injected packet, so without this the router
would count as two hops), and writes it back.  The kernel then routes it from the TUN
device with the main table.  No packet is dropped or reordered; the queue is bounded
(--max-queue, oldest dropped beyond it, counted on exit).

Only the standard library; exits on SIGTERM.  --ready FILE is created once the device is open.
"""
import argparse
import collections
import fcntl
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def ipv4_checksum(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += (hdr[i] << 8) | hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def bump_ttl(pkt):
    """Return pkt with TTL/hop limit plus one (IPv4 header checksum recomputed)."""
    if not pkt:
        return pkt
    b = bytearray(pkt)
    ver = b[0] >> 4
    if ver == 4 and len(b) >= 20:
        ihl = (b[0] & 0x0F) * 4
        if ihl < 20 or ihl > len(b) or b[8] == 255:
            return pkt
        b[8] += 1
        b[10] = b[11] = 0
        c = ipv4_checksum(b[:ihl])
        b[10], b[11] = c >> 8, c & 0xFF
    elif ver == 6 and len(b) >= 40 and b[7] < 255:
        b[7] += 1
    return bytes(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", required=True)
    ap.add_argument("--delay-ms", type=float, required=True)
    ap.add_argument("--max-queue", type=int, default=10000)
    ap.add_argument("--ready")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", args.dev.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    if args.ready:
        open(args.ready, "w").close()

    delay = args.delay_ms / 1000.0
    queue = collections.deque()  # (due time, packet): constant delay keeps it in order
    dropped = 0
    try:
        while True:
            now = time.monotonic()
            while queue and queue[0][0] <= now:
                _, pkt = queue.popleft()
                try:
                    os.write(fd, pkt)
                except OSError:
                    pass
            timeout = max(0.0, queue[0][0] - now) if queue else 1.0
            r, _, _ = select.select([fd], [], [], timeout)
            if not r:
                continue
            for _ in range(256):
                try:
                    pkt = os.read(fd, 65535)
                except BlockingIOError:
                    break
                if len(queue) >= args.max_queue:
                    queue.popleft()
                    dropped += 1
                queue.append((time.monotonic() + delay, bump_ttl(pkt)))
    finally:
        if dropped:
            print("delay.py: dropped %d packets (queue full)" % dropped, file=sys.stderr)


if __name__ == "__main__":
    main()
