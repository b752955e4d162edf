// A cycle-stepped model of the post-processor pipeline of models/timing/post_timing.h, used to
// check its closed forms. Values are real: each output is the max of its window (window 1 is an
// elementwise op), so a value read twice or never shows up in the results, not only in the count.
//
// Each cycle the lanes read the next up-to-L inputs (packed across window boundaries) into stage
// 0; every group moves one stage per cycle; a group in stage P at the end of a cycle retires into
// its outputs. Done when every input has retired.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace npusim::models::timing::testing {

class PostStepped {
 public:
  // inputs: outputs*window values, output o reading inputs [o*window, (o+1)*window).
  PostStepped(int lanes, int pipeline, int64_t window, std::vector<int64_t> inputs)
      : lanes_(lanes), window_(window), inputs_(std::move(inputs)), stages_(pipeline + 1) {
    const int64_t outputs = window_ == 0 ? 0 : static_cast<int64_t>(inputs_.size()) / window_;
    results_.assign(outputs, std::numeric_limits<int64_t>::min());
  }

  bool done() const { return retired_ == static_cast<int64_t>(inputs_.size()); }
  int64_t cycle() const { return cycle_; }
  const std::vector<int64_t>& results() const { return results_; }

  void Step() {
    if (done()) return;
    // Groups advance one stage; the lanes fill stage 0 with indices of the next inputs.
    std::rotate(stages_.rbegin(), stages_.rbegin() + 1, stages_.rend());
    std::vector<int64_t>& read = stages_.front();
    read.clear();
    for (int l = 0; l < lanes_ && next_ < static_cast<int64_t>(inputs_.size()); ++l) {
      read.push_back(next_++);
    }
    for (int64_t index : stages_.back()) {
      int64_t& out = results_[index / window_];
      out = std::max(out, inputs_[index]);
      ++retired_;
    }
    stages_.back().clear();
    ++cycle_;
  }

  void RunUntil(int64_t cycles) {
    while (!done() && cycle_ < cycles) Step();
  }

 private:
  const int lanes_;
  const int64_t window_;
  const std::vector<int64_t> inputs_;
  std::vector<std::vector<int64_t>> stages_;  // input indices held by each pipeline stage
  std::vector<int64_t> results_;
  int64_t next_ = 0;     // next input the lanes read
  int64_t retired_ = 0;  // inputs whose group left the last stage
  int64_t cycle_ = 0;
};

}  // namespace npusim::models::timing::testing
