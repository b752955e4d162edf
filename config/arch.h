// The hardware description, validated (docs/design-decisions.md, step 2: defaults filled, derived
// values computed, every check done before any SystemC module exists). docs/formats.md documents
// the JSON; arch/dense_16x16.json is a worked example.
#pragma once

#include <any>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

#include "config/area.h"
#include "config/dram.h"
#include "config/unit_kind.h"
#include "ir/mapping_force.h"  // ArchDataflows
#include "ir/quant.h"
#include "support/json_util.h"

namespace npusim::core {

// "model": "simple" is a pipe of a fixed bandwidth and latency (ideal-memory and SCALE-Sim-style
// studies); "dram" is a JEDEC-timed DRAM with its controller (config/dram.h, models/timing/dram.h),
// whose bandwidth and latency below are derived (for the compiler's cost model) from the spec.
struct DramConfig {
  std::string model = "simple";
  int64_t bytes_per_cycle = 16;  // sustained data bandwidth (NPU cycles)
  int64_t latency_cycles = 100;  // request to first data (NPU cycles)
  int64_t burst_bytes = 64;      // DMA splits transfers into bursts of this size
  int64_t capacity_bytes = int64_t{1} << 30;
  DramSpec spec;  // model "dram"
  bool timed() const { return model == "dram"; }
  // The unit the DRAM side pays for: the timed DRAM moves whole accesses (a 14-byte run costs a
  // 64-byte burst); the pipe moves bytes.
  int64_t granule_bytes() const { return timed() ? spec.access_bytes() : 1; }
};

struct BufferConfig {
  std::string name;
  int64_t size_bytes = 0;
  int banks = 1;       // word-interleaved banks
  int ports = 1;       // independent access ports (each serves one transfer at a time)
  int word_bytes = 8;  // bytes per bank per cycle; one read/write action per word
};

// A compute unit. `type` names its kind (config/unit_kind.h), which reads the kind's own keys into
// `params` and derives rows, cols and dataflow from them where they are not keys of its own: a
// "systolic_array" is a rows x cols array running `dataflow`; the other built-in kinds keep their
// geometry in their own block (BitSerialConfig, ReconfigConfig, SparseConfig in
// config/unit_kind_<kind>.h) and state how rows and cols follow from it.
struct UnitConfig {
  std::string name;                 // instance name, e.g. "array"
  std::string type;                 // the kind: "systolic_array"
  int rows = 16;                    // K direction (input channels x kernel taps)
  int cols = 16;                    // N direction (output channels)
  std::string dataflow = "ws";      // one of ArchDataflows(): "ws", "os", "is"; or the kind's own
  std::vector<int> input_bits{8};   // activation bit widths it can run
  std::vector<int> weight_bits{8};  // weight bit widths it can run
  int acc_bits = 32;                // 8..32
  Overflow overflow = Overflow::kWrap;
  std::string input_buffer = "ibuf";
  std::string weight_buffer = "wbuf";  // also holds per-channel bias and requant parameters
  std::string acc_buffer = "abuf";     // 4-byte accumulators
  // Weights narrower than a byte (or between 9 and 15 bits) are stored in DRAM and the weight
  // buffer at their own width (ir/sparse_format.h PackValues) instead of one element per 1 or 2
  // bytes; the unit unpacks them. Not for kinds with their own formats (WeightStorage::formats).
  bool packed_weights = false;
  // The kind's own block, e.g. params<BitSerialConfig>(). Throws std::logic_error when the unit's
  // kind keeps no T (a caller that asks the wrong kind).
  template <class T>
  const T& params() const {
    return *Checked(std::any_cast<T>(&params_), typeid(T).name());
  }
  template <class T>
  T& params() {
    return *Checked(std::any_cast<T>(&params_), typeid(T).name());
  }
  template <class T>
  void set_params(T value) {
    params_ = std::move(value);
  }
  // Units that run conv2d / fully_connected: every registered kind.
  bool is_matrix_unit() const;

 private:
  template <class P>
  P* Checked(P* p, const char* type_name) const {
    if (p == nullptr) ThrowWrongParams(type_name);
    return p;
  }
  [[noreturn]] void ThrowWrongParams(const char* type_name) const;
  std::any params_;
};

struct PostProcessorConfig {
  std::string name = "post";
  int lanes = 16;           // values per cycle (requantize, add, pool reads)
  int pipeline_cycles = 4;  // fill latency added once per instruction
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
  // The technology parameters of the arch's area model (config/area.h); not present when the
  // file has no "area" section (then a run reports no area).
  AreaTable area;
  // The energy of `action` of `component`, or 0 when the table has none (for estimates that only
  // rank candidates; the run's energy coverage check refuses a counted action without an entry).
  double EnergyOr0(const std::string& component, const std::string& action) const;
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
  double clock_mhz = 500;          // the clock the run's seconds use (the operating point's, if given)
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

// A clock (clock_mhz, operating_point.clock_mhz, dram.clock_mhz, a sweep knob that sets one):
// a finite, normal number of MHz from 1 kHz to 100 GHz.
constexpr double kMinClockMhz = 0.001;
constexpr double kMaxClockMhz = 100000;
// Checks clock `v` (at `pointer`) with `check`: nullopt, and a problem, unless it is a clock.
std::optional<double> CheckClockMhz(JsonChecker& check, const Json& v, const std::string& pointer);
// The bytes of all buffers together, allocated by the simulator (each buffer is at most 1 GiB):
// at most NPUSIM_MAX_BUFFER_BYTES, default 4 GiB (docs/formats.md "Limits").
constexpr const char* kBufferBudgetVariable = "NPUSIM_MAX_BUFFER_BYTES";
constexpr int64_t kDefaultBufferBudget = int64_t{1} << 32;

// Reads, validates and resolves an arch file (and the energy file it names, relative to it).
// Throws ConfigError listing every problem with file and JSON pointer.
ArchConfig LoadArch(const std::string& path);
// The same from the file's JSON already read (a caller that keeps the document reads the file
// once); `path` names it in messages and locates its energy table.
ArchConfig LoadArch(const Json& doc, const std::string& path);

}  // namespace npusim::core
