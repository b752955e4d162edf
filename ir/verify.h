// Verify(graph): the invariants the compiler and the reference executor rely on, checked on a graph
// however it was made (the network loader, the ONNX importer, the SCALE-Sim front end, a NAS space,
// a transform that rewrote it). Front ends call it last, so a graph that breaks an invariant is an
// error naming its source instead of a crash or a wrong answer further down.
//
//   core::Graph g = BuildSomehow();
//   core::Verify(g, "model.onnx");  // throws core::ConfigError listing every problem
//
// Checked: structure (every name exists; each tensor produced once, by one op or as a network input
// or constant; ops in topological order; outputs produced; operand counts per op kind), tensors
// (names, shapes and element limits, bits and signedness, scales > 0 and finite, zero points in
// range, per-channel parameters on constant weights only and one per output channel, data of the
// shape's length with values in the type's range), attributes (strides, dilations, kernels, pads,
// groups, axis within the loader's limits; activations only where they fuse), and the per-op
// rules of ir/op_rules.h (operand roles, output shapes, quantization that must not change), the
// same rules the loader applies. Each problem names the op by index, name and kind and the operand.
// Weight data is read in place, never copied.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "support/error.h"

namespace npusim::core {

// Throws ConfigError with every problem of `g`, each naming `source` (the file the graph came
// from, or the transform that rewrote it) as its file.
void Verify(const Graph& g, const std::string& source);

// The problems Verify would throw, without throwing.
std::vector<Problem> VerifyProblems(const Graph& g, const std::string& source);

// For a transform that rewrites `g`: throws ConfigError with the problems of `g` that are not among
// `before` (VerifyProblems of the graph it was given), so a rewrite bug is caught where it happens
// while a graph that was already incomplete (a test's partial graph) is left to its maker.
void VerifyRewrite(const Graph& g, const std::string& source, const std::vector<Problem>& before);

}  // namespace npusim::core
