// A run's network inputs as the command line gives them (`npusim run --input [NAME=]FILE`, the
// Python module's `Simulator.run`): .npy files by input name or by position, else the data the
// network file gives.
//
//   sim::TensorMap in = sim::ResolveInputs(g, "net.json", {"x.npy"});           // by position
//   sim::TensorMap in = sim::ResolveInputs(g, "net.json", {"image=x.npy"});     // by name
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "sim/simulate.h"  // TensorMap

namespace npusim::sim {

// Network inputs (IR tensors, IR order) from `specs` ("NAME=FILE" by name, "FILE" by position: the
// k-th file without a name is the k-th input; a network with model_io names and reads its inputs
// in the model's layout and type), else the data the network file gives. Throws core::ConfigError
// naming `net_file` for an unknown or repeated name, too many files or an input with neither file
// nor data, and naming the file for a file that does not fit its input.
TensorMap ResolveInputs(const core::Graph& g, const std::string& net_file,
                        const std::vector<std::string>& specs);

}  // namespace npusim::sim
