// TensorProto decoding, .pb tensor files, and layout reordering.
#include "frontends/onnx/onnx_tensor.h"
#include <algorithm>

#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "support/error.h"

namespace npusim::importer {
namespace {

using onnx::TensorProto;

int ElemBytes(int t) {
  switch (t) {
    case TensorProto::UINT8:
    case TensorProto::INT8: return 1;
    case TensorProto::UINT16:
    case TensorProto::INT16: return 2;
    case TensorProto::INT32:
    case TensorProto::FLOAT: return 4;
    case TensorProto::INT64: return 8;
    default: return 0;
  }
}

// Little-endian element `i` of raw bytes as int64 (integer types only).
int64_t RawInt(const std::string& raw, int64_t i, int t) {
  const int n = ElemBytes(t);
  uint64_t u = 0;
  for (int b = 0; b < n; ++b) u |= uint64_t{static_cast<uint8_t>(raw[i * n + b])} << (8 * b);
  switch (t) {
    case TensorProto::INT8: return static_cast<int8_t>(u);
    case TensorProto::INT16: return static_cast<int16_t>(u);
    case TensorProto::INT32: return static_cast<int32_t>(u);
    case TensorProto::INT64: return static_cast<int64_t>(u);
    default: return static_cast<int64_t>(u);  // unsigned types
  }
}

std::string DecodeInts(const TensorProto& t, int64_t n, OnnxTensor* out) {
  const int type = t.data_type();
  std::vector<int64_t> v;
  // Reserve only what the data really holds (the dims may announce more; that is reported below).
  const int64_t held = !t.raw_data().empty()        ? n
                       : type == TensorProto::INT64 ? t.int64_data_size()
                                                    : t.int32_data_size();
  v.reserve(std::min(n, held));
  if (!t.raw_data().empty()) {
    for (int64_t i = 0; i < n; ++i) v.push_back(RawInt(t.raw_data(), i, type));
  } else if (type == TensorProto::INT64) {
    v.assign(t.int64_data().begin(), t.int64_data().end());
  } else {
    v.assign(t.int32_data().begin(), t.int32_data().end());
  }
  if (static_cast<int64_t>(v.size()) != n) {
    return "holds " + std::to_string(v.size()) + " values, its dims announce " + std::to_string(n);
  }
  out->int_values.reserve(v.size());
  for (int64_t x : v) {
    if (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max()) {
      return "holds the value " + std::to_string(x) + ", outside int32";
    }
    out->int_values.push_back(static_cast<int32_t>(x));
  }
  return "";
}

std::string DecodeFloats(const TensorProto& t, int64_t n, OnnxTensor* out) {
  if (!t.raw_data().empty()) {
    out->float_values.resize(n);
    std::memcpy(out->float_values.data(), t.raw_data().data(), n * sizeof(float));  // little-endian host
  } else {
    out->float_values.assign(t.float_data().begin(), t.float_data().end());
  }
  if (static_cast<int64_t>(out->float_values.size()) != n) {
    return "holds " + std::to_string(out->float_values.size()) + " values, its dims announce " +
           std::to_string(n);
  }
  return "";
}

}  // namespace

int64_t OnnxTensor::elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::string ElemTypeName(int t) {
  switch (t) {
    case TensorProto::FLOAT: return "float32";
    case TensorProto::UINT8: return "uint8";
    case TensorProto::INT8: return "int8";
    case TensorProto::UINT16: return "uint16";
    case TensorProto::INT16: return "int16";
    case TensorProto::INT32: return "int32";
    case TensorProto::INT64: return "int64";
    case TensorProto::FLOAT16: return "float16";
    case TensorProto::DOUBLE: return "float64";
    case TensorProto::BOOL: return "bool";
    default: return "type " + std::to_string(t);
  }
}

std::string DecodeTensor(const TensorProto& t, OnnxTensor* out) {
  *out = OnnxTensor{};
  out->name = t.name();
  out->elem_type = t.data_type();
  out->dims.assign(t.dims().begin(), t.dims().end());
  if (t.data_location() == TensorProto::EXTERNAL) return "keeps its data in an external file (not supported)";
  // The same limit as the network format's tensors: at most 2^31 - 1 elements (docs/formats.md).
  const int64_t kMaxElements = std::numeric_limits<int32_t>::max();
  int64_t n = 1;
  for (int64_t d : out->dims) {
    if (d < 0 || d > kMaxElements) return "has a bad dimension " + std::to_string(d);
    if (d != 0 && n > kMaxElements / d) {
      return "has more than " + std::to_string(kMaxElements) + " elements (dims multiply past the limit)";
    }
    n *= d;
  }
  const int bytes = ElemBytes(t.data_type());
  if (bytes == 0)
    return "has element type " + ElemTypeName(t.data_type()) + " (expected an integer type or float32)";
  if (!t.raw_data().empty() && static_cast<int64_t>(t.raw_data().size()) != n * bytes) {
    return "has " + std::to_string(t.raw_data().size()) + " raw bytes, its dims announce " +
           std::to_string(n * bytes);
  }
  return t.data_type() == TensorProto::FLOAT ? DecodeFloats(t, n, out) : DecodeInts(t, n, out);
}

OnnxTensor LoadOnnxTensor(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::ConfigError(path, "", "cannot open the file");
  std::stringstream buf;
  buf << in.rdbuf();
  TensorProto t;
  if (!t.ParseFromString(buf.str())) throw core::ConfigError(path, "", "not a serialized onnx.TensorProto");
  OnnxTensor out;
  const std::string err = DecodeTensor(t, &out);
  if (!err.empty()) throw core::ConfigError(path, "", "tensor \"" + t.name() + "\" " + err);
  return out;
}

}  // namespace npusim::importer
