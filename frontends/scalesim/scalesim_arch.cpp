// frontends/scalesim/scalesim_arch.h: a SCALE-Sim config as an npusim arch.
#include "frontends/scalesim/scalesim_arch.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "ir/int_math.h"
#include "support/atomic_file.h"
#include "support/error.h"

namespace npusim::core {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// SCALE-Sim's cfg has no clock; 500 MHz only converts cycles to seconds in the report.
constexpr double kClockMhz = 500;
// SCALE-Sim's own CALC-mode backing bandwidth for ifmap and filter (words per cycle), used when the
// cfg gives no usable Bandwidth.
constexpr int64_t kCalcBandwidthWords = 10;
constexpr int64_t kDramCapacityBytes = kScaleSimDramCapacityBytes;
constexpr int64_t kAccBytes = 4;  // the accumulator buffer holds 32-bit partial sums
constexpr uint64_t kWeightSeed = 0x5CA1E5111;
constexpr uint64_t kInputSeed = 0x5CA1E5112;
constexpr float kInputScale = 0.05f, kWeightScale = 0.005f;

const char kHorowitz[] = "Horowitz, 'Computing's energy problem', ISSCC 2014, 45 nm 0.9 V: ";

int64_t DramBytesPerCycle(const ScaleSimConfig& c) {
  if (c.bandwidth.empty()) return kCalcBandwidthWords;
  int64_t sum = 0;
  for (int64_t b : c.bandwidth) sum = CheckedAdd(sum, b);  // one channel for all banks, 1-byte words
  return sum;
}

// One array edge of operands per SRAM word (a power of two, 8..1024 bytes), so the DMA side of a
// buffer never limits a DRAM stream.
int SramWordBytes(const ScaleSimConfig& c) {
  int w = 8;
  while (w < std::max(c.array_height, c.array_width) && w < 1024) w *= 2;
  return w;
}

Json Entry(double energy_pj, const std::string& source) {
  return {{"energy_pj", std::round(energy_pj * 100) / 100}, {"source", source}};
}

// An SRAM's read/write/leak energies, by the same rules as arch/energy/horowitz_45nm.json.
Json SramEnergy(int64_t size_bytes, int word_bytes) {
  char how[200];
  const double pj = 10 * std::sqrt(size_bytes / 8192.0) * word_bytes / 8.0;
  std::snprintf(how, sizeof how, "bank %lld B, word %d B -> 10 * sqrt(%lld/8192) * %d/8 = %.2f pJ",
                static_cast<long long>(size_bytes), word_bytes, static_cast<long long>(size_bytes),
                word_bytes, pj);
  const std::string read =
      std::string(kHorowitz) +
      "64-bit SRAM read about 10 pJ * sqrt(bank_bytes / 8 KiB), scaled linearly to the word: " + how;
  return {{"read", Entry(pj, read)},
          {"write", Entry(pj, "taken equal to a read of the same word; " + read)},
          {"leak_per_cycle", Entry(0.05 * size_bytes / 1024.0,
                                   "estimate: 0.05 pJ per KiB per cycle (45 nm high-performance SRAM) x " +
                                       std::to_string(size_bytes / 1024) + " KiB")}};
}

struct DerivedBuffer {
  const char* name;
  int64_t size_bytes;
};

std::vector<DerivedBuffer> Buffers(const ScaleSimConfig& c) {
  return {{"ibuf", c.ifmap_sram_kb * 1024},
          {"wbuf", c.filter_sram_kb * 1024},
          {"abuf", kAccBytes * c.ofmap_sram_kb * 1024},
          {"obuf", c.ofmap_sram_kb * 1024}};
}

Json EnergyJson(const ScaleSimConfig& c) {
  const int64_t pes = c.array_height * c.array_width;
  const int64_t lanes = c.array_width;
  Json comps;
  comps["array"] = {
      {"mac_8b", Entry(0.3, std::string(kHorowitz) + "8b integer multiply 0.2 pJ + 32b integer add 0.1 pJ")},
      {"idle_pe_cycle", Entry(0.03, "estimate: clocked PE doing no useful work, about 10% of an 8b MAC")},
      {"leak_per_cycle", Entry(0.02 * static_cast<double>(pes),
                               "estimate: 0.02 pJ per PE per cycle x " + std::to_string(pes) + " PEs")}};
  for (const DerivedBuffer& b : Buffers(c)) comps[b.name] = SramEnergy(b.size_bytes, SramWordBytes(c));
  comps["post"] = {
      {"requant", Entry(3.2, std::string(kHorowitz) + "one 32b multiply 3.1 pJ + one 32b add 0.1 pJ")},
      {"pass", Entry(0.1, "estimate: the requantizer bypassed, a 32-bit value through the pipeline "
                          "registers, taken as one 32b add (" +
                              std::string(kHorowitz) + "0.1 pJ)")},
      {"add", Entry(6.5, std::string(kHorowitz) + "two 32b multiplies 3.1 pJ + three 32b adds 0.1 pJ")},
      {"mul", Entry(3.5, std::string(kHorowitz) +
                             "one 8b multiply 0.2 pJ + one 32b multiply 3.1 pJ + two 32b adds 0.1 pJ")},
      {"lookup",
       Entry(0.25, "estimate: one read of a 256-entry table in the lanes plus the index subtraction")},
      {"pool_op", Entry(0.1, std::string(kHorowitz) + "one 32b add or compare 0.1 pJ per value")},
      {"leak_per_cycle", Entry(0.05 * static_cast<double>(lanes), "estimate: 0.05 pJ per lane per cycle x " +
                                                                      std::to_string(lanes) + " lanes")}};
  const std::string dram =
      std::string(kHorowitz) + "DRAM 1.3-2.6 nJ per 64-bit access; midpoint 1.95 nJ / 8 bytes";
  comps["dram"] = {{"read_byte", Entry(243.75, dram)},
                   {"write_byte", Entry(243.75, dram + " (writes as reads)")}};
  comps["dma"] = {{"burst", Entry(5.0, "estimate: address generation and bookkeeping per burst")}};
  return {{"version", 1}, {"name", "horowitz_45nm_scalesim"}, {"components", comps}};
}

std::string ArchName(const std::string& run_name) {
  std::string s = "scalesim_";
  for (char ch : run_name)
    s += std::isalnum(static_cast<unsigned char>(ch)) ? static_cast<char>(std::tolower(ch)) : '_';
  return s;
}

Json ArchJson(const ScaleSimConfig& c) {
  const int word = SramWordBytes(c);
  Json buffers = Json::array();
  for (const DerivedBuffer& b : Buffers(c)) {
    buffers.push_back(
        {{"name", b.name}, {"size_bytes", b.size_bytes}, {"banks", 1}, {"ports", 2}, {"word_bytes", word}});
  }
  Json unit = {{"name", "array"},        {"type", "systolic_array"}, {"rows", c.array_height},
               {"cols", c.array_width},  {"dataflow", c.dataflow},   {"input_bits", {8}},
               {"weight_bits", {8}},     {"acc_bits", 32},           {"overflow", "wrap"},
               {"input_buffer", "ibuf"}, {"weight_buffer", "wbuf"},  {"acc_buffer", "abuf"}};
  return {{"version", 1},
          {"name", ArchName(c.run_name)},
          {"description",
           "derived from the SCALE-Sim config " + c.file + " by npusim scalesim (docs/scalesim.md)"},
          {"clock_mhz", kClockMhz},
          {"dram",
           {{"bytes_per_cycle", DramBytesPerCycle(c)},
            {"latency_cycles", 100},
            {"burst_bytes", 64},
            {"capacity_bytes", kDramCapacityBytes}}},
          {"buffers", buffers},
          {"units", {unit}},
          {"post_processor",
           {{"name", "post"}, {"lanes", c.array_width}, {"pipeline_cycles", 4}, {"output_buffer", "obuf"}}},
          {"requantization", "onnx_float"},
          {"energy", EnergyJson(c)}};
}

}  // namespace

std::string ScaleSimArchJson(const ScaleSimConfig& config) { return ArchJson(config).dump(2) + "\n"; }

// The derived arch through the normal validating loader (a temporary file, since LoadArch reads
// files). A problem there is a cfg value beyond what npusim's arch accepts (e.g. ArrayHeight >
// 4096): reported against the cfg.
ArchConfig LoadScaleSimArch(const ScaleSimConfig& c, const std::string& json_text) {
  const fs::path tmp =
      fs::temp_directory_path() / ("npusim_scalesim_arch_" + std::to_string(getpid()) + ".json");
  WriteFileAtomically(tmp.string(), json_text);
  try {
    ArchConfig arch = LoadArch(tmp.string());
    fs::remove(tmp);
    arch.file = c.file;
    arch.energy.file = c.file;
    return arch;
  } catch (const ConfigError& e) {
    fs::remove(tmp);
    std::vector<Problem> problems;
    for (const Problem& p : e.problems()) {
      problems.push_back({c.file, "[architecture_presets]",
                          "npusim cannot build its arch from this config: " + p.pointer + ": " + p.message});
    }
    throw ConfigError(problems);
  }
}

}  // namespace npusim::core
