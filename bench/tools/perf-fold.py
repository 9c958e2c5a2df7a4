#!/usr/bin/env python3
"""Folds `perf script` output into flame-graph stacks (one `frame;frame;... count` line per
stack, the input of any flame-graph renderer) and prints where the samples went, by layer.

    perf record -e cpu-clock -F 4999 -g -p PID -o perf.data -- sleep 4
    perf script -i perf.data | bench/tools/perf-fold.py > folded.txt
"""
import collections
import re
import sys

LAYERS = [
    ("provider logic (adapter, value codec, resources)", re.compile(r"provider_crunchybridge|oceanid_core|serde|ipnet")),
    ("gRPC / HTTP/2 (tonic, hyper, h2, prost)", re.compile(r"tonic|hyper|\bh2::|prost|http::|bytes::")),
    ("tokio runtime", re.compile(r"tokio")),
]


def layer_of(raw_leaf: str) -> str:
    if "kernel.kallsyms" in raw_leaf:
        return "kernel (syscalls, scheduling, loopback TCP)"
    if "libc.so" in raw_leaf or "libm.so" in raw_leaf:
        return "libc (malloc/free, memcpy, clock)"
    return next((n for n, rx in LAYERS if rx.search(raw_leaf)), "other (std, hashing, ...)")


def main() -> None:
    stacks = collections.Counter()
    layer = collections.Counter()
    frames: list[str] = []
    leaf = None

    def flush() -> None:
        nonlocal frames, leaf
        if frames:
            stacks[";".join(reversed(frames))] += 1
            layer[layer_of(leaf or "")] += 1
        frames, leaf = [], None

    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            flush()
        elif line[0] in "\t ":
            if leaf is None:
                leaf = line
            parts = line.strip().split(None, 1)
            sym = parts[1] if len(parts) > 1 else parts[0]
            sym = re.sub(r"\+0x[0-9a-f]+ \(.*\)$", "", sym)
            sym = re.sub(r" \(.*\)$", "", sym)
            frames.append(sym.replace(";", ":"))
    flush()
    total = sum(layer.values()) or 1
    for stack, n in stacks.most_common():
        print(f"{stack} {n}")
    for name, n in layer.most_common():
        print(f"{100 * n / total:5.1f}%  {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
