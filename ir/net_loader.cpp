// Loads workloads/*.json into the graph IR (docs/formats.md, "Network"). This file is the driver:
// the document's top level, the network's inputs and outputs and model_io; the readers by concern
// (ir/net_reader.h) do the tensors, the ops and the shape rules.
//
// Order of work: the network's input names, then every tensor (type, shape, quantization, data),
// then the ops in file order (references, topological order, attributes, shape inference and
// checks), then the network outputs. Problems never stop the walk; values that failed a check are
// left unknown so that one mistake does not cascade into many messages.
#include "ir/net_loader.h"

#include <cmath>
#include <set>

#include "ir/model_io_json.h"
#include "ir/net_reader.h"
#include "ir/quant.h"
#include "ir/verify.h"
#include "support/error.h"
#include "support/json_util.h"
#include "support/npy.h"

namespace npusim::core {
namespace {

using net::kMaxTensors;

class NetParser {
 public:
  explicit NetParser(const std::string& path) : s_(path) {}

  Graph Parse() {
    const Json doc = ReadJsonFile(s_.path);
    if (!check_.Object(doc, "")) problems_.ThrowIfAny();
    check_.Keys(doc, "", {"version", "name", "layout", "inputs", "outputs", "model_io", "tensors", "ops"});
    check_.Version(doc);
    if (auto name = check_.GetString(doc, "", "name", Need::kRequired)) {
      g_.name = *name;
      net::CheckNameLength(check_, *name, "/name", "network");
    }
    check_.GetEnum(doc, "", "layout", Need::kOptional, {"NHWC"});

    const Json* inputs =
        check_.Member(doc, "", "inputs", Need::kRequired, "a list of at least 1 tensor name");
    const Json* outputs =
        check_.Member(doc, "", "outputs", Need::kRequired, "a list of at least 1 tensor name");
    g_.inputs = NameList(inputs, "/inputs");
    g_.outputs = NameList(outputs, "/outputs");
    for (const std::string& n : g_.inputs) state_[n].is_input = true;

    if (const Json* t = check_.Member(doc, "", "tensors", Need::kRequired, "an object")) {
      if (check_.Object(*t, "/tensors") && t->size() > kMaxTensors) {
        check_.Add("/tensors", "expected at most " + std::to_string(kMaxTensors) + " tensors, got " +
                                   std::to_string(t->size()));
      } else if (t->is_object()) {
        for (auto it = t->begin(); it != t->end(); ++it) {
          net::ReadTensor(s_, it.key(), it.value(), Pointer("/tensors", it.key()));
        }
      }
    }
    CheckNetworkInputs();
    if (const Json* ops = check_.Member(doc, "", "ops", Need::kRequired, "a list of at least 1 op")) {
      net::ReadOps(s_, *ops);
    }
    CheckNetworkOutputs();
    CheckShapesKnown();
    if (problems_.empty()) CheckElementBudgets();
    // Last: it refers to the network inputs and outputs and to their (inferred) shapes.
    if (const Json* io = check_.Member(doc, "", "model_io", Need::kOptional, "")) {
      g_.model_io = ParseModelIo(*io, "/model_io", g_, &check_);
    }
    problems_.ThrowIfAny();
    return std::move(g_);
  }

 private:
  // ---------------------------------------------------------------- names and lists

  std::vector<std::string> NameList(const Json* v, const std::string& p) {
    std::vector<std::string> names;
    if (!v || !check_.Array(*v, p, 1)) return names;
    std::set<std::string> seen;
    for (size_t i = 0; i < v->size(); ++i) {
      auto n = check_.String((*v)[i], Pointer(p, i));
      if (!n) continue;
      if (!seen.insert(*n).second) {
        check_.Add(Pointer(p, i), "duplicate tensor name \"" + *n + "\"");
        continue;
      }
      names.push_back(*n);
    }
    return names;
  }

  // ---------------------------------------------------------------- network inputs / outputs

  void CheckNetworkInputs() {
    for (size_t i = 0; i < g_.inputs.size(); ++i) {
      const std::string& n = g_.inputs[i];
      if (!s_.Exists(n)) {
        check_.Add(Pointer("/inputs", i), "expected the name of a tensor in /tensors, got \"" + n + "\"");
        continue;
      }
      if (g_.tensor(n).bits == 32) {
        check_.Add(Pointer("/inputs", i), "expected an activation tensor (1..16 bits), \"" + n +
                                              "\" has 32 bits " + net::k32BitRoles);
      }
    }
  }

  void CheckNetworkOutputs() {
    for (size_t i = 0; i < g_.outputs.size(); ++i) {
      const std::string& n = g_.outputs[i];
      if (!s_.Exists(n)) {
        check_.Add(Pointer("/outputs", i), "expected the name of a tensor in /tensors, got \"" + n + "\"");
        continue;
      }
      if (state_[n].produced_by < 0) {
        check_.Add(Pointer("/outputs", i),
                   "expected a tensor produced by an op, \"" + n + "\" is not produced by any op");
      }
    }
  }

  void CheckShapesKnown() {
    for (const auto& [name, st] : state_) {
      if (!s_.Exists(name) || st.shape_given || st.produced_by >= 0) continue;
      check_.Add(Pointer(st.pointer, "shape"),
                 "missing required key \"shape\" (expected a list of 1 to 4 integers >= 1; only "
                 "op outputs may omit it)");
    }
  }

  // Refuses a tensor above the per-tensor budget, else a network above the total one.
  void CheckElementBudgets() {
    const int64_t per_tensor = BudgetFromEnv(net::kTensorBudgetVariable, net::kDefaultTensorBudget);
    const int64_t all = BudgetFromEnv(net::kNetworkBudgetVariable, net::kDefaultNetworkBudget);
    int64_t total = 0;  // <= 200000 tensors of < 2^31 elements: no overflow
    for (const auto& [name, t] : g_.tensors) {
      const int64_t n = t.elements();
      total += n;
      if (n <= per_tensor) continue;
      const net::TensorState& st = state_[name];
      const std::string where = st.shape_given || st.produced_by < 0
                                    ? Pointer(st.pointer, "shape")
                                    : Pointer("/ops", static_cast<size_t>(st.produced_by));
      check_.Add(where, "tensor \"" + name + "\" has " + std::to_string(n) + " elements; the limit is " +
                            std::to_string(per_tensor) + ", raise it with " + net::kTensorBudgetVariable +
                            "=ELEMENTS");
    }
    if (total <= all || !problems_.empty()) return;  // a tensor over its budget says enough
    check_.Add("/tensors", "the tensors have " + std::to_string(total) + " elements together; the limit is " +
                               std::to_string(all) + ", raise it with " + net::kNetworkBudgetVariable +
                               "=ELEMENTS");
  }

  net::NetState s_;
  ProblemList& problems_ = s_.problems;
  JsonChecker& check_ = s_.check;
  Graph& g_ = s_.g;
  std::map<std::string, net::TensorState>& state_ = s_.state;
};

}  // namespace

Graph LoadNetwork(const std::string& path) {
  Graph g = NetParser(path).Parse();
  Verify(g, path);  // a graph the loader accepts verifies: a cheap check that the two agree
  return g;
}

// Real values to the input's quantized values, as ONNX QuantizeLinear does: saturate(round(x /
// scale) + zero_point), x / scale in float32, ties to even.
static std::vector<int32_t> QuantizeInput(const std::string& path, const std::vector<float>& x,
                                          const TensorInfo& t) {
  if (t.quant.scales.size() != 1 || t.quant.zero_points.size() > 1) {
    throw ConfigError(path, "",
                      "float32 values for input \"" + t.name +
                          "\", which is not quantized per tensor (give its integer values)");
  }
  const float scale = t.quant.scale(0);
  const int32_t zp = t.quant.zero_point(0);
  std::vector<int32_t> q(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      throw ConfigError(path, "",
                        "value at index " + std::to_string(i) + " is not finite (input \"" + t.name + "\")");
    }
    q[i] =
        RoundClampToOutput(x[i] / scale, zp, static_cast<int32_t>(t.qmin()), static_cast<int32_t>(t.qmax()));
  }
  return q;
}

std::vector<int32_t> InputValues(const std::string& path, NpyArray a, const TensorInfo& t) {
  if (a.dtype == "float32") return QuantizeInput(path, a.floats, t);
  const std::string violation = net::RangeViolation(a.values, t);
  if (!violation.empty()) {
    throw ConfigError(path, "", violation + " (input \"" + t.name + "\")");
  }
  return std::move(a.values);
}

std::vector<int32_t> LoadInputNpy(const std::string& path, const TensorInfo& expected) {
  NpyArray a = LoadNpy(path);
  if (a.shape != expected.shape) {
    const std::vector<int64_t>& s = expected.shape;
    // ONNX users hold images NCHW; say so when that is what came.
    const bool nchw =
        s.size() == 4 && s[3] != s[1] && a.shape == std::vector<int64_t>{s[0], s[3], s[1], s[2]};
    throw ConfigError(path, "",
                      "expected shape " + ShapeString(s) + " (input \"" + expected.name + "\"), got " +
                          ShapeString(a.shape) +
                          (nchw ? ", its NCHW order: this network file takes NHWC inputs" : ""));
  }
  return InputValues(path, std::move(a), expected);
}

}  // namespace npusim::core
