// Writes a graph as a network file (docs/formats.md "Network"), the inverse of LoadNetwork:
// LoadNetwork(SaveNetwork(g)) gives back g. Used by `npusim import`.
#pragma once

#include <string>

#include "ir/graph.h"

namespace npusim::core {

// Writes `g` to `json_path`; the data of every tensor that has data goes to
// `weights_dir/<tensor>.npy` (a name above 200 bytes shortened with a hash, core::ShortFileStem;
// the JSON's "data" names each file, relative to the JSON file's directory when weights_dir lies
// below it, else by absolute path). The files appear together or not at all (core::FileSet: all
// are written under temporary names first, then renamed, the JSON last). Throws ConfigError naming
// the file that cannot be written and why.
void SaveNetwork(const Graph& g, const std::string& json_path, const std::string& weights_dir);

}  // namespace npusim::core
