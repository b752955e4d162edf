"""Fixtures of the Python module's tests (tests/python/, docs/python.md): the repository root, the
build directory (NPUSIM_BUILD_DIR, default build/), its npusim binary, and the module imported from
the build tree (build/python) unless PYTHONPATH already finds one."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.abspath(os.environ.get("NPUSIM_BUILD_DIR", os.path.join(ROOT, "build")))
if os.path.join(BUILD, "python") not in sys.path:
    sys.path.insert(0, os.path.join(BUILD, "python"))

UNPU = os.path.join(ROOT, "arch", "unpu.json")
MOBILENET = os.path.join(ROOT, "workloads", "mobilenet_q4.json")


@pytest.fixture(scope="session")
def npusim_binary():
    b = os.path.join(BUILD, "npusim")
    if not os.path.exists(b):
        pytest.fail(f"{b} is not built")
    return b


def run_cli(binary, *args, check=True):
    """`npusim ARGS` from the repository root: (exit code, stdout, stderr)."""
    p = subprocess.run([binary, *args], cwd=ROOT, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"npusim {' '.join(args)}: exit {p.returncode}\n{p.stderr}")
    return p.returncode, p.stdout, p.stderr


def cli_report(binary, out_dir, *args):
    """report.json of `npusim run ARGS --out OUT_DIR`."""
    run_cli(binary, "run", *args, "--out", str(out_dir))
    with open(os.path.join(out_dir, "report.json")) as f:
        return json.load(f)


def serve_answers(binary, requests, *args):
    """`npusim serve ARGS`'s answers to the request objects, in order."""
    lines = "".join(json.dumps(r) + "\n" for r in requests)
    p = subprocess.run([binary, "serve", *args], cwd=ROOT, input=lines, capture_output=True, text=True,
                       check=True)
    return [json.loads(x) for x in p.stdout.splitlines()]
