// A cycle-stepped, register-level model of the input-stationary systolic array described in
// models/timing/is_timing.h, used to check the closed forms there. It shares no code with them
// (nor with the WS stepped model): it builds its own fold plan with explicit loops, preloads the
// input tile row by row, moves every weight and partial-sum register each cycle, computes the real
// int64 GEMM in the accumulator, and is "done" when the last accumulator write has happened,
// whatever the formulas say.
//
// Operand layouts are those of systolic_stepped.h (GemmOperands, ReferenceGemm).
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/models/timing/systolic_stepped.h"

namespace npusim::models::timing::testing {

class SystolicIsStepped {
 public:
  SystolicIsStepped(int rows, int cols, const GemmOperands& ops)
      : rows_(rows), cols_(cols), ops_(ops), s_(ops.shape) {
    acc_.assign(s_.m * s_.groups * s_.n, 0);
    stationary_.assign(rows_ * cols_, 0);
    weight_.assign(rows_ * cols_, Reg{});
    psum_.assign(rows_ * cols_, Reg{});
    next_weight_ = weight_;
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
  // A data register between PEs: which weight vector (output channel) it belongs to, and value.
  struct Reg {
    bool valid = false;
    int64_t j = 0;
    int64_t value = 0;
  };

  // Which reduction element each used row holds and which input vector each used column holds.
  struct Fold {
    std::vector<int64_t> row_group, row_k;  // per array row
    std::vector<int64_t> col_group, col_x;  // per array column
    int r() const { return static_cast<int>(row_group.size()); }
    int c() const { return static_cast<int>(col_group.size()); }
  };

  void AddBlock(Fold& f, int64_t group, int64_t k0, int64_t kr, int64_t x0, int64_t xc) const {
    for (int64_t i = k0; i < k0 + kr; ++i) {
      f.row_group.push_back(group);
      f.row_k.push_back(i);
    }
    for (int64_t x = x0; x < x0 + xc; ++x) {
      f.col_group.push_back(group);
      f.col_x.push_back(x);
    }
    if (f.r() > rows_ || f.c() > cols_) throw std::logic_error("stepped model: fold exceeds array");
  }

  // The mapping of is_timing.h, enumerated fold by fold.
  void PlanFolds() {
    const int64_t fit = std::min(rows_ / s_.k, cols_ / s_.m);
    if (fit >= 1) {
      for (int64_t first = 0; first < s_.groups; first += fit) {
        Fold f;
        for (int64_t gr = first; gr < std::min(s_.groups, first + fit); ++gr) {
          AddBlock(f, gr, 0, s_.k, 0, s_.m);
        }
        folds_.push_back(f);
      }
      return;
    }
    for (int64_t gr = 0; gr < s_.groups; ++gr) {
      for (int64_t x0 = 0; x0 < s_.m; x0 += cols_) {
        for (int64_t k0 = 0; k0 < s_.k; k0 += rows_) {
          Fold f;
          AddBlock(f, gr, k0, std::min<int64_t>(rows_, s_.k - k0), x0, std::min<int64_t>(cols_, s_.m - x0));
          folds_.push_back(f);
        }
      }
    }
  }

  void StartFold() {
    phase_cycle_ = 0;
    preloading_ = true;
    writes_ = 0;
    std::fill(weight_.begin(), weight_.end(), Reg{});
    std::fill(psum_.begin(), psum_.end(), Reg{});
  }

  const Fold& fold() const { return folds_[fold_]; }
  int Idx(int i, int j) const { return i * cols_ + j; }

  // Input the fold keeps at PE(i, j): the column's input vector's element for the row's reduction
  // index on the block diagonal, 0 off it.
  int64_t FoldInput(int i, int j) const {
    const Fold& f = fold();
    if (f.row_group[i] != f.col_group[j]) return 0;
    return ops_.x[f.col_x[j] * s_.groups * s_.k + f.row_group[i] * s_.k + f.row_k[i]];
  }

  int64_t AccIndex(int64_t j_out, int col) const {
    const Fold& f = fold();
    return f.col_x[col] * s_.groups * s_.n + f.col_group[col] * s_.n + j_out;
  }

  // One row of the input tile enters at the top and every row moves down one PE; after r cycles
  // tile row i sits in array row i.
  void PreloadCycle() {
    const Fold& f = fold();
    for (int i = f.r() - 1; i >= 1; --i) {
      for (int j = 0; j < f.c(); ++j) stationary_[Idx(i, j)] = stationary_[Idx(i - 1, j)];
    }
    const int entering = f.r() - 1 - static_cast<int>(phase_cycle_);
    for (int j = 0; j < f.c(); ++j) stationary_[Idx(0, j)] = FoldInput(entering, j);
    if (++phase_cycle_ < f.r()) return;
    preloading_ = false;
    phase_cycle_ = 0;
  }

  // Weight vector j (output channel j) reaches the left edge of row i at streaming cycle j + i.
  Reg Inject(int i) const {
    const int64_t j = phase_cycle_ - i;
    if (j < 0 || j >= s_.n) return Reg{};
    const Fold& f = fold();
    return {true, j, ops_.w[(f.row_group[i] * s_.k + f.row_k[i]) * s_.n + j]};
  }

  void StreamCycle() {
    const Fold& f = fold();
    // Partial sums that left the last used row last cycle are written into the accumulator now.
    for (int col = 0; col < f.c(); ++col) {
      const Reg& out = psum_[Idx(f.r() - 1, col)];
      if (!out.valid) continue;
      acc_[AccIndex(out.j, col)] = out.value;
      ++writes_;
    }
    for (int i = 0; i < f.r(); ++i) {
      for (int col = 0; col < f.c(); ++col) ComputePe(i, col);
    }
    std::swap(weight_, next_weight_);
    std::swap(psum_, next_psum_);
    ++phase_cycle_;
    if (writes_ < s_.n * f.c()) return;
    ++folds_run_;
    ++fold_;
    if (!done()) StartFold();
  }

  // PE(i, col) this cycle: weight from the left (or the skewed injector), partial sum from above
  // (or the accumulator for row 0); results go to the registers its right and lower neighbours
  // read next cycle.
  void ComputePe(int i, int col) {
    const Reg w = col == 0 ? Inject(i) : weight_[Idx(i, col - 1)];
    const Reg above = i == 0 ? Reg{} : psum_[Idx(i - 1, col)];
    next_weight_[Idx(i, col)] = w;
    next_psum_[Idx(i, col)] = Reg{};
    if (!w.valid) {
      if (above.valid) throw std::logic_error("stepped model: partial sum without a weight");
      return;
    }
    int64_t sum_in = 0;
    if (i == 0) {
      sum_in = acc_[AccIndex(w.j, col)];
    } else if (above.valid && above.j == w.j) {
      sum_in = above.value;
    } else {
      throw std::logic_error("stepped model: weight and partial sum out of step at PE(" + std::to_string(i) +
                             "," + std::to_string(col) + ")");
    }
    next_psum_[Idx(i, col)] = {true, w.j, sum_in + stationary_[Idx(i, col)] * w.value};
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
  std::vector<int64_t> stationary_;
  std::vector<Reg> weight_, psum_, next_weight_, next_psum_;
};

}  // namespace npusim::models::timing::testing
