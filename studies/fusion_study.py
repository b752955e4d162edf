#!/usr/bin/python3
"""Generates results/fusion.md (and results/fusion_buffers.png/.svg): what layer fusion
(compiler/passes/fusion.h, `--fusion auto`, the default) changes against every layer alone
(`--fusion none`).

Usage: studies/fusion_study.py [--npusim build/npusim] [--out results]

What it runs (every figure comes from a report.json npusim wrote; timing mode, which gives the
exact mode's cycles and energy):
  1. Four networks on shipped arches, unfused and fused: cycles, energy, DRAM energy and bytes,
     memory-bound layers, groups; DRAM bytes against the lower bound (weights and per-channel
     parameters once, the network's input and output once).
  2. A sweep of the input buffer (where a fused group keeps its bands and rings) from 32 KiB to
     1 MiB on arch/unpu.json with MobileNetV1 (4-bit weights), unfused and fused: the plot; and
     the same for the weight buffer from 64 KiB to 1 MiB.
  3. Per layer of the README command: DRAM bytes, the weights' share, and why it is not fused.
"""

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import npusim_tools as nt  # noqa: E402
from npusim_tools import ROOT  # noqa: E402

CASES = [
    ("arch/unpu.json", "workloads/mobilenet_q4.json", "MobileNetV1 (4-bit weights) on UNPU (README)"),
    ("arch/dense_16x16.json", "workloads/mobilenet_v1_q8.json", "MobileNetV1 q8 on dense 16x16"),
    ("arch/unpu.json", "workloads/scaling/resnet18_q8.json", "ResNet-18 q8 on UNPU"),
    ("arch/dense_16x16.json", "workloads/scaling/resnet18_q8.json", "ResNet-18 q8 on dense 16x16"),
    # Where the buffers allow it: the README network with 1 MiB input and weight buffers.
    ("arch/unpu.json", "workloads/mobilenet_q4.json",
     "MobileNetV1 (4-bit weights) on UNPU, ibuf and wbuf 1 MiB", {"ibuf": 1 << 20, "wbuf": 1 << 20}),
]
SWEEP_KIB = [32, 64, 128, 256, 512, 1024]


def dram_bytes(report):
    return sum(L["dram_read_bytes"] + L["dram_write_bytes"] for L in report["layers"])


def lower_bound(report, net):
    """Weights as stored and 12 bytes of parameters per output channel of each conv/FC layer,
    once; the network's inputs and outputs once."""
    bytes_ = 0
    for L in report["layers"]:
        if L.get("weight_format"):
            bytes_ += L["weight_bytes"] + 12 * int(L["output_shape"].split("x")[-1])
    tensors = net["tensors"]
    for name in net["inputs"] + net["outputs"]:
        t = tensors[name]
        n = 1
        for d in t["shape"]:
            n *= d
        bytes_ += n * (1 if t.get("bits", 8) <= 8 else 2 if t["bits"] <= 16 else 4)
    return bytes_


def figures(report):
    layers = report["layers"]
    return {
        "cycles": report["cycles"],
        "energy_uj": report["energy_pj"] / 1e6,
        "dram_uj": report["energy_breakdown_pj"].get("dram", 0) / 1e6,
        "dram_bytes": dram_bytes(report),
        "memory_bound": sum(1 for L in layers if L["bound"] == "memory"),
        "conv_layers": sum(1 for L in layers if L.get("weight_format")),
        "groups": len({L["fusion_group"] for L in layers if L.get("fusion_group")}),
        "fused_layers": sum(1 for L in layers if L.get("fusion_group")),
    }


def run(npusim, arch, net, fusion, out, objective="cycles"):
    return figures(nt.run_report(npusim, ["run", "--arch", arch, "--net", net, "--mode", "timing",
                                          "--fusion", fusion, "--objective", objective], out))


# The plans of the network table: (name, --fusion, --objective).
PLANS = [("unfused", "none", "cycles"), ("fused", "auto", "cycles"),
         ("fused, --objective energy", "auto", "energy"), ("fused, --objective edp", "auto", "edp")]


def case_table(npusim, tmp):
    rows = []
    for arch, net, title, *sizes in CASES:
        a, n = os.path.join(ROOT, arch), os.path.join(ROOT, net)
        if sizes:
            def edit(doc, sizes=sizes[0]):
                for b in doc["buffers"]:
                    b["size_bytes"] = sizes.get(b["name"], b["size_bytes"])
            a = nt.arch_variant(a, os.path.join(tmp, "case_arch.json"), edit)
        plans = [(name, run(npusim, a, n, fusion, os.path.join(tmp, "plan"), objective))
                 for name, fusion, objective in PLANS]
        bound = lower_bound(nt.read_report(os.path.join(tmp, "plan")), nt.load_json(n))
        rows.append((title, plans, bound))
        print(f"{title}: " + ", ".join(f"{f['cycles']} cycles {f['energy_uj']:.1f} uJ" for _, f in plans),
              file=sys.stderr)
    return rows


def buffer_sweep(npusim, tmp, buffer="ibuf", sizes=SWEEP_KIB):
    """MobileNetV1 (4-bit) on UNPU with `buffer` resized to each of `sizes` KiB, unfused and fused."""
    points = []
    for kib in sizes:
        def edit(a, kib=kib):
            for b in a["buffers"]:
                if b["name"] == buffer:
                    b["size_bytes"] = kib * 1024
        arch = nt.arch_variant(os.path.join(ROOT, "arch/unpu.json"),
                               os.path.join(tmp, f"unpu_{buffer}{kib}.json"), edit)
        net = os.path.join(ROOT, "workloads/mobilenet_q4.json")
        none = run(npusim, arch, net, "none", os.path.join(tmp, "none"))
        auto = run(npusim, arch, net, "auto", os.path.join(tmp, "auto"))
        points.append((kib, none, auto))
        print(f"{buffer} {kib} KiB: {none['energy_uj']:.1f} -> {auto['energy_uj']:.1f} uJ", file=sys.stderr)
    return points


def layer_table(npusim, tmp):
    """Per layer of the README command (fused, the default plan): its DRAM bytes, how many of them
    are weights and parameters (the lower bound's share) and how many activations, and why it is not
    fused with the next op (report.json's fusion_note)."""
    out = os.path.join(tmp, "layers")
    nt.run_report(npusim, ["run", "--arch", os.path.join(ROOT, "arch/unpu.json"), "--net",
                           os.path.join(ROOT, "workloads/mobilenet_q4.json"), "--mode", "timing"], out)
    rows = []
    for L in nt.read_report(out)["layers"]:
        moved = L["dram_read_bytes"] + L["dram_write_bytes"]
        if moved == 0:
            continue
        params = 0
        if L.get("weight_format"):
            params = L["weight_bytes"] + 12 * int(L["output_shape"].split("x")[-1])
        note = L.get("fusion_note", "")
        rows.append((L["name"], L.get("fusion_group", ""), moved, params, moved - params, note))
    return rows


def plot(points, base, buffer="ibuf", what="input buffer"):
    plt = nt.pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    x = [p[0] for p in points]
    for ax, key, label in [(axes[0], "cycles", "cycles"), (axes[1], "energy_uj", "energy (uJ)"),
                           (axes[2], "dram_bytes", "DRAM bytes")]:
        ax.plot(x, [p[1][key] for p in points], "o-", label="every layer alone (--fusion none)")
        ax.plot(x, [p[2][key] for p in points], "s-", label="fused (--fusion auto)")
        ax.set_xscale("log", base=2)
        ax.set_xticks(x)
        ax.set_xticklabels([f"{k}K" if k < 1024 else f"{k // 1024}M" for k in x])
        ax.set_xlabel(f"{what} ({buffer}) size")
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"MobileNetV1 (4-bit weights) on UNPU: {what} size, unfused vs fused")
    fig.tight_layout()
    nt.save_figure(fig, base)


def sweep_rows(points):
    rows = []
    for kib, none, auto in points:
        rows.append(f"| {kib} KiB | {none['cycles']:,} | {auto['cycles']:,} | {none['energy_uj']:.1f} | "
                    f"{auto['energy_uj']:.1f} | {none['dram_bytes']:,} | {auto['dram_bytes']:,} | "
                    f"{auto['groups']} |")
    return rows


def markdown(rows, points, wpoints, layers):
    out = ["# Layer fusion: what keeping intermediate tensors on chip changes", "",
           "Generated by `studies/fusion_study.py` (timing mode, which gives the exact mode's cycles and",
           "energy). What a fusion group is and how the compiler picks groups: docs/models.md, \"Layer",
           "fusion\". Unfused: `--fusion none`; fused: `--fusion auto` (the default); the objective",
           "(`--objective`, default cycles) ranks groups and tilings (docs/models.md, \"The",
           "objective\").", "",
           "## Networks", "",
           "| case | plan | cycles | energy uJ | DRAM uJ | DRAM bytes | x lower bound "
           "| memory-bound layers | groups (layers) |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for title, plans, bound in rows:
        for name, f in plans:
            out.append(f"| {title} | {name} | {f['cycles']:,} | {f['energy_uj']:.1f} | {f['dram_uj']:.1f} | "
                       f"{f['dram_bytes']:,} | {f['dram_bytes'] / bound:.2f} | {f['memory_bound']} of "
                       f"{f['conv_layers']} | {f['groups']} ({f['fused_layers']}) |")
    out += ["", "Lower bound: the weights as stored and 12 bytes of per-channel parameters per output",
            "channel, once, plus the network's input and output, once. The last case is the README",
            "network where the buffers allow the aim of 1.5 times that bound: with 1 MiB input and",
            "weight buffers, groups of up to eight layers keep nearly every intermediate tensor on chip.",
            "At the shipped buffers the README command's per-layer table (below) says why each layer",
            "that is not fused is not.", "",
            "## Input buffer size", "",
            "MobileNetV1 (4-bit weights) on arch/unpu.json with its input buffer (ibuf, where a group keeps",
            "its bands and rings) from 32 KiB to 1 MiB, the other buffers as shipped. A larger input",
            "buffer holds taller bands and longer groups (up to whole tensors: a group of one band",
            "keeps every intermediate tensor on chip whole). From 256 KiB the first groups take four",
            "layers (conv0..dw2, dw3..pw4), and each of dw7..dw13 runs fused with its pointwise layer in",
            "bands of half the image, the depthwise output on chip and the pointwise weights loaded once",
            "per band; fused DRAM traffic falls with the buffer while the unfused plan's stays flat.", "",
            "![cycles, energy and DRAM bytes against the input buffer size](fusion_buffers.png)", "",
            "| ibuf | unfused cycles | fused cycles | unfused uJ | fused uJ | unfused DRAM bytes "
            "| fused DRAM bytes | groups |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    out += sweep_rows(points)
    out += ["", "## Weight buffer size", "",
            "The same with the weight buffer (wbuf, shipped at 128 KiB) from 64 KiB to 1 MiB, the input",
            "buffer as shipped (64 KiB). At 256 KiB, pw7..pw11's 128 KB of packed weights fit the two",
            "weight slots together: their tilings walk the spatial tiles outermost and read the input once",
            "instead of once per output-channel tile (538,624 -> 337,920 DRAM bytes each). Beyond that",
            "nothing changes: the 64 KiB input buffer, which the 14x14x512 activations of dw7..pw13",
            "exceed, limits the groups, and pw12/pw13 read their input per tile as before.", "",
            "![cycles, energy and DRAM bytes against the weight buffer size](fusion_wbuf.png)", "",
            "| wbuf | unfused cycles | fused cycles | unfused uJ | fused uJ | unfused DRAM bytes "
            "| fused DRAM bytes | groups |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    out += sweep_rows(wpoints)
    total = sum(r[2] for r in layers)
    out += ["", "## Per layer: where the README command's DRAM bytes go", "",
            "The default plan (fused, objective cycles). \"Weights and parameters\" is the layer's share",
            "of the lower bound (its stored weights and 12 bytes per output channel); \"activations\" is",
            "the rest: input and output feature maps, read again per output-channel tile where the input",
            "does not fit. Why a layer is not fused with the next op is report.json's `fusion_note`.", "",
            "| layer | group | DRAM bytes | weights and parameters | activations "
            "| why not fused with the next |",
            "|---|---|---:|---:|---:|---|"]
    for name, group, moved, params, acts, note in layers:
        out.append(f"| {name} | {group} | {moved:,} | {params:,} | {acts:,} | {note} |")
    out.append(f"| total | | {total:,} | {sum(r[3] for r in layers):,} | {sum(r[4] for r in layers):,} | |")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    nt.add_npusim_option(ap)
    ap.add_argument("--out", default=os.path.join(ROOT, "results"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = case_table(args.npusim, tmp)
        points = buffer_sweep(args.npusim, tmp)
        wpoints = buffer_sweep(args.npusim, tmp, "wbuf", [64, 128, 256, 512, 1024])
        layers = layer_table(args.npusim, tmp)
    plot(points, os.path.join(args.out, "fusion_buffers"))
    plot(wpoints, os.path.join(args.out, "fusion_wbuf"), "wbuf", "weight buffer")
    with open(os.path.join(args.out, "fusion.md"), "w") as f:
        f.write(markdown(rows, points, wpoints, layers))
    print(f"wrote {args.out}/fusion.md, fusion_buffers.png/.svg and fusion_wbuf.png/.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
