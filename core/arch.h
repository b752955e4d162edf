// The hardware description, validated (the "Config" layer of STYLE.md: defaults filled, derived
// values computed, every check done before any SystemC module exists). docs/formats.md documents
// the JSON; arch/dense_16x16.json is a worked example.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/quant.h"

namespace npusim::core {

struct DramConfig {
  int64_t bytes_per_cycle = 16;   // sustained data bandwidth
  int64_t latency_cycles = 100;   // request to first data
  int64_t burst_bytes = 64;       // DMA splits transfers into bursts of this size
  int64_t capacity_bytes = int64_t{1} << 30;
};

struct BufferConfig {
  std::string name;
  int64_t size_bytes = 0;
  int banks = 1;        // word-interleaved banks
  int ports = 1;        // independent access ports (each serves one transfer at a time)
  int word_bytes = 8;   // bytes per bank per cycle; one read/write action per word
};

// A compute unit. The spine knows type "systolic_array" (a rows x cols array running `dataflow`);
// later unit families add their types behind the same entry.
struct UnitConfig {
  std::string name;            // instance name, e.g. "array"
  std::string type;            // "systolic_array"
  int rows = 16;               // K direction (input channels x kernel taps)
  int cols = 16;               // N direction (output channels)
  std::string dataflow = "ws";  // one of ArchDataflows(): "ws", "os", "is"
  std::vector<int> input_bits{8};   // activation bit widths it can run
  std::vector<int> weight_bits{8};  // weight bit widths it can run
  int acc_bits = 32;                // 8..32
  Overflow overflow = Overflow::kWrap;
  std::string input_buffer = "ibuf";
  std::string weight_buffer = "wbuf";  // also holds per-channel bias and requant parameters
  std::string acc_buffer = "abuf";     // 4-byte accumulators
};

struct PostProcessorConfig {
  std::string name = "post";
  int lanes = 16;             // values per cycle (requantize, add, pool reads)
  int pipeline_cycles = 4;    // fill latency added once per instruction
  std::string output_buffer = "obuf";
};

struct EnergyEntry {
  double energy_pj = 0;
  std::string source;  // where the number comes from (paper table, CACTI run, estimate)
};

// Accelergy-style energy reference table: component instance name -> action -> energy.
struct EnergyTable {
  std::string file;  // where it was read from (for messages)
  std::string name;
  std::map<std::string, std::map<std::string, EnergyEntry>> components;
};

struct ArchConfig {
  std::string file;  // the file it was read from
  std::string name;
  double clock_mhz = 500;
  DramConfig dram;
  std::vector<BufferConfig> buffers;
  std::vector<UnitConfig> units;
  PostProcessorConfig post;
  RequantMode requant_mode = RequantMode::kOnnxFloat;
  EnergyTable energy;

  // nullptr when absent.
  const BufferConfig* FindBuffer(const std::string& n) const;
  const UnitConfig* FindUnit(const std::string& n) const;
  // The first unit of `type` (arch order), nullptr when there is none.
  const UnitConfig* FirstUnitOfType(const std::string& type) const {
    for (const UnitConfig& u : units) {
      if (u.type == type) return &u;
    }
    return nullptr;
  }
};

// Reads, validates and resolves an arch file (and the energy file it names, relative to it).
// Throws ConfigError listing every problem with file and JSON pointer.
ArchConfig LoadArch(const std::string& path);

// The names units[].dataflow accepts, in the order the error message lists them. A fixed list,
// because core does not depend on models; models/timing registers a DataflowTiming under each.
const std::vector<std::string>& ArchDataflows();

}  // namespace npusim::core
