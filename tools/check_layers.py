#!/usr/bin/python3
"""Checks that no #include goes up a layer (docs/architecture.md, "Layers").

Usage: tools/check_layers.py [SOURCE_DIR]

Every .h and .cpp under a layer's folder may include headers of its own folder and of the folders
listed for it below, nothing else of ours. Prints each include that breaks this as FILE:LINE and
exits 1; exits 0 when there is none. app/, tests/, bench/ and fuzz/ may include anything.
"""
import os
import re
import sys

# Each layer and the layers below it that it may include (the closure, written out).
ALLOWED = {
    "support": set(),
    "ir": {"support"},
    "config": {"ir", "support"},
    "reference": {"ir", "support"},
    "frontends/onnx": {"ir", "support"},
    "frontends/scalesim": {"models/timing", "isa", "config", "ir", "support"},
    "frontends": {"frontends/onnx", "frontends/scalesim", "models/timing", "isa", "config", "ir", "support"},
    "isa": {"config", "ir", "support"},
    "models/timing": {"isa", "config", "ir", "support"},
    "compiler": {"models/timing", "isa", "config", "ir", "support"},
    "models": {"models/timing", "isa", "config", "ir", "support"},
    "sim": {"models", "compiler", "models/timing", "isa", "config", "ir", "support"},
    "explore": {"sim", "models", "compiler", "models/timing", "isa", "config", "ir", "support"},
    # The Python module: a front end like app/, which it must not include.
    "python": {"explore", "sim", "models", "compiler", "models/timing", "isa", "config", "ir", "support",
               "frontends", "frontends/onnx", "frontends/scalesim", "reference"},
}
# Folders of ours that are not layers a library may include.
ABOVE = ("app/", "tests/", "bench/", "fuzz/")
INCLUDE = re.compile(r'\s*#\s*include\s+"([^"]+)"')


def layer_of(path):
    for name in sorted(ALLOWED, key=len, reverse=True):
        if path.startswith(name + "/"):
            return name
    return None


def violations(root):
    found = []
    for name in ALLOWED:
        for folder, _, files in os.walk(os.path.join(root, name)):
            for f in sorted(files):
                if not f.endswith((".h", ".cpp")):
                    continue
                rel = os.path.relpath(os.path.join(folder, f), root)
                own = layer_of(rel)
                if own != name:  # models/timing/ files are visited under models/ too
                    continue
                with open(os.path.join(root, rel), encoding="utf-8") as text:
                    for n, line in enumerate(text, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        inc = m.group(1)
                        target = layer_of(inc)
                        if inc.startswith(ABOVE) or (target and target != own and target not in ALLOWED[own]):
                            found.append(f"{rel}:{n}: {own}/ includes {inc}")
    return sorted(found)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    found = violations(root)
    for v in found:
        print(v)
    print(f"{len(found)} includes go up a layer" if found else "no include goes up a layer")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
