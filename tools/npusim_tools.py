"""What npusim's Python tools, studies and conformance suite share: where the repository and the
npusim binary are, running npusim and reading the report.json it writes, arch files copied with
edits, JSON and CSV files, matplotlib without a display, and error statistics.

A script in tools/ imports it directly; one in studies/ or tests/conformance/ first puts tools/ on
the path:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    import npusim_tools as nt  # noqa: E402
(tests/conformance/ is one level deeper: "..", "..", "tools"). Run the scripts with Debian's
/usr/bin/python3 (numpy, onnx and matplotlib come from Debian packages).
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def repo_path(*parts):
    """A path inside this checkout, e.g. repo_path("arch", "unpu.json")."""
    return os.path.join(ROOT, *parts)


def default_npusim():
    """The npusim binary: $NPUSIM_BIN, else build/npusim of this checkout."""
    return os.environ.get("NPUSIM_BIN", repo_path("build", "npusim"))


def default_arch():
    """The conformance suite's arch: $NPUSIM_ARCH, else arch/dense_16x16.json of this checkout."""
    return os.environ.get("NPUSIM_ARCH", repo_path("arch", "dense_16x16.json"))


def dir_argument(argv, doc, help):
    """The one positional DIR argument of a tool whose --help is its docstring."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", help=help)
    return ap.parse_args(argv[1:]).dir


def add_npusim_option(parser):
    """The `--npusim PATH` option every study takes (default: default_npusim())."""
    parser.add_argument("--npusim", default=default_npusim(),
                        help="the npusim binary (default $NPUSIM_BIN or build/npusim)")


def load_json(path):
    with open(path) as f:
        return json.load(f)


def save_json(path, obj, indent=None, newline=False):
    """Writes obj as JSON (indent as json.dump's; newline: end the file with one)."""
    with open(path, "w") as f:
        json.dump(obj, f, indent=indent)
        if newline:
            f.write("\n")
    return path


def read_csv(path, comment=None):
    """(rows as dicts, column names); lines starting with `comment` are skipped."""
    with open(path, newline="") as f:
        lines = (line for line in f if not (comment and line.startswith(comment)))
        reader = csv.DictReader(lines)
        rows = list(reader)
        return rows, list(reader.fieldnames or [])


def write_csv(path, rows, columns=None, lineterminator="\r\n"):
    """Writes dict rows with a header (columns: the first row's keys unless given); lines end as
    the csv module's by default (RFC 4180's CRLF)."""
    columns = columns or list(rows[0].keys())
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator=lineterminator)
        w.writeheader()
        w.writerows(rows)
    return path


def run(cmd, cwd=None):
    """Runs cmd; its stdout, or the program exits naming the command, its exit code and output."""
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit("failed (%d): %s\n%s%s" % (p.returncode, " ".join(cmd), p.stdout, p.stderr))
    return p.stdout


def read_report(out_dir):
    """The report.json an `npusim run` wrote into out_dir."""
    return load_json(os.path.join(out_dir, "report.json"))


def run_report(npusim, args, out_dir):
    """`npusim ARGS --out OUT_DIR` (exits on failure, as run()) and the report.json it wrote."""
    run([npusim] + list(args) + ["--out", out_dir])
    return read_report(out_dir)


def arch_variant(src, dst, edit=None):
    """Writes a copy of the arch file src to dst with its energy file by absolute path (so that the
    copy loads from anywhere) and edit(arch dict) applied; returns dst."""
    a = load_json(src)
    if isinstance(a.get("energy"), str):
        a["energy"] = os.path.join(os.path.dirname(os.path.abspath(src)), a["energy"])
    if edit:
        edit(a)
    return save_json(dst, a)


def run_measured(cmd, cwd=None):
    """Runs cmd as a child and measures it: (wall s, user+sys s, peak RSS in MiB, stderr).
    Exits naming the command when it fails."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode()
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), err))
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, err


def pyplot():
    """matplotlib.pyplot drawing without a display (the Agg backend)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, base, dpi=110, exts=("png", "svg")):
    """Lays fig out and writes BASE.png and BASE.svg (or the given extensions); closes it."""
    fig.tight_layout()
    for ext in exts:
        fig.savefig("%s.%s" % (base, ext), dpi=dpi)
    pyplot().close(fig)
    return ["%s.%s" % (base, ext) for ext in exts]


def pct(estimate, actual):
    """Relative error of estimate against actual, in percent."""
    return 100.0 * (estimate - actual) / actual


def error_stats(errs):
    """Distribution of signed errors: mean, median, min, max, mean |e|, 90th percentile |e| (the
    lower one), max |e|, and how many are above / below zero (by more than 1e-9)."""
    a = [abs(e) for e in errs]
    return {"mean": statistics.mean(errs), "median": statistics.median(errs), "min": min(errs),
            "max": max(errs), "mean_abs": statistics.mean(a), "p90_abs": sorted(a)[int(0.9 * (len(a) - 1))],
            "max_abs": max(a),
            "positive": sum(1 for e in errs if e > 1e-9), "negative": sum(1 for e in errs if e < -1e-9)}


def usage_exit(prog, path, error):
    """Exit status 2 with `prog: path: error` on stderr: an input file a tool could not use."""
    print("%s: %s: %s" % (prog, path, error), file=sys.stderr)
    sys.exit(2)
