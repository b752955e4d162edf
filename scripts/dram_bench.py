#!/usr/bin/python3
"""Runs `npusim dram` for every preset x trace of scripts/dram_traces.py (controller defaults) and
writes the measured part of results/dram.md: per preset a table of the report.json figures and the
wall time of each run, and a plot of % of peak per trace and preset (results/dram_peak.png/.svg,
skipped with a note when matplotlib is missing).

results/dram.md keeps what is outside the markers `<!-- dram_bench:begin -->` and
`<!-- dram_bench:end -->` (the trace definitions and the analysis, written by hand); only the part
between them is replaced (the file is created with the markers if it does not exist).

    /usr/bin/python3 scripts/dram_bench.py [--npusim build/npusim] [--requests N] [--out results/dram.md]
                                           [--presets ddr4-2400,hbm2] [--traces seq_read,...]
                                           [--work DIR]
"""
import argparse
import os
import platform
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
sys.path.insert(0, HERE)
import dram_traces  # noqa: E402
import npusim_tools as nt  # noqa: E402

PRESETS = ("ddr4-2400", "ddr5-3200", "lpddr4-3200", "hbm2")
BEGIN, END = "<!-- dram_bench:begin -->", "<!-- dram_bench:end -->"
COLUMNS = ("trace", "dram_cycles", "dram_cycles_done", "B/cycle", "% of peak", "row hit rate",
           "ACT / PRE / RD / WR / REF", "read latency mean / p99", "energy uJ", "pJ/B", "wall s",
           "requests/s")


def run_one(npusim, preset, trace_path, out_dir):
    """One `npusim dram` run: (report.json, wall seconds)."""
    cmd = [npusim, "dram", "--preset", preset, "--trace", trace_path, "--out", out_dir]
    wall, _, _, _ = nt.run_measured(cmd)
    return nt.read_report(out_dir), wall


def capacity(npusim, preset, work):
    """The preset's capacity in bytes (from a one-request run)."""
    probe = os.path.join(work, "probe.txt")
    with open(probe, "w") as f:
        f.write("LD 0x0\n")
    return run_one(npusim, preset, probe, os.path.join(work, "probe-" + preset))[0]["capacity_bytes"]


def fitted(path, cap, work):
    """`path`, or a copy with every address modulo `cap` if some address lies beyond it (the
    stride_8k trace spans 2 GiB; lpddr4-3200 holds 1 GiB): None if no address does."""
    with open(path) as f:
        lines = [line.split() for line in f if line.strip()]
    if all(int(a, 16) < cap for _, a in lines):
        return None
    out = os.path.join(work, "%s.mod%d.txt" % (os.path.splitext(os.path.basename(path))[0], cap))
    with open(out, "w") as f:
        f.writelines("%s 0x%x\n" % (op, int(a, 16) % cap) for op, a in lines)
    return out


def run_all(npusim, presets, traces, work):
    """{(preset, trace): (report, wall)}, printing one line per run; a trace that does not fit a
    preset runs with its addresses modulo the capacity (report["wrapped"] is then that capacity)."""
    results = {}
    total = len(presets) * len(traces)
    for preset in presets:
        cap = capacity(npusim, preset, work)
        for name, (path, lines) in traces.items():
            out = os.path.join(work, "%s-%s" % (preset, name))
            wrapped = fitted(path, cap, work)
            report, wall = run_one(npusim, preset, wrapped or path, out)
            if wrapped:
                report["wrapped"] = cap
            if report["requests"] != lines:
                sys.exit("%s %s: report has %d requests, the trace %d lines"
                         % (preset, name, report["requests"], lines))
            results[(preset, name)] = (report, wall)
            print("[%2d/%d] %-11s %-15s %7.2f B/cycle (%5.1f %% of peak)  hit %.3f  %6.2f s"
                  % (len(results), total, preset, name, report["bytes_per_dram_cycle"],
                     percent_of_peak(report), report["row_hit_rate"], wall), flush=True)
    return results


def percent_of_peak(r):
    return 100.0 * r["bytes_per_dram_cycle"] / r["peak_bytes_per_dram_cycle"]


def table_row(name, r, wall):
    c = r["commands"]
    if "wrapped" in r:
        name += " (addresses mod %d GiB)" % (r["wrapped"] >> 30)
    return [name, "{:,}".format(r["dram_cycles"]), "{:,}".format(r["dram_cycles_done"]),
            "%.2f" % r["bytes_per_dram_cycle"], "%.1f" % percent_of_peak(r), "%.3f" % r["row_hit_rate"],
            "%d / %d / %d / %d / %d" % (c["ACT"], c["PRE"], c["RD"], c["WR"], c["REF"]),
            "%.1f / %d" % (r["read_latency_mean"], r["read_latency_p99"]),
            "%.1f" % (r["energy_pj"] / 1e6), "%.1f" % (r["energy_pj"] / r["bytes"]),
            "%.2f" % wall, "{:,.0f}".format(r["requests"] / wall)]


def markdown_table(rows):
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def measured_section(results, presets, traces, n, plot_note, load):
    """The markdown between the markers."""
    walls = [w for _, w in results.values()]
    reqs = sum(r["requests"] for r, _ in results.values())
    out = [BEGIN, "", "## Measured", "",
           "Written by `scripts/dram_bench.py` (%s requests per trace, controller defaults: open page, "
           "RoBaBgRaCoCh, read and write queues of 32, write drain from 80 %% to 20 %%). "
           "Machine: %s, %d cores, load average %s before the runs; %d runs, %.1f s of wall time in "
           "all, %s requests/s over all runs (each run's wall time includes starting the process "
           "and reading its trace)."
           % ("{:,}".format(n), cpu_name(), os.cpu_count(), load, len(results), sum(walls),
              "{:,.0f}".format(reqs / sum(walls))), ""]
    for preset in presets:
        first = results[(preset, next(iter(traces)))][0]
        peak = first["peak_bytes_per_dram_cycle"]
        out += ["### %s (peak %.0f B/DRAM cycle = %.1f GB/s at %.0f MHz, %s)"
                % (preset, peak, peak * first["clock_mhz"] / 1e3, first["clock_mhz"],
                   first["address_mapping"]), ""]
        out += markdown_table([table_row(name, *results[(preset, name)]) for name in traces])
        out.append("")
    out += [plot_note, "", END]
    return "\n".join(out)


def plot(results, presets, traces, base):
    """Grouped bars of % of peak; returns the note for the markdown."""
    try:
        plt = nt.pyplot()
    except ImportError:
        return "No plot: matplotlib is not installed (Debian's python3-matplotlib)."
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(presets)
    for k, preset in enumerate(presets):
        xs = [i + (k - (len(presets) - 1) / 2) * width for i in range(len(traces))]
        ys = [percent_of_peak(results[(preset, name)][0]) for name in traces]
        ax.bar(xs, ys, width, label=preset)
    ax.set_xticks(range(len(traces)))
    ax.set_xticklabels(list(traces))
    for k, preset in enumerate(presets):
        feed = 100.0 * 64 / results[(preset, next(iter(traces)))][0]["peak_bytes_per_dram_cycle"]
        if feed < 100:  # one 64-byte request per DRAM cycle caps what a trace can show
            ax.axhline(feed, color="C%d" % k, linestyle="--", linewidth=1,
                       label="%s: trace feed limit (64 B/cycle)" % preset)
    ax.set_ylabel("% of peak bandwidth")
    ax.set_ylim(0, 115)
    ax.set_title("npusim dram: bandwidth per trace as % of each preset's peak")
    ax.legend(fontsize=8, ncol=3, loc="upper center")
    ax.grid(axis="y", alpha=0.3)
    files = nt.save_figure(fig, base)
    return "![%% of peak per trace and preset](%s)" % os.path.basename(files[0])


def update_markdown(path, section):
    """Replaces the text between the markers (or writes a file holding only the section)."""
    text = open(path).read() if os.path.exists(path) else "# DRAM trace benchmarks\n\n" + BEGIN + END + "\n"
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        sys.exit("%s: expected the markers %s and %s" % (path, BEGIN, END))
    with open(path, "w") as f:
        f.write(text[:start] + section + text[end + len(END):])


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    nt.add_npusim_option(ap)
    ap.add_argument("--requests", type=int, default=dram_traces.DEFAULT_REQUESTS,
                    help="requests per trace (default %(default)s = 16 MiB)")
    ap.add_argument("--out", default=nt.repo_path("results", "dram.md"))
    ap.add_argument("--presets", default=",".join(PRESETS))
    ap.add_argument("--traces", default=",".join(dram_traces.TRACES))
    ap.add_argument("--work", help="keep the traces and each run's report.json in this directory "
                    "(default: a temporary one, removed at the end)")
    a = ap.parse_args(argv[1:])
    presets, names = a.presets.split(","), a.traces.split(",")
    if a.requests < 2 or a.requests % 2:
        ap.error("--requests must be a positive even number, got %d" % a.requests)
    for name in names:
        if name not in dram_traces.TRACES:
            ap.error("--traces: expected names among %s, got %s" % (", ".join(dram_traces.TRACES), name))
    with tempfile.TemporaryDirectory(prefix="dram_bench-") as tmp:
        work = a.work or tmp
        print("writing traces (%d requests each) into %s" % (a.requests, work), flush=True)
        written = dram_traces.write_all(os.path.join(work, "traces"), a.requests)
        traces = {name: written[name] for name in names}
        load = " ".join("%.2f" % x for x in os.getloadavg())
        results = run_all(a.npusim, presets, traces, work)
    base = os.path.join(os.path.dirname(os.path.abspath(a.out)), "dram_peak")
    note = plot(results, presets, traces, base)
    update_markdown(a.out, measured_section(results, presets, traces, a.requests, note, load))
    print("wrote %s" % a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
