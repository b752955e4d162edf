"""The two sides of every conformance check: ONNX Runtime (ort_run.js in one node process, with
NODE_PATH at the onnxruntime-node that install_ort.sh installed) and `npusim run`.

A job is {"model": M.onnx, "inputs": {name: X.npy}, "out_dir": DIR[, "optimized": M.opt.onnx]}
(ort_run.js's header has the details); ONNX Runtime writes DIR/<output>.npy and DIR/outputs.json,
npusim writes DIR/report.json and DIR/outputs/, which outputs.py compares.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def start_ort(jobs, jobs_path, ort_modules, quiet=False):
    """Writes the jobs to jobs_path and starts ONNX Runtime on them; returns the process."""
    with open(jobs_path, "w") as f:
        json.dump(jobs, f)
    env = dict(os.environ, NODE_PATH=ort_modules)
    return subprocess.Popen(["node", os.path.join(HERE, "ort_run.js"), jobs_path], env=env,
                            stdout=subprocess.DEVNULL if quiet else None)


def run_ort(jobs, jobs_path, ort_modules, quiet=False):
    """start_ort and wait; exits 1 when ONNX Runtime fails (its message is on stderr)."""
    rc = start_ort(jobs, jobs_path, ort_modules, quiet).wait()
    if rc != 0:
        sys.exit("onnx conformance: ONNX Runtime failed (exit %d) on %s" % (rc, jobs_path))


def run_npusim(binary, arch, net, inputs, out_dir):
    """`npusim run --arch ARCH --net NET --input I... --out OUT_DIR`, each input a path or
    "name=path"; (exit code, stderr)."""
    cmd = [binary, "run", "--arch", arch, "--net", net]
    for i in inputs:
        cmd += ["--input", i]
    p = subprocess.run(cmd + ["--out", out_dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stderr.strip()
