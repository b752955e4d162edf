// Elementwise family: QLinearAdd -> add, QLinearMul -> mul, QLinearLeakyRelu and the lookup
// chains the QDQ folder makes (qdq_fold.h) -> lookup.
#include <algorithm>

#include "frontends/onnx/onnx_node.h"
#include "frontends/onnx/ops.h"
#include "frontends/onnx/qdq_fold.h"

namespace npusim::importer {

using onnx::NodeProto;
using onnx::TensorProto;

namespace {

// The inputs a (0) and b (3) of a binary op: of equal shapes, or (`per_channel`) b [1, C, 1, 1]
// for an a [1, C, H, W]; else reported, ending with `expected`.
Shape BinaryShape(ImportContext& cx, int i, const NodeProto& n, bool per_channel,
                  const std::string& expected) {
  const Value& a = cx.ValueInput(i, n, 0);
  const Value& b = cx.ValueInput(i, n, 3);
  const bool channel_b = a.shape.size() == 4 && b.shape == std::vector<int64_t>{1, a.shape[1], 1, 1};
  if (a.shape != b.shape && !(per_channel && channel_b)) {
    cx.NodeProblem(i, n,
                   "inputs of shapes " + core::ShapeString(a.shape) + " and " + core::ShapeString(b.shape) +
                       ": " + expected);
    return std::nullopt;
  }
  return a.shape;
}

}  // namespace

Shape AddShape(ImportContext& cx, int i, const NodeProto& n, core::Op* /*ir*/) {
  return BinaryShape(cx, i, n, false, "broadcasting is not supported (expected equal shapes)");
}

// QLinearMul: b of a's shape, or [1, C, 1, 1] (one factor per channel of a [1, C, H, W]).
Shape MulShape(ImportContext& cx, int i, const NodeProto& n, core::Op* /*ir*/) {
  return BinaryShape(
      cx, i, n, true,
      "expected equal shapes, or a second input of shape [1, C, 1, 1] (one factor per channel)");
}

template <core::OpType kType>
bool ConvertBinary(ImportContext& cx, int i, const NodeProto& n, const std::vector<int64_t>& shape,
                   core::Op* ir) {
  ir->type = kType;
  ir->inputs = {cx.ValueInput(i, n, 0).ir, cx.ValueInput(i, n, 3).ir};
  return cx.SetOutput(i, n, shape, ir);
}
template bool ConvertBinary<core::OpType::kAdd>(ImportContext&, int, const NodeProto&,
                                                const std::vector<int64_t>&, core::Op*);
template bool ConvertBinary<core::OpType::kMul>(ImportContext&, int, const NodeProto&,
                                                const std::vector<int64_t>&, core::Op*);

Shape LookupShape(ImportContext& cx, int i, const NodeProto& n, core::Op* /*ir*/) {
  return cx.ValueInput(i, n, 0).shape;
}

namespace {

// The table input (5) of a folded chain's lookup: made by the QDQ folder, checked all the same,
// since a model file may name the op too. Empty (reported) if it is not 256 values of y's type.
std::vector<int32_t> ChainTable(ImportContext& cx, int i, const NodeProto& n, const core::TensorInfo& y) {
  const OnnxTensor& c = cx.ConstantInput(i, n, 5);
  const int64_t lo = y.is_signed ? -128 : 0;
  const bool ok = c.int_values.size() == 256 &&
                  c.elem_type == (y.is_signed ? TensorProto::INT8 : TensorProto::UINT8) &&
                  std::all_of(c.int_values.begin(), c.int_values.end(),
                              [lo](int32_t v) { return v >= lo && v <= lo + 255; });
  if (!ok) {
    cx.NodeProblem(i, n,
                   "input 5 (\"" + n.input(5) + "\") must be a table of 256 values of the output's type");
    return {};
  }
  return c.int_values;
}

}  // namespace

// QLinearLeakyRelu (its table built as ONNX Runtime builds it) or a folded chain's table.
bool ConvertLookup(ImportContext& cx, int i, const NodeProto& n, const std::vector<int64_t>& shape,
                   core::Op* ir) {
  const Value& x = cx.ValueInput(i, n, 0);
  const core::TensorInfo& xi = cx.Tensor(x.ir);
  if (!cx.SetOutput(i, n, shape, ir)) return false;
  const core::TensorInfo y = cx.Tensor(ir->outputs[0]);
  std::vector<int32_t> table;
  if (n.op_type() == kLookupOp) {
    table = ChainTable(cx, i, n, y);
    if (table.empty()) return false;
  } else {
    const float alpha = FloatAttr(n, "alpha", 0.01f);
    table =
        Tabulate([alpha](float v) { return v >= 0 ? v : alpha * v; }, xi.quant.scale(0),
                 xi.quant.zero_point(0), xi.is_signed, y.quant.scale(0), y.quant.zero_point(0), y.is_signed);
  }
  ir->type = core::OpType::kLookup;
  ir->inputs = {x.ir, cx.AddTable(y.name + "_table", y, std::move(table))};
  return true;
}

}  // namespace npusim::importer
