#!/usr/bin/python3
"""Finds the first node of a failing conformance model whose output differs between npusim and
ONNX Runtime: every quantized intermediate tensor becomes a graph output, both run, and the
tensors are compared in graph order.

    tests/conformance/first_diff.py build/onnx_conformance/work/<model dir>
(uses the same NPUSIM_BIN / NPUSIM_ARCH / NPUSIM_ONNX_CACHE environment as run.sh)
"""

import argparse
import os
import sys

import onnx
from onnx import helper

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import npusim_tools as nt  # noqa: E402
import outputs  # noqa: E402
from runners import run_npusim, run_ort  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir", help="a model's directory in the suite's work directory (holds model.onnx "
                    "and x_nchw.npy)")
    d = ap.parse_args().model_dir
    cache = os.environ.get("NPUSIM_ONNX_CACHE", nt.repo_path("build", "onnx_conformance"))
    binary, arch = nt.default_npusim(), nt.default_arch()
    model = onnx.load(os.path.join(d, "model.onnx"))
    inferred = onnx.shape_inference.infer_shapes(model)
    info = {v.name: v for v in inferred.graph.value_info}
    quantized = (onnx.TensorProto.UINT8, onnx.TensorProto.INT8)
    graph_outputs = {o.name for o in model.graph.output}
    order = []
    act_type = model.graph.input[0].type.tensor_type.elem_type
    for n in model.graph.node:
        for o in n.output:
            v = info.get(o)
            if v is None and n.domain == "com.microsoft":  # no shape inference for these
                v = helper.make_tensor_value_info(o, act_type, None)
            if o in graph_outputs or (v is not None and v.type.tensor_type.elem_type in quantized):
                order.append(o)
                if o not in graph_outputs:
                    model.graph.output.append(v)
    path = os.path.join(d, "bisect.onnx")
    onnx.save(model, path)
    jobs = [{"model": path, "inputs": {model.graph.input[0].name: os.path.join(d, "x_nchw.npy")},
             "out_dir": os.path.join(d, "bisect_ort")}]
    run_ort(jobs, os.path.join(d, "bisect_jobs.json"), os.path.join(cache, "node_modules"))
    rc, err = run_npusim(binary, arch, path, [os.path.join(d, "x_nchw.npy")], os.path.join(d, "bisect_sim"))
    if rc:
        print("npusim failed: " + err)
        return 1
    producer = {o: n for n in model.graph.node for o in n.output}
    pairs = outputs.pairs(os.path.join(d, "bisect_ort"), os.path.join(d, "bisect_sim"))
    arrays = {name: (ref, sim) for name, ref, sim in pairs}
    for name in order:
        ref, sim = arrays[name]
        bad = outputs.differing(ref, sim)
        n = producer[name]
        verdict = "equal"
        if len(bad):
            at = tuple(bad[0])
            verdict = "%d differ, first at %s: npusim %d, ORT %d" % (len(bad), list(at), sim[at], ref[at])
        print("%-8s %-26s %s %s" % (name, n.op_type, list(ref.shape), verdict))
    return 0


if __name__ == "__main__":
    sys.exit(main())
