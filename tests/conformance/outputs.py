"""npusim's output files against ONNX Runtime's, both as written (docs/onnx.md, "Inputs and outputs").

ort_run.js lists the outputs of a run in OUT_DIR/outputs.json, npusim in report.json's "outputs";
the k-th entry of each is the model's k-th graph output. Both must name the same outputs in the same
order, and each pair of .npy files must have the same dtype, shape and values (floats bit for bit).
Nothing is reordered, quantized or dequantized here: npusim's files are what an ONNX user gets.
"""

import json
import os

import numpy as np


def _listed(path, key=None):
    with open(path) as f:
        j = json.load(f)
    return j[key] if key else j


def pairs(ort_dir, sim_dir):
    """[(name, ONNX Runtime's array, npusim's array)] in the model's output order; raises
    ValueError naming both lists when they differ."""
    ort = _listed(os.path.join(ort_dir, "outputs.json"))
    sim = _listed(os.path.join(sim_dir, "report.json"), "outputs")
    ort_names, sim_names = [o["name"] for o in ort], [s["name"] for s in sim]
    if ort_names != sim_names:
        raise ValueError("outputs: ONNX Runtime %s, npusim %s" % (ort_names, sim_names))
    return [(o["name"], np.load(os.path.join(ort_dir, o["file"])), np.load(os.path.join(sim_dir, s["file"])))
            for o, s in zip(ort, sim)]


def _bits(a):
    """The array's elements as unsigned integers of their size: floats compare bit for bit."""
    return np.frombuffer(a.tobytes(), dtype="u%d" % a.itemsize).reshape(a.shape)


def differing(ref, got):
    """Indices at which `got` differs from `ref` (same dtype and shape)."""
    return np.argwhere(_bits(got) != _bits(ref))


def compare(ort_dir, sim_dir):
    """(problem, equal, total): "" or the first difference (a different list of outputs, dtype or
    shape counts no value equal), and how many of ONNX Runtime's output values npusim matched."""
    try:
        listed = pairs(ort_dir, sim_dir)
    except (OSError, ValueError, KeyError) as e:
        return str(e), 0, 0
    problem, equal, total = "", 0, 0
    for name, ref, got in listed:
        total += ref.size
        if got.dtype != ref.dtype or got.shape != ref.shape:
            problem = problem or "output %s: npusim %s %s, ONNX Runtime %s %s" % (
                name, got.dtype, got.shape, ref.dtype, ref.shape)
            continue
        bad = differing(ref, got)
        equal += ref.size - len(bad)
        if len(bad) and not problem:
            at = tuple(int(i) for i in bad[0])
            problem = "output %s at %s: npusim %s, ONNX Runtime %s (%d values differ)" % (
                name, list(at), got[at], ref[at], len(bad))
    return problem, equal, total
