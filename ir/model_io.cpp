#include "ir/model_io.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "ir/graph.h"
#include "ir/net_loader.h"
#include "support/atomic_file.h"
#include "support/error.h"
#include "support/json_util.h"
#include "support/npy.h"

namespace npusim::core {
namespace {

bool IsIdentity(const std::vector<int>& perm) {
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<int>(i)) return false;
  }
  return true;
}

// Why an input file of shape `got` does not fit `m`: the model's shape, and the IR's where it
// differs (said outright when the file has the IR's).
std::string ShapeMismatch(const ModelTensor& m, const std::vector<int64_t>& got) {
  const std::vector<int64_t> ir = IrShape(m);
  const bool nchw = m.perm == NchwToNhwcPerm(4);
  std::string s =
      "expected shape " + ShapeString(m.shape) + " (input \"" + m.name + "\" as the model declares it";
  if (ir == m.shape) return s + "), got " + ShapeString(got);
  s += nchw ? ", NCHW" : "";
  if (got == ir) {
    return s + "), got " + ShapeString(got) + ", which is npusim's internal " + (nchw ? "NHWC " : "") +
           "order of it: give the model's own layout (the host reorders it for the NPU)";
  }
  return s + "; npusim holds it as " + ShapeString(ir) + (nchw ? ", NHWC" : "") + "), got " +
         ShapeString(got);
}

// "_" for each character of `name` outside A-Z a-z 0-9 _ . - (a UTF-8 sequence is one
// character) and for a leading "." or "-"; above 200 bytes shortened with a hash
// (ShortFileStem); "output" when empty.
std::string FileStem(const std::string& name) {
  std::string s;
  for (unsigned char c : name) {
    if (c >= 0x80 && c < 0xC0) continue;  // a UTF-8 continuation byte: its lead byte gave the "_"
    const bool ok = std::isalnum(c) || c == '_' || c == '.' || c == '-';
    s += ok && c < 0x80 ? static_cast<char>(c) : '_';
  }
  if (!s.empty() && (s[0] == '.' || s[0] == '-')) s[0] = '_';
  return s.empty() ? "output" : ShortFileStem(s);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

const std::vector<std::string>& ModelDtypes() {
  static const std::vector<std::string> dtypes = {"float32", "uint8", "int8", "uint16", "int16", "int32"};
  return dtypes;
}

std::string IntegerDtype(const TensorInfo& t) { return NpyDtypeFor(t.bits, t.is_signed); }

std::vector<int> NchwToNhwcPerm(size_t rank) {
  if (rank == 4) return {0, 2, 3, 1};
  std::vector<int> p(rank);
  for (size_t i = 0; i < rank; ++i) p[i] = static_cast<int>(i);
  return p;
}

std::vector<int64_t> IrShape(const ModelTensor& m) {
  std::vector<int64_t> s(m.perm.size());
  for (size_t i = 0; i < m.perm.size(); ++i) s[i] = m.shape[m.perm[i]];
  return s;
}

std::vector<int32_t> Permute(const std::vector<int32_t>& in, const std::vector<int64_t>& in_shape,
                             const std::vector<int>& perm) {
  if (IsIdentity(perm)) return in;
  const size_t rank = in_shape.size();
  std::vector<int64_t> in_strides(rank, 1), out_shape(rank);
  for (size_t d = rank; d-- > 1;) in_strides[d - 1] = in_strides[d] * in_shape[d];
  for (size_t k = 0; k < rank; ++k) out_shape[k] = in_shape[perm[k]];
  std::vector<int32_t> out(in.size());
  std::vector<int64_t> idx(rank, 0);  // index in the output shape
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t src = 0;
    for (size_t k = 0; k < rank; ++k) src += idx[k] * in_strides[perm[k]];
    out[i] = in[src];
    for (size_t k = rank; k-- > 0;) {
      if (++idx[k] < out_shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

std::vector<int32_t> ToIrOrder(const ModelTensor& m, const std::vector<int32_t>& model_values) {
  return Permute(model_values, m.shape, m.perm);
}

std::vector<int32_t> ToModelOrder(const ModelTensor& m, const std::vector<int32_t>& ir_values) {
  std::vector<int> inverse(m.perm.size());
  for (size_t k = 0; k < m.perm.size(); ++k) inverse[m.perm[k]] = static_cast<int>(k);
  return Permute(ir_values, IrShape(m), inverse);
}

std::vector<int32_t> LoadModelInput(const std::string& path, const ModelTensor& m, const TensorInfo& t) {
  NpyArray a = LoadNpy(path);
  if (a.shape != m.shape) throw ConfigError(path, "", ShapeMismatch(m, a.shape));
  const bool is_float = a.dtype == "float32";
  if (m.real() != is_float) {
    throw ConfigError(path, "",
                      "expected " + std::string(m.real() ? "float32 values" : "integer values") +
                          " (input \"" + m.name + "\" is " + m.dtype + " in the model" +
                          (m.real() ? ", which the host quantizes as QuantizeLinear does" : "") + "), got " +
                          a.dtype);
  }
  return ToIrOrder(m, InputValues(path, std::move(a), t));
}

std::vector<float> Dequantize(const std::vector<int32_t>& q, float scale, int32_t zero_point) {
  std::vector<float> r(q.size());
  for (size_t i = 0; i < q.size(); ++i) r[i] = static_cast<float>(q[i] - zero_point) * scale;
  return r;
}

std::string EncodeModelOutput(const std::string& path, const ModelTensor& m, const TensorInfo& t,
                              const std::vector<int32_t>& ir_values) {
  std::vector<int32_t> values = ToModelOrder(m, ir_values);
  if (!m.real()) return EncodeNpy(path, m.shape, values, t.bits, t.is_signed);
  return EncodeNpyFloat32(path, m.shape, Dequantize(values, t.quant.scale(0), t.quant.zero_point(0)));
}

std::vector<std::string> ModelOutputFiles(const std::vector<ModelTensor>& outputs) {
  std::vector<std::string> files;
  std::set<std::string> taken;  // lower case
  for (const ModelTensor& m : outputs) {
    const std::string stem = FileStem(m.name);
    std::string name = stem;
    for (int k = 2; !taken.insert(Lower(name)).second; ++k) name = stem + "_" + std::to_string(k);
    files.push_back(name + ".npy");
  }
  return files;
}

}  // namespace npusim::core
