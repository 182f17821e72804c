#!/usr/bin/env python3
"""Compare the example reports of examples/reports/generate.sh (tcp-check-*) committed in
the source tree with a fresh run into another folder, ignoring what differs from run to
run: timestamps, durations and RTTs, the ports of the loopback listener and the closed
port, and the vantage point (hostname, addresses).  Exit 1 with a diff when they differ.
usage: compare_examples.py COMMITTED_DIR FRESH_DIR"""
import difflib
import json
import os
import re
import sys

FILES = ["tcp-check-ok.json", "tcp-check-ok.md", "tcp-check-service-down.json",
         "tcp-check-service-down.md", "tcp-check-service-down.zh.md",
         "tcp-check-lua-service-down.json", "tcp-check-lua-service-down.md"]
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
VOLATILE_KEYS = re.compile(r"^(duration_ms|time_ms|first_byte_ms|rtt_ms|rtt_(min|avg|max)_ms)$")


def facts(folder, name):
    """Ports and vantage of the report a file belongs to (its JSON; .zh.md: the English)."""
    base = re.sub(r"(\.zh)?\.(md|json)$", "", name)
    with open(os.path.join(folder, base + ".json"), encoding="utf-8") as f:
        r = json.load(f)
    ports = {}
    for k, tag in (("port", "<PORT>"), ("compare_port", "<CPORT>")):
        if isinstance(r["params"].get(k), int):
            ports[r["params"][k]] = tag
    return ports, r["vantage"]["hostname"], r["vantage"]["addresses"]


def text_subst(s, ports, hostname, addresses):
    s = TIME.sub("<TIME>", s)
    for p, tag in ports.items():
        s = re.sub(r"(?<![\d.])%d(?![\d.])" % p, tag, s)
    s = re.sub(r"\b\d+(\.\d+)? ms\b", "<N> ms", s)
    s = re.sub(r"\b(duration_ms|time_ms|first_byte_ms|rtt_ms|rtt_(min|avg|max)_ms)( \| | )[0-9.]+", r"\1\3<N>", s)
    if hostname:
        s = re.sub(r"(?<![\w.-])%s(?![\w.-])" % re.escape(hostname), "<HOST>", s)
    return s


def normalize(folder, name):
    ports, hostname, addresses = facts(folder, name)
    with open(os.path.join(folder, name), encoding="utf-8") as f:
        text = f.read()
    if name.endswith(".md"):
        # the source-address row lists this host's addresses (and is absent without any)
        lines = [l for l in text.split("\n") if not re.match(r"^\| (Source addresses|源地址) \|", l)]
        return text_subst("\n".join(lines), ports, hostname, addresses).split("\n")

    def walk(v, key=None):
        if isinstance(v, dict):
            return {k: walk(x, k) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if key and VOLATILE_KEYS.match(key) and isinstance(v, (int, float)):
            return "<N>"
        if isinstance(v, int) and not isinstance(v, bool) and v in ports:
            return ports[v]
        if isinstance(v, str):
            return text_subst(v, ports, hostname, addresses)
        return v

    r = walk(json.loads(text))
    r["vantage"]["hostname"] = "<HOST>"
    r["vantage"]["addresses"] = ["<ADDRESSES>"]
    return json.dumps(r, indent=2, ensure_ascii=False).split("\n")


def main():
    committed, fresh = sys.argv[1], sys.argv[2]
    status = 0
    for name in FILES:
        a, b = normalize(committed, name), normalize(fresh, name)
        if a != b:
            status = 1
            print("%s differs from a fresh run (examples/reports/generate.sh):" % name)
            sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(a, b, "committed/" + name,
                                                                          "fresh/" + name, n=1, lineterm=""))
    return status


if __name__ == "__main__":
    sys.exit(main())
