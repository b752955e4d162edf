#!/usr/bin/python3
"""Block-level NAS look-up table against whole-network simulation (`npusim lut` on a block space).

For each arch: `npusim lut` builds the LUT of the block space (one entry per choice at every
position, the stem and the head; explore/nas_space.h); N architectures are sampled (seeded, each
position's choice drawn among the entries the arch can run); each is written by
`npusim lut --emit-net` (the same pieces the LUT simulated, composed into one network), run with
`npusim run --mode timing`, and compared with the sum of its entries: cycles, energy, DRAM bytes.

  /usr/bin/python3 studies/lut_blocks.py --arch arch/dense_16x16.json --arch arch/unpu.json \\
      --space workloads/nas/mbconv_space.json -n 20 --out results/lut_blocks --plot results/lut_blocks
Writes OUT/ARCH/lut.json, nets/, runs/, archs.csv and summary.json; prints a Markdown summary.
"""
import argparse
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import npusim_tools as nt  # noqa: E402
from npusim_tools import pct, run  # noqa: E402


def study(args, arch):
    name = os.path.splitext(os.path.basename(arch))[0]
    out = os.path.join(args.out, name)
    for d in ("nets", "runs"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    lut_path = os.path.join(out, "lut.json")
    t0 = time.time()
    print(run([args.npusim, "lut", "--arch", arch, "--space", args.space, "--out", lut_path,
               "--jobs", str(args.jobs)]).strip())
    t_lut = time.time() - t0
    doc = nt.load_json(lut_path)
    lut = doc["lut"]
    positions = [p for p in lut if p not in ("stem", "head")]
    fixed = [p for p in ("stem", "head") if p in lut]
    for p in fixed:
        if lut[p][""]["status"] != "ok":
            sys.exit("%s: the %s cannot run on %s" % (lut_path, p, arch))

    def wanted(choice, entry):
        bits_ok = not args.activation_bits or choice.endswith("_a%d" % args.activation_bits)
        return entry["status"] == "ok" and bits_ok

    feasible = {p: sorted(c for c, e in lut[p].items() if wanted(c, e)) for p in positions}
    rng = random.Random(args.seed)
    archs = [[rng.choice(feasible[p]) for p in positions] for _ in range(args.n)]

    def one(i):
        spec = ",".join(archs[i])
        net = os.path.join(out, "nets", "arch%02d.json" % i)
        run([args.npusim, "lut", "--arch", arch, "--space", args.space, "--out", net, "--emit-net", spec])
        return nt.run_report(args.npusim, ["run", "--arch", arch, "--net", net, "--mode", "timing"],
                             os.path.join(out, "runs", "arch%02d" % i))

    t1 = time.time()
    with ThreadPoolExecutor(max_workers=args.jobs) as ex:
        reps = list(ex.map(one, range(args.n)))
    t_run = time.time() - t1
    rows = []
    for i, rep in enumerate(reps):
        ents = [lut[p][""] for p in fixed] + [lut[p][c] for p, c in zip(positions, archs[i])]
        s = {k: sum(e[k] for e in ents)
             for k in ("cycles", "energy_pj", "dram_read_bytes", "dram_write_bytes")}
        mixed = sum(1 for a, b in zip(archs[i], archs[i][1:]) if a.split("_a")[1] != b.split("_a")[1])
        rows.append({"arch": i, "choices": " ".join(archs[i]), "lut_cycles": s["cycles"],
                     "sim_cycles": rep["cycles"], "cycles_err_pct": pct(s["cycles"], rep["cycles"]),
                     "lut_energy_pj": s["energy_pj"], "sim_energy_pj": rep["energy_pj"],
                     "energy_err_pct": pct(s["energy_pj"], rep["energy_pj"]),
                     "lut_dram_bytes": s["dram_read_bytes"] + s["dram_write_bytes"],
                     "sim_dram_bytes": rep["counters"]["dram.read_byte"] + rep["counters"]["dram.write_byte"],
                     "activation_width_changes": mixed})
    nt.write_csv(os.path.join(out, "archs.csv"), rows)
    summary = {"arch": arch, "space": args.space, "n": args.n, "seed": args.seed,
               "lut_entries": len(doc["entries"]),
               "feasible_choices": {p: len(c) for p, c in feasible.items()},
               "lut_wall_s": t_lut, "runs_wall_s": t_run,
               "cycles": nt.error_stats([r["cycles_err_pct"] for r in rows]),
               "energy": nt.error_stats([r["energy_err_pct"] for r in rows]),
               "dram_err_pct": nt.error_stats([pct(r["lut_dram_bytes"], r["sim_dram_bytes"]) for r in rows])}
    nt.save_json(os.path.join(out, "summary.json"), summary, indent=1)
    return name, rows, summary


def plot(prefix, studies):
    fig, axes = nt.pyplot().subplots(1, len(studies), figsize=(5.2 * len(studies), 4.4), squeeze=False)
    for ax, (name, rows, s) in zip(axes[0], studies):
        for j, (k, label, color) in enumerate((("cycles_err_pct", "cycles", "tab:blue"),
                                               ("energy_err_pct", "energy", "tab:orange"))):
            ax.scatter([j + 0.03 * (r["arch"] - len(rows) / 2) for r in rows], [r[k] for r in rows], s=16,
                       color=color)
        ax.axhline(0, color="grey", lw=1)
        ax.set_xticks([0, 1])
        ax.set_xticklabels(["cycles", "energy"])
        ax.set_ylabel("(LUT sum - simulated) / simulated, %")
        ax.set_title("%s: %d architectures\ncycles mean %+.2f %%, max |err| %.2f %%" %
                     (name, s["n"], s["cycles"]["mean"], s["cycles"]["max_abs"]), fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    nt.save_figure(fig, prefix)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    nt.add_npusim_option(ap)
    ap.add_argument("--arch", action="append", help="arch file (repeatable; default arch/unpu.json)")
    ap.add_argument("--space", default="workloads/nas/mbconv_space.json")
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default="results/lut_blocks")
    ap.add_argument("--plot", help="write PREFIX.png and PREFIX.svg")
    ap.add_argument("--activation-bits", type=int, help="sample only choices with these activation bits")
    args = ap.parse_args()
    studies = [study(args, a) for a in (args.arch or ["arch/unpu.json"])]
    for name, rows, s in studies:
        print("\n## %s: %d architectures, %d LUT entries (LUT %.1f s, %d whole-network runs %.1f s)" %
              (name, s["n"], s["lut_entries"], s["lut_wall_s"], s["n"], s["runs_wall_s"]))
        print("| arch | LUT sum cycles | simulated | error | LUT sum energy (uJ) | simulated (uJ) | error "
              "| width changes |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            print("| %d | %d | %d | %+.2f %% | %.3f | %.3f | %+.3f %% | %d |" %
                  (r["arch"], r["lut_cycles"], r["sim_cycles"], r["cycles_err_pct"],
                   r["lut_energy_pj"] * 1e-6, r["sim_energy_pj"] * 1e-6, r["energy_err_pct"],
                   r["activation_width_changes"]))
        for what in ("cycles", "energy", "dram_err_pct"):
            d = s[what]
            print("%s: mean %+.3f %%, median %+.3f %%, 90th pct |err| %.3f %%, max |err| %.3f %%, "
                  "range %+.3f..%+.3f %%"
                  % (what, d["mean"], d["median"], d["p90_abs"], d["max_abs"], d["min"], d["max"]))
    if args.plot:
        plot(args.plot, studies)


if __name__ == "__main__":
    main()
