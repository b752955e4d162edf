// Internal to importer/: decoding TensorProtos and reordering layouts.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "importer/onnx_import.h"

namespace npusim::importer {

// Decodes integer (u)int8/16, int32, int64 (values must fit int32) and float32 tensors, from
// raw_data (little-endian) or the typed fields. Returns "" on success, else what is wrong.
std::string DecodeTensor(const onnx::TensorProto& t, OnnxTensor* out);

// "uint8", "int8", "float32", ... or "type N".
std::string ElemTypeName(int elem_type);

// Row-major reorder: out[i] (in the permuted shape, dim k = in_shape[perm[k]]) = in[j].
std::vector<int32_t> Permute(const std::vector<int32_t>& in, const std::vector<int64_t>& in_shape,
                             const std::vector<int>& perm);

}  // namespace npusim::importer
