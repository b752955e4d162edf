// Builds small ONNX models in C++ for the importer tests (no Python needed).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace npusim::importer::testing {

constexpr int kU8 = onnx::TensorProto::UINT8;
constexpr int kI8 = onnx::TensorProto::INT8;
constexpr int kI32 = onnx::TensorProto::INT32;
constexpr int kI64 = onnx::TensorProto::INT64;
constexpr int kF32 = onnx::TensorProto::FLOAT;

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int64_t opset = 13) {
    model_.set_ir_version(7);
    auto* o = model_.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    auto* ms = model_.add_opset_import();
    ms->set_domain("com.microsoft");
    ms->set_version(1);
    model_.mutable_graph()->set_name("built");
  }

  void Input(const std::string& name, int type, const std::vector<int64_t>& dims) {
    Describe(model_.mutable_graph()->add_input(), name, type, dims);
  }
  void Output(const std::string& name, int type) {
    Describe(model_.mutable_graph()->add_output(), name, type, {});
  }

  // An initializer of an integer type (raw_data, little-endian) or float32.
  void Ints(const std::string& name, int type, const std::vector<int64_t>& dims,
            const std::vector<int64_t>& v) {
    onnx::TensorProto* t = Init(name, type, dims);
    std::string raw;
    const int bytes = type == kI64 ? 8 : type == kI32 ? 4 : 1;
    for (int64_t x : v) {
      for (int b = 0; b < bytes; ++b)
        raw.push_back(static_cast<char>((static_cast<uint64_t>(x) >> (8 * b)) & 0xff));
    }
    t->set_raw_data(raw);
  }
  void Floats(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v) {
    onnx::TensorProto* t = Init(name, kF32, dims);
    for (float f : v) t->add_float_data(f);
  }
  // Scalar scale and zero point named <prefix>_scale, <prefix>_zp.
  void Quant(const std::string& prefix, float scale, int type, int64_t zp) {
    Floats(prefix + "_scale", {}, {scale});
    Ints(prefix + "_zp", type, {}, {zp});
  }

  onnx::NodeProto* Node(const std::string& op, const std::vector<std::string>& in,
                        const std::vector<std::string>& out, const std::string& name = "",
                        const std::string& domain = "") {
    onnx::NodeProto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name);
    n->set_domain(domain);
    for (const auto& s : in) n->add_input(s);
    for (const auto& s : out) n->add_output(s);
    return n;
  }
  static void Attr(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void Attr(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void Attr(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }

  onnx::ModelProto& model() { return model_; }

  std::string Save(const std::string& path) const {
    std::ofstream out(path, std::ios::binary);
    model_.SerializeToOstream(&out);
    return path;
  }

 private:
  static void Describe(onnx::ValueInfoProto* v, const std::string& name, int type,
                       const std::vector<int64_t>& dims) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(type);
    auto* shape = tt->mutable_shape();
    for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
  }
  onnx::TensorProto* Init(const std::string& name, int type, const std::vector<int64_t>& dims) {
    onnx::TensorProto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (int64_t d : dims) t->add_dims(d);
    return t;
  }

  onnx::ModelProto model_;
};

}  // namespace npusim::importer::testing
