#!/usr/bin/python3
"""Query latency of random AMC/HAQ policies: npusim's Python module in process, and `npusim serve`
over a pipe, each uncached (every policy new) and cached (the same policies again), with the
memory growth over the queries (results/python_api.md).

usage: scripts/python_api_load.py [--count 1000] [--arch arch/unpu.json]
                                  [--net workloads/mobilenet_q4.json] [--seed 1] [--build build]
A policy: random weight bits 2..8 for every conv/FC layer (HAQ) and a random keep ratio in
[0.25, 1] for each pointwise layer (AMC), all in timing mode. Prints a Markdown table (median, p99
and mean latency in ms; RSS before and after). Not a test: the figures depend on the machine.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def policies(layers, count, seed):
    rng = random.Random(seed)
    prunable = [ly for ly in layers if ly.startswith("pw")]
    out = []
    for _ in range(count):
        out.append({"weight_bits": {ly: rng.randint(2, 8) for ly in layers},
                    "keep": {ly: round(rng.uniform(0.25, 1.0), 3) for ly in prunable}})
    return out


def rss_kib(pid="self"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stats(ms):
    s = sorted(ms)
    return {"median": s[len(s) // 2], "p99": s[min(len(s) - 1, int(0.99 * len(s)))], "mean": sum(s) / len(s)}


def in_process(npusim, arch, net, pols):
    sim = npusim.Simulator(arch, net, mode="timing")
    sim.cost()  # the first query pays for page faults of the loaded network: not counted
    rows = {}
    for label in ("uncached", "cached"):
        rss0, lat = rss_kib(), []
        for p in pols:
            t0 = time.perf_counter()
            c = sim.cost(**p)
            lat.append(1000 * (time.perf_counter() - t0))
            assert c.cached == (label == "cached"), label
        rows[f"in process, {label}"] = (stats(lat), rss0, rss_kib())
    return rows


def through_serve(binary, arch, net, pols):
    p = subprocess.Popen([binary, "serve", "--arch", arch, "--net", net, "--mode", "timing"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def ask(req):
        p.stdin.write(json.dumps(req) + "\n")
        p.stdin.flush()
        a = json.loads(p.stdout.readline())
        if not a.get("ok"):
            raise SystemExit(f"npusim serve: {a}")
        return a

    ask({})
    rows = {}
    for label in ("uncached", "cached"):
        rss0, lat = rss_kib(p.pid), []
        for i, pol in enumerate(pols):
            t0 = time.perf_counter()
            a = ask(dict(pol, id=i))
            lat.append(1000 * (time.perf_counter() - t0))
            assert a.get("cached", False) == (label == "cached"), label
        rows[f"npusim serve, {label}"] = (stats(lat), rss0, rss_kib(p.pid))
    p.stdin.close()
    p.wait()
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--arch", default=os.path.join(ROOT, "arch", "unpu.json"))
    ap.add_argument("--net", default=os.path.join(ROOT, "workloads", "mobilenet_q4.json"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = ap.parse_args()
    sys.path.insert(0, os.path.join(a.build, "python"))
    import npusim

    pols = policies(npusim.Simulator(a.arch, a.net).layers, a.count, a.seed)
    rows = in_process(npusim, a.arch, a.net, pols)
    rows.update(through_serve(os.path.join(a.build, "npusim"), a.arch, a.net, pols))
    print(f"{a.count} random policies, {os.path.relpath(a.arch, ROOT)}, {os.path.relpath(a.net, ROOT)}, "
          "timing mode\n")
    print("| path | median ms | p99 ms | mean ms | RSS before -> after (MiB) |")
    print("|---|---:|---:|---:|---|")
    for name, (s, r0, r1) in rows.items():
        print(f"| {name} | {s['median']:.3f} | {s['p99']:.3f} | {s['mean']:.3f} | "
              f"{r0 / 1024:.1f} -> {r1 / 1024:.1f} |")


if __name__ == "__main__":
    main()
