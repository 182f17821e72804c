#!/usr/bin/env python3
"""A loopback TCP listener for tests and demos: binds 127.0.0.1 (PORT, or any free port),
writes the port number to PORTFILE, accepts and closes connections, and exits by itself
after SECONDS (default 120) so it never outlives its user.
usage: listener.py PORTFILE [SECONDS] [PORT]"""
import socket
import sys
import time

portfile = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 120.0
port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
with open(portfile, "w") as f:
    f.write(str(s.getsockname()[1]))
s.settimeout(1.0)
end = time.time() + seconds
while time.time() < end:
    try:
        c, _ = s.accept()
        c.close()
    except socket.timeout:
        pass
