#!/usr/bin/env python3
"""npusim against ONNX Runtime on random models of the elementwise ops npusim maps to `mul` and
`lookup`, and Concat (docs/onnx.md, "Mul, LeakyRelu and elementwise chains"), bit for bit:
  hswish  QDQ DequantizeLinear -> Add(3) -> Clip(0, 6) -> Mul(x, .) -> Div(6) -> QuantizeLinear
  hsig    QDQ DequantizeLinear -> HardSigmoid -> QuantizeLinear
  leaky   com.microsoft QLinearLeakyRelu
  mul     QDQ Mul of two graph inputs, equal shapes or [1, C, 1, 1] factors
  concat  QDQ Concat of 2-4 inputs along channels, height or width, each quantized as the output
          or its own way (then npusim rescales it with an identity lookup, as ONNX Runtime does)
  qconcat com.microsoft QLinearConcat, likewise
  avgpool QDQ AveragePool (kernels up to 4x4, strides up to 3, pads, count_include_pad 0 or 1):
          ONNX Runtime averages in float32, which npusim's avg_pool reproduces with "accumulate":
          "float32" (core::FloatAveragePool)
  qavgpool com.microsoft QLinearAveragePool, likewise
  se      squeeze-excitation: GlobalAveragePool -> HardSigmoid -> Mul(x, gate), uint8 only: with
          int8, ONNX Runtime's x86 optimizer rewrites the inner Q -> DQ pairs to uint8
          (QDQS8ToU8Transformer), after which the Mul's inputs differ in type, so it is not fused
          into QLinearMul and runs in float32 (rounding before the zero point is added)
uint8 and int8 (except se), scales powers of two (ties) in 3 of 10 cases. npusim gets ONNX Runtime's
input files and its output files are compared as written (outputs.py).
  eltwise.py --ort-modules DIR --work DIR [--count N]    (NPUSIM_BIN, default build/npusim)
Exits 1 on any differing value."""
import argparse
import os
import sys
import time

import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import npusim_tools as nt  # noqa: E402
import outputs  # noqa: E402
from runners import run_npusim, run_ort  # noqa: E402


def const(inits, name, arr):
    inits.append(numpy_helper.from_array(np.asarray(arr), name))
    return name


def model(seed):
    rng = np.random.default_rng([seed, 7])
    kind = ["hswish", "se", "leaky", "mul", "hsig", "concat", "qconcat", "avgpool", "qavgpool"][seed % 9]
    elem = [np.uint8, np.int8][rng.integers(2)] if kind != "se" else np.uint8
    et = TensorProto.UINT8 if elem == np.uint8 else TensorProto.INT8
    lo, hi = (0, 255) if elem == np.uint8 else (-128, 127)
    C, H, W = int(rng.integers(1, 9)), int(rng.integers(1, 7)), int(rng.integers(1, 7))
    nodes, inits = [], []
    extra_ins, yshape_parts = [], []

    def qp(tag):
        s = float(2.0 ** -rng.integers(2, 8)) if rng.random() < 0.3 else float(rng.uniform(0.005, 0.2))
        z = int(rng.integers(lo, hi + 1)) if rng.random() < 0.8 else (0 if elem == np.int8 else 128)
        return const(inits, tag + "_s", np.float32(s)), const(inits, tag + "_z", elem(z))

    def dq(q, tag, p):
        nodes.append(helper.make_node("DequantizeLinear", [q, *p], [tag]))
        return tag

    def qn(f, out, p):
        nodes.append(helper.make_node("QuantizeLinear", [f, *p], [out]))
        return out
    px = qp("x")
    x = dq("xq", "xf", px) if kind not in ("concat", "qconcat", "avgpool", "qavgpool") else None
    if kind == "hswish":
        a = const(inits, "three", np.float32(3.0))
        six = const(inits, "six", np.float32(6.0))
        z0 = const(inits, "zero", np.float32(0.0))
        nodes += [helper.make_node("Add", [x, a], ["t1"]), helper.make_node("Clip", ["t1", z0, six], ["t2"]),
                  helper.make_node("Mul", [x, "t2"], ["t3"]), helper.make_node("Div", ["t3", six], ["t4"])]
        qn("t4", "y", qp("y"))
        yshape = [1, C, H, W]
    elif kind == "hsig":
        nodes.append(helper.make_node("HardSigmoid", [x], ["t1"], alpha=float(rng.uniform(0.1, 0.3)),
                                      beta=0.5))
        qn("t1", "y", qp("y"))
        yshape = [1, C, H, W]
    elif kind == "leaky":
        nodes = [helper.make_node("QLinearLeakyRelu", ["xq", *px, *qp("y")], ["y"], domain="com.microsoft",
                                  alpha=float(rng.uniform(0.01, 0.5)))]
        yshape = [1, C, H, W]
    elif kind == "mul":
        pb = qp("b")
        b = dq("bq", "bf", pb)
        nodes.append(helper.make_node("Mul", [x, b], ["t1"]))
        qn("t1", "y", qp("y"))
        yshape = [1, C, H, W]
    elif kind in ("avgpool", "qavgpool"):
        # kernel 1-4, strides 1-3, pads below the kernel, count_include_pad 0 or 1
        kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        H, W = max(H, kh), max(W, kw)
        pads = [int(rng.integers(0, kh)), int(rng.integers(0, kw)), int(rng.integers(0, kh)),
                int(rng.integers(0, kw))]
        attrs = dict(kernel_shape=[kh, kw], strides=[int(rng.integers(1, 4)), int(rng.integers(1, 4))],
                     pads=pads,
                     count_include_pad=int(rng.integers(0, 2)))
        py = qp("y")
        if kind == "avgpool":
            x = dq("xq", "xf", px)
            nodes.append(helper.make_node("AveragePool", [x], ["pf"], **attrs))
            qn("pf", "y", py)
        else:
            nodes.append(helper.make_node("QLinearAveragePool", ["xq", *px, *py], ["y"],
                                          domain="com.microsoft", **attrs))
        oh = (H + pads[0] + pads[2] - kh) // attrs["strides"][0] + 1
        ow = (W + pads[1] + pads[3] - kw) // attrs["strides"][1] + 1
        yshape = [1, C, oh, ow]
    elif kind in ("concat", "qconcat"):
        # 2-4 inputs joined along a random axis, each quantized its own way or as the output
        axis = int(rng.integers(1, 4)) if rng.random() < 0.8 else -3
        parts, qins = [], []
        py = qp("y")
        for k in range(int(rng.integers(2, 5))):
            shp = [1, C, H, W]
            shp[axis] = int(rng.integers(1, 6))
            pk = py if rng.random() < 0.3 else qp("c%d" % k)
            name = "cq%d" % k
            extra_ins.append(helper.make_tensor_value_info(name, et, shp))
            if kind == "concat":
                parts.append(dq(name, name + "_f", pk))
            else:
                qins += [name, *pk]
            yshape_parts.append(shp)
        yshape = list(yshape_parts[0])
        yshape[axis] = sum(p_[axis] for p_ in yshape_parts)
        if kind == "concat":
            nodes.append(helper.make_node("Concat", parts, ["cf"], axis=axis))
            qn("cf", "y", py)
        else:
            nodes.append(helper.make_node("QLinearConcat", [*py, *qins], ["y"], domain="com.microsoft",
                                          axis=axis))
    else:  # se: GAP -> HardSigmoid chain -> Mul(x, gate)
        pg = qp("g")
        nodes.append(helper.make_node("GlobalAveragePool", [x], ["gf"]))
        qn("gf", "gq", pg)
        g = dq("gq", "gd", pg)
        nodes.append(helper.make_node("HardSigmoid", [g], ["hs"], alpha=0.2, beta=0.5))
        ps = qp("s")
        qn("hs", "sq", ps)
        sd = dq("sq", "sd", ps)
        nodes.append(helper.make_node("Mul", [x, sd], ["m"]))
        qn("m", "y", qp("y"))
        yshape = [1, C, H, W]
    ins = [] if kind in ("concat", "qconcat") else [helper.make_tensor_value_info("xq", et, [1, C, H, W])]
    ins += extra_ins
    if kind == "mul":
        b_shape = [1, C, H, W] if rng.random() < 0.5 else [1, C, 1, 1]
        ins.append(helper.make_tensor_value_info("bq", et, b_shape))
    if kind in ("concat", "qconcat"):
        inits = [i for i in inits if i.name not in ("x_s", "x_z")]
    g = helper.make_graph(nodes, f"m{seed}", ins, [helper.make_tensor_value_info("y", et, yshape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13),
                                            helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    vals = {i.name: rng.integers(lo, hi + 1, size=[d.dim_value for d in i.type.tensor_type.shape.dim])
            .astype(elem) for i in ins}
    return kind, m, vals


def write_models(work, count):
    """The models of seeds 0..count-1 and their inputs under work/m<seed>/: (jobs, cases)."""
    jobs, cases = [], []
    for seed in range(count):
        kind, m, vals = model(seed)
        d = os.path.join(work, f"m{seed}")
        os.makedirs(d, exist_ok=True)
        onnx.save(m, os.path.join(d, "m.onnx"))
        inputs = {}
        for k, v in vals.items():
            np.save(os.path.join(d, k + ".npy"), v)
            inputs[k] = os.path.join(d, k + ".npy")
        jobs.append({"model": os.path.join(d, "m.onnx"), "inputs": inputs, "out_dir": os.path.join(d, "ort")})
        cases.append((seed, kind, d, inputs))
    return jobs, cases


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ort-modules", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--count", type=int, default=300)
    args = ap.parse_args()
    start = time.time()
    os.makedirs(args.work, exist_ok=True)
    jobs, cases = write_models(args.work, args.count)
    run_ort(jobs, os.path.join(args.work, "jobs.json"), args.ort_modules)
    bad = total = 0
    kinds = {}
    for seed, kind, d, inputs in cases:
        named = ["%s=%s" % kv for kv in inputs.items()]
        rc, err = run_npusim(nt.default_npusim(), nt.default_arch(), os.path.join(d, "m.onnx"), named,
                             os.path.join(d, "sim"))
        if rc != 0:
            print(seed, kind, "npusim failed:", err[:400])
            bad += 1
            continue
        problem, equal, n = outputs.compare(os.path.join(d, "ort"), os.path.join(d, "sim"))
        total += n
        kinds.setdefault(kind, [0, 0])
        kinds[kind][0] += 1
        kinds[kind][1] += n
        if problem:
            bad += 1
            print(seed, kind, f"{n - equal} of {n} differ: {problem}")
    verdict = "all equal to ONNX Runtime" if not bad else "%d models differ" % bad
    print("onnx eltwise: %d models, %d output values, %s (%.0f s)"
          % (args.count, total, verdict, time.time() - start))
    print("  models: " + ", ".join("%s %d (%d values)" % (k, v[0], v[1]) for k, v in sorted(kinds.items())))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
