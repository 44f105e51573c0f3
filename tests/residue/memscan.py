#!/usr/bin/env python3
"""Counts occurrences of canary strings in the memory of running processes.

Usage: COFFER_CANARIES='{"name": "secret", ...}' memscan.py PID...
Reads the resident pages of every readable mapping (/proc/PID/smaps, pagemap, mem; needs
ptrace rights over the process: same user with ptrace_scope 0, or root) and prints one JSON
object: {"PID": {"comm": ..., "bytes": N, "counts": {"name (utf-8)": n, "name (utf-16le)": n}}}.
The secrets are taken from the environment so they never show on a command line.
"""
import json
import os
import re
import sys



def patterns():
    canaries = json.loads(os.environ["COFFER_CANARIES"])
    out = []
    for name, text in canaries.items():
        out.append((f"{name} (utf-8)", text.encode("utf-8")))
        out.append((f"{name} (utf-16le)", text.encode("utf-16-le")))
    return out


PAGE = os.sysconf("SC_PAGE_SIZE")
PRESENT = 1 << 63
SWAPPED = 1 << 62


def resident_runs(pagemap, start, end):
    """(start, end) address runs of the pages in [start, end) that are in RAM or swap.

    WebKit reserves tens of GiB of address space that is never touched; only resident pages
    can hold anything, and reading the rest would take minutes."""
    runs = []
    run_start = None
    step = 1 << 16  # pages per pagemap read
    page = start // PAGE
    last = end // PAGE
    while page < last:
        n = min(step, last - page)
        pagemap.seek(page * 8)
        raw = pagemap.read(n * 8)
        for i in range(len(raw) // 8):
            entry = int.from_bytes(raw[i * 8:i * 8 + 8], "little")
            addr = (page + i) * PAGE
            if entry & (PRESENT | SWAPPED):
                if run_start is None:
                    run_start = addr
            elif run_start is not None:
                runs.append((run_start, addr))
                run_start = None
        page += n
    if run_start is not None:
        runs.append((run_start, last * PAGE))
    return runs


def mappings(pid):
    """(start, end) of each readable mapping with resident or swapped pages (from smaps)."""
    out = []
    current = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            if m:
                readable = m[3][0] == "r" and "[vvar" not in line and "[vsyscall]" not in line
                current = (int(m[1], 16), int(m[2], 16)) if readable else None
                continue
            if current and (line.startswith("Rss:") or line.startswith("Swap:")):
                if int(line.split()[1]) > 0:
                    out.append(current)
                    current = None
    return out


def scan(pid, pats):
    counts = {name: 0 for name, _ in pats}
    total = 0
    with open(f"/proc/{pid}/pagemap", "rb", 0) as pagemap, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for start, end in mappings(pid):
            for a, b in resident_runs(pagemap, start, end):
                try:
                    mem.seek(a)
                    data = mem.read(b - a)
                except (OSError, ValueError, OverflowError):
                    continue
                total += len(data)
                # A run is contiguous memory; a string split across two runs has a page
                # missing in between, so it is not a string any more.
                for name, p in pats:
                    counts[name] += data.count(p)
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
