#!/usr/bin/python3
"""Generates results/robustness.md: issue 20's classes of failure replayed against an npusim
binary (and optionally an older one, as "before"), each with its exit code, wall time, peak
resident memory and what it left behind.

Usage: studies/robustness_study.py [--npusim build/npusim] [--before OLD_NPUSIM] [--out results]

The cases:
  - work bombs: scripts/hostile_inputs.py's inputs (10^12 sweep points, 100,000 levels of nesting,
    1e-320 MHz clocks, 10^12 LUT entries, sixteen 1 GiB buffers, a 2^31-element tensor, a 500 MB
    name, 3.4 x 10^8 instructions), each run without any resource limit under a time bound; and
    four 1 GiB buffers (within the budget), which must run, in little memory;
  - result sets: SIGTERM while writing 1000 outputs, a run into another network's results, --out
    that is a file, output names of 250 characters.
The serve and fuzz figures are in results/serve.md and results/fuzz.md (scripts/serve_load.py,
fuzz/run.sh).
"""

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import npusim_tools as nt  # noqa: E402
from npusim_tools import ROOT  # noqa: E402
import hostile_inputs  # noqa: E402

# What each case did before issue 20's work, as the issue reported it (measured on main at f591d65).
BEFORE = {
    "grid of 10^12 points": "allocated until `std::bad_alloc`, exit 1, after gigabytes",
    "grid knob nested 100,000 levels": "SIGSEGV (20,000 levels: 800 MB files written)",
    "grid clock of 1e-320 MHz": "passed validation; the sweep stopped with an internal error on every resume",
    "LUT space of 10^12 entries": "memory grew without end, nothing written",
    "arch of sixteen 1 GiB buffers": "allocated 5 GB",
    "arch clock of 1e-320 MHz": "ran; `\"seconds\": null` in the report",
    "tensor of 2^31 elements": "ran for minutes, then `std::bad_alloc`",
    "network name of 500 MB": "echoed to stdout and twice into report.json",
    "3.4 x 10^8 instructions (compile)": "emitted until `std::bad_alloc`, exit 1, after 30 s and 2.4 GB",
    "four 1 GiB buffers, within the budget (must run)": "4 GiB zero-filled at elaboration",
    "SIGTERM while writing 1000 outputs": "746 temporary files left",
    "--out holding another network's results": "the stale `outputs/*.npy` kept beside the new ones",
    "--out is a file (MobileNetV1)": "refused only after the whole simulation",
    "output names of 250 characters": "simulated, then \"cannot write file\" with no reason",
}
TIME_BOUND = 120  # seconds per case; a case still running then is killed and reported as such


class Outcome:
    def __init__(self, code, seconds, peak_mb, err):
        self.code, self.seconds, self.peak_mb, self.err = code, seconds, peak_mb, err

    def exit_text(self):
        if self.code is None:
            return "killed by the %d s bound" % TIME_BOUND
        return "signal %d" % -self.code if self.code < 0 else "exit %d" % self.code


def measure(cmd, stop_when=None, work=None):
    """Runs `cmd` to its end (or kills it at TIME_BOUND): exit code, wall seconds, the peak resident
    memory of the process (MB, from wait4's rusage) and its stderr's first line. `stop_when()`,
    polled every 2 ms, sends SIGTERM once it returns true."""
    err_path = os.path.join(work, "stderr.txt")
    with open(err_path, "w") as err:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        code, usage, stopped = None, None, False
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                code = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() - t0 > TIME_BOUND:
                p.kill()
                _, status, usage = os.wait4(p.pid, 0)
                break
            if stop_when is not None and not stopped and stop_when():
                p.send_signal(signal.SIGTERM)
                stopped = True
            time.sleep(0.002)
        seconds = time.monotonic() - t0
    with open(err_path, errors="replace") as f:
        first = f.readline().strip().replace(work + os.sep, "").replace(ROOT + os.sep, "")
    return Outcome(code, seconds, usage.ru_maxrss / 1024.0, first[:200])


def staged_files(out):
    """Files in the staging directories beside result directory `out` (".NAME.*")."""
    parent, base = os.path.dirname(out), os.path.basename(out)
    n = 0
    for e in os.listdir(parent) if os.path.isdir(parent) else []:
        if e.startswith("." + base + "."):
            n += sum(len(files) for _, _, files in os.walk(os.path.join(parent, e)))
    return n


def tree(out):
    """The files under `out`, relative, sorted."""
    found = []
    for d, _, files in os.walk(out):
        found += [os.path.relpath(os.path.join(d, f), out) for f in files]
    return sorted(found)


def many_outputs(path, n, hw, name_len=0):
    """A network of n 1x1 max pools of one input, each an output (names padded to name_len)."""
    t = {"bits": 8, "signed": True, "scale": 0.05, "zero_point": 0}
    net = {"version": 1, "name": "many", "inputs": ["x"], "outputs": [],
           "tensors": {"x": dict(t, shape=[1, hw, hw, 16], data={"random": {"seed": 1}})}, "ops": []}
    for i in range(n):
        z = ("z%d" % i).ljust(name_len, "z")
        net["tensors"][z] = dict(t)
        net["outputs"].append(z)
        net["ops"].append({"name": "p%d" % i, "op": "max_pool", "inputs": ["x"], "outputs": [z],
                           "kernel": [1, 1], "stride": [1, 1], "pads": [0, 0, 0, 0]})
    nt.save_json(path, net)
    return path


def left_behind(out):
    """What a refused or killed command left at result path `out`."""
    parts = []
    if os.path.exists(out):
        parts.append("%s (%d files)" % (os.path.basename(out), len(tree(out)) if os.path.isdir(out) else 1))
    n = staged_files(out)
    if n:
        parts.append("%d staged files" % n)
    return ", ".join(parts) or "nothing"


def bomb_cases(work):
    """(name, what the input asks for, command, result path) of the work bombs."""
    w = lambda f: os.path.join(work, f)  # noqa: E731
    sweep = ["sweep", "--arch", "arch/unpu.json", "--net", "workloads/tiny_conv.json"]
    tiny = ["--net", "workloads/tiny_conv.json"]

    def run(arch, net, out, *extra):
        return ["run", "--arch", arch, "--net", net, "--out", w(out)] + list(extra)

    return [
        ("grid of 10^12 points", sweep + ["--grid", w("grid_1e12.json"), "--out", w("s1")], w("s1")),
        ("grid knob nested 100,000 levels",
         sweep + ["--grid", w("grid_nested.json"), "--out", w("s2")], w("s2")),
        ("grid clock of 1e-320 MHz", sweep + ["--grid", w("grid_clock.json"), "--out", w("s3")], w("s3")),
        ("LUT space of 10^12 entries",
         ["lut", "--arch", "arch/unpu.json", "--space", w("space_1e12.json"), "--out", w("lut.csv")],
         w("lut.csv")),
        ("arch of sixteen 1 GiB buffers", run(w("arch_16gib.json"), tiny[1], "r1"), w("r1")),
        ("arch clock of 1e-320 MHz", run(w("arch_clock.json"), tiny[1], "r2"), w("r2")),
        ("tensor of 2^31 elements", run("arch/unpu.json", w("net_2e31.json"), "r3"), w("r3")),
        ("network name of 500 MB", run("arch/unpu.json", w("net_name_500mb.json"), "r4"), w("r4")),
        ("3.4 x 10^8 instructions (compile)",
         ["compile", "--arch", w("arch_tiny_buffers.json"), "--net", w("net_3e8_instructions.json")],
         w("r5")),
        ("four 1 GiB buffers, within the budget (must run)",
         run(w("arch_4gib.json"), tiny[1], "r6", "--check"), None),
    ]


def result_cases(npusim, work):
    """Rows of the result-set cases: (case, outcome, what was left or found)."""
    rows = []
    prev_arch = "tests/data/arch/dense_16x16_pipe.json"

    def previous(out):
        shutil.rmtree(out, ignore_errors=True)
        cmd = [npusim, "run", "--arch", prev_arch, "--net", "workloads/tiny_conv.json", "--out", out]
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        return tree(out)

    out = os.path.join(work, "rs", "results")
    before = previous(out)
    net = many_outputs(os.path.join(work, "many1000.json"), 1000, 32)
    o = measure([npusim, "run", "--arch", "arch/tiny_4x4.json", "--net", net, "--out", out],
                stop_when=lambda: staged_files(out) >= 100, work=work)
    kept = "previous set intact" if tree(out) == before else "previous set changed: %s" % tree(out)[:5]
    tmp = sum(1 for f in tree(os.path.dirname(out)) if f.endswith(".tmp"))
    rows.append(("SIGTERM while writing 1000 outputs", o,
                 "%s; %d staged files, %d .tmp files" % (kept, staged_files(out), tmp)))

    previous(out)
    net3 = many_outputs(os.path.join(work, "many3.json"), 3, 4)
    o = measure([npusim, "run", "--arch", prev_arch, "--net", net3, "--out", out], work=work)
    rows.append(("--out holding another network's results", o, "files now: " + ", ".join(tree(out))))

    afile = os.path.join(work, "afile")
    with open(afile, "w") as f:
        f.write("x")
    cmd = [npusim, "run", "--arch", "arch/unpu.json", "--net", "workloads/mobilenet_q4.json", "--out", afile]
    o = measure(cmd, work=work)
    with open(afile) as f:
        kept = "file kept" if f.read() == "x" else "file changed"
    rows.append(("--out is a file (MobileNetV1)", o, kept))

    longnet = many_outputs(os.path.join(work, "long.json"), 2, 4, name_len=250)
    lout = os.path.join(work, "long")
    o = measure([npusim, "run", "--arch", prev_arch, "--net", longnet, "--out", lout], work=work)
    files = [f for f in tree(lout) if f.startswith("outputs/")] if os.path.isdir(lout) else []
    shown = ", ".join("`...%s` (%d bytes)" % (f[-26:], len(os.path.basename(f))) for f in files)
    rows.append(("output names of 250 characters", o, "files: " + shown if files else "no results"))
    return rows


def run_all(npusim, label):
    """Every case against one binary: (class, case, outcome, left)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="npusim-robust-") as work:
        print("== %s: generating the hostile inputs" % label, file=sys.stderr)
        hostile_inputs.generate(work)
        for name, args, out in bomb_cases(work):
            print("   %s: %s" % (label, name), file=sys.stderr)
            o = measure([npusim] + args, work=work)
            ran = "ran to the end, bit-exact (--check)" if o.code == 0 else "did not run"
            rows.append(("work bomb", name, o, left_behind(out) if out else ran))
        for name, o, left in result_cases(npusim, work):
            print("   %s: %s" % (label, name), file=sys.stderr)
            rows.append(("result set", name, o, left))
    return rows


def table(rows, before=None):
    lines = ["| class | case | before (issue 20) | exit | time | peak memory | left behind / found "
             "| message (start) |",
             "|---|---|---|---|---:|---:|---|---|"]
    for i, (cls, name, o, left) in enumerate(rows):
        message = o.err.replace("npusim: error: ", "")[:110].replace("|", "\\|")
        cells = [cls, name, BEFORE.get(name, ""), o.exit_text(), "%.2f s" % o.seconds, "%.0f MB" % o.peak_mb,
                 left, "`%s`" % message if message else ""]
        if before is not None:
            b = before[i][2]
            cells[3] = "%s (before: %s)" % (cells[3], b.exit_text())
            cells[4] = "%s (%.2f s)" % (cells[4], b.seconds)
            cells[5] = "%s (%.0f MB)" % (cells[5], b.peak_mb)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    nt.add_npusim_option(ap)
    ap.add_argument("--before", help="an older npusim binary, measured on the same cases")
    ap.add_argument("--out", default=nt.repo_path("results"))
    args = ap.parse_args()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    after = run_all(os.path.abspath(args.npusim), "after")
    before = run_all(os.path.abspath(args.before), "before") if args.before else None
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                         cwd=ROOT).stdout.strip()
    how = ("`studies/robustness_study.py%s` on %s (commit %s, %s cores). Each case runs without resource "
           "limits, under a %d s bound; peak memory is the process's maximum resident set (wait4); \"left "
           "behind\" is what exists at the result path afterwards and in staging directories beside it."
           % (" --before OLD" if before else "", time.strftime("%Y-%m-%d", time.gmtime()), rev,
              os.cpu_count(), TIME_BOUND))
    text = ["# Robustness: issue 20's classes of failure, replayed", "", how, "", table(after, before), "",
            "`scripts/limits` (a step of scripts/test) runs the first nine under `prlimit --as` and a time "
            "bound and checks each message. serve under a mixed load: results/serve.md; fuzzing: "
            "results/fuzz.md.", ""]
    path = os.path.join(args.out, "robustness.md")
    with open(path, "w") as f:
        f.write("\n".join(text))
    print("\n".join(text))
    print("wrote " + path, file=sys.stderr)


if __name__ == "__main__":
    main()
