// Internal to importer/: folds the QDQ form into the QOperator form the importer converts.
//
//   DequantizeLinear(x) ─┐
//   DequantizeLinear(w) ─┼─ Conv ─ [Relu | Clip] ─ QuantizeLinear  =>  QLinearConv (+ activation)
//   DequantizeLinear(b) ─┘
//
// Groups folded (every activation input a DequantizeLinear of a computed value, every weight or
// bias a DequantizeLinear of a constant, the op's only consumer a QuantizeLinear, optionally
// through one Relu or Clip):
//   Conv -> QLinearConv, MatMul -> QLinearMatMul, Gemm -> com.microsoft QGemm, Add ->
//   com.microsoft QLinearAdd, AveragePool -> com.microsoft QLinearAveragePool (which the importer
//   then refuses, naming why), GlobalAveragePool -> com.microsoft QLinearGlobalAveragePool; MaxPool, Reshape
//   and Flatten (no activation) become the same op on the quantized tensor, whose quantization must then be
//   kept (checked later).
// A Relu or Clip becomes the string attribute `npusim_activation` ("relu" or "relu6") of the
// folded node when the clamp it implies on the quantized output is one the IR can express;
// otherwise the group is refused with the range it would need. This is how ONNX Runtime runs such
// a model too: its graph optimizer fuses the same groups into its integer kernels.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "frontends/onnx/onnx_import.h"
#include "frontends/onnx/onnx_node.h"

namespace npusim::importer {

inline constexpr char kActivationAttr[] = "npusim_activation";
// The node a DequantizeLinear -> elementwise float ops -> QuantizeLinear chain becomes: inputs
// X, X_scale, X_zero_point, Y_scale, Y_zero_point (as com.microsoft QLinearLeakyRelu) and the
// table, a 256-entry constant of Y's type that FoldQdq adds to the constants.
inline constexpr char kLookupDomain[] = "npusim";
inline constexpr char kLookupOp[] = "QLinearLookup";

// Quantized x -> quantized f(real x) for every 8-bit x (index x - qmin), as ONNX Runtime computes
// it in float32: real x = float32(x - x_zp) * x_scale (DequantizeLinear), then f, then
// saturate(round_half_to_even(v / y_scale) + y_zp) (QuantizeLinear). Throws std::domain_error
// naming the input value if f gives NaN.
std::vector<int32_t> Tabulate(const std::function<float(float)>& f, float x_scale, int32_t x_zp,
                              bool x_signed, float y_scale, int32_t y_zp, bool y_signed);

struct QdqFoldResult {
  std::vector<IndexedNode> nodes;     // the graph, each folded group now one node (at the op's place)
  std::vector<IndexedNode> absorbed;  // the DequantizeLinear / QuantizeLinear nodes folded away
  // Original node index -> why that node (a float op, or a DequantizeLinear / QuantizeLinear) is
  // not part of a foldable group.
  std::map<int, std::string> refused;
  // The graph's float edges: a float32 graph input read only by a QuantizeLinear (constant
  // per-tensor scale and zero point) becomes that QuantizeLinear's quantized output, which the
  // host computes (npusim run quantizes float32 inputs as QuantizeLinear does); a graph output
  // made by a DequantizeLinear of a computed tensor becomes that tensor. Both nodes are absorbed.
  std::map<std::string, std::string> input_quantized;   // float graph input -> quantized value
  std::map<std::string, std::string> output_quantized;  // float graph output -> quantized value
};

// `constants` holds the graph's constants; zero points the QDQ nodes omit are added to it (as
// ONNX's defaults: 0 of the tensor's type). `types` are the declared element types of values,
// `opset` the default-domain opset (Clip takes its bounds as attributes before 11).
QdqFoldResult FoldQdq(const onnx::GraphProto& graph, std::map<std::string, OnnxTensor>* constants,
                      const std::map<std::string, int>& types, int64_t opset);

}  // namespace npusim::importer
