// frontends/scalesim/scalesim_graph.h: a SCALE-Sim topology as a quantized graph.
#include "frontends/scalesim/scalesim_graph.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <stdexcept>

#include "frontends/scalesim/scalesim_arch.h"  // kScaleSimDramCapacityBytes
#include "ir/int_math.h"
#include "ir/quant.h"
#include "ir/verify.h"
#include "support/error.h"
#include "support/random.h"

namespace npusim::core {
namespace {

constexpr uint64_t kWeightSeed = 0x5CA1E5111;
constexpr uint64_t kInputSeed = 0x5CA1E5112;
constexpr float kInputScale = 0.05f, kWeightScale = 0.005f;
constexpr int64_t kDramCapacityBytes = kScaleSimDramCapacityBytes;

std::string SafeName(const std::string& name) {
  std::string s;
  for (char ch : name) s += std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' ? ch : '_';
  return s.empty() ? "layer" : s;
}

TensorInfo Int8Tensor(const std::string& name, std::vector<int64_t> shape, float scale) {
  TensorInfo t;
  t.name = name;
  t.shape = std::move(shape);
  t.quant.scales = {scale};
  t.quant.zero_points = {0};
  return t;
}

std::vector<int32_t> RandomInt8(uint64_t seed, int64_t n, int64_t lo) {
  return RandomIntVector(seed, n, lo, 127);  // RandomInt(seed, i, lo, 127) for i in 0 .. n-1
}

// "same" padding as TensorFlow computes it: out = ceil(in / stride), the total split with the
// extra pixel at the end.
std::array<int64_t, 2> SamePads(int64_t in, int64_t kernel, int64_t stride) {
  const int64_t out = CeilDiv(in, stride);
  const int64_t total = std::max<int64_t>((out - 1) * stride + kernel - in, 0);
  return {total / 2, total - total / 2};
}

// How a conv row reads the previous row's output `prev` ([1, h, w, c]), if it can: in "valid"
// mode when the row's ifmap is `prev` plus a border narrower than the filter on each axis (the
// padding the topology folded into its ifmap size, as SCALE-Sim topologies do), read as that
// padding; in "same" mode when the shapes are equal.
bool ChainConv(const ScaleSimLayer& r, bool same, const std::vector<int64_t>& prev,
               std::array<int64_t, 4>* pads) {
  if (prev.size() != 4 || prev[3] != r.channels) return false;
  const int64_t dh = r.ifmap_h - prev[1], dw = r.ifmap_w - prev[2];
  if (same) {
    if (dh != 0 || dw != 0) return false;
    const auto ph = SamePads(r.ifmap_h, r.filter_h, r.stride_h),
               pw = SamePads(r.ifmap_w, r.filter_w, r.stride_w);
    *pads = {ph[0], pw[0], ph[1], pw[1]};
    return true;
  }
  if (dh < 0 || dw < 0 || dh >= r.filter_h || dw >= r.filter_w) return false;
  *pads = {dh / 2, dw / 2, dh - dh / 2, dw - dw / 2};
  return true;
}

class GraphBuilder {
 public:
  GraphBuilder(const ScaleSimConfig& config, const ScaleSimTopology& topology,
               std::vector<ScaleSimRow>* layers)
      : config_(config), topology_(topology), layers_(layers) {
    g_.name = SafeName(config.run_name);
  }

  Graph Build() {
    for (size_t i = 0; i < topology_.layers.size(); ++i) AddRow(topology_.layers[i], static_cast<int>(i));
    for (size_t i = 0; i < g_.ops.size(); ++i) {
      if (i + 1 == g_.ops.size() || !(*layers_)[i + 1].chained) g_.outputs.push_back(g_.ops[i].outputs[0]);
    }
    Verify(g_, topology_.file);  // the invariants every front end's graph must keep (ir/verify.h)
    return g_;
  }

 private:
  void AddRow(const ScaleSimLayer& r, int index) {
    ScaleSimRow L;
    L.row = &r;
    L.op_name = UniqueName(SafeName(r.name));
    const bool gemm = topology_.form == ScaleSimTopologyForm::kGemm;
    const std::vector<int64_t> prev =
        g_.ops.empty() ? std::vector<int64_t>{} : g_.tensor(g_.ops.back().outputs[0]).shape;
    Op op;
    op.name = L.op_name;
    std::vector<int64_t> in_shape, w_shape, out_shape;
    if (gemm) {
      op.type = OpType::kFullyConnected;
      in_shape = {r.gemm_m, r.gemm_k};
      w_shape = {r.gemm_n, r.gemm_k};
      out_shape = {r.gemm_m, r.gemm_n};
      L.chained = prev == in_shape;
      L.gemm_m = r.gemm_m;
      L.gemm_k = r.gemm_k;
      L.gemm_n = r.gemm_n;
    } else {
      const bool same = config_.padding == "same";
      op.type = OpType::kConv2d;
      op.stride = {r.stride_h, r.stride_w};
      op.groups = r.depthwise ? r.channels : 1;
      L.chained = ChainConv(r, same, prev, &op.pads);
      in_shape = L.chained ? prev : std::vector<int64_t>{1, r.ifmap_h, r.ifmap_w, r.channels};
      if (!L.chained && same) {
        const auto ph = SamePads(r.ifmap_h, r.filter_h, r.stride_h),
                   pw = SamePads(r.ifmap_w, r.filter_w, r.stride_w);
        op.pads = {ph[0], pw[0], ph[1], pw[1]};
      }
      const int64_t oc = r.depthwise ? r.channels * r.num_filters : r.num_filters;
      const int64_t oh = ConvOutSize(in_shape[1], r.filter_h, r.stride_h, 1, op.pads[0], op.pads[2]);
      const int64_t ow = ConvOutSize(in_shape[2], r.filter_w, r.stride_w, 1, op.pads[1], op.pads[3]);
      w_shape = {oc, r.filter_h, r.filter_w, r.depthwise ? 1 : r.channels};
      out_shape = {1, oh, ow, oc};
      L.gemm_m = oh * ow;
      L.gemm_k = r.filter_h * r.filter_w * (r.depthwise ? 1 : r.channels);
      L.gemm_n = r.depthwise ? r.num_filters : oc;
      L.groups = op.groups;
    }
    L.pads = op.pads;
    CheckSize(r, L.chained ? 0 : Elements(in_shape), Elements(w_shape), Elements(out_shape));
    const std::string x = L.chained ? g_.ops.back().outputs[0] : AddInput(L.op_name + "_in", in_shape, index);
    const float x_scale = g_.tensor(x).quant.scales[0];
    TensorInfo w = Int8Tensor(L.op_name + "_w", w_shape, kWeightScale);
    w.data = RandomInt8(kWeightSeed + static_cast<uint64_t>(index), Elements(w_shape), -127);
    // acc ~ sqrt(K) * 70 * 70 quanta for uniform int8 operands: a scale that spreads the outputs.
    const float y_scale = x_scale * kWeightScale * std::sqrt(static_cast<float>(L.gemm_k)) * 100.0f;
    op.inputs = {x, Add(w)};
    op.outputs = {Add(Int8Tensor(L.op_name + "_out", out_shape, y_scale))};
    g_.ops.push_back(op);
    layers_->push_back(L);
  }

  std::string AddInput(const std::string& name, const std::vector<int64_t>& shape, int index) {
    TensorInfo t = Int8Tensor(name, shape, kInputScale);
    t.data = RandomInt8(kInputSeed + static_cast<uint64_t>(index), Elements(shape), -128);
    g_.inputs.push_back(name);
    return Add(t);
  }

  // Every tensor lives in DRAM at one byte per value; refuse before allocating what cannot fit.
  void CheckSize(const ScaleSimLayer& r, int64_t in, int64_t w, int64_t out) {
    try {
      bytes_ = CheckedAdd(bytes_, CheckedAdd(in, CheckedAdd(w, out)));
    } catch (const std::overflow_error&) {
      bytes_ = kDramCapacityBytes + 1;
    }
    if (bytes_ <= kDramCapacityBytes) return;
    throw ConfigError(topology_.file, "line " + std::to_string(r.line),
                      "layer \"" + r.name + "\": the full model keeps every tensor in a " +
                          std::to_string(kDramCapacityBytes >> 20) +
                          " MiB DRAM (one byte per int8 value) and the topology up to this layer needs more: "
                          "expected smaller layers (--compat scalesim has no such limit)");
  }

  static int64_t Elements(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n = CheckedMul(n, d);
    return n;
  }

  std::string UniqueName(const std::string& base) {
    std::string name = base;
    for (int k = 2; used_.count(name); ++k) name = base + "_" + std::to_string(k);
    used_.insert(name);
    return name;
  }

  std::string Add(const TensorInfo& t) {
    g_.tensors[t.name] = t;
    return t.name;
  }

  const ScaleSimConfig& config_;
  const ScaleSimTopology& topology_;
  std::vector<ScaleSimRow>* layers_;
  Graph g_;
  std::set<std::string> used_;
  int64_t bytes_ = 0;
};

}  // namespace

Graph BuildScaleSimGraph(const ScaleSimConfig& config, const ScaleSimTopology& topology,
                         std::vector<ScaleSimRow>* rows) {
  return GraphBuilder(config, topology, rows).Build();
}

}  // namespace npusim::core
