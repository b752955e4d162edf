// SCALE-Sim v2 input files, read unchanged: the .cfg (INI) hardware config and the topology CSV
// in its convolution form or its GEMM (M, N, K) form. docs/scalesim.md describes both; the
// examples are workloads/scalesim/. Loading validates everything and reports every problem at
// once as a ConfigError naming the file, the line or "[section] Key", and what was expected:
//
//   x.cfg: line 7, [architecture_presets] ArrayHeight: expected a positive integer, got "3x"
//   t.csv: line 4, Filter Width (column 5): expected a positive integer, got "abc"
//
// The .cfg is read as Python's configparser reads it (SCALE-Sim's reader): "key = value" or
// "key: value", keys case-insensitive, section names case-sensitive, "#" and ";" comment lines,
// indented lines continuing the previous value; duplicate sections or keys are errors. Keys
// SCALE-Sim v2 defines that do not change its CALC-mode compute model (SRAM bank layout, DRAM
// row sizes, [network_presets] ...) are accepted and listed in `ignored_keys`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace npusim::core {

struct ScaleSimConfig {
  std::string file;
  std::string run_name;      // [general] run_name
  int64_t array_height = 0;  // [architecture_presets] ArrayHeight: rows, R
  int64_t array_width = 0;   // ArrayWidth: columns, C
  int64_t ifmap_sram_kb = 0, filter_sram_kb = 0, ofmap_sram_kb = 0;  // IfmapSramSzkB ...
  int64_t ifmap_offset = 0, filter_offset = 0, ofmap_offset = 0;     // IfmapOffset ...
  std::string dataflow;                                              // Dataflow: "os", "ws" or "is"
  std::string interface_bandwidth;  // [run_presets] InterfaceBandwidth: "CALC" or "USER"
  // Bandwidth, words/cycle (one per bank): required in USER mode; in CALC mode read when well
  // formed (SCALE-Sim ignores it there, npusim's full model uses it), else empty.
  std::vector<int64_t> bandwidth;
  std::optional<int64_t> memory_banks;  // MemoryBanks, when given
  // [npusim] Padding (npusim's own key; SCALE-Sim ignores the section): "valid" (default, as
  // SCALE-Sim assumes) or "same", for the full model (docs/scalesim.md).
  std::string padding = "valid";
  std::vector<std::string> ignored_keys;  // "[section] Key" present but not used
};

// Reads and validates a SCALE-Sim v2 .cfg. Throws ConfigError listing every problem.
ScaleSimConfig LoadScaleSimConfig(const std::string& path);

enum class ScaleSimTopologyForm { kConv, kGemm };

// One topology row, in SCALE-Sim's convolution terms (the ifmap already padded). A GEMM row
// (M, N, K) becomes, as SCALE-Sim converts it, ifmap M x K, filter 1 x K, 1 channel, N filters,
// stride 1, so that the GEMM is M ofmap pixels x K window x N filters.
struct ScaleSimLayer {
  int line = 0;  // 1-based line in the CSV
  std::string name;
  int64_t ifmap_h = 1, ifmap_w = 1, filter_h = 1, filter_w = 1;
  int64_t channels = 1, num_filters = 1, stride_h = 1, stride_w = 1;
  // Conv form, name containing "DP" (case-sensitive, as SCALE-Sim tests it): depthwise. SCALE-Sim
  // runs it as `channels` separate layers of one channel each (the row's Num Filter filters).
  bool depthwise = false;
  int64_t gemm_m = 0, gemm_n = 0, gemm_k = 0;  // GEMM form: the row as written

  // How many SCALE-Sim layers this row becomes, and the channels of each.
  int64_t Runs() const { return depthwise ? channels : 1; }
  int64_t ChannelsPerRun() const { return depthwise ? 1 : channels; }
};

struct ScaleSimTopology {
  std::string file;
  ScaleSimTopologyForm form = ScaleSimTopologyForm::kConv;
  std::vector<ScaleSimLayer> layers;
};

// Reads and validates a topology CSV of the given form. Throws ConfigError listing every problem.
ScaleSimTopology LoadScaleSimTopology(const std::string& path, ScaleSimTopologyForm form);

}  // namespace npusim::core
