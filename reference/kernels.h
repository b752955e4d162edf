// One function per op type, called by Run (executor.cpp) with the op's input values resolved.
// Internal to reference/: the public interface is executor.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "reference/executor.h"

namespace npusim::reference {

// inputs[i] holds the values of op.inputs[i]; each kernel returns the values of op.outputs[0].
using Values = std::vector<const std::vector<int32_t>*>;

std::vector<int32_t> Conv2d(const core::Graph& g, const core::Op& op, const Values& inputs,
                            const Options& opt);
std::vector<int32_t> FullyConnected(const core::Graph& g, const core::Op& op, const Values& inputs,
                                    const Options& opt);
std::vector<int32_t> Add(const core::Graph& g, const core::Op& op, const Values& inputs, const Options& opt);
std::vector<int32_t> Mul(const core::Graph& g, const core::Op& op, const Values& inputs, const Options& opt);
std::vector<int32_t> LookupTable(const core::Graph& g, const core::Op& op, const Values& inputs,
                                 const Options& opt);
std::vector<int32_t> Concat(const core::Graph& g, const core::Op& op, const Values& inputs,
                            const Options& opt);
std::vector<int32_t> MaxPool(const core::Graph& g, const core::Op& op, const Values& inputs,
                             const Options& opt);
std::vector<int32_t> AvgPool(const core::Graph& g, const core::Op& op, const Values& inputs,
                             const Options& opt);
std::vector<int32_t> GlobalAvgPool(const core::Graph& g, const core::Op& op, const Values& inputs,
                                   const Options& opt);
std::vector<int32_t> Reshape(const core::Graph& g, const core::Op& op, const Values& inputs,
                             const Options& opt);

// Throws std::invalid_argument("op '<name>': <what>") unless `ok`.
void Require(bool ok, const core::Op& op, const std::string& what);

}  // namespace npusim::reference
