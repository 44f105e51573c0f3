#!/usr/bin/env python3
"""Counts occurrences of canary strings in the memory of running processes.

Usage: COFFER_CANARIES='{"name": "secret", ...}' memscan.py PID...
Reads every readable mapping of each process through /proc/PID/maps and /proc/PID/mem (needs
ptrace rights over the process: same user with ptrace_scope 0, or root) and prints one JSON
object: {"PID": {"comm": ..., "bytes": N, "counts": {"name (utf-8)": n, "name (utf-16le)": n}}}.
The secrets are taken from the environment so they never show on a command line.
"""
import json
import os
import re
import sys

CHUNK = 16 << 20


def patterns():
    canaries = json.loads(os.environ["COFFER_CANARIES"])
    out = []
    for name, text in canaries.items():
        out.append((f"{name} (utf-8)", text.encode("utf-8")))
        out.append((f"{name} (utf-16le)", text.encode("utf-16-le")))
    return out


def scan(pid, pats):
    counts = {name: 0 for name, _ in pats}
    longest = max(len(p) for _, p in pats)
    total = 0
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            start, end, perms = int(m[1], 16), int(m[2], 16), m[3]
            if perms[0] != "r" or "[vvar" in line or "[vsyscall]" in line:
                continue
            tail = b""
            pos = start
            while pos < end:
                n = min(CHUNK, end - pos)
                try:
                    mem.seek(pos)
                    data = mem.read(n)
                except (OSError, ValueError, OverflowError):
                    break
                if not data:
                    break
                total += len(data)
                buf = tail + data
                for name, p in pats:
                    # Count matches that end inside the new data only (the tail was counted).
                    i = buf.find(p)
                    while i != -1:
                        if i + len(p) > len(tail):
                            counts[name] += 1
                        i = buf.find(p, i + 1)
                tail = buf[-(longest - 1):] if longest > 1 else b""
                pos += len(data)
    with open(f"/proc/{pid}/comm") as f:
        comm = f.read().strip()
    return {"comm": comm, "bytes": total, "counts": counts}


def main():
    pats = patterns()
    result = {}
    for pid in sys.argv[1:]:
        try:
            result[pid] = scan(pid, pats)
        except OSError as e:
            result[pid] = {"error": str(e)}
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
