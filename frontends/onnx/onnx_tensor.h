// Internal to importer/: decoding TensorProtos.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "frontends/onnx/onnx_import.h"
#include "ir/model_io.h"

namespace npusim::importer {

// Decodes integer (u)int8/16, int32, int64 (values must fit int32) and float32 tensors, from
// raw_data (little-endian) or the typed fields. Returns "" on success, else what is wrong.
std::string DecodeTensor(const onnx::TensorProto& t, OnnxTensor* out);

// "uint8", "int8", "float32", ... or "type N".
std::string ElemTypeName(int elem_type);

using core::Permute;  // weights OIHW -> OHWI, [K, N] -> [N, K]

}  // namespace npusim::importer
