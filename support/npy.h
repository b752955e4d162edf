// NumPy .npy files of integer tensors: network data (docs/formats.md), `--input X.npy`, and the
// simulator's outputs (`outputs/<tensor>.npy`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace npusim::core {

struct NpyArray {
  std::vector<int64_t> shape;   // () for a scalar
  std::vector<int32_t> values;  // row-major (C order); empty for float32
  std::vector<float> floats;    // float32 arrays only
  std::string dtype;            // "int8", "uint8", "int16", "uint16", "int32", ..., "float32"
};

// Reads a .npy file (format versions 1.0, 2.0, 3.0; C order; little- or big-endian integer dtypes
// int8, uint8, int16, uint16, int32, and uint32/int64/uint64 whose values fit in int32; or
// float32, into `floats`). Throws ConfigError naming the file on a missing file, a malformed
// header, another dtype, a Fortran-order array, a size that disagrees with the header, or an
// integer outside int32.
NpyArray LoadNpy(const std::string& path);

// The smallest numpy dtype holding every value of a `bits`-bit tensor: int8/uint8 up to 8 bits,
// int16/uint16 up to 16, otherwise int32.
std::string NpyDtypeFor(int bits, bool is_signed);

// Writes `values` (row-major, prod(shape) of them, each within the bits/is_signed range) as a
// .npy 1.0 file of dtype NpyDtypeFor(bits, is_signed). The file appears complete or not at all
// (written to a temporary next to it and renamed). Throws ConfigError naming the file if it cannot be
// written, std::invalid_argument if the values do not match the shape or the type.
void SaveNpy(const std::string& path, const std::vector<int64_t>& shape, const std::vector<int32_t>& values,
             int bits, bool is_signed);

// The bytes SaveNpy writes (`path` only names the file in messages), for writers that stage
// several files together (core::FileSet).
std::string EncodeNpy(const std::string& path, const std::vector<int64_t>& shape,
                      const std::vector<int32_t>& values, int bits, bool is_signed);

// The bytes of a float32 .npy 1.0 file (the dequantized float outputs of an ONNX model's
// DequantizeLinear edges). Throws std::invalid_argument if the values do not match the shape.
std::string EncodeNpyFloat32(const std::string& path, const std::vector<int64_t>& shape,
                             const std::vector<float>& values);

}  // namespace npusim::core
