// libFuzzer target: the ONNX importer (importer::ImportOnnxModel) on arbitrary bytes, and the same
// bytes read as a serialized TensorProto (importer::LoadOnnxTensor, ONNX's test-data .pb files).
// Importing must succeed or throw core::ConfigError.
#include <onnx/onnx_pb.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "frontends/onnx/onnx_import.h"
#include "fuzz/fuzz_support.h"
#include "support/error.h"

namespace {}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const npusim::fuzz::ScratchDir dir;
  const std::string path = dir.Write("m.onnx", std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    npusim::importer::ImportOnnxModel(path, {});
  } catch (const npusim::core::ConfigError&) {
  }
  try {
    npusim::importer::LoadOnnxTensor(path);
  } catch (const npusim::core::ConfigError&) {
  }
  return 0;
}
