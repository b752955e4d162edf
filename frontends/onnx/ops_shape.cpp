// Shape family: Concat, QLinearConcat -> concat; Reshape, Flatten, Identity (of a graph output)
// -> reshape; and the forms of Constant the importer reads.
#include "frontends/onnx/onnx_node.h"
#include "frontends/onnx/op_table.h"
#include "frontends/onnx/ops.h"
#include "frontends/onnx/qdq_fold.h"

namespace npusim::importer {
namespace {

using onnx::NodeProto;

// Product of v[from .. to).
int64_t Product(const std::vector<int64_t>& v, int64_t from, int64_t to) {
  int64_t p = 1;
  for (int64_t i = from; i < to; ++i) p *= v.at(i);
  return p;
}
int64_t Product(const std::vector<int64_t>& v) { return Product(v, 0, static_cast<int64_t>(v.size())); }

// True when NCHW and NHWC order the elements alike (C == 1 or H * W == 1), or rank != 4.
bool OrderTrivial(const std::vector<int64_t>& s) { return s.size() != 4 || s[1] == 1 || s[2] * s[3] == 1; }

std::vector<int> ConcatInputs(const NodeProto& n) { return InputRoles(n, *FindSpec(n)).second; }

// Concat's axis in [0, rank); -1 (reported) if outside the inputs' rank.
int64_t ConcatAxis(ImportContext& cx, int i, const NodeProto& n, int64_t rank) {
  const int64_t axis = IntAttr(n, "axis", 0);
  if (axis < -rank || axis >= rank) {
    cx.NodeProblem(i, n,
                   "axis " + std::to_string(axis) + " is outside the inputs' rank " + std::to_string(rank));
    return -1;
  }
  return axis < 0 ? axis + rank : axis;
}

// A QLinearConcat input quantized unlike the output y, first rescaled by a lookup whose table is
// ONNX Runtime's: QuantizeLinear of the dequantized value (the identity through float32). Returns
// the IR tensor the concat reads.
std::string Rescaled(ImportContext& cx, int i, const NodeProto& n, int k, const core::TensorInfo& y) {
  const Value& x = cx.ValueInput(i, n, k);
  const core::TensorInfo& xi = cx.Tensor(x.ir);
  if (xi.quant.scales == y.quant.scales && xi.quant.zero_points == y.quant.zero_points &&
      xi.is_signed == y.is_signed) {
    return x.ir;
  }
  const std::string table =
      cx.AddTable(y.name + "_table_" + std::to_string(k), y,
                  Tabulate([](float v) { return v; }, xi.quant.scale(0), xi.quant.zero_point(0), xi.is_signed,
                           y.quant.scale(0), y.quant.zero_point(0), y.is_signed));
  core::TensorInfo& r = cx.AddTensor(y.name + "_in" + std::to_string(k), xi.shape);
  r.bits = 8;
  r.is_signed = y.is_signed;
  r.quant = y.quant;
  core::Op rescale;
  rescale.name = cx.OpName(i, n) + "_rescale" + std::to_string(k);
  rescale.type = core::OpType::kLookup;
  rescale.inputs = {x.ir, table};
  rescale.outputs = {r.name};
  cx.AddOp(rescale);
  return r.name;
}

// The output shape of Flatten; empty (reported) on a problem.
std::vector<int64_t> FlattenTarget(ImportContext& cx, int i, const NodeProto& n,
                                   const std::vector<int64_t>& in) {
  int64_t axis = IntAttr(n, "axis", 1);
  if (axis < 0) axis += static_cast<int64_t>(in.size());
  if (axis < 0 || axis > static_cast<int64_t>(in.size())) {
    cx.NodeProblem(i, n, "axis out of range for rank " + std::to_string(in.size()));
    return {};
  }
  return {Product(in, 0, axis), Product(in, axis, static_cast<int64_t>(in.size()))};
}

// The output shape of Reshape (constant shape input, 0 and -1 resolved); empty (reported) on a
// problem.
std::vector<int64_t> ReshapeTarget(ImportContext& cx, int i, const NodeProto& n,
                                   const std::vector<int64_t>& in) {
  const int64_t total = Product(in);
  const OnnxTensor& s = cx.ConstantInput(i, n, 1);
  std::vector<int64_t> out(s.int_values.begin(), s.int_values.end());
  const bool allow_zero = IntAttr(n, "allowzero", 0) != 0;
  int64_t known = 1, infer = -1;
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 0 && !allow_zero && d < in.size()) out[d] = in[d];
    if (out[d] == -1 && infer < 0) {
      infer = static_cast<int64_t>(d);
      continue;
    }
    if (out[d] < 1) {
      cx.NodeProblem(i, n,
                     "shape " + core::ShapeString(out) + ": cannot resolve dimension " + std::to_string(d));
      return {};
    }
    known *= out[d];
  }
  if (infer >= 0 && known > 0 && total % known == 0) out[infer] = total / known;
  if (Product(out) != total) {
    cx.NodeProblem(i, n,
                   "shape " + core::ShapeString(out) + " does not hold the input's " + std::to_string(total) +
                       " elements");
    return {};
  }
  return out;
}

}  // namespace

// Concat / QLinearConcat: the inputs' shape with the axis dimensions summed.
Shape ConcatShape(ImportContext& cx, int i, const NodeProto& n, core::Op* /*ir*/) {
  const std::vector<int> acts = ConcatInputs(n);
  if (acts.empty()) cx.Fail(i, n, "expected at least one input to concatenate");
  const std::vector<int64_t>& first = cx.ValueInput(i, n, acts[0]).shape;
  const int64_t rank = static_cast<int64_t>(first.size());
  const int64_t axis = ConcatAxis(cx, i, n, rank);
  if (axis < 0) return std::nullopt;
  std::vector<int64_t> out = first;
  out[axis] = 0;
  for (int k : acts) {
    const std::vector<int64_t>& s = cx.ValueInput(i, n, k).shape;
    bool fits = static_cast<int64_t>(s.size()) == rank;
    for (int64_t d = 0; fits && d < rank; ++d) fits = d == axis || s[d] == first[d];
    if (!fits) {
      cx.NodeProblem(i, n,
                     "input \"" + n.input(k) + "\" has shape " + core::ShapeString(s) + ", expected " +
                         core::ShapeString(first) + " but for dimension " + std::to_string(axis));
      return std::nullopt;
    }
    out[axis] += s[axis];
  }
  return out;
}

// Concat / QLinearConcat -> concat along the IR axis; a QLinearConcat input quantized unlike the
// output is rescaled first (Rescaled).
bool ConvertConcat(ImportContext& cx, int i, const NodeProto& n, const std::vector<int64_t>& shape,
                   core::Op* ir) {
  if (!cx.SetOutput(i, n, shape, ir)) return false;
  const core::TensorInfo y = cx.Tensor(ir->outputs[0]);
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t axis = ConcatAxis(cx, i, n, rank);
  ir->type = core::OpType::kConcat;
  ir->axis = rank == 4 ? std::vector<int64_t>{0, 3, 1, 2}[axis] : axis;  // NCHW -> NHWC
  for (int k : ConcatInputs(n)) ir->inputs.push_back(Rescaled(cx, i, n, k, y));
  return true;
}

// Reshape, Flatten, Identity: the target shape, which must not reorder elements between NCHW and
// NHWC.
Shape ReshapeShape(ImportContext& cx, int i, const NodeProto& n, core::Op* /*ir*/) {
  const Value& x = cx.ValueInput(i, n, 0);
  std::vector<int64_t> out = x.shape;
  if (n.op_type() == "Flatten") out = FlattenTarget(cx, i, n, x.shape);
  if (n.op_type() == "Reshape") out = ReshapeTarget(cx, i, n, x.shape);
  if (out.empty()) return std::nullopt;
  if (out.size() > 4) {
    cx.NodeProblem(i, n, "output rank " + std::to_string(out.size()) + " is not supported (at most 4)");
    return std::nullopt;
  }
  if (!OrderTrivial(x.shape) || !OrderTrivial(out)) {
    cx.NodeProblem(i, n,
                   "reshaping " + core::ShapeString(x.shape) + " to " + core::ShapeString(out) +
                       " reorders elements between ONNX's NCHW and npusim's NHWC (a transpose would be "
                       "needed; not supported yet)");
    return std::nullopt;
  }
  return out;
}

bool ConvertReshape(ImportContext& cx, int i, const NodeProto& n, const std::vector<int64_t>& shape,
                    core::Op* ir) {
  ir->type = core::OpType::kReshape;
  ir->inputs = {cx.ValueInput(i, n, 0).ir};
  return cx.SetOutput(i, n, shape, ir);
}

void CheckConstantAttributes(const NodeProto& n, std::vector<std::string>* issues) {
  if (!FindAttr(n, "value") && !FindAttr(n, "value_ints")) {
    issues->push_back("only the \"value\" and \"value_ints\" forms of Constant are supported");
  }
}

}  // namespace npusim::importer
