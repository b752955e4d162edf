// The per-op rules of the graph IR, stated once: the operands' roles (activation, constant weight,
// bias, table, accumulator output) and the shape and quantization rules that give each op's
// output shape. Two callers say where a problem is in their own terms: the network loader
// (ir/net_read_ops.cpp, ir/net_read_shapes.cpp: JSON pointers) and the verifier (ir/verify.h: op
// names). Each rule reports through an OpRuleReport and never stops at the first problem of a graph.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace npusim::core {

// Resource limits (docs/formats.md "Limits").
constexpr int64_t kMaxTensorElements = (int64_t{1} << 31) - 1;  // per tensor
constexpr int64_t kMaxWindowDim = int64_t{1} << 16;             // bound for strides, pads, kernels, dilations
constexpr size_t kMaxConcatOperands = 64;
constexpr int kMaxLookupBits = 8;  // a table of 256 entries at most
inline const char* const kThirtyTwoBitRoles =
    "(32-bit tensors are biases and the int32 accumulator outputs of conv2d / fully_connected)";

// Where in an op a problem is.
struct OpSite {
  enum class Kind {
    kOp,           // the op as a whole
    kInput,        // inputs[index]
    kOutput,       // outputs[0]
    kAttribute,    // the attribute `attribute` (element `index` of it when index >= 0)
    kOutputShape,  // the output tensor's shape
  };
  Kind kind = Kind::kOp;
  int64_t index = -1;
  const char* attribute = "";
};

// What the caller knows about an operand beyond its TensorInfo.
struct OperandFacts {
  bool type_ok = false;      // bits and signedness are valid
  bool constant = false;     // has data
  bool is_input = false;     // a network input
  bool per_channel = false;  // more than one scale or zero point
};

class OpRuleReport {
 public:
  virtual ~OpRuleReport() = default;
  virtual void Add(const OpSite& where, const std::string& message) = 0;
  // The op as a message names it inside its text ("/ops/3" for the loader).
  virtual std::string OpRef() const = 0;
  virtual OperandFacts Facts(const std::string& tensor) const = 0;
  // The output shape its source states, or nullptr when the source leaves it to be inferred; then
  // InferredOutputShape receives the rule's shape.
  virtual const std::vector<int64_t>* GivenOutputShape() const = 0;
  virtual void InferredOutputShape(const std::vector<int64_t>& /*shape*/) {}
};

// The operands' roles of `op` (whose tensors all exist): true when every operand may play its role.
bool CheckOperandRoles(const Graph& g, const Op& op, OpRuleReport& report);

// The shape and quantization rules of `op`, whose operands have valid shapes, roles and
// attributes (strides, dilations and kernels >= 1, pads >= 0, groups >= 1, axis >= 0). `kind`
// names the op in messages ("conv2d", or the source's spelling such as "matmul").
void CheckOpShape(const Graph& g, const Op& op, const std::string& kind, OpRuleReport& report);

// Tensor names become file names (outputs/<name>.npy): non-empty, of A-Z a-z 0-9 _ . : - only.
bool IsTensorName(const std::string& s);

// Messages shared by the loader and the verifier.
std::string TypeString(const TensorInfo& t);   // "signed 8-bit"
std::string QuantString(const TensorInfo& t);  // type, scale and zero point
bool SameQuant(const TensorInfo& a, const TensorInfo& b);
// "" if every value of t is representable, else a description of the offenders and the first.
std::string RangeViolation(const std::vector<int32_t>& values, const TensorInfo& t);

}  // namespace npusim::core
