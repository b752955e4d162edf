#!/usr/bin/python3
"""Wall time and cycles of `npusim scalesim` without --compat (the full npusim model) and with it,
on a 32x32 array in os/ws/is for MobileNetV1 and ResNet-18 (workloads/scalesim/).

Usage: studies/scalesim_full_bench.py [NPUSIM_BINARY] [REPEATS]   (default build/npusim, 3)
Prints a markdown table: npusim's simulated cycles, SCALE-Sim's (compat, as counts), their ratio,
where the difference comes from (sums of the padding / fold_model / tiling / memory columns of
scalesim_comparison.csv over layers; they add up to the sum of spans minus SCALE-Sim's cycles),
energy, and the minimum wall time and its peak RSS over REPEATS runs (the child's wait4 figures).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import npusim_tools as nt  # noqa: E402
from npusim_tools import ROOT  # noqa: E402


def timed(args, repeats):
    """(wall s, peak RSS MiB) of the fastest of `repeats` runs."""
    best = None
    for _ in range(repeats):
        wall, _, mb, _ = nt.run_measured(args)
        if best is None or wall < best[0]:
            best = (wall, mb)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("npusim", nargs="?", default=nt.default_npusim(),
                    help="the npusim binary (default build/npusim)")
    ap.add_argument("repeats", nargs="?", type=int, default=3, help="runs per figure (default 3)")
    args = ap.parse_args()
    print("| net | dataflow | npusim cycles | SCALE-Sim cycles (counts) | npusim / SCALE-Sim | padding | "
          "fold model | tiling | memory | energy mJ | wall s (full) | max RSS | wall s (--compat) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for net, title in (("mobilenet_v1", "MobileNetV1"), ("resnet18", "ResNet-18")):
        for df in ("os", "ws", "is"):
            base = ["scalesim", "-c", os.path.join(ROOT, "workloads/scalesim/array_32x32_%s.cfg" % df),
                    "-t", os.path.join(ROOT, "workloads/scalesim/%s.csv" % net)]
            out = "/tmp/scalesim_bench_%s_%s" % (net, df)
            full = timed([args.npusim] + base + ["--out", out], args.repeats)
            compat = timed([args.npusim] + base + ["--compat", "scalesim", "--out", out + "_compat"],
                           args.repeats)
            r = nt.read_report(out)
            c = nt.read_report(out + "_compat")
            rows, _ = nt.read_csv(os.path.join(out, "scalesim_comparison.csv"))
            d = {k: sum(int(x[k + "_delta"]) for x in rows)
                 for k in ("padding", "fold_model", "tiling", "memory")}
            print("| %s | %s | %d | %d | %.3f | %+d | %+d | %+d | %+d | %.2f | %.2f | %d MB | %s |" % (
                title, df, r["cycles"], c["cycles"], r["cycles"] / c["cycles"], d["padding"], d["fold_model"],
                d["tiling"], d["memory"], r["energy_pj"] / 1e9, full[0], full[1],
                "%.2f" % compat[0] if compat[0] >= 0.01 else "< 0.01"))


if __name__ == "__main__":
    main()
