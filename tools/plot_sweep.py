#!/usr/bin/python3
"""Plots of an `npusim sweep` (DIR/sweep.csv, docs/sweep.md):

  DIR/pareto.png, .svg        latency vs energy of every successful point, the Pareto front
                              (no other point is both faster and cheaper) marked and joined;
                              one marker shape per network
  DIR/pareto.csv              the front's rows (sweep.csv's columns), fastest first
  DIR/sensitivity.png, .svg   per knob: mean latency and mean energy at each of its values,
                              relative to the mean over all points (1.0 = no effect)
  DIR/front.png, .svg         when the sweep wrote DIR/front.csv (its Pareto front over latency,
                              energy and area): the three pairs of those objectives, every point
                              in grey and the front's points in red (a point on the 3-D front may
                              look beaten in one 2-D view: it wins on the third objective)

    tools/plot_sweep.py results/sweep-dense
"""
import csv
import os
import sys

import npusim_tools as nt

FIXED = {"id", "net", "status", "cycles", "seconds", "energy_pj", "area_mm2", "tops_per_mm2", "tops_per_w",
         "edp_pj_s",
         "dram_read_bytes", "dram_write_bytes", "error"}
MARKERS = "os^Dv<>p*h"


def read_sweep(path):
    rows, columns = nt.read_csv(path)
    return rows, [c for c in columns if c not in FIXED]


def pareto_front(points):
    """Points not dominated in (seconds, energy_pj): sorted by latency, keep each that is cheaper
    than every faster one."""
    front, best = [], float("inf")
    for p in sorted(points, key=lambda p: (p["seconds"], p["energy_pj"])):
        if p["energy_pj"] < best:
            front.append(p)
            best = p["energy_pj"]
    return front


def label(p, knobs):
    return ", ".join(f"{k.split('/')[-1]}={p[k]}" for k in knobs)


def plot_pareto(ok, front, knobs, out_dir):
    fig, ax = nt.pyplot().subplots(figsize=(8, 6))
    nets = sorted({p["net"] for p in ok})
    for i, net in enumerate(nets):
        mine = [p for p in ok if p["net"] == net]
        ax.scatter([p["seconds"] * 1e3 for p in mine], [p["energy_pj"] / 1e6 for p in mine],
                   marker=MARKERS[i % len(MARKERS)], color="#bbbbbb", edgecolor="#666666",
                   label=os.path.basename(net))
    ax.plot([p["seconds"] * 1e3 for p in front], [p["energy_pj"] / 1e6 for p in front],
            color="#ee6677", marker="o", label="Pareto front")
    for p in front[:12]:
        ax.annotate(label(p, knobs), (p["seconds"] * 1e3, p["energy_pj"] / 1e6), fontsize=7,
                    xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("energy (uJ)")
    ax.set_title(f"{len(ok)} design points, {len(front)} on the front")
    ax.legend(fontsize=8)
    nt.save_figure(fig, os.path.join(out_dir, "pareto"))


def value_key(v):
    try:
        return (0, float(v), v)
    except ValueError:
        return (1, 0.0, v)


def plot_sensitivity(ok, knobs, out_dir):
    mean_s = sum(p["seconds"] for p in ok) / len(ok)
    mean_e = sum(p["energy_pj"] for p in ok) / len(ok)
    fig, axes = nt.pyplot().subplots(1, len(knobs), figsize=(4 * len(knobs), 4), squeeze=False)
    for ax, knob in zip(axes[0], knobs):
        values = sorted({p[knob] for p in ok}, key=value_key)
        lat, en = [], []
        for v in values:
            mine = [p for p in ok if p[knob] == v]
            lat.append(sum(p["seconds"] for p in mine) / len(mine) / mean_s)
            en.append(sum(p["energy_pj"] for p in mine) / len(mine) / mean_e)
        x = range(len(values))
        ax.plot(x, lat, marker="o", color="#4477aa", label="latency")
        ax.plot(x, en, marker="s", color="#ccbb44", label="energy")
        ax.axhline(1.0, color="#999999", linewidth=0.8)
        ax.set_xticks(list(x))
        ax.set_xticklabels(values, fontsize=8)
        ax.set_xlabel(knob)
        ax.set_ylabel("mean / mean of all points")
        ax.legend(fontsize=8)
    nt.save_figure(fig, os.path.join(out_dir, "sensitivity"))


AXES = {"seconds": ("latency (ms)", 1e3), "energy_pj": ("energy (uJ)", 1e-6),
        "area_mm2": ("area (mm^2)", 1.0)}


def plot_front(ok, front_ids, objectives, out_dir):
    """Every pair of the front's objectives: all points grey, the front's red."""
    pairs = [(a, b) for i, a in enumerate(objectives) for b in objectives[i + 1:]]
    fig, axes = nt.pyplot().subplots(1, len(pairs), figsize=(5 * len(pairs), 4.5), squeeze=False)
    front = [p for p in ok if p["id"] in front_ids]
    for ax, (x, y) in zip(axes[0], pairs):
        (xl, xs), (yl, ys) = AXES[x], AXES[y]
        ax.scatter([float(p[x]) * xs for p in ok], [float(p[y]) * ys for p in ok], color="#bbbbbb",
                   edgecolor="#666666", label="design points")
        ax.scatter([float(p[x]) * xs for p in front], [float(p[y]) * ys for p in front], color="#ee6677",
                   label="Pareto front")
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.legend(fontsize=8)
    fig.suptitle(f"{len(ok)} design points, {len(front)} on the front over {', '.join(objectives)}")
    nt.save_figure(fig, os.path.join(out_dir, "front"))


def draw_front(out_dir, ok):
    """front.png/.svg from DIR/front.csv, if the sweep wrote one; its objectives as its rows say."""
    path = os.path.join(out_dir, "front.csv")
    if not os.path.exists(path):
        return ""
    rows, _ = nt.read_csv(path)
    objectives = ["seconds", "energy_pj"]
    if rows and all(r["area_mm2"] for r in rows) and all(p["area_mm2"] for p in ok):
        objectives.append("area_mm2")
    plot_front(ok, {r["id"] for r in rows}, objectives, out_dir)
    return ", front.png, front.svg"


def main(argv):
    out_dir = nt.dir_argument(argv, __doc__, "the --out directory of an npusim sweep (holds sweep.csv)")
    path = os.path.join(out_dir, "sweep.csv")
    try:
        rows, knobs = read_sweep(path)
    except (OSError, csv.Error) as e:
        nt.usage_exit("plot_sweep", path, e)
    ok = []
    for r in rows:
        if r["status"] != "ok":
            continue
        r["seconds"] = float(r["seconds"])
        r["energy_pj"] = float(r["energy_pj"])
        ok.append(r)
    if not ok:
        nt.usage_exit("plot_sweep", path, "no successful points")
    front = pareto_front(ok)
    nt.write_csv(os.path.join(out_dir, "pareto.csv"), front, list(rows[0].keys()), lineterminator="\n")
    plot_pareto(ok, front, knobs, out_dir)
    plot_sensitivity(ok, knobs, out_dir)
    front_files = draw_front(out_dir, ok)
    print(f"wrote {out_dir}/pareto.png, pareto.svg, pareto.csv, sensitivity.png, "
          f"sensitivity.svg{front_files} "
          f"({len(ok)} points, {len(front)} on the front, {len(rows) - len(ok)} failed)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
