// Writes a graph as a network file (docs/formats.md "Network"), the inverse of LoadNetwork:
// LoadNetwork(SaveNetwork(g)) gives back g. Used by `npusim import`.
#pragma once

#include <string>

#include "ir/graph.h"

namespace npusim::core {

// Writes `g` to `json_path`; the data of every tensor that has data goes to
// `weights_dir/<tensor>.npy` (named in the JSON relative to the JSON file's directory when
// weights_dir lies below it, else by absolute path). Every file appears complete or not at all
// (each is written under a temporary name and renamed; the JSON last). Throws ConfigError naming
// the file that cannot be written.
void SaveNetwork(const Graph& g, const std::string& json_path, const std::string& weights_dir);

}  // namespace npusim::core
