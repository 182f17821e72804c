#!/usr/bin/env python3
"""The lab's server: real listeners that send real responses (run inside nrb-server).

TCP ports (dual stack, one thread per connection): reads one request (up to the blank line
that ends HTTP headers, at most 8 KiB, at most 5 s) and answers an HTTP/1.0 response.
  - port 8080, or any port with the path /big: a 65536-byte body (exercises PMTU: the
    segments fill the server's 1500-byte MTU);
  - otherwise a short body naming the port.
A client that connects and sends nothing gets the short response after 5 s or when it closes.
UDP port: echoes each datagram back to its sender.

Only the standard library; exits on SIGTERM.  --ready FILE is created once every socket is
bound, so the lab driver can wait for it (bounded) instead of sleeping.
"""
import argparse
import signal
import socket
import sys
import threading

BIG = 65536


def response(port, request):
    line = request.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    parts = line.split()
    path = parts[1] if len(parts) >= 2 else "/"
    if port == 8080 or path == "/big":
        body = (b"0123456789abcdef" * (BIG // 16))
    else:
        body = ("nrb lab server port %d path %s\n" % (port, path)).encode()
    head = ("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
            "Connection: close\r\n\r\n" % len(body)).encode()
    return head + body


def serve_conn(conn, port):
    try:
        conn.settimeout(5.0)
        req = b""
        try:
            while b"\r\n\r\n" not in req and b"\n\n" not in req and len(req) < 8192:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                req += chunk
        except OSError:
            pass
        conn.settimeout(20.0)
        conn.sendall(response(port, req))
        conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        conn.close()


def tcp_loop(sock, port):
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        threading.Thread(target=serve_conn, args=(conn, port), daemon=True).start()


def udp_loop(sock):
    while True:
        try:
            data, peer = sock.recvfrom(65535)
            sock.sendto(data, peer)
        except OSError:
            continue


def bind(kind, port):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    if kind == socket.SOCK_STREAM:
        s.listen(64)
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tcp", default="80 443 8080", help="TCP ports, space or comma separated")
    ap.add_argument("--udp", default="9999", help="UDP echo ports")
    ap.add_argument("--ready", help="file to create once listening")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    threads = []
    for p in args.tcp.replace(",", " ").split():
        s = bind(socket.SOCK_STREAM, int(p))
        threads.append(threading.Thread(target=tcp_loop, args=(s, int(p)), daemon=True))
    for p in args.udp.replace(",", " ").split():
        s = bind(socket.SOCK_DGRAM, int(p))
        threads.append(threading.Thread(target=udp_loop, args=(s,), daemon=True))
    for t in threads:
        t.start()
    if args.ready:
        open(args.ready, "w").close()
    signal.pause()


if __name__ == "__main__":
    main()
