// `npusim dram`: a load/store trace through the timed DRAM alone (docs/models.md, "DRAM").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/arch.h"
#include "config/dram.h"
#include "isa/instruction.h"
#include "models/timing/dram_trace.h"

namespace npusim::sim {

// Reads a trace: one request per line, "LD 0xADDRESS" or "ST 0xADDRESS" (hexadecimal, 0x optional),
// blank lines and lines starting with '#' skipped. Throws ConfigError naming `path`, the line and
// what was expected; a trace without requests is an error too.
// Addresses at or beyond `capacity` bytes are an error too (they would wrap onto other rows).
std::vector<models::timing::DramRequest> ReadDramTrace(const std::string& path,
                                                       uint64_t capacity = UINT64_MAX);

// report.json: dram_cycles, dram_cycles_done, bytes_per_dram_cycle, row_hits/misses/conflicts,
// commands, read latency (mean, p99), energy_pj and its split.
nlohmann::json DramTraceReport(const core::DramSpec& spec, const models::timing::DramTraceResult& r);
// The same, as lines for the terminal.
std::string DramTraceSummary(const nlohmann::json& report);

// What `npusim compile` shows of a layer's DRAM traffic: its DMA bursts, in program order, run
// alone through the timed DRAM (one request per DRAM cycle, a fresh DRAM per layer): the access
// pattern its tiling produced, independent of the compute's timing.
struct LayerDramPattern {
  uint64_t read_bytes = 0, write_bytes = 0;
  uint64_t requests = 0, row_hits = 0;
  double row_hit_rate() const { return requests ? static_cast<double>(row_hits) / requests : 0.0; }
};
std::vector<LayerDramPattern> LayerDramPatterns(const isa::Program& program, const core::DramConfig& dram);

}  // namespace npusim::sim
