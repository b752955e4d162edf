#!/usr/bin/python3
"""Tests of tools/npusim_tools.py, the helper module the tools, studies and conformance suite share.
ctest runs it (tests/CMakeLists.txt) with Debian's python3:
    /usr/bin/python3 tests/tools/npusim_tools_test.py [-v]
"""
import contextlib
import io
import os
import stat
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import npusim_tools as nt  # noqa: E402

# A stand-in for npusim: writes OUT/report.json naming its arguments (before --out) and exits 0,
# or prints to both streams and exits 3 when its first argument is "fail".
FAKE_NPUSIM = """#!/bin/sh
if [ "$1" = fail ]; then echo "to stdout"; echo "bad arch" >&2; exit 3; fi
args=""
while [ "$1" != --out ]; do args="$args \\"$1\\","; shift; done
mkdir -p "$2"
printf '{"cycles": 1234, "args": [%s "end"]}' "$args" > "$2/report.json"
"""


class Files(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)


class PathsAndOptions(unittest.TestCase):
    def test_root_is_the_checkout(self):
        self.assertTrue(os.path.isfile(os.path.join(nt.ROOT, "tools", "npusim_tools.py")))
        self.assertEqual(nt.repo_path("arch", "unpu.json"), os.path.join(nt.ROOT, "arch", "unpu.json"))

    def test_npusim_and_arch_follow_the_environment(self):
        old = {k: os.environ.pop(k, None) for k in ("NPUSIM_BIN", "NPUSIM_ARCH")}
        try:
            self.assertEqual(nt.default_npusim(), os.path.join(nt.ROOT, "build", "npusim"))
            self.assertEqual(nt.default_arch(), os.path.join(nt.ROOT, "arch", "dense_16x16.json"))
            os.environ["NPUSIM_BIN"], os.environ["NPUSIM_ARCH"] = "/opt/npusim", "/tmp/a.json"
            self.assertEqual(nt.default_npusim(), "/opt/npusim")
            self.assertEqual(nt.default_arch(), "/tmp/a.json")
        finally:
            for k, v in old.items():
                os.environ.pop(k, None)
                if v is not None:
                    os.environ[k] = v

    def test_dir_argument(self):
        self.assertEqual(nt.dir_argument(["tool", "results/x"], "doc", "a directory"), "results/x")
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as e:
            nt.dir_argument(["tool"], "doc", "a directory")
        self.assertEqual(e.exception.code, 2)
        self.assertIn("the following arguments are required: dir", err.getvalue())

    def test_npusim_option(self):
        import argparse
        ap = argparse.ArgumentParser()
        nt.add_npusim_option(ap)
        self.assertEqual(ap.parse_args(["--npusim", "x/npusim"]).npusim, "x/npusim")
        self.assertEqual(ap.parse_args([]).npusim, nt.default_npusim())


class JsonAndCsv(Files):
    def test_save_json_indent_and_newline(self):
        nt.save_json(self.path("a.json"), {"b": [1, 2]}, indent=1, newline=True)
        with open(self.path("a.json")) as f:
            self.assertEqual(f.read(), '{\n "b": [\n  1,\n  2\n ]\n}\n')
        nt.save_json(self.path("c.json"), {"b": 1})
        with open(self.path("c.json")) as f:
            self.assertEqual(f.read(), '{"b": 1}')
        self.assertEqual(nt.load_json(self.path("a.json")), {"b": [1, 2]})

    def test_csv_round_trip_and_line_ends(self):
        rows = [{"op": "conv2d", "cycles": 10}, {"op": "add", "cycles": 3}]
        nt.write_csv(self.path("crlf.csv"), rows)
        nt.write_csv(self.path("lf.csv"), rows, columns=["cycles", "op"], lineterminator="\n")
        with open(self.path("crlf.csv"), "rb") as f:
            self.assertEqual(f.read(), b"op,cycles\r\nconv2d,10\r\nadd,3\r\n")
        with open(self.path("lf.csv"), "rb") as f:
            self.assertEqual(f.read(), b"cycles,op\n10,conv2d\n3,add\n")
        self.assertEqual(nt.read_csv(self.path("crlf.csv")),
                         ([{"op": "conv2d", "cycles": "10"}, {"op": "add", "cycles": "3"}], ["op", "cycles"]))

    def test_read_csv_skips_comment_lines(self):
        with open(self.path("lut.csv"), "w") as f:
            f.write("# npusim lut\nop,cycles\n# a note\nfc,7\n")
        self.assertEqual(nt.read_csv(self.path("lut.csv"), comment="#"), ([{"op": "fc", "cycles": "7"}],
                                                                          ["op", "cycles"]))

    def test_arch_variant_makes_the_energy_path_absolute_and_edits(self):
        os.makedirs(self.path("arch"))
        nt.save_json(self.path("arch/a.json"),
                     {"name": "a", "energy": "energy/e.json", "units": [{"rows": 4}]})
        out = nt.arch_variant(self.path("arch/a.json"), self.path("b.json"),
                              lambda a: a["units"][0].update(rows=8))
        self.assertEqual(out, self.path("b.json"))
        self.assertEqual(nt.load_json(out), {"name": "a", "energy": self.path("arch/energy/e.json"),
                                             "units": [{"rows": 8}]})

    def test_arch_variant_of_a_shipped_arch_names_an_existing_energy_file(self):
        a = nt.load_json(nt.arch_variant(nt.repo_path("arch", "unpu.json"), self.path("u.json")))
        self.assertTrue(os.path.isabs(a["energy"]))
        self.assertTrue(os.path.isfile(a["energy"]), a["energy"])


class Running(Files):
    def fake_npusim(self):
        path = self.path("npusim")
        with open(path, "w") as f:
            f.write(FAKE_NPUSIM)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        return path

    def test_run_returns_stdout(self):
        self.assertEqual(nt.run(["/bin/echo", "hello"]), "hello\n")
        self.assertEqual(nt.run(["/bin/pwd"], cwd=self.dir).strip(), os.path.realpath(self.dir))

    def test_run_exits_with_the_command_its_code_and_output(self):
        with self.assertRaises(SystemExit) as e:
            nt.run([self.fake_npusim(), "fail", "--arch", "x"])
        self.assertEqual(e.exception.code,
                         "failed (3): %s fail --arch x\nto stdout\nbad arch\n" % self.path("npusim"))

    def test_run_report_passes_out_and_reads_the_report(self):
        rep = nt.run_report(self.fake_npusim(), ["run", "--arch", "a.json"], self.path("out"))
        self.assertEqual(rep, {"cycles": 1234, "args": ["run", "--arch", "a.json", "end"]})
        self.assertEqual(nt.read_report(self.path("out")), rep)

    def test_run_measured_sees_the_childs_memory(self):
        wall, cpu, peak_mb, err = nt.run_measured(
            ["/usr/bin/python3", "-c", "import sys; b = bytearray(80 << 20); sys.stderr.write('done')"])
        self.assertEqual(err, "done")
        self.assertGreaterEqual(peak_mb, 80)
        self.assertLess(peak_mb, 400)
        self.assertGreater(wall, 0)
        self.assertGreaterEqual(cpu, 0)

    def test_run_measured_exits_on_failure(self):
        with self.assertRaises(SystemExit) as e:
            nt.run_measured(["/bin/sh", "-c", "echo broken >&2; exit 5"])
        self.assertEqual(e.exception.code, "failed (5): /bin/sh -c echo broken >&2; exit 5\nbroken\n")

    def test_usage_exit_is_status_2_with_the_file(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as e:
            nt.usage_exit("plot_report", "run/report.json", "No such file")
        self.assertEqual(e.exception.code, 2)
        self.assertEqual(err.getvalue(), "plot_report: run/report.json: No such file\n")


class Statistics(unittest.TestCase):
    def test_pct(self):
        self.assertEqual(nt.pct(110, 100), 10.0)
        self.assertEqual(nt.pct(75, 100), -25.0)

    def test_error_stats(self):
        self.assertEqual(nt.error_stats([1, -2, 3, -4, 0]),
                         {"mean": -0.4, "median": 0, "min": -4, "max": 3, "mean_abs": 2, "p90_abs": 3,
                          "max_abs": 4, "positive": 2, "negative": 2})
        # |e| <= 1e-9 counts as neither above nor below zero; p90 is the lower of two neighbours.
        s = nt.error_stats([2e-10, -2e-10, 1.5, -0.5])
        self.assertEqual((s["positive"], s["negative"], s["p90_abs"], s["median"]), (1, 1, 0.5, 0.0))


class Plotting(Files):
    def test_save_figure_writes_png_and_svg(self):
        plt = nt.pyplot()
        fig, ax = plt.subplots()
        ax.bar([0, 1], [3, 4])
        written = nt.save_figure(fig, self.path("bars"))
        self.assertEqual(written, [self.path("bars.png"), self.path("bars.svg")])
        with open(self.path("bars.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        with open(self.path("bars.svg")) as f:
            self.assertIn("<svg", f.read())
        self.assertEqual(plt.get_fignums(), [])  # closed

    def test_save_figure_other_extensions(self):
        fig, _ = nt.pyplot().subplots()
        self.assertEqual(nt.save_figure(fig, self.path("p"), dpi=50, exts=("png",)), [self.path("p.png")])
        self.assertFalse(os.path.exists(self.path("p.svg")))


if __name__ == "__main__":
    unittest.main()
