#!/usr/bin/python3
"""Tests of tools/check_layers.py: the source tree passes, and a tree with an include that goes
up a layer fails naming it. ctest runs it (tests/CMakeLists.txt) with Debian's python3:
    /usr/bin/python3 tests/tools/check_layers_test.py [-v]
"""
import os
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import check_layers  # noqa: E402


def tree(files):
    root = tempfile.mkdtemp()
    for path, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
        with open(os.path.join(root, path), "w") as f:
            f.write(text)
    return root


class CheckLayers(unittest.TestCase):
    def test_the_source_tree_has_no_include_going_up(self):
        self.assertEqual(check_layers.violations(ROOT), [])

    def test_includes_going_down_or_sideways_in_a_layer_pass(self):
        root = tree({
            "config/arch.cpp": '#include "config/arch.h"\n#include "ir/graph.h"\n#include <vector>\n',
            "models/timing/t.cpp": '#include "isa/instruction.h"\n#include "support/error.h"\n',
            "sim/s.cpp": '#include "models/npu.h"\n#include "compiler/compiler.h"\n',
        })
        self.assertEqual(check_layers.violations(root), [])

    def test_an_include_going_up_is_named_with_file_and_line(self):
        root = tree({
            "ir/graph.cpp": '#include "ir/graph.h"\n#include "config/arch.h"\n',
            "models/timing/t.cpp": '#include "models/npu.h"\n',
            "reference/r.cpp": '  #  include "app/run.h"\n',
            "frontends/onnx/o.cpp": '#include "frontends/scalesim/scalesim_input.h"\n',
        })
        self.assertEqual(check_layers.violations(root), [
            "frontends/onnx/o.cpp:1: frontends/onnx/ includes frontends/scalesim/scalesim_input.h",
            "ir/graph.cpp:2: ir/ includes config/arch.h",
            "models/timing/t.cpp:1: models/timing/ includes models/npu.h",
            "reference/r.cpp:1: reference/ includes app/run.h",
        ])


if __name__ == "__main__":
    unittest.main()
