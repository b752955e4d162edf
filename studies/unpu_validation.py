#!/usr/bin/python3
"""Generates docs/validation/unpu.md (and its plots) from npusim's own runs on arch/unpu.json.

Usage: studies/unpu_validation.py [--npusim build/npusim] [--out docs/validation] [--calibrate]

What it runs (every figure in the document comes from a report.json written by npusim):
  1. Peak throughput per weight width 1..16: one compute-bound layer (1x1 conv, 24x24 pixels,
     576 -> 256 channels, 85 M MACs) on arch/unpu.json with DRAM bandwidth raised to 4096 B/cycle
     and buffers enlarged, so that the PE array, not the memory, bounds it (the paper's peak is
     the array's).
  2. Energy efficiency per width: on-chip energy of the same runs (everything but DRAM and the DMA
     engine, as a chip's TOPS/W counts), 2 ops per MAC; the 1-bit point also at 0.63 V (the
     paper's low-voltage figure; dynamic energy scales as V^2).
  3. LBPE vs a bit-parallel fixed-point MAC array of the same throughput at 16 bits
     (arch/unpu_fixed.json: 864 MACs per cycle, serial_operand "none"): the unit's energy per MAC.
  4. MobileNetV1 224x224 at 16-bit, 8-bit, 4-bit (mobilenet_q4) and mixed weights on
     arch/unpu.json as shipped: cycles, energy, per-layer utilization.

--calibrate recomputes the two calibrated energy tables first (arch/energy/unpu_65nm.json:
lookup_add and table_entry from the paper's 16-bit 3.08 TOPS/W; arch/energy/unpu_fixed_65nm.json:
the baseline's mac_w<b> from the paper's 16-bit and 1-bit reductions) and writes them back.
"""

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import npusim_tools as nt  # noqa: E402
from npusim_tools import ROOT, load_json as load  # noqa: E402
CLOCK_MHZ = 200.0
# Lee et al., "UNPU: An Energy-Efficient Deep Neural Network Accelerator With Fully Variable Weight
# Bit Precision", IEEE JSSC 54(1), 2019 (ISSCC 2018 13.3), abstract.
PAPER_GOPS = {16: 345.6, 1: 7372.8}
PAPER_TOPS_W = {16: (3.08, 1.1), 1: (50.6, 0.63)}  # (TOPS/W, volts)
PAPER_REDUCTION = {16: 23.1, 8: 27.2, 4: 41.0, 1: 53.6}  # % below a fixed-point MAC array
OFF_CHIP = ("dram", "dma")
# Width of an LBPE table entry: UNPU's 16-bit feature datapath plus 2 bits for a sum of 3 features
# (lut_group 3); the hardware's width whatever the layer's activation bits.
ENTRY_BITS = 18


def save(path, obj):
    nt.save_json(path, obj, indent=2, newline=True)


def peak_net(bits):
    """The compute-bound layer with `bits`-bit weights (binary +-1 at 1 bit)."""
    m_h, k, n = 24, 576, 256
    return {
        "version": 1, "name": "peak_w%d" % bits, "inputs": ["x"], "outputs": ["y"],
        "tensors": {
            "x": {"shape": [1, m_h, m_h, k], "bits": 8, "scale": 0.05, "zero_point": 0,
                  "data": {"random": {"seed": 11}}},
            "w": {"shape": [n, 1, 1, k], "bits": bits, "scale": 0.001, "zero_point": 0,
                  "data": {"random": {"seed": 12}}},
            "y": {"shape": [1, m_h, m_h, n], "bits": 8, "scale": 4.0, "zero_point": 0},
        },
        "ops": [{"name": "peak", "op": "conv2d", "inputs": ["x", "w"], "outputs": ["y"]}],
    }


class Runner:
    def __init__(self, npusim, tmp):
        self.npusim = npusim
        self.tmp = tmp
        self.count = 0

    def arch(self, base, name, edit):
        """A copy of arch/<base> with `edit` applied, its energy file by absolute path."""
        return nt.arch_variant(nt.repo_path("arch", base), os.path.join(self.tmp, name + ".json"), edit)

    def run(self, arch, net, extra=()):
        self.count += 1
        out = os.path.join(self.tmp, "run%d" % self.count)
        if isinstance(net, dict):
            path = os.path.join(self.tmp, "net%d.json" % self.count)
            save(path, net)
            net = path
        return nt.run_report(self.npusim, ["--arch", arch, "--net", net] + list(extra), out)


def on_chip_pj(rep):
    return sum(v for k, v in rep["energy_breakdown_pj"].items() if k not in OFF_CHIP)


def unit_pj(rep):
    return rep["energy_breakdown_pj"]["lbpe"]


def peak_arch(runner, base, name, volts=1.1):
    def edit(a):
        # Memory out of the way: the paper's peak is the PE array's. Buffers 16x larger and 4x
        # wider hold the layer's whole input and weights; energy per byte is kept (the table's
        # per-word energies scale with the word).
        a["dram"] = {"model": "simple", "bytes_per_cycle": 4096, "latency_cycles": 40, "burst_bytes": 64,
                     "capacity_bytes": a["dram"].get("capacity_bytes", 1 << 28)}
        table = load(a["energy"])
        for b in a["buffers"]:
            b["size_bytes"] *= 16
            b["word_bytes"] *= 4
            for action in ("read", "write"):
                table["components"][b["name"]][action]["energy_pj"] *= 4
        a["energy"] = table
        a["operating_point"]["voltage_v"] = volts
    return runner.arch(base, name, edit)


def calibrate(runner):
    """Solves the calibrated energies from the paper's figures and writes them to the tables."""
    energy_path = os.path.join(ROOT, "arch", "energy", "unpu_65nm.json")
    table = load(energy_path)
    lbpe = table["components"]["lbpe"]
    # Runs with the three LBPE actions at 0 give everything else; energy is linear in them.
    for a in ("lookup_add", "table_entry", "accumulate_bit"):
        lbpe[a] = {"energy_pj": 0.0, "source": "placeholder"}
    save(energy_path, table)
    rep = runner.run(peak_arch(runner, "unpu.json", "cal16"), peak_net(16))
    c = rep["counters"]
    # In units of one bit of datapath (read or add): a lookup-add reads an ENTRY_BITS-bit table
    # entry and adds it at ENTRY_BITS bits plus its plane's shift (accumulate_bit counts those
    # shifts); building a table entry is one ENTRY_BITS-bit add and write.
    events = 2 * ENTRY_BITS * (c["lbpe.lookup_add"] + c["lbpe.table_entry"]) + c["lbpe.accumulate_bit"]
    target = rep["macs"] * 2.0 / PAPER_TOPS_W[16][0]  # pJ: 1 TOPS/W = 1 op per pJ
    per_bit = (target - on_chip_pj(rep)) / events
    cal = ("calibrated (studies/unpu_validation.py --calibrate): the on-chip energy of the peak layer at "
           "16-bit weights equals UNPU's 3.08 TOPS/W at 1.1 V (Lee et al., JSSC 2019), with one energy "
           "e = %.6f pJ per bit of datapath read or added (an estimate: equal per-bit cost of a table "
           "read and an add); " % per_bit)
    lbpe["lookup_add"] = {"energy_pj": round(2 * ENTRY_BITS * per_bit, 5), "source": cal + (
        "a lookup-add reads a %d-bit table entry (16-bit features, sums of 3) and adds it at %d bits: "
        "%d e" % (ENTRY_BITS, ENTRY_BITS, 2 * ENTRY_BITS))}
    lbpe["table_entry"] = {"energy_pj": round(2 * ENTRY_BITS * per_bit, 5), "source": cal + (
        "building an entry is one %d-bit add and one %d-bit write: %d e"
        % (ENTRY_BITS, ENTRY_BITS, 2 * ENTRY_BITS))}
    lbpe["accumulate_bit"] = {"energy_pj": round(per_bit, 6), "source": cal + (
        "each bit of shift makes the partial sum a lookup adds into one bit wider: e")}
    save(energy_path, table)

    # The baseline: unit energy per MAC is mac_w<b> = f + g * b (a 16 x b-bit multiplier and a
    # fixed-width accumulate; every mac_w<b> >= 0, so g >= 0 and f + g >= 0) plus the rest
    # (leakage, aggregation: measured with mac_w<b> = 0, an estimate, so f may be negative). f and g
    # are fitted to the paper's four reductions at once, minimising the largest difference; what
    # remains is the two models' disagreement with the paper.
    widths = sorted(PAPER_REDUCTION, reverse=True)
    lbpe_mac = {}
    for b in widths:
        rep = runner.run(peak_arch(runner, "unpu.json", "u%d" % b), peak_net(b))
        lbpe_mac[b] = unit_pj(rep) / rep["macs"]
    fixed_path = os.path.join(ROOT, "arch", "energy", "unpu_fixed_65nm.json")
    fixed = load(fixed_path)
    comp = fixed["components"]["lbpe"]
    for b in range(1, 17):
        comp["mac_w%d" % b] = {"energy_pj": 0.0, "source": "placeholder"}
    save(fixed_path, fixed)
    rest = {}
    for b in widths:
        rep = runner.run(peak_arch(runner, "unpu_fixed.json", "f%d" % b), peak_net(b))
        rest[b] = unit_pj(rep) / rep["macs"]

    def worst(f, g):
        return max(abs(100 * (1 - lbpe_mac[b] / (rest[b] + f + g * b)) - PAPER_REDUCTION[b]) for b in widths)

    # Minimax by successive grid refinement (two parameters, a smooth objective).
    f, g, span_f, span_g = 0.02, 0.03, 0.02, 0.03
    for _ in range(12):
        cands = [(f + span_f * i / 10, max(0.0, g + span_g * j / 10))
                 for i in range(-10, 11) for j in range(-10, 11)]
        f, g = min((c for c in cands if c[0] + c[1] >= 0), key=lambda c: worst(*c))
        span_f, span_g = span_f / 3, span_g / 3
    src = ("fitted (studies/unpu_validation.py --calibrate): f + g * b with f = %.5f, g = %.5f pJ "
           "(each mac_w<b> >= 0), chosen so that this array's energy per MAC against the LBPE array's "
           "gives UNPU's reported "
           "reductions at 16, 8, 4 and 1 bits (23.1, 27.2, 41.0, 53.6 %%; Lee et al., JSSC 2019) with the "
           "smallest largest difference (%.1f percentage points)" % (f, g, worst(f, g)))
    for b in range(1, 17):
        comp["mac_w%d" % b] = {"energy_pj": round(f + g * b, 5), "source": src}
    save(fixed_path, fixed)
    print("calibrated: e = %.6f pJ per datapath bit (lookup_add = table_entry = %d e); "
          "baseline mac = %.5f + %.5f * b pJ" % (per_bit, 2 * ENTRY_BITS, f, g))


def plot(path_base, layers_by_prec):
    fig, (ax1, ax2) = nt.pyplot().subplots(2, 1, figsize=(12, 7), sharex=True)
    names = [ly["name"] for ly in next(iter(layers_by_prec.values()))]
    xs = range(len(names))
    for label, layers in layers_by_prec.items():
        ax1.plot(xs, [100 * ly["utilization"] for ly in layers], marker="o", ms=3, label=label)
        ax2.plot(xs, [ly["energy_pj"] / 1e6 for ly in layers], marker="o", ms=3, label=label)
    ax1.set_ylabel("utilization (%)")
    ax2.set_ylabel("energy (uJ)")
    ax2.set_xticks(list(xs))
    ax2.set_xticklabels(names, rotation=90, fontsize=7)
    ax1.legend()
    ax1.set_title("MobileNetV1 on arch/unpu.json: per-layer utilization and energy by weight precision")
    nt.save_figure(fig, path_base, dpi=None)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    nt.add_npusim_option(ap)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "validation"))
    ap.add_argument("--calibrate", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="unpu_validation_")
    runner = Runner(args.npusim, tmp)
    if args.calibrate:
        calibrate(runner)

    md = []
    w = md.append
    w("# UNPU validation (generated by `studies/unpu_validation.py`; do not edit)\n")
    w("Paper: Lee et al., \"UNPU: An Energy-Efficient Deep Neural Network Accelerator With Fully "
      "Variable Weight Bit Precision\", IEEE JSSC 54(1), 2019 (ISSCC 2018 13.3). The paper's figures "
      "quoted here are from its abstract. Model and arch: docs/models.md (\"Bit-serial array\"), "
      "arch/unpu.json, arch/energy/unpu_65nm.json; every other number on this page is read from a "
      "report.json that `npusim` wrote.\n")

    # 1 + 2: throughput and efficiency per width.
    w("## Peak throughput and energy efficiency per weight width\n")
    w("Layer: 1x1 conv, 24x24 pixels, 576 -> 256 channels (84.9 M MACs), 8-bit activations, on "
      "arch/unpu.json with DRAM raised to 4096 B/cycle and buffers 16x larger and 4x wider "
      "(per-word energies x4, so energy per byte is unchanged), so that the PE array bounds it. "
      "GOPS = 2 x MACs / "
      "layer time at 200 MHz. TOPS/W = 2 x MACs / on-chip energy (everything but DRAM and DMA) at "
      "1.1 V. The peak is the array's: GOPS (array busy) divides by the cycles the array spent on the "
      "layer's instructions; GOPS (layer) by the layer's whole span, which adds loading the first "
      "tile and requantizing and storing the last one (the layer runs as 2 tiles).\n")
    w("| weight bits | array busy cycles | layer cycles | GOPS (array busy) | GOPS (paper) | model peak GOPS "
      "| of peak | GOPS (layer) | on-chip pJ/MAC | TOPS/W (npusim) | TOPS/W (paper) |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    peak = peak_arch(runner, "unpu.json", "peak")
    rows = {}
    for b in range(1, 17):
        rep = runner.run(peak, peak_net(b))
        busy = rep["layers"][0]["compute_busy_cycles"]
        gops = 2 * rep["macs"] / (busy / (CLOCK_MHZ * 1e6)) / 1e9
        layer_gops = 2 * rep["macs"] / (rep["cycles"] / (CLOCK_MHZ * 1e6)) / 1e9
        ideal = 2 * (18432 if b == 1 else 13824.0 / b) * CLOCK_MHZ * 1e6 / 1e9
        pj = on_chip_pj(rep) / rep["macs"]
        rows[b] = (rep, gops, pj)
        paper = "%.1f" % PAPER_GOPS[b] if b in PAPER_GOPS else ""
        tw = "%.2f (1.1 V)" % PAPER_TOPS_W[b][0] if b == 16 else ""
        w("| %d | %d | %d | %.1f | %s | %.1f | %.1f %% | %.1f | %.4f | %.2f | %s |" % (
            b, busy, rep["cycles"], gops, paper, ideal, 100 * gops / ideal, layer_gops, pj, 2 / pj, tw))
    w("")
    for b in (16, 1):
        dev = 100 * (rows[b][1] / PAPER_GOPS[b] - 1)
        w("- %d-bit peak: %.1f GOPS vs the paper's %.1f (%+.2f %%)." % (b, rows[b][1], PAPER_GOPS[b], dev))
    low = runner.run(peak_arch(runner, "unpu.json", "peak063", volts=0.63), peak_net(1))
    low_tw = 2 * low["macs"] / on_chip_pj(low)
    w("- 1-bit at 0.63 V (dynamic energy x (0.63/1.1)^2, leakage x 0.63/1.1; the paper's clock at "
      "0.63 V is not stated in its abstract, so 200 MHz is kept): %.1f TOPS/W vs the paper's 50.6 "
      "(%+.1f %%). 16-bit at 1.1 V: %.2f TOPS/W vs 3.08 (calibrated there)." % (
          low_tw, 100 * (low_tw / 50.6 - 1), 2 / rows[16][2]))
    w("")

    # 3: LBPE vs fixed point.
    w("## LBPE energy vs a fixed-point MAC array\n")
    w("Unit energy per MAC (the `lbpe` component: lookups, table entries, aggregation, leakage) on "
      "the peak layer, against arch/unpu_fixed.json: the same cores and buffers with a bit-parallel "
      "MAC per lane (serial_operand \"none\", 864 MACs per cycle, UNPU's 16-bit throughput), whose "
      "MAC energy f + g x b (every mac_w<b> >= 0) is fitted to the paper's four reductions at once, "
      "so that the "
      "largest difference is as small as two parameters allow.\n")
    w("| weight bits | LBPE pJ/MAC | fixed-point pJ/MAC | reduction (npusim) | reduction (paper) "
      "| difference |")
    w("|---:|---:|---:|---:|---:|---:|")
    fixed = peak_arch(runner, "unpu_fixed.json", "fixed")
    for b in (16, 8, 4, 1):
        lb = unit_pj(rows[b][0]) / rows[b][0]["macs"]
        fr = runner.run(fixed, peak_net(b))
        fx = unit_pj(fr) / fr["macs"]
        red = 100 * (1 - lb / fx)
        w("| %d | %.4f | %.4f | %.1f %% | %.1f %% | %+.1f pp |" % (
            b, lb, fx, red, PAPER_REDUCTION[b], red - PAPER_REDUCTION[b]))
    w("")
    w("The LBPE's energy per MAC grows slightly faster than the bit-planes it looks up (b / 3 "
      "lookups per MAC, 1 / 4 in the 1-bit mode): each lookup-add reads an 18-bit table entry and "
      "adds it into a partial sum that is one bit wider per plane already accumulated "
      "(`lbpe.accumulate_bit`), so the later planes of wide weights cost more (docs/models.md, "
      "\"Bit-serial array\"). The fixed-point MAC is linear in b. The LBPE side has one calibrated "
      "number (e, from the 16-bit TOPS/W); the baseline has two (f, g) for four reductions, so the "
      "difference column is what two straight-line energy models cannot absorb of the paper's curve "
      "(its 4-bit point lies above, its 8-bit point below, the line through the others).\n")

    # 4: MobileNetV1 at four precisions.
    w("## MobileNetV1 at 16, 8, 4 bits and mixed precision\n")
    w("arch/unpu.json as shipped (DRAM 16 B/cycle = 3.2 GB/s at 200 MHz, an estimate), exact mode. "
      "Weights are stored and moved packed at their own width (`packed_weights`: 4-bit weights take "
      "half a byte in DRAM and the weight buffer; 8- and 16-bit ones one and two bytes).\n")
    nets = [("16-bit", "workloads/mobilenet_w16.json"), ("8-bit", "workloads/mobilenet_v1_q8.json"),
            ("4-bit (mobilenet_q4)", "workloads/mobilenet_q4.json"),
            ("mixed", "workloads/mobilenet_mixed.json")]
    reps = {}
    unpu = runner.arch("unpu.json", "unpu", lambda a: None)
    for label, net in nets:
        reps[label] = runner.run(unpu, os.path.join(ROOT, net))
    w("| precision | cycles | ms at 200 MHz | energy (mJ) | on-chip (mJ) | DRAM (mJ) "
      "| mean PE-array utilization (MAC layers) |")
    w("|---|---:|---:|---:|---:|---:|---:|")
    for label, rep in reps.items():
        mac_layers = [ly for ly in rep["layers"] if ly["macs"] > 0]
        util = sum(ly["utilization"] for ly in mac_layers) / len(mac_layers)
        w("| %s | %d | %.2f | %.3f | %.3f | %.3f | %.1f %% |" % (
            label, rep["cycles"], rep["seconds"] * 1e3, rep["energy_pj"] / 1e9, on_chip_pj(rep) / 1e9,
            rep["energy_breakdown_pj"]["dram"] / 1e9, 100 * util))
    w("")
    w("Per layer (cycles / utilization):\n")
    labels = list(reps)
    w("| layer | MACs | " + " | ".join(labels) + " |")
    w("|---|---:|" + "---:|" * len(labels))
    for i, layer in enumerate(reps[labels[0]]["layers"]):
        cells = ["%d / %.1f %%" % (reps[lab]["layers"][i]["cycles"],
                                   100 * reps[lab]["layers"][i]["utilization"]) for lab in labels]
        w("| %s | %d | %s |" % (layer["name"], layer["macs"], " | ".join(cells)))
    w("")
    w("![per-layer utilization and energy](unpu_mobilenet_layers.png)\n")
    os.makedirs(args.out, exist_ok=True)
    plot(os.path.join(args.out, "unpu_mobilenet_layers"), {lab: reps[lab]["layers"] for lab in labels})
    with open(os.path.join(args.out, "unpu.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("wrote %s/unpu.md (%d npusim runs)" % (args.out, runner.count))


if __name__ == "__main__":
    main()
