// A cycle-stepped, register-level model of the output-stationary systolic array described in
// models/timing/os_timing.h, used to check the closed forms there. It shares no code with them:
// it builds its own fold plan with explicit loops, moves every input and weight register each
// cycle, accumulates the real int64 GEMM in the PEs, drains it row by row into the accumulator
// buffer, and is "done" when the last accumulator write has happened, whatever the formulas say.
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

class SystolicOsStepped {
 public:
  SystolicOsStepped(int rows, int cols, const GemmOperands& ops)
      : rows_(rows), cols_(cols), ops_(ops), s_(ops.shape) {
    acc_.assign(s_.m * s_.groups * s_.n, 0);
    input_.assign(rows_ * cols_, Reg{});
    weight_.assign(rows_ * cols_, Reg{});
    out_.assign(rows_ * cols_, Out{});
    next_input_ = input_;
    next_weight_ = weight_;
    macs_.assign(rows_ * cols_, 0);
    if (s_.m == 0 || s_.k == 0 || s_.n == 0 || s_.groups == 0) return;  // nothing to do
    PlanFolds();
    StartFold();
  }

  bool done() const { return fold_ >= static_cast<int64_t>(folds_.size()); }
  int64_t cycle() const { return cycle_; }     // cycles elapsed
  bool draining() const { return draining_; }  // the fold's sums are leaving the array
  const std::vector<int64_t>& acc() const { return acc_; }
  int64_t folds_run() const { return folds_run_; }
  int64_t pe_fires() const { return pe_fires_; }

  // Advances one clock cycle; no-op once done.
  void Step() {
    if (done()) return;
    if (draining_) {
      DrainCycle();
    } else {
      ComputeCycle();
    }
    ++cycle_;
  }

  // Steps until `cycles` have elapsed or the model is done.
  void RunUntil(int64_t cycles) {
    while (!done() && cycle_ < cycles) Step();
  }

 private:
  // An operand register between PEs: which streaming step its value belongs to, and the value.
  struct Reg {
    bool valid = false;
    int64_t step = 0;
    int64_t value = 0;
  };
  // A PE's output accumulator, which doubles as the drain shift register.
  struct Out {
    bool valid = false;
    int64_t x = 0;  // input vector (m index) the output belongs to
    int64_t value = 0;
  };

  // The outputs a fold owns and the groups it streams, in order.
  struct Fold {
    std::vector<int64_t> row_x;             // per array row: input vector
    std::vector<int64_t> col_group, col_n;  // per array column: group and output index
    std::vector<int64_t> segments;          // groups streamed, k steps each
    int r() const { return static_cast<int>(row_x.size()); }
    int c() const { return static_cast<int>(col_group.size()); }
    int64_t steps(int64_t k) const { return static_cast<int64_t>(segments.size()) * k; }
  };

  // The column folds of os_timing.h: groups side by side when n fits the columns, else each group
  // cut into column blocks.
  std::vector<Fold> ColumnFolds() const {
    std::vector<Fold> folds;
    const int64_t fit = cols_ / s_.n;
    if (fit >= 1) {
      for (int64_t first = 0; first < s_.groups; first += fit) {
        Fold f;
        for (int64_t gr = first; gr < std::min(s_.groups, first + fit); ++gr) {
          f.segments.push_back(gr);
          for (int64_t j = 0; j < s_.n; ++j) {
            f.col_group.push_back(gr);
            f.col_n.push_back(j);
          }
        }
        folds.push_back(f);
      }
      return folds;
    }
    for (int64_t gr = 0; gr < s_.groups; ++gr) {
      for (int64_t n0 = 0; n0 < s_.n; n0 += cols_) {
        Fold f;
        f.segments.push_back(gr);
        for (int64_t j = n0; j < std::min<int64_t>(s_.n, n0 + cols_); ++j) {
          f.col_group.push_back(gr);
          f.col_n.push_back(j);
        }
        folds.push_back(f);
      }
    }
    return folds;
  }

  void PlanFolds() {
    for (const Fold& col_fold : ColumnFolds()) {
      if (col_fold.c() > cols_) throw std::logic_error("stepped model: fold exceeds the columns");
      for (int64_t x0 = 0; x0 < s_.m; x0 += rows_) {
        Fold f = col_fold;
        for (int64_t x = x0; x < std::min<int64_t>(s_.m, x0 + rows_); ++x) f.row_x.push_back(x);
        folds_.push_back(f);
      }
    }
  }

  void StartFold() {
    phase_cycle_ = 0;
    draining_ = false;
    writes_ = 0;
    std::fill(input_.begin(), input_.end(), Reg{});
    std::fill(weight_.begin(), weight_.end(), Reg{});
    std::fill(out_.begin(), out_.end(), Out{});
    std::fill(macs_.begin(), macs_.end(), 0);
  }

  const Fold& fold() const { return folds_[fold_]; }
  int Idx(int i, int j) const { return i * cols_ + j; }

  // Step s of row i's input reaches the left edge at fold cycle s + i.
  Reg InjectInput(int i) const {
    const Fold& f = fold();
    const int64_t s = phase_cycle_ - i;
    if (s < 0 || s >= f.steps(s_.k)) return Reg{};
    const int64_t group = f.segments[s / s_.k];
    return {true, s, ops_.x[f.row_x[i] * s_.groups * s_.k + group * s_.k + s % s_.k]};
  }

  // Step s of column j's weight reaches the top edge at fold cycle s + j; 0 while another group's
  // inputs stream.
  Reg InjectWeight(int j) const {
    const Fold& f = fold();
    const int64_t s = phase_cycle_ - j;
    if (s < 0 || s >= f.steps(s_.k)) return Reg{};
    const int64_t group = f.segments[s / s_.k];
    if (group != f.col_group[j]) return {true, s, 0};
    return {true, s, ops_.w[(group * s_.k + s % s_.k) * s_.n + f.col_n[j]]};
  }

  void ComputeCycle() {
    const Fold& f = fold();
    for (int i = 0; i < f.r(); ++i) {
      for (int j = 0; j < f.c(); ++j) ComputePe(i, j);
    }
    std::swap(input_, next_input_);
    std::swap(weight_, next_weight_);
    ++phase_cycle_;
    const int64_t steps = f.steps(s_.k);
    for (int i = 0; i < f.r(); ++i) {
      for (int j = 0; j < f.c(); ++j) {
        if (macs_[Idx(i, j)] < steps) return;
      }
    }
    draining_ = true;  // every PE has its final sum: drain from the next cycle
  }

  // PE(i, j) this cycle: input from the left (or the row's injector), weight from above (or the
  // column's injector); both are passed on to the registers the right and lower neighbours read
  // next cycle, and their product is added to the PE's output.
  void ComputePe(int i, int j) {
    const Reg in = j == 0 ? InjectInput(i) : input_[Idx(i, j - 1)];
    const Reg w = i == 0 ? InjectWeight(j) : weight_[Idx(i - 1, j)];
    next_input_[Idx(i, j)] = in;
    next_weight_[Idx(i, j)] = w;
    if (!in.valid && !w.valid) return;
    int64_t& done_macs = macs_[Idx(i, j)];
    if (!in.valid || !w.valid || in.step != w.step || in.step != done_macs) {
      throw std::logic_error("stepped model: operands out of step at PE(" + std::to_string(i) + "," +
                             std::to_string(j) + ")");
    }
    Out& out = out_[Idx(i, j)];
    const int64_t before = in.step == 0 ? 0 : out.value;
    out = {true, fold().row_x[i], before + in.value * w.value};
    ++done_macs;
    ++pe_fires_;
  }

  // The last used row's outputs go to the accumulator buffer, and every row shifts down one.
  void DrainCycle() {
    const Fold& f = fold();
    const int last = f.r() - 1;
    for (int j = 0; j < f.c(); ++j) {
      const Out& out = out_[Idx(last, j)];
      if (!out.valid) continue;
      acc_[out.x * s_.groups * s_.n + f.col_group[j] * s_.n + f.col_n[j]] += out.value;
      ++writes_;
    }
    for (int i = last; i >= 1; --i) {
      for (int j = 0; j < f.c(); ++j) out_[Idx(i, j)] = out_[Idx(i - 1, j)];
    }
    for (int j = 0; j < f.c(); ++j) out_[Idx(0, j)] = Out{};
    if (writes_ < int64_t{f.r()} * f.c()) return;
    ++folds_run_;
    ++fold_;
    if (!done()) StartFold();
  }

  const int rows_, cols_;
  const GemmOperands ops_;
  const GemmShape s_;
  std::vector<Fold> folds_;
  int64_t fold_ = 0;
  bool draining_ = false;
  int64_t phase_cycle_ = 0;  // compute cycle within the fold
  int64_t writes_ = 0;       // accumulator writes in this fold
  int64_t cycle_ = 0;
  int64_t folds_run_ = 0;
  int64_t pe_fires_ = 0;
  std::vector<int64_t> acc_;
  std::vector<Reg> input_, weight_, next_input_, next_weight_;
  std::vector<Out> out_;
  std::vector<int64_t> macs_;  // MACs each PE has done in this fold
};

}  // namespace npusim::models::timing::testing
