"""Shared parts of the AMC / HAQ examples: data, the CNN, int8 post-training quantization, a
bit-exact numpy integer reference of what npusim computes, the npusim net export, npusim's node
pruning and weight re-quantization mirrored in numpy, and the cost queries: npusim's Python module
in process (docs/python.md), or a `npusim serve` client.

Everything here follows docs/formats.md (the net format), ir/quant.h (requantization: ONNX
QLinearConv semantics, float32 multiplier float32(float32(x_s * w_s) / y_s), float32(acc) * m,
clamp, round half to even, + zero point), compiler/transforms/prune_nodes.cpp (which channels "keep"
keeps) and compiler/transforms/precision.cpp (how "weight_bits" re-quantizes).
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
SEED = 0
CONVS = ["conv1", "conv2", "conv3"]  # the prunable layers (fc's outputs are the logits)
LAYERS = CONVS + ["fc"]              # every layer with weights (HAQ's knobs)


def npusim_binary():
    """$NPUSIM, else build/npusim of this checkout, else npusim on PATH."""
    if os.environ.get("NPUSIM"):
        return os.environ["NPUSIM"]
    b = os.path.join(REPO, "build", "npusim")
    return b if os.path.exists(b) else "npusim"


# ----------------------------------------------------------------------------- data and model

def load_data():
    """sklearn's 8x8 digits (values 0..16), split 60/20/20 train/val/test, stratified, fixed seed.
    Returned as uint8 NHWC [N, 8, 8, 1] images (the quantized input: scale 1/16, zero point 0, so
    the integer IS the pixel) and int64 labels."""
    d = load_digits()
    x = d.images.astype(np.uint8)[..., None]
    y = d.target.astype(np.int64)
    x_tr, x_rest, y_tr, y_rest = train_test_split(x, y, test_size=0.4, random_state=SEED, stratify=y)
    x_va, x_te, y_va, y_te = train_test_split(x_rest, y_rest, test_size=0.5, random_state=SEED,
                                              stratify=y_rest)
    return (x_tr, y_tr), (x_va, y_va), (x_te, y_te)


INPUT_SCALE = 1.0 / 16.0


def to_torch(x_u8):
    """uint8 NHWC -> float NCHW in [0, 1] (exactly the dequantized input)."""
    return torch.from_numpy(x_u8.astype(np.float32) * INPUT_SCALE).permute(0, 3, 1, 2).contiguous()


class Net(nn.Module):
    """conv3x3(1->32) relu, conv3x3(32->64) relu, maxpool 2, conv3x3(64->128) relu, global average
    pool, fc(128->10). Global pooling before the FC lets npusim's node pruning shrink conv3 too
    (its channels reach the FC one to one)."""

    def __init__(self, c=(32, 64, 128)):
        super().__init__()
        self.conv1 = nn.Conv2d(1, c[0], 3, padding=1)
        self.conv2 = nn.Conv2d(c[0], c[1], 3, padding=1)
        self.conv3 = nn.Conv2d(c[1], c[2], 3, padding=1)
        self.fc = nn.Linear(c[2], 10)

    def forward(self, x, masks=None, taps=None):
        def m(name, t):
            if masks is not None and name in masks:
                t = t * masks[name].view(1, -1, 1, 1)
            if taps is not None:
                taps[name] = t
            return t
        x = m("conv1", F.relu(self.conv1(x)))
        x = m("conv2", F.relu(self.conv2(x)))
        x = F.max_pool2d(x, 2)
        x = m("conv3", F.relu(self.conv3(x)))
        x = x.mean(dim=(2, 3))
        if taps is not None:
            taps["gap"] = x
        x = self.fc(x)
        if taps is not None:
            taps["fc"] = x
        return x


def train(model, x_u8, y, epochs, masks=None, lr=3e-3, seed=SEED, log=None):
    torch.manual_seed(seed)
    xt, yt = to_torch(x_u8), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    g = torch.Generator().manual_seed(seed)
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=g)
        total = 0.0
        for i in range(0, len(xt), 32):
            idx = perm[i:i + 32]
            opt.zero_grad()
            loss = F.cross_entropy(model(xt[idx], masks), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        if log:
            log(f"  epoch {ep + 1:2d}/{epochs}: loss {total / len(xt):.4f}")
    model.eval()
    return model


def float_accuracy(model, x_u8, y, masks=None):
    with torch.no_grad():
        return float((model(to_torch(x_u8), masks).argmax(1).numpy() == y).mean())


# ----------------------------------------------------------------------------- quantization

f32 = np.float32


def quantize(model, x_calib, act_percentile=99.99, masks=None):
    """Post-training quantization. Weights: per output channel symmetric int8 (zero point 0,
    scale = max|w| / 127). Biases: int32 at scale x_scale * w_scale[c]. Activations: the input is
    uint8 (scale 1/16); post-ReLU tensors uint8 with zero point 0; the logits int8 symmetric;
    each activation scale from a high percentile of its values on the calibration images."""
    taps = {}
    with torch.no_grad():
        model(to_torch(x_calib), masks, taps=taps)
    q = {"x": {"scale": f32(INPUT_SCALE), "zp": 0, "bits": 8, "signed": False}}
    for name in CONVS + ["gap"]:
        v = taps[name].numpy()
        hi = float(np.percentile(v, act_percentile))
        q[name + "_out"] = {"scale": f32(max(hi, 1e-6) / 255.0), "zp": 0, "bits": 8, "signed": False}
    v = np.abs(taps["fc"].numpy())
    q["fc_out"] = {"scale": f32(float(v.max()) / 127.0), "zp": 0, "bits": 8, "signed": True}
    inputs = {"conv1": "x", "conv2": "conv1_out", "conv3": "conv2_out", "fc": "gap_out"}
    for name in LAYERS:
        layer = getattr(model, name)
        w = layer.weight.detach().numpy().astype(np.float64)
        if w.ndim == 4:
            w = w.transpose(0, 2, 3, 1)  # OIHW -> OHWI (docs/formats.md, NHWC layout)
        flat = w.reshape(w.shape[0], -1)
        ws = np.maximum(np.abs(flat).max(axis=1), 1e-12) / 127.0
        ws = ws.astype(f32)
        wq = np.clip(np.rint(flat / ws[:, None].astype(np.float64)), -127, 127)
        wq = wq.astype(np.int32).reshape(w.shape)
        xs = q[inputs[name]]["scale"]
        bs = (f32(xs) * ws).astype(np.float64)
        b = layer.bias.detach().numpy().astype(np.float64)
        bq = np.clip(np.rint(b / bs), -2**31, 2**31 - 1).astype(np.int64)
        q[name] = {"w": wq, "w_scale": ws, "bias": bq, "bits": 8, "input": inputs[name]}
    return q


def requant(acc, m, zp, lo, hi):
    """core::Requantize, kOnnxFloat: float32(acc) * m (float32), clamp to [lo - zp, hi - zp] in
    float, round half to even (np.rint on float32), + zp."""
    v = acc.astype(f32) * np.asarray(m, dtype=f32)
    v = np.minimum(np.maximum(v, f32(lo - zp)), f32(hi - zp))
    return (np.rint(v).astype(np.int64) + zp)


def onnx_multiplier(xs, ws, ys):
    """core::OnnxMultiplier: float32(float32(x_scale * w_scale) / y_scale)."""
    return (f32(xs) * np.asarray(ws, dtype=f32)) / f32(ys)


def _conv3x3_exact(x, w):
    """Integer 3x3 'same' conv (pads 1, padding value 0: x is already zero-point corrected), NHWC
    int64 x [N, H, W, C] with |x| <= 255, OHWI int w; returns int64 [N, H, W, O].

    Computed in float32 by torch's conv (oneDNN, direct algorithm), which is exact when every
    partial sum is an integer below 2^24 in magnitude, whatever the summation order: then each
    product and each addition is exact. That holds when 255 * sum|w| over a filter < 2^24; a
    layer whose weights could exceed it is split as w = 16 * hi + lo (lo in 0..15) into two exact
    convs. `int_forward(..., exact_check=True)` compares with a float64 im2col matmul."""
    xt = torch.from_numpy(x.astype(np.float32)).permute(0, 3, 1, 2)
    w = w.astype(np.int64)
    parts = [(1, w)]
    if 255 * np.abs(w.reshape(w.shape[0], -1)).sum(axis=1).max() >= 2**24:
        lo = np.mod(w, 16)
        parts = [(16, (w - lo) // 16), (1, lo)]
    out = 0
    with torch.no_grad():
        for mul, p in parts:
            wt = torch.from_numpy(p.astype(np.float32)).permute(0, 3, 1, 2).contiguous()
            y = F.conv2d(xt, wt, padding=1).permute(0, 2, 3, 1).numpy()
            out = out + mul * np.rint(y).astype(np.int64)
    return out


def _conv3x3_f64(x, w):
    """The same conv as a float64 im2col matmul (exact: |sums| < 2^53)."""
    n, h, ww, c = x.shape
    xp = np.zeros((n, h + 2, ww + 2, c), dtype=np.float64)
    xp[:, 1:1 + h, 1:1 + ww, :] = x
    cols = np.concatenate([xp[:, i:i + h, j:j + ww, :] for i in range(3) for j in range(3)], axis=-1)
    y = cols.reshape(n * h * ww, 9 * c) @ w.reshape(w.shape[0], -1).T.astype(np.float64)
    return np.rint(y).astype(np.int64).reshape(n, h, ww, -1)


def _mm(a, b):
    # float64 on integer-valued arrays is exact here: |sums| < 2^53 by far.
    return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)


def int_forward(q, x_u8, keep_idx=None, exact_check=False):
    """The int8 network exactly as npusim's reference executor computes it (ONNX QLinearConv
    semantics). x_u8: [N, 8, 8, 1] uint8. keep_idx: optional {layer: kept output channel indices}
    (node pruning: the removed channels are dropped from the layer and from its consumer's inputs).
    Returns the int8 logits [N, 10] as int64."""
    n = x_u8.shape[0]
    keep_idx = keep_idx or {}
    h = x_u8.astype(np.int64)
    prev_keep = None
    for name in CONVS:
        L = q[name]
        xq, yq = q[L["input"]], q[name + "_out"]
        w, ws, b = L["w"], L["w_scale"], L["bias"]
        if prev_keep is not None:
            w = w[..., prev_keep]
        k = keep_idx.get(name)
        if k is not None:
            w, ws, b = w[k], ws[k], b[k]
        o = w.shape[0]
        hh, ww = h.shape[1], h.shape[2]
        xc = h - xq["zp"]  # padding contributes the input zero point, i.e. 0 after the correction
        acc = _conv3x3_exact(xc, w)
        if exact_check:
            assert np.array_equal(acc, _conv3x3_f64(xc, w)), name
        acc = acc.reshape(-1, o) + b[None, :]
        m = onnx_multiplier(xq["scale"], ws, yq["scale"])
        lo, hi = yq["zp"], 255  # relu: clamp below at the output zero point (core::ActivationRange)
        h = requant(acc, m[None, :], yq["zp"], lo, hi).reshape(n, hh, ww, o)
        if name == "conv2":  # max_pool 2x2 stride 2 (same quantization in and out)
            h = h.reshape(n, hh // 2, 2, ww // 2, 2, o).max(axis=(2, 4))
        prev_keep = k
    # global_avg_pool: zero-point-corrected sum, multiplier float32(in_s / (out_s * count)) in double
    xq, yq = q["conv3_out"], q["gap_out"]
    count = h.shape[1] * h.shape[2]
    s = (h - xq["zp"]).sum(axis=(1, 2))
    m = f32(float(xq["scale"]) / (float(yq["scale"]) * count))
    g = requant(s, m, yq["zp"], 0, 255)
    L, yq = q["fc"], q["fc_out"]
    w = L["w"] if prev_keep is None else L["w"][:, prev_keep]
    acc = _mm(g - q["gap_out"]["zp"], w.T) + L["bias"][None, :]
    m = onnx_multiplier(q["gap_out"]["scale"], L["w_scale"], yq["scale"])
    return requant(acc, m[None, :], yq["zp"], -128, 127)


def int_accuracy(q, x, y, keep_idx=None):
    return float((int_forward(q, x, keep_idx).argmax(1) == y).mean())


# ----------------------------------------------------------------------------- npusim's transforms

def kept_channels(w, ratio, scale, l1_in_quanta=False):
    """compiler/transforms/prune_nodes.cpp ChannelsToKeep, L1, for weights w [O, ...] with per-channel
    scales `scale` [O] (float32): keep max(1, llround(ratio * O)) output channels; each channel's
    score is its L1 norm in real units, double(sum |w - zp|) * double(scale_c) (the sum in int64
    quanta, zp = 0 here; prune_common.h ChannelWeight: the scale only when there are per-channel
    scales, else 1); stable ascending sort of the float64 scores, the first O - keep removed (among
    equal scores the earlier channel goes first); the kept ones in original order.
    l1_in_quanta: rank by sum |w - zp| alone, npusim's rule before "Pruning compares weights in
    real units" (a diagnostic only)."""
    oc = w.shape[0]
    keep = max(1, int(np.floor(ratio * oc + 0.5)))  # llround: half away from zero (ratio > 0)
    score = np.abs(w.reshape(oc, -1).astype(np.int64)).sum(axis=1).astype(np.float64)
    scale = np.asarray(scale, dtype=np.float32).reshape(-1)
    if not l1_in_quanta and scale.size > 1:
        score = score * scale.astype(np.float64)
    gone = np.argsort(score, kind="stable")[:oc - keep]
    mask = np.ones(oc, dtype=bool)
    mask[gone] = False
    return np.nonzero(mask)[0]


def keep_indices(q, ratios, l1_in_quanta=False):
    """{layer: kept output channels} for keep ratios {layer: ratio}. PruneNodes walks the layers in
    op order and each one's pruning already shrank its consumer's input channels, so a layer's
    channels are ranked on the weights of the input channels its producer kept (its output
    channels' scales are its own, untouched by that). l1_in_quanta: rank by the L1 norm in quanta
    instead of npusim's real-unit L1 (scale x quanta): npusim's rule before "Pruning compares
    weights in real units", kept as a diagnostic (with per-channel scales every channel's largest
    weight is 127 quanta, so the L1 in quanta measures how flat a filter is rather than how
    large)."""
    out, prev = {}, None
    for ly in CONVS:
        w = q[ly]["w"] if prev is None else q[ly]["w"][..., prev]
        r = ratios.get(ly, 1.0)
        prev = kept_channels(w, r, q[ly]["w_scale"], l1_in_quanta) if r < 1.0 else None
        if prev is not None:
            out[ly] = prev
    return out


def prune_q(q, keep_idx):
    """The quantized model with the removed channels gone (what `npusim prune --method node`
    writes): a layer loses output channels, its consumer the matching input channels."""
    out = dict(q)
    nxt = {"conv1": "conv2", "conv2": "conv3", "conv3": "fc"}
    for layer, k in keep_idx.items():
        L = dict(out[layer])
        L.update(w=L["w"][k], w_scale=L["w_scale"][k], bias=L["bias"][k])
        out[layer] = L
        C = dict(out[nxt[layer]])
        C["w"] = C["w"][..., k]
        out[nxt[layer]] = C
    return out


def requantize_weights(q, bits):
    """compiler/transforms/precision.cpp Requantize, for {layer: bits}: per channel M = max|q|,
    Q = 2^(b-1) - 1, q' = round_half_away(q * Q / M), scale' = float32(scale * M / Q) (in double), bias' =
    nearbyint(bias * scale / scale') (double, half to even), clamped to int32. A channel of zeros
    keeps its scale. Returns a new quantized model."""
    out = dict(q)
    for layer, b in bits.items():
        L = dict(q[layer])
        if b == L["bits"]:
            continue
        assert b >= 2, "binary weights are not used in this example"
        w = L["w"].reshape(L["w"].shape[0], -1).astype(np.int64)
        Q = (1 << (b - 1)) - 1
        M = np.abs(w).max(axis=1)
        Ms = np.maximum(M, 1)[:, None]
        num = w * Q
        wn = np.where(num >= 0, (2 * num + Ms) // (2 * Ms), -((-2 * num + Ms) // (2 * Ms)))
        wn = np.where(M[:, None] == 0, w, wn)
        s_old = L["w_scale"]
        s_new = np.where(M == 0, s_old, (s_old.astype(np.float64) * M / Q).astype(f32)).astype(f32)
        ratio = s_old.astype(np.float64) / s_new.astype(np.float64)
        bias = np.clip(np.rint(L["bias"].astype(np.float64) * ratio), -2**31, 2**31 - 1).astype(np.int64)
        L.update(w=wn.reshape(L["w"].shape).astype(np.int32), w_scale=s_new, bias=bias, bits=b)
        out[layer] = L
    return out


# ----------------------------------------------------------------------------- export

def export_net(q, out_dir, name="digits_cnn"):
    """Writes out_dir/net.json and out_dir/weights/*.npy (docs/formats.md). Returns the net path."""
    os.makedirs(os.path.join(out_dir, "weights"), exist_ok=True)
    tensors, ops = {}, []

    def act(tname, key, shape=None):
        a = q[key]
        t = {"bits": a["bits"], "signed": a["signed"], "scale": float(a["scale"]), "zero_point": int(a["zp"])}
        if shape:
            t["shape"] = shape
        tensors[tname] = t

    def const(layer):
        L = q[layer]
        wf, bf = f"weights/{layer}_w.npy", f"weights/{layer}_b.npy"
        np.save(os.path.join(out_dir, wf), np.ascontiguousarray(L["w"], dtype=np.int8))
        np.save(os.path.join(out_dir, bf), np.ascontiguousarray(L["bias"], dtype=np.int32))
        tensors[layer + "_w"] = {"shape": list(L["w"].shape), "bits": 8, "signed": True,
                                 "scale": [float(s) for s in L["w_scale"]], "zero_point": 0, "data": wf}
        tensors[layer + "_b"] = {"shape": [L["w"].shape[0]], "bits": 32, "signed": True, "data": bf}

    act("x", "x", [1, 8, 8, 1])
    prev = "x"
    for layer in CONVS:
        const(layer)
        act(layer + "_out", layer + "_out")
        ops.append({"name": layer, "op": "conv2d", "inputs": [prev, layer + "_w", layer + "_b"],
                    "outputs": [layer + "_out"], "stride": [1, 1], "pads": [1, 1, 1, 1],
                    "activation": "relu"})
        prev = layer + "_out"
        if layer == "conv2":
            act("pool_out", "conv2_out")  # max_pool keeps its input's quantization
            ops.append({"name": "pool", "op": "max_pool", "inputs": [prev], "outputs": ["pool_out"],
                        "kernel": [2, 2], "stride": [2, 2]})
            prev = "pool_out"
    act("gap_out", "gap_out")
    ops.append({"name": "gap", "op": "global_avg_pool", "inputs": [prev], "outputs": ["gap_out"]})
    const("fc")
    act("logits", "fc_out")
    ops.append({"name": "fc", "op": "fully_connected", "inputs": ["gap_out", "fc_w", "fc_b"],
                "outputs": ["logits"]})
    net = {"version": 1, "name": name, "layout": "NHWC", "inputs": ["x"], "outputs": ["logits"],
           "tensors": tensors, "ops": ops}
    path = os.path.join(out_dir, "net.json")
    with open(path, "w") as f:
        json.dump(net, f, indent=1)
    return path


def run_npusim(arch, net, x_one, out_dir, extra=()):
    """`npusim run --check` on one [1, 8, 8, 1] uint8 image; returns (logits int array, stdout).
    The image goes beside OUT_DIR (OUT_DIR.x.npy): npusim replaces OUT_DIR as a whole result set
    and refuses a directory holding other files (an x.npy an older version of this example left
    there is removed)."""
    out_dir = out_dir.rstrip("/")
    if os.path.exists(os.path.join(out_dir, "x.npy")):
        os.remove(os.path.join(out_dir, "x.npy"))
    os.makedirs(os.path.dirname(out_dir), exist_ok=True)
    xf = out_dir + ".x.npy"
    np.save(xf, x_one.astype(np.uint8))
    cmd = [npusim_binary(), "run", "--arch", arch, "--net", net, "--input", xf, "--out", out_dir, "--check",
           *extra]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return np.load(os.path.join(out_dir, "outputs", "logits.npy")).astype(np.int64), p.stdout


# ----------------------------------------------------------------------------- serve client

def cost_model(arch, net):
    """What a policy costs on `arch`: npusim's Python module in process (`InProcess`: from
    $NPUSIM_PYTHONPATH, else build/python of this checkout, else an installed one), or `npusim
    serve` as a subprocess (`Serve`) when NPUSIM_SERVE=1 or the module is not there. Both answer
    the same figures (tests/python/test_api.py checks the module against serve)."""
    if os.environ.get("NPUSIM_SERVE") != "1":
        sys.path.insert(0, os.environ.get("NPUSIM_PYTHONPATH", os.path.join(REPO, "build", "python")))
        try:
            import npusim
            return InProcess(npusim, arch, net)
        except ImportError:
            pass
    return Serve(arch, net)


class InProcess:
    """npusim's Python module: `ask` returns the figures as a dict (as `Serve.ask` does). Answers
    are cached by the module; `requests` and `seconds` count the simulated (uncached) ones."""

    kind = "in-process"

    def __init__(self, npusim, arch, net):
        self.sim = npusim.Simulator(arch, net, mode="timing")
        self.requests, self.seconds = 0, 0.0

    def ask(self, keep=None, weight_bits=None):
        t0 = time.time()
        c = self.sim.cost(keep=keep or None, weight_bits=weight_bits or None)
        if not c.cached:
            self.seconds += time.time() - t0
            self.requests += 1
        return c.as_dict()

    def close(self):
        pass


class Serve:
    """`npusim serve --mode timing` as a subprocess: one JSON line out, one JSON line back.
    Answers are cached by request (the simulator is deterministic)."""

    kind = "npusim serve"

    def __init__(self, arch, net):
        cmd = [npusim_binary(), "serve", "--arch", arch, "--net", net, "--mode", "timing"]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.cache, self.requests, self.seconds = {}, 0, 0.0
        self.next_id = 0

    def ask(self, keep=None, weight_bits=None):
        req = {}
        if keep:
            req["keep"] = {k: float(v) for k, v in sorted(keep.items())}
        if weight_bits:
            req["weight_bits"] = {k: int(v) for k, v in sorted(weight_bits.items())}
        key = json.dumps(req, sort_keys=True)
        if key in self.cache:
            return self.cache[key]
        self.next_id += 1
        req["id"] = self.next_id
        t0 = time.time()
        self.p.stdin.write(json.dumps(req) + "\n")
        self.p.stdin.flush()
        a = json.loads(self.p.stdout.readline())
        self.seconds += time.time() - t0
        self.requests += 1
        if not a.get("ok"):
            raise RuntimeError(f"npusim serve: {a}")
        self.cache[key] = a
        return a

    def close(self):
        self.p.stdin.close()
        self.p.wait()
