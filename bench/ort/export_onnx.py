#!/usr/bin/python3
"""Writes an npusim network (docs/formats.md) as a QOperator-form ONNX model, for timing ONNX
Runtime on the same quantized network as npusim: a value twin, whose outputs are npusim's.

    bench/ort/export_onnx.py NET.json OUT.onnx INPUT.npy [--elem int8|uint8] [--no-clamp]

conv2d -> QLinearConv, fully_connected -> QLinearConv 1x1 on [1, K, 1, 1] (QLinearMatMul has no
bias), global_avg_pool -> com.microsoft QLinearGlobalAveragePool, add -> com.microsoft QLinearAdd,
max_pool -> MaxPool, reshape -> dropped (the FC consumes the pooled [1, C, 1, 1] directly).
The same integer weights, biases, scales and zero points, in ONNX's NCHW layout. QLinearConv has no
activation clamp: a relu/relu6 layer whose clamp is narrower than the element type's range gets a
Clip after its QLinearConv with the bounds npusim computes (core::ActivationRange: zero point, and
zero point + round-half-even(6 / scale) for relu6), so the outputs are npusim's value for value
(studies/bench_speed.py checks the logits). --no-clamp leaves the Clips out (the old timing twin).

--elem uint8 writes every 8-bit signed activation tensor as uint8 with its zero point + 128 (the
same real values and the same integer differences x - zp, so the same outputs + 128): ONNX
Runtime's fastest x86 form (u8 activations x s8 weights). INPUT.npy then holds the input + 128.
Random specs are expanded with the loader's splitmix64 (tools/gen_workloads.py reproduces it)."""

import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from gen_workloads import random_ints, random_scales  # noqa: E402


def type_range(t):
    bits, signed = t["bits"], t.get("signed", True)
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def values(t, base):
    d = t.get("data")
    n = int(np.prod(t["shape"]))
    if isinstance(d, list):
        return np.asarray(d, np.int64).reshape(t["shape"])
    if isinstance(d, str):
        return np.load(os.path.join(base, d)).astype(np.int64).reshape(t["shape"])
    r = d["random"]
    lo, hi = type_range(t)
    return random_ints(r["seed"], n, r.get("min", lo), r.get("max", hi)).reshape(t["shape"])


def scales(t):
    s = t["scale"]
    if isinstance(s, dict):
        r = s["random"]
        return random_scales(r["seed"], t["shape"][0] if r.get("per_channel") else 1, r["min"], r["max"])
    return np.asarray(s if isinstance(s, list) else [s], np.float32)


def zero_points(t):
    z = t.get("zero_point", 0)
    return np.asarray(z if isinstance(z, list) else [z], np.int64)


def activation_range(t, act):
    """npusim's clamp of a relu/relu6 output (core::ActivationRange), in the tensor's own values."""
    lo, hi = type_range(t)
    zp = int(zero_points(t)[0])
    if act in ("relu", "relu6"):
        lo = max(lo, zp)
    if act == "relu6":
        steps = np.float32(6.0) / np.float32(scales(t)[0])
        steps = float(np.round(steps))  # numpy rounds half to even, as RoundHalfEven does
        if steps < hi - lo + 1:
            hi = min(hi, zp + int(steps))
    return lo, hi


class Exporter:
    def __init__(self, net, base, elem="int8", clamp=True):
        self.net, self.base, self.t = net, base, net["tensors"]
        self.nodes, self.inits, self.count = [], [], 0
        self.elem, self.clamp = elem, clamp

    def const(self, array, dtype):
        self.count += 1
        name = f"c{self.count}"
        self.inits.append(numpy_helper.from_array(np.asarray(array).astype(dtype), name))
        return name

    def shifted(self, name):
        """Whether tensor `name` is written as uint8 with its values + 128 (--elem uint8)."""
        t = self.t[name]
        return (self.elem == "uint8" and t.get("signed", True) and t["bits"] == 8 and "data" not in t
                or self.elem == "uint8" and name in self.net["inputs"])

    def dtype(self, name):
        if self.shifted(name):
            return np.uint8
        return np.int8 if self.t[name].get("signed", True) else np.uint8

    def qparams(self, name):
        t = self.t[name]
        s, z = scales(t), zero_points(t) + (128 if self.shifted(name) else 0)
        scale = self.const(s if s.size > 1 else s[0], np.float32)
        return (scale, self.const(z if z.size > 1 else z[0], self.dtype(name)))

    def conv(self, op, x, w_name, b_name, out, kernel_nchw):
        w = values(self.t[w_name], self.base)
        w = w.reshape(w.shape[0], -1, 1, 1) if kernel_nchw else w.transpose(0, 3, 1, 2)
        inputs = [x, *self.qparams(x), self.const(w, self.dtype(w_name)), *self.qparams(w_name),
                  *self.qparams(out)]
        if b_name:
            inputs.append(self.const(values(self.t[b_name], self.base), np.int32))
        attrs = {}
        if not kernel_nchw:
            pt, pl, pb, pr = op.get("pads", [0, 0, 0, 0])
            attrs = dict(strides=op.get("stride", [1, 1]), pads=[pt, pl, pb, pr],
                         dilations=op.get("dilation", [1, 1]), group=op.get("groups", 1))
        lo, hi = activation_range(self.t[out], op.get("activation"))
        full = type_range(self.t[out])
        if not self.clamp or (lo, hi) == full:
            self.nodes.append(helper.make_node("QLinearConv", inputs, [out], name=op["name"], **attrs))
            return
        shift = 128 if self.shifted(out) else 0
        self.nodes.append(helper.make_node("QLinearConv", inputs, [out + "_unclamped"], name=op["name"],
                                           **attrs))
        bounds = [self.const(lo + shift, self.dtype(out)), self.const(hi + shift, self.dtype(out))]
        self.nodes.append(helper.make_node("Clip", [out + "_unclamped", *bounds], [out],
                                           name=op["name"] + "_clamp"))

    def op(self, op):
        kind, ins, out = op["op"], op["inputs"], op["outputs"][0]
        if kind == "conv2d":
            self.conv(op, ins[0], ins[1], ins[2] if len(ins) > 2 else None, out, False)
        elif kind == "fully_connected":
            self.conv(op, ins[0], ins[1], ins[2] if len(ins) > 2 else None, out, True)
        elif kind == "global_avg_pool":
            qins = [ins[0], *self.qparams(ins[0]), *self.qparams(out)]
            self.nodes.append(helper.make_node("QLinearGlobalAveragePool", qins, [out], name=op["name"],
                                               domain="com.microsoft", channels_last=0))
        elif kind == "add":
            qins = [ins[0], *self.qparams(ins[0]), ins[1], *self.qparams(ins[1]), *self.qparams(out)]
            self.nodes.append(helper.make_node("QLinearAdd", qins, [out], name=op["name"],
                                               domain="com.microsoft"))
        elif kind == "max_pool":
            pt, pl, pb, pr = op.get("pads", [0, 0, 0, 0])
            self.nodes.append(helper.make_node("MaxPool", [ins[0]], [out], name=op["name"],
                                               kernel_shape=op["kernel"], strides=op.get("stride", [1, 1]),
                                               pads=[pt, pl, pb, pr]))
        elif kind == "reshape":
            self.nodes.append(helper.make_node("Identity", [ins[0]], [out], name=op["name"]))
        else:
            raise SystemExit(f"export_onnx: op {kind} ({op['name']}) is not exported")

    def model(self):
        for op in self.net["ops"]:
            self.op(op)

        def elem(n):
            return TensorProto.UINT8 if self.dtype(n) == np.uint8 else TensorProto.INT8

        def nchw(s):
            return [s[0], s[3], s[1], s[2]] if len(s) == 4 else s

        ins = [helper.make_tensor_value_info(n, elem(n), nchw(self.t[n]["shape"]))
               for n in self.net["inputs"]]
        outs = [helper.make_tensor_value_info(n, elem(n), None) for n in self.net["outputs"]]
        graph = helper.make_graph(self.nodes, self.net["name"], ins, outs, self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid("com.microsoft", 1)])
        m.ir_version = 7
        return m


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("net")
    ap.add_argument("out")
    ap.add_argument("input_npy")
    ap.add_argument("--elem", choices=("int8", "uint8"), default="int8",
                    help="element type of the 8-bit signed activations (uint8: values + 128)")
    ap.add_argument("--no-clamp", action="store_true", help="no Clip for relu/relu6 (a timing twin only)")
    args = ap.parse_args()
    with open(args.net) as f:
        net = json.load(f)
    e = Exporter(net, os.path.dirname(os.path.abspath(args.net)), args.elem, not args.no_clamp)
    onnx.save(e.model(), args.out)
    (name,) = net["inputs"]
    x = values(net["tensors"][name], e.base).transpose(0, 3, 1, 2)
    if e.shifted(name):
        x = (x + 128).astype(np.uint8)
    np.save(args.input_npy, x.astype(e.dtype(name)))


if __name__ == "__main__":
    main()
