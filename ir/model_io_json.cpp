#include "ir/model_io_json.h"

#include <algorithm>
#include <map>

namespace npusim::core {
namespace {

using OrderedJson = nlohmann::ordered_json;

OrderedJson EntryJson(const ModelTensor& m) {
  OrderedJson j;
  j["name"] = m.name;
  j["tensor"] = m.tensor;
  j["shape"] = m.shape;
  j["perm"] = m.perm;
  j["dtype"] = m.dtype;
  return j;
}

// The model's shape whose permutation by `perm` is `ir` (model dimension perm[i] is IR dimension i).
std::vector<int64_t> ModelShapeOf(const std::vector<int64_t>& ir, const std::vector<int64_t>& perm) {
  std::vector<int64_t> s(ir.size());
  for (size_t i = 0; i < ir.size(); ++i) s[perm[i]] = ir[i];
  return s;
}

// One "inputs" or "outputs" list. Each check that fails adds a problem and clears ok_.
class ModelIoParser {
 public:
  ModelIoParser(const Graph& g, JsonChecker* check) : g_(g), check_(*check) {}

  std::optional<ModelIo> Parse(const Json& v, const std::string& p) {
    if (!check_.Object(v, p)) return std::nullopt;
    check_.Keys(v, p, {"inputs", "outputs"});
    ModelIo io;
    io.inputs = List(v, p, "inputs", g_.inputs);
    io.outputs = List(v, p, "outputs", g_.outputs);
    if (!ok_) return std::nullopt;
    return io;
  }

 private:
  // Entries of list `key`, whose tensors must be `tensors` (the network inputs or outputs), each
  // listed: inputs exactly once (the model's inputs are the network's), outputs at least once.
  std::vector<ModelTensor> List(const Json& v, const std::string& p, const std::string& key,
                                const std::vector<std::string>& tensors) {
    const bool inputs = key == "inputs";
    const std::string lp = Pointer(p, key);
    const Json* list = check_.Member(v, p, key, Need::kRequired, "a list of the model's " + key);
    std::vector<ModelTensor> out;
    if (list == nullptr || !check_.Array(*list, lp, 1)) return Fail(out);
    std::map<std::string, int> listed, names;
    bool entries_ok = true;
    for (size_t i = 0; i < list->size(); ++i) {
      std::optional<ModelTensor> m = Entry((*list)[i], Pointer(lp, i), tensors, inputs);
      entries_ok = entries_ok && m.has_value();
      if (!m) continue;
      const int seen_name = ++names[m->name], seen_tensor = ++listed[m->tensor];
      if (inputs && seen_name > 1)
        Problem(Pointer(Pointer(lp, i), "name"), "duplicate input name \"" + m->name + "\"");
      if (inputs && seen_tensor > 1) {
        Problem(Pointer(Pointer(lp, i), "tensor"),
                "network input \"" + m->tensor + "\" listed twice (expected once)");
      }
      out.push_back(*m);
    }
    for (const std::string& t : tensors) {
      // An entry that failed may have meant t: then its own problem says enough.
      if (entries_ok && listed[t] == 0) {
        Problem(lp, "network " + std::string(inputs ? "input" : "output") + " \"" + t +
                        "\" is not listed (expected " +
                        (inputs ? "each network input once" : "each network output at least once") + ")");
      }
    }
    return out;
  }

  std::optional<ModelTensor> Entry(const Json& e, const std::string& p,
                                   const std::vector<std::string>& tensors, bool input) {
    if (!check_.Object(e, p)) return Fail(std::nullopt);
    check_.Keys(e, p, {"name", "tensor", "shape", "perm", "dtype"});
    ModelTensor m;
    const auto name = check_.GetString(e, p, "name", Need::kRequired);
    const auto tensor = check_.GetString(e, p, "tensor", Need::kRequired);
    const auto dtype = check_.GetEnum(e, p, "dtype", Need::kRequired, ModelDtypes());
    const TensorInfo* t = tensor ? Find(*tensor, tensors, Pointer(p, "tensor"), input) : nullptr;
    if (!name || !tensor || !dtype || t == nullptr) return Fail(std::nullopt);
    m.name = *name;
    m.tensor = *tensor;
    m.dtype = *dtype;
    if (t->shape.empty()) return Fail(std::nullopt);  // its own problem is reported already
    const auto rank = static_cast<int64_t>(t->shape.size());
    const auto shape =
        check_.GetIntList(e, p, "shape", Need::kRequired, t->shape.size(), 1, JsonChecker::kNoMax);
    const auto perm = check_.GetIntList(e, p, "perm", Need::kRequired, t->shape.size(), 0, rank - 1);
    if (!shape || !perm || !Permutation(*perm, Pointer(p, "perm")) ||
        !ShapeFits(*shape, *perm, *t, Pointer(p, "shape")) || !DtypeFits(m.dtype, *t, Pointer(p, "dtype"))) {
      return Fail(std::nullopt);
    }
    m.shape = *shape;
    m.perm.assign(perm->begin(), perm->end());
    return m;
  }

  const TensorInfo* Find(const std::string& name, const std::vector<std::string>& tensors,
                         const std::string& p, bool input) {
    auto t = g_.tensors.find(name);
    if (std::find(tensors.begin(), tensors.end(), name) == tensors.end() || t == g_.tensors.end()) {
      Problem(p, "expected a network " + std::string(input ? "input" : "output") + " (" +
                     QuotedList(tensors) + "), got \"" + name + "\"");
      return nullptr;
    }
    return &t->second;
  }

  bool Permutation(const std::vector<int64_t>& perm, const std::string& p) {
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (sorted[i] != static_cast<int64_t>(i)) {
        return Problem(p, "expected a permutation of 0.." + std::to_string(perm.size() - 1) + ", got " +
                              ShapeString(perm));
      }
    }
    return true;
  }

  bool ShapeFits(const std::vector<int64_t>& shape, const std::vector<int64_t>& perm, const TensorInfo& t,
                 const std::string& p) {
    const std::vector<int64_t> want = ModelShapeOf(t.shape, perm);
    if (shape == want) return true;
    return Problem(p, "expected " + ShapeString(want) + " (tensor \"" + t.name + "\" of shape " +
                          ShapeString(t.shape) + " under perm " + ShapeString(perm) +
                          ": IR dimension i is model dimension perm[i]), got " + ShapeString(shape));
  }

  bool DtypeFits(const std::string& dtype, const TensorInfo& t, const std::string& p) {
    const std::string own = IntegerDtype(t);
    if (dtype == "float32") {
      if (t.bits != 32 && t.quant.scales.size() == 1 && t.quant.zero_points.size() == 1) return true;
      return Problem(p, "expected \"" + own + "\" (tensor \"" + t.name +
                            "\" has no per-tensor scale and zero point " +
                            "to quantize or dequantize float32 values with), got \"float32\"");
    }
    if (dtype == own) return true;
    return Problem(p, "expected \"" + own + "\" (tensor \"" + t.name + "\"'s type) or \"float32\", got \"" +
                          dtype + "\"");
  }

  bool Problem(const std::string& p, const std::string& message) {
    check_.Add(p, message);
    return Fail(false);
  }
  template <typename T>
  T Fail(T value) {
    ok_ = false;
    return value;
  }

  const Graph& g_;
  JsonChecker& check_;
  bool ok_ = true;
};

}  // namespace

OrderedJson ModelIoJson(const ModelIo& io) {
  OrderedJson j;
  j["inputs"] = OrderedJson::array();
  for (const ModelTensor& m : io.inputs) j["inputs"].push_back(EntryJson(m));
  j["outputs"] = OrderedJson::array();
  for (const ModelTensor& m : io.outputs) j["outputs"].push_back(EntryJson(m));
  return j;
}

std::optional<ModelIo> ParseModelIo(const Json& v, const std::string& pointer, const Graph& g,
                                    JsonChecker* check) {
  return ModelIoParser(g, check).Parse(v, pointer);
}

}  // namespace npusim::core
