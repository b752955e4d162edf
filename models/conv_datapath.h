// ConvDatapath: the exact integer arithmetic of one CONV instruction, shared by the matrix units
// (SystolicArray, BitSerialArray). It reads the input tile, weights and (for a first tile with a
// bias) the per-channel parameters from the unit's buffers through BufferAccess and writes the
// int32 accumulators back there.
//
// Arithmetic: accumulators start at the bias fitted to acc_bits (or at their stored value for a
// later input-channel tile) and add (x - x_zp) * (w - w_zp) at acc_bits with the unit's overflow
// rule, in ic-major order (ic, ky, kx), padding taps included as zero terms. In wrap mode the
// order cannot matter, so the fast paths sum modulo 2^32 and reduce once: operands that fit in
// int16 (every 8-bit type, after its zero point) go through int16 multiply-add kernels (a
// gathered window against four weight rows at a time; depthwise one tap over all channels),
// wider ones through int32 loops. Saturating accumulators take the canonical order term by term.
//
// Why one datapath serves a bit-serial unit too: summing a weight's two's complement bit-planes
// (sign plane subtracted, sum_b s_b 2^b bit_b(w) with s = -1 on the top plane), or for binary
// weights the +-1 XNOR terms, gives the same integer product as the bit-parallel multiply; the
// LBPE's table entries and shift-accumulator are wide enough (16-bit x 16-bit x 2^8-input group
// products fit in 48 bits) that nothing is lost before the accumulator. tests/models/timing/
// bit_serial_stepped.h computes the table lookups literally and checks the identity.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/quant.h"
#include "isa/instruction.h"
#include "models/buffer_access.h"
#include "models/exec_mode.h"
#include "models/timing/dataflow_timing.h"

namespace npusim::models {

// The GEMM a CONV instruction is: m = out pixels, k and n per group.
inline timing::GemmShape ConvGemm(const isa::ConvArgs& c) {
  timing::GemmShape g;
  g.m = c.out_h * c.out_w;
  g.k = (c.in_c / c.groups) * c.kh * c.kw;
  g.n = c.out_c / c.groups;
  g.groups = c.groups;
  return g;
}

class ConvDatapath {
 public:
  ConvDatapath(int acc_bits, core::Overflow overflow, ExecMode mode = ExecMode::kExact)
      : acc_bits_(acc_bits), overflow_(overflow), mode_(mode) {}
  // Exact mode: computes the instruction's accumulators. Timing mode: only checks that its
  // operand ranges lie inside the buffers (a misplaced tile still stops the simulation). Packed
  // weights (w_format kPacked) are unpacked from the w_bytes at w_addr first.
  void Run(const isa::ConvArgs& c, BufferAccess& mem);
  // The same with the weights given (raw values, [out_c][kh][kw][in_c / groups]) instead of read
  // from c.w_addr: the sparse array decodes them from its compressed tile first.
  void Run(const isa::ConvArgs& c, BufferAccess& mem, const std::vector<int32_t>& weights);

 private:
  // The weights come from the buffer bytes at `w` or, when `decoded` is given, from it.
  // The input tile's bytes in order (gathered into ring_ when it wraps in its ring).
  const uint8_t* Input(const isa::ConvArgs& c, BufferAccess& mem);
  void Accumulate(const isa::ConvArgs& c, BufferAccess& mem, const uint8_t* w,
                  const std::vector<int32_t>* decoded);
  template <class T>
  static void LoadWeights(const isa::ConvArgs& c, const uint8_t* w, const std::vector<int32_t>* decoded,
                          std::vector<T>& out);
  template <class T>
  static void PadInput(const isa::ConvArgs& c, const uint8_t* in, int64_t ph, int64_t pw, std::vector<T>& x);
  // Wrap mode with int16 operands (x16_, w16_ filled; sums_ holds the starting values).
  void GemmNarrow(const isa::ConvArgs& c, int64_t pw);
  void DepthwiseNarrow(const isa::ConvArgs& c, int64_t pw);
  // int32 loops: saturating accumulators (term by term, canonical order) and wide operands.
  template <class Start>
  void RunScalar(const isa::ConvArgs& c, const uint8_t* in, uint8_t* acc, const Start& start);

  int acc_bits_;
  core::Overflow overflow_;
  ExecMode mode_;
  // Scratch, kept across instructions: zero-point-corrected, padded input tile and weights (int32
  // or int16), per-channel starting values, a gathered window, the wrap-mode sums.
  std::vector<int32_t> x_, w_, init_, unpacked_;
  // The packed weight tile unpacked_ holds (compared byte for byte before reusing it).
  std::vector<uint8_t> packed_;
  std::vector<uint8_t> ring_;
  int unpacked_bits_ = 0;
  bool unpacked_signed_ = false;
  std::vector<int16_t> x16_, w16_, col_;
  std::vector<uint32_t> sums_;
};

}  // namespace npusim::models
