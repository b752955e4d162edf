// A cycle-stepped, register-level model of the weight-stationary systolic array described in
// models/timing/systolic_timing.h, used to check the closed forms there. It shares no code with
// them: it builds its own fold plan with explicit loops, moves every weight, input and partial-sum
// register each cycle, computes the real int64 GEMM in the accumulator, and is "done" when the
// last accumulator write has happened, whatever the formulas say.
//
// Operand layouts (shared with ReferenceGemm):
//   x   [m][groups*k]   input vector x, group gr's reduction elements at gr*k .. gr*k + k-1
//   w   [groups][k][n]
//   acc [m][groups*n]   output column gr*n + j
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/timing/dataflow_timing.h"

namespace npusim::models::timing::testing {

struct GemmOperands {
  GemmShape shape;
  std::vector<int64_t> x;
  std::vector<int64_t> w;
};

// Small signed values so sums stay far from overflow yet a wrong pairing changes the result.
inline GemmOperands RandomOperands(const GemmShape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> value(-7, 7);
  GemmOperands ops{shape, {}, {}};
  ops.x.resize(shape.m * shape.groups * shape.k);
  ops.w.resize(shape.groups * shape.k * shape.n);
  for (int64_t& v : ops.x) v = value(rng);
  for (int64_t& v : ops.w) v = value(rng);
  return ops;
}

// The plain triple loop (per group).
inline std::vector<int64_t> ReferenceGemm(const GemmOperands& ops) {
  const GemmShape& s = ops.shape;
  std::vector<int64_t> y(s.m * s.groups * s.n, 0);
  for (int64_t gr = 0; gr < s.groups; ++gr) {
    for (int64_t x = 0; x < s.m; ++x) {
      for (int64_t j = 0; j < s.n; ++j) {
        int64_t sum = 0;
        for (int64_t kk = 0; kk < s.k; ++kk) {
          sum += ops.x[x * s.groups * s.k + gr * s.k + kk] * ops.w[(gr * s.k + kk) * s.n + j];
        }
        y[x * s.groups * s.n + gr * s.n + j] = sum;
      }
    }
  }
  return y;
}

class SystolicWsStepped {
 public:
  SystolicWsStepped(int rows, int cols, const GemmOperands& ops)
      : rows_(rows), cols_(cols), ops_(ops), s_(ops.shape) {
    acc_.assign(s_.m * s_.groups * s_.n, 0);
    weight_.assign(rows_ * cols_, 0);
    input_.assign(rows_ * cols_, Reg{});
    psum_.assign(rows_ * cols_, Reg{});
    next_input_ = input_;
    next_psum_ = psum_;
    if (s_.m == 0 || s_.k == 0 || s_.n == 0 || s_.groups == 0) return;  // nothing to do
    PlanFolds();
    StartFold();
  }

  bool done() const { return fold_ >= static_cast<int64_t>(folds_.size()); }
  int64_t cycle() const { return cycle_; }         // cycles elapsed
  bool preloading() const { return preloading_; }  // the stationary operand is shifting in
  const std::vector<int64_t>& acc() const { return acc_; }
  int64_t folds_run() const { return folds_run_; }
  int64_t pe_fires() const { return pe_fires_; }

  // Advances one clock cycle; no-op once done.
  void Step() {
    if (done()) return;
    if (preloading_) {
      PreloadCycle();
    } else {
      StreamCycle();
    }
    ++cycle_;
  }

  // Steps until `cycles` have elapsed or the model is done.
  void RunUntil(int64_t cycles) {
    while (!done() && cycle_ < cycles) Step();
  }

 private:
  // A data register between PEs: which input vector its value belongs to, and the value.
  struct Reg {
    bool valid = false;
    int64_t x = 0;
    int64_t value = 0;
  };

  // Where each used array row takes its input and each used column writes its output.
  struct Fold {
    int r = 0, c = 0;
    std::vector<int64_t> row_group, row_k;  // per array row: group and reduction index
    std::vector<int64_t> col_group, col_n;  // per array column: group and output index
  };

  void AddBlock(Fold& f, int64_t group, int64_t k0, int64_t kr, int64_t n0, int64_t nc) {
    for (int64_t i = 0; i < kr; ++i) {
      f.row_group.push_back(group);
      f.row_k.push_back(k0 + i);
    }
    for (int64_t j = 0; j < nc; ++j) {
      f.col_group.push_back(group);
      f.col_n.push_back(n0 + j);
    }
    f.r = static_cast<int>(f.row_group.size());
    f.c = static_cast<int>(f.col_group.size());
    if (f.r > rows_ || f.c > cols_) throw std::logic_error("stepped model: fold exceeds the array");
  }

  // The mapping of systolic_timing.h, enumerated fold by fold.
  void PlanFolds() {
    const int64_t fit = std::min(rows_ / s_.k, cols_ / s_.n);
    if (fit >= 1) {
      for (int64_t first = 0; first < s_.groups; first += fit) {
        Fold f;
        for (int64_t gr = first; gr < std::min(s_.groups, first + fit); ++gr) {
          AddBlock(f, gr, 0, s_.k, 0, s_.n);
        }
        folds_.push_back(f);
      }
      return;
    }
    for (int64_t gr = 0; gr < s_.groups; ++gr) {
      for (int64_t n0 = 0; n0 < s_.n; n0 += cols_) {
        for (int64_t k0 = 0; k0 < s_.k; k0 += rows_) {
          Fold f;
          AddBlock(f, gr, k0, std::min<int64_t>(rows_, s_.k - k0), n0, std::min<int64_t>(cols_, s_.n - n0));
          folds_.push_back(f);
        }
      }
    }
  }

  void StartFold() {
    phase_cycle_ = 0;
    preloading_ = true;
    writes_ = 0;
    std::fill(input_.begin(), input_.end(), Reg{});
    std::fill(psum_.begin(), psum_.end(), Reg{});
  }

  const Fold& fold() const { return folds_[fold_]; }
  int Idx(int i, int j) const { return i * cols_ + j; }

  // Weight the fold puts at PE(i, j): the group's weight on the block diagonal, 0 off it.
  int64_t FoldWeight(int i, int j) const {
    const Fold& f = fold();
    if (f.row_group[i] != f.col_group[j]) return 0;
    return ops_.w[(f.row_group[i] * s_.k + f.row_k[i]) * s_.n + f.col_n[j]];
  }

  int64_t AccIndex(int64_t x, int j) const {
    const Fold& f = fold();
    return x * s_.groups * s_.n + f.col_group[j] * s_.n + f.col_n[j];
  }

  // One row of weights enters at the top and every weight row moves down one PE; after r cycles
  // weight row i sits in array row i.
  void PreloadCycle() {
    const Fold& f = fold();
    for (int i = f.r - 1; i >= 1; --i) {
      for (int j = 0; j < f.c; ++j) weight_[Idx(i, j)] = weight_[Idx(i - 1, j)];
    }
    const int entering = f.r - 1 - static_cast<int>(phase_cycle_);
    for (int j = 0; j < f.c; ++j) weight_[Idx(0, j)] = FoldWeight(entering, j);
    if (++phase_cycle_ < f.r) return;
    preloading_ = false;
    phase_cycle_ = 0;
  }

  // Input vector x reaches the left edge of row i at streaming cycle x + i.
  Reg Inject(int i) const {
    const int64_t x = phase_cycle_ - i;
    if (x < 0 || x >= s_.m) return Reg{};
    const Fold& f = fold();
    return {true, x, ops_.x[x * s_.groups * s_.k + f.row_group[i] * s_.k + f.row_k[i]]};
  }

  void StreamCycle() {
    const Fold& f = fold();
    // Partial sums that left row r-1 last cycle are written into the accumulator now.
    for (int j = 0; j < f.c; ++j) {
      const Reg& out = psum_[Idx(f.r - 1, j)];
      if (!out.valid) continue;
      acc_[AccIndex(out.x, j)] = out.value;
      ++writes_;
    }
    for (int i = 0; i < f.r; ++i) {
      for (int j = 0; j < f.c; ++j) ComputePe(i, j);
    }
    std::swap(input_, next_input_);
    std::swap(psum_, next_psum_);
    ++phase_cycle_;
    if (writes_ < s_.m * f.c) return;
    for (int i = 0; i < f.r; ++i) {
      for (int j = 0; j < f.c; ++j) {
        if (input_[Idx(i, j)].valid || psum_[Idx(i, j)].valid) {
          throw std::logic_error("stepped model: data left in the array after the last write");
        }
      }
    }
    ++folds_run_;
    ++fold_;
    if (!done()) StartFold();
  }

  // PE(i, j) this cycle: input from the left (or the skewed injector), partial sum from above (or
  // the accumulator for row 0); results go to the registers its right and lower neighbours read
  // next cycle.
  void ComputePe(int i, int j) {
    const Reg in = j == 0 ? Inject(i) : input_[Idx(i, j - 1)];
    const Reg above = i == 0 ? Reg{} : psum_[Idx(i - 1, j)];
    next_input_[Idx(i, j)] = in;
    next_psum_[Idx(i, j)] = Reg{};
    if (!in.valid) {
      if (above.valid) throw std::logic_error("stepped model: partial sum without an input");
      return;
    }
    int64_t sum_in = 0;
    if (i == 0) {
      sum_in = acc_[AccIndex(in.x, j)];
    } else if (above.valid && above.x == in.x) {
      sum_in = above.value;
    } else {
      throw std::logic_error("stepped model: input and partial sum out of step at PE(" + std::to_string(i) +
                             "," + std::to_string(j) + ")");
    }
    next_psum_[Idx(i, j)] = {true, in.x, sum_in + weight_[Idx(i, j)] * in.value};
    ++pe_fires_;
  }

  const int rows_, cols_;
  const GemmOperands ops_;
  const GemmShape s_;
  std::vector<Fold> folds_;
  int64_t fold_ = 0;
  bool preloading_ = true;
  int64_t phase_cycle_ = 0;  // preload cycle, or streaming cycle t
  int64_t writes_ = 0;       // accumulator writes in this fold
  int64_t cycle_ = 0;
  int64_t folds_run_ = 0;
  int64_t pe_fires_ = 0;
  std::vector<int64_t> acc_;
  std::vector<int64_t> weight_;
  std::vector<Reg> input_, psum_, next_input_, next_psum_;
};

}  // namespace npusim::models::timing::testing
