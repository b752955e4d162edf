// npusim._native: the native part of the Python module `npusim` (python/npusim/__init__.py wraps
// it; docs/python.md). One Simulator holds an arch and a network loaded once and answers cost and
// run queries through explore::CostSession, the session `npusim serve` answers its requests with:
// each query that is not cached simulates in a forked child (SystemC elaborates once per
// process), with the GIL released.
//
//   s = _native.Simulator("arch/unpu.json", "workloads/mobilenet_q4.json", "timing", "", "auto", 1000)
//   s.cost('{"weight_bits": {"*": 4}, "layers": true}')   # -> (figures dict, cached)
//   s.run('{}', ["input=x.npy"])                           # -> (figures dict, {name: npy bytes})
// Requests are `npusim serve` request lines (explore/serve_request.h), checked by the same parser,
// so a bad one fails with serve's message.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/compiler.h"
#include "compiler/transforms/prune.h"
#include "config/arch.h"
#include "config/unit_kind.h"
#include "explore/cost_session.h"
#include "explore/serve_request.h"
#include "frontends/load.h"
#include "support/error.h"

namespace py = pybind11;
using nlohmann::json;

namespace npusim::python {
namespace {

// The module's exception types (created once at import; never freed, as the module is never
// unloaded): Error, and InputError (also a ValueError) / SimulationError (also a RuntimeError).
PyObject* g_error = nullptr;
PyObject* g_input_error = nullptr;
PyObject* g_simulation_error = nullptr;

// An exception carrying `message`, of the type `type`.
struct PyRaise {
  PyObject* type;
  std::string message;
};

py::object ToPython(const json& j) {
  switch (j.type()) {
    case json::value_t::boolean: return py::bool_(j.get<bool>());
    case json::value_t::number_integer: return py::int_(j.get<int64_t>());
    case json::value_t::number_unsigned: return py::int_(j.get<uint64_t>());
    case json::value_t::number_float: return py::float_(j.get<double>());
    case json::value_t::string: return py::str(j.get_ref<const std::string&>());
    case json::value_t::array: {
      py::list l(j.size());
      for (size_t i = 0; i < j.size(); ++i) l[i] = ToPython(j[i]);
      return std::move(l);
    }
    case json::value_t::object: {
      py::dict d;
      for (const auto& [k, v] : j.items()) d[py::str(k)] = ToPython(v);
      return std::move(d);
    }
    default: return py::none();
  }
}

// The figures, or the exception their "error" says (InputError for invalid input).
py::dict FiguresOrRaise(const json& figures) {
  if (figures.contains("error")) {
    throw PyRaise{figures.value("invalid_input", false) ? g_input_error : g_simulation_error,
                  figures["error"].get<std::string>()};
  }
  return ToPython(figures);
}

models::ExecMode ParseMode(const std::string& mode) {
  if (mode == "exact") return models::ExecMode::kExact;
  if (mode == "timing") return models::ExecMode::kTiming;
  throw PyRaise{g_input_error, "mode: expected exact or timing, got \"" + mode + "\""};
}

explore::SessionOptions Options(const std::string& mode, const std::string& objective,
                                const std::string& fusion, int64_t cache) {
  explore::SessionOptions o;
  o.mode = ParseMode(mode);
  if (!objective.empty() && !compiler::ObjectiveProblem(objective).empty()) {
    throw PyRaise{g_input_error, "objective: " + compiler::ObjectiveProblem(objective)};
  }
  o.compile.objective = objective;
  if (!compiler::FusionProblem(fusion).empty()) {
    throw PyRaise{g_input_error, "fusion: " + compiler::FusionProblem(fusion)};
  }
  o.compile.fusion = compiler::FusionNamed(fusion);
  if (cache < 0) throw PyRaise{g_input_error, "cache: expected at least 0, got " + std::to_string(cache)};
  o.cache = static_cast<size_t>(cache);
  return o;
}

core::ArchConfig LoadArch(const std::string& file, const std::string& objective) {
  core::ArchConfig arch = core::LoadArch(file);
  core::ApplyObjective(&arch, objective);
  return arch;
}

// A request line parsed as `npusim serve` parses it; a bad one raises InputError with serve's message.
explore::serve::Request Parse(const std::string& line) {
  explore::serve::Request r = explore::serve::ParseRequest(line);
  if (!r.error.empty()) throw PyRaise{g_input_error, r.error};
  return r;
}

class Simulator {
 public:
  Simulator(const std::string& arch, const std::string& net, const std::string& mode,
            const std::string& objective, const std::string& fusion, int64_t cache)
      : arch_file_(arch),
        session_(LoadArch(arch, objective), frontends::LoadNetworkFile(net), net,
                 Options(mode, objective, fusion, cache)) {}

  // (figures, cached) of the request.
  py::tuple Cost(const std::string& line) {
    const explore::serve::Request r = Parse(line);
    explore::CostAnswer a;
    {
      py::gil_scoped_release released;
      const std::lock_guard<std::mutex> lock(mutex_);
      a = session_.Cost(r, r.layers);
    }
    return py::make_tuple(FiguresOrRaise(a.figures), a.cached);
  }

  // (figures, {output name: .npy bytes}) of one exact-mode simulation under the request's policy.
  py::tuple Run(const std::string& line, const std::vector<std::string>& input_specs) {
    const explore::serve::Request r = Parse(line);
    explore::CostSession::RunAnswer a;
    {
      py::gil_scoped_release released;
      const std::lock_guard<std::mutex> lock(mutex_);
      a = session_.Run(r, input_specs);
    }
    py::dict figures = FiguresOrRaise(a.figures);
    py::dict outputs;
    for (const auto& [name, bytes] : a.outputs) outputs[py::str(name)] = py::bytes(bytes);
    return py::make_tuple(figures, outputs);
  }

  std::vector<std::string> Layers() const { return compiler::ConvLayers(session_.graph()); }
  std::vector<std::string> Inputs() const { return session_.graph().inputs; }
  std::vector<std::string> Outputs() const { return session_.graph().outputs; }
  const std::string& ArchFile() const { return arch_file_; }
  const std::string& NetFile() const { return session_.net_file(); }
  std::string Mode() const { return session_.mode() == models::ExecMode::kExact ? "exact" : "timing"; }
  py::tuple CacheInfo() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return py::make_tuple(session_.cache().size(), session_.cache().limit());
  }
  void ClearCache() {
    const std::lock_guard<std::mutex> lock(mutex_);
    session_.cache().Clear();
  }

 private:
  std::string arch_file_;
  explore::CostSession session_;
  std::mutex mutex_;  // one query at a time (the cache is not shared between threads otherwise)
};

PyObject* NewException(const char* name, PyObject* bases, const char* doc) {
  PyObject* e = PyErr_NewExceptionWithDoc(name, doc, bases, nullptr);
  if (!e) throw py::error_already_set();
  return e;
}

void AddExceptions(py::module_& m) {
  g_error = NewException("npusim.Error", PyExc_Exception, "Any error npusim reports.");
  const py::tuple input_bases = py::make_tuple(py::handle(g_error), py::handle(PyExc_ValueError));
  g_input_error = NewException(
      "npusim.InputError", input_bases.ptr(),
      "Invalid input: a file, a JSON path, a layer name, a width or ratio out of range (the command "
      "line's exit 2). Also a ValueError.");
  const py::tuple sim_bases = py::make_tuple(py::handle(g_error), py::handle(PyExc_RuntimeError));
  g_simulation_error = NewException("npusim.SimulationError", sim_bases.ptr(),
                                    "A simulation that failed or died (the command line's exit 1). Also a "
                                    "RuntimeError.");
  m.attr("Error") = py::handle(g_error);
  m.attr("InputError") = py::handle(g_input_error);
  m.attr("SimulationError") = py::handle(g_simulation_error);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const PyRaise& e) {
      PyErr_SetString(e.type, e.message.c_str());
    } catch (const core::ConfigError& e) {
      PyErr_SetString(g_input_error, e.what());
    }
  });
}

}  // namespace
}  // namespace npusim::python

// libsystemc references sc_main, which the module never calls (the children simulate through
// sim::Run, not SystemC's main); it only has to resolve when the module loads.
// Exported: pybind11 builds the module with hidden visibility.
extern "C" __attribute__((visibility("default"))) int sc_main(int, char**) { return 1; }

PYBIND11_MODULE(_native, m) {
  using npusim::python::Simulator;
  m.doc() = "npusim's native part (use the package npusim: docs/python.md)";
  npusim::python::AddExceptions(m);
  py::class_<Simulator>(m, "Simulator")
      .def(py::init<const std::string&, const std::string&, const std::string&, const std::string&,
                    const std::string&, int64_t>(),
           py::arg("arch"), py::arg("net"), py::arg("mode"), py::arg("objective"), py::arg("fusion"),
           py::arg("cache"))
      .def("cost", &Simulator::Cost, py::arg("request"))
      .def("run", &Simulator::Run, py::arg("request"), py::arg("inputs"))
      .def("cache_info", &Simulator::CacheInfo)
      .def("clear_cache", &Simulator::ClearCache)
      .def_property_readonly("layers", &Simulator::Layers)
      .def_property_readonly("inputs", &Simulator::Inputs)
      .def_property_readonly("outputs", &Simulator::Outputs)
      .def_property_readonly("arch", &Simulator::ArchFile)
      .def_property_readonly("net", &Simulator::NetFile)
      .def_property_readonly("mode", &Simulator::Mode);
}
