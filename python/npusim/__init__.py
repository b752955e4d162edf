"""npusim in process: cost and run queries on an arch and network loaded once (docs/python.md).

    import npusim
    sim = npusim.Simulator("arch/unpu.json", "workloads/mobilenet_q4.json")   # timing mode
    c = sim.cost(weight_bits={"*": 4, "conv0": 8}, keep={"pw3": 0.5}, layers=True)
    c.cycles, c.energy_pj, c.energy_breakdown_pj, c.seconds, c.layers[0].name, c.cached
    outs = sim.run({"input": x})   # exact mode: {output name: numpy array}, from the simulated data path

Each query that is not cached simulates in a forked child, as `npusim serve` does (the same
code: explore/cost_session.h), so its figures equal `npusim run`'s for the same network and
policy. Errors raise npusim.InputError (also a ValueError) for invalid input and
npusim.SimulationError (also a RuntimeError) for a failed simulation, with the command line's
messages.
"""
import io
import json
import os
import tempfile

from . import _native
from ._native import Error, InputError, SimulationError

__all__ = ["Simulator", "Cost", "Layer", "Outputs", "Error", "InputError", "SimulationError"]


class _Figures:
    """Figures as attributes (and as a dict: as_dict(), ["key"])."""

    __slots__ = ("_d",)

    def __init__(self, d):
        self._d = d

    def __getattr__(self, name):
        try:
            return self._d[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key):
        return self._d[key]

    def __contains__(self, key):
        return key in self._d

    def keys(self):
        return self._d.keys()

    def as_dict(self):
        """The figures as a plain dict (layers as dicts), as `npusim serve` answers them."""
        return dict(self._d)

    def __eq__(self, other):
        return isinstance(other, _Figures) and self._d == other._d

    def __repr__(self):
        shown = ", ".join(f"{k}={self._d[k]!r}" for k in self._d if k != "layers")
        return f"{type(self).__name__}({shown})"


class Layer(_Figures):
    """One layer's figures: name, op, cycles, energy_pj, macs, dram_read_bytes, dram_write_bytes."""

    __slots__ = ()


class Cost(_Figures):
    """What a policy costs: cycles, seconds, energy_pj, energy_breakdown_pj ({component: pJ}), macs,
    dram_read_bytes, dram_write_bytes, tops_per_w and peak_tops, and where the arch's energy file
    has an area section area_mm2, area ({component: mm^2}), tops_per_mm2 and peak_tops_per_mm2
    (as report.json's; docs/models.md, "Area"), cached (answered from the cache) and, when asked,
    layers (a list of Layer, in graph order)."""

    __slots__ = ("layers", "cached")

    def __init__(self, d, cached):
        super().__init__(d)
        self.cached = cached
        self.layers = [Layer(x) for x in d["layers"]] if "layers" in d else None


class Outputs(dict):
    """{output name: numpy array} of an exact-mode run; `.cost` holds that run's figures (a Cost
    with layers)."""

    cost = None


def _number(v):
    return v.item() if hasattr(v, "item") else v


def _per_layer(v):
    """A policy argument as the request's object: a dict {layer or "*": value}, or one value for
    every layer ("*")."""
    if v is None:
        return None
    if isinstance(v, dict):
        return {str(k): _number(x) for k, x in v.items()}
    return {"*": _number(v)}


def _request(weight_bits, activation_bits, keep, layers):
    r = {"layers": bool(layers)}
    for key, v in (("weight_bits", weight_bits), ("activation_bits", activation_bits), ("keep", keep)):
        v = _per_layer(v)
        if v:
            r[key] = v
    return json.dumps(r)


class Simulator:
    """An arch and a network loaded once.

    arch, net: file paths (a network JSON or an ONNX model); mode: "timing" (figures only, the
    default: the same cycles and energy as exact mode, without the output arithmetic) or "exact"
    for cost(); run() always simulates exactly. objective: None (the units' own), "cycles",
    "energy" or "edp"; fusion: "auto" or "none" (as `npusim run --objective/--fusion`). cache: how
    many cost answers are kept (least recently used dropped first; 0: every query simulates).
    """

    def __init__(self, arch, net, mode="timing", objective=None, fusion="auto", cache=100000):
        self._sim = _native.Simulator(os.fspath(arch), os.fspath(net), mode, objective or "", fusion,
                                      int(cache))

    @property
    def arch(self):
        """The arch file's path, as given."""
        return self._sim.arch

    @property
    def net(self):
        """The network file's path, as given."""
        return self._sim.net

    @property
    def mode(self):
        return self._sim.mode

    @property
    def layers(self):
        """The conv2d / fully_connected layers' names (what weight_bits, activation_bits and keep name)."""
        return self._sim.layers

    @property
    def inputs(self):
        """The network's input tensors' names."""
        return self._sim.inputs

    @property
    def outputs(self):
        """The network's output tensors' names."""
        return self._sim.outputs

    def cost(self, weight_bits=None, activation_bits=None, keep=None, layers=False):
        """The figures of the network under a policy: weight_bits {layer or "*": 1..16},
        activation_bits {layer or "*": 2..16} (HAQ), keep {layer or "*": ratio in (0, 1]} (AMC's
        channel keep ratios); a single number instead of a dict applies to every layer. layers:
        per-layer figures too. Returns a Cost. The same as `npusim serve`'s answer to
        {"weight_bits": ..., "activation_bits": ..., "keep": ..., "layers": ...}."""
        figures, cached = self._sim.cost(_request(weight_bits, activation_bits, keep, layers))
        return Cost(figures, cached)

    def run(self, inputs=None, weight_bits=None, activation_bits=None, keep=None):
        """Simulates the network in exact mode under the policy (as cost() takes it) and returns
        its outputs, {output name: numpy array}, equal bit for bit to `npusim run`'s
        outputs/*.npy. inputs: {input name: numpy array or .npy path}, or a list by position;
        None (or a missing input): the data the network file gives. Arrays are read as
        `npusim run --input` reads a file: integers of the input's type, or float32 real values
        quantized with its scale and zero point. Not cached."""
        import numpy as np

        with tempfile.TemporaryDirectory(prefix="npusim-run-") as tmp:
            specs, names = self._input_specs(inputs, tmp, np)
            try:
                figures, files = self._sim.run(_request(weight_bits, activation_bits, keep, True), specs)
            except Error as e:
                message = str(e)
                for path, name in names.items():
                    message = message.replace(path, name)
                raise type(e)(message) from None
        out = Outputs((name, np.load(io.BytesIO(data), allow_pickle=False)) for name, data in files.items())
        out.cost = Cost(figures, False)
        return out

    @staticmethod
    def _input_specs(inputs, tmp, np):
        """`--input` specs for the inputs; arrays saved under tmp. Also {temporary path: how the
        caller named the array} for messages."""
        if inputs is None:
            return [], {}
        items = inputs.items() if isinstance(inputs, dict) else enumerate(inputs)
        specs, names = [], {}
        for k, value in items:
            if isinstance(value, (str, os.PathLike)):
                path = os.fspath(value)
            else:
                path = os.path.join(tmp, f"input{len(specs)}.npy")
                np.save(path, np.asarray(value), allow_pickle=False)
                names[path] = f"inputs[{k!r}]"
            specs.append(f"{k}={path}" if isinstance(inputs, dict) else path)
        return specs, names

    def cache_info(self):
        """(answers kept, most kept)."""
        return self._sim.cache_info()

    def clear_cache(self):
        self._sim.clear_cache()

    def __repr__(self):
        return f"npusim.Simulator({self.arch!r}, {self.net!r}, mode={self.mode!r})"
