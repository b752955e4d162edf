#!/usr/bin/python3
"""Latency of `npusim serve` as a client sees it: N requests one after another over stdin/stdout
(each waits for its answer), alternating weight-bit policies; prints requests/s, median and p99.

    results/serve_bench.py build/npusim arch/unpu.json workloads/small_resnet.json 1000 '*' 2,4,8 [MODE]

MODE (default exact) is passed to `npusim serve --mode`. The server's answer cache is off
(--cache 0: every request simulated) unless NPUSIM_SERVE_CACHE=1, which measures repeated
policies answered from memory.
"""
import os
import json
import statistics
import subprocess
import sys
import time


def main(argv):
    if len(argv) not in (7, 8):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    npusim, arch, net, n, layer, widths = argv[1], argv[2], argv[3], int(argv[4]), argv[5], argv[6]
    widths = [int(w) for w in widths.split(",")]
    mode = argv[7] if len(argv) == 8 else "exact"
    cache = [] if os.environ.get("NPUSIM_SERVE_CACHE") == "1" else ["--cache", "0"]
    p = subprocess.Popen([npusim, "serve", "--arch", arch, "--net", net, "--mode", mode] + cache,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    lat, cycles = [], {}
    t0 = time.perf_counter()
    for i in range(n):
        w = widths[i % len(widths)]
        req = {"id": i, "weight_bits": {layer: w}} if w else {"id": i}
        s = time.perf_counter()
        p.stdin.write(json.dumps(req) + "\n")
        p.stdin.flush()
        a = json.loads(p.stdout.readline())
        lat.append((time.perf_counter() - s) * 1e3)
        assert a["ok"], a
        cycles.setdefault(w, a["cycles"])
        assert cycles[w] == a["cycles"], (w, a)
    total = time.perf_counter() - t0
    p.stdin.close()
    p.wait()
    lat.sort()
    print(f"{n} requests in {total:.2f} s: {n / total:.1f} requests/s, latency median "
          f"{statistics.median(lat):.1f} ms, p99 {lat[min(n - 1, int(0.99 * n))]:.1f} ms, "
          f"max {lat[-1]:.1f} ms; cycles by width {cycles}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
