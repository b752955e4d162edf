// add (rescaling residual add), mul (rescaling product, b elementwise or per channel), lookup
// (a table indexed by the input value) and reshape.
#include <algorithm>
#include <vector>

#include "ir/quant.h"
#include "reference/kernels.h"

namespace npusim::reference {

std::vector<int32_t> Add(const core::Graph& g, const core::Op& op, const Values& inputs, const Options& opt) {
  const core::TensorInfo& a = g.tensor(op.inputs[0]);
  const core::TensorInfo& b = g.tensor(op.inputs[1]);
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  Require(a.elements() == b.elements() && a.elements() == y.elements(), op,
          "add needs inputs and output of equal size");
  const float y_scale = y.quant.scale(0);
  const int32_t y_zp = y.quant.zero_point(0);
  const auto range = core::ActivationRange(op.activation, y_scale, y_zp, y.qmin(), y.qmax());
  const core::AddParams params = core::MakeAddParams(opt.mode, a.quant.scale(0), a.quant.zero_point(0),
                                                     b.quant.scale(0), b.quant.zero_point(0), y_scale, y_zp,
                                                     range.first, range.second, std::max(a.bits, b.bits));
  const std::vector<int32_t>& av = *inputs[0];
  const std::vector<int32_t>& bv = *inputs[1];
  std::vector<int32_t> out(y.elements());
  for (size_t i = 0; i < out.size(); ++i) out[i] = core::QuantizedAdd(av[i], bv[i], params);
  return out;
}

std::vector<int32_t> Mul(const core::Graph& g, const core::Op& op, const Values& inputs, const Options& opt) {
  const core::TensorInfo& a = g.tensor(op.inputs[0]);
  const core::TensorInfo& b = g.tensor(op.inputs[1]);
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  Require(a.elements() == y.elements() && a.elements() % b.elements() == 0 && !a.shape.empty() &&
              (b.elements() == a.elements() || b.elements() == a.shape.back()),
          op, "mul needs b of a's size or one value per channel");
  const core::MulParams params = core::MakeMulParams(
      opt.mode, a.quant.scale(0), a.quant.zero_point(0), b.quant.scale(0), b.quant.zero_point(0),
      y.quant.scale(0), y.quant.zero_point(0), static_cast<int32_t>(y.qmin()), static_cast<int32_t>(y.qmax()),
      std::max(a.bits, b.bits));
  const std::vector<int32_t>& av = *inputs[0];
  const std::vector<int32_t>& bv = *inputs[1];
  const size_t period = bv.size();  // NHWC: channel is the fastest index
  std::vector<int32_t> out(y.elements());
  for (size_t i = 0; i < out.size(); ++i) out[i] = core::QuantizedMul(av[i], bv[i % period], params);
  return out;
}

std::vector<int32_t> LookupTable(const core::Graph& g, const core::Op& op, const Values& inputs,
                                 const Options&) {
  const core::TensorInfo& x = g.tensor(op.inputs[0]);
  const std::vector<int32_t>& table = *inputs[1];
  Require(static_cast<int64_t>(table.size()) == (int64_t{1} << x.bits), op,
          "lookup needs 2^bits(x) table entries");
  const std::vector<int32_t>& xv = *inputs[0];
  std::vector<int32_t> out(xv.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = table[static_cast<size_t>(xv[i] - x.qmin())];
  return out;
}

// Row-major: out[o][offset_k + i] = x_k[o][i], o over the dimensions before `axis`.
std::vector<int32_t> Concat(const core::Graph& g, const core::Op& op, const Values& inputs, const Options&) {
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  int64_t outer = 1;
  for (int64_t d = 0; d < op.axis; ++d) outer *= y.shape[d];
  const int64_t inner = y.elements() / outer;
  std::vector<int32_t> out(y.elements());
  int64_t offset = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const int64_t n = static_cast<int64_t>(inputs[k]->size()) / outer;
    for (int64_t o = 0; o < outer; ++o) {
      std::copy(inputs[k]->begin() + o * n, inputs[k]->begin() + (o + 1) * n,
                out.begin() + o * inner + offset);
    }
    offset += n;
  }
  Require(offset == inner, op, "concat inputs do not fill the output");
  return out;
}

std::vector<int32_t> Reshape(const core::Graph& g, const core::Op& op, const Values& inputs,
                             const Options& opt) {
  // NHWC order is memory order, so a reshape is a copy.
  Require(g.tensor(op.inputs[0]).elements() == g.tensor(op.outputs[0]).elements(), op,
          "reshape changes the element count");
  return *inputs[0];
}

}  // namespace npusim::reference
