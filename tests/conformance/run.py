#!/usr/bin/python3
"""npusim against ONNX Runtime, bit for bit, on random quantized ONNX models.

Usage (normally through run.sh, which installs onnxruntime-node first):
    /usr/bin/python3 tests/conformance/run.py --count 300 --ort-modules DIR/node_modules

For each seed, gen_models.generate() builds a model and an input; ONNX Runtime (ort_run.js, one
node process for all models, CPU EP, one thread) and `npusim run --arch ARCH --net M.onnx` each
compute the outputs, which must be equal value for value. Both get the same input file (NCHW, the
model's type: float32 where a QuantizeLinear reads it) and npusim's output files are compared as
written with ONNX Runtime's (NCHW, the model's types, float32 bit for bit where the model ends in
a DequantizeLinear): outputs.py. It prints how many models and values it compared, how many of
the compared conv/matmul outputs were exact rounding ties and how many saturated at each end, and
exits 1 on the first mismatching model (named, with the position).

The int form (--forms int) has ConvInteger / MatMulInteger models, whose int32 outputs must be
equal as int32, and "refuse_*" models that ONNX Runtime runs and npusim must refuse with the
reason the generator names. ONNX Runtime's int32 outputs of the int ops that read the graph input
are also checked against exact numpy int64 sums (wrapped to int32), which gives how many sums
were beyond 2^24 (where float32 loses bits) and beyond the int32 range.

Environment: NPUSIM_BIN (default build/npusim), NPUSIM_ARCH (default arch/dense_16x16.json).
"""

import argparse
import concurrent.futures
import os
import shutil
import sys
import time

import numpy as np
import onnx

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import npusim_tools as nt  # noqa: E402
import gen_models  # noqa: E402
import outputs  # noqa: E402
from runners import run_npusim, start_ort  # noqa: E402


def accumulate(kind, x, w, w_zp, b, attrs):
    """Integer accumulators of a conv ([1, O, OH, OW]) or matmul ([M, N]), for the statistics."""
    xi = x.astype(np.int64)
    wi = w.astype(np.int64) - w_zp
    if kind == "matmul":
        acc = xi @ wi
        return acc if b is None else acc + b
    kh, kw = attrs["kernel_shape"]
    sh, sw = attrs["strides"]
    dh, dw = attrs["dilations"]
    t, l, bo, r = attrs["pads"]
    g = attrs["group"]
    xp = np.pad(xi, ((0, 0), (0, 0), (t, bo), (l, r)))
    o, cg = w.shape[0], w.shape[1]
    oh = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    acc = np.zeros((o, oh, ow), np.int64)
    og = o // g
    for oc in range(o):
        gi = oc // og
        for i in range(kh):
            for j in range(kw):
                rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
                cols = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
                patch = xp[0, gi * cg:(gi + 1) * cg, rows, cols]
                acc[oc] += np.tensordot(wi[oc, :, i, j], patch, axes=(0, 0))
    if b is not None:
        acc += b[:, None, None]
    return acc[None]


def tie_and_saturation_counts(case, x_data):
    """(ties, low, high): outputs of single conv/matmul models whose requantized value
    float32(acc) * float32(float32(sx * sw) / sy) is an exact .5, or saturates at qmin / qmax."""
    if len(case.stats) != 1:
        return 0, 0, 0
    kind, x, w, w_zp, w_scale, b, attrs, y = case.stats[0]
    if x.name != "x":
        return 0, 0, 0
    acc = accumulate(kind, x_data.astype(np.int64) - x.zp, w, w_zp, b, attrs)
    axis = 1
    shape = [1] * acc.ndim
    shape[axis] = -1
    sxw = (np.float32(x.scale) * w_scale.astype(np.float32)).astype(np.float32)
    mult = (sxw / np.float32(y.scale)).astype(np.float32)
    v = acc.astype(np.float32) * (mult.reshape(shape) if mult.size > 1 else mult[0])
    q = np.rint(v) + y.zp
    lo, hi = gen_models.qrange(y.elem)
    return int(np.sum(v - np.floor(v) == 0.5)), int(np.sum(q < lo)), int(np.sum(q > hi))


def wrap_int32(a):
    """int64 values as two's complement int32 (ONNX Runtime's and npusim's 32-bit accumulators)."""
    return ((a + 2 ** 31) % 2 ** 32 - 2 ** 31).astype(np.int32)


def int_check(case, x_data, ort_dir):
    """("" or the first difference, sums beyond 2^24, sums beyond int32) of ONNX Runtime's
    ConvInteger / MatMulInteger outputs against numpy's exact sums."""
    large = wrapped = 0
    for kind, x, w, w_zp, attrs, y in case.int_ops:
        acc = accumulate(kind, x_data.astype(np.int64) - x.zp, w, w_zp, None, attrs)
        ref = np.load(os.path.join(ort_dir, y.name + ".npy"))
        want = wrap_int32(acc)
        if ref.dtype != np.int32 or ref.shape != want.shape:
            return "%s: ONNX Runtime %s %s, numpy int32 %s" % (y.name, ref.dtype, ref.shape, want.shape), 0, 0
        diff = np.argwhere(ref != want)
        if len(diff):
            at = tuple(int(i) for i in diff[0])
            return "%s at %s: ONNX Runtime %d, numpy %d (exact sum %d; %d values differ)" % (
                y.name, list(at), ref[at], want[at], acc[at], len(diff)), 0, 0
        large += int(np.sum(np.abs(acc) >= 2 ** 24))
        wrapped += int(np.sum((acc < -2 ** 31) | (acc >= 2 ** 31)))
    return "", large, wrapped


# Ops that compute a quantized group's arithmetic when ONNX Runtime leaves the group unfused (in
# any domain: com.microsoft.nchwc has float Conv and pools); their QLinear / QGemm forms are integer.
FLOAT_LAYER_OPS = ("Conv", "FusedConv", "MatMul", "FusedMatMul", "Gemm", "FusedGemm", "Add", "Mul",
                   "GlobalAveragePool", "AveragePool")


def float_layers(optimized_path):
    """{op: count} of the float32 compute layers in the graph ONNX Runtime ran."""
    out = {}
    for n in onnx.load(optimized_path).graph.node:
        if n.op_type in FLOAT_LAYER_OPS:
            out[n.op_type] = out.get(n.op_type, 0) + 1
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--forms", default="qop,qdq",
                    help="qop, qdq, int (ConvInteger / MatMulInteger) or several, comma-separated")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--with-add", action=argparse.BooleanOptionalAction, default=True,
                    help="include QLinearAdd / QDQ Add models (default; --no-with-add leaves them out)")
    ap.add_argument("--work", default=nt.repo_path("build", "onnx_conformance", "work"))
    ap.add_argument("--ort-modules", default=nt.repo_path("build", "onnx_conformance", "node_modules"))
    args = ap.parse_args()
    binary, arch = nt.default_npusim(), nt.default_arch()
    forms = tuple(args.forms.split(","))
    if not forms or any(f not in ("qop", "qdq", "int") for f in forms) or len(set(forms)) != len(forms):
        ap.error("--forms: expected a comma-separated list of qop, qdq and int, got %r" % args.forms)
    start = time.time()

    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    cases, jobs = [], []
    for seed in range(args.first_seed, args.first_seed + args.count):
        case = gen_models.generate(seed, forms, args.with_add)
        d = os.path.join(args.work, case.name)
        os.makedirs(d)
        onnx.save(case.model, os.path.join(d, "model.onnx"))
        (x_name, x_data), = case.inputs.items()
        np.save(os.path.join(d, "x_nchw.npy"), x_data)
        cases.append((case, d))
        jobs.append({"model": os.path.join(d, "model.onnx"),
                     "inputs": {x_name: os.path.join(d, "x_nchw.npy")}, "out_dir": os.path.join(d, "ort"),
                     "optimized": os.path.join(d, "ort_optimized.onnx")})

    ort = start_ort(jobs, os.path.join(args.work, "jobs.json"), args.ort_modules)
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        sims = [pool.submit(run_npusim, binary, arch, os.path.join(d, "model.onnx"),
                            [os.path.join(d, "x_nchw.npy")], os.path.join(d, "sim")) for _, d in cases]
        results = [s.result() for s in sims]
    if ort.wait() != 0:
        print("onnx conformance: ONNX Runtime failed (see above)")
        return 1

    values = ties = low = high = int_values = large = wrapped = refused = 0
    float_models = []
    for (case, d), (rc, err) in zip(cases, results):
        model = os.path.join(d, "model.onnx")
        problem, lg, wr = int_check(case, next(iter(case.inputs.values())), os.path.join(d, "ort"))
        if problem:
            print("onnx conformance: FAIL %s (seed %s): ONNX Runtime differs from numpy's exact sums: %s" % (
                model, case.name[1:6], problem))
            return 1
        large, wrapped = large + lg, wrapped + wr
        if case.refusal:
            if rc == 0 or case.refusal not in err:
                print("onnx conformance: FAIL %s (seed %s): npusim should refuse it (\"%s\"), %s" % (
                    model, case.name[1:6], case.refusal,
                    "but ran it" if rc == 0 else "but said: " + err))
                return 1
            refused += 1
            continue
        if rc != 0:
            print("onnx conformance: FAIL %s: npusim exited %d: %s" % (model, rc, err))
            return 1
        problem, _, compared = outputs.compare(os.path.join(d, "ort"), os.path.join(d, "sim"))
        unfused = float_layers(os.path.join(d, "ort_optimized.onnx"))
        if unfused:
            float_models.append((case.name, unfused, problem))
        if problem and not unfused:
            print("onnx conformance: FAIL %s (seed %s): %s" % (model, case.name[1:6], problem))
            return 1
        if problem:
            continue  # ONNX Runtime's float32 layers: reported below, not npusim's error
        values += compared
        pairs = outputs.pairs(os.path.join(d, "ort"), os.path.join(d, "sim"))
        int_values += sum(ref.size for _, ref, _ in pairs if ref.dtype == np.int32)
        t, lo, hi = tie_and_saturation_counts(case, next(iter(case.inputs.values())))
        ties, low, high = ties + t, low + lo, high + hi
    kinds = {}
    for case, _ in cases:
        k = case.name.split("_")[1] + "/" + case.kind + ("/float" if case.name.endswith("_float") else "")
        kinds[k] = kinds.get(k, 0) + 1
    differ = [m for m in float_models if m[2]]
    print("onnx conformance: %d models, %d output values, all equal to ONNX Runtime (%.0f s)" % (
        len(cases) - refused - len(differ), values, time.time() - start))
    if float_models:
        print("  %d models in which ONNX Runtime left quantized layers unfused and computed them in float32 "
              "(x86 QDQS8ToU8Transformer; docs/onnx.md): %d of them equal anyway (counted above), "
              "%d differ:" % (len(float_models), len(float_models) - len(differ), len(differ)))
        for name, unfused, problem in differ:
            ops = ", ".join("%s %d" % kv for kv in sorted(unfused.items()))
            print("    %s: float32 %s; %s" % (name, ops, problem))
    print("  models: %s" % ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
    if refused:
        print("  %d more models run by ONNX Runtime and refused by npusim with the expected reason" % refused)
    if any(f != "int" for f in forms):
        print("  single conv/matmul outputs: %d rounding ties, %d saturated low, %d saturated high"
              % (ties, low, high))
    if "int" in forms:
        print("  int32 outputs: %d values; ONNX Runtime equal to numpy's exact sums for %d ops, "
              "%d sums beyond 2^24 in magnitude, %d beyond int32 (wrapped)" % (
                  int_values, sum(len(c.int_ops) for c, _ in cases), large, wrapped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
