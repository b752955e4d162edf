// The hardware description, validated (docs/design-decisions.md, step 2: defaults filled, derived
// values computed, every check done before any SystemC module exists). docs/formats.md documents
// the JSON; arch/dense_16x16.json is a worked example.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/mapping_force.h"
#include "core/quant.h"
#include "core/sparse_format.h"

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

// The geometry of a "bit_serial_array" (UNPU-style lookup-table-based bit-serial PEs, LBPEs).
// Each of `cores` cores has `pes_per_core` LBPEs working on different output pixels (M); each LBPE
// holds `tables_per_pe` tables, one per group of `lut_group` input features (its 2^lut_group
// entries are the partial sums of every subset of the group), and drives `outputs_per_pe` weight
// streams (output channels, N): per cycle every stream looks up every table with one bit-plane of
// its weights and shift-accumulates. The cores split the reduction (K) and an aggregation core sums
// their partial sums. docs/models.md, "Bit-serial array", has the closed form.
struct BitSerialConfig {
  int cores = 4;
  int pes_per_core = 6;
  int tables_per_pe = 12;
  int lut_group = 3;
  int outputs_per_pe = 16;
  int table_adders = 1;          // adders building each table (entries per cycle)
  // Which operand is fed one bit per cycle: "weights" (UNPU), "activations" (Stripes-style),
  // "both" (Loom-style) or "none" (a bit-parallel fixed-point MAC array of the same geometry, the
  // baseline the UNPU paper compares against: no tables, one pass per MAC).
  std::string serial_operand = "weights";
  // Binary (+-1) weights: a table entry and its complement are negatives of each other, so a
  // table of 2^lut_group entries serves lut_group + 1 inputs (docs/models.md).
  bool one_bit_mode = true;
  int aggregation_cycles = 4;    // latency of the aggregation core's adder tree
  int pipeline_cycles = 3;       // feature loader -> lookup -> accumulate pipeline depth
};

// The geometry and mapping policy of a "reconfigurable_array" (SARA/SAGAR-style): a grid of
// grid_rows x grid_cols systolic sub-arrays of sub_rows x sub_cols PEs, run per layer as one
// array or as several independent arrays (models/timing/partition_timing.h).
struct ReconfigConfig {
  int sub_rows = 4, sub_cols = 4;
  int grid_rows = 32, grid_cols = 32;
  std::vector<std::string> dataflows{"ws", "os", "is"};  // the dataflows the mapper may pick
  int64_t reconfig_cycles = 0;   // charged when an instruction's partition differs from the last
  std::string objective = "cycles";  // "cycles", "energy" or "edp"
  bool k_split = true;           // offer K splits (only with "overflow": "wrap")
  // Operand feed (models/timing/partition_timing.h): "edge" (the buffers deliver these values
  // per cycle at the grid's left, top and bottom edges; 0: rows, cols, cols) or "unlimited"
  // (every independent array its own feed, as in a distributed system of small arrays).
  std::string operand_feed = "edge";
  int64_t row_feed_values_per_cycle = 0, col_feed_values_per_cycle = 0, drain_values_per_cycle = 0;
  MappingForce force;            // applies to every layer
  std::map<std::string, MappingForce> layer_force;  // by layer name, overrides `force` per field
};

// The geometry of a "sparse_array" (Scalpel-style, Yu et al. ISCA 2017): `pes` PEs, each a
// dot-product datapath of `simd_width` lanes along the reduction (K); PEs take the tile's output
// channels round robin and walk each output's weight row entry by entry, one entry (a SIMD group
// of simd_width values, or one value in csr) per cycle, plus `decode_cycles` per entry of a
// compressed format to decode its relative index, plus `row_overhead_cycles` per output value
// (accumulator set-up and write-back), plus `pipeline_cycles` per instruction. The compiler
// stores each layer's weights in whichever of `formats` the unit runs fastest
// (core/sparse_format.h; docs/models.md, "Sparse array", has the closed form).
struct SparseConfig {
  int pes = 1;
  int simd_width = 4;
  int index_bits = 4;
  std::vector<WeightFormat> formats{WeightFormat::kDense, WeightFormat::kSimdGroups};
  int decode_cycles = 1;
  int row_overhead_cycles = 1;
  int pipeline_cycles = 2;
  bool runs(WeightFormat f) const {
    for (WeightFormat x : formats) {
      if (x == f) return true;
    }
    return false;
  }
};

// A compute unit. Types: "systolic_array" (a rows x cols array running `dataflow`) and
// "bit_serial_array" (geometry in `bit_serial`; rows and cols are derived: rows = the K inputs one
// pass of all cores covers, cores * tables_per_pe * lut_group, cols = outputs_per_pe) and
// "reconfigurable_array" (geometry in `reconfig`; rows = grid_rows * sub_rows, cols = grid_cols *
// sub_cols, dataflow = the first of reconfig.dataflows: the monolithic shape) and "sparse_array"
// (geometry in `sparse`; rows = simd_width, cols = pes, dataflow "sparse").
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
  // Weights narrower than a byte (or between 9 and 15 bits) are stored in DRAM and the weight
  // buffer at their own width (core/sparse_format.h PackValues) instead of one element per 1 or 2
  // bytes; the unit unpacks them. Not for sparse_array (its formats are its own).
  bool packed_weights = false;
  BitSerialConfig bit_serial;          // type "bit_serial_array" only
  ReconfigConfig reconfig;             // type "reconfigurable_array" only
  SparseConfig sparse;                 // type "sparse_array" only
  // Units that run conv2d / fully_connected.
  bool is_matrix_unit() const {
    return type == "systolic_array" || type == "bit_serial_array" || type == "reconfigurable_array" ||
           type == "sparse_array";
  }
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

// Where the chip runs: dynamic energy in the table is stated at nominal_voltage_v and scales as
// (voltage_v / nominal_voltage_v)^2; leakage power scales as voltage_v / nominal_voltage_v, so its
// energy per cycle also scales with clock_mhz (the arch's) / op clock_mhz.
struct OperatingPoint {
  double nominal_voltage_v = 1.0;
  double voltage_v = 1.0;
  double clock_mhz = 0;  // 0: the arch's clock_mhz
  double dynamic_scale() const { return (voltage_v / nominal_voltage_v) * (voltage_v / nominal_voltage_v); }
};

struct ArchConfig {
  std::string file;  // the file it was read from
  std::string name;
  double clock_mhz = 500;  // the clock the run's seconds use (the operating point's, if given)
  double nominal_clock_mhz = 500;  // the clock the energy table's leakage per cycle is stated at
  OperatingPoint operating_point;
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
  // The first unit that runs conv2d / fully_connected (the one the Npu builds), nullptr if none.
  const UnitConfig* MatrixUnit() const {
    for (const UnitConfig& u : units) {
      if (u.is_matrix_unit()) return &u;
    }
    return nullptr;
  }
  // Energy scale factors of the operating point (1 when there is none).
  double dynamic_energy_scale() const { return operating_point.dynamic_scale(); }
  double leakage_energy_scale() const {
    return operating_point.voltage_v / operating_point.nominal_voltage_v * nominal_clock_mhz / clock_mhz;
  }
};

// Reads, validates and resolves an arch file (and the energy file it names, relative to it).
// Throws ConfigError listing every problem with file and JSON pointer.
ArchConfig LoadArch(const std::string& path);

// The names units[].dataflow accepts, in the order the error message lists them. A fixed list,
// because core does not depend on models; models/timing registers a DataflowTiming under each.
const std::vector<std::string>& ArchDataflows();

}  // namespace npusim::core
