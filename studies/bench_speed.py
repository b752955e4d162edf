#!/usr/bin/python3
"""Issues 9 and 21's speed and memory figures: the headline run in exact and timing mode, npusim
beside ONNX Runtime on a value twin of the same quantized MobileNetV1, and how wall time and memory
grow with network size. Writes results/speed.md, results/speed.json and results/scaling.{png,svg}.

    studies/bench_speed.py [--npusim build/npusim] [--repeat 5] [--pairs 7] [--no-ort] [--quick]
                           [--old-npusim OLD_BINARY] [--render]

The headline and scaling figures are minima over --repeat runs of a child process (wall: the
process's own report.json phases and its whole life; peak memory: the child's ru_maxrss). ONNX
Runtime (npm onnxruntime-node, installed by tests/conformance/install_ort.sh) runs the network
exported by `bench/ort/export_onnx.py --elem uint8` (a value twin: its outputs are checked against
npusim's) with one thread; ORT and npusim run in turn, --pairs times, and the medians of the pairs
are reported (session creation apart, ORT's figure is the median of 20 inferences after 3
warm-ups). Whole processes are timed by farm-bench (on PATH), pair by pair. The machine may be
shared: the load average is recorded, and CPU time is reported beside wall time.
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


def run_once(npusim, arch, net, mode, out, extra=()):
    """One `npusim run` in a child: (report.json, wall s, user+sys s, peak MB)."""
    cmd = [npusim, "run", "--arch", arch, "--net", net, "--mode", mode, "--out", out, *extra]
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


def ort_setup(net, tmp):
    """onnxruntime-node installed (tests/conformance/install_ort.sh) and `net` exported as its value
    twin in ORT's fastest form (uint8 activations, per-channel int8 weights): (model, input, env)."""
    cache = os.path.join(ROOT, "build", "onnx_conformance")
    subprocess.run([os.path.join(ROOT, "tests", "conformance", "install_ort.sh"), cache], check=True)
    stem = os.path.join(tmp, os.path.basename(net)[:-5])
    model, x = stem + ".onnx", stem + ".input.npy"
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "ort", "export_onnx.py"), net, model, x,
                    "--elem", "uint8"], cwd=ROOT, check=True)
    modules = os.path.join(cache, "node_modules")
    return model, x, dict(os.environ, NPUSIM_ORT_MODULES=modules, NODE_PATH=modules)


def ort_values_equal(npusim, arch, net, model, x, env, tmp):
    """Runs the twin in ONNX Runtime and npusim on the network: (values equal, values compared).
    The twin's outputs are npusim's + 128 (uint8 for int8)."""
    import numpy as np
    out, ort_dir = os.path.join(tmp, "values"), os.path.join(tmp, "ort_values")
    nt.run([npusim, "run", "--arch", arch, "--net", net, "--out", out], cwd=ROOT)
    jobs = os.path.join(tmp, "jobs.json")
    nt.save_json(jobs, [{"model": model, "inputs": {"input": x}, "out_dir": ort_dir}])
    subprocess.run(["node", os.path.join(ROOT, "tests", "conformance", "ort_run.js"), jobs], check=True,
                   env=env, stdout=subprocess.DEVNULL)
    equal = total = 0
    for o in nt.load_json(os.path.join(ort_dir, "outputs.json")):
        theirs = np.load(os.path.join(ort_dir, o["file"]))
        ours = np.load(os.path.join(out, "outputs", o["name"] + ".npy"))
        shift = 128 if theirs.dtype == np.uint8 and ours.dtype == np.int8 else 0
        equal += int((ours.astype(np.int64).ravel() + shift == theirs.astype(np.int64).ravel()).sum())
        total += ours.size
    return equal, total


def ort_time(model, x, env, runs=20, warmup=3):
    """One ONNX Runtime process (bench/ort/ort_time.js): session ms, min and median inference ms."""
    out = subprocess.run(["node", os.path.join(ROOT, "bench", "ort", "ort_time.js"), model, x, str(runs),
                          str(warmup)], check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2


def beside_ort(npusims, arch, net, pairs, tmp):
    """ORT's single-thread inference (median of 20 in one process) and each npusim binary's exact
    simulate and check phases, in turn, `pairs` times; ratios pair by pair, and the twin's value
    check. One dict per binary (the same ORT figures in each)."""
    model, x, env = ort_setup(os.path.join(ROOT, net), tmp)
    ort_ms, runs = [], [{"sim": [], "check": [], "ratio": []} for _ in npusims]
    for _ in range(pairs):
        o = ort_time(model, x, env)
        ort_ms.append(o["median_ms"])
        for npusim, r in zip(npusims, runs):
            rep, _, _, _ = run_once(npusim, arch, net, "exact", os.path.join(tmp, "pair"), ["--check"])
            ph = rep["wall_breakdown_s"]
            r["sim"].append(ph["simulate"] * 1e3)
            r["check"].append(ph["check"] * 1e3)
            r["ratio"].append(ph["simulate"] * 1e3 / o["median_ms"])
    out = []
    for npusim, r in zip(npusims, runs):
        equal, total = ort_values_equal(npusim, arch, net, model, x, env, tmp)
        out.append({"net": net, "arch": arch, "pairs": pairs, "values_equal": equal, "values": total,
                    "ort_ms": median(ort_ms), "ort_session_ms": o["session_ms"],
                    "simulate_ms": median(r["sim"]), "check_ms": median(r["check"]),
                    "ratio": median(r["ratio"]),
                    "check_ratio": median([c / s for c, s in zip(r["check"], r["sim"])]),
                    "model": model, "input": x, "env": env})
    return out


def farm(cmd_a, cmd_b, runs, env):
    """farm-bench (on PATH): A and B whole processes in turn; medians of wall, peak and A/B."""
    out = subprocess.run(["farm-bench", "-n", str(runs), "--vs", " ".join(cmd_b), "--", *cmd_a], check=True,
                         capture_output=True, text=True, env=env).stdout
    fig = {}
    for line in out.splitlines():
        f = line.split()
        if line.startswith(("A wall s", "B wall s", "A peak MiB", "B peak MiB", "A/B wall")):
            key = "_".join(f[:-3]).replace("/", "_per_")
            fig[key] = float(f[-2])
    return fig


def processes(npusim, arch, net, ort_run, runs):
    """Whole processes: npusim exact (no --check) and timing against one ORT process (node start,
    session, one inference)."""
    model, x, env = ort_run["model"], ort_run["input"], ort_run["env"]
    ort_cmd = ["node", os.path.join(ROOT, "bench", "ort", "ort_time.js"), model, x, "1", "0"]
    res = {}
    for mode in ("exact", "timing"):
        cmd = [os.path.abspath(npusim), "run", "--arch", os.path.join(ROOT, arch), "--net",
               os.path.join(ROOT, net), "--mode", mode, "--out", tempfile.mkdtemp(prefix="npusim-bench-")]
        res[mode] = farm(cmd, ort_cmd, runs, env)
    return res


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


def shown(path):
    """A binary's path as the report shows it: relative to the checkout when inside it."""
    rel = os.path.relpath(os.path.abspath(path), ROOT)
    return path if rel.startswith("..") else rel


def measure_headline(args, res, tmp):
    """The headline run, beside ONNX Runtime and as whole processes; with --old-npusim the same for
    the old binary (res["before"]), its ORT pairs interleaved with the new binary's."""
    arch, net = HEADLINE
    bins = [args.npusim] + ([args.old_npusim] if args.old_npusim else [])
    print(f"== headline {arch} {net}", file=sys.stderr)
    heads = [{m: measure(b, arch, net, m, args.repeat, tmp) for m in ("exact", "timing")} for b in bins]
    res["headline"] = heads[0]
    if args.old_npusim:
        res["before"] = {"npusim": shown(args.old_npusim), "date": res["date"], "headline": heads[1]}
    if args.no_ort:
        return
    print("== beside ONNX Runtime", file=sys.stderr)
    unpu = beside_ort(bins, arch, net, args.pairs, tmp)
    dense = beside_ort(bins, "arch/dense_16x16.json", "workloads/mobilenet_v1_q8.json", args.pairs, tmp)
    print("== whole processes (farm-bench)", file=sys.stderr)
    procs = [processes(b, arch, net, unpu[0], args.pairs * 2) for b in bins]
    for o in unpu + dense:
        for k in ("model", "input", "env"):
            del o[k]
    res["ort"], res["processes"] = [unpu[0], dense[0]], procs[0]
    if args.old_npusim:
        res["before"].update({"ort": [unpu[1], dense[1]], "processes": procs[1]})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    nt.add_npusim_option(ap)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-ort", action="store_true")
    ap.add_argument("--pairs", type=int, default=7, help="ORT/npusim pairs (farm-bench: twice as many)")
    ap.add_argument("--old-npusim", help="an older npusim binary to measure in the same run, beside")
    ap.add_argument("--quick", action="store_true", help="only the 224 MobileNets and ResNet-18")
    ap.add_argument("--render", action="store_true",
                    help="only write results/speed.md again from results/speed.json (no measurement)")
    args = ap.parse_args()
    if args.render:
        with open(os.path.join(ROOT, "results", "speed.md"), "w") as f:
            f.write(report(nt.load_json(os.path.join(ROOT, "results", "speed.json"))))
        return
    load_before = os.getloadavg()
    res = {"machine": {"nproc": os.cpu_count(), "load_before": load_before},
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "npusim": shown(args.npusim)}
    with tempfile.TemporaryDirectory() as tmp:
        arch, net = HEADLINE
        measure_headline(args, res, tmp)
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
    lines = ["# npusim speed and memory (issues 9 and 21)", "",
             f"Generated by `studies/bench_speed.py` on {res['date']}; {m['nproc']} cores, load average "
             f"before {m['load_before'][0]:.2f}, after {m['load_after'][0]:.2f}. Minima over repeated "
             "runs of a child process (peak memory: the largest ru_maxrss). Raw figures: "
             "`results/speed.json`.",
             "", "## The headline run: `npusim run --arch arch/unpu.json --net workloads/mobilenet_q4.json`",
             "",
             "| mode | wall s | cpu s | start-up s (load+compile+elaborate) | simulate s "
             "| simulated cycles/s | peak MB | target |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    targets = (("exact", e, "<= 100 MB (issue 21)"), ("timing", t, "wall <= 30 ms (issue 21)"))
    for name, f, target in targets:
        lines.append(f"| {name} | {f['wall_s']:.3f} | {f['cpu_s']:.3f} | {f['startup_s']:.3f} | "
                     f"{f['simulate_s']:.3f} | {f['cycles_per_s'] / 1e6:.1f} M | {f['peak_mb']:.0f} | "
                     f"{target} |")
    lines += ["", f"Both modes simulate {e['cycles']:,} cycles (equal by construction, asserted by "
              "tests/app/exec_mode_test.cpp). Phases (minima, s): exact " +
              ", ".join(f"{k} {v:.3f}" for k, v in e["phases_s"].items()) + "; timing " +
              ", ".join(f"{k} {v:.3f}" for k, v in t["phases_s"].items()) + "."]
    return lines


ORT_TEXT = (
    "Each network exported by `bench/ort/export_onnx.py --elem uint8`: a value twin in ONNX Runtime's "
    "fastest x86 form (QOperator QLinearConv per conv and FC with per-channel int8 weights, uint8 "
    "activations whose zero points are npusim's + 128, a Clip where npusim's relu6 clamp is narrower "
    "than the type's range, com.microsoft QLinearGlobalAveragePool), run by onnxruntime-node 1.30 with "
    "one intra-op thread. Its outputs were compared with npusim's (minus 128) in the same run. Side by "
    "side, in turn, {pairs} pairs: one ORT process (median of 20 inferences after 3 warm-ups; session "
    "creation apart) and one `npusim run --check` (its simulate and check phases from report.json); "
    "medians of the pairs' figures and of their ratios.")
PROCESS_TEXT = (
    "Whole processes, timed from outside by `farm-bench` (A and B in turn, medians; A/B pair by pair): "
    "the README command (`npusim run --arch arch/unpu.json --net workloads/mobilenet_q4.json`, no "
    "`--check`) against one ONNX Runtime process on the twin (node start, session creation, one "
    "inference).")
TARGET_TEXT = (
    "Targets (issue 21): simulate at most 3x ORT's inference; whole exact process at most 0.5x an ORT "
    "process; timing mode at most 30 ms whole process; `--check` at most 2x the simulate phase.")


def report_ort(res):
    lines = ["", "## Beside ONNX Runtime (one thread)", "", ORT_TEXT.format(pairs=res["ort"][0]["pairs"]), "",
             "| network | npusim arch | twin's values equal | ORT inference ms | ORT session ms "
             "| npusim simulate ms | simulate / ORT | --check ms | check / simulate |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for o in res["ort"]:
        lines.append(f"| {os.path.basename(o['net'])[:-5]} | {os.path.basename(o['arch'])[:-5]} | "
                     f"{o['values_equal']} of {o['values']} | {o['ort_ms']:.2f} | "
                     f"{o['ort_session_ms']:.0f} | {o['simulate_ms']:.1f} | {o['ratio']:.1f}x | "
                     f"{o['check_ms']:.1f} | {o['check_ratio']:.2f}x |")
    p = res["processes"]
    lines += ["", PROCESS_TEXT, "",
              "| npusim mode | npusim wall s | npusim peak MiB | ORT process wall s | ORT peak MiB "
              "| npusim / ORT |",
              "|---|---:|---:|---:|---:|---:|"]
    for mode in ("exact", "timing"):
        f = p[mode]
        lines.append(f"| {mode} | {f['A_wall_s']:.3f} | {f['A_peak_MiB']:.0f} | {f['B_wall_s']:.3f} | "
                     f"{f['B_peak_MiB']:.0f} | {f['A_per_B_wall']:.2f} |")
    return lines + ["", TARGET_TEXT]


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


def report_before(res):
    """The same figures of an earlier run (--before), beside this one's."""
    b = res["before"]
    rows = [("exact simulate phase, ms (headline minimum)",
             lambda r: r["headline"]["exact"]["simulate_s"] * 1e3),
            ("timing simulate phase, ms (headline minimum)",
             lambda r: r["headline"]["timing"]["simulate_s"] * 1e3),
            ("exact peak MB", lambda r: r["headline"]["exact"]["peak_mb"]),
            ("simulate ms beside ORT (median of pairs)", lambda r: r["ort"][0]["simulate_ms"]),
            ("ORT inference ms, same pairs", lambda r: r["ort"][0]["ort_ms"]),
            ("simulate / ORT", lambda r: r["ort"][0]["ratio"]),
            ("--check ms (median of pairs)", lambda r: r["ort"][0]["check_ms"]),
            ("check / simulate", lambda r: r["ort"][0]["check_ratio"]),
            ("whole process exact / ORT process", lambda r: r["processes"]["exact"]["A_per_B_wall"]),
            ("whole process timing, s (median)", lambda r: r["processes"]["timing"]["A_wall_s"])]
    lines = ["", "## Before and after (issue 21's data path and reference work)", "",
             f"Before: `{b['npusim']}` (the binary before this work), after: `{res['npusim']}`, measured "
             "in the same run: the headline minima one binary after the other, the ORT pairs as triples "
             "(ORT, after, before), the whole processes each against ORT.", "",
             "| figure (unpu, mobilenet_q4) | before | after |", "|---|---:|---:|"]
    for name, get in rows:
        try:
            lines.append(f"| {name} | {get(b):.2f} | {get(res):.2f} |")
        except (KeyError, IndexError):
            continue
    return lines


PROFILE_TEXT = (
    "Measured apart from this script, on 2026-12-07 (2 shared cores): `perf record -F 20000 build/npusim "
    "--arch arch/unpu.json --net workloads/mobilenet_q4.json` (exact mode), self time as a share of the "
    "whole process's samples (the simulate phase is about a quarter to a third of them; loading the "
    "network and zeroing the simulated DRAM at elaboration are the largest items outside it). Before: "
    "the post-processor's REQUANT (scalar `core::Requantize` per value) 9.8 %, the conv data path "
    "(int16 multiply-add kernels, operand widening and padding, unpacking and comparing packed weight "
    "tiles, per-element accumulator set-up) 11.2 %, the DRAM timing model (`DramChannel`, "
    "`DramFrontEnd`, `DramSystem`) 10.8 %, copies 3.1 %. After: REQUANT 1.0 % (`core::RequantizeRow`, "
    "vectorised), the data path 6.7 %, the DRAM model 9.3 %, copies 3.1 %. With `--check` the "
    "reference's `Conv2d` took 48 % of the samples before (int64 terms one at a time, scalar "
    "requantization); after, its uint32 loops and row requantization about 12 %. The build is CMake's "
    "Release (-O3) for baseline x86-64; the hot loops are cloned for AVX2 with `target_clones` (no "
    "`-march=native`: the binary runs on any x86-64 and the CPU picks the clone). What is left of the "
    "exact simulate phase is mostly what timing mode runs too (the DRAM model, the controller, the DMA "
    "and SystemC's events): compare the two modes' simulate phases above.")


def report_profile():
    return ["", "## Where the simulate phase goes (profile)", "", PROFILE_TEXT]


# Measured apart from this script (issue 18's last figure): the timed DRAM's cost in timing mode.
TIMED_DRAM_LINES = [
    "",
    "## Timing mode, timed DRAM",
    "",
    "The README command in timing mode (`build/npusim --arch arch/unpu.json --net "
    "workloads/mobilenet_q4.json --mode timing`, lpddr4-3200 behind the DMA) makes 146,477 DRAM "
    "requests and 176,248 commands (103,969 RD, 42,477 WR, 16,329 ACT, 12,817 PRE, 656 REF); "
    "`DramFrontEnd::Advance` visits 327,805 DRAM cycles. Before this work the controller, its "
    "front end and the per-command scans were 80 % of the simulate phase's instructions "
    "(`valgrind --tool=callgrind --toggle-collect='npusim::models::Npu::Run*'`, which counts "
    "repeatably on this noisy machine). Changed, with every figure the same (report.json of the "
    "README command fused and `--fusion none`, dense_16x16 MobileNetV1 q8 in exact and timing mode, "
    "and every figure of results/dram.md compared field by field against the binary before): queue "
    "entries in fixed slots with an arrival-order index list (taking a request from the middle "
    "moved 88-byte entries), per-bank issue times kept from the last scan while nothing changed, "
    "background summed when a rank's open state or layer changes instead of at every column "
    "command, one pass per scan, a field-table address decoder, and the forwarding search skipped "
    "when the read's bank has no write queued, the front end calling a source only "
    "once its request has arrived, and Pick reading plain pointers and skipping entries of banks "
    "with nothing ready.",
    "",
    "| figure (2026-12-07, 2 shared cores, load average 3.5-5) | before (main 9eb1cdd) "
    "| after |",
    "|---|---:|---:|",
    "| instructions in the simulate phase (callgrind) | 555.4 M | 438.5 M (0.79x) |",
    "| simulate phase, ms (the line npusim prints; median of 9, A/B in turn) | 46 | 39 |",
    "| simulate after / before, median of the 9 pairs | | 0.85 |",
    "| whole process wall s (timed from outside, median of 9) | 0.370 | 0.360 |",
    "| whole process cpu s (timed from outside, median of 9) | 0.325 | 0.312 |",
    "",
    "Issue 18's target for this phase is 30 ms: not reached. What is left (callgrind, after): "
    "`DramChannel::Scan` 12 % (every bank's earliest command after each command), `Pick` 11 % (the "
    "FR-FCFS choice: the banks' flags, then the queue in arrival order), the front end's cycle "
    "loop, offers and next-cycle search 17 %, `Accept` 7 %, `Tick` 7 %, `Issue` 7 %; "
    "outside the DRAM model the "
    "buffers' access counting (6 %), the controller, the DMA and SystemC's events. "
    "The next step is structural "
    "(fewer visited cycles: serve a run of row hits of one queue analytically, or offer the request "
    "that a column command makes room for in the same visit), not more of the same.",
]


def report_timed_dram():
    return list(TIMED_DRAM_LINES)


# Measured apart from this script: the compile phase (callgrind and the phase npusim prints).
COMPILE_LINES = [
    "",
    '## The compile phase (2026-12-07, fourth session)',
    '',
    '`valgrind --tool=callgrind build/npusim compile --arch arch/unpu.json --net '
    'workloads/mobilenet_q4.json`',
    '(instructions, repeatable on a loaded machine): the compile phase (`sim::Compile`) took 1,467 M',
    'instructions, 55 % of them in the fusion planner. Two changes, with every compile listing byte for',
    'byte the same (5 arches x 3 networks x 3 objectives compared):',
    '- the bit-serial closed forms compared the `serial_operand` string on each of 2.4 M calls (7 % of',
    '  the compile); they now switch on its first letter;',
    "- under `--objective cycles` the group search estimated every candidate's CONV energy, which the",
    "  ranking does not read; only the winner's is estimated now (the listing and the fusion notes show it).",
    '',
    'After: 1,091 M instructions (-26 %). Wall time of the compile phase as `npusim run --mode timing`',
    'prints it, 11 runs each, old and new in turn, 2 shared cores under load: median 0.262 s -> 0.225 s,',
    "pairwise ratio 0.83. The rest of the phase: the group search's cost model (26 % of a timing run's",
    "instructions), each layer's tiling search (the bit-serial closed form 7 %), the weights' packing 6 %.",
]


def report_compile():
    return list(COMPILE_LINES)


def report(res):
    lines = report_headline(res)
    if "ort" in res:
        lines += report_ort(res)
    if "before" in res:
        lines += report_before(res) + report_profile()
    lines += report_timed_dram() + report_compile()
    if res["scaling"]:
        lines += report_scaling(res["scaling"])
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
