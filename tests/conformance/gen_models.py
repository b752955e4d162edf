"""Random quantized ONNX models for npusim's conformance check against ONNX Runtime.

Run with Debian's python3 (/usr/bin/python3: python3-onnx, python3-numpy).

    from gen_models import generate
    case = generate(seed)   # Case(name, model, inputs, kind, stats, edges, int_ops, refusal)
    case = generate(seed, ("int",))

Each seed gives one model, in one of three forms:
  - QOperator: QLinearConv, QLinearMatMul, com.microsoft QLinearAdd / QLinearGlobalAveragePool,
    MaxPool, Flatten;
  - QDQ: DequantizeLinear -> Conv / MatMul / Gemm / Add / GlobalAveragePool / MaxPool
    (-> Relu / Clip) -> QuantizeLinear, which ONNX Runtime folds into its integer kernels;
  - int (only when asked for, generate_int): ConvInteger and MatMulInteger with int32 outputs,
    alone or after MaxPool / QLinearConv, and models npusim must refuse ("refuse_*").
(AveragePool is left out: npusim refuses it, see docs/onnx.md.)
QOperator and QDQ models are single ops or chains of them, uint8 or int8 activations (uint8 or
int8 weights), per-tensor or per-channel weight scales, with or without bias. Scales are picked in
three regimes: powers of two (the requantization multiplier is 2^-k, so about one output in 2^k is
an exact rounding tie), output scales much smaller than the accumulator's spread (saturation at
both ends), and calibrated (values spread over the range). Graph inputs and outputs are quantized
tensors, or on about 3 in 10 models float32 ones behind a QuantizeLinear / DequantizeLinear
("_float" models; int models: 1 in 5, the input only).
"""

import collections

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
NP_TYPE = {TensorProto.UINT8: np.uint8, TensorProto.INT8: np.int8}
NP_ELEM = {np.dtype(np.uint8): TensorProto.UINT8, np.dtype(np.int8): TensorProto.INT8}
# inputs: {ONNX input name: NCHW array}; edges: {float output name: (quantized name, scale, zp)}
# for models with float edges (else empty).
# int_ops: the ConvInteger / MatMulInteger nodes that read the graph input, for run.py's numpy
# check (kind "conv" or "matmul", x Value, w, w zero point, attrs with resolved pads, y Value);
# refusal: for a model npusim must refuse (ONNX Runtime runs it), a text its error must contain.
Case = collections.namedtuple("Case", "name model inputs kind stats edges int_ops refusal",
                              defaults=((), None))


def qrange(elem):
    return (0, 255) if elem == TensorProto.UINT8 else (-128, 127)


class Value:
    """A quantized activation: ONNX name, shape, scale, zero point, element type."""

    def __init__(self, name, shape, scale, zp, elem):
        self.name, self.shape, self.elem = name, list(shape), elem
        self.scale, self.zp = np.float32(scale), int(zp)


class Builder:
    def __init__(self, rng, elem, qdq):
        self.rng, self.elem, self.qdq = rng, elem, qdq
        self.nodes, self.inits, self.count = [], [], 0
        self.stats = []  # (acc float32 values before rounding, y zero point, type) of single-op models
        self.int_ops = []  # ConvInteger / MatMulInteger nodes, as Case.int_ops
        self.zp_forms = {}  # activation name -> how ConvInteger / MatMulInteger state its zero point

    def fresh(self, prefix):
        self.count += 1
        return "%s%d" % (prefix, self.count)

    def const(self, prefix, array):
        name = self.fresh(prefix)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, outputs, domain="", **attrs):
        name = self.fresh(op.lower() + "_")
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, domain=domain, **attrs))

    def qparams(self, scale, zp, elem):
        s = self.const("s", np.array(scale, dtype=np.float32))
        return s, self.const("z", np.array(zp, dtype=NP_TYPE[elem]))

    def dequantize(self, v):
        """QDQ form: a float tensor for activation v."""
        s, z = self.qparams(v.scale, v.zp, v.elem)
        out = self.fresh("f")
        self.node("DequantizeLinear", [v.name, s, z], [out])
        return out

    def quantize(self, float_name, shape, scale, zp, elem=None):
        elem = self.elem if elem is None else elem
        s, z = self.qparams(scale, zp, elem)
        out = self.fresh("q")
        self.node("QuantizeLinear", [float_name, s, z], [out])
        return Value(out, shape, scale, zp, elem)

    def const_dequantized(self, q, scale, zp, axis=None):
        """QDQ form: DequantizeLinear of a constant integer tensor (weights, int32 bias)."""
        qn = self.const("w", q)
        s = self.const("s", np.asarray(scale, dtype=np.float32))
        z = self.const("z", np.asarray(zp, dtype=q.dtype))
        out = self.fresh("f")
        attrs = {} if axis is None else {"axis": axis}
        self.node("DequantizeLinear", [qn, s, z], [out], **attrs)
        return out

    def const_dequantized_per(self, q, scales, zp, per_channel, axis):
        """const_dequantized with one scale and zero point per channel along `axis`, or else the first
        scale and one zero point for the whole tensor."""
        if per_channel:
            return self.const_dequantized(q, scales, np.full(len(scales), zp, q.dtype), axis)
        return self.const_dequantized(q, scales[0], np.array(zp, q.dtype))

    # ---- scales ----

    def out_quant(self, spread, regime):
        """Output scale and zero point for a real-valued result of standard deviation `spread`."""
        lo, hi = qrange(self.elem)
        mid = (lo + hi + 1) // 2
        zp = int(np.clip(mid + self.rng.randint(-40, 41), lo, hi))
        if regime == "saturate":
            scale = spread / self.rng.uniform(20, 60)  # many values beyond both ends
        else:
            scale = spread / self.rng.uniform(30, 120) * 3
        if regime == "ties":
            scale = 2.0 ** np.round(np.log2(scale))
        return np.float32(scale), zp

    def weight_scales(self, count, regime):
        s = self.rng.uniform(0.002, 0.05, size=count).astype(np.float32)
        if regime == "ties":
            s = (2.0 ** np.round(np.log2(s))).astype(np.float32)
        return s

    # ---- ops ----

    def conv(self, x, out_ch, kernel, stride, dilation, pads, groups, w_elem, per_channel, bias, regime,
             act=None):
        c = x.shape[1]
        cg = c // groups
        w_lo, w_hi = qrange(w_elem)
        w = self.rng.randint(w_lo, w_hi + 1, size=(out_ch, cg, kernel[0], kernel[1])).astype(NP_TYPE[w_elem])
        w_zp = 0 if w_elem == TensorProto.INT8 else int(self.rng.randint(100, 156))
        w_scale = self.weight_scales(out_ch if per_channel else 1, regime)
        b = self.rng.randint(-20000, 20001, size=out_ch).astype(np.int32) if bias else None
        oh = (x.shape[2] + pads[0] + pads[2] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
        ow = (x.shape[3] + pads[1] + pads[3] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
        k_elems = cg * kernel[0] * kernel[1]
        spread = float(np.float32(x.scale) * np.median(w_scale)) * 74.0 * np.sqrt(k_elems)
        y_scale, y_zp = self.out_quant(spread, regime)
        attrs = dict(kernel_shape=list(kernel), strides=list(stride), dilations=list(dilation),
                     pads=list(pads), group=groups)
        shape = [1, out_ch, oh, ow]
        if self.qdq:
            fx = self.dequantize(x)
            fw = self.const_dequantized_per(w, w_scale, w_zp, per_channel, 0)
            ins = [fx, fw]
            if bias:
                bias_scale = (np.float32(x.scale) * w_scale).astype(np.float32)
                ins.append(self.const_dequantized_per(b, bias_scale, 0, per_channel, 0))
            fy = self.fresh("f")
            self.node("Conv", ins, [fy], **attrs)
            fy = self.activation(fy, act)
            y = self.quantize(fy, shape, y_scale, y_zp)
        else:
            sx, zx = self.qparams(x.scale, x.zp, x.elem)
            sw = self.const("s", w_scale if per_channel else w_scale[0])
            zw = self.const("z", np.array(w_zp, dtype=w.dtype))
            sy, zy = self.qparams(y_scale, y_zp, self.elem)
            ins = [x.name, sx, zx, self.const("w", w), sw, zw, sy, zy]
            if bias:
                ins.append(self.const("b", b))
            y = Value(self.fresh("q"), shape, y_scale, y_zp, self.elem)
            self.node("QLinearConv", ins, [y.name], **attrs)
        self.stats.append(("conv", x, w, w_zp, w_scale, b, attrs, y))
        return y

    def activation(self, fy, act):
        if act is None:
            return fy
        out = self.fresh("f")
        if act == "relu":
            self.node("Relu", [fy], [out])
        else:
            lo, hi = act
            lo_name = self.const("c", np.array(lo, np.float32))
            self.node("Clip", [fy, lo_name, self.const("c", np.array(hi, np.float32))], [out])
        return out

    def matmul(self, x, cols, w_elem, per_channel, regime, gemm=False, bias=False, act=None):
        k = x.shape[1]
        w_lo, w_hi = qrange(w_elem)
        w = self.rng.randint(w_lo, w_hi + 1, size=(k, cols)).astype(NP_TYPE[w_elem])
        w_zp = 0 if w_elem == TensorProto.INT8 else int(self.rng.randint(100, 156))
        w_scale = self.weight_scales(cols if per_channel else 1, regime)
        spread = float(np.float32(x.scale) * np.median(w_scale)) * 74.0 * np.sqrt(k)
        y_scale, y_zp = self.out_quant(spread, regime)
        shape = [x.shape[0], cols]
        b = self.rng.randint(-20000, 20001, size=cols).astype(np.int32) if bias else None
        if self.qdq:
            wz = np.full(cols, w_zp, w.dtype) if per_channel else np.array(w_zp, w.dtype)
            ws = w_scale if per_channel else w_scale[0]
            fy = self.fresh("f")
            if gemm:
                # Gemm with transB: B stored [N, K], its per-channel axis is 0.
                fw = self.const_dequantized(np.ascontiguousarray(w.T), ws, wz, 0 if per_channel else None)
                ins = [self.dequantize(x), fw]
                if bias:
                    bs = (np.float32(x.scale) * w_scale).astype(np.float32)
                    ins.append(self.const_dequantized_per(b, bs, 0, per_channel, 0))
                self.node("Gemm", ins, [fy], transB=1)
            else:
                fw = self.const_dequantized(w, ws, wz, 1 if per_channel else None)
                self.node("MatMul", [self.dequantize(x), fw], [fy])
            y = self.quantize(self.activation(fy, act), shape, y_scale, y_zp)
        else:
            sx, zx = self.qparams(x.scale, x.zp, x.elem)
            sw = self.const("s", w_scale if per_channel else w_scale[0])
            zw = self.const("z", np.full(cols, w_zp, w.dtype) if per_channel
                            else np.array(w_zp, dtype=w.dtype))
            sy, zy = self.qparams(y_scale, y_zp, self.elem)
            y = Value(self.fresh("q"), shape, y_scale, y_zp, self.elem)
            self.node("QLinearMatMul", [x.name, sx, zx, self.const("w", w), sw, zw, sy, zy], [y.name])
        self.stats.append(("matmul", x, w, w_zp, w_scale, b, {}, y))
        return y

    def add(self, a, b, regime, act=None):
        spread = float(max(a.scale, b.scale)) * 100.0
        y_scale, y_zp = self.out_quant(spread, regime)
        if act is not None:
            # Only a Relu / Clip that ONNX Runtime removes lets it fuse a QLinearAdd (else it adds in
            # float and the importer refuses the group): zero point at qmin, and for Clip(0, 6) a
            # real range [0, 255 * scale] inside [0, 6].
            y_zp = qrange(self.elem)[0]
            if act != "relu":
                y_scale = np.float32(min(float(y_scale), 6.0 / 255.0))
                if regime == "ties":
                    y_scale = np.float32(2.0 ** np.floor(np.log2(float(y_scale))))
        if self.qdq:
            fy = self.fresh("f")
            self.node("Add", [self.dequantize(a), self.dequantize(b)], [fy])
            return self.quantize(self.activation(fy, act), a.shape, y_scale, y_zp)
        sa, za = self.qparams(a.scale, a.zp, a.elem)
        sb, zb = self.qparams(b.scale, b.zp, b.elem)
        sy, zy = self.qparams(y_scale, y_zp, self.elem)
        y = Value(self.fresh("q"), a.shape, y_scale, y_zp, self.elem)
        self.node("QLinearAdd", [a.name, sa, za, b.name, sb, zb, sy, zy], [y.name], domain="com.microsoft")
        return y

    def global_avg_pool(self, x, regime):
        y_scale, y_zp = self.out_quant(float(x.scale) * 40.0, regime)
        shape = [1, x.shape[1], 1, 1]
        if self.qdq:
            fy = self.fresh("f")
            self.node("GlobalAveragePool", [self.dequantize(x)], [fy])
            return self.quantize(fy, shape, y_scale, y_zp)
        sx, zx = self.qparams(x.scale, x.zp, x.elem)
        sy, zy = self.qparams(y_scale, y_zp, self.elem)
        y = Value(self.fresh("q"), shape, y_scale, y_zp, self.elem)
        self.node("QLinearGlobalAveragePool", [x.name, sx, zx, sy, zy], [y.name], domain="com.microsoft",
                  channels_last=0)
        return y

    def max_pool(self, x, kernel, stride, pads):
        oh = (x.shape[2] + pads[0] + pads[2] - kernel[0]) // stride[0] + 1
        ow = (x.shape[3] + pads[1] + pads[3] - kernel[1]) // stride[1] + 1
        shape = [1, x.shape[1], oh, ow]
        attrs = dict(kernel_shape=list(kernel), strides=list(stride), pads=list(pads))
        if self.qdq:
            fy = self.fresh("f")
            self.node("MaxPool", [self.dequantize(x)], [fy], **attrs)
            return self.quantize(fy, shape, x.scale, x.zp, x.elem)
        y = Value(self.fresh("q"), shape, x.scale, x.zp, x.elem)
        self.node("MaxPool", [x.name], [y.name], **attrs)
        return y

    def flatten(self, x):
        y = Value(self.fresh("q"), [1, int(np.prod(x.shape[1:]))], x.scale, x.zp, x.elem)
        self.node("Flatten", [x.name], [y.name], axis=1)
        return y

    # ---- ConvInteger / MatMulInteger (the int form) ----

    def zero_point(self, zp, elem, form, count=1):
        """Input name of a constant zero point `zp` of type `elem` stated as `form`: "none" (the
        input left out, which ONNX reads as 0), "scalar", "[1]", or "column" (`count` equal values)."""
        if form == "none":
            return ""
        a = np.array(zp, NP_TYPE[elem])
        forms = {"scalar": a, "[1]": a.reshape(1), "column": np.full(count, zp, a.dtype)}
        return self.const("z", forms[form])

    def integer_op(self, op, x, w, w_zp_name, attrs, shape):
        """An int32 accumulator output of `op` (ConvInteger or MatMulInteger) on activation x."""
        w_name = self.const("w", w)
        ins = [x.name, w_name, self.zero_point(x.zp, x.elem, self.zp_forms.get(x.name, "scalar")), w_zp_name]
        while ins[-1] == "":
            ins.pop()
        y = Value(self.fresh("y"), shape, 1.0, 0, TensorProto.INT32)
        self.node(op, ins, [y.name], **attrs)
        return y

    def conv_integer(self, x, w, w_zp, w_zp_form, stride, dilation, pads, groups, auto_pad=None):
        kernel = list(w.shape[2:])
        pads = same_pads(x.shape[2:], kernel, stride, dilation, auto_pad) if auto_pad else list(pads)
        oh = (x.shape[2] + pads[0] + pads[2] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
        ow = (x.shape[3] + pads[1] + pads[3] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
        attrs = dict(kernel_shape=kernel, strides=list(stride), dilations=list(dilation), group=groups)
        if auto_pad:
            attrs["auto_pad"] = auto_pad
        else:
            attrs["pads"] = pads
        y = self.integer_op("ConvInteger", x, w, self.zero_point(w_zp, NP_ELEM[w.dtype], w_zp_form), attrs,
                            [x.shape[0], w.shape[0], oh, ow])
        self.int_ops.append(("conv", x, w, w_zp, dict(attrs, pads=pads), y))
        return y

    def matmul_integer(self, x, w, w_zp, w_zp_form):
        w_zp_name = self.zero_point(w_zp, NP_ELEM[w.dtype], w_zp_form, w.shape[1])
        y = self.integer_op("MatMulInteger", x, w, w_zp_name, {}, x.shape[:-1] + [w.shape[1]])
        self.int_ops.append(("matmul", x, w, w_zp, {}, y))
        return y

    def model(self, inputs, outputs, name):
        g = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info(v.name, v.elem, v.shape) for v in inputs],
            [helper.make_tensor_value_info(v.name, v.elem, v.shape) for v in outputs],
            initializer=self.inits)
        opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
        m = helper.make_model(g, opset_imports=opsets, producer_name="npusim-conformance")
        m.ir_version = 8
        return m


# ---- random configurations ----

def window(rng, size, max_kernel=3, dilate=True):
    """Random kernel, stride, dilation and asymmetric pads (each pad < dilated kernel) for an input
    of `size`."""
    k = [int(rng.randint(1, max_kernel + 1)) for _ in range(2)]
    s = [int(rng.randint(1, 3)) for _ in range(2)]
    d = [int(rng.randint(1, 3)) if dilate and k[i] > 1 else 1 for i in range(2)]
    eff = [d[i] * (k[i] - 1) + 1 for i in range(2)]
    for i in range(2):
        while eff[i] > size[i]:
            d[i], k[i] = 1, max(1, k[i] - 1)
            eff[i] = k[i]
    pads = [int(rng.randint(0, eff[i % 2])) for i in range(4)]
    return k, s, d, pads


def random_input(rng, b, shape):
    lo, hi = qrange(b.elem)
    scale = np.float32(2.0 ** -rng.randint(4, 8)) if rng.rand() < 0.5 else np.float32(rng.uniform(0.005, 0.1))
    zp = int(rng.randint(lo + 20, hi - 19))
    v = Value("x", shape, scale, zp, b.elem)
    data = rng.randint(lo, hi + 1, size=shape).astype(NP_TYPE[b.elem])
    return v, data


def pick_weight_type(rng, elem):
    # ONNX Runtime's integer kernels take uint8 activations with uint8 or int8 weights, int8 with int8.
    if elem == TensorProto.INT8:
        return TensorProto.INT8
    return TensorProto.UINT8 if rng.rand() < 0.4 else TensorProto.INT8


def random_conv(rng, b, x, regime, act=None):
    c = x.shape[1]
    kind = rng.choice(["dense", "depthwise", "group"])
    if kind == "depthwise":
        groups, out_ch = c, c * int(rng.choice([1, 1, 2]))
    elif kind == "group" and c % 2 == 0:
        groups = int(rng.choice([g for g in (2, 3, 4) if c % g == 0] or [1]))
        out_ch = groups * int(rng.randint(1, 4))
    else:
        groups, out_ch = 1, int(rng.randint(1, 20))
    k, s, d, pads = window(rng, x.shape[2:])
    return b.conv(x, out_ch, k, s, d, pads, groups, pick_weight_type(rng, b.elem), rng.rand() < 0.6,
                  rng.rand() < 0.7, regime, act)


def random_act(rng, b):
    """QDQ form: an activation between the op and QuantizeLinear that the IR's clamp can express."""
    if not b.qdq or rng.rand() < 0.6:
        return None
    return "relu" if rng.rand() < 0.5 else (0.0, 6.0)


def pools(rng, b, x, regime):
    # AveragePool / QLinearAveragePool are left out: ONNX Runtime averages in float32, which npusim's
    # avg_pool does not reproduce at ties, so the importer refuses them (docs/onnx.md).
    k, s, _, pads = window(rng, x.shape[2:], dilate=False)
    return b.max_pool(x, k, s, pads)


def generate(seed, forms=("qop", "qdq"), with_add=True, float_edges=True):
    """The model of `seed`; `forms` limits it to the QOperator ("qop"), QDQ ("qdq") or int
    (ConvInteger / MatMulInteger, generate_int) forms. With "int" and others, a stream of the
    seed's own picks the int form for 1 in len(forms) seeds; the other seeds give the model they
    give without "int".
    QLinearAdd / QDQ Add models (standalone and as the residual add of a chain) unless `with_add`
    is false; without them the seeds give the models of the runs before add was matched. With
    `float_edges`, about 3 in 10 models take a float32 input and give float32 outputs
    (QuantizeLinear / DequantizeLinear at the edges, docs/onnx.md "Float edges")."""
    if "int" in forms:
        others = tuple(f for f in forms if f != "int")
        if not others or np.random.RandomState([seed, INT_STREAM, 0]).rand() < 1 / len(forms):
            return generate_int(seed, float_edges)
        forms = others
    rng = np.random.RandomState(seed)
    elem = TensorProto.UINT8 if rng.rand() < 0.5 else TensorProto.INT8
    qdq = rng.rand() < 0.4 if len(forms) == 2 else forms[0] == "qdq"
    b = Builder(rng, elem, qdq)
    regime = str(rng.choice(["ties", "saturate", "calibrated"]))
    kind = str(rng.choice(["conv", "conv", "conv", "matmul", "add", "pool", "chain", "chain"]))
    if kind == "add" and not with_add:
        kind = "conv"
    if kind == "matmul":
        m, k = int(rng.randint(1, 5)), int(rng.randint(1, 70))
        x, data = random_input(rng, b, [m, k])
        gemm = qdq and rng.rand() < 0.5
        y = b.matmul(x, int(rng.randint(1, 40)), pick_weight_type(rng, elem), rng.rand() < 0.5, regime,
                     gemm=gemm, bias=gemm and rng.rand() < 0.7, act=random_act(rng, b))
        outs = [y]
        kind = "gemm" if gemm else kind
    else:
        shape = [1, int(rng.randint(1, 17)), int(rng.randint(1, 13)), int(rng.randint(1, 13))]
        x, data = random_input(rng, b, shape)
        if kind == "conv":
            outs = [random_conv(rng, b, x, regime, random_act(rng, b))]
        elif kind == "add":
            x2 = b.max_pool(x, [1, 1], [1, 1], [0, 0, 0, 0]) if rng.rand() < 0.3 else x
            outs = [b.add(x, x2, regime, random_act(rng, b))]
        elif kind == "pool":
            outs = [pools(rng, b, x, regime), b.global_avg_pool(x, regime)]
        else:
            outs = [chain(rng, b, x, regime, with_add)]
    elem_tag = "u8" if elem == TensorProto.UINT8 else "i8"
    name = "m%05d_%s_%s_%s_%s" % (seed, "qdq" if qdq else "qop", kind, elem_tag, regime)
    # Float edges (as ONNX Runtime's quantizer writes models) on some models, decided by a random
    # stream of their own so that every seed keeps the model it gave before they existed.
    edges = {}
    if float_edges and np.random.RandomState(seed + 1000003).rand() < 0.3:
        x, data, outs, edges = add_float_edges(np.random.RandomState(seed + 2000003), b, x, data, outs)
        name += "_float"
    model = b.model([x], outs, name)
    onnx.checker.check_model(model)
    stats = b.stats if kind in ("conv", "matmul", "gemm") and not edges else []
    return Case(name, model, {x.name: data}, kind, stats, edges)


def add_float_edges(rng, b, x, data, outs):
    """A float32 input "x_real" quantized into x by a QuantizeLinear (put first), and a float output
    per output made by a DequantizeLinear."""
    x_real, real = add_float_input(rng, b, x, data)
    edges, real_outs = {}, []
    for y in outs:
        ys, yz = b.qparams(y.scale, y.zp, y.elem)
        b.node("DequantizeLinear", [y.name, ys, yz], [y.name + "_real"])
        edges[y.name + "_real"] = (y.name, float(y.scale), y.zp)
        real_outs.append(Value(y.name + "_real", y.shape, y.scale, y.zp, TensorProto.FLOAT))
    return x_real, real, real_outs, edges


def add_float_input(rng, b, x, data, zp=None):
    """A float32 input "x_real" quantized into x by a QuantizeLinear (put first), with x's zero
    point unless `zp` is given. The real input values hit every code of x's range, exact ties
    between two codes (which QuantizeLinear rounds to even) and values beyond both ends."""
    s, z = b.qparams(x.scale, x.zp if zp is None else zp, x.elem)
    b.nodes.insert(0, helper.make_node("QuantizeLinear", ["x_real", s, z], [x.name],
                                       name=b.fresh("quantizelinear_")))
    lo, hi = qrange(x.elem)
    offset = rng.choice([0.0, 0.5, -0.5, 0.3, -0.2], size=data.shape).astype(np.float32)
    real = ((data.astype(np.float32) - np.float32(x.zp) + offset) * x.scale).astype(np.float32)
    wide = rng.rand(*data.shape) < 0.05  # beyond the range: saturation
    real[wide] = (np.float32(rng.choice([lo - 30, hi + 30])) - np.float32(x.zp)) * x.scale
    return Value("x_real", x.shape, x.scale, x.zp, TensorProto.FLOAT), real


def chain(rng, b, x, regime, with_add):
    """conv -> pool -> depthwise conv [-> residual add] -> global pool -> flatten -> matmul."""
    y = random_conv(rng, b, x, regime, random_act(rng, b))
    y = pools(rng, b, y, regime)
    c = y.shape[1]
    dw = b.conv(y, c, [3, 3], [1, 1], [1, 1], [1, 1, 1, 1], c, pick_weight_type(rng, b.elem), True, True,
                regime, random_act(rng, b))
    y = b.add(y, dw, regime, random_act(rng, b)) if with_add else dw
    if rng.rand() < 0.5:
        return y
    g = b.flatten(b.global_avg_pool(y, regime))
    return b.matmul(g, int(rng.randint(1, 12)), pick_weight_type(rng, b.elem), rng.rand() < 0.5, regime)


# ---- the int form: ConvInteger and MatMulInteger, int32 accumulator outputs ----
#
# Left out, because ONNX Runtime (1.30, CPU) refuses them at run time and there is nothing to
# compare: a ConvInteger w_zero_point of more than one value, even equal ones ("Non per-tensor
# quantization is not supported now"; npusim collapses equal ones and accepts the model), and a
# per-row MatMulInteger a_zero_point (npusim refuses it too). Left out because the model needs a
# second graph input, which run.py does not feed: a MatMulInteger whose B is not a constant
# (npusim refuses it: B must be a constant initializer). What npusim refuses and ONNX Runtime
# runs is generated as "refuse_*" models, which run.py checks npusim refuses with the reason.

INT_STREAM = 3  # the int form's seed N draws from RandomState([N, 3]), not qop/qdq's RandomState(N)
# Kinds and their shares in percent: 85 compared with ONNX Runtime, 15 refused by npusim.
INT_KINDS = {"conv": 40, "matmul": 20, "wrap": 5, "pool_conv": 5, "qconv_conv": 5, "qconv_matmul": 5,
             "fanout": 5, "refuse_column_zp": 2.5, "refuse_int32_read": 2.5, "refuse_zp_conflict": 2.5,
             "refuse_batched": 2.5, "refuse_image": 2.5, "refuse_pad": 2.5}
# What npusim's error names for each refused kind.
REFUSALS = {
    "refuse_column_zp": "per-channel weight zero points are not supported",
    "refuse_int32_read": "is the int32 output of a ConvInteger / MatMulInteger",
    "refuse_zp_conflict": "has zero point",
    "refuse_batched": "batched matmul is not supported",
    "refuse_image": "expected [1, C, H, W]",
    "refuse_pad": "is not smaller than the (dilated) kernel extent",
}


def same_pads(size, kernel, stride, dilation, auto_pad):
    """[top, left, bottom, right] pads of ONNX's auto_pad: SAME_* gives ceil(in / stride) outputs,
    the odd pad at the end (UPPER) or the start (LOWER); VALID none."""
    pads = [0, 0, 0, 0]
    if auto_pad == "VALID":
        return pads
    for i in range(2):
        out = -(-size[i] // stride[i])
        total = max(0, (out - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 - size[i])
        pads[i] = total // 2 if auto_pad == "SAME_UPPER" else total - total // 2
        pads[i + 2] = total - pads[i]
    return pads


def int_zero_point(rng, elem, extreme):
    """(zero point, how it is stated): absent (0), a scalar or a [1] tensor; at an end of the
    range when `extreme`."""
    form = str(rng.choice(["none", "scalar", "scalar", "[1]"]))
    if form == "none":
        return 0, form
    lo, hi = qrange(elem)
    return (int(rng.choice([lo, hi])) if extreme else int(rng.randint(lo, hi + 1))), form


def int_operand(rng, elem, shape, zp, extreme):
    """Uniform values, or with `extreme` 9 in 10 at the end of the range farthest from the zero
    point, so that every product (x - x_zp) * (w - w_zp) has the same sign and up to 255 * 255 in
    size, and the sums are large."""
    lo, hi = qrange(elem)
    v = rng.randint(lo, hi + 1, size=shape)
    if extreme:
        far = hi if zp - lo <= hi - zp else lo
        v = np.where(rng.rand(*shape) < 0.9, far, v)
    return v.astype(NP_TYPE[elem])


def int_weights(rng, shape, extreme):
    """uint8 or int8 weights (ONNX Runtime takes either with either activation type) and their
    zero point."""
    elem = TensorProto.UINT8 if rng.rand() < 0.5 else TensorProto.INT8
    zp, form = int_zero_point(rng, elem, extreme)
    return int_operand(rng, elem, shape, zp, extreme), zp, form


def int_input(rng, b, shape, extreme):
    """Graph input x of the builder's type, its zero point stated as int_zero_point draws it (the
    same for every int op that reads x), a real scale for the QLinearConv / QuantizeLinear that
    may also quantize it."""
    zp, form = int_zero_point(rng, b.elem, extreme)
    scale = np.float32(2.0 ** -rng.randint(4, 8)) if rng.rand() < 0.5 else np.float32(rng.uniform(0.005, 0.1))
    x = Value("x", shape, scale, zp, b.elem)
    b.zp_forms[x.name] = form
    return x, int_operand(rng, b.elem, shape, zp, extreme)


def random_conv_integer(rng, b, x, extreme):
    """Dense, grouped or depthwise (channel multiplier 1-3) ConvInteger, kernels up to 5x5,
    strides and dilations 1-2, asymmetric pads or (1 in 6) an auto_pad (SAME_* undilated)."""
    c = x.shape[1]
    kind = str(rng.choice(["dense", "dense", "depthwise", "group"]))
    divisors = [g for g in (2, 3, 4, 8) if c % g == 0 and g < c]
    if kind == "depthwise":
        groups, out_ch = c, c * int(rng.choice([1, 1, 2, 3]))
    elif kind == "group" and divisors:
        groups = int(rng.choice(divisors))
        out_ch = groups * int(rng.randint(1, 5))
    else:
        groups, out_ch = 1, int(rng.randint(1, 25))
    k, s, d, pads = window(rng, x.shape[2:], max_kernel=5)
    auto_pad = str(rng.choice(["SAME_UPPER", "SAME_LOWER", "VALID"])) if rng.rand() < 1 / 6 else None
    if auto_pad and auto_pad != "VALID":
        d = [1, 1]  # ONNX Runtime: "Dilation not supported for AutoPadType::SAME_UPPER or SAME_LOWER"
    w, w_zp, w_form = int_weights(rng, (out_ch, c // groups, k[0], k[1]), extreme)
    return b.conv_integer(x, w, w_zp, w_form, s, d, pads, groups, auto_pad)


def random_matmul_integer(rng, b, x, cols, extreme):
    """MatMulInteger; 1 in 4 state the B zero point once per column (equal values, which ONNX
    Runtime and npusim both accept)."""
    w, w_zp, w_form = int_weights(rng, (x.shape[-1], cols), extreme)
    if w_form != "none" and rng.rand() < 0.25:
        w_form = "column"
    return b.matmul_integer(x, w, w_zp, w_form)


def int_image_shape(rng):
    """[1, C, H, W]: C mostly up to 8, sometimes up to 64 (sums of up to 64 * 25 products)."""
    c = int(rng.choice([rng.randint(1, 9), rng.randint(9, 33), rng.randint(33, 65)], p=[0.5, 0.35, 0.15]))
    return [1, c, int(rng.randint(1, 15)), int(rng.randint(1, 15))]


def int_matmul_k(rng):
    """K: up to 300 mostly, else up to 2100 (extreme sums beyond 2^24, where float32 loses bits)."""
    return int(rng.randint(1, 301)) if rng.rand() < 0.6 else int(rng.randint(300, 2101))


def generate_int(seed, float_edges=True):
    """The int-form model of `seed`: ConvInteger / MatMulInteger models (kinds in INT_KINDS),
    uint8 or int8 activations, drawn from a random stream of their own."""
    rng = np.random.RandomState([seed, INT_STREAM])
    elem = TensorProto.UINT8 if rng.rand() < 0.5 else TensorProto.INT8
    b = Builder(rng, elem, False)
    kind = str(rng.choice(list(INT_KINDS), p=np.array(list(INT_KINDS.values())) / 100))
    extreme = kind == "wrap" or (not kind.startswith("refuse_") and rng.rand() < 0.5)
    regime = "wrap" if kind == "wrap" else "extreme" if extreme else "uniform"
    float_input = float_edges and not kind.startswith("refuse_") and rng.rand() < 0.2
    if kind.startswith("refuse_"):
        x, data, outs = int_refusal(rng, b, kind)
    else:
        # wrap: K of 40000-90000 products at the ends of the ranges, sums beyond 2^31, which
        # ONNX Runtime's int32 arithmetic and npusim's 32-bit accumulator (wrap) both wrap.
        if kind == "wrap":
            shape = [int(rng.randint(1, 4)), int(rng.randint(40000, 90001))]
        else:
            shape = [int(rng.randint(1, 9)), int_matmul_k(rng)] if kind == "matmul" else int_image_shape(rng)
        x, data = int_input(rng, b, shape, extreme)
        if kind in ("matmul", "wrap"):
            cols = int(rng.randint(1, 5 if kind == "wrap" else 41))
            outs = [random_matmul_integer(rng, b, x, cols, extreme)]
        else:
            outs = int_chain(rng, b, x, kind, extreme)
    w_elem = NP_ELEM[b.int_ops[0][2].dtype] if b.int_ops else elem
    name = "m%05d_int_%s_%s%s_%s" % (seed, kind, "u8" if elem == TensorProto.UINT8 else "i8",
                                     "u8" if w_elem == TensorProto.UINT8 else "i8", regime)
    # The numpy check takes graph outputs of batch-1 images and of matrices read straight from
    # the graph input.
    out_names = [y.name for y in outs]
    int_ops = [op for op in b.int_ops
               if op[1].name == x.name and op[5].name in out_names and kind != "refuse_image"]
    if float_input:
        # Only the input: an int32 output has no DequantizeLinear npusim could take over.
        x, data = add_float_input(rng, b, x, data)
        name += "_float"
        int_ops = []
    model = b.model([x], outs, name)
    onnx.checker.check_model(model)
    return Case(name, model, {x.name: data}, kind, [], {}, int_ops, REFUSALS.get(kind))


def int_chain(rng, b, x, kind, extreme):
    """Outputs of kind conv (one ConvInteger), pool_conv (MaxPool -> ConvInteger), qconv_conv
    (QLinearConv -> ConvInteger), qconv_matmul (QLinearConv [-> MaxPool] [-> global pool] ->
    Flatten -> MatMulInteger) or fanout (x read by a ConvInteger, a QLinearConv and a MaxPool ->
    ConvInteger: npusim gives x the QLinearConv's scale and the zero point all three state)."""
    regime = "saturate" if extreme else "calibrated"  # saturated QLinearConv outputs: values at the ends
    if kind == "conv":
        return [random_conv_integer(rng, b, x, extreme)]
    if kind == "pool_conv":
        k, s, _, pads = window(rng, x.shape[2:], dilate=False)
        return [random_conv_integer(rng, b, b.max_pool(x, k, s, pads), extreme)]
    if kind == "qconv_conv":
        return [random_conv_integer(rng, b, random_conv(rng, b, x, regime), extreme)]
    if kind == "qconv_matmul":
        y = random_conv(rng, b, x, regime)
        if rng.rand() < 0.5:
            k, s, _, pads = window(rng, y.shape[2:], dilate=False)
            y = b.max_pool(y, k, s, pads)
        if y.shape[1] > 1 and y.shape[2:] != [1, 1]:
            y = b.global_avg_pool(y, regime)  # npusim's Flatten cannot reorder NHWC into NCHW order
        return [random_matmul_integer(rng, b, b.flatten(y), int(rng.randint(1, 17)), extreme)]
    assert kind == "fanout", kind
    k, s, _, pads = window(rng, x.shape[2:], dilate=False)
    return [random_conv_integer(rng, b, x, extreme), random_conv(rng, b, x, regime),
            random_conv_integer(rng, b, b.max_pool(x, k, s, pads), extreme)]


def int_refusal(rng, b, kind):
    """A model ONNX Runtime runs and npusim refuses (REFUSALS names the reason): (x, data, outputs)."""
    if kind == "refuse_column_zp":
        # MatMulInteger B zero point per column, unequal: the array has one weight zero point.
        x, data = int_input(rng, b, [int(rng.randint(1, 5)), int(rng.randint(1, 65))], False)
        cols = int(rng.randint(2, 17))
        w, _, _ = int_weights(rng, (x.shape[1], cols), False)
        lo, hi = qrange(NP_ELEM[w.dtype])
        zp = rng.randint(lo, hi + 1, size=cols)
        zp[1] = zp[0] + (1 if zp[0] < hi else -1)
        y = b.integer_op("MatMulInteger", x, w, b.const("z", zp.astype(w.dtype)), {}, [x.shape[0], cols])
        b.int_ops.append(("matmul", x, w, zp, {}, y))
        return x, data, [y]
    if kind == "refuse_int32_read":
        # A Flatten or Identity of the int32 output: npusim writes such a tensor only as a graph output.
        x, data = int_input(rng, b, int_image_shape(rng), False)
        y = random_conv_integer(rng, b, x, False)
        op = str(rng.choice(["Flatten", "Identity"]))
        shape = [1, int(np.prod(y.shape[1:]))] if op == "Flatten" else y.shape
        z = Value(b.fresh("y"), shape, 1.0, 0, TensorProto.INT32)
        b.node(op, [y.name], [z.name], **({"axis": 1} if op == "Flatten" else {}))
        return x, data, [z]
    if kind == "refuse_zp_conflict":
        # x read by a ConvInteger with one zero point and by a second ConvInteger, or written by
        # the QuantizeLinear of a float input, with another: an IR activation has one.
        x, data = int_input(rng, b, int_image_shape(rng), False)
        y = random_conv_integer(rng, b, x, False)
        other_zp = x.zp + (1 if x.zp < qrange(b.elem)[1] else -1)
        if rng.rand() < 0.5:
            x_real, real = add_float_input(rng, b, x, data, zp=other_zp)
            return x_real, real, [y]
        b.zp_forms[x.name] = "scalar"
        other = Value(x.name, x.shape, x.scale, other_zp, x.elem)
        return x, data, [y, random_conv_integer(rng, b, other, False)]
    if kind == "refuse_batched":
        # MatMulInteger of a rank-3 A (a batch of matrices).
        shape = [int(rng.randint(2, 4)), int(rng.randint(1, 5)), int(rng.randint(1, 33))]
        x, data = int_input(rng, b, shape, False)
        return x, data, [random_matmul_integer(rng, b, x, int(rng.randint(1, 9)), False)]
    if kind == "refuse_image":
        # Batch 2, or a 1-D ConvInteger ([1, C, W]): npusim's conv2d takes one [C, H, W] image.
        c, o = int(rng.randint(1, 9)), int(rng.randint(1, 9))
        w_size, k = int(rng.randint(3, 13)), int(rng.randint(1, 4))
        if rng.rand() < 0.5:
            x, data = int_input(rng, b, [2, c, int(rng.randint(3, 13)), w_size], False)
            w, w_zp, w_form = int_weights(rng, (o, c, k, k), False)
            return x, data, [b.conv_integer(x, w, w_zp, w_form, [1, 1], [1, 1], [0, 0, 0, 0], 1)]
        x, data = int_input(rng, b, [1, c, w_size], False)
        w, w_zp, w_form = int_weights(rng, (o, c, k), False)
        attrs = dict(kernel_shape=[k], strides=[1], dilations=[1], pads=[0, 0], group=1)
        w_zp_name = b.zero_point(w_zp, NP_ELEM[w.dtype], w_form)
        y = b.integer_op("ConvInteger", x, w, w_zp_name, attrs, [1, o, w_size - k + 1])
        return x, data, [y]
    assert kind == "refuse_pad", kind
    # A pad as large as the dilated kernel: ONNX Runtime gives border outputs of padding only.
    x, data = int_input(rng, b, int_image_shape(rng), False)
    k, s, d, pads = window(rng, x.shape[2:], max_kernel=3)
    side = int(rng.randint(0, 4))
    pads[side] = d[side % 2] * (k[side % 2] - 1) + 1 + int(rng.randint(0, 2))
    w, w_zp, w_form = int_weights(rng, (int(rng.randint(1, 9)), x.shape[1], k[0], k[1]), False)
    return x, data, [b.conv_integer(x, w, w_zp, w_form, s, d, pads, 1)]
