// Pool family: MaxPool -> max_pool, QLinearAveragePool -> avg_pool, QLinearGlobalAveragePool ->
// global_avg_pool; and the kernel window (strides, dilations, pads, auto_pad) conv shares.
#include <algorithm>

#include "frontends/onnx/onnx_node.h"
#include "frontends/onnx/ops.h"

namespace npusim::importer {
namespace {

using onnx::NodeProto;

// One spatial dimension d of a kernel window: pads[d] and pads[d + 2] resolved for auto_pad and
// checked, stride and dilation set on `ir`; false (reported) if they do not fit the input.
bool WindowDim(ImportContext& cx, int i, const NodeProto& n, int d, int64_t in, int64_t kernel,
               int64_t stride, int64_t dilation, std::vector<int64_t>* pads, core::Op* ir) {
  std::vector<int64_t>& p = *pads;
  if (kernel < 1 || stride < 1 || dilation < 1 || p[d] < 0 || p[d + 2] < 0) {
    cx.NodeProblem(i, n, "kernel, strides and dilations must be >= 1 and pads >= 0");
    return false;
  }
  const std::string auto_pad = StringAttr(n, "auto_pad", "NOTSET");
  const int64_t eff = dilation * (kernel - 1) + 1;
  if (auto_pad == "VALID") p[d] = p[d + 2] = 0;
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    // ONNX: output = ceil(in / stride); the odd pad goes at the end (UPPER) or the start (LOWER).
    const int64_t out = (in + stride - 1) / stride;
    const int64_t total = std::max<int64_t>(0, (out - 1) * stride + eff - in);
    p[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    p[d + 2] = total - p[d];
  }
  if (p[d] >= eff || p[d + 2] >= eff) {
    cx.NodeProblem(i, n,
                   "a pad of " + std::to_string(std::max(p[d], p[d + 2])) +
                       " is not smaller than the (dilated) kernel extent " + std::to_string(eff));
    return false;
  }
  if (core::ConvOutSize(in, kernel, stride, dilation, p[d], p[d + 2]) < 1) {
    cx.NodeProblem(i, n, "the kernel does not fit the padded input");
    return false;
  }
  ir->stride[d] = stride;
  ir->dilation[d] = dilation;
  return true;
}

// ceil_mode and dilations other than the defaults (MaxPool, AveragePool).
void CheckFloorAndDilations(const NodeProto& n, const std::string& op, std::vector<std::string>* issues) {
  if (IntAttr(n, "ceil_mode", 0) != 0) issues->push_back("ceil_mode 1 is not supported (floor only)");
  for (int64_t d : IntsAttr(n, "dilations", {})) {
    if (d != 1) issues->push_back("dilations other than 1 are not supported for " + op);
  }
}

}  // namespace

bool Window(ImportContext& cx, int i, const NodeProto& n, const std::vector<int64_t>& in_hw,
            const std::vector<int64_t>& kernel, core::Op* ir) {
  const std::vector<int64_t> strides = IntsAttr(n, "strides", {1, 1});
  const std::vector<int64_t> dilations = IntsAttr(n, "dilations", {1, 1});
  std::vector<int64_t> pads = IntsAttr(n, "pads", {0, 0, 0, 0});
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4 || kernel.size() != 2) {
    cx.NodeProblem(i, n, "expected 2-D strides, dilations, kernel and 4 pads");
    return false;
  }
  for (int d = 0; d < 2; ++d) {
    if (!WindowDim(cx, i, n, d, in_hw[d], kernel[d], strides[d], dilations[d], &pads, ir)) return false;
  }
  // ONNX pads are [x1_begin, x2_begin, x1_end, x2_end]: [top, left, bottom, right], the IR's order.
  ir->pads = {pads[0], pads[1], pads[2], pads[3]};
  return true;
}

void CheckAutoPad(const NodeProto& n, std::vector<std::string>* issues) {
  const std::string ap = StringAttr(n, "auto_pad", "NOTSET");
  if (ap != "NOTSET" && ap != "VALID" && ap != "SAME_UPPER" && ap != "SAME_LOWER") {
    issues->push_back("auto_pad \"" + ap + "\" is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
  }
}

void CheckMaxPoolAttributes(const NodeProto& n, std::vector<std::string>* issues) {
  CheckAutoPad(n, issues);
  CheckFloorAndDilations(n, "MaxPool", issues);
}

void CheckAvgPoolAttributes(const NodeProto& n, std::vector<std::string>* issues) {
  CheckFloorAndDilations(n, "AveragePool", issues);
  CheckAutoPad(n, issues);
  CheckGlobalAvgPoolAttributes(n, issues);
}

void CheckGlobalAvgPoolAttributes(const NodeProto& n, std::vector<std::string>* issues) {
  if (IntAttr(n, "channels_last", 0) != 0)
    issues->push_back("channels_last 1 is not supported (NCHW input expected)");
}

// The window of a 2-D pool (kernel_shape, strides, pads / auto_pad) and its output.
Shape PoolShape(ImportContext& cx, int i, const NodeProto& n, core::Op* ir) {
  const Value* x = cx.ImageInput(i, n, 0);
  if (!x) return std::nullopt;
  const std::vector<int64_t> kernel = IntsAttr(n, "kernel_shape", {});
  if (!Window(cx, i, n, {x->shape[2], x->shape[3]}, kernel, ir)) return std::nullopt;
  ir->kernel = {kernel[0], kernel[1]};
  const int64_t oh = core::ConvOutSize(x->shape[2], kernel[0], ir->stride[0], 1, ir->pads[0], ir->pads[2]);
  const int64_t ow = core::ConvOutSize(x->shape[3], kernel[1], ir->stride[1], 1, ir->pads[1], ir->pads[3]);
  return std::vector<int64_t>{1, x->shape[1], oh, ow};
}

bool ConvertMaxPool(ImportContext& cx, int i, const NodeProto& n, const std::vector<int64_t>& shape,
                    core::Op* ir) {
  ir->type = core::OpType::kMaxPool;
  ir->inputs = {cx.ValueInput(i, n, 0).ir};
  return cx.SetOutput(i, n, shape, ir);
}

// QLinearAveragePool -> avg_pool with ONNX Runtime's float32 arithmetic (core::FloatAveragePool).
bool ConvertAvgPool(ImportContext& cx, int i, const NodeProto& n, const std::vector<int64_t>& shape,
                    core::Op* ir) {
  ir->type = core::OpType::kAvgPool;
  ir->count_include_pad = IntAttr(n, "count_include_pad", 0) != 0;
  ir->float_accumulate = true;
  ir->inputs = {cx.ValueInput(i, n, 0).ir};
  return cx.SetOutput(i, n, shape, ir);
}

Shape GlobalAvgPoolShape(ImportContext& cx, int i, const NodeProto& n, core::Op* /*ir*/) {
  const Value* x = cx.ImageInput(i, n, 0);
  if (!x) return std::nullopt;
  return std::vector<int64_t>{1, x->shape[1], 1, 1};
}

bool ConvertGlobalAvgPool(ImportContext& cx, int i, const NodeProto& n, const std::vector<int64_t>& shape,
                          core::Op* ir) {
  ir->type = core::OpType::kGlobalAvgPool;
  ir->inputs = {cx.ValueInput(i, n, 0).ir};
  return cx.SetOutput(i, n, shape, ir);
}

}  // namespace npusim::importer
