// Internal to importer/: the ops the importer accepts, one row per (domain, op type), each with
// everything the importer does for that op: which inputs must be constants and which activations,
// the attribute checks run before any conversion, the quantization the op declares for its
// activations, and its shape rule and converter (importer/ops_*.cpp).
//
// Add an op: write its shape rule and converter in the ops_*.cpp of its family (declared in
// ops.h), then add its row to SupportedOps() in op_table.cpp. Nothing else dispatches on op types.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "frontends/onnx/import_context.h"
#include "frontends/onnx/ops.h"
#include "ir/graph.h"

namespace npusim::importer {

// Pointers to the functions of ops.h.
using ShapeRule = ShapeRuleFn*;
using Converter = ConverterFn*;
using AttributeCheck = AttributeCheckFn*;

// The quantization a node states for one of its values: value input `value` (-1: the output) is
// quantized by the scale input `scale` and the zero-point input `zero_point`.
struct QuantDecl {
  int value, scale, zero_point;
};

// Inputs beyond the fixed ones: Concat's are all activations; QLinearConcat's are (X, X_scale,
// X_zero_point) triples after Y_scale and Y_zero_point.
enum class Variadic { kNone, kActivations, kTriples };

// What the importer accepts of one op and how it converts it.
struct OpSpec {
  std::string domain, op;
  int min_inputs, max_inputs;
  std::vector<int> const_inputs, act_inputs;
  std::vector<int> optional_inputs;  // may be absent or ""
  std::vector<QuantDecl> declares;   // in order; conflicts name the first declarer
  AttributeCheck check_attributes;   // nullptr: no attribute checks
  ShapeRule shape;                   // nullptr (with convert): folded into the constants up front
  Converter convert;
  Variadic variadic = Variadic::kNone;
  // The op moves quantized data as it is: input and output share one quantization.
  bool keeps_quant = false;
  // Identity: an alias of its input (no IR op) unless its output is a graph output.
  bool alias_unless_output = false;
};

const std::vector<OpSpec>& SupportedOps();
const OpSpec* FindSpec(const onnx::NodeProto& n);

// The constant and the activation inputs of `n`: the spec's, with every further input of a
// variadic op.
std::pair<std::vector<int>, std::vector<int>> InputRoles(const onnx::NodeProto& n, const OpSpec& spec);

// Everything that can be decided about `n` without shapes (input count and roles, outputs,
// attributes); `is_constant` tells which names are constants.
std::vector<std::string> StaticIssues(const onnx::NodeProto& n, const OpSpec& spec,
                                      const std::function<bool(const std::string&)>& is_constant);

}  // namespace npusim::importer
