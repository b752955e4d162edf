// A forced mapping of a "reconfigurable_array" layer, as the arch file ("force", "layers") and the
// network file (an op's "mapping") state it:
//
//   {"arrays": [pr, pc], "split": [pm, pn, pk], "dataflow": "os"}      every key optional
//
// "arrays": pr x pc independent arrays of (rows/pr) x (cols/pc) PEs ([1, 1]: monolithic);
// "split": how the GEMM is divided over them (M, N or groups, K); "dataflow": ws, os or is.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/json_util.h"

namespace npusim::core {

// The names a dataflow is given by (units[].dataflow, a mapping's "dataflow"), in the order error
// messages list them. A fixed list, because ir and config do not depend on models;
// models/timing registers a DataflowTiming under each.
const std::vector<std::string>& ArchDataflows();

// Every field optional: 0 / "" leaves it free.
struct MappingForce {
  int pr = 0, pc = 0;
  int64_t pm = 0, pn = 0, pk = 0;
  std::string dataflow;
  bool any() const { return pr > 0 || pm > 0 || !dataflow.empty(); }
};

// `f` overridden field by field by `over` (a partition without a split leaves the split free).
MappingForce Overlay(const MappingForce& f, const MappingForce& over);

// Parses the object at `pointer` into `f`, adding problems to `check`: unknown keys, list sizes,
// positive integers, pm * pn * pk == pr * pc when both are given, the dataflow among `dataflows`.
void ParseMappingForce(JsonChecker& check, const Json& v, const std::string& pointer,
                       const std::vector<std::string>& dataflows, MappingForce* f);

}  // namespace npusim::core
