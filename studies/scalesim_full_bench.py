#!/usr/bin/python3
"""Wall time and cycles of `npusim scalesim` without --compat (the full npusim model) and with it,
on a 32x32 array in os/ws/is for MobileNetV1 and ResNet-18 (workloads/scalesim/).

Usage: studies/scalesim_full_bench.py [NPUSIM_BINARY] [REPEATS]   (default build/npusim, 3)
Prints a markdown table: npusim's simulated cycles, SCALE-Sim's (compat, as counts), their ratio,
where the difference comes from (sums of the padding / fold_model / tiling / memory columns of
scalesim_comparison.csv over layers; they add up to the sum of spans minus SCALE-Sim's cycles),
energy, and the minimum wall time and its max RSS over REPEATS runs (/usr/bin/time -v).
"""
import csv, json, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NPUSIM = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "npusim")
REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def timed(args):
    best = None
    for _ in range(REPEATS):
        p = subprocess.run(["/usr/bin/time", "-v"] + args, capture_output=True, text=True, check=True)
        wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
        secs = (int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3)))
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
        if best is None or secs < best[0]:
            best = (secs, rss)
    return best


def main():
    print("| net | dataflow | npusim cycles | SCALE-Sim cycles (counts) | npusim / SCALE-Sim | padding | fold model | tiling | memory | energy mJ | wall s (full) | max RSS | wall s (--compat) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for net, title in (("mobilenet_v1", "MobileNetV1"), ("resnet18", "ResNet-18")):
        for df in ("os", "ws", "is"):
            base = ["scalesim", "-c", os.path.join(ROOT, "workloads/scalesim/array_32x32_%s.cfg" % df),
                    "-t", os.path.join(ROOT, "workloads/scalesim/%s.csv" % net)]
            out = "/tmp/scalesim_bench_%s_%s" % (net, df)
            full = timed([NPUSIM] + base + ["--out", out])
            compat = timed([NPUSIM] + base + ["--compat", "scalesim", "--out", out + "_compat"])
            r = json.load(open(os.path.join(out, "report.json")))
            c = json.load(open(os.path.join(out + "_compat", "report.json")))
            rows = list(csv.DictReader(open(os.path.join(out, "scalesim_comparison.csv"))))
            d = {k: sum(int(x[k + "_delta"]) for x in rows) for k in ("padding", "fold_model", "tiling", "memory")}
            print("| %s | %s | %d | %d | %.3f | %+d | %+d | %+d | %+d | %.2f | %.2f | %d MB | %s |" % (
                title, df, r["cycles"], c["cycles"], r["cycles"] / c["cycles"], d["padding"], d["fold_model"],
                d["tiling"], d["memory"], r["energy_pj"] / 1e9, full[0], full[1] // 1024,
                "%.2f" % compat[0] if compat[0] >= 0.01 else "< 0.01"))


if __name__ == "__main__":
    main()
