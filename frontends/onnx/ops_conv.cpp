// Conv and matmul families: QLinearConv, ConvInteger -> conv2d; QLinearMatMul, QGemm,
// MatMulInteger -> fully_connected. Weights OIHW become OHWI, MatMul's B [K, N] becomes [N, K].
#include <algorithm>
#include <cmath>

#include "frontends/onnx/onnx_node.h"
#include "frontends/onnx/onnx_tensor.h"
#include "frontends/onnx/ops.h"

namespace npusim::importer {
namespace {

using onnx::NodeProto;
using onnx::TensorProto;

// Where a conv / matmul node keeps its operands (-1: the node has no such input).
struct GemmInputs {
  int w, w_scale, w_zero_point, bias;
};

GemmInputs GemmInputsOf(const NodeProto& n) {
  if (IsIntegerOp(n)) return {1, -1, 3, -1};  // ConvInteger, MatMulInteger: x, w, x_zp, w_zp
  if (n.op_type() == "QLinearConv") return {3, 4, 5, 8};
  return {3, 4, 5, n.op_type() == "QGemm" ? 6 : -1};
}

// Per-channel weight scales (scale input `sk`) into `t`: 1 or `channels` positive finite float32.
bool WeightScales(ImportContext& cx, int i, const NodeProto& n, int sk, int64_t channels,
                  core::TensorInfo* t) {
  const OnnxTensor& s = cx.ConstantInput(i, n, sk);
  const size_t count = s.float_values.size();
  if (s.elem_type != TensorProto::FLOAT || !(count == 1 || static_cast<int64_t>(count) == channels)) {
    cx.NodeProblem(
        i, n,
        "weight scale \"" + s.name + "\": expected 1 or " + std::to_string(channels) + " float32 values");
    return false;
  }
  for (float f : s.float_values) {
    if (!(f > 0) || !std::isfinite(f)) {
      cx.NodeProblem(i, n, "weight scale \"" + s.name + "\" must be positive and finite");
      return false;
    }
  }
  t->quant.scales = s.float_values;
  return true;
}

// Weight quantization from scale input `sk` and zero-point input `zk`: per tensor, or one per
// output channel (`channels`). Equal per-channel zero points collapse to one. Without a scale
// input (ConvInteger, MatMulInteger) the scale is 1; without a zero point, 0.
bool WeightQuant(ImportContext& cx, int i, const NodeProto& n, int sk, int zk, const OnnxTensor& w,
                 int64_t channels, core::TensorInfo* t) {
  t->bits = 8;
  t->is_signed = w.elem_type == TensorProto::INT8;
  if (sk >= 0 && !WeightScales(cx, i, n, sk, channels, t)) return false;
  if (Input(n, zk).empty()) return true;
  const OnnxTensor& z = cx.ConstantInput(i, n, zk);
  const size_t count = z.int_values.size();
  if (z.elem_type != w.elem_type || !(count == 1 || static_cast<int64_t>(count) == channels)) {
    cx.NodeProblem(i, n,
                   "weight zero point \"" + z.name + "\": expected 1 or " + std::to_string(channels) +
                       " values of the weight's type " + ElemTypeName(w.elem_type));
    return false;
  }
  t->quant.zero_points = z.int_values;
  if (std::all_of(z.int_values.begin(), z.int_values.end(),
                  [&](int32_t v) { return v == z.int_values[0]; })) {
    t->quant.zero_points.resize(1);
  }
  return true;
}

bool IntegerWeight(ImportContext& cx, int i, const NodeProto& n, int k, size_t rank) {
  const OnnxTensor& w = cx.ConstantInput(i, n, k);
  if (!IsQuantType(w.elem_type) || w.dims.size() != rank) {
    cx.NodeProblem(i, n,
                   "weight \"" + w.name + "\": expected a rank-" + std::to_string(rank) +
                       " uint8 or int8 tensor, got " + ElemTypeName(w.elem_type) + " " +
                       core::ShapeString(w.dims));
    return false;
  }
  return true;
}

// Bias input k (int32 [channels]) as an IR 32-bit tensor; "" if absent; nullopt on a problem.
std::optional<std::string> Bias(ImportContext& cx, int i, const NodeProto& n, int k, int64_t channels) {
  if (k < 0 || Input(n, k).empty()) return std::string();
  const OnnxTensor& b = cx.ConstantInput(i, n, k);
  const bool shape_ok =
      b.dims == std::vector<int64_t>{channels} || b.dims == std::vector<int64_t>{1, channels};
  if (b.elem_type != TensorProto::INT32 || !shape_ok) {
    cx.NodeProblem(i, n,
                   "bias \"" + b.name + "\": expected int32 [" + std::to_string(channels) + "], got " +
                       ElemTypeName(b.elem_type) + " " + core::ShapeString(b.dims));
    return std::nullopt;
  }
  core::TensorInfo& t = cx.AddTensor(b.name, {channels});
  t.bits = 32;
  t.data = b.int_values;
  return t.name;
}

// The IR weight (of IR shape `ir_shape`: w's values permuted by `perm`, or as they are if it is
// empty) and the bias, the op's inputs after the activation `x`; false (reported) on a problem.
bool AddWeightAndBias(ImportContext& cx, int i, const NodeProto& n, const OnnxTensor& w, int64_t channels,
                      std::vector<int64_t> ir_shape, const std::vector<int>& perm, const std::string& x,
                      core::Op* ir) {
  const GemmInputs in = GemmInputsOf(n);
  core::TensorInfo wt;
  if (!WeightQuant(cx, i, n, in.w_scale, in.w_zero_point, w, channels, &wt)) return false;
  const std::optional<std::string> bias = Bias(cx, i, n, in.bias, channels);
  if (!bias) return false;
  core::TensorInfo& wi = cx.AddTensor(w.name, std::move(ir_shape));
  wt.name = wi.name;
  wt.shape = wi.shape;
  wt.data = perm.empty() ? w.int_values : Permute(w.int_values, w.dims, perm);
  wi = wt;
  ir->inputs = {x, wi.name};
  if (!bias->empty()) ir->inputs.push_back(*bias);
  return true;
}

// QLinearMatMul's B is [K, N]; QGemm's is [K, N], or [N, K] (the IR's order) with transB.
bool TransposedB(const NodeProto& n) { return n.op_type() == "QGemm" && IntAttr(n, "transB", 0) != 0; }

}  // namespace

Shape ConvShape(ImportContext& cx, int i, const NodeProto& n, core::Op* ir) {
  const Value* x = cx.ImageInput(i, n, 0);
  if (!x || !IntegerWeight(cx, i, n, GemmInputsOf(n).w, 4)) return std::nullopt;
  const OnnxTensor& w = cx.ConstantInput(i, n, GemmInputsOf(n).w);
  const int64_t c = x->shape[1], o = w.dims[0], cg = w.dims[1];
  const int64_t groups = IntAttr(n, "group", 1);
  if (groups < 1 || c % groups != 0 || o % groups != 0 || cg * groups != c) {
    cx.NodeProblem(i, n,
                   "weight " + core::ShapeString(w.dims) + " with group " + std::to_string(groups) +
                       " does not fit an input of " + std::to_string(c) + " channels");
    return std::nullopt;
  }
  const std::vector<int64_t> kernel = {w.dims[2], w.dims[3]};
  if (IntsAttr(n, "kernel_shape", kernel) != kernel) {
    cx.NodeProblem(i, n, "kernel_shape disagrees with the weight's shape " + core::ShapeString(w.dims));
    return std::nullopt;
  }
  ir->groups = groups;
  if (!Window(cx, i, n, {x->shape[2], x->shape[3]}, kernel, ir)) return std::nullopt;
  const int64_t oh =
      core::ConvOutSize(x->shape[2], kernel[0], ir->stride[0], ir->dilation[0], ir->pads[0], ir->pads[2]);
  const int64_t ow =
      core::ConvOutSize(x->shape[3], kernel[1], ir->stride[1], ir->dilation[1], ir->pads[1], ir->pads[3]);
  return std::vector<int64_t>{1, o, oh, ow};
}

bool ConvertConv(ImportContext& cx, int i, const NodeProto& n, const std::vector<int64_t>& shape,
                 core::Op* ir) {
  const OnnxTensor& w = cx.ConstantInput(i, n, GemmInputsOf(n).w);
  const int64_t o = w.dims[0];
  ir->type = core::OpType::kConv2d;
  const std::vector<int> oihw_to_ohwi = {0, 2, 3, 1};
  const std::string& x = cx.ValueInput(i, n, 0).ir;
  if (!AddWeightAndBias(cx, i, n, w, o, {o, w.dims[2], w.dims[3], w.dims[1]}, oihw_to_ohwi, x, ir))
    return false;
  return cx.SetOutput(i, n, shape, ir);
}

Shape MatMulShape(ImportContext& cx, int i, const NodeProto& n, core::Op* /*ir*/) {
  const Value& a = cx.ValueInput(i, n, 0);
  if (a.shape.size() != 2) {
    cx.NodeProblem(i, n,
                   "input \"" + n.input(0) + "\" has shape " + core::ShapeString(a.shape) +
                       ": expected [M, K] (batched matmul is not supported)");
    return std::nullopt;
  }
  const int w = GemmInputsOf(n).w;
  if (!IntegerWeight(cx, i, n, w, 2)) return std::nullopt;
  const OnnxTensor& b = cx.ConstantInput(i, n, w);
  const bool trans_b = TransposedB(n);
  const int64_t k = b.dims[trans_b ? 1 : 0], cols = b.dims[trans_b ? 0 : 1];
  if (k != a.shape[1]) {
    cx.NodeProblem(i, n,
                   "B " + core::ShapeString(b.dims) + (trans_b ? " (transposed)" : "") + " does not fit A " +
                       core::ShapeString(a.shape));
    return std::nullopt;
  }
  return std::vector<int64_t>{a.shape[0], cols};
}

bool ConvertMatMul(ImportContext& cx, int i, const NodeProto& n, const std::vector<int64_t>& shape,
                   core::Op* ir) {
  const OnnxTensor& b = cx.ConstantInput(i, n, GemmInputsOf(n).w);
  const bool trans_b = TransposedB(n);
  const int64_t k = b.dims[trans_b ? 1 : 0], cols = b.dims[trans_b ? 0 : 1];
  const std::vector<int> kn_to_nk = trans_b ? std::vector<int>{} : std::vector<int>{1, 0};
  if (!AddWeightAndBias(cx, i, n, b, cols, {cols, k}, kn_to_nk, cx.ValueInput(i, n, 0).ir, ir)) return false;
  ir->type = core::OpType::kFullyConnected;
  return cx.SetOutput(i, n, shape, ir);
}

void CheckConvAttributes(const NodeProto& n, std::vector<std::string>* issues) { CheckAutoPad(n, issues); }

void CheckGemmAttributes(const NodeProto& n, std::vector<std::string>* issues) {
  if (IntAttr(n, "transA", 0) != 0) issues->push_back("transA 1 is not supported");
  if (FloatAttr(n, "alpha", 1.0f) != 1.0f) issues->push_back("alpha other than 1 is not supported");
}

}  // namespace npusim::importer
