#!/usr/bin/env python3
"""`oceanid flux-health` / `oceanid preflight` side by side with the same checks as a kubectl +
jq script (kubectl-checks.sh), against one emulator seeded with 1,000 extra pods and 50 extra
HelmReleases. Reports the median wall-clock of RUNS runs each and, from the emulator's request
counters (/__emulator/state kubernetes.requests), the requests per kind of one run.

    cargo build --release -p oceanid-cli -p oceanid-emulator
    bench/kubernetes/run.py [RUNS]          (default 5)
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def binary(name: str) -> Path:
    for profile in ("release", "debug"):
        path = REPO / "target" / profile / name
        if path.exists():
            return path
    sys.exit(f"{name} is not built: cargo build --release -p oceanid-cli -p oceanid-emulator")


def admin(url: str, method: str, path: str) -> dict:
    req = urllib.request.Request(url + path, method=method, data=b"{}" if method == "POST" else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        raw = r.read()
        return json.loads(raw) if raw else {}


def kind_of(route: str) -> str:
    """`GET /api/v1/namespaces/apps/pods` -> `GET pods`; an object path keeps its `/<name>`."""
    method, path = route.split(" ", 1)
    parts = path.strip("/").split("/")
    if parts[0] == "api":
        rest = parts[2:]
    else:
        rest = parts[3:]
    if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) > 2:
        rest = rest[2:]
    if not rest:
        return f"{method} discovery"
    return f"{method} {rest[0]}" + (" (one object)" if len(rest) > 1 else "")


def measure(cmd: list[str], env: dict, url: str, runs: int) -> dict:
    times = []
    requests: Counter = Counter()
    code = None
    for i in range(runs):
        admin(url, "POST", "/__emulator/reset")
        start = time.perf_counter()
        out = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        code = out.returncode
        if i == 0:
            for route, n in admin(url, "GET", "/__emulator/state")["kubernetes"]["requests"].items():
                requests[kind_of(route)] += n
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "exit": code, "requests": dict(sorted(requests.items())),
            "total_requests": sum(requests.values())}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    emulator, oceanid = binary("oceanid-emulator"), binary("oceanid")
    tmp = Path(tempfile.mkdtemp())
    kubeconfig = tmp / "kubeconfig"
    proc = subprocess.Popen([str(emulator), "--postgres", "none", "--kubeconfig-out", str(kubeconfig),
                             "--kubernetes-extra-pods", "1000", "--kubernetes-extra-helmreleases", "50"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        url = proc.stdout.readline().decode().strip()
        env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
        pods = sum(1 for o in admin(url, "GET", "/__emulator/state")["kubernetes"]["objects"]
                   if o["kind"] == "Pod")
        results = {}
        for check in ("flux-health", "preflight"):
            results[check] = {
                "oceanid": measure([str(oceanid), "--kubeconfig", str(kubeconfig), check], env, url, runs),
                "kubectl": measure([str(HERE / "kubectl-checks.sh"), check], env, url, runs),
            }
        print(json.dumps({"runs": runs, "pods": pods, "oceanid": str(oceanid),
                          "emulator": str(emulator), "results": results}, indent=2))
        print(f"\n{pods} pods, median of {runs} runs", file=sys.stderr)
        for check, pair in results.items():
            o, k = pair["oceanid"], pair["kubectl"]
            print(f"{check:12} oceanid {o['median_s']*1000:8.1f} ms ({o['total_requests']} requests, exit {o['exit']})"
                  f"   kubectl script {k['median_s']*1000:8.1f} ms ({k['total_requests']} requests, exit {k['exit']})"
                  f"   {k['median_s']/o['median_s']:5.1f}x", file=sys.stderr)
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
