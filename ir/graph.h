// The quantized graph IR: what a network JSON (or, later, an ONNX model) becomes after parsing and
// validation. Everything downstream (compiler, reference executor, report) reads only this.
//
// Layout is stated once: activations are NHWC with N == 1 (rank-4 [1,H,W,C]) or rank-2 [M,K] for
// matmul/FC inputs and outputs; conv weights are OHWI ([O, KH, KW, I/groups]); FC weights are
// [N, K] (out, in). Flatten/reshape never move data: NHWC order is the memory order.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/mapping_force.h"
#include "ir/model_io.h"

namespace npusim::core {

// Quantization of one tensor: real = scale * (q - zero_point).
// Per-tensor: scales.size() == 1. Per-channel (weights only): scales.size() == channels along
// `axis` (axis 0, the output channel, for conv and FC weights); zero_points are per tensor for
// activations and may be per channel for weights (usually all 0).
struct QuantParams {
  std::vector<float> scales{1.0f};
  std::vector<int32_t> zero_points{0};
  int axis = 0;
  bool per_channel() const { return scales.size() > 1; }
  float scale(int64_t c) const { return scales.size() == 1 ? scales[0] : scales[c]; }
  int32_t zero_point(int64_t c) const { return zero_points.size() == 1 ? zero_points[0] : zero_points[c]; }
};

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
  // 1..16 for activations and weights; 32 (signed) for biases and for the int32 accumulator
  // outputs of conv2d / fully_connected (ONNX ConvInteger, MatMulInteger).
  int bits = 8;
  bool is_signed = true;
  QuantParams quant;
  // Constant data (weights, biases, or a given network input); values stored as int32 whatever
  // the bit width, each within [qmin(), qmax()].
  std::optional<std::vector<int32_t>> data;

  int64_t elements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  // A signed 1-bit tensor is binary: its values are -1 and +1 (the BNN/XNOR convention: stored
  // bit 0 means -1, bit 1 means +1; magnitude comes from the scale), never 0. Weights only.
  bool binary() const { return bits == 1 && is_signed; }
  int64_t qmin() const { return is_signed ? (binary() ? -1 : -(int64_t{1} << (bits - 1))) : 0; }
  int64_t qmax() const {
    return is_signed ? (binary() ? 1 : (int64_t{1} << (bits - 1)) - 1) : (int64_t{1} << bits) - 1;
  }
  // True when v is one of the tensor's values ([qmin, qmax], and not 0 when binary).
  bool representable(int64_t v) const { return v >= qmin() && v <= qmax() && !(binary() && v == 0); }
  // A 32-bit tensor carries no scale or zero point of its own: a bias's are implied as x_scale *
  // w_scale and 0; as the output of conv2d / fully_connected it holds the raw accumulator (plus
  // bias), written without requantization or activation; no op reads such an output.
  // Bytes one element takes in memory: 1 for <= 8 bits, 2 for <= 16, 4 for <= 32.
  int bytes_per_element() const { return bits <= 8 ? 1 : bits <= 16 ? 2 : 4; }
};

enum class OpType {
  kConv2d,
  kFullyConnected,
  kAdd,
  kMul,
  kLookup,
  kMaxPool,
  kAvgPool,
  kGlobalAvgPool,
  kReshape,
  kConcat
};
const char* OpTypeName(OpType t);  // "conv2d", "fully_connected", "add", "max_pool", ...

// Activation fused into requantization (TFLite style): the output is clamped to the quantized
// image of [0, inf) for relu and [0, 6] for relu6, intersected with the output type's range.
enum class Activation { kNone, kRelu, kRelu6 };

enum class FusionForce { kAuto, kNext, kNone };

struct Op {
  std::string name;
  OpType type = OpType::kConv2d;
  // Tensor names. conv2d / fully_connected: inputs = {x, w} or {x, w, bias}; add: {a, b};
  // mul: {a, b}, b of a's shape or [1, 1, 1, C] (one factor per channel, as squeeze-excitation
  // scales); lookup: {x, table}, table a constant of 2^bits(x) entries of the output's type
  // (y = table[x - qmin(x)]: any elementwise function of one 8-bit input, tabulated);
  // pools and reshape: {x}; concat: {x0, x1, ...} (2..64), joined along `axis`. outputs: exactly one.
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;

  // conv2d and pools
  std::array<int64_t, 2> kernel{1, 1};      // pools only (conv takes it from the weight shape)
  std::array<int64_t, 2> stride{1, 1};      // [h, w]
  std::array<int64_t, 2> dilation{1, 1};    // conv only
  std::array<int64_t, 4> pads{0, 0, 0, 0};  // [top, left, bottom, right]
  int64_t groups = 1;                       // conv only; groups == C_in == C_out is depthwise
  int64_t axis = 0;                         // concat only: the IR dimension joined (3: channels of NHWC)
  // conv2d: the net file's "fusion": whether the layer runs fused with the op after it
  // (compiler/passes/fusion.h): kNext forces it, kNone forbids it, kAuto leaves it to the compiler.
  FusionForce fusion = FusionForce::kAuto;
  bool count_include_pad = false;  // avg_pool only
  bool float_accumulate = false;   // avg_pool only: core::FloatAveragePool (ONNX's QLinearAveragePool)
  Activation activation = Activation::kNone;  // conv2d, fully_connected, add
  MappingForce mapping;  // conv2d, fully_connected: the net file's "mapping" (reconfigurable units)
};

struct Graph {
  std::string name;
  std::map<std::string, TensorInfo> tensors;
  std::vector<Op> ops;               // in a valid topological order
  std::vector<std::string> inputs;   // network inputs (data may be given or supplied at run time)
  std::vector<std::string> outputs;  // network outputs
  // The inputs and outputs as the source model declares them (an imported ONNX model: names,
  // NCHW shapes, element types, float32 edges); absent for a network written in the IR's own terms,
  // whose inputs and outputs are the IR tensors. Only the host's I/O reads it (ir/model_io.h).
  std::optional<ModelIo> model_io;

  const TensorInfo& tensor(const std::string& n) const { return tensors.at(n); }
  TensorInfo& tensor(const std::string& n) { return tensors.at(n); }
};

// Conv output size along one dimension (floor mode), shared by loader, compiler and reference.
inline int64_t ConvOutSize(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t pad_begin,
                           int64_t pad_end) {
  const int64_t eff = dilation * (kernel - 1) + 1;
  return (in + pad_begin + pad_end - eff) / stride + 1;
}

// MACs of an op (0 for ops that do none).
int64_t OpMacs(const Graph& g, const Op& op);

}  // namespace npusim::core
