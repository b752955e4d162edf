#!/usr/bin/python3
"""The hostile inputs of issue 20 (docs/formats.md, "Limits"), each small on disk but asking for
unbounded work or memory: a 10^12-point sweep grid, a grid nested 100,000 levels deep, a 1e-320
MHz clock (arch and grid), a 10^12-entry LUT space, sixteen 1 GiB buffers, a 2^31-element tensor,
a 500 MB name, a program of 3.4 x 10^8 instructions; and four 1 GiB buffers (within the 4 GiB
budget: a run that touches little of them).

    scripts/hostile_inputs.py DIR     # writes the files into DIR (a few hundred milliseconds)

scripts/limits (a step of scripts/test) runs npusim on them under prlimit; studies/robustness_study.py
measures each one's exit code, time, peak memory and leftovers for results/robustness.md.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME_BYTES = 500000000  # the 500 MB name


def generate(w):
    """Writes every hostile input into directory `w`."""
    def put(name, doc):
        with open(os.path.join(w, name), "w") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))

    rng = {"range": [1, 1000, 1]}
    put("grid_1e12.json", {"knobs": {"/units/0/cores": rng, "/units/0/pes_per_core": rng,
                                     "/units/0/tables_per_pe": rng, "/units/0/outputs_per_pe": rng}})
    put("grid_nested.json", '{"knobs": {"/units/0/cores": ' + "[" * 100000 + "1" + "]" * 100000 + "}}")
    put("grid_clock.json", '{"knobs": {"/clock_mhz": [200, 1e-320]}}')
    thousand = list(range(1, 1001))
    put("space_1e12.json", {"layers": [{"op": ["conv2d"], "in_channels": thousand, "out_channels": thousand,
                                        "kernel": [1, 3, 5, 7, 9, 11, 13, 15, 17, 19], "resolution": thousand,
                                        "stride": list(range(1, 101))}]})
    arch = json.load(open(os.path.join(ROOT, "arch/unpu.json")))
    arch["energy"] = os.path.join(ROOT, "arch/energy/unpu_65nm.json")
    gib = {"size_bytes": 1 << 30, "banks": 4, "ports": 2, "word_bytes": 16}
    big = dict(arch, buffers=[dict(gib, name="b%d" % i) for i in range(16)])
    u = dict(big["units"][0], input_buffer="b0", weight_buffer="b1", acc_buffer="b2")
    big["units"] = [u]
    big["post_processor"] = dict(big["post_processor"], output_buffer="b3")
    put("arch_16gib.json", big)
    put("arch_clock.json", dict(arch, clock_mhz=1e-320))
    net = json.load(open(os.path.join(ROOT, "workloads/tiny_conv.json")))
    huge = json.loads(json.dumps(net))
    huge["tensors"]["x"] = {"shape": [1, 65536, 32768, 1], "bits": 8, "signed": True, "scale": 0.05,
                            "zero_point": 0}
    huge["tensors"]["conv1_w"]["shape"] = [4, 3, 3, 1]
    huge["tensors"]["y"]["shape"] = [1, 65536, 32768, 4]
    put("net_2e31.json", huge)
    # Tiny buffers and a large layer: a valid network whose program would have 3.4 x 10^8 instructions.
    tiny = dict(arch, buffers=[dict(b, size_bytes=256) for b in arch["buffers"]],
                dram=dict(arch["dram"], capacity_bytes=1 << 30))
    put("arch_tiny_buffers.json", tiny)
    wide = json.loads(json.dumps(net))
    wide["tensors"]["x"] = {"shape": [1, 1024, 1024, 256], "bits": 8, "signed": True, "scale": 0.05,
                            "zero_point": 0}
    wide["tensors"]["conv1_w"] = {"shape": [256, 1, 1, 256], "bits": 8, "signed": True, "scale": 0.004,
                                  "zero_point": 0, "data": {"random": {"seed": 2, "min": -127, "max": 127}}}
    wide["tensors"]["conv1_b"]["shape"] = [256]
    wide["tensors"]["y"]["shape"] = [1, 1024, 1024, 256]
    wide["ops"][0]["pads"] = [0, 0, 0, 0]
    put("net_3e8_instructions.json", wide)
    text = json.dumps(net)
    cut = text.index('"tiny_conv"') + 1  # the name's characters go between these two parts
    put("arch_4gib.json", dict(arch, buffers=[dict(b, size_bytes=1 << 30) for b in arch["buffers"]]))
    with open(os.path.join(w, "net_name_500mb.json"), "w") as f:
        f.write(text[:cut])
        chunk = "n" * (1 << 20)
        for _ in range(NAME_BYTES // len(chunk)):
            f.write(chunk)
        f.write("n" * (NAME_BYTES % len(chunk)))
        f.write(text[cut + len("tiny_conv"):])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: scripts/hostile_inputs.py DIR")
    generate(sys.argv[1])
