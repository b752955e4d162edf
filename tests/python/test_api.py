"""The Python module against the command line: sim.cost() equals `npusim run`'s report.json and
`npusim serve`'s answers for the same network and policy, sim.run() equals its outputs/*.npy bit
for bit, errors carry the command line's messages, and the answer cache is bounded."""
import os

import numpy as np
import pytest

import npusim
from conftest import MOBILENET, ROOT, UNPU, cli_report, run_cli, serve_answers

TOTALS = ["cycles", "seconds", "energy_pj", "energy_breakdown_pj", "macs", "tops_per_w", "peak_tops",
          "area_mm2", "area", "tops_per_mm2", "peak_tops_per_mm2"]
LAYER_FIGURES = ["name", "op", "cycles", "energy_pj", "macs", "dram_read_bytes", "dram_write_bytes"]


@pytest.fixture(scope="module")
def mobilenet():
    return npusim.Simulator(UNPU, MOBILENET)


def assert_same_figures(cost, report):
    for k in TOTALS:
        assert cost[k] == report[k], k
    if "counters" in report:  # report.json has the DRAM bytes among its counters, serve's answer as they are
        report = dict(report, dram_read_bytes=report["counters"]["dram.read_byte"],
                      dram_write_bytes=report["counters"]["dram.write_byte"])
    assert cost.dram_read_bytes == report["dram_read_bytes"]
    assert cost.dram_write_bytes == report["dram_write_bytes"]
    assert [[getattr(L, k) for k in LAYER_FIGURES] for L in cost.layers] == \
        [[L[k] for k in LAYER_FIGURES] for L in report["layers"]]


def test_cost_equals_the_readme_run(mobilenet, npusim_binary, tmp_path):
    report = cli_report(npusim_binary, tmp_path, "--arch", UNPU, "--net", MOBILENET, "--mode", "timing")
    cost = mobilenet.cost(layers=True)
    assert_same_figures(cost, report)
    assert cost.cycles > 0 and cost.energy_pj == pytest.approx(sum(cost.energy_breakdown_pj.values()))
    assert len(cost.layers) == len(report["layers"]) == 30
    assert mobilenet.cost().layers is None  # per-layer figures only when asked


def test_exact_mode_cost_equals_timing_mode_cost(mobilenet):
    exact = npusim.Simulator(UNPU, MOBILENET, mode="exact")
    assert exact.mode == "exact" and mobilenet.mode == "timing"
    assert exact.cost(weight_bits=6).as_dict() == mobilenet.cost(weight_bits=6).as_dict()


def test_weight_and_activation_bits_equal_the_command_line_flags(mobilenet, npusim_binary, tmp_path):
    report = cli_report(npusim_binary, tmp_path, "--arch", UNPU, "--net", MOBILENET, "--mode", "timing",
                        "--weight-bits", "*=4,conv0=8,pw13=2", "--activation-bits", "pw5=16")
    cost = mobilenet.cost(weight_bits={"*": 4, "conv0": 8, "pw13": 2}, activation_bits={"pw5": 16},
                          layers=True)
    assert_same_figures(cost, report)
    # Bit-serial UNPU: 2-bit weights take fewer cycles than the network's own 4 bits.
    assert mobilenet.cost(weight_bits={"*": 2}).cycles < mobilenet.cost().cycles


def test_a_number_stands_for_every_layer(mobilenet):
    assert mobilenet.cost(weight_bits=np.int64(3)).as_dict() == mobilenet.cost(weight_bits={"*": 3}).as_dict()


def test_keep_equals_serve(mobilenet, npusim_binary):
    policy = {"keep": {"pw3": 0.5, "pw7": 0.25}, "weight_bits": {"*": 5}, "layers": True}
    [answer] = serve_answers(npusim_binary, [policy], "--arch", UNPU, "--net", MOBILENET, "--mode", "timing")
    assert answer["ok"], answer
    cost = mobilenet.cost(keep=policy["keep"], weight_bits=policy["weight_bits"], layers=True)
    assert_same_figures(cost, answer)
    assert cost.macs < mobilenet.cost().macs


def test_identical_queries_are_answered_from_the_bounded_cache():
    sim = npusim.Simulator(UNPU, MOBILENET, cache=1)
    first = sim.cost(weight_bits=3)
    assert not first.cached
    again = sim.cost(weight_bits={"*": 3})
    assert again.cached and again == first
    assert not sim.cost(weight_bits=3, layers=True).cached  # per-layer figures: another query
    assert sim.cache_info() == (1, 1)
    assert not sim.cost(weight_bits=3).cached  # dropped: the cache holds one answer
    sim.clear_cache()
    assert sim.cache_info() == (0, 1)
    uncached = npusim.Simulator(UNPU, MOBILENET, cache=0)
    assert not uncached.cost().cached and not uncached.cost().cached


def test_run_outputs_equal_the_command_line_outputs_bit_for_bit(npusim_binary, tmp_path):
    sim = npusim.Simulator(UNPU, MOBILENET)
    shape = [224, 224, 3]
    rng = np.random.default_rng(7)
    x = rng.integers(-128, 128, size=[1] + shape).astype(np.int8)
    np.save(tmp_path / "x.npy", x)
    report = cli_report(npusim_binary, tmp_path / "run", "--arch", UNPU, "--net", MOBILENET, "--input",
                        str(tmp_path / "x.npy"), "--weight-bits", "*=3")
    outs = sim.run({"input": x}, weight_bits=3)
    [out] = report["outputs"]
    cli = np.load(tmp_path / "run" / out["file"])
    assert list(outs) == [out["name"]]
    got = outs[out["name"]]
    assert got.dtype == cli.dtype and got.shape == cli.shape and np.array_equal(got, cli)
    assert outs.cost.cycles == report["cycles"]
    # A path works as the command line's --input; a list gives inputs by position.
    by_path = sim.run({"input": str(tmp_path / "x.npy")}, weight_bits=3)
    assert np.array_equal(by_path[out["name"]], cli)
    assert np.array_equal(sim.run([x], weight_bits=3)[out["name"]], cli)
    # Another input gives other logits (the outputs come from the data path, not a constant).
    assert not np.array_equal(sim.run({"input": -1 - x}, weight_bits=3)[out["name"]], cli)


def test_run_with_the_network_data_equals_run_without_input(npusim_binary, tmp_path):
    net = os.path.join(ROOT, "workloads", "tiny_conv.json")
    arch = os.path.join(ROOT, "arch", "dense_16x16.json")
    report = cli_report(npusim_binary, tmp_path, "--arch", arch, "--net", net)
    outs = npusim.Simulator(arch, net).run()
    assert [o["name"] for o in report["outputs"]] == list(outs)
    for o in report["outputs"]:
        assert np.array_equal(outs[o["name"]], np.load(tmp_path / o["file"]))


def cli_error(binary, *args):
    code, _, err = run_cli(binary, *args, check=False)
    assert code == 2, err
    return err.strip()


def test_bad_files_raise_input_error_with_the_command_line_message(npusim_binary, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "clock_mhz": "fast"}')
    for arch, net in ((str(bad), MOBILENET), (UNPU, str(tmp_path / "missing.json"))):
        with pytest.raises(npusim.InputError) as e:
            npusim.Simulator(arch, net)
        assert isinstance(e.value, ValueError) and isinstance(e.value, npusim.Error)
        message = str(e.value)
        assert message and message in cli_error(npusim_binary, "run", "--arch", arch, "--net", net, "--out",
                                                str(tmp_path / "out"))


def test_bad_policies_raise_input_error_with_serve_message(mobilenet, npusim_binary):
    bad = [{"weight_bits": {"conv99": 4}}, {"weight_bits": {"*": 17}}, {"activation_bits": {"*": 1}},
           {"keep": {"pw3": 0}}, {"keep": {"pool": 0.5}}, {"weight_bits": {"dw1": "four"}}]
    answers = serve_answers(npusim_binary, bad, "--arch", UNPU, "--net", MOBILENET, "--mode", "timing")
    for request, answer in zip(bad, answers):
        assert not answer["ok"]
        with pytest.raises(npusim.InputError) as e:
            mobilenet.cost(**request)
        assert str(e.value) == answer["error"], request
    with pytest.raises(ValueError, match="conv99"):
        mobilenet.run(weight_bits={"conv99": 4})


def test_a_policy_the_arch_cannot_run_raises_the_compile_error(mobilenet, npusim_binary, tmp_path):
    with pytest.raises(npusim.InputError) as e:
        mobilenet.cost(activation_bits={"pw5": 6})  # UNPU's array reads 8- or 16-bit activations
    assert "runs input bits {8, 16}" in str(e.value)
    assert cli_error(npusim_binary, "run", "--arch", UNPU, "--net", MOBILENET, "--activation-bits", "pw5=6",
                     "--out", str(tmp_path)) == "npusim: error: " + str(e.value)


def test_bad_options_and_inputs_raise_input_error(mobilenet, tmp_path):
    with pytest.raises(npusim.InputError, match='mode: expected exact or timing, got "fast"'):
        npusim.Simulator(UNPU, MOBILENET, mode="fast")
    with pytest.raises(npusim.InputError, match='objective: expected cycles, energy or edp, got "area"'):
        npusim.Simulator(UNPU, MOBILENET, objective="area")
    with pytest.raises(npusim.InputError, match='fusion: expected none or auto, got "all"'):
        npusim.Simulator(UNPU, MOBILENET, fusion="all")
    with pytest.raises(npusim.InputError, match="inputs\\['input'\\]"):
        mobilenet.run({"input": np.zeros([1, 8, 8, 3], np.int8)})
    with pytest.raises(npusim.InputError, match='"image", which is not a network input'):
        mobilenet.run({"image": np.zeros([1, 224, 224, 3], np.int8)})


def test_fusion_and_objective_are_the_command_line_options(npusim_binary, tmp_path):
    for opts, kwargs in ((["--fusion", "none"], {"fusion": "none"}),
                         (["--objective", "energy"], {"objective": "energy"})):
        report = cli_report(npusim_binary, tmp_path / opts[1], "--arch", UNPU, "--net", MOBILENET, "--mode",
                            "timing", *opts)
        assert_same_figures(npusim.Simulator(UNPU, MOBILENET, **kwargs).cost(layers=True), report)


def test_layers_and_paths(mobilenet):
    assert mobilenet.arch == UNPU and mobilenet.net == MOBILENET
    assert mobilenet.layers[:3] == ["conv0", "dw1", "pw1"] and mobilenet.layers[-1] == "fc"
    assert len(mobilenet.layers) == 28  # conv0, 13 depthwise, 13 pointwise, fc
    assert mobilenet.inputs == ["input"]
