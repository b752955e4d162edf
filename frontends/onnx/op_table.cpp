// The op table (op_table.h) and the checks it drives before any conversion.
#include "frontends/onnx/op_table.h"

#include <algorithm>

#include "frontends/onnx/onnx_node.h"
#include "frontends/onnx/ops.h"
#include "frontends/onnx/qdq_fold.h"

namespace npusim::importer {

using onnx::NodeProto;

const std::vector<OpSpec>& SupportedOps() {
  // Columns: domain, op, inputs min..max, constant inputs, activation inputs, optional inputs,
  // quantization declared (value, scale, zero point; -1 the output), attribute check, shape rule,
  // converter, and the flags.
  // clang-format off
  static const std::vector<OpSpec> ops = {
      {"ai.onnx", "QLinearConv", 8, 9, {1, 2, 3, 4, 5, 6, 7, 8}, {0}, {8}, {{0, 1, 2}, {-1, 6, 7}},
       CheckConvAttributes, ConvShape, ConvertConv},
      {"ai.onnx", "QLinearMatMul", 8, 8, {1, 2, 3, 4, 5, 6, 7}, {0}, {}, {{0, 1, 2}, {-1, 6, 7}},
       nullptr, MatMulShape, ConvertMatMul},
      {"com.microsoft", "QLinearAdd", 7, 8, {1, 2, 4, 5, 6, 7}, {0, 3}, {2, 5, 7},
       {{0, 1, 2}, {3, 4, 5}, {-1, 6, 7}}, nullptr, AddShape, ConvertBinary<core::OpType::kAdd>},
      {"com.microsoft", "QLinearMul", 7, 8, {1, 2, 4, 5, 6, 7}, {0, 3}, {2, 5, 7},
       {{0, 1, 2}, {3, 4, 5}, {-1, 6, 7}}, nullptr, MulShape, ConvertBinary<core::OpType::kMul>},
      {"com.microsoft", "QLinearLeakyRelu", 4, 5, {1, 2, 3, 4}, {0}, {2, 4}, {{0, 1, 2}, {-1, 3, 4}},
       nullptr, LookupShape, ConvertLookup},
      // variadic: Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per input
      {"com.microsoft", "QLinearConcat", 5, 2 + 3 * 64, {0, 1}, {2}, {}, {{-1, 0, 1}},
       nullptr, ConcatShape, ConvertConcat, Variadic::kTriples},
      // of quantized tensors as they are
      {"ai.onnx", "Concat", 1, 64, {}, {0}, {}, {},
       nullptr, ConcatShape, ConvertConcat, Variadic::kActivations},
      // an elementwise QDQ chain folded into a table (qdq_fold.h); never in a model file
      {kLookupDomain, kLookupOp, 6, 6, {1, 2, 3, 4, 5}, {0}, {}, {{0, 1, 2}, {-1, 3, 4}},
       nullptr, LookupShape, ConvertLookup},
      {"com.microsoft", "QLinearGlobalAveragePool", 5, 5, {1, 2, 3, 4}, {0}, {}, {{0, 1, 2}, {-1, 3, 4}},
       CheckGlobalAvgPoolAttributes, GlobalAvgPoolShape, ConvertGlobalAvgPool},
      {"com.microsoft", "QLinearAveragePool", 4, 5, {1, 2, 3, 4}, {0}, {2, 4}, {{0, 1, 2}, {-1, 3, 4}},
       CheckAvgPoolAttributes, PoolShape, ConvertAvgPool},
      {"com.microsoft", "QGemm", 9, 9, {1, 2, 3, 4, 5, 6, 7, 8}, {0}, {6}, {{0, 1, 2}, {-1, 7, 8}},
       CheckGemmAttributes, MatMulShape, ConvertMatMul},
      // int32 accumulator outputs (docs/onnx.md, "ConvInteger and MatMulInteger"): only the input's
      // zero point is declared (quant_infer.h)
      {"ai.onnx", "ConvInteger", 2, 4, {1, 2, 3}, {0}, {2, 3}, {},
       CheckConvAttributes, ConvShape, ConvertConv},
      {"ai.onnx", "MatMulInteger", 2, 4, {1, 2, 3}, {0}, {2, 3}, {},
       nullptr, MatMulShape, ConvertMatMul},
      {"ai.onnx", "MaxPool", 1, 1, {}, {0}, {}, {}, CheckMaxPoolAttributes, PoolShape, ConvertMaxPool,
       Variadic::kNone, true},
      {"ai.onnx", "Reshape", 2, 2, {1}, {0}, {}, {},
       nullptr, ReshapeShape, ConvertReshape, Variadic::kNone, true},
      {"ai.onnx", "Flatten", 1, 1, {}, {0}, {}, {},
       nullptr, ReshapeShape, ConvertReshape, Variadic::kNone, true},
      {"ai.onnx", "Identity", 1, 1, {}, {0}, {}, {},
       nullptr, ReshapeShape, ConvertReshape, Variadic::kNone, true, true},
      // folded into the constants up front
      {"ai.onnx", "Constant", 0, 0, {}, {}, {}, {}, CheckConstantAttributes, nullptr, nullptr},
      {"ai.onnx", "Transpose", 1, 1, {0}, {}, {}, {}, nullptr, nullptr, nullptr},  // of a constant
  };
  // clang-format on
  return ops;
}

const OpSpec* FindSpec(const NodeProto& n) {
  for (const OpSpec& s : SupportedOps()) {
    if (s.domain == Domain(n) && s.op == n.op_type()) return &s;
  }
  return nullptr;
}

std::pair<std::vector<int>, std::vector<int>> InputRoles(const NodeProto& n, const OpSpec& spec) {
  std::vector<int> consts = spec.const_inputs, acts = spec.act_inputs;
  if (spec.variadic == Variadic::kActivations) {
    acts.clear();
    for (int k = 0; k < n.input_size(); ++k) acts.push_back(k);
  } else if (spec.variadic == Variadic::kTriples) {
    acts.clear();
    for (int k = 2; k < n.input_size(); k += 3) {
      acts.push_back(k);
      consts.push_back(k + 1);
      consts.push_back(k + 2);
    }
  }
  return {consts, acts};
}

namespace {

// Constant inputs that are absent or computed, activation inputs that are constants.
void InputRoleIssues(const NodeProto& n, const OpSpec& spec,
                     const std::function<bool(const std::string&)>& is_constant,
                     std::vector<std::string>* issues) {
  const auto [const_inputs, act_inputs] = InputRoles(n, spec);
  for (int k : const_inputs) {
    const std::string in = Input(n, k);
    const bool optional = std::count(spec.optional_inputs.begin(), spec.optional_inputs.end(), k) > 0;
    if (in.empty() && !optional) issues->push_back("input " + std::to_string(k) + " is required");
    if (!in.empty() && !is_constant(in)) {
      issues->push_back("input " + std::to_string(k) + " (\"" + in +
                        "\") must be a constant (an initializer or a Constant node)");
    }
  }
  for (int k : act_inputs) {
    if (is_constant(Input(n, k))) {
      issues->push_back("input " + std::to_string(k) + " (\"" + Input(n, k) +
                        "\") is a constant; constant activations are not supported");
    }
  }
}

}  // namespace

std::vector<std::string> StaticIssues(const NodeProto& n, const OpSpec& spec,
                                      const std::function<bool(const std::string&)>& is_constant) {
  std::vector<std::string> issues;
  if (n.input_size() < spec.min_inputs || n.input_size() > spec.max_inputs) {
    issues.push_back("expected " + std::to_string(spec.min_inputs) + ".." + std::to_string(spec.max_inputs) +
                     " inputs, got " + std::to_string(n.input_size()));
    return issues;
  }
  if (spec.variadic == Variadic::kTriples && (n.input_size() - 2) % 3 != 0) {
    issues.push_back("expected Y_scale, Y_zero_point and then (X, X_scale, X_zero_point) triples, got " +
                     std::to_string(n.input_size()) + " inputs");
    return issues;
  }
  int outputs = 0;
  for (const std::string& o : n.output()) outputs += o.empty() ? 0 : 1;
  if (outputs != 1 || n.output(0).empty()) issues.push_back("expected exactly one output (the first)");
  InputRoleIssues(n, spec, is_constant, &issues);
  if (spec.check_attributes != nullptr) spec.check_attributes(n, &issues);
  return issues;
}

}  // namespace npusim::importer
