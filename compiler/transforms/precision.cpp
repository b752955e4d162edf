#include "compiler/transforms/precision.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "ir/verify.h"
#include "support/error.h"
#include "support/json_util.h"

namespace npusim::core {
namespace {

bool HasWeights(const Op& op) { return op.type == OpType::kConv2d || op.type == OpType::kFullyConnected; }

// round(num / den) half away from zero, den > 0.
int64_t RoundDiv(int64_t num, int64_t den) {
  return num >= 0 ? (2 * num + den) / (2 * den) : -((-2 * num + den) / (2 * den));
}

// Re-quantizing keeps real values only for symmetric weights (zero point 0).
void CheckSymmetric(const Op& op, const TensorInfo& w, const std::string& source) {
  for (int32_t zp : w.quant.zero_points) {
    if (zp != 0) {
      throw ConfigError(source, "",
                        "layer \"" + op.name + "\": weights \"" + w.name + "\" have zero point " +
                            std::to_string(zp) +
                            "; only symmetric weights (zero point 0) can be re-quantized");
    }
  }
}

// Re-quantizes the `per` weights of one output channel at v (scale s) to `bits` in place and
// returns their new scale: sign and mean magnitude for 1 bit, else the largest magnitude mapped
// to the largest level (an all-zero channel keeps its values and scale).
float RequantizeChannel(int32_t* v, int64_t per, float s, int bits) {
  int64_t max_abs = 0, sum_abs = 0;
  for (int64_t i = 0; i < per; ++i) {
    max_abs = std::max<int64_t>(max_abs, std::llabs(v[i]));
    sum_abs += std::llabs(v[i]);
  }
  if (bits == 1) {
    for (int64_t i = 0; i < per; ++i) v[i] = v[i] >= 0 ? 1 : -1;
    if (sum_abs == 0) return s;
    return static_cast<float>(s * static_cast<double>(sum_abs) / static_cast<double>(per));
  }
  const int64_t qmax = (int64_t{1} << (bits - 1)) - 1;
  if (max_abs == 0) return s;
  for (int64_t i = 0; i < per; ++i) v[i] = static_cast<int32_t>(RoundDiv(int64_t{v[i]} * qmax, max_abs));
  return static_cast<float>(s * static_cast<double>(max_abs) / static_cast<double>(qmax));
}

// The bias follows its channel's scale: times old scale / new scale, rounded and saturated.
void RescaleBias(TensorInfo& b, const std::vector<double>& ratio) {
  std::vector<int32_t>& bv = *b.data;
  for (size_t c = 0; c < bv.size(); ++c) {
    const double r = std::nearbyint(static_cast<double>(bv[c]) * ratio[bv.size() == 1 ? 0 : c]);
    bv[c] = static_cast<int32_t>(std::max<double>(std::numeric_limits<int32_t>::min(),
                                                  std::min<double>(std::numeric_limits<int32_t>::max(), r)));
  }
}

void Requantize(Graph& g, Op& op, int bits, const std::string& source) {
  TensorInfo& w = g.tensor(op.inputs[1]);
  if (w.bits == bits) return;
  CheckSymmetric(op, w, source);
  const int64_t channels = w.shape[0];
  const int64_t per = w.elements() / channels;
  std::vector<int32_t>& q = *w.data;
  std::vector<float> scales(channels);
  std::vector<double> ratio(channels, 1.0);  // old scale / new scale, for the bias
  for (int64_t c = 0; c < channels; ++c) {
    const float s = w.quant.scale(c);
    scales[c] = RequantizeChannel(&q[c * per], per, s, bits);
    ratio[c] = static_cast<double>(s) / static_cast<double>(scales[c]);
  }
  w.bits = bits;
  w.is_signed = true;
  w.quant.scales = scales;
  w.quant.zero_points = {0};
  w.quant.axis = 0;
  if (op.inputs.size() > 2) RescaleBias(g.tensor(op.inputs[2]), ratio);
}

}  // namespace

namespace {

// A precision file: {"LAYER": BITS, ...} ("*" allowed), validated like every input file.
std::map<std::string, int> ReadPrecisionFile(const std::string& path) {
  const Json doc = ReadJsonFile(path);
  ProblemList problems(path);
  JsonChecker check(&problems);
  std::map<std::string, int> out;
  if (check.Object(doc, "")) {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (auto b = check.Int(it.value(), "/" + it.key(), 1, 16)) out[it.key()] = static_cast<int>(*b);
    }
    if (doc.empty()) problems.Add("", "expected at least one \"LAYER\": BITS entry, got {}");
  }
  problems.ThrowIfAny();
  return out;
}

}  // namespace

std::map<std::string, int> ParseWeightBits(const std::string& spec, const std::string& source) {
  if (!spec.empty() && spec[0] == '@') return ReadPrecisionFile(spec.substr(1));
  std::map<std::string, int> out;
  size_t pos = 0;
  while (pos <= spec.size()) {
    const size_t end = std::min(spec.find(',', pos), spec.size());
    const std::string item = spec.substr(pos, end - pos);
    const size_t eq = item.find('=');
    const std::string layer = eq == std::string::npos ? "" : item.substr(0, eq);
    const std::string num = eq == std::string::npos ? "" : item.substr(eq + 1);
    char* tail = nullptr;
    const long bits = num.empty() ? 0 : std::strtol(num.c_str(), &tail, 10);
    if (layer.empty() || num.empty() || *tail != '\0' || bits < 1 || bits > 16) {
      throw ConfigError(
          source, "",
          "expected LAYER=BITS with BITS in 1..16 ('*' for every conv2d/fully_connected layer), got \"" +
              item + "\"");
    }
    out[layer] = static_cast<int>(bits);  // '*' is expanded by ApplyWeightBits
    pos = end + 1;
  }
  return out;
}

namespace {

// The per-layer widths `bits` asks for, '*' expanded to every conv2d/fully_connected layer and a
// named layer's entry beating it; every named layer must exist and have weights.
std::map<std::string, int> PerLayer(const Graph& g, const std::map<std::string, int>& bits,
                                    const std::string& source) {
  std::map<std::string, int> per_layer;
  if (auto all = bits.find("*"); all != bits.end()) {
    for (const Op& op : g.ops) {
      if (HasWeights(op)) per_layer[op.name] = all->second;
    }
  }
  for (const auto& [layer, b] : bits) {
    if (layer == "*") continue;
    bool found = false;
    for (const Op& op : g.ops) {
      if (op.name != layer) continue;
      found = true;
      if (!HasWeights(op)) {
        throw ConfigError(source, "",
                          "layer \"" + layer + "\" is " + OpTypeName(op.type) +
                              ", which has no weights (expected a conv2d or fully_connected layer)");
      }
    }
    if (!found)
      throw ConfigError(source, "", "no layer named \"" + layer + "\" in network \"" + g.name + "\"");
    per_layer[layer] = b;
  }
  return per_layer;
}

// The tensors that must share t's quantization: t and those max_pool, reshape and concat tie to it.
std::vector<std::string> QuantGroup(const Graph& g, const std::string& t) {
  std::vector<std::string> group{t};
  for (size_t i = 0; i < group.size(); ++i) {
    for (const Op& op : g.ops) {
      if (op.type != OpType::kMaxPool && op.type != OpType::kReshape && op.type != OpType::kConcat) continue;
      // tied: every input and the output (a concat's inputs to one another through it)
      std::vector<std::string> tied = op.inputs;
      tied.push_back(op.outputs[0]);
      if (std::find(tied.begin(), tied.end(), group[i]) == tied.end()) continue;
      for (const std::string& other : tied) {
        if (std::find(group.begin(), group.end(), other) == group.end()) group.push_back(other);
      }
    }
  }
  return group;
}

// Re-quantizes activation tensor t to `bits`, keeping its real range (precision.h).
void RequantizeActivation(TensorInfo& t, int bits) {
  const double old_levels = static_cast<double>(t.is_signed ? t.qmax() : t.qmax() - t.qmin());
  const int32_t z = t.quant.zero_points[0];
  t.bits = bits;
  const double r = static_cast<double>(t.is_signed ? t.qmax() : t.qmax() - t.qmin()) / old_levels;
  t.quant.scales = {static_cast<float>(static_cast<double>(t.quant.scales[0]) / r)};
  const auto saturate = [&t](double v) {
    return static_cast<int32_t>(
        std::clamp<double>(v, static_cast<double>(t.qmin()), static_cast<double>(t.qmax())));
  };
  const int32_t z_new = saturate(std::nearbyint(z * r));
  t.quant.zero_points = {z_new};
  if (t.data) {
    for (int32_t& q : *t.data) q = saturate(z_new + std::nearbyint((q - z) * r));
  }
}

}  // namespace

void ApplyWeightBits(Graph& g, const std::map<std::string, int>& bits, const std::string& source) {
  const std::string where = "ApplyWeightBits(" + source + ") on network \"" + g.name + "\"";
  const std::vector<Problem> before = VerifyProblems(g, where);
  const std::map<std::string, int> per_layer = PerLayer(g, bits, source);
  for (Op& op : g.ops) {
    auto it = per_layer.find(op.name);
    if (it != per_layer.end()) Requantize(g, op, it->second, source);
  }
  core::VerifyRewrite(g, where, before);  // a rewrite bug stops here
}

void ApplyActivationBits(Graph& g, const std::map<std::string, int>& bits, const std::string& source) {
  const std::string checked = "ApplyActivationBits(" + source + ") on network \"" + g.name + "\"";
  const std::vector<Problem> before = VerifyProblems(g, checked);
  // tensor -> (width, the layer that asked for it), every tensor of a group with its reader.
  std::map<std::string, std::pair<int, std::string>> want;
  for (const auto& [layer, b] : PerLayer(g, bits, source)) {
    const std::string where = "layer \"" + layer + "\"";
    if (b < 2 || b > 16) {
      throw ConfigError(source, "", where + ": expected activation bits in 2..16, got " + std::to_string(b));
    }
    const std::string& name = layer;  // a structured binding cannot be captured in C++17
    const Op& op = *std::find_if(g.ops.begin(), g.ops.end(), [&name](const Op& o) { return o.name == name; });
    const TensorInfo& x = g.tensor(op.inputs[0]);
    if (x.quant.scales.size() != 1 || x.quant.zero_points.size() != 1) {
      throw ConfigError(source, "",
                        where + ": its input \"" + x.name +
                            "\" is quantized per channel; only per-tensor activations can be re-quantized");
    }
    for (const std::string& t : QuantGroup(g, x.name)) {
      for (const Op& other : g.ops) {  // a table is indexed by, and holds values of, fixed widths
        if (other.type != OpType::kLookup || (other.inputs[0] != t && other.outputs[0] != t)) continue;
        throw ConfigError(source, "",
                          where + ": its input \"" + x.name + "\" is tied to lookup \"" + other.name +
                              "\", whose table is made for " + std::to_string(g.tensor(t).bits) +
                              "-bit values of tensor \"" + t + "\"");
      }
      auto [it, fresh] = want.emplace(t, std::make_pair(b, layer));
      if (!fresh && it->second.first != b) {
        throw ConfigError(source, "",
                          "layers \"" + it->second.second + "\" and \"" + layer +
                              "\" read the same activations (tensor \"" + t + "\") and ask for " +
                              std::to_string(it->second.first) + " and " + std::to_string(b) + " bits");
      }
    }
  }
  for (const auto& [t, wb] : want) {
    TensorInfo& info = g.tensor(t);
    if (info.bits != wb.first) RequantizeActivation(info, wb.first);
  }
  core::VerifyRewrite(g, checked, before);  // a rewrite bug stops here
}

}  // namespace npusim::core
