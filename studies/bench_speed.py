#!/usr/bin/python3
"""Issue 9's speed and memory figures: the headline run in exact and timing mode, npusim beside
ONNX Runtime on the same quantized MobileNetV1, and how wall time and memory grow with network
size. Writes results/speed.md, results/speed.json and results/scaling.{png,svg}.

    studies/bench_speed.py [--npusim build/npusim] [--repeat 5] [--no-ort] [--quick]

Every npusim figure is the minimum over --repeat runs of a child process (wall: the process's
own report.json phases and its whole life; peak memory: the child's ru_maxrss). ONNX Runtime
(npm onnxruntime-node, installed by tests/conformance/install_ort.sh) runs the network
exported by bench/ort/export_onnx.py with one thread: session creation apart, the median of 20
runs after 3 warm-ups. The machine may be shared: the load average is recorded, and CPU time
is reported beside wall time.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import npusim_tools as nt  # noqa: E402
from npusim_tools import ROOT  # noqa: E402
HEADLINE = ("arch/unpu.json", "workloads/mobilenet_q4.json")


def run_once(npusim, arch, net, mode, out):
    """One `npusim run` in a child: (report.json, wall s, user+sys s, peak MB)."""
    cmd = [npusim, "run", "--arch", arch, "--net", net, "--mode", mode, "--out", out]
    wall, cpu, mb, _ = nt.run_measured(cmd, cwd=ROOT)
    return nt.read_report(os.path.join(ROOT, out)), wall, cpu, mb


def measure(npusim, arch, net, mode, repeat, tmp):
    """Minima over `repeat` runs: wall, cpu, each phase; the largest peak memory."""
    best = None
    for _ in range(repeat):
        rep, wall, cpu, mb = run_once(npusim, arch, net, mode, os.path.join(tmp, "r"))
        phases = rep["wall_breakdown_s"]
        if best is None:
            best = {"cycles": rep["cycles"], "macs": rep["macs"], "wall_s": wall, "cpu_s": cpu, "peak_mb": mb,
                    "phases_s": dict(phases)}
            continue
        best["wall_s"] = min(best["wall_s"], wall)
        best["cpu_s"] = min(best["cpu_s"], cpu)
        best["peak_mb"] = max(best["peak_mb"], mb)
        for k, v in phases.items():
            best["phases_s"][k] = min(best["phases_s"].get(k, v), v)
        assert rep["cycles"] == best["cycles"], "cycles differ between runs"
    sim = best["phases_s"]["simulate"]
    best["startup_s"] = sum(v for k, v in best["phases_s"].items() if k in ("load", "compile", "elaborate"))
    best["simulate_s"] = sim
    best["cycles_per_s"] = best["cycles"] / sim if sim > 0 else 0
    return best


def instructions(npusim, arch, net):
    out = nt.run([npusim, "compile", "--arch", arch, "--net", net], cwd=ROOT)
    first = out.splitlines()[0]  # "; npusim program for N on A: 30848 instructions, ..."
    return int(first.split(": ")[1].split()[0])


def ort(net, tmp, runs=20):
    cache = os.path.join(ROOT, "build", "onnx_conformance")
    subprocess.run([os.path.join(ROOT, "tests", "conformance", "install_ort.sh"), cache], check=True)
    model, x = os.path.join(tmp, "net.onnx"), os.path.join(tmp, "input.npy")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "ort", "export_onnx.py"), net, model, x],
                   cwd=ROOT, check=True)
    env = dict(os.environ, NPUSIM_ORT_MODULES=os.path.join(cache, "node_modules"))
    out = subprocess.run(["node", os.path.join(ROOT, "bench", "ort", "ort_time.js"), model, x, str(runs),
                          "3"], check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def scaling_nets(quick):
    d = os.path.join("workloads", "scaling")
    names = sorted(f[:-5] for f in os.listdir(os.path.join(ROOT, d)) if f.endswith(".json"))
    if quick:
        names = [n for n in names if n.endswith("_224") or n.startswith("resnet18")]
    return [os.path.join(d, n + ".json") for n in names]


def fit_line(xs, ys):
    """Least-squares y = a x + b and the largest relative residual."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    a = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0
    b = my - a * mx
    worst = max(abs(a * x + b - y) / y for x, y in zip(xs, ys)) if ys else 0
    return a, b, worst


def plot(rows, path_base):
    fig, ax = nt.pyplot().subplots(1, 3, figsize=(15, 4.5))
    for r in rows:
        mk = "s" if r["net"].startswith("resnet") else "o"
        ax[0].scatter(r["macs"] / 1e6, r["exact"]["simulate_s"] * 1e3, marker=mk, color="tab:blue")
        ax[1].scatter(r["instructions"], r["timing"]["simulate_s"] * 1e3, marker=mk, color="tab:orange")
        ax[2].scatter(r["macs"] / 1e6, r["exact"]["peak_mb"], marker=mk, color="tab:blue")
        ax[2].scatter(r["macs"] / 1e6, r["timing"]["peak_mb"], marker=mk, color="tab:orange")
    ax[0].set(xlabel="MMACs", ylabel="simulate phase, ms", title="exact mode: time vs MACs")
    ax[1].set(xlabel="instructions (tiles x steps)", ylabel="simulate phase, ms",
              title="timing mode: time vs instructions")
    ax[2].set(xlabel="MMACs", ylabel="peak RSS, MB", title="peak memory (blue exact, orange timing)")
    for a in ax:
        a.grid(alpha=0.3)
    fig.suptitle("npusim on unpu: MobileNetV1 widths 0.25-1.0 x resolutions 128-224 (circles), "
                 "ResNet-18/50 (squares)")
    nt.save_figure(fig, path_base)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    nt.add_npusim_option(ap)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-ort", action="store_true")
    ap.add_argument("--quick", action="store_true", help="only the 224 MobileNets and ResNet-18")
    args = ap.parse_args()
    load_before = os.getloadavg()
    res = {"machine": {"nproc": os.cpu_count(), "load_before": load_before},
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    with tempfile.TemporaryDirectory() as tmp:
        arch, net = HEADLINE
        print(f"== headline {arch} {net}", file=sys.stderr)
        res["headline"] = {m: measure(args.npusim, arch, net, m, args.repeat, tmp)
                           for m in ("exact", "timing")}
        if not args.no_ort:
            print("== ONNX Runtime", file=sys.stderr)
            res["ort"] = {"net": net, **ort(os.path.join(ROOT, net), tmp)}
            q8 = "workloads/mobilenet_v1_q8.json"
            res["ort_q8"] = {"net": q8, **ort(os.path.join(ROOT, q8), tmp)}
            res["dense_q8"] = measure(args.npusim, "arch/dense_16x16.json", q8, "exact", args.repeat, tmp)
        rows = []
        for n in scaling_nets(args.quick):
            print(f"== scaling {n}", file=sys.stderr)
            r = {"net": os.path.basename(n)[:-5], "instructions": instructions(args.npusim, arch, n)}
            for m in ("exact", "timing"):
                r[m] = measure(args.npusim, arch, n, m, max(1, args.repeat // 2), tmp)
            r["macs"] = r["exact"]["macs"]
            assert r["exact"]["cycles"] == r["timing"]["cycles"], n
            rows.append(r)
        res["scaling"] = rows
    res["machine"]["load_after"] = os.getloadavg()
    os.makedirs(os.path.join(ROOT, "results"), exist_ok=True)
    nt.save_json(os.path.join(ROOT, "results", "speed.json"), res, indent=1)
    plot(rows, os.path.join(ROOT, "results", "scaling"))
    with open(os.path.join(ROOT, "results", "speed.md"), "w") as f:
        f.write(report(res))
    print(report(res))


def report_headline(res):
    m, e, t = res["machine"], res["headline"]["exact"], res["headline"]["timing"]
    lines = ["# npusim speed and memory (issue 9)", "",
             f"Generated by `studies/bench_speed.py` on {res['date']}; {m['nproc']} cores, load average "
             f"before {m['load_before'][0]:.2f}, after {m['load_after'][0]:.2f}. Minima over repeated "
             "runs of a child process (peak memory: the largest ru_maxrss). Raw figures: "
             "`results/speed.json`.",
             "", "## The headline run: `npusim run --arch arch/unpu.json --net workloads/mobilenet_q4.json`",
             "",
             "| mode | wall s | cpu s | start-up s (load+compile+elaborate) | simulate s "
             "| simulated cycles/s | peak MB | target |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for name, f, target in (("exact", e, "wall <= 1.0 s, <= 200 MB"), ("timing", t, "simulate <= 20 ms")):
        lines.append(f"| {name} | {f['wall_s']:.3f} | {f['cpu_s']:.3f} | {f['startup_s']:.3f} | "
                     f"{f['simulate_s']:.3f} | {f['cycles_per_s'] / 1e6:.1f} M | {f['peak_mb']:.0f} | "
                     f"{target} |")
    lines += ["", f"Both modes simulate {e['cycles']:,} cycles (equal by construction, asserted by "
              "tests/app/exec_mode_test.cpp). Phases (minima, s): exact " +
              ", ".join(f"{k} {v:.3f}" for k, v in e["phases_s"].items()) + "; timing " +
              ", ".join(f"{k} {v:.3f}" for k, v in t["phases_s"].items()) + "."]
    return lines


def report_ort(res):
    e = res["headline"]["exact"]
    lines = ["", "## Beside ONNX Runtime (one thread)", "",
             "The same network exported by `bench/ort/export_onnx.py` (QLinearConv per conv and FC, the same "
             "integer weights, biases, scales and zero points; no activation clamp, so it is a timing twin, "
             "not a value twin) and run by onnxruntime-node with one intra-op thread.", "",
             "| network | ORT inference ms (median of 20) | ORT session ms | npusim arch "
             "| npusim exact wall ms | ratio | simulate phase ms | ratio |",
             "|---|---:|---:|---|---:|---:|---:|---:|"]
    for net, arch, o, n in (("mobilenet_q4", "unpu", res["ort"], e),
                            ("mobilenet_v1_q8", "dense_16x16", res["ort_q8"], res["dense_q8"])):
        lines.append(f"| {net} | {o['median_ms']:.1f} | {o['session_ms']:.0f} | {arch} | "
                     f"{n['wall_s'] * 1e3:.0f} | {n['wall_s'] * 1e3 / o['median_ms']:.1f}x | "
                     f"{n['simulate_s'] * 1e3:.0f} | {n['simulate_s'] * 1e3 / o['median_ms']:.1f}x |")
    return lines + ["", "Target: exact mode at most 10x ONNX Runtime's single-thread inference. npusim's "
                    "wall time includes loading and compiling the network and elaborating the hardware; "
                    "ORT's session creation is excluded from its figure."]


def report_scaling(rows):
    lines = ["", "## How cost grows (unpu, both modes)", "",
             "| network | MMACs | instructions | cycles | exact simulate s | exact peak MB "
             "| timing simulate s | timing peak MB | exact ns/MAC | timing us/instr |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ex, ti = r["exact"], r["timing"]
        lines.append(f"| {r['net']} | {r['macs'] / 1e6:.0f} | {r['instructions']:,} | {ex['cycles']:,} | "
                     f"{ex['simulate_s']:.3f} | {ex['peak_mb']:.0f} | {ti['simulate_s']:.3f} | "
                     f"{ti['peak_mb']:.0f} | {ex['simulate_s'] * 1e9 / r['macs']:.3f} | "
                     f"{ti['simulate_s'] * 1e6 / r['instructions']:.2f} |")
    a, b, worst = fit_line([r["macs"] for r in rows], [r["exact"]["simulate_s"] for r in rows])
    a2, b2, worst2 = fit_line([r["instructions"] for r in rows], [r["timing"]["simulate_s"] for r in rows])
    return lines + ["", f"Least-squares lines: exact simulate = {a * 1e9:.3f} ns/MAC x MACs + "
                    f"{b * 1e3:.1f} ms (largest relative residual {worst * 100:.0f} %); timing simulate = "
                    f"{a2 * 1e6:.2f} us x instructions + {b2 * 1e3:.1f} ms (largest relative residual "
                    f"{worst2 * 100:.0f} %). "
                    "Plot: `results/scaling.png` / `.svg`."]


def report(res):
    lines = report_headline(res)
    if "ort" in res:
        lines += report_ort(res)
    if res["scaling"]:
        lines += report_scaling(res["scaling"])
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
