#include "models/npu.h"

#include <stdexcept>

namespace npusim::models {

Npu::Npu(sc_core::sc_module_name name, const core::ArchConfig& arch, const isa::Program& program,
         core::StatRegistry& stats, ExecMode mode)
    : sc_module(name),
      arch_(arch),
      program_(program),
      stats_(stats),
      mode_(mode),
      controller_("controller", program),
      dram_("dram", arch.dram, std::max<uint64_t>(program.dram_bytes_used, 64), stats, arch.clock_mhz),
      bus_("bus") {
  std::vector<Sram*> raw;
  for (const core::BufferConfig& b : arch.buffers) {
    srams_.push_back(std::make_unique<Sram>(b.name.c_str(), b, stats));
    raw.push_back(srams_.back().get());
    leak_.push_back(&stats.Register(b.name, "leak_per_cycle", "cycles", "cycles powered"));
  }
  dma_ = std::make_unique<Dma>("dma", arch.dram, controller_, stats, mode, dram_.timed() ? &dram_ : nullptr);
  const core::UnitConfig* unit = arch.MatrixUnit();
  if (unit == nullptr) throw std::runtime_error("arch " + arch.file + " has no matrix unit");
  units_.push_back(MakeMatrixUnit({*unit, controller_, raw, stats, mode}));
  leak_.push_back(&stats.Register(unit->name, "leak_per_cycle", "cycles", "cycles powered"));
  post_ = std::make_unique<PostProcessor>(arch.post.name.c_str(), arch.post, arch.requant_mode, controller_,
                                          raw, stats, mode);
  leak_.push_back(&stats.Register(arch.post.name, "leak_per_cycle", "cycles", "cycles powered"));
  Bind();
  for (const isa::DramSegment& s : program.dram_init) {
    std::copy(s.bytes.begin(), s.bytes.end(), dram_.image().begin() + s.addr);
  }
}

void Npu::Bind() {
  dma_->dram_isock.bind(dram_.tsock);
  dma_->sram_isock.bind(bus_.tsock);
  for (auto& u : units_) u->sram_isock.bind(bus_.tsock);
  post_->sram_isock.bind(bus_.tsock);
  for (auto& s : srams_) bus_.sram_isock.bind(s->tsock);
}

void Npu::WriteInputs(const std::map<std::string, std::vector<int32_t>>& inputs) {
  for (const isa::TensorPlacement& p : program_.inputs) {
    const std::vector<int32_t>& v = inputs.at(p.name);
    uint8_t* dst = dram_.image().data() + p.addr;
    for (size_t i = 0; i < v.size(); ++i) StoreElem(dst + i * p.type.bytes(), p.type, v[i]);
  }
}

RunResult Npu::Run(const Progress& progress, uint64_t progress_cycles) {
  if (!progress) {
    sc_core::sc_start();
  } else {
    // Same simulation, run in slices so the caller can report between them.
    do {
      sc_core::sc_start(Cycles(progress_cycles), sc_core::SC_EXIT_ON_STARVATION);
      progress(controller_.completed(), program_.instructions.size());
    } while (sc_core::sc_pending_activity());
  }
  if (!controller_.AllDone()) {
    throw std::runtime_error("simulation stopped before every instruction completed (deadlock)");
  }
  RunResult r;
  // The run ends when the last instruction completes.
  for (uint64_t e : controller_.end_cycle()) r.cycles = std::max(r.cycles, e);
  for (core::Counter* c : leak_) c->Add(-1, r.cycles);
  dram_.Finish(r.cycles);
  for (const isa::TensorPlacement& p : program_.outputs) {
    if (mode_ == ExecMode::kTiming) break;
    int64_t n = 1;
    for (int64_t d : p.shape) n *= d;
    std::vector<int32_t>& v = r.outputs[p.name];
    v.resize(n);
    const uint8_t* src = dram_.image().data() + p.addr;
    for (int64_t i = 0; i < n; ++i) v[i] = LoadElem(src + i * p.type.bytes(), p.type);
  }
  for (const auto& sram : srams_) {
    r.banks.push_back({sram->config().name, sram->bank_reads(), sram->bank_writes()});
  }
  r.instr_start = controller_.start_cycle();
  r.instr_end = controller_.end_cycle();
  const size_t layers = program_.layers.size();
  r.layer_start.assign(layers, UINT64_MAX);
  r.layer_end.assign(layers, 0);
  r.layer_busy.assign(layers, {});
  for (const isa::Instruction& in : program_.instructions) {
    if (in.layer < 0) continue;
    r.layer_busy[in.layer][static_cast<int>(isa::QueueOf(in.op))] +=
        controller_.end_cycle()[in.id] - controller_.start_cycle()[in.id];
    r.layer_start[in.layer] = std::min(r.layer_start[in.layer], controller_.start_cycle()[in.id]);
    r.layer_end[in.layer] = std::max(r.layer_end[in.layer], controller_.end_cycle()[in.id]);
  }
  for (size_t l = 0; l < layers; ++l) {
    if (r.layer_start[l] == UINT64_MAX) r.layer_start[l] = 0;
  }
  return r;
}

}  // namespace npusim::models
