// Loads workloads/*.json into the graph IR (docs/formats.md, "Network").
//
// Order of work: the network's input names, then every tensor (type, shape, quantization, data),
// then the ops in file order (references, topological order, attributes, shape inference and
// checks), then the network outputs. Problems never stop the walk; values that failed a check are
// left unknown so that one mistake does not cascade into many messages.
#include "core/net_loader.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <type_traits>

#include "core/arch.h"
#include "core/error.h"
#include "core/json_util.h"
#include "core/model_io_json.h"
#include "core/quant.h"
#include "core/npy.h"
#include "core/random.h"

namespace npusim::core {
namespace {

// Resource limits (docs/formats.md "Limits"): absurd sizes are refused before anything is
// allocated for them.
constexpr int64_t kMaxElements = (int64_t{1} << 31) - 1;  // per tensor
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
constexpr int64_t kMaxConstantElements = int64_t{1} << 28;  // all tensors with data, together
#else
// fuzz/: the same check, at a size that keeps every input fast under the sanitizers.
constexpr int64_t kMaxConstantElements = int64_t{1} << 20;
#endif
constexpr size_t kMaxOps = 100000;
constexpr size_t kMaxTensors = 200000;
constexpr int64_t kMaxDim = int64_t{1} << 16;  // bound for strides, pads, kernels, dilations
constexpr size_t kMaxValueProblems = 5;        // per data list; the rest are summarised
const char* const k32BitRoles =
    "(32-bit tensors are biases and the int32 accumulator outputs of conv2d / fully_connected)";

const std::vector<std::string> kOpNames = {"conv2d",  "fully_connected", "matmul",
                                           "add",     "mul",             "lookup",
                                           "max_pool", "avg_pool",       "global_avg_pool",
                                           "reshape", "flatten", "concat"};
constexpr size_t kMaxConcatInputs = 64;
constexpr int kMaxLookupInputBits = 8;  // a table of 256 entries at most

OpType ToOpType(const std::string& s) {
  if (s == "conv2d") return OpType::kConv2d;
  if (s == "fully_connected" || s == "matmul") return OpType::kFullyConnected;
  if (s == "add") return OpType::kAdd;
  if (s == "mul") return OpType::kMul;
  if (s == "lookup") return OpType::kLookup;
  if (s == "concat") return OpType::kConcat;
  if (s == "max_pool") return OpType::kMaxPool;
  if (s == "avg_pool") return OpType::kAvgPool;
  if (s == "global_avg_pool") return OpType::kGlobalAvgPool;
  return OpType::kReshape;  // "reshape", "flatten"
}

std::vector<std::string> OpKeys(OpType t) {
  std::vector<std::string> keys = {"name", "op", "inputs", "outputs"};
  auto add = [&](std::initializer_list<const char*> more) {
    for (const char* k : more) keys.push_back(k);
  };
  switch (t) {
    case OpType::kConv2d: add({"stride", "pads", "dilation", "groups", "activation", "mapping"}); break;
    case OpType::kFullyConnected: add({"activation", "mapping"}); break;
    case OpType::kAdd: add({"activation"}); break;
    case OpType::kMaxPool: add({"kernel", "stride", "pads"}); break;
    case OpType::kAvgPool: add({"kernel", "stride", "pads", "count_include_pad", "accumulate"}); break;
    case OpType::kConcat: add({"axis"}); break;
    case OpType::kMul:
    case OpType::kLookup:
    case OpType::kGlobalAvgPool:
    case OpType::kReshape: break;
  }
  return keys;
}

// Tensor names become file names (outputs/<name>.npy), so they avoid '/' and spaces.
bool IsTensorName(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string TypeString(const TensorInfo& t) {
  return std::string(t.is_signed ? "signed " : "unsigned ") + std::to_string(t.bits) + "-bit";
}

std::string RangeString(const TensorInfo& t) {
  return std::to_string(t.qmin()) + ".." + std::to_string(t.qmax());
}

std::string FloatString(float f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(f));
  return buf;
}

template <typename T>
std::string ListString(const std::vector<T>& v) {
  if (v.size() == 1) {
    if constexpr (std::is_floating_point_v<T>) return FloatString(v[0]);
    else return std::to_string(v[0]);
  }
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ", ";
    if constexpr (std::is_floating_point_v<T>) s += FloatString(v[i]);
    else s += std::to_string(v[i]);
  }
  return s + "]";
}

std::string QuantString(const TensorInfo& t) {
  return TypeString(t) + ", scale " + ListString(t.quant.scales) + ", zero_point " +
         ListString(t.quant.zero_points);
}

bool SameQuant(const TensorInfo& a, const TensorInfo& b) {
  return a.bits == b.bits && a.is_signed == b.is_signed && a.quant.scales == b.quant.scales &&
         a.quant.zero_points == b.quant.zero_points;
}

// "" if every value lies in [t.qmin(), t.qmax()], else a description of the first offender.
std::string RangeViolation(const std::vector<int32_t>& values, const TensorInfo& t) {
  int64_t bad = 0;
  size_t first = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (t.representable(values[i])) continue;
    if (bad++ == 0) first = i;
  }
  if (bad == 0) return "";
  return "expected values in the " + TypeString(t) + " range " + RangeString(t) +
         (t.binary() ? " (binary: -1 or +1)" : "") + ", got " +
         std::to_string(bad) + " value" + (bad == 1 ? "" : "s") + " outside it, first at index " +
         std::to_string(first) + ": " + std::to_string(values[first]);
}

// What the loader knows about a tensor beyond TensorInfo.
struct TensorState {
  std::string pointer;     // "/tensors/<name>"
  bool type_ok = false;    // bits and signed are valid
  bool shape_given = false;
  bool constant = false;   // has a "data" key (even if the data was bad)
  bool is_input = false;
  bool per_channel = false;
  int produced_by = -1;    // op index
};

class NetParser {
 public:
  explicit NetParser(const std::string& path) : path_(path), problems_(path), check_(&problems_) {}

  Graph Parse() {
    const Json doc = ReadJsonFile(path_);
    if (!check_.Object(doc, "")) problems_.ThrowIfAny();
    check_.Keys(doc, "", {"version", "name", "layout", "inputs", "outputs", "model_io", "tensors", "ops"});
    check_.Version(doc);
    if (auto name = check_.GetString(doc, "", "name", Need::kRequired)) g_.name = *name;
    check_.GetEnum(doc, "", "layout", Need::kOptional, {"NHWC"});

    const Json* inputs = check_.Member(doc, "", "inputs", Need::kRequired,
                                       "a list of at least 1 tensor name");
    const Json* outputs = check_.Member(doc, "", "outputs", Need::kRequired,
                                        "a list of at least 1 tensor name");
    g_.inputs = NameList(inputs, "/inputs");
    g_.outputs = NameList(outputs, "/outputs");
    for (const std::string& n : g_.inputs) state_[n].is_input = true;

    if (const Json* t = check_.Member(doc, "", "tensors", Need::kRequired, "an object")) {
      if (check_.Object(*t, "/tensors") && t->size() > kMaxTensors) {
        check_.Add("/tensors", "expected at most " + std::to_string(kMaxTensors) + " tensors, got " +
                                   std::to_string(t->size()));
      } else if (t->is_object()) {
        for (auto it = t->begin(); it != t->end(); ++it) {
          ParseTensor(it.key(), it.value(), Pointer("/tensors", it.key()));
        }
      }
    }
    CheckNetworkInputs();
    if (const Json* ops = check_.Member(doc, "", "ops", Need::kRequired,
                                        "a list of at least 1 op")) {
      ParseOps(*ops);
    }
    CheckNetworkOutputs();
    CheckShapesKnown();
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

  bool Exists(const std::string& n) const { return g_.tensors.count(n) != 0; }

  // ---------------------------------------------------------------- tensors

  void ParseTensor(const std::string& name, const Json& t, const std::string& p) {
    TensorInfo& info = g_.tensors[name];
    info.name = name;
    TensorState& st = state_[name];
    st.pointer = p;
    if (!IsTensorName(name)) {
      check_.Add(p, "expected a tensor name of characters A-Z a-z 0-9 _ . : - (it names output "
                    "files), got \"" + name + "\"");
    }
    if (!check_.Object(t, p)) return;
    check_.Keys(t, p, {"shape", "bits", "signed", "scale", "zero_point", "data"});
    st.type_ok = ParseType(t, p, &info);
    ParseShape(t, p, &info, &st);
    st.constant = t.contains("data");
    if (st.type_ok) ParseQuant(t, p, &info, &st);
    if (st.type_ok && t.contains("data") && !info.shape.empty()) {
      info.data = ParseData(t["data"], Pointer(p, "data"), info);
    }
    CheckPerChannel(t, p, info, st);
  }

  bool ParseType(const Json& t, const std::string& p, TensorInfo* info) {
    bool ok = true;
    if (t.contains("bits")) {
      const Json& b = t["bits"];
      const bool valid = b.is_number_integer() && ((b.get<int64_t>() >= 1 && b.get<int64_t>() <= 16) ||
                                                   b.get<int64_t>() == 32);
      if (valid) {
        info->bits = static_cast<int>(b.get<int64_t>());
      } else {
        check_.Add(Pointer(p, "bits"),
                   "expected an integer in 1..16, or 32 for a bias or an int32 accumulator output, got " +
                       Describe(b));
        ok = false;
      }
    }
    if (auto s = check_.GetBool(t, p, "signed", Need::kOptional)) {
      info->is_signed = *s;
    } else if (t.contains("signed")) {
      ok = false;
    }
    if (ok && info->bits == 32 && !info->is_signed) {
      check_.Add(Pointer(p, "signed"),
                 "expected true for a 32-bit (bias or accumulator output) tensor, got false");
      ok = false;
    }
    return ok;
  }

  void ParseShape(const Json& t, const std::string& p, TensorInfo* info, TensorState* st) {
    if (!t.contains("shape")) return;
    st->shape_given = true;
    const std::string sp = Pointer(p, "shape");
    const Json& s = t["shape"];
    if (!s.is_array() || s.empty() || s.size() > 4) {
      check_.Add(sp, "expected a list of 1 to 4 integers >= 1, got " + Describe(s));
      return;
    }
    std::vector<int64_t> shape;
    for (size_t i = 0; i < s.size(); ++i) {
      if (auto d = check_.Int(s[i], Pointer(sp, i), 1, kMaxElements)) shape.push_back(*d);
    }
    if (shape.size() != s.size()) return;
    int64_t elements = 1;
    for (int64_t d : shape) {
      elements *= d;  // both factors < 2^31, so no overflow before the check stops the growth
      if (elements > kMaxElements) {
        check_.Add(sp, "expected at most " + std::to_string(kMaxElements) + " elements, got " +
                           Describe(s));
        return;
      }
    }
    if (t.contains("data")) {
      // Data is materialized as int32 values (and per-channel random scales as floats).
      if (constant_elements_ + elements > kMaxConstantElements) {
        check_.Add(sp, "expected at most " + std::to_string(kMaxConstantElements) +
                           " elements of data in all tensors with \"data\" together, got " +
                           std::to_string(constant_elements_ + elements) + " with this one");
        return;
      }
      constant_elements_ += elements;
    }
    info->shape = shape;
  }

  // A scale as float32: a finite number > 0 that stays > 0 and finite after rounding to float.
  std::optional<float> ScaleValue(const Json& v, const std::string& p) {
    auto d = check_.Number(v, p, 0, true);
    if (!d) return std::nullopt;
    const float f = static_cast<float>(*d);
    if (f > 0 && std::isfinite(f)) return f;
    check_.Add(p, "expected a scale representable as a positive finite float32, got " + Describe(v));
    return std::nullopt;
  }

  void ParseQuant(const Json& t, const std::string& p, TensorInfo* info, TensorState* st) {
    if (info->bits == 32) {
      // Biases and accumulator outputs: scale x_scale * w_scale and zero point 0 are implied by
      // the op (docs/formats.md).
      for (const char* key : {"scale", "zero_point"}) {
        if (!t.contains(key)) continue;
        check_.Add(Pointer(p, key), std::string("\"") + key +
                                        "\" is not allowed on a 32-bit (bias or accumulator "
                                        "output) tensor: its scale is implied as x_scale * w_scale "
                                        "and its zero point is 0");
      }
      return;
    }
    const std::string scale_expectation =
        "a number > 0, a list of them (one per output channel), or {\"random\": {...}}";
    if (const Json* s = check_.Member(t, p, "scale", Need::kRequired, scale_expectation)) {
      ParseScale(*s, Pointer(p, "scale"), scale_expectation, info, st);
    }
    if (const Json* z = check_.Member(t, p, "zero_point", Need::kOptional, "")) {
      ParseZeroPoint(*z, Pointer(p, "zero_point"), info);
    }
  }

  void ParseScale(const Json& s, const std::string& sp, const std::string& expectation,
                  TensorInfo* info, TensorState* st) {
    if (s.is_number()) {
      if (auto f = ScaleValue(s, sp)) info->quant.scales = {*f};
      return;
    }
    if (s.is_array() && !s.empty()) {
      std::vector<float> scales;
      for (size_t i = 0; i < s.size(); ++i) {
        if (auto f = ScaleValue(s[i], Pointer(sp, i))) scales.push_back(*f);
      }
      if (scales.size() == s.size()) info->quant.scales = scales;
      if (s.size() > 1) st->per_channel = true;
      return;
    }
    if (s.is_object() && s.contains("random")) {
      ParseRandomScale(s, sp, info, st);
      return;
    }
    check_.Add(sp, "expected " + expectation + ", got " + Describe(s));
  }

  void ParseRandomScale(const Json& s, const std::string& sp, TensorInfo* info, TensorState* st) {
    check_.Keys(s, sp, {"random"});
    const std::string rp = Pointer(sp, "random");
    const Json& r = s["random"];
    if (!check_.Object(r, rp)) return;
    check_.Keys(r, rp, {"seed", "min", "max", "per_channel"});
    std::optional<uint64_t> seed;
    if (const Json* v = check_.Member(r, rp, "seed", Need::kRequired,
                                      "an integer in 0..18446744073709551615")) {
      seed = check_.Uint64(*v, Pointer(rp, "seed"));
    }
    const std::string num = NumberExpectation(0, true);
    std::optional<float> lo, hi;
    if (const Json* v = check_.Member(r, rp, "min", Need::kRequired, num)) {
      lo = ScaleValue(*v, Pointer(rp, "min"));
    }
    if (const Json* v = check_.Member(r, rp, "max", Need::kRequired, num)) {
      hi = ScaleValue(*v, Pointer(rp, "max"));
    }
    const bool per_channel = check_.GetBool(r, rp, "per_channel", Need::kOptional).value_or(false);
    st->per_channel = st->per_channel || per_channel;
    if (!seed || !lo || !hi) return;
    const double min = r["min"].get<double>(), max = r["max"].get<double>();
    if (min > max) {
      check_.Add(Pointer(rp, "max"), "expected a number >= min (" + Describe(r["min"]) +
                                         "), got " + Describe(r["max"]));
      return;
    }
    // Per-channel scales belong to constants (whose size is bounded); others are reported.
    if (per_channel && (info->shape.empty() || !st->constant || st->is_input)) return;
    const int64_t count = per_channel ? info->shape[0] : 1;
    std::vector<float> scales;
    for (int64_t i = 0; i < count; ++i) scales.push_back(RandomScale(*seed, i, min, max));
    info->quant.scales = scales;
  }

  void ParseZeroPoint(const Json& z, const std::string& zp, TensorInfo* info) {
    if (z.is_array() && !z.empty()) {
      std::vector<int32_t> zps;
      for (size_t i = 0; i < z.size(); ++i) {
        if (auto v = check_.Int(z[i], Pointer(zp, i), info->qmin(), info->qmax())) {
          zps.push_back(static_cast<int32_t>(*v));
        }
      }
      if (zps.size() == z.size()) info->quant.zero_points = zps;
      return;
    }
    if (z.is_array()) {
      check_.Add(zp, "expected " + IntExpectation(info->qmin(), info->qmax()) +
                         " or a non-empty list of them, got []");
      return;
    }
    if (auto v = check_.Int(z, zp, info->qmin(), info->qmax())) {
      info->quant.zero_points = {static_cast<int32_t>(*v)};
    }
  }

  // Per-channel parameters (a list of more than one scale or zero point) belong to constant
  // weights only, one per output channel (axis 0).
  void CheckPerChannel(const Json& t, const std::string& p, const TensorInfo& info,
                       TensorState& st) {
    const Json* z = t.is_object() && t.contains("zero_point") ? &t["zero_point"] : nullptr;
    const bool zp_list = z && z->is_array() && z->size() > 1;
    st.per_channel = st.per_channel || zp_list;
    if (!st.per_channel) return;
    if (!st.constant || st.is_input) {
      check_.Add(Pointer(p, "scale"),
                 "expected one scale and one zero point: per-channel quantization is only "
                 "allowed on constant weights (tensors with data that are not network inputs)");
      return;
    }
    if (info.shape.empty()) return;
    const int64_t channels = info.shape[0];
    const Json* s = t.contains("scale") ? &t["scale"] : nullptr;
    if (s && s->is_array() && s->size() > 1 && static_cast<int64_t>(s->size()) != channels) {
      check_.Add(Pointer(p, "scale"), "expected " + std::to_string(channels) +
                                          " scales (one per output channel, shape[0]), got " +
                                          std::to_string(s->size()));
    }
    if (zp_list && static_cast<int64_t>(z->size()) != channels) {
      check_.Add(Pointer(p, "zero_point"), "expected " + std::to_string(channels) +
                                               " zero points (one per output channel, shape[0]), "
                                               "got " + std::to_string(z->size()));
    }
  }

  // ---------------------------------------------------------------- data

  std::optional<std::vector<int32_t>> ParseData(const Json& d, const std::string& dp,
                                                const TensorInfo& info) {
    if (d.is_array()) return DataList(d, dp, info);
    if (d.is_string() && d.get<std::string>().size() > 4 &&
        d.get<std::string>().compare(d.get<std::string>().size() - 4, 4, ".npy") == 0) {
      return DataNpy(d.get<std::string>(), dp, info);
    }
    if (d.is_object() && d.contains("random")) return DataRandom(d, dp, info);
    check_.Add(dp, "expected a list of integers, a .npy file name, or {\"random\": {...}}, got " +
                       Describe(d));
    return std::nullopt;
  }

  std::optional<std::vector<int32_t>> DataList(const Json& d, const std::string& dp,
                                               const TensorInfo& info) {
    if (static_cast<int64_t>(d.size()) != info.elements()) {
      check_.Add(dp, "expected " + std::to_string(info.elements()) + " values (shape " +
                         ShapeString(info.shape) + "), got " + std::to_string(d.size()));
      return std::nullopt;
    }
    std::vector<int32_t> values;
    values.reserve(d.size());
    size_t bad = 0;
    for (size_t i = 0; i < d.size(); ++i) {
      const Json& v = d[i];
      const bool in_range = v.is_number_integer() && !v.is_number_unsigned()
                                ? info.representable(v.get<int64_t>())
                                : v.is_number_unsigned() && v.get<uint64_t>() <=
                                                                static_cast<uint64_t>(info.qmax());
      if (in_range) {
        values.push_back(static_cast<int32_t>(v.get<int64_t>()));
        continue;
      }
      if (bad++ < kMaxValueProblems) {
        check_.Add(Pointer(dp, i), "expected " + IntExpectation(info.qmin(), info.qmax()) +
                                       (info.binary() ? " other than 0" : "") + " (" +
                                       TypeString(info) + "), got " + Describe(v));
      }
    }
    if (bad > kMaxValueProblems) {
      check_.Add(dp, "and " + std::to_string(bad - kMaxValueProblems) +
                         " more values that are not " +
                         IntExpectation(info.qmin(), info.qmax()));
    }
    if (bad) return std::nullopt;
    return values;
  }

  std::optional<std::vector<int32_t>> DataNpy(const std::string& rel, const std::string& dp,
                                              const TensorInfo& info) {
    const std::string npy_path = ResolveRelative(path_, rel);
    NpyArray a;
    try {
      a = LoadNpy(npy_path);
    } catch (const ConfigError& e) {
      for (const Problem& pr : e.problems()) check_.Add(dp, pr.file + ": " + pr.message);
      return std::nullopt;
    }
    if (a.dtype == "float32") {
      check_.Add(dp, npy_path + ": expected an integer dtype (a tensor's data are its quantized values), got float32");
      return std::nullopt;
    }
    if (a.shape != info.shape) {
      check_.Add(dp, npy_path + ": expected shape " + ShapeString(info.shape) +
                         " (the tensor's shape), got " + ShapeString(a.shape));
      return std::nullopt;
    }
    const std::string violation = RangeViolation(a.values, info);
    if (!violation.empty()) {
      check_.Add(dp, npy_path + ": " + violation);
      return std::nullopt;
    }
    return std::move(a.values);
  }

  std::optional<std::vector<int32_t>> DataRandom(const Json& d, const std::string& dp,
                                                 const TensorInfo& info) {
    check_.Keys(d, dp, {"random"});
    const std::string rp = Pointer(dp, "random");
    const Json& r = d["random"];
    if (!check_.Object(r, rp)) return std::nullopt;
    check_.Keys(r, rp, {"seed", "min", "max"});
    std::optional<uint64_t> seed;
    if (const Json* v = check_.Member(r, rp, "seed", Need::kRequired,
                                      "an integer in 0..18446744073709551615")) {
      seed = check_.Uint64(*v, Pointer(rp, "seed"));
    }
    const auto lo = check_.GetInt(r, rp, "min", Need::kOptional, info.qmin(), info.qmax());
    const auto hi = check_.GetInt(r, rp, "max", Need::kOptional, info.qmin(), info.qmax());
    if (!seed || (r.contains("min") && !lo) || (r.contains("max") && !hi)) return std::nullopt;
    const int64_t min = lo.value_or(info.qmin()), max = hi.value_or(info.qmax());
    if (min > max) {
      check_.Add(Pointer(rp, "max"), "expected an integer >= min (" + std::to_string(min) +
                                         "), got " + std::to_string(max));
      return std::nullopt;
    }
    std::vector<int32_t> values(info.elements());
    if (info.binary()) {
      // -1 or +1 with equal odds, within [min, max] (min == max == 0 is the only empty choice).
      if (min == 0 && max == 0) {
        check_.Add(rp, "expected a range containing -1 or +1 (binary tensor), got 0..0");
        return std::nullopt;
      }
      const int32_t lo_v = min < 0 ? -1 : 1, hi_v = max > 0 ? 1 : -1;
      for (int64_t i = 0; i < info.elements(); ++i) values[i] = RandomInt(*seed, i, 0, 1) ? hi_v : lo_v;
      return values;
    }
    for (int64_t i = 0; i < info.elements(); ++i) {
      values[i] = static_cast<int32_t>(RandomInt(*seed, i, min, max));
    }
    return values;
  }

  // ---------------------------------------------------------------- network inputs / outputs

  void CheckNetworkInputs() {
    for (size_t i = 0; i < g_.inputs.size(); ++i) {
      const std::string& n = g_.inputs[i];
      if (!Exists(n)) {
        check_.Add(Pointer("/inputs", i), "expected the name of a tensor in /tensors, got \"" + n +
                                              "\"");
        continue;
      }
      if (g_.tensor(n).bits == 32) {
        check_.Add(Pointer("/inputs", i), "expected an activation tensor (1..16 bits), \"" + n +
                                              "\" has 32 bits " + k32BitRoles);
      }
    }
  }

  void CheckNetworkOutputs() {
    for (size_t i = 0; i < g_.outputs.size(); ++i) {
      const std::string& n = g_.outputs[i];
      if (!Exists(n)) {
        check_.Add(Pointer("/outputs", i),
                   "expected the name of a tensor in /tensors, got \"" + n + "\"");
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
      if (!Exists(name) || st.shape_given || st.produced_by >= 0) continue;
      check_.Add(Pointer(st.pointer, "shape"),
                 "missing required key \"shape\" (expected a list of 1 to 4 integers >= 1; only "
                 "op outputs may omit it)");
    }
  }

  // ---------------------------------------------------------------- ops

  void ParseOps(const Json& ops) {
    if (!check_.Array(ops, "/ops", 1)) return;
    if (ops.size() > kMaxOps) {
      check_.Add("/ops", "expected at most " + std::to_string(kMaxOps) + " ops, got " +
                             std::to_string(ops.size()));
      return;
    }
    // Where each tensor is first produced, to tell "listed too late" from "never produced".
    for (size_t i = 0; i < ops.size(); ++i) {
      const Json& o = ops[i];
      if (!o.is_object() || !o.contains("outputs") || !o["outputs"].is_array()) continue;
      for (const Json& n : o["outputs"]) {
        if (n.is_string()) first_producer_.emplace(n.get<std::string>(), static_cast<int>(i));
      }
    }
    for (const auto& [name, st] : state_) {
      if (st.is_input || st.constant) available_.insert(name);
    }
    std::map<std::string, size_t> names;
    for (size_t i = 0; i < ops.size(); ++i) {
      Op& op = g_.ops.emplace_back();
      ParseOp(i, ops[i], &op, &names);
    }
  }

  void ParseOp(size_t i, const Json& o, Op* op, std::map<std::string, size_t>* names) {
    const std::string p = Pointer("/ops", i);
    if (!check_.Object(o, p)) return;
    if (auto name = check_.GetString(o, p, "name", Need::kRequired)) {
      op->name = *name;
      auto [it, fresh] = names->emplace(*name, i);
      if (!fresh) {
        check_.Add(Pointer(p, "name"), "duplicate op name \"" + *name + "\" (also /ops/" +
                                           std::to_string(it->second) + ")");
      }
    }
    auto kind = check_.GetEnum(o, p, "op", Need::kRequired, kOpNames);
    if (kind) {
      op->type = ToOpType(*kind);
      check_.Keys(o, p, OpKeys(op->type));
    }
    const bool inputs_ok = OpInputs(o, p, i, kind ? &op->type : nullptr, op);
    const bool outputs_ok = OpOutputs(o, p, i, op);
    if (!kind) return;
    const bool attrs_ok = OpAttributes(o, p, op);
    if (!inputs_ok || !outputs_ok) return;
    if (!RolesOk(p, *op)) return;
    for (const std::string& n : op->inputs) {
      if (g_.tensor(n).shape.empty()) return;  // its own problem was reported
    }
    if (!attrs_ok) return;
    InferAndCheck(p, *kind, op);
  }

  // Reads op inputs; true when each names an existing tensor that has a value at this point.
  bool OpInputs(const Json& o, const std::string& p, size_t i, const OpType* type, Op* op) {
    size_t min = 1, max = 1;
    std::string what = "[x]";
    if (type && (*type == OpType::kConv2d || *type == OpType::kFullyConnected)) {
      min = 2, max = 3, what = "[x, w] or [x, w, bias]";
    } else if (type && (*type == OpType::kAdd || *type == OpType::kMul)) {
      min = max = 2, what = "[a, b]";
    } else if (type && *type == OpType::kLookup) {
      min = max = 2, what = "[x, table]";
    } else if (type && *type == OpType::kConcat) {
      min = 2, max = kMaxConcatInputs, what = "[x0, x1, ...] (2 to " + std::to_string(kMaxConcatInputs) + ")";
    }
    const std::string expectation = "a list of tensor names " + what;
    const Json* v = check_.Member(o, p, "inputs", Need::kRequired, expectation);
    if (!v) return false;
    const std::string ip = Pointer(p, "inputs");
    if (!v->is_array() || (type && (v->size() < min || v->size() > max))) {
      check_.Add(ip, "expected " + expectation + ", got " + Describe(*v));
      return false;
    }
    bool ok = true;
    for (size_t k = 0; k < v->size(); ++k) {
      auto n = check_.String((*v)[k], Pointer(ip, k));
      if (!n) {
        ok = false;
        continue;
      }
      op->inputs.push_back(*n);
      ok = InputAvailable(*n, Pointer(ip, k), static_cast<int>(i)) && ok;
    }
    return ok;
  }

  bool InputAvailable(const std::string& n, const std::string& ptr, int self) {
    if (!Exists(n)) {
      check_.Add(ptr, "expected the name of a tensor in /tensors, got \"" + n + "\"");
      return false;
    }
    if (available_.count(n)) return true;
    auto it = first_producer_.find(n);
    if (it != first_producer_.end() && it->second >= self) {
      check_.Add(ptr, "tensor \"" + n + "\" is produced by /ops/" + std::to_string(it->second) +
                          ", which does not come before this op; ops must be listed in "
                          "topological order");
    } else {
      check_.Add(ptr, "tensor \"" + n + "\" has no value here: it is not a network input, has "
                          "no data and is not produced by an earlier op");
    }
    return false;
  }

  bool OpOutputs(const Json& o, const std::string& p, size_t i, Op* op) {
    const std::string expectation = "a list of one tensor name";
    const Json* v = check_.Member(o, p, "outputs", Need::kRequired, expectation);
    if (!v) return false;
    const std::string op_ptr = Pointer(p, "outputs");
    if (!v->is_array() || v->size() != 1) {
      check_.Add(op_ptr, "expected " + expectation + ", got " + Describe(*v));
      return false;
    }
    const std::string yp = Pointer(op_ptr, 0);
    auto n = check_.String((*v)[0], yp);
    if (!n) return false;
    op->outputs.push_back(*n);
    if (!Exists(*n)) {
      check_.Add(yp, "expected the name of a tensor in /tensors, got \"" + *n + "\"");
      return false;
    }
    TensorState& st = state_[*n];
    available_.insert(*n);  // later consumers see a value even if this op has problems
    if (st.is_input) {
      check_.Add(yp, "tensor \"" + *n + "\" is a network input and cannot be produced by an op");
      return false;
    }
    if (st.constant) {
      check_.Add(yp, "tensor \"" + *n + "\" has data (a constant) and cannot be produced by an op");
      return false;
    }
    if (st.produced_by >= 0) {
      check_.Add(yp, "tensor \"" + *n + "\" is already produced by /ops/" +
                         std::to_string(st.produced_by) + "; every tensor is produced once");
      return false;
    }
    st.produced_by = static_cast<int>(i);
    return true;
  }

  bool OpAttributes(const Json& o, const std::string& p, Op* op) {
    bool ok = true;
    auto pair = [&](const char* key, Need need, std::array<int64_t, 2>* out, int64_t min) {
      if (!o.contains(key) && need == Need::kOptional) return;
      auto v = check_.GetIntList(o, p, key, need, 2, min, kMaxDim);
      if (v) *out = {(*v)[0], (*v)[1]};
      else ok = false;
    };
    const OpType t = op->type;
    const bool pool = t == OpType::kMaxPool || t == OpType::kAvgPool;
    if (t == OpType::kConv2d || pool) {
      pair("stride", Need::kOptional, &op->stride, 1);
      if (o.contains("pads")) {
        auto v = check_.GetIntList(o, p, "pads", Need::kOptional, 4, 0, kMaxDim);
        if (v) op->pads = {(*v)[0], (*v)[1], (*v)[2], (*v)[3]};
        else ok = false;
      }
    }
    if (t == OpType::kConv2d) {
      pair("dilation", Need::kOptional, &op->dilation, 1);
      if (o.contains("groups")) {
        auto g = check_.GetInt(o, p, "groups", Need::kOptional, 1, kMaxElements);
        if (g) op->groups = *g;
        else ok = false;
      }
    }
    if (pool) pair("kernel", Need::kRequired, &op->kernel, 1);
    if (t == OpType::kConcat) {
      if (auto a = check_.GetInt(o, p, "axis", Need::kRequired, 0, 7)) op->axis = *a;
      else ok = false;
    }
    if (t == OpType::kAvgPool) {
      if (auto a = check_.GetEnum(o, p, "accumulate", Need::kOptional, {"integer", "float32"})) {
        op->float_accumulate = *a == "float32";
      }
      if (auto c = check_.GetBool(o, p, "count_include_pad", Need::kOptional)) {
        op->count_include_pad = *c;
      }
    }
    if (t == OpType::kConv2d || t == OpType::kFullyConnected) {
      // Checked against the arch (grid, the unit's dataflows) by the compiler.
      if (const Json* m = check_.Member(o, p, "mapping", Need::kOptional, "an object")) {
        ParseMappingForce(check_, *m, Pointer(p, "mapping"), ArchDataflows(), &op->mapping);
      }
    }
    if (t == OpType::kConv2d || t == OpType::kFullyConnected || t == OpType::kAdd) {
      if (auto a = check_.GetEnum(o, p, "activation", Need::kOptional, {"none", "relu", "relu6"})) {
        op->activation = *a == "relu" ? Activation::kRelu
                         : *a == "relu6" ? Activation::kRelu6
                                         : Activation::kNone;
      }
    }
    return ok;
  }

  // ---------------------------------------------------------------- operand roles

  bool ActivationRole(const std::string& n, const std::string& ptr) {
    const TensorInfo& t = g_.tensor(n);
    const TensorState& st = state_[n];
    if (!st.type_ok) return false;
    if (t.bits == 32) {
      // A 32-bit network input was already reported at /inputs.
      if (!st.is_input) {
        check_.Add(ptr, "expected an activation tensor (1..16 bits), \"" + n + "\" has 32 bits " +
                            k32BitRoles);
      }
      return false;
    }
    if (t.binary()) {
      check_.Add(ptr, "expected an activation tensor, \"" + n +
                          "\" is signed 1-bit (binary -1/+1 values are for weights only; a 1-bit "
                          "activation is unsigned)");
      return false;
    }
    if (st.per_channel) {
      // A per-channel tensor that is not a constant weight was already reported at its scale.
      if (st.constant && !st.is_input) {
        check_.Add(ptr, "expected a per-tensor quantized activation, \"" + n +
                            "\" is per-channel (only conv2d/fully_connected weights may be)");
      }
      return false;
    }
    return true;
  }

  // The weight (bias == false) or bias (bias == true) operand of conv2d / fully_connected: a
  // constant of 1..16 bits, or of 32 bits for a bias.
  bool ConstantRole(const std::string& n, const std::string& ptr, bool bias) {
    const TensorInfo& t = g_.tensor(n);
    const TensorState& st = state_[n];
    if (!st.type_ok) return false;
    const char* role = bias ? "bias" : "weight";
    if (bias && t.bits != 32) {
      check_.Add(ptr, "expected a 32-bit bias tensor, \"" + n + "\" has " +
                          std::to_string(t.bits) + " bits");
      return false;
    }
    if (!bias && t.bits == 32) {
      check_.Add(ptr, "expected a weight tensor (1..16 bits), \"" + n + "\" has 32 bits " +
                          k32BitRoles);
      return false;
    }
    if (!st.constant || st.is_input) {
      check_.Add(ptr, std::string("expected a constant ") + role +
                          " tensor (with data, not a network input), \"" + n + "\" is not");
      return false;
    }
    return true;
  }

  // A lookup's table: constant data (its shape and type are checked against x and y later).
  bool TableRole(const std::string& n, const std::string& ptr) {
    const TensorState& st = state_[n];
    if (!st.type_ok) return false;
    if (st.constant && !st.is_input) return true;
    check_.Add(ptr, "expected a constant lookup table (with data, not a network input), \"" + n + "\" is not");
    return false;
  }

  bool RolesOk(const std::string& p, const Op& op) {
    const std::string ip = Pointer(p, "inputs");
    bool ok = true;
    for (size_t k = 0; k < op.inputs.size(); ++k) {
      const std::string ptr = Pointer(ip, k);
      const bool mm = op.type == OpType::kConv2d || op.type == OpType::kFullyConnected;
      if (mm && k >= 1) ok = ConstantRole(op.inputs[k], ptr, /*bias=*/k == 2) && ok;
      else if (op.type == OpType::kLookup && k == 1) ok = TableRole(op.inputs[k], ptr) && ok;
      else ok = ActivationRole(op.inputs[k], ptr) && ok;
    }
    const std::string yp = Pointer(Pointer(p, "outputs"), 0);
    const TensorInfo& y = g_.tensor(op.outputs[0]);
    const bool mm = op.type == OpType::kConv2d || op.type == OpType::kFullyConnected;
    if (mm && state_[op.outputs[0]].type_ok && y.bits == 32) return AccumulatorOutputOk(p, op) && ok;
    return ActivationRole(op.outputs[0], yp) && ok;
  }

  // A 32-bit output of conv2d / fully_connected is the raw int32 accumulator (plus bias): nothing
  // requantizes it, so there is no fused activation to apply.
  bool AccumulatorOutputOk(const std::string& p, const Op& op) {
    if (op.activation == Activation::kNone) return true;
    check_.Add(Pointer(p, "activation"),
               "expected \"none\" (output \"" + op.outputs[0] +
                   "\" is a 32-bit accumulator output: written without requantization, so no "
                   "activation is fused), got \"" +
                   (op.activation == Activation::kRelu ? "relu" : "relu6") + "\"");
    return false;
  }

  // ---------------------------------------------------------------- shapes

  // Records the inferred output shape, or checks it against the one the file gives.
  void SetOutputShape(const std::string& p, const std::string& kind, const Op& op,
                      const std::vector<int64_t>& inferred) {
    TensorInfo& y = g_.tensor(op.outputs[0]);
    const TensorState& st = state_[op.outputs[0]];
    int64_t elements = 1;
    for (int64_t d : inferred) {
      // Each factor is at most 2^31 + 2 * 65536, so the product is checked before it overflows.
      elements *= d;
      if (elements <= kMaxElements) continue;
      check_.Add(p, "expected an output of at most " + std::to_string(kMaxElements) +
                        " elements, the output of " + kind + " would have shape " +
                        ShapeString(inferred));
      return;
    }
    if (!st.shape_given) {
      y.shape = inferred;
      return;
    }
    if (y.shape.empty() || y.shape == inferred) return;
    check_.Add(Pointer(st.pointer, "shape"), "expected " + ShapeString(inferred) +
                                                 " (inferred for the output of " + kind + " " +
                                                 p + "), got " + ShapeString(y.shape));
  }

  // "x" has shape [1, H, W, C]?
  bool IsNhwc(const std::string& n, const std::string& ptr) {
    const auto& s = g_.tensor(n).shape;
    if (s.size() == 4 && s[0] == 1) return true;
    check_.Add(ptr, "expected an activation of shape [1, H, W, C], \"" + n + "\" has shape " +
                        ShapeString(s));
    return false;
  }

  // Checks pads against the (effective) kernel and returns the output size, or nullopt.
  std::optional<std::array<int64_t, 2>> Window(const std::string& p, const Op& op,
                                               const std::vector<int64_t>& x,
                                               std::array<int64_t, 2> kernel) {
    static const char* kDims[2] = {"height", "width"};
    std::array<int64_t, 2> out{};
    bool ok = true;
    for (int d = 0; d < 2; ++d) {
      const int64_t eff = op.dilation[d] * (kernel[d] - 1) + 1;
      for (int side : {d, d + 2}) {  // pads are [top, left, bottom, right]
        if (op.pads[side] < eff) continue;
        check_.Add(Pointer(Pointer(p, "pads"), side),
                   "expected " + IntExpectation(0, eff - 1) + " (less than the " +
                       (op.type == OpType::kConv2d ? "effective kernel " : "kernel ") + kDims[d] +
                       " " + std::to_string(eff) + "), got " + std::to_string(op.pads[side]));
        ok = false;
      }
      if (!ok) continue;
      out[d] = ConvOutSize(x[1 + d], kernel[d], op.stride[d], op.dilation[d], op.pads[d],
                           op.pads[d + 2]);
      if (out[d] >= 1) continue;
      check_.Add(p, std::string("expected an output ") + kDims[d] + " >= 1, got " +
                        std::to_string(out[d]) + " (input " + std::to_string(x[1 + d]) +
                        ", pads " + std::to_string(op.pads[d]) + "+" +
                        std::to_string(op.pads[d + 2]) + ", kernel extent " + std::to_string(eff) +
                        ", stride " + std::to_string(op.stride[d]) + ")");
      ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
  }

  void InferAndCheck(const std::string& p, const std::string& kind, Op* op) {
    const std::string ip = Pointer(p, "inputs");
    switch (op->type) {
      case OpType::kConv2d: return InferConv(p, ip, kind, *op);
      case OpType::kFullyConnected: return InferFc(p, ip, kind, *op);
      case OpType::kAdd: {
        const auto& a = g_.tensor(op->inputs[0]).shape;
        const auto& b = g_.tensor(op->inputs[1]).shape;
        if (a != b) {
          check_.Add(Pointer(ip, 1), "expected the shape of input a, " + ShapeString(a) + ", \"" +
                                         op->inputs[1] + "\" has shape " + ShapeString(b));
          return;
        }
        return SetOutputShape(p, kind, *op, a);
      }
      case OpType::kMul: return InferMul(p, ip, kind, *op);
      case OpType::kLookup: return InferLookup(p, ip, kind, *op);
      case OpType::kMaxPool:
      case OpType::kAvgPool: {
        if (!IsNhwc(op->inputs[0], Pointer(ip, 0))) return;
        const auto& x = g_.tensor(op->inputs[0]).shape;
        auto hw = Window(p, *op, x, op->kernel);
        if (!hw) return;
        SetOutputShape(p, kind, *op, {1, (*hw)[0], (*hw)[1], x[3]});
        if (op->type == OpType::kMaxPool) CheckSameQuant(p, kind, *op);
        return;
      }
      case OpType::kGlobalAvgPool: {
        if (!IsNhwc(op->inputs[0], Pointer(ip, 0))) return;
        return SetOutputShape(p, kind, *op, {1, 1, 1, g_.tensor(op->inputs[0]).shape[3]});
      }
      case OpType::kReshape: return InferReshape(p, kind, *op);
      case OpType::kConcat: return InferConcat(p, ip, kind, *op);
    }
  }

  // Inputs of equal rank and equal dimensions but `axis`, all quantized as the output (concat
  // copies values; the ONNX importer rescales an input first with a lookup where they differ).
  void InferConcat(const std::string& p, const std::string& ip, const std::string& kind, const Op& op) {
    std::vector<int64_t> out = g_.tensor(op.inputs[0]).shape;
    if (op.axis >= static_cast<int64_t>(out.size())) {
      check_.Add(Pointer(p, "axis"), "expected an axis in 0.." + std::to_string(out.size() - 1) + " (inputs of rank " +
                                         std::to_string(out.size()) + "), got " + std::to_string(op.axis));
      return;
    }
    for (size_t k = 1; k < op.inputs.size(); ++k) {
      const auto& s = g_.tensor(op.inputs[k]).shape;
      bool fits = s.size() == out.size();
      for (size_t d = 0; fits && d < s.size(); ++d) fits = static_cast<int64_t>(d) == op.axis || s[d] == out[d];
      if (!fits) {
        check_.Add(Pointer(ip, k), "expected the shape of input 0, " + ShapeString(g_.tensor(op.inputs[0]).shape) +
                                       ", but for dimension " + std::to_string(op.axis) + ", \"" + op.inputs[k] +
                                       "\" has shape " + ShapeString(s));
        return;
      }
      out[op.axis] += s[op.axis];
    }
    SetOutputShape(p, kind, op, out);
    const TensorInfo& y = g_.tensor(op.outputs[0]);
    for (size_t k = 0; k < op.inputs.size(); ++k) {
      const TensorInfo& x = g_.tensor(op.inputs[k]);
      if (SameQuant(x, y)) continue;
      check_.Add(Pointer(ip, k), "expected the quantization of the output \"" + y.name + "\" (" + QuantString(y) +
                                     ") since concat does not rescale, \"" + x.name + "\" has " + QuantString(x));
    }
  }

  // b has a's shape, or one factor per channel ([1, 1, 1, C] for a of shape [1, H, W, C]).
  void InferMul(const std::string& p, const std::string& ip, const std::string& kind, const Op& op) {
    const auto& a = g_.tensor(op.inputs[0]).shape;
    const auto& b = g_.tensor(op.inputs[1]).shape;
    const bool per_channel = a.size() == 4 && b == std::vector<int64_t>{1, 1, 1, a[3]};
    if (a != b && !per_channel) {
      check_.Add(Pointer(ip, 1), "expected the shape of input a, " + ShapeString(a) +
                                     (a.size() == 4 ? ", or [1, 1, 1, " + std::to_string(a[3]) + "] (one factor per channel)" : "") +
                                     ", \"" + op.inputs[1] + "\" has shape " + ShapeString(b));
      return;
    }
    SetOutputShape(p, kind, op, a);
  }

  // table[x - qmin(x)] for every value of x: 2^bits(x) entries of the output's type.
  void InferLookup(const std::string& p, const std::string& ip, const std::string& kind, const Op& op) {
    const TensorInfo& x = g_.tensor(op.inputs[0]);
    const TensorInfo& t = g_.tensor(op.inputs[1]);
    const TensorInfo& y = g_.tensor(op.outputs[0]);
    if (x.bits > kMaxLookupInputBits) {
      check_.Add(Pointer(ip, 0), "expected an input of at most " + std::to_string(kMaxLookupInputBits) +
                                     " bits (a lookup table holds at most 256 entries), \"" + x.name + "\" has " +
                                     std::to_string(x.bits));
      return;
    }
    const int64_t entries = int64_t{1} << x.bits;
    if (t.shape != std::vector<int64_t>{entries}) {
      check_.Add(Pointer(ip, 1), "expected a table of shape [" + std::to_string(entries) + "] (one entry per value of the " +
                                     std::to_string(x.bits) + "-bit input \"" + x.name + "\"), \"" + t.name +
                                     "\" has shape " + ShapeString(t.shape));
      return;
    }
    if (state_[op.outputs[0]].type_ok && !SameQuant(t, y)) {  // its entries are output values
      check_.Add(Pointer(ip, 1), "expected a table quantized as the output \"" + y.name + "\" (" + QuantString(y) +
                                     "): its entries are output values, \"" + t.name + "\" has " + QuantString(t));
      return;
    }
    SetOutputShape(p, kind, op, x.shape);
  }

  void InferConv(const std::string& p, const std::string& ip,
                 const std::string& kind, const Op& op) {
    if (!IsNhwc(op.inputs[0], Pointer(ip, 0))) return;
    const auto& x = g_.tensor(op.inputs[0]).shape;
    const auto& w = g_.tensor(op.inputs[1]).shape;
    if (w.size() != 4) {
      check_.Add(Pointer(ip, 1), "expected a weight of shape [O, KH, KW, C/groups] (OHWI), \"" +
                                     op.inputs[1] + "\" has shape " + ShapeString(w));
      return;
    }
    const int64_t c = x[3], out_c = w[0];
    if (c % op.groups != 0 || out_c % op.groups != 0) {
      check_.Add(Pointer(p, "groups"), "expected a divisor of the input channels (" +
                                           std::to_string(c) + ") and the output channels (" +
                                           std::to_string(out_c) + "), got " +
                                           std::to_string(op.groups));
      return;
    }
    if (w[3] != c / op.groups) {
      check_.Add(Pointer(ip, 1),
                 "expected a weight of shape [O, KH, KW, " + std::to_string(c / op.groups) +
                     "] (OHWI; input channels " + std::to_string(c) + " / groups " +
                     std::to_string(op.groups) + "), \"" + op.inputs[1] + "\" has shape " +
                     ShapeString(w));
      return;
    }
    if (!BiasShapeOk(ip, op, out_c)) return;
    auto hw = Window(p, op, x, {w[1], w[2]});
    if (!hw) return;
    SetOutputShape(p, kind, op, {1, (*hw)[0], (*hw)[1], out_c});
  }

  bool BiasShapeOk(const std::string& ip, const Op& op, int64_t out_channels) {
    if (op.inputs.size() < 3) return true;
    const auto& b = g_.tensor(op.inputs[2]).shape;
    if (b == std::vector<int64_t>{out_channels}) return true;
    check_.Add(Pointer(ip, 2), "expected a bias of shape [" + std::to_string(out_channels) +
                                   "] (one per output channel), \"" + op.inputs[2] +
                                   "\" has shape " + ShapeString(b));
    return false;
  }

  void InferFc(const std::string& p, const std::string& ip, const std::string& kind,
               const Op& op) {
    const auto& x = g_.tensor(op.inputs[0]).shape;
    const auto& w = g_.tensor(op.inputs[1]).shape;
    const bool rank2 = x.size() == 2;
    const bool rank4 = x.size() == 4 && x[0] == 1 && x[1] == 1 && x[2] == 1;
    if (!rank2 && !rank4) {
      check_.Add(Pointer(ip, 0), "expected an input of shape [M, K] or [1, 1, 1, K], \"" +
                                     op.inputs[0] + "\" has shape " + ShapeString(x));
      return;
    }
    const int64_t m = rank2 ? x[0] : 1, k = x.back();
    if (w.size() != 2 || w[1] != k) {
      check_.Add(Pointer(ip, 1), "expected a weight of shape [N, " + std::to_string(k) +
                                     "] ([out, in]), \"" + op.inputs[1] + "\" has shape " +
                                     ShapeString(w));
      return;
    }
    if (!BiasShapeOk(ip, op, w[0])) return;
    SetOutputShape(p, kind, op, {m, w[0]});
  }

  void InferReshape(const std::string& p, const std::string& kind, const Op& op) {
    const TensorInfo& x = g_.tensor(op.inputs[0]);
    TensorInfo& y = g_.tensor(op.outputs[0]);
    const TensorState& yst = state_[op.outputs[0]];
    if (!yst.shape_given) {
      // No target shape: flatten to [N, rest] (N is 1 for NHWC activations).
      y.shape = {x.shape[0], x.elements() / x.shape[0]};
    } else if (!y.shape.empty() && y.elements() != x.elements()) {
      check_.Add(Pointer(yst.pointer, "shape"),
                 "expected a shape of " + std::to_string(x.elements()) + " elements (the input " +
                     ShapeString(x.shape) + " of " + kind + " " + p + "), got " +
                     ShapeString(y.shape));
      return;
    }
    CheckSameQuant(p, kind, op);
  }

  // max_pool and reshape move values without rescaling them.
  void CheckSameQuant(const std::string& p, const std::string& kind, const Op& op) {
    const TensorInfo& x = g_.tensor(op.inputs[0]);
    const TensorInfo& y = g_.tensor(op.outputs[0]);
    if (SameQuant(x, y)) return;
    check_.Add(Pointer(Pointer(p, "outputs"), 0),
               "expected the quantization of input \"" + x.name + "\" (" + QuantString(x) +
                   ") since " + kind + " does not rescale, \"" + y.name + "\" has " +
                   QuantString(y));
  }

  std::string path_;
  ProblemList problems_;
  JsonChecker check_;
  Graph g_;
  std::map<std::string, TensorState> state_;
  std::map<std::string, int> first_producer_;
  std::set<std::string> available_;
  int64_t constant_elements_ = 0;  // elements of all tensors with "data" so far
};

}  // namespace

Graph LoadNetwork(const std::string& path) { return NetParser(path).Parse(); }

// Real values to the input's quantized values, as ONNX QuantizeLinear does: saturate(round(x /
// scale) + zero_point), x / scale in float32, ties to even.
static std::vector<int32_t> QuantizeInput(const std::string& path, const std::vector<float>& x, const TensorInfo& t) {
  if (t.quant.scales.size() != 1 || t.quant.zero_points.size() > 1) {
    throw ConfigError(path, "", "float32 values for input \"" + t.name +
                                    "\", which is not quantized per tensor (give its integer values)");
  }
  const float scale = t.quant.scale(0);
  const int32_t zp = t.quant.zero_point(0);
  std::vector<int32_t> q(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      throw ConfigError(path, "", "value at index " + std::to_string(i) + " is not finite (input \"" + t.name + "\")");
    }
    q[i] = RoundClampToOutput(x[i] / scale, zp, static_cast<int32_t>(t.qmin()), static_cast<int32_t>(t.qmax()));
  }
  return q;
}

std::vector<int32_t> InputValues(const std::string& path, NpyArray a, const TensorInfo& t) {
  if (a.dtype == "float32") return QuantizeInput(path, a.floats, t);
  const std::string violation = RangeViolation(a.values, t);
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
    const bool nchw = s.size() == 4 && s[3] != s[1] && a.shape == std::vector<int64_t>{s[0], s[3], s[1], s[2]};
    throw ConfigError(path, "", "expected shape " + ShapeString(s) + " (input \"" + expected.name + "\"), got " +
                                    ShapeString(a.shape) +
                                    (nchw ? ", its NCHW order: this network file takes NHWC inputs" : ""));
  }
  return InputValues(path, std::move(a), expected);
}

}  // namespace npusim::core
