#!/usr/bin/python3
"""How additive is `npusim lut`? Sum of LUT entries against a whole-network simulation.

For a block-level NAS search space (MBConv blocks: kernel, expansion and weight bits chosen per
block; workloads/nas/mbconv_space.json, format below) this script

  1. expands the space into the layer space `npusim lut` takes (every layer any choice can produce
     at any position) and builds the LUT once;
  2. samples N architectures (seeded), one choice per block;
  3. writes each as a whole network in npusim's network format, layer by layer exactly as
     app/lut.cpp builds a LUT entry (same shapes, "same" padding, ReLU, 8-bit activations, the same
     random specs for weights, weight scales and biases, weights re-quantized to the block's width
     with --weight-bits, which calls the same core::ApplyWeightBits the LUT does), so the only
     difference from the LUT is that the layers run together;
  4. runs `npusim run --mode timing` on each and compares total cycles and energy with the sum of
     the LUT entries of its layers, and each layer's report.json figures with its LUT entry.

Space format (this script's; `npusim lut` itself takes layers):
  {"name": ..., "input": {"resolution": R, "channels": C},
   "stem": {"out_channels": ..., "kernel": ..., "stride": ..., "weight_bits": ...},   # fixed conv
   "stages": [{"out_channels": ..., "blocks": n, "stride": s}, ...],  # first block of a stage has stride s
   "choices": {"kernel": [...], "expansion": [...], "weight_bits": [...]}}
An MBConv block with expansion t, kernel k, stride s, c_in -> c_out at resolution r is
  expand 1x1 conv c_in -> t*c_in (omitted when t = 1), depthwise k x k stride s, project 1x1 conv
  t*c_in -> c_out. The LUT has no residual add and always applies ReLU, so neither do these
  networks (the project conv has ReLU, and there is no skip connection): the comparison is of the
  same layers, not of MobileNetV2's exact block.
A weight width the arch's units cannot run is raised to the smallest one they can (dense_16x16
runs only 8-bit weights), after the draw, so every arch sees the same kernels and expansions.

Writes OUT/ARCH/: lut_space.json, lut.csv, nets/archNN.json, runs/archNN/report.json,
additivity.csv (one row per architecture), layers.csv (one row per layer of every architecture),
summary.json; with --plot, the figure (LUT sum against simulated, y = x).

  /usr/bin/python3 studies/lut_additivity.py --npusim build/npusim --arch arch/dense_16x16.json \\
      --arch arch/unpu.json --out results/lut_additivity --plot results/lut_additivity
"""
import argparse
import os
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import npusim_tools as nt  # noqa: E402
from npusim_tools import pct, run  # noqa: E402


def conv_out(res, k, s):
    # core::ConvOutSize with pads k/2 (low) and (k-1)/2 (high), as app/lut.cpp's OutSize.
    return (res + k // 2 + (k - 1) // 2 - k) // s + 1


def layer(name, op, cin, cout, k, s, res, bits):
    return {"name": name, "op": op, "in_channels": cin, "out_channels": cout, "kernel": k, "stride": s,
            "resolution": res, "weight_bits": bits}


LUT_KEYS = ("op", "in_channels", "out_channels", "kernel", "stride", "resolution", "weight_bits")


def lut_key(ly):
    return tuple(ly[k] for k in LUT_KEYS)


def positions(space):
    """(stage, block, c_in, c_out, stride, resolution) of every searchable block."""
    r = conv_out(space["input"]["resolution"], space["stem"]["kernel"], space["stem"]["stride"])
    c = space["stem"]["out_channels"]
    out = []
    for si, st in enumerate(space["stages"]):
        for bi in range(st["blocks"]):
            s = st["stride"] if bi == 0 else 1
            out.append((si, bi, c, st["out_channels"], s, r))
            r = conv_out(r, 1, s)  # all odd kernels give the same output size
            c = st["out_channels"]
    return out


def block_layers(pos, kernel, expansion, bits):
    si, bi, cin, cout, s, r = pos
    p = "s%db%d" % (si, bi)
    mid = cin * expansion
    ls = []
    if expansion != 1:
        ls.append(layer(p + "_expand", "conv2d", cin, mid, 1, 1, r, bits))
    ls.append(layer(p + "_dw", "depthwise", mid, mid, kernel, s, r, bits))
    ls.append(layer(p + "_project", "conv2d", mid, cout, 1, 1, conv_out(r, kernel, s), bits))
    ls[0]["block_start"] = True
    return ls


def stem_layer(space):
    st = space["stem"]
    return layer("stem", "conv2d", space["input"]["channels"], st["out_channels"], st["kernel"], st["stride"],
                 space["input"]["resolution"], st.get("weight_bits", 8))


def arch_weight_bits(arch_path):
    a = nt.load_json(arch_path)
    bits = set()
    for u in a["units"]:
        bits.update(u.get("weight_bits", [8]))
    return sorted(bits)


def fit_bits(b, supported):
    up = [x for x in supported if x >= b]
    return min(up) if up else max(supported)


def all_layers(space, supported):
    """Every layer any choice can produce, for the LUT's layer space."""
    ls = [stem_layer(space)]
    for pos in positions(space):
        for k in space["choices"]["kernel"]:
            for e in space["choices"]["expansion"]:
                for b in space["choices"]["weight_bits"]:
                    ls += block_layers(pos, k, e, fit_bits(b, supported))
    return ls


def lut_space(layers):
    seen, blocks = set(), []
    for ly in layers:
        key = lut_key(ly)
        if key in seen:
            continue
        seen.add(key)
        b = {k: ly[k] for k in LUT_KEYS}
        if b["op"] == "depthwise":
            del b["out_channels"]
        blocks.append(b)
    return {"layers": blocks}


def sample(space, n, seed):
    rng = random.Random(seed)
    ch = space["choices"]
    npos = len(positions(space))
    return [[(rng.choice(ch["kernel"]), rng.choice(ch["expansion"]), rng.choice(ch["weight_bits"]))
             for _ in range(npos)] for _ in range(n)]


def arch_layers(space, choice, supported):
    ls = [stem_layer(space)]
    for pos, (k, e, b) in zip(positions(space), choice):
        ls += block_layers(pos, k, e, fit_bits(b, supported))
    return ls


def network(name, layers, mbconv=False):
    """The layers as one network, each op and its weights as app/lut.cpp's EntryNetwork builds them.

    mbconv=True makes it MobileNetV2's block instead: the project conv linear (no ReLU) and a
    residual add after every block with stride 1 and c_in = c_out. The LUT has entries for neither."""
    first = layers[0]
    r0, c0 = first["resolution"], first["in_channels"]
    tensors = {"x": {"shape": [1, r0, r0, c0], "bits": 8, "signed": True, "scale": 0.05, "zero_point": 0,
                     "data": {"random": {"seed": 1}}}}
    ops = []
    prev = "x"
    block_in, block_stride, block_cin = "x", 1, c0
    for i, ly in enumerate(layers):
        dw = ly["op"] == "depthwise"
        k, s, r = ly["kernel"], ly["stride"], ly["resolution"]
        o = conv_out(r, k, s)
        n = ly["name"]
        role = n.rsplit("_", 1)[-1]
        if ly.get("block_start"):
            block_in, block_cin = prev, ly["in_channels"]
        if role == "dw":
            block_stride = s
        last = i == len(layers) - 1
        skip = mbconv and role == "project" and block_stride == 1 and block_cin == ly["out_channels"]
        y = "y" if last and not skip else n + "_out"
        tensors[n + "_w"] = {"shape": [ly["out_channels"], k, k, 1 if dw else ly["in_channels"]], "bits": 8,
                             "signed": True,
                             "scale": {"random": {"seed": 3, "min": 0.003, "max": 0.005,
                                                  "per_channel": True}},
                             "zero_point": 0, "data": {"random": {"seed": 2, "min": -127, "max": 127}}}
        tensors[n + "_b"] = {"shape": [ly["out_channels"]], "bits": 32, "signed": True,
                             "data": {"random": {"seed": 4, "min": -1000, "max": 1000}}}
        tensors[y] = {"shape": [1, o, o, ly["out_channels"]], "bits": 8, "signed": True, "scale": 0.2,
                      "zero_point": 0}
        act = "none" if mbconv and role == "project" else "relu"
        ops.append({"name": n, "op": "conv2d", "inputs": [prev, n + "_w", n + "_b"], "outputs": [y],
                    "activation": act, "stride": [s, s], "pads": [k // 2, k // 2, (k - 1) // 2, (k - 1) // 2],
                    "groups": ly["in_channels"] if dw else 1})
        prev = y
        if skip:
            a = n[: -len("_project")] + "_add"
            ya = "y" if last else a + "_out"
            tensors[ya] = {"shape": [1, o, o, ly["out_channels"]], "bits": 8, "signed": True, "scale": 0.2,
                           "zero_point": 0}
            ops.append({"name": a, "op": "add", "inputs": [block_in, y], "outputs": [ya],
                        "activation": "none"})
            prev = ya
    return {"version": 1, "name": name, "layout": "NHWC", "inputs": ["x"], "outputs": ["y"],
            "tensors": tensors, "ops": ops}


def read_lut(path):
    rows, _ = nt.read_csv(path, comment="#")
    lut = {}
    for r in rows:
        lut[(r["op"],) + tuple(int(r[k]) for k in LUT_KEYS[1:])] = r
    return lut


def study(args, arch, space, choices):
    name = os.path.splitext(os.path.basename(arch))[0]
    out = os.path.join(args.out, name)
    os.makedirs(os.path.join(out, "nets"), exist_ok=True)
    os.makedirs(os.path.join(out, "runs"), exist_ok=True)
    supported = arch_weight_bits(arch)
    t0 = time.time()
    nt.save_json(os.path.join(out, "lut_space.json"), lut_space(all_layers(space, supported)), indent=1)
    lut_path = os.path.join(out, "lut.csv")
    print(run([args.npusim, "lut", "--arch", arch, "--space", os.path.join(out, "lut_space.json"),
               "--out", lut_path, "--jobs", str(args.jobs)]).strip())
    t_lut = time.time() - t0
    lut = read_lut(lut_path)
    bad = [k for k, r in lut.items() if r["status"] != "ok"]
    if bad:
        sys.exit("%s: %d LUT entries failed, e.g. %s: %s"
                 % (lut_path, len(bad), bad[0], lut[bad[0]]["error"]))

    # The builder checked against the LUT: a one-layer network of each of a few entries, built by
    # network() and run by `npusim run`, must give the entry's cycles and energy exactly.
    probe = arch_layers(space, choices[0], supported)
    checks = []
    for ly in (probe[0], probe[1], probe[2], probe[-1]):
        net = os.path.join(out, "nets", "single_%s.json" % ly["name"])
        nt.save_json(net, network("single", [ly]))
        rep = nt.run_report(args.npusim, ["run", "--arch", arch, "--net", net, "--mode", "timing",
                                          "--weight-bits", "%s=%d" % (ly["name"], ly["weight_bits"])],
                            os.path.join(out, "runs", "single_%s" % ly["name"]))
        e = lut[lut_key(ly)]
        checks.append({"layer": ly["name"], "lut_cycles": int(e["cycles"]), "run_cycles": rep["cycles"],
                       "lut_energy_pj": float(e["energy_pj"]), "run_energy_pj": rep["energy_pj"]})
        energy_off = abs(float(e["energy_pj"]) - rep["energy_pj"]) > 1e-6 * rep["energy_pj"]
        if int(e["cycles"]) != rep["cycles"] or energy_off:
            sys.exit("%s: one-layer network %s differs from its LUT entry: %s"
                     % (name, ly["name"], checks[-1]))

    def one(job):
        i, mb = job
        ls = arch_layers(space, choices[i], supported)
        tag = "arch%02d%s" % (i, "_mbconv" if mb else "")
        net = os.path.join(out, "nets", tag + ".json")
        nt.save_json(net, network("%s_%s" % (space["name"], tag), ls, mbconv=mb))
        bits = ",".join("%s=%d" % (ly["name"], ly["weight_bits"]) for ly in ls)
        return ls, nt.run_report(args.npusim, ["run", "--arch", arch, "--net", net, "--mode", "timing",
                                               "--weight-bits", bits], os.path.join(out, "runs", tag))

    t1 = time.time()
    with ThreadPoolExecutor(max_workers=args.jobs) as ex:
        results = list(ex.map(one, [(i, False) for i in range(len(choices))]))
    t_run = time.time() - t1
    with ThreadPoolExecutor(max_workers=args.jobs) as ex:
        mb_results = list(ex.map(one, [(i, True) for i in range(len(choices))]))

    rows, lrows = [], []
    for i, (ls, rep) in enumerate(results):
        ents = [lut[lut_key(ly)] for ly in ls]
        s_cyc = sum(int(e["cycles"]) for e in ents)
        s_en = sum(float(e["energy_pj"]) for e in ents)
        s_rd = sum(int(e["dram_read_bytes"]) for e in ents)
        s_wr = sum(int(e["dram_write_bytes"]) for e in ents)
        sim_rd = sum(ly["dram_read_bytes"] for ly in rep["layers"])
        sim_wr = sum(ly["dram_write_bytes"] for ly in rep["layers"])
        rows.append({"arch": i, "choices": " ".join("k%de%db%d" % c for c in choices[i]), "layers": len(ls),
                     "lut_cycles": s_cyc, "sim_cycles": rep["cycles"],
                     "cycles_err_pct": pct(s_cyc, rep["cycles"]),
                     "lut_energy_pj": s_en, "sim_energy_pj": rep["energy_pj"],
                     "energy_err_pct": pct(s_en, rep["energy_pj"]),
                     "lut_dram_bytes": s_rd + s_wr, "sim_dram_bytes": sim_rd + sim_wr})
        mrep = mb_results[i][1]
        adds = [ly for ly in mrep["layers"] if ly["op"] == "add"]
        rows[-1].update({"mbconv_adds": len(adds), "mbconv_sim_cycles": mrep["cycles"],
                         "mbconv_cycles_err_pct": pct(s_cyc, mrep["cycles"]),
                         "mbconv_add_cycles": sum(ly["cycles"] for ly in adds),
                         "mbconv_sim_energy_pj": mrep["energy_pj"],
                         "mbconv_energy_err_pct": pct(s_en, mrep["energy_pj"]),
                         "mbconv_add_energy_pj": sum(ly["energy_pj"] for ly in adds)})
        by_name = {ly["name"]: ly for ly in rep["layers"]}
        for ly, e in zip(ls, ents):
            r = by_name[ly["name"]]
            lrows.append({"arch": i, "layer": ly["name"], "op": ly["op"], "kernel": ly["kernel"],
                          "in_channels": ly["in_channels"], "out_channels": ly["out_channels"],
                          "resolution": ly["resolution"], "weight_bits": ly["weight_bits"],
                          "lut_cycles": int(e["cycles"]), "sim_cycles": r["cycles"],
                          "sim_span": r["end_cycle"] - r["start_cycle"], "sim_start": r["start_cycle"],
                          "sim_end": r["end_cycle"], "sim_bound": r["bound"],
                          "lut_energy_pj": float(e["energy_pj"]), "sim_energy_pj": r["energy_pj"],
                          "lut_dram_read": int(e["dram_read_bytes"]), "sim_dram_read": r["dram_read_bytes"],
                          "lut_dram_write": int(e["dram_write_bytes"]),
                          "sim_dram_write": r["dram_write_bytes"]})
    for fname, rs in (("additivity.csv", rows), ("layers.csv", lrows)):
        nt.write_csv(os.path.join(out, fname), rs)
    # Where the difference comes from. Boundaries: layer i-1 -> i overlaps when i starts before
    # i-1 ends. A layer that overlaps neither neighbour should take exactly its LUT cycles.
    n_first = [r for r in lrows if r["layer"] == "stem"]
    boundaries, isolated = {}, {"equal": 0, "differ": 0}
    by_arch = {}
    for r in lrows:
        by_arch.setdefault(r["arch"], []).append(r)
    for ls in by_arch.values():
        ov = [0] + [ls[j - 1]["sim_end"] - ls[j]["sim_start"] for j in range(1, len(ls))] + [0]
        for j, r in enumerate(ls):
            if ov[j] <= 0 and ov[j + 1] <= 0:
                isolated["equal" if r["sim_cycles"] == r["lut_cycles"] else "differ"] += 1
            if j:
                key = "%s -> %s" % (ls[j - 1]["layer"].rsplit("_", 1)[-1], r["layer"].rsplit("_", 1)[-1])
                b = boundaries.setdefault(key, {"n": 0, "overlapped": 0, "overlap_cycles": 0})
                b["n"] += 1
                b["overlapped"] += ov[j] > 0
                b["overlap_cycles"] += max(ov[j], 0)
    # Chains: maximal runs of layers linked by overlapping boundaries, and the cycles each saves
    # (sum of LUT entries - sum of report shares); contention inside a chain is netted out.
    chains = {}
    for ls in by_arch.values():
        j = 0
        while j < len(ls):
            k = j
            while k + 1 < len(ls) and ls[k]["sim_end"] > ls[k + 1]["sim_start"]:
                k += 1
            if k > j:
                key = " -> ".join(r["layer"].rsplit("_", 1)[-1] for r in ls[j:k + 1])
                saved = sum(r["lut_cycles"] - r["sim_cycles"] for r in ls[j:k + 1])
                c = chains.setdefault(key, {"n": 0, "saved": 0, "min": saved, "max": saved})
                c["n"] += 1
                c["saved"] += saved
                c["min"], c["max"] = min(c["min"], saved), max(c["max"], saved)
            j = k + 1
    dcyc = [r["lut_cycles"] - r["sim_cycles"] for r in rows]
    deng = [r["lut_energy_pj"] - r["sim_energy_pj"] for r in rows]
    leak = [e / c for e, c in zip(deng, dcyc) if c]
    summary = {"single_layer_checks": checks, "arch": arch, "space": args.space, "n": len(choices),
               "seed": args.seed, "weight_bits": supported,
               "lut_entries": len(lut), "lut_wall_s": t_lut, "runs_wall_s": t_run,
               "cycles": nt.error_stats([r["cycles_err_pct"] for r in rows]),
               "energy": nt.error_stats([r["energy_err_pct"] for r in rows]),
               "mbconv_cycles": nt.error_stats([r["mbconv_cycles_err_pct"] for r in rows]),
               "mbconv_energy": nt.error_stats([r["mbconv_energy_err_pct"] for r in rows]),
               "dram_bytes_equal": all(r["lut_dram_bytes"] == r["sim_dram_bytes"] for r in rows),
               "stem_cycles_equal": all(r["lut_cycles"] == r["sim_cycles"] for r in n_first),
               "boundaries": boundaries, "isolated_layers": isolated, "chains": chains,
               "cycles_saved": {"min": min(dcyc), "max": max(dcyc), "mean": statistics.mean(dcyc)},
               "energy_saved_per_cycle_saved_pj": [min(leak), max(leak)] if leak else None}
    nt.save_json(os.path.join(out, "summary.json"), summary, indent=1)
    return name, rows, summary


def plot(prefix, studies):
    fig, axes = nt.pyplot().subplots(len(studies), 3, figsize=(14, 4.4 * len(studies)), squeeze=False)
    for row, (name, rows, summ) in zip(axes, studies):
        ax = row[2]
        for j, (key, label, color, mk) in enumerate((
                ("cycles_err_pct", "cycles, same layers", "tab:blue", "o"),
                ("energy_err_pct", "energy, same layers", "tab:orange", "o"),
                ("mbconv_cycles_err_pct", "cycles, MBConv", "tab:blue", "x"),
                ("mbconv_energy_err_pct", "energy, MBConv", "tab:orange", "x"))):
            ax.scatter([j + 0.15 * ((r["arch"] % 5) - 2) for r in rows], [r[key] for r in rows], s=16,
                       color=color, marker=mk)
        ax.axhline(0, color="grey", lw=1)
        ax.set_xticks(range(4))
        ax.set_xticklabels(["cycles\nsame layers", "energy\nsame layers", "cycles\nMBConv", "energy\nMBConv"],
                           fontsize=8)
        ax.set_ylabel("(LUT sum - simulated) / simulated, %")
        ax.set_title("%s: error per architecture" % name, fontsize=10)
        ax.grid(alpha=0.3, axis="y")
        for ax, (what, unit, scale) in zip(row, (("cycles", "Mcycles", 1e-6), ("energy", "uJ", 1e-6))):
            lk, sk = ("lut_cycles", "sim_cycles") if what == "cycles" else ("lut_energy_pj", "sim_energy_pj")
            xs = [r[sk] * scale for r in rows]
            ys = [r[lk] * scale for r in rows]
            lo, hi = min(xs + ys) * 0.95, max(xs + ys) * 1.05
            ax.plot([lo, hi], [lo, hi], color="grey", lw=1, label="y = x")
            ax.scatter(xs, ys, s=18, color="tab:blue", label="same layers (the LUT's)")
            mk = "mbconv_" + sk
            ax.scatter([r[mk] * scale for r in rows], ys, s=18, marker="x", color="tab:red",
                       label="MBConv (+ residual adds, linear project)")
            xs = xs + [r[mk] * scale for r in rows]
            d = summ[what]
            ax.set_title("%s, %s: mean %+.2f %%, max |err| %.2f %%" % (name, what, d["mean"], d["max_abs"]),
                         fontsize=10)
            ax.set_xlabel("whole-network simulation (%s)" % unit)
            ax.set_ylabel("sum of LUT entries (%s)" % unit)
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
            ax.set_aspect("equal")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="upper left")
    nt.save_figure(fig, prefix)


def print_study(name, rows, s):
    """The Markdown summary of one arch's study."""
    print("\n## %s: %d architectures, %d LUT entries (LUT %.1f s, runs %.1f s)" %
          (name, s["n"], s["lut_entries"], s["lut_wall_s"], s["runs_wall_s"]))
    print("| arch | layers | LUT sum cycles | simulated cycles | error | LUT sum energy (uJ) "
          "| simulated (uJ) | error |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %d | %d | %d | %d | %+.2f %% | %.2f | %.2f | %+.3f %% |" %
              (r["arch"], r["layers"], r["lut_cycles"], r["sim_cycles"], r["cycles_err_pct"],
               r["lut_energy_pj"] * 1e-6, r["sim_energy_pj"] * 1e-6, r["energy_err_pct"]))
    for what in ("cycles", "energy"):
        d = s[what]
        print("%s error: mean %+.3f %%, median %+.3f %%, mean |err| %.3f %%, max |err| %.3f %%, "
              "range %+.3f..%+.3f %%, %d over / %d under"
              % (what, d["mean"], d["median"], d["mean_abs"], d["max_abs"], d["min"], d["max"],
                 d["positive"], d["negative"]))
    print("\nMBConv networks (linear project, residual adds; the LUT has neither):")
    print("| arch | adds | LUT sum cycles | simulated cycles | error | add cycles | LUT sum energy (uJ) "
          "| simulated (uJ) | error |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %d | %d | %d | %d | %+.2f %% | %d | %.2f | %.2f | %+.2f %% |" %
              (r["arch"], r["mbconv_adds"], r["lut_cycles"], r["mbconv_sim_cycles"],
               r["mbconv_cycles_err_pct"], r["mbconv_add_cycles"], r["lut_energy_pj"] * 1e-6,
               r["mbconv_sim_energy_pj"] * 1e-6,
               r["mbconv_energy_err_pct"]))
    for what in ("mbconv_cycles", "mbconv_energy"):
        d = s[what]
        print("%s error: mean %+.2f %%, median %+.2f %%, max |err| %.2f %%, range %+.2f..%+.2f %%" %
              (what, d["mean"], d["median"], d["max_abs"], d["min"], d["max"]))
    print("one-layer networks equal to their LUT entries: %s"
          % ", ".join(c["layer"] for c in s["single_layer_checks"]))
    print("isolated layers (no overlap with either neighbour) equal to their LUT entry: %(equal)d, "
          "differ: %(differ)d" % s["isolated_layers"])
    for k, b in sorted(s["boundaries"].items()):
        print("  boundary %-18s %3d, overlapped %3d, overlap %d cycles"
              % (k, b["n"], b["overlapped"], b["overlap_cycles"]))
    for k, c in sorted(s["chains"].items()):
        print("  chain %-45s %3d, saved %d cycles (%d..%d each)"
              % (k, c["n"], c["saved"], c["min"], c["max"]))
    print("cycles saved per architecture: %(min)d..%(max)d, mean %(mean).0f" % s["cycles_saved"])
    print("energy saved per cycle saved (pJ): %s" % s["energy_saved_per_cycle_saved_pj"])
    print("DRAM bytes equal: %s; stem cycles equal: %s" % (s["dram_bytes_equal"], s["stem_cycles_equal"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    nt.add_npusim_option(ap)
    ap.add_argument("--arch", action="append", help="arch file (repeatable; default arch/dense_16x16.json)")
    ap.add_argument("--space", default="workloads/nas/mbconv_space.json")
    ap.add_argument("-n", type=int, default=20, help="architectures to sample")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default="results/lut_additivity")
    ap.add_argument("--plot", help="write PREFIX.png and PREFIX.svg")
    args = ap.parse_args()
    archs = args.arch or ["arch/dense_16x16.json"]
    space = nt.load_json(args.space)
    choices = sample(space, args.n, args.seed)
    t0 = time.time()
    studies = [study(args, a, space, choices) for a in archs]
    for study_result in studies:
        print_study(*study_result)
    if args.plot:
        plot(args.plot, studies)
    print("\nwall %.1f s" % (time.time() - t0))


if __name__ == "__main__":
    main()
