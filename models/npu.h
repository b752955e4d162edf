// Npu: the top module, built from an ArchConfig and a Program. All modules are created and bound
// in the constructor's Bind step (one place, where a trace recorder or protocol checker could be
// slotted in):
//
//   npu.dma.dram_isock -> npu.dram.tsock
//   npu.dma.sram_isock, npu.<unit>.sram_isock, npu.post.sram_isock -> npu.bus.tsock
//   (<unit>: each MatrixUnit, built by its kind's registered module factory; today one, the
//   arch's first matrix unit)
//   npu.bus.sram_isock[i] -> npu.<buffer i>.tsock
//
// One Npu per process (SystemC elaborates once per process).
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "config/arch.h"
#include "isa/instruction.h"
#include "models/bus.h"
#include "models/controller.h"
#include "models/dma.h"
#include "models/exec_mode.h"
#include "models/matrix_unit.h"
#include "models/memory.h"
#include "models/post_processor.h"
#include "support/stats.h"

namespace npusim::models {

struct RunResult {
  uint64_t cycles = 0;
  // Network outputs read back from DRAM (exact mode; empty in timing mode).
  std::map<std::string, std::vector<int32_t>> outputs;
  std::vector<uint64_t> layer_start, layer_end;  // per layer, cycles (0/0 if no work)
  std::vector<uint64_t> instr_start, instr_end;  // per instruction (by id), cycles
  // Per layer and queue (isa::Queue order): cycles the queue's unit spent on the layer's
  // instructions (start to completion), e.g. compute busy vs the layer's span.
  std::vector<std::array<uint64_t, isa::kNumQueues>> layer_busy;
  // Per buffer (arch order): words read and written in each bank.
  struct BankCounts {
    std::string buffer;
    std::vector<uint64_t> reads, writes;
  };
  std::vector<BankCounts> banks;
};

class Npu : public sc_core::sc_module {
 public:
  Npu(sc_core::sc_module_name name, const core::ArchConfig& arch, const isa::Program& program,
      core::StatRegistry& stats, ExecMode mode = ExecMode::kExact);

  // Writes each network input (values in the tensor's element type) into DRAM.
  void WriteInputs(const std::map<std::string, std::vector<int32_t>>& inputs);
  // Runs the program to completion. Throws std::runtime_error if it cannot complete. If given,
  // `progress(done, total)` is called every `progress_cycles` simulated cycles (instructions
  // completed so far, instructions in the program): for a progress line on a terminal.
  using Progress = std::function<void(size_t done, size_t total)>;
  RunResult Run(const Progress& progress = nullptr, uint64_t progress_cycles = 200000);

 private:
  void Bind();

  const core::ArchConfig& arch_;
  const isa::Program& program_;
  core::StatRegistry& stats_;
  ExecMode mode_;
  Controller controller_;
  Dram dram_;
  Bus bus_;
  std::vector<std::unique_ptr<Sram>> srams_;
  std::unique_ptr<Dma> dma_;
  std::vector<std::unique_ptr<MatrixUnit>> units_;  // the arch's first matrix unit (one for now)
  std::unique_ptr<PostProcessor> post_;
  std::vector<core::Counter*> leak_;
};

}  // namespace npusim::models
