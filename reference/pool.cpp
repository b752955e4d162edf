// max_pool, avg_pool and global_avg_pool over NHWC windows.
#include <algorithm>
#include <array>
#include <vector>

#include "ir/quant.h"
#include "reference/kernels.h"

namespace npusim::reference {
namespace {

struct Window {
  std::array<int64_t, 2> kernel;
  std::array<int64_t, 2> stride;
  std::array<int64_t, 4> pads;  // [top, left, bottom, right]
};

// The input plane a pool reads: [1, in_h, in_w, chans].
struct Plane {
  int64_t in_h, in_w, chans;
};

// Sets taps to the flat input indices of the in-bounds positions of the window at output (oy, ox),
// channel c (padding excluded), in row-major window order.
void WindowTaps(const Window& win, const Plane& x, int64_t oy, int64_t ox, int64_t c,
                std::vector<int64_t>* taps) {
  taps->clear();
  for (int64_t ky = 0; ky < win.kernel[0]; ++ky) {
    const int64_t iy = oy * win.stride[0] - win.pads[0] + ky;
    if (iy < 0 || iy >= x.in_h) continue;
    for (int64_t kx = 0; kx < win.kernel[1]; ++kx) {
      const int64_t ix = ox * win.stride[1] - win.pads[1] + kx;
      if (ix < 0 || ix >= x.in_w) continue;
      taps->push_back((iy * x.in_w + ix) * x.chans + c);
    }
  }
}

// For each output element calls visit(out_index, taps), where taps lists the flat input indices of
// the window's in-bounds positions (padding excluded), in row-major window order.
template <typename Visit>
void ForEachWindow(const core::Op& op, const core::TensorInfo& x, const core::TensorInfo& y,
                   const Window& win, Visit visit) {
  Require(x.shape.size() == 4 && y.shape.size() == 4 && x.shape[3] == y.shape[3], op,
          "pools need [1, H, W, C] input and output with equal C");
  const Plane plane{x.shape[1], x.shape[2], x.shape[3]};
  const int64_t out_h = y.shape[1], out_w = y.shape[2];
  Require(
      out_h == core::ConvOutSize(plane.in_h, win.kernel[0], win.stride[0], 1, win.pads[0], win.pads[2]) &&
          out_w == core::ConvOutSize(plane.in_w, win.kernel[1], win.stride[1], 1, win.pads[1], win.pads[3]),
      op, "output size differs from the pool arithmetic");
  std::vector<int64_t> taps;
  for (int64_t oy = 0; oy < out_h; ++oy) {
    for (int64_t ox = 0; ox < out_w; ++ox) {
      for (int64_t c = 0; c < plane.chans; ++c) {
        WindowTaps(win, plane, oy, ox, c, &taps);
        // Only pads >= kernel can make a window all padding; the loader rejects those.
        Require(!taps.empty(), op, "a pooling window lies entirely in the padding");
        visit((oy * out_w + ox) * plane.chans + c, taps);
      }
    }
  }
}

// Shared by avg_pool and global_avg_pool: the zero-point-corrected sum over the in-bounds taps,
// divided by the in-bounds count (or the full kernel area, padding then adding 0).
std::vector<int32_t> Average(const core::Op& op, const core::TensorInfo& x, const core::TensorInfo& y,
                             const Window& win, bool count_include_pad, const std::vector<int32_t>& xv,
                             const Options& opt, bool float_accumulate = false) {
  std::vector<int32_t> out(y.elements());
  const int32_t x_zp = x.quant.zero_point(0);
  const int64_t area = win.kernel[0] * win.kernel[1];
  ForEachWindow(op, x, y, win, [&](int64_t o, const std::vector<int64_t>& taps) {
    const int64_t count = count_include_pad ? area : static_cast<int64_t>(taps.size());
    if (float_accumulate) {
      core::FloatAveragePool avg(x.quant.scale(0), x_zp);
      for (int64_t t : taps) avg.Add(xv[t]);
      out[o] = avg.Finish(count, y.quant.scale(0), y.quant.zero_point(0), static_cast<int32_t>(y.qmin()),
                          static_cast<int32_t>(y.qmax()));
      return;
    }
    int64_t sum = 0;
    for (int64_t t : taps) sum += int64_t{xv[t]} - x_zp;
    out[o] = core::AveragePoolRequant(sum, count, x.quant.scale(0), y.quant.scale(0), opt.mode,
                                      y.quant.zero_point(0), static_cast<int32_t>(y.qmin()),
                                      static_cast<int32_t>(y.qmax()));
  });
  return out;
}

}  // namespace

std::vector<int32_t> MaxPool(const core::Graph& g, const core::Op& op, const Values& inputs,
                             const Options& opt) {
  const core::TensorInfo& x = g.tensor(op.inputs[0]);
  const core::TensorInfo& y = g.tensor(op.outputs[0]);
  const std::vector<int32_t>& xv = *inputs[0];
  std::vector<int32_t> out(y.elements());
  // Input and output share quantization, so the maximum is copied as is.
  ForEachWindow(op, x, y, {op.kernel, op.stride, op.pads}, [&](int64_t o, const std::vector<int64_t>& taps) {
    int32_t best = xv[taps[0]];
    for (int64_t t : taps) best = std::max(best, xv[t]);
    out[o] = best;
  });
  return out;
}

std::vector<int32_t> AvgPool(const core::Graph& g, const core::Op& op, const Values& inputs,
                             const Options& opt) {
  return Average(op, g.tensor(op.inputs[0]), g.tensor(op.outputs[0]), {op.kernel, op.stride, op.pads},
                 op.count_include_pad, *inputs[0], opt, op.float_accumulate);
}

std::vector<int32_t> GlobalAvgPool(const core::Graph& g, const core::Op& op, const Values& inputs,
                                   const Options& opt) {
  const core::TensorInfo& x = g.tensor(op.inputs[0]);
  Require(x.shape.size() == 4, op, "global_avg_pool needs a [1, H, W, C] input");
  // One window covering the whole plane.
  const Window whole{{x.shape[1], x.shape[2]}, {1, 1}, {0, 0, 0, 0}};
  return Average(op, x, g.tensor(op.outputs[0]), whole, false, *inputs[0], opt);
}

}  // namespace npusim::reference
