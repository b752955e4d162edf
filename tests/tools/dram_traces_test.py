#!/usr/bin/python3
"""Tests of scripts/dram_traces.py and scripts/dram_bench.py: the traces follow their definitions,
and `npusim dram` on small ones (every preset) counts every line and finds sequential reads row hits
and random reads row conflicts. ctest runs it (tests/CMakeLists.txt) with NPUSIM_BIN set:
    NPUSIM_BIN=build/npusim /usr/bin/python3 tests/tools/dram_traces_test.py [-v]
"""
import os
import shutil
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import dram_bench  # noqa: E402
import dram_traces  # noqa: E402
import npusim_tools as nt  # noqa: E402

SMALL = 2048  # requests per trace


class Definitions(unittest.TestCase):
    def trace(self, name, n=SMALL):
        return list(dram_traces.requests(name, n))

    def test_sequential_and_strided_addresses(self):
        self.assertEqual(self.trace("seq_read", 3), [("LD", 0), ("LD", 64), ("LD", 128)])
        self.assertEqual(self.trace("seq_write", 2), [("ST", 0), ("ST", 64)])
        self.assertEqual(self.trace("stride_8k", 3), [("LD", 0), ("LD", 8192), ("LD", 16384)])

    def test_interleaved_alternates_a_read_and_a_write_stream(self):
        t = self.trace("rw_interleaved", 6)
        w = 256 << 20
        self.assertEqual(t, [("LD", 0), ("ST", w), ("LD", 64), ("ST", w + 64), ("LD", 128), ("ST", w + 128)])

    def test_random_reads_are_aligned_inside_1_gib_and_seeded(self):
        t = self.trace("random_1g")
        self.assertTrue(all(op == "LD" and a % 64 == 0 and 0 <= a < 1 << 30 for op, a in t))
        self.assertEqual(t, list(dram_traces.requests("random_1g", SMALL, seed=1)))
        self.assertNotEqual(t, list(dram_traces.requests("random_1g", SMALL, seed=2)))
        self.assertGreater(len(set(t)), SMALL - 10)  # 2048 draws from 2**24 lines: few repeats

    def test_tiles_walk_rows_of_a_tile_then_tiles_then_bands(self):
        t = [a for _, a in self.trace("tiles_2d", 14 * 256 + 1)]
        self.assertEqual(t[:5], [0, 64, 128, 192, 3584])  # row 0's four lines, then row 1
        self.assertEqual(t[255], 63 * 3584 + 192)  # last line of tile 0
        self.assertEqual(t[256], 256)  # tile 1 sits beside tile 0
        self.assertEqual(t[13 * 256], 13 * 256)  # tile 13: the last of band 0
        self.assertEqual(t[14 * 256], 64 * 3584)  # tile 14: first of band 1

    def test_every_trace_has_the_requested_length(self):
        with tempfile.TemporaryDirectory() as d:
            written = dram_traces.write_all(d, 10)
            self.assertEqual(sorted(written), sorted(dram_traces.TRACES))
            for path, lines in written.values():
                with open(path) as f:
                    self.assertEqual(len(f.read().splitlines()), 10)


class ThroughNpusim(unittest.TestCase):
    """Each preset x trace runs once (setUpClass); the tests read the reports."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dram_traces_test-")
        traces = dram_traces.write_all(os.path.join(cls.dir, "traces"), SMALL)
        npusim = nt.default_npusim()
        cls.reports = {}
        for preset in dram_bench.PRESETS:
            for name, (path, _) in traces.items():
                out = os.path.join(cls.dir, preset + "-" + name)
                cls.reports[(preset, name)] = dram_bench.run_one(npusim, preset, path, out)[0]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def test_reports_count_every_line_on_every_preset(self):
        writes = {"seq_write": SMALL, "rw_interleaved": SMALL // 2}
        for (preset, name), r in self.reports.items():
            with self.subTest(preset=preset, trace=name):
                self.assertEqual((r["requests"], r["writes"]), (SMALL, writes.get(name, 0)))
                self.assertEqual(r["commands"]["RD"] + r["commands"]["WR"] + r["forwarded_reads"], SMALL)

    def test_sequential_reads_hit_open_rows_and_random_reads_do_not(self):
        for preset in dram_bench.PRESETS:
            with self.subTest(preset=preset):
                self.assertGreater(self.reports[(preset, "seq_read")]["row_hit_rate"], 0.9)
                self.assertLess(self.reports[(preset, "random_1g")]["row_hit_rate"], 0.1)


class Markdown(unittest.TestCase):
    def test_only_the_part_between_the_markers_is_replaced(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "dram.md")
            with open(path, "w") as f:
                f.write("# T\nhand\n%s\nold\n%s\nafter\n" % (dram_bench.BEGIN, dram_bench.END))
            dram_bench.update_markdown(path, dram_bench.BEGIN + "\nnew\n" + dram_bench.END)
            with open(path) as f:
                want = "# T\nhand\n%s\nnew\n%s\nafter\n" % (dram_bench.BEGIN, dram_bench.END)
                self.assertEqual(f.read(), want)


if __name__ == "__main__":
    unittest.main()
