// Internal to importer/: reading NodeProto attributes and inputs.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace npusim::importer {

inline std::string Domain(const onnx::NodeProto& n) { return n.domain().empty() ? "ai.onnx" : n.domain(); }

inline const onnx::AttributeProto* FindAttr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

inline int64_t IntAttr(const onnx::NodeProto& n, const std::string& name, int64_t def) {
  const auto* a = FindAttr(n, name);
  return a ? a->i() : def;
}

inline float FloatAttr(const onnx::NodeProto& n, const std::string& name, float def) {
  const auto* a = FindAttr(n, name);
  return a ? a->f() : def;
}

inline std::vector<int64_t> IntsAttr(const onnx::NodeProto& n, const std::string& name,
                                     std::vector<int64_t> def) {
  const auto* a = FindAttr(n, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : def;
}

inline std::string StringAttr(const onnx::NodeProto& n, const std::string& name, const std::string& def) {
  const auto* a = FindAttr(n, name);
  return a ? a->s() : def;
}

// Optional inputs may be absent or given as "".
inline std::string Input(const onnx::NodeProto& n, int k) { return k < n.input_size() ? n.input(k) : ""; }
// The node's first output, "" when it has none (a malformed model must not crash the importer).
inline std::string Output0(const onnx::NodeProto& n) { return n.output_size() > 0 ? n.output(0) : ""; }

// A node with its index in the model's graph (error messages point at the original node).
struct IndexedNode {
  int index = 0;
  onnx::NodeProto node;
};

}  // namespace npusim::importer
