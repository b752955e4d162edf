#!/usr/bin/python3
"""Writes an npusim network (docs/formats.md) as a QOperator-form ONNX model, for timing ONNX
Runtime on the same quantized network as npusim (bench/ort/README.md).

    bench/ort/export_onnx.py NET.json OUT.onnx INPUT.npy

conv2d -> QLinearConv, fully_connected -> QLinearConv 1x1 on [1, K, 1, 1] (QLinearMatMul has no
bias), global_avg_pool -> com.microsoft QLinearGlobalAveragePool, add -> com.microsoft QLinearAdd,
max_pool -> MaxPool, reshape -> dropped (the FC consumes the pooled [1, C, 1, 1] directly).
The same integer weights, biases, scales and zero points, in ONNX's NCHW layout. What is NOT the
same: QLinearConv has no activation clamp, so relu6/relu layers saturate only at the int8 range:
the arithmetic per MAC and the work per layer are those of the npusim network, the output values
are not (this model is for timing; bit-exactness against ONNX Runtime is checked by
tests/conformance/ on models built for it). Random specs are expanded with the loader's
splitmix64 (tools/gen_workloads.py reproduces it)."""

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


class Exporter:
    def __init__(self, net, base):
        self.net, self.base, self.t = net, base, net["tensors"]
        self.nodes, self.inits, self.count = [], [], 0

    def const(self, array, dtype):
        self.count += 1
        name = f"c{self.count}"
        self.inits.append(numpy_helper.from_array(np.asarray(array).astype(dtype), name))
        return name

    def qparams(self, name):
        t = self.t[name]
        dtype = np.int8 if t.get("signed", True) else np.uint8
        s, z = scales(t), zero_points(t)
        scale = self.const(s if s.size > 1 else s[0], np.float32)
        return (scale, self.const(z if z.size > 1 else z[0], dtype))

    def conv(self, op, x, w_name, b_name, out, kernel_nchw):
        w = values(self.t[w_name], self.base)
        w = w.reshape(w.shape[0], -1, 1, 1) if kernel_nchw else w.transpose(0, 3, 1, 2)
        wdt = np.int8 if self.t[w_name].get("signed", True) else np.uint8
        inputs = [x, *self.qparams(x), self.const(w, wdt), *self.qparams(w_name), *self.qparams(out)]
        if b_name:
            inputs.append(self.const(values(self.t[b_name], self.base), np.int32))
        attrs = {}
        if not kernel_nchw:
            pt, pl, pb, pr = op.get("pads", [0, 0, 0, 0])
            attrs = dict(strides=op.get("stride", [1, 1]), pads=[pt, pl, pb, pr],
                         dilations=op.get("dilation", [1, 1]), group=op.get("groups", 1))
        self.nodes.append(helper.make_node("QLinearConv", inputs, [out], name=op["name"], **attrs))

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
            return TensorProto.INT8 if self.t[n].get("signed", True) else TensorProto.UINT8

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
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    net_file, out, input_npy = sys.argv[1:]
    with open(net_file) as f:
        net = json.load(f)
    e = Exporter(net, os.path.dirname(os.path.abspath(net_file)))
    onnx.save(e.model(), out)
    (name,) = net["inputs"]
    x = values(net["tensors"][name], e.base)
    np.save(input_npy, x.transpose(0, 3, 1, 2).astype(np.int8))


if __name__ == "__main__":
    main()
