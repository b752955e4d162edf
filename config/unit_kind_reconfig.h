// The "reconfigurable_array" kind's own block (SARA/SAGAR-style); its parsing, checks and echo are
// in unit_kind_reconfig.cpp.
//
//   {"name": "sagar", "type": "reconfigurable_array", "sub_rows": 4, "sub_cols": 4,
//    "grid_rows": 32, "grid_cols": 32, "dataflows": ["ws", "os", "is"], ...}  arch/sagar_128x128.json
//
// rows = grid_rows * sub_rows, cols = grid_cols * sub_cols, dataflow = the first of `dataflows`
// (the monolithic shape). The compiler maps each layer (compiler/passes/map_reconfig.cpp), so the
// kind takes forced mappings (arch "force"/"layers", a net file op's "mapping") and --objective.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/mapping_force.h"

namespace npusim::core {

// A grid of grid_rows x grid_cols systolic sub-arrays of sub_rows x sub_cols PEs, run per layer as
// one array or as several independent arrays (models/timing/partition_timing.h).
struct ReconfigConfig {
  int sub_rows = 4, sub_cols = 4;
  int grid_rows = 32, grid_cols = 32;
  std::vector<std::string> dataflows{"ws", "os", "is"};  // the dataflows the mapper may pick
  int64_t reconfig_cycles = 0;       // charged when an instruction's partition differs from the last
  std::string objective = "cycles";  // "cycles", "energy" or "edp"
  bool k_split = true;               // offer K splits (only with "overflow": "wrap")
  // Operand feed (models/timing/partition_timing.h): "edge" (the buffers deliver these values
  // per cycle at the grid's left, top and bottom edges; 0: rows, cols, cols) or "unlimited"
  // (every independent array its own feed, as in a distributed system of small arrays).
  std::string operand_feed = "edge";
  int64_t row_feed_values_per_cycle = 0, col_feed_values_per_cycle = 0, drain_values_per_cycle = 0;
  MappingForce force;                               // applies to every layer
  std::map<std::string, MappingForce> layer_force;  // by layer name, overrides `force` per field
};

}  // namespace npusim::core
