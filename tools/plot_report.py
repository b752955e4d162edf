#!/usr/bin/python3
"""Per-layer plot of one npusim run: cycles (coloured by what bounds the layer), utilization of
the matrix unit, and energy, from DIR/report.json; the layers of each fusion group stand on a
shaded band (alternating shades, so neighbouring groups stay apart). Writes DIR/layers.png and DIR/layers.svg.

    tools/plot_report.py results/dense_16x16-mobilenet_v1_q8
"""
import os
import sys

import npusim_tools as nt

COLOURS = {"compute": "#4477aa", "memory": "#ee6677", "post": "#228833", "-": "#bbbbbb"}
GROUP_SHADES = ("#e8e0f4", "#f4ecd8")


def fusion_groups(layers):
    """[first, last] layer indices of each fusion group, in order."""
    spans = []
    for i, layer in enumerate(layers):
        group = layer.get("fusion_group")
        if group and spans and layers[spans[-1][0]].get("fusion_group") == group:
            spans[-1][1] = i
        elif group:
            spans.append([i, i])
    return spans


def shade_groups(axes, layers):
    """Shaded bands behind each fusion group's layers; returns how many groups there are."""
    spans = fusion_groups(layers)
    for n, (first, last) in enumerate(spans):
        for ax in axes:
            ax.axvspan(first - 0.5, last + 0.5, color=GROUP_SHADES[n % 2], zorder=0)
    return len(spans)


def main(argv):
    out_dir = nt.dir_argument(argv, __doc__, "the --out directory of an npusim run (holds report.json)")
    path = os.path.join(out_dir, "report.json")
    try:
        report = nt.load_json(path)
    except (OSError, ValueError) as e:
        nt.usage_exit("plot_report", path, e)
    plt = nt.pyplot()
    layers = report["layers"]
    names = [layer["name"] for layer in layers]
    x = range(len(layers))
    fig, axes = plt.subplots(3, 1, figsize=(max(8, 0.35 * len(layers)), 9), sharex=True)
    axes[0].bar(x, [layer["cycles"] for layer in layers],
                color=[COLOURS.get(layer.get("bound", "-"), "#bbbbbb") for layer in layers])
    axes[0].set_ylabel("cycles")
    axes[0].set_title(f"{report['net']['name']} on {report['arch']['name']}: "
                      f"{report['cycles']:,} cycles, {report['energy_pj'] / 1e6:,.1f} uJ")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLOURS.values()]
    labels = [f"{k}-bound" if k != "-" else "no instructions" for k in COLOURS]
    if shade_groups(axes, layers):
        handles.append(plt.Rectangle((0, 0), 1, 1, color=GROUP_SHADES[0]))
        labels.append("fused group (shaded)")
    axes[0].legend(handles, labels, fontsize=8)
    axes[1].bar(x, [100 * layer["utilization"] for layer in layers], color="#4477aa")
    axes[1].set_ylabel("utilization %")
    axes[1].set_ylim(0, 100)
    axes[2].bar(x, [layer["energy_pj"] / 1e6 for layer in layers], color="#ccbb44")
    axes[2].set_ylabel("energy uJ")
    axes[2].set_xticks(list(x))
    axes[2].set_xticklabels(names, rotation=90, fontsize=8)
    nt.save_figure(fig, os.path.join(out_dir, "layers"))
    print(f"wrote {out_dir}/layers.png and layers.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
