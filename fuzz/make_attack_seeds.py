#!/usr/bin/env python3
"""Writes the attack-shape seeds of issue 20 (results/fuzz.md) into fuzz/seeds/:
inputs that ask for unbounded work or memory in few bytes (10^12-point grids, 10^12-entry LUT
spaces), nesting far beyond the 512-level limit, numbers that are not normal (1e-320) or not
finite-sized (1e400, 2^64), very long names and partial lines. Each file stays within its target's
-max_len in fuzz/run.sh (8 KB for serve_request, 16 KB for lut_space and sweep_grid: libFuzzer cuts
longer seeds, and large inputs make every execution slow); the limits they probe are set low in the
fuzzers where they are larger than that (serve_request_fuzzer reads lines of at most 4 KB,
lut_space_fuzzer builds at most 500 entries). Run from the repository root; the output is deterministic."""
import json
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
MAX_LEN = {"serve_request": 8192, "lut_space": 16384, "sweep_grid": 16384}  # fuzz/run.sh


def write(target, name, text):
    data = text.encode() if isinstance(text, str) else text
    assert len(data) <= MAX_LEN[target], (target, name, len(data))
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


def nested(depth, inner="1", opener="[", closer="]"):
    return opener * depth + inner + closer * depth


def lut_space():
    hundred = list(range(1, 101))
    write("lut_space", "layers_1e12_entries.json", json.dumps(
        {"layers": [{"op": ["conv2d", "depthwise"], "in_channels": hundred, "out_channels": hundred,
                     "kernel": hundred, "resolution": hundred, "stride": hundred,
                     "weight_bits": list(range(1, 17))}]}))
    write("lut_space", "layers_150_blocks.json", json.dumps(
        {"layers": [{"op": "conv2d", "in_channels": [i % 64 + 1], "out_channels": [8], "kernel": [1, 3],
                     "resolution": [8]} for i in range(150)]}))
    write("lut_space", "layers_small.json", json.dumps(
        {"layers": [{"op": ["conv2d", "depthwise", "fully_connected"], "in_channels": [16, 32],
                     "out_channels": [32], "kernel": [1, 3], "stride": [1, 2], "resolution": [14],
                     "weight_bits": [4, 8]}]}))
    write("lut_space", "nested_8000.json", '{"layers": ' + nested(8000) + "}")
    write("lut_space", "nested_objects_1400.json", nested(1400, "1", '{"stages":', "}"))
    write("lut_space", "denormal_numbers.json",
          '{"layers": [{"op": "conv2d", "in_channels": [1e-320], "out_channels": [4.9e-324], '
          '"kernel": [1e400], "resolution": [-0.0], "stride": [18446744073709551616]}]}')
    write("lut_space", "long_name.json", json.dumps(
        {"name": "n" * 16000, "input": {"resolution": 32, "channels": 3},
         "stages": [{"out_channels": 8, "blocks": 1, "stride": 1}],
         "choices": {"kernel": [3], "expansion": [1], "weight_bits": [8], "activation_bits": [8]}}))
    write("lut_space", "blocks_huge_counts.json", json.dumps(
        {"name": "huge", "input": {"resolution": 1000000000, "channels": 9223372036854775807},
         "stem": {"out_channels": 4294967296, "kernel": 65537, "stride": 1},
         "stages": [{"out_channels": 2147483648, "blocks": 1000000000000, "stride": 2}],
         "choices": {"kernel": [3, 5, 7], "expansion": [1000000], "weight_bits": [4, 8],
                     "activation_bits": [8, 16]},
         "head": {"out_channels": 1280, "classes": 1000000000}}))
    write("lut_space", "blocks_max_choices.json", json.dumps(
        {"name": "wide", "input": {"resolution": 16, "channels": 3},
         "stages": [{"out_channels": 8, "blocks": 256, "stride": 1}],
         "choices": {"kernel": list(range(1, 16, 2)), "expansion": list(range(1, 17)),
                     "weight_bits": list(range(1, 17)), "activation_bits": list(range(2, 17))},
         "residual": True}))
    write("lut_space", "blocks_partial.json", '{"name": "cut", "input": {"resolution": 96, "channels": 3}, '
          '"stages": [{"out_channels": 24, "blocks": 2, "stride": 2}, {"out_ch')


def serve_request():
    # The first byte picks the read chunk size (fuzz/serve_request_fuzzer.cpp).
    write("serve_request", "nested_4000.txt", "\x07" + nested(4000) + "\n")
    write("serve_request", "nested_objects.txt", "\x01" + nested(500, "4", '{"weight_bits":', "}") + "\n")
    write("serve_request", "partial_lines.txt",
          "\x03" + "".join('{"id": %d, "weight_bits": {"*": 4' % i for i in range(200)))
    # Beyond the fuzzer's 4 KB line limit: the oversized-line path, then a request after it.
    write("serve_request", "long_line_then_request.txt",
          "\x3f" + '{"id": "' + "x" * 6000 + '"}\n{"id": 1, "weight_bits": {"*": 4}}\n')
    write("serve_request", "long_line_no_newline.txt", "\x3f" + '{"id": "' + "x" * 8000)
    write("serve_request", "long_layer_name.txt",
          "\x10" + json.dumps({"id": 1, "weight_bits": {"L" * 3900: 4}}) + "\n")
    write("serve_request", "many_layers.txt",
          "\x20" + json.dumps({"id": 2, "weight_bits": {"c%d" % i: 1 + i % 16 for i in range(400)}}) + "\n")
    write("serve_request", "odd_numbers.txt", "\x05" + "\n".join([
        '{"id": 1e-320, "weight_bits": {"*": 4}}',
        '{"id": 1, "weight_bits": {"*": 1e-320}}',
        '{"id": 2, "weight_bits": {"*": 1e400}}',
        '{"id": 3, "weight_bits": {"*": 18446744073709551617}}',
        '{"id": 4, "weight_bits": {"*": -9223372036854775809}}',
        '{"id": 5, "keep": {"*": 4.9e-324}}',
        '{"id": 6, "keep": {"*": 1e308}, "layers": 1e-320}',
        '{"id": 7, "activation_bits": {"*": 8.0000000000000001}}',
    ]) + "\n")
    write("serve_request", "control_bytes.txt",
          b"\x02" + b'{"id": "\x00\x01\xff\xfe", "weight_bits": {"*": 4}}\r\n\r\n\n\n   \n\t\n'
          + b'{"id": "\xed\xa0\x80"}\n' + b"\xef\xbb\xbf{}\n")
    write("serve_request", "many_requests.txt",
          "\x40" + "".join('{"id": %d, "weight_bits": {"*": %d}}\n' % (i, 1 + i % 16) for i in range(200)))


def sweep_grid():
    write("sweep_grid", "small.json", json.dumps(
        {"knobs": {"/units/0/cores": [1, 2, 4], "/clock_mhz": {"range": [100, 400, 100]},
                   "/buffers/0/size_bytes": [32768, 65536], "weight_bits:*": [4, 8],
                   "activation_bits:conv0": [8, 16]}, "sample": 10, "seed": 3}))
    write("sweep_grid", "ranges_float.json", json.dumps(
        {"knobs": {"/operating_point/voltage_v": {"range": [0.8, 1.2, 0.1]},
                   "/dram/capacity_bytes": {"range": [67108864, 268435456, 67108864]}}}))
    thousand = {"range": [1, 1000, 1]}
    knobs_1e12 = {"/units/0/cores": thousand, "/units/0/pes_per_core": thousand,
                  "/units/0/tables_per_pe": thousand, "/units/0/outputs_per_pe": thousand}
    write("sweep_grid", "points_1e12.json", json.dumps({"knobs": knobs_1e12}))
    write("sweep_grid", "points_1e12_sampled.json",
          json.dumps({"knobs": knobs_1e12, "sample": 5, "seed": 18446744073709551615}))
    write("sweep_grid", "range_1e18_values.json",
          '{"knobs": {"/clock_mhz": {"range": [0.001, 1e18, 1e-300]}}}')
    write("sweep_grid", "values_2e6.json",
          '{"knobs": {"/units/0/cores": {"range": [1, 2000000, 1]}}}')
    write("sweep_grid", "nested_value_8000.json",
          '{"knobs": {"/units/0/cores": [' + nested(8000) + "]}}")
    write("sweep_grid", "nested_value_500.json",
          '{"knobs": {"/units/0/cores": [' + nested(500) + "]}}")
    write("sweep_grid", "clock_denormal.json",
          '{"knobs": {"/clock_mhz": [1e-320, 4.9e-324, 0, -200, 1e400, 200000], '
          '"/dram/clock_mhz": [1e-320]}}')
    write("sweep_grid", "long_key.json", json.dumps({"knobs": {"/" + "k" * 16000: [1]}}))
    write("sweep_grid", "long_value.json", json.dumps({"knobs": {"/name": ["v" * 16000, "w"]}}))
    write("sweep_grid", "sample_huge.json", json.dumps(
        {"knobs": {"/units/0/cores": [1, 2]}, "sample": 9223372036854775807, "seed": -1}))
    write("sweep_grid", "buffers_1gib.json", json.dumps(
        {"knobs": {"/buffers/%d/size_bytes" % i: [64, 1073741824] for i in range(4)}}))
    write("sweep_grid", "pointer_escapes.json", json.dumps(
        {"knobs": {"/units/0/~1x": [1], "/units/~0": [1], "/units/99999999999999999999/cores": [1],
                   "units/0/cores": [1], "": [1], "/": [1], "weight_bits:": [4],
                   "activation_bits:*": [1, 17]}}))
    write("sweep_grid", "partial.json", '{"knobs": {"/units/0/cores": [1, 2, 4], "/clock_mhz": {"range": [10')


if __name__ == "__main__":
    lut_space()
    serve_request()
    sweep_grid()
