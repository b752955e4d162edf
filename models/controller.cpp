#include "models/controller.h"

namespace npusim::models {

Controller::Controller(sc_core::sc_module_name name, const isa::Program& program)
    : sc_module(name), program_(program), queues_(isa::kNumQueues), next_(isa::kNumQueues, 0) {
  const size_t n = program.instructions.size();
  done_.assign(n, 0);
  start_.assign(n, 0);
  end_.assign(n, 0);
  for (const isa::Instruction& in : program.instructions) {
    queues_[static_cast<int>(isa::QueueOf(in.op))].push_back(&in);
  }
}

const isa::Instruction* Controller::Next(isa::Queue q) {
  const int qi = static_cast<int>(q);
  if (next_[qi] >= queues_[qi].size()) return nullptr;
  const isa::Instruction* in = queues_[qi][next_[qi]++];
  for (int64_t d : in->deps) {
    while (!done_[d]) wait(completed_);
  }
  start_[in->id] = NowCycles();
  return in;
}

void Controller::Done(const isa::Instruction& in) {
  done_[in.id] = 1;
  end_[in.id] = NowCycles();
  ++completed_count_;
  completed_.notify(sc_core::SC_ZERO_TIME);
}

}  // namespace npusim::models
