#!/usr/bin/python3
"""Generates the shipped networks in workloads/ (format: docs/formats.md).

Weights, biases, per-channel weight scales and input data are {"random": ...} specs, so the files
stay small; this script reproduces the loader's splitmix64 generator exactly, runs each network
with numpy in the reference semantics (ONNX float requantization, 32-bit accumulator) and uses
the real accumulator distributions to choose scales so activations stay in a healthy range.

Calibration (per conv / fully_connected layer):
  * relu6 outputs use the usual int8 layout for [0, 6]-ish data: zero point -128, and a scale
    6 / clip_units, so real 6.0 sits clip_units quantized steps above the zero point
    (clip_units cycles through 96..128 so layers differ).
  * The per-channel weight scales are random in [0.75 c, 1.25 c]; c is solved from the measured
    standard deviation of the integer accumulator (without bias) so that the pre-activation has a
    standard deviation of TARGET_STD_UNITS output steps: x_scale * c * std(acc) = 30 * y_scale.
    relu6 then clips near clip_units / 30 ~ 3-4 standard deviations.
  * Biases are random in [-std(acc) / 2, std(acc) / 2], shifting each channel's zero fraction.
  * Layers without relu6 (logits, plain relu, add) keep their weight scales and get the output
    scale that gives the same 30-step standard deviation.

Weights are symmetric (zero point 0, values in [-(2^(b-1) - 1), 2^(b-1) - 1]; weight_limit) at
any width from 2 to 16 bits, chosen per layer: the MobileNetV1 builder makes the 8-bit network and
the precision variants (mobilenet_q4, mobilenet_w16, mobilenet_mixed), whose per-layer
weight bits workloads/README.md states. The calibration above is the same at every width (the
accumulator is measured with the layer's own integer weights).

Usage: tools/gen_workloads.py [--out workloads] [--expected DIR] [--scaling]
  --scaling writes the scaling-study networks (MobileNetV1 at widths 0.25..1.0 and resolutions
  128..224, ResNet-18, ResNet-50) into workloads/scaling/ instead of the shipped networks.
  --expected DIR also writes DIR/<net>/<output>.npy: the network outputs under ONNX float
  requantization with a 32-bit wrapping accumulator (the reference executor's semantics), for
  cross-checking the C++ reference and the simulator.
"""

import argparse
import json
import os
import sys

import numpy as np

TARGET_STD_UNITS = 30.0
M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


# --- the loader's random values (docs/formats.md, support/random.h) -------------------------------

def splitmix64(seed, count):
    """z for element indices 0..count-1 of the stream `seed` (uint64 arithmetic wraps)."""
    with np.errstate(over="ignore"):
        idx = np.arange(1, count + 1, dtype=np.uint64)
        z = np.uint64(seed) + idx * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def random_ints(seed, count, lo, hi):
    span = np.uint64(hi - lo + 1)
    return (splitmix64(seed, count) % span).astype(np.int64) + lo


def random_scales(seed, count, lo, hi):
    unit = (splitmix64(seed, count) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    return (lo + (hi - lo) * unit).astype(np.float32)


def weight_limit(bits):
    """Largest weight magnitude for `bits`-bit signed weights: the symmetric, "restricted" range
    [-(2^(b-1) - 1), 2^(b-1) - 1] ([-127, 127] at 8 bits, [-7, 7] at 4 bits), as in TFLite's
    int8 weight spec: with zero point 0 the grid is symmetric about real 0, so -w is representable
    for every w and a per-channel scale is max|w_real| / wmax. Costs one of 2^b codes (-2^(b-1))."""
    assert 2 <= bits <= 16, bits
    return 2 ** (bits - 1) - 1


def tidy(x):
    """A number as it will be written (6 significant digits), so numpy uses what the file says."""
    return float(f"{x:.6g}")


# --- integer semantics (reference/ and ir/quant.cpp, ONNX float mode) ------------------------

def round_clamp(v, zp, lo, hi):
    """Clamp in float32, round half to even, add the zero point (MlasRequantizeOutput)."""
    v = np.clip(v, np.float32(lo - zp), np.float32(hi - zp))
    return np.rint(v).astype(np.int64) + zp


def activation_range(act, y_scale, zp, qmin, qmax):
    lo, hi = qmin, qmax
    if act in ("relu", "relu6"):
        lo = max(lo, zp)
    if act == "relu6":
        steps = np.rint(np.float32(6.0) / np.float32(y_scale))
        if steps < qmax - qmin + 1:
            hi = min(hi, zp + int(steps))
    return lo, hi


def conv_acc(x, x_zp, w, w_zp, stride, pads, dilation, groups):
    """Accumulators [OH, OW, O] (float64 sums of integer products: exact below 2^53)."""
    _, h, wd, c = x.shape
    o, kh, kw, cg = w.shape
    pt, pl, pb, pr = pads
    oh = (h + pt + pb - (dilation[0] * (kh - 1) + 1)) // stride[0] + 1
    ow = (wd + pl + pr - (dilation[1] * (kw - 1) + 1)) // stride[1] + 1
    # Padding holds the input zero point: 0 after correction.
    xc = np.zeros((h + pt + pb, wd + pl + pr, c), np.float64)
    xc[pt:pt + h, pl:pl + wd, :] = x[0] - x_zp
    wc = (w - np.asarray(w_zp).reshape(-1, 1, 1, 1)).astype(np.float64)
    og = o // groups
    acc = np.zeros((oh, ow, groups, og), np.float64)
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dilation[0], kx * dilation[1]
            patch = xc[y0:y0 + stride[0] * (oh - 1) + 1:stride[0],
                       x0:x0 + stride[1] * (ow - 1) + 1:stride[1], :]
            patch = patch.reshape(oh, ow, groups, cg)
            tap = wc[:, ky, kx, :].reshape(groups, og, cg)
            if cg == 1 and og == 1:  # depthwise: a per-channel product
                acc += patch * tap.reshape(1, 1, groups, 1)
            else:
                acc += np.einsum("hwgc,goc->hwgo", patch, tap, optimize=True)
    return acc.reshape(oh, ow, o)


def requant_float(acc, x_scale, w_scales, y_scale, zp, lo, hi):
    m = (np.float32(x_scale) * np.asarray(w_scales, np.float32)).astype(np.float32)
    m = (m / np.float32(y_scale)).astype(np.float32)
    return round_clamp(acc.astype(np.float32) * m, zp, lo, hi)


def pool_windows(x, kernel, stride, pads):
    """Stack of the windows' taps [K, OH, OW, C] and the in-bounds mask, padding marked."""
    _, h, wd, c = x.shape
    pt, pl, pb, pr = pads
    oh = (h + pt + pb - kernel[0]) // stride[0] + 1
    ow = (wd + pl + pr - kernel[1]) // stride[1] + 1
    xp = np.zeros((h + pt + pb, wd + pl + pr, c), np.int64)
    mask = np.zeros((h + pt + pb, wd + pl + pr, 1), bool)
    xp[pt:pt + h, pl:pl + wd] = x[0]
    mask[pt:pt + h, pl:pl + wd] = True
    taps, inside = [], []
    for ky in range(kernel[0]):
        for kx in range(kernel[1]):
            sl = (slice(ky, ky + stride[0] * (oh - 1) + 1, stride[0]),
                  slice(kx, kx + stride[1] * (ow - 1) + 1, stride[1]))
            taps.append(xp[sl])
            inside.append(np.broadcast_to(mask[sl], xp[sl].shape))
    return np.stack(taps), np.stack(inside)


def avg_requant(total, count, x_scale, y_scale, zp, lo, hi):
    m = (np.float64(np.float32(x_scale)) /
         (np.float64(np.float32(y_scale)) * count)).astype(np.float32)
    return round_clamp(total.astype(np.float32) * m, zp, lo, hi)


# --- network description + numpy execution -----------------------------------------------------

class Net:
    """Builds the JSON description and runs every op in numpy as it is added."""

    def __init__(self, name, first_seed):
        self.name = name
        self.seed = first_seed
        self.tensors = {}   # name -> JSON spec
        self.ops = []
        self.inputs, self.outputs = [], []
        self.values = {}    # name -> int64 array (activations)
        self.quant = {}     # name -> (scale, zero_point) of activations
        self.stats = []     # per-layer statistics lines
        self.clip_cycle = 0
        # Deep nets without relu6 (ResNets): solve the weight scales so every conv's real output
        # has a unit-ish spread (as batch-normalized weights give), instead of a nominal weight
        # scale whose output scale compounds layer over layer.
        self.normalize = False

    def next_seed(self):
        self.seed += 1
        return self.seed

    # tensors ---------------------------------------------------------------------------------

    def input(self, name, shape, scale, zp):
        seed = self.next_seed()
        self.tensors[name] = {"shape": list(shape), "bits": 8, "signed": True, "scale": scale,
                              "zero_point": zp, "data": {"random": {"seed": seed}}}
        self.values[name] = random_ints(seed, int(np.prod(shape)), -128, 127).reshape(shape)
        self.quant[name] = (scale, zp)
        self.inputs.append(name)
        return name

    def activation(self, name, shape, scale, zp, values):
        self.tensors[name] = {"shape": list(shape), "bits": 8, "signed": True,
                              "scale": scale, "zero_point": zp}
        self.values[name] = values.reshape(shape)
        self.quant[name] = (scale, zp)
        return name

    def weights(self, name, shape, seed, scale_spec, w_zp=0, bits=8):
        """Random `bits`-bit weights in the symmetric range [-wmax, wmax] (weight_limit) from
        stream `seed`; returns (spec, per-output-channel scales)."""
        wmax = weight_limit(bits)
        spec = {"shape": list(shape), "bits": bits, "signed": True, "scale": scale_spec,
                "zero_point": w_zp, "data": {"random": {"seed": seed, "min": -wmax, "max": wmax}}}
        self.tensors[name] = spec
        if isinstance(scale_spec, dict):
            r = scale_spec["random"]
            scales = random_scales(r["seed"], shape[0], r["min"], r["max"])
        elif isinstance(scale_spec, list):
            scales = np.asarray(scale_spec, np.float32)
        else:
            scales = np.full(shape[0], scale_spec, np.float32)
        return spec, scales

    def random_scale_spec(self, centre):
        # "per_channel": one random scale per output channel (element i of the stream for
        # channel i); without it the loader draws a single per-tensor scale.
        return {"random": {"seed": self.next_seed(), "min": tidy(0.75 * centre),
                           "max": tidy(1.25 * centre), "per_channel": True}}

    def bias(self, name, channels, half_range):
        seed = self.next_seed()
        b = max(1, int(half_range))
        self.tensors[name] = {"shape": [channels], "bits": 32, "signed": True,
                              "data": {"random": {"seed": seed, "min": -b, "max": b}}}
        return random_ints(seed, channels, -b, b)

    # ops -------------------------------------------------------------------------------------

    def add_op(self, op):
        self.ops.append(op)

    def next_clip_units(self):
        units = (96, 112, 128, 104, 120)[self.clip_cycle % 5]
        self.clip_cycle += 1
        return units

    def conv(self, name, x, out_c, kernel, stride=(1, 1), pads=(0, 0, 0, 0),
             dilation=(1, 1), groups=1, activation="relu6", bias=True, scale_kind="random",
             out_zp=None, w_bits=8):
        """conv2d with calibrated scales (see the module docstring) and `w_bits`-bit weights;
        returns the output name."""
        xv = self.values[x]
        x_scale, x_zp = self.quant[x]
        in_c = xv.shape[3]
        w_shape = (out_c, kernel[0], kernel[1], in_c // groups)
        # The integer weights first: measure the accumulator, then solve for the scales.
        w_seed = self.next_seed()
        wmax = weight_limit(w_bits)
        w_int = random_ints(w_seed, int(np.prod(w_shape)), -wmax, wmax).reshape(w_shape)
        acc = conv_acc(xv, x_zp, w_int, 0, stride, pads, dilation, groups)
        y_scale, zp, centre = self.choose_scales(acc, x_scale, activation, out_zp, wmax)
        spec = self.scale_spec(scale_kind, centre, out_c)
        _, w_scales = self.weights(name + "_w", w_shape, w_seed, spec, bits=w_bits)
        inputs = [x, name + "_w"]
        if bias:
            acc = acc + self.bias(name + "_b", out_c, acc.std(axis=(0, 1)).mean() / 2)
            inputs.append(name + "_b")
        y = self.finish(name, acc, x_scale, w_scales, y_scale, zp, activation)
        op = {"name": name, "op": "conv2d", "inputs": inputs, "outputs": [y],
              "stride": list(stride), "pads": list(pads), "dilation": list(dilation),
              "groups": groups}
        if activation != "none":
            op["activation"] = activation
        self.add_op(op)
        return y

    def fully_connected(self, name, x, out_n, activation="none", scale_kind="random",
                        w_zp=0, out_zp=None, w_bits=8):
        xv = self.values[x]
        x_scale, x_zp = self.quant[x]
        k = xv.shape[-1]
        rows = xv.reshape(-1, k).astype(np.float64) - x_zp
        w_seed = self.next_seed()
        wmax = weight_limit(w_bits)
        w_int = random_ints(w_seed, out_n * k, -wmax, wmax).reshape(out_n, k)
        acc = rows @ (w_int - w_zp).T.astype(np.float64)
        y_scale, zp, centre = self.choose_scales(acc, x_scale, activation, out_zp, wmax)
        spec = self.scale_spec(scale_kind, centre, out_n)
        _, w_scales = self.weights(name + "_w", (out_n, k), w_seed, spec, w_zp, w_bits)
        acc = acc + self.bias(name + "_b", out_n, acc.std(axis=0).mean() / 2)
        y = self.finish(name, acc, x_scale, w_scales, y_scale, zp, activation)
        op = {"name": name, "op": "fully_connected", "inputs": [x, name + "_w", name + "_b"],
              "outputs": [y]}
        if activation != "none":
            op["activation"] = activation
        self.add_op(op)
        return y

    def choose_scales(self, acc, x_scale, activation, out_zp, wmax=127):
        """(y_scale, y_zp, weight scale centre) for an accumulator measured with unit weights
        whose integer weights lie in [-wmax, wmax]."""
        std = float(acc.std())
        if activation == "relu6" or self.normalize:
            y_scale = tidy(6.0 / self.next_clip_units())
            centre = TARGET_STD_UNITS * y_scale / (x_scale * std)
            zp = (-128 if activation in ("relu6", "relu") else 0) if out_zp is None else out_zp
            return y_scale, zp, tidy(centre)
        # No upper clip: keep a nominal weight scale and scale the output instead.
        # The nominal scale is for int8's [-127, 127]; other widths keep the same real range.
        centre = tidy((0.02 / (np.sqrt(acc.size / acc.shape[-1]) + 1) + 0.002) * (127 / wmax))
        y_scale = tidy(x_scale * centre * std / TARGET_STD_UNITS)
        zp = (-128 if activation == "relu" else 0) if out_zp is None else out_zp
        return y_scale, zp, centre

    def scale_spec(self, kind, centre, channels):
        if kind == "random":
            return self.random_scale_spec(centre)
        if kind == "list":  # explicit per-channel list, alternating around the centre
            return [tidy(centre * (0.8 + 0.4 * (i % 5) / 4)) for i in range(channels)]
        return centre       # one per-tensor scale

    def finish(self, name, acc, x_scale, w_scales, y_scale, zp, activation):
        assert np.abs(acc).max() < 2 ** 31, f"{name}: accumulator exceeds int32"
        lo, hi = activation_range(activation, y_scale, zp, -128, 127)
        y = requant_float(acc, x_scale, w_scales, y_scale, zp, lo, hi)
        out_shape = (1,) + y.shape if y.ndim == 3 else y.shape
        self.record(name, y, zp, lo, hi)
        return self.activation(name + "_out", out_shape, y_scale, zp, y)

    def add(self, name, a, b, activation="relu"):
        (sa, za), (sb, zb) = self.quant[a], self.quant[b]
        fa = (self.values[a] - za).astype(np.float32) * np.float32(sa)
        fb = (self.values[b] - zb).astype(np.float32) * np.float32(sb)
        total = (fa + fb).astype(np.float32)
        y_scale = tidy(float(total.std()) / TARGET_STD_UNITS)
        zp = -128 if activation != "none" else 0
        lo, hi = activation_range(activation, y_scale, zp, -128, 127)
        y = round_clamp((total / np.float32(y_scale)).astype(np.float32), zp, lo, hi)
        self.record(name, y, zp, lo, hi)
        out = self.activation(name + "_out", y.shape, y_scale, zp, y)
        op = {"name": name, "op": "add", "inputs": [a, b], "outputs": [out]}
        if activation != "none":
            op["activation"] = activation
        self.add_op(op)
        return out

    def max_pool(self, name, x, kernel, stride, pads):
        taps, inside = pool_windows(self.values[x], kernel, stride, pads)
        y = np.where(inside, taps, np.iinfo(np.int64).min).max(axis=0)
        scale, zp = self.quant[x]
        out = self.activation(name + "_out", (1,) + y.shape, scale, zp, y)
        self.add_op({"name": name, "op": "max_pool", "inputs": [x], "outputs": [out],
                     "kernel": list(kernel), "stride": list(stride), "pads": list(pads)})
        return out

    def avg_pool(self, name, x, kernel, stride, pads, out_scale_ratio, count_include_pad=False):
        x_scale, x_zp = self.quant[x]
        taps, inside = pool_windows(self.values[x], kernel, stride, pads)
        total = np.where(inside, taps - x_zp, 0).sum(axis=0)
        count = (np.full(total.shape, kernel[0] * kernel[1]) if count_include_pad
                 else inside.sum(axis=0))
        y_scale = tidy(x_scale * out_scale_ratio)
        y = avg_requant(total, count, x_scale, y_scale, x_zp, -128, 127)
        self.record(name, y, x_zp, -128, 127)
        out = self.activation(name + "_out", (1,) + y.shape, y_scale, x_zp, y)
        self.add_op({"name": name, "op": "avg_pool", "inputs": [x], "outputs": [out],
                     "kernel": list(kernel), "stride": list(stride), "pads": list(pads),
                     "count_include_pad": count_include_pad})
        return out

    def global_avg_pool(self, name, x):
        x_scale, x_zp = self.quant[x]
        xv = self.values[x]
        total = (xv[0] - x_zp).sum(axis=(0, 1))
        count = xv.shape[1] * xv.shape[2]
        # Averages of non-negative (relu) data: put the largest about 200 steps above zp.
        y_scale = tidy(x_scale * max(1.0, float((total / count).max())) / 200.0)
        y = avg_requant(total, count, x_scale, y_scale, x_zp, -128, 127)
        self.record(name, y, x_zp, -128, 127)
        out = self.activation(name + "_out", (1, 1, 1, xv.shape[3]), y_scale, x_zp, y)
        self.add_op({"name": name, "op": "global_avg_pool", "inputs": [x], "outputs": [out]})
        return out

    def reshape(self, name, x, shape):
        scale, zp = self.quant[x]
        out = self.activation(name + "_out", shape, scale, zp, self.values[x])
        self.add_op({"name": name, "op": "reshape", "inputs": [x], "outputs": [out]})
        return out

    def output(self, name):
        self.outputs.append(name)

    def rename(self, old, new):
        """Gives an op output a fixed public name (e.g. "logits")."""
        self.tensors = {new if k == old else k: v for k, v in self.tensors.items()}
        self.values[new] = self.values.pop(old)
        self.quant[new] = self.quant.pop(old)
        for op in self.ops:
            op["inputs"] = [new if t == old else t for t in op["inputs"]]
            op["outputs"] = [new if t == old else t for t in op["outputs"]]
        return new

    # statistics and output -------------------------------------------------------------------

    def record(self, name, y, zp, lo, hi):
        self.stats.append((name, y.size, float((y == zp).mean()), float((y == lo).mean()),
                           float((y == hi).mean()), float((y - zp).std())))

    def print_stats(self, out=sys.stdout):
        print(f"{self.name}: {'layer':<12} {'elems':>8} {'at_zp':>6} {'at_min':>6} "
              f"{'at_max':>6} {'std':>6}", file=out)
        for name, n, at_zp, at_lo, at_hi, std in self.stats:
            print(f"{'':{len(self.name)}}  {name:<12} {n:>8} {at_zp:6.3f} {at_lo:6.3f} "
                  f"{at_hi:6.3f} {std:6.1f}", file=out)

    def to_json(self):
        """One tensor / op per line: diff-friendly and short."""
        def dump(v):
            return json.dumps(v, separators=(", ", ": "))
        lines = ["{", '  "version": 1,', f'  "name": {dump(self.name)},', '  "layout": "NHWC",',
                 f'  "inputs": {dump(self.inputs)},', f'  "outputs": {dump(self.outputs)},',
                 '  "tensors": {']
        items = list(self.tensors.items())
        for i, (name, spec) in enumerate(items):
            comma = "," if i + 1 < len(items) else ""
            lines.append(f"    {dump(name)}: {dump(spec)}{comma}")
        lines += ["  },", '  "ops": [']
        for i, op in enumerate(self.ops):
            comma = "," if i + 1 < len(self.ops) else ""
            lines.append(f"    {dump(op)}{comma}")
        lines += ["  ]", "}"]
        return "\n".join(lines) + "\n"


# --- the networks ------------------------------------------------------------------------------

def make_divisible(c, alpha, divisor=8):
    """Channels of a width-multiplied layer, as the reference implementations round them: to
    the nearest multiple of `divisor`, never below `divisor` nor 10 % below the exact value."""
    v = c * alpha
    r = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return r + divisor if r < 0.9 * v else r


def mobilenet_v1(name="mobilenet_v1_q8", w_bits=None, alpha=1.0, resolution=224):
    """MobileNetV1 (Howard et al. 2017, Table 1), 224x224, width 1.0, int8 activations, relu6
    everywhere. `w_bits(layer)` gives the weight bits of conv0, dw1..dw13, pw1..pw13 and fc
    (default 8 everywhere). Every variant uses the same seeds (so the same input image); only the
    weight values, scales and biases differ. `alpha` and `resolution` give the paper's width
    multiplier and input resolution (section 3.3/3.4: the scaling study of results/perf.md)."""
    bits = w_bits or (lambda layer: 8)
    net = Net(name, 1000)
    # TF 'SAME': stride 1, 3x3 pads 1 all round; stride 2 on even sizes pads only bottom/right.
    same = {1: (1, 1, 1, 1), 2: (0, 0, 1, 1)}
    x = net.input("input", (1, resolution, resolution, 3), 0.0078125, 3)
    x = net.conv("conv0", x, make_divisible(32, alpha), (3, 3), (2, 2), same[2], w_bits=bits("conv0"))
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + \
             [(1024, 2), (1024, 1)]
    blocks = [(make_divisible(c, alpha), s) for c, s in blocks]
    for i, (out_c, s) in enumerate(blocks, start=1):
        in_c = net.values[x].shape[3]
        x = net.conv(f"dw{i}", x, in_c, (3, 3), (s, s), same[s], groups=in_c,
                     w_bits=bits(f"dw{i}"))
        x = net.conv(f"pw{i}", x, out_c, (1, 1), w_bits=bits(f"pw{i}"))
    x = net.global_avg_pool("pool", x)
    x = net.reshape("flatten", x, (1, blocks[-1][0]))
    y = net.fully_connected("fc", x, 1000, w_bits=bits("fc"))
    net.output(net.rename(y, "logits"))
    return net


def resnet(depth, name=None):
    """ResNet-18 / ResNet-50 (He et al. 2016, Table 1), 224x224, int8, relu after every conv but
    the last of a block, the residual add with relu; basic blocks (18) or bottlenecks (50) with a
    1x1 projection shortcut where the shape changes; stride 2 in the first 3x3 (v1.5 placement)."""
    stages = {18: ("basic", [2, 2, 2, 2]), 50: ("bottleneck", [3, 4, 6, 3])}[depth]
    kind, counts = stages
    net = Net(name or f"resnet{depth}_q8", 5000 + depth * 100)
    net.normalize = True
    x = net.input("input", (1, 224, 224, 3), 0.0078125, 3)
    x = net.conv("conv1", x, 64, (7, 7), (2, 2), (3, 3, 3, 3), activation="relu")
    x = net.max_pool("maxpool", x, (3, 3), (2, 2), (1, 1, 1, 1))
    expansion = 1 if kind == "basic" else 4
    for stage, (width, n) in enumerate(zip((64, 128, 256, 512), counts), start=1):
        for b in range(n):
            s = 2 if stage > 1 and b == 0 else 1
            p = f"s{stage}b{b + 1}"
            in_c = net.values[x].shape[3]
            out_c = width * expansion
            if kind == "basic":
                h = net.conv(p + "_c1", x, width, (3, 3), (s, s), (1, 1, 1, 1), activation="relu")
                h = net.conv(p + "_c2", h, out_c, (3, 3), pads=(1, 1, 1, 1), activation="none")
            else:
                h = net.conv(p + "_c1", x, width, (1, 1), activation="relu")
                h = net.conv(p + "_c2", h, width, (3, 3), (s, s), (1, 1, 1, 1), activation="relu")
                h = net.conv(p + "_c3", h, out_c, (1, 1), activation="none")
            short = x
            if s != 1 or in_c != out_c:
                short = net.conv(p + "_proj", x, out_c, (1, 1), (s, s), activation="none")
            x = net.add(p + "_add", h, short, activation="relu")
    x = net.global_avg_pool("pool", x)
    x = net.reshape("flatten", x, (1, net.values[x].shape[3]))
    y = net.fully_connected("fc", x, 1000)
    net.output(net.rename(y, "logits"))
    return net


# The scaling study (results/speed.md, studies/bench_speed.py): MobileNetV1 at the
# paper's width multipliers and resolutions, ResNet-18 and ResNet-50, into workloads/scaling/.
SCALING_ALPHAS = (0.25, 0.5, 0.75, 1.0)
SCALING_RESOLUTIONS = (128, 160, 192, 224)


def scaling_nets():
    for alpha in SCALING_ALPHAS:
        for res in SCALING_RESOLUTIONS:
            yield lambda a=alpha, r=res: mobilenet_v1(f"mobilenet_v1_{int(a * 100):03d}_{r}", alpha=a,
                                                      resolution=r)
    yield lambda: resnet(18)
    yield lambda: resnet(50)


# Precision variants of MobileNetV1 (workloads/README.md states the same assignments).
# Weights are per-channel symmetric with zero point 0 and values in [-wmax, wmax] (weight_limit);
# activations stay int8.

def mobilenet_q4():
    """4-bit weights ([-7, 7]) in every depthwise and pointwise layer; conv0 and fc at 8 bits."""
    return mobilenet_v1("mobilenet_q4", lambda layer: 8 if layer in ("conv0", "fc") else 4)


def mobilenet_w16():
    """16-bit weights ([-32767, 32767], stored as 2 bytes) in every layer."""
    return mobilenet_v1("mobilenet_w16", lambda layer: 16)


# HAQ-style (Wang et al., CVPR 2019) mixed precision: conv0, fc and the depthwise layers (few
# weights, accuracy-sensitive) at 8 bits; pointwise layers from 6 down to 2 bits, lower where
# the layers are later and larger (pw12, pw13 hold 1.5 M of the 3.2 M weights).
MIXED_PW_BITS = {1: 6, 2: 6, 3: 5, 4: 5, 5: 4, 6: 4, 7: 4, 8: 4, 9: 3, 10: 3, 11: 3, 12: 3, 13: 2}


def mixed_bits(layer):
    return MIXED_PW_BITS[int(layer[2:])] if layer.startswith("pw") else 8


def mobilenet_mixed():
    return mobilenet_v1("mobilenet_mixed", mixed_bits)


def tiny_conv():
    """The one-conv example of docs/formats.md (output scale calibrated)."""
    net = Net("tiny_conv", 0)
    x = net.input("x", (1, 8, 8, 3), 0.05, 3)
    y = net.conv("conv1", x, 4, (3, 3), pads=(1, 1, 1, 1), activation="relu", out_zp=-5)
    net.output(net.rename(y, "y"))
    return net


def small_resnet():
    """Odd sizes (13x13), a residual add, both pools, depthwise, grouped + dilated conv, FC."""
    net = Net("small_resnet", 2000)
    x = net.input("x", (1, 13, 13, 8), 0.05, 3)
    a = net.conv("conv1", x, 16, (3, 3), pads=(1, 1, 1, 1), activation="relu")
    b = net.conv("conv2", a, 16, (3, 3), pads=(1, 1, 1, 1), activation="none", bias=False,
                 scale_kind="tensor")
    r = net.add("res", a, b, activation="relu")
    p = net.max_pool("maxpool", r, (3, 3), (2, 2), (1, 1, 1, 1))          # 13 -> 7
    d = net.conv("dw", p, 16, (3, 3), (2, 2), (1, 1, 1, 1), groups=16)    # 7 -> 4, relu6
    q = net.avg_pool("avgpool", d, (3, 3), (1, 1), (1, 1, 1, 1), 0.6)     # 4 -> 4
    g = net.conv("gconv", q, 32, (3, 3), pads=(2, 2, 2, 2), dilation=(2, 2), groups=2,
                 activation="relu", scale_kind="list")
    z = net.global_avg_pool("gap", g)
    f = net.reshape("flatten", z, (1, 32))
    y = net.fully_connected("fc", f, 10, scale_kind="tensor")
    net.output(net.rename(y, "logits"))
    return net


def small_mlp():
    """Three fully connected layers on M = 4 rows; one layer has a weight zero point."""
    net = Net("small_mlp", 3000)
    x = net.input("x", (4, 64), 0.02, -3)
    h = net.fully_connected("fc1", x, 48, activation="relu")
    h = net.fully_connected("fc2", h, 32, activation="relu6", scale_kind="tensor", w_zp=1)
    y = net.fully_connected("fc3", h, 10)
    net.output(net.rename(y, "y"))
    return net


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--out", default=os.path.join(root, "workloads"))
    parser.add_argument("--expected", help="also write the networks' outputs as .npy here")
    parser.add_argument("--scaling", action="store_true",
                        help="write the scaling-study networks (MobileNetV1 widths x resolutions, "
                             "ResNet-18/50) into OUT/scaling/ instead")
    args = parser.parse_args()
    builds = (tiny_conv, small_resnet, small_mlp, mobilenet_v1, mobilenet_q4, mobilenet_w16,
              mobilenet_mixed)
    if args.scaling:
        args.out = os.path.join(args.out, "scaling")
        builds = tuple(scaling_nets())
    os.makedirs(args.out, exist_ok=True)
    for build in builds:
        net = build()
        path = os.path.join(args.out, f"{net.name}.json")
        with open(path, "w") as f:
            f.write(net.to_json())
        net.print_stats()
        if args.expected:
            os.makedirs(os.path.join(args.expected, net.name), exist_ok=True)
            for name in net.outputs:
                np.save(os.path.join(args.expected, net.name, f"{name}.npy"),
                        net.values[name].astype(np.int32))


if __name__ == "__main__":
    main()
