#!/usr/bin/python3
"""Finds the first node of a failing conformance model whose output differs between npusim and
ONNX Runtime: every quantized intermediate tensor becomes a graph output, both run, and the
tensors are compared in graph order.

    tests/conformance/first_diff.py build/onnx_conformance/work/<model dir>
(uses the same NPUSIM_BIN / NPUSIM_ARCH / NPUSIM_ONNX_CACHE environment as run.sh)
"""

import json
import os
import subprocess
import sys

import onnx
from onnx import helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, HERE)
import outputs  # noqa: E402
import run  # noqa: E402


def main():
    d = sys.argv[1]
    cache = os.environ.get("NPUSIM_ONNX_CACHE", os.path.join(ROOT, "build", "onnx_conformance"))
    binary = os.environ.get("NPUSIM_BIN", os.path.join(ROOT, "build", "npusim"))
    arch = os.environ.get("NPUSIM_ARCH", os.path.join(ROOT, "arch", "dense_16x16.json"))
    model = onnx.load(os.path.join(d, "model.onnx"))
    inferred = onnx.shape_inference.infer_shapes(model)
    info = {v.name: v for v in inferred.graph.value_info}
    quantized = (onnx.TensorProto.UINT8, onnx.TensorProto.INT8)
    outputs = {o.name for o in model.graph.output}
    order = []
    act_type = model.graph.input[0].type.tensor_type.elem_type
    for n in model.graph.node:
        for o in n.output:
            v = info.get(o)
            if v is None and n.domain == "com.microsoft":  # no shape inference for these
                v = helper.make_tensor_value_info(o, act_type, None)
            if o in outputs or (v is not None and v.type.tensor_type.elem_type in quantized):
                order.append(o)
                if o not in outputs:
                    model.graph.output.append(v)
    path = os.path.join(d, "bisect.onnx")
    onnx.save(model, path)
    jobs = [{"model": path, "inputs": {model.graph.input[0].name: os.path.join(d, "x_nchw.npy")}, "out_dir": os.path.join(d, "bisect_ort")}]
    with open(os.path.join(d, "bisect_jobs.json"), "w") as f:
        json.dump(jobs, f)
    env = dict(os.environ, NODE_PATH=os.path.join(cache, "node_modules"))
    subprocess.run(["node", os.path.join(HERE, "ort_run.js"), os.path.join(d, "bisect_jobs.json")], env=env, check=True)
    rc, err = run.run_npusim(binary, arch, path, os.path.join(d, "x_nchw.npy"), os.path.join(d, "bisect_sim"))
    if rc:
        print("npusim failed: " + err)
        return 1
    producer = {o: n for n in model.graph.node for o in n.output}
    arrays = {name: (ref, sim) for name, ref, sim in outputs.pairs(os.path.join(d, "bisect_ort"), os.path.join(d, "bisect_sim"))}
    for name in order:
        ref, sim = arrays[name]
        bad = outputs.differing(ref, sim)
        n = producer[name]
        print("%-8s %-26s %s %s" % (name, n.op_type, list(ref.shape), "equal" if not len(bad) else "%d differ, first at %s: npusim %d, ORT %d" % (len(bad), list(bad[0]), sim[tuple(bad[0])], ref[tuple(bad[0])])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
