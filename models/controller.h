// Controller: holds the program, hands each unit the next instruction of its queue once the
// instructions it depends on have completed (dependency tokens), and records when every
// instruction started and ended. Units pull: Next() blocks the calling SystemC thread.
#pragma once

#include <vector>

#include <systemc>

#include "models/sim_time.h"

#include "isa/instruction.h"

namespace npusim::models {

class Controller : public sc_core::sc_module {
 public:
  Controller(sc_core::sc_module_name name, const isa::Program& program);
  // Blocks until queue q's next instruction may start; nullptr when the queue is exhausted.
  const isa::Instruction* Next(isa::Queue q);
  void Done(const isa::Instruction& in);

  // In cycles, valid after the simulation.
  const std::vector<uint64_t>& start_cycle() const { return start_; }
  const std::vector<uint64_t>& end_cycle() const { return end_; }
  // The program's side tables (isa::Program::weight_tile_rows) for the units.
  const isa::Program& program() const { return program_; }
  bool AllDone() const { return completed_count_ == program_.instructions.size(); }
  size_t completed() const { return completed_count_; }

 private:
  const isa::Program& program_;
  std::vector<std::vector<const isa::Instruction*>> queues_;
  std::vector<size_t> next_;
  std::vector<char> done_;
  std::vector<uint64_t> start_, end_;
  size_t completed_count_ = 0;
  sc_core::sc_event completed_;
};

}  // namespace npusim::models
