// A network's inputs and outputs as the model it came from declares them, and the host's
// conversions between that contract and the IR tensors the simulated NPU reads and writes.
//
// An ONNX model says "input x: float32 [1, 3, 224, 224]; output y: float32 [1, 1000]". The IR runs
// the quantized tensors in NHWC. The importer records the model's side of each edge here
// (docs/onnx.md, "Inputs and outputs"), `npusim import` writes it as the network file's optional
// "model_io" block (docs/formats.md), and `npusim run` uses it to take the model's own input files
// and write the model's own output files. The conversions (transpose, QuantizeLinear of a float32
// input, DequantizeLinear of a float32 output) are the host's work, as a real NPU's driver does
// them; they are not simulated and cost no cycles.
//
// Typical use:
//   const ModelTensor& in = g.model_io->inputs[0];
//   std::vector<int32_t> x = LoadModelInput("x.npy", in, g.tensor(in.tensor));     // NCHW -> NHWC
//   std::string npy = EncodeModelOutput(path, out, g.tensor(out.tensor), ir_values);  // and back
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace npusim::core {

struct TensorInfo;

// One input or output edge of the model.
struct ModelTensor {
  std::string name;            // the model's name of it ("input.1", "logits/out")
  std::string tensor;          // the IR tensor: a network input (for inputs) or output (for outputs)
  std::vector<int64_t> shape;  // the model's shape, e.g. [1, C, H, W]
  // IR dimension i is model dimension perm[i]: {0, 2, 3, 1} for NCHW -> NHWC, identity otherwise.
  std::vector<int> perm;
  // The model's element type: the IR tensor's own (IntegerDtype: "uint8", "int8", ..., "int32"), or
  // "float32": a real edge, whose IR tensor holds the quantized values (the host quantizes such an
  // input as QuantizeLinear does and dequantizes such an output as DequantizeLinear does, with the
  // IR tensor's per-tensor scale and zero point).
  std::string dtype;
  bool real() const { return dtype == "float32"; }
};

// The model's edges in its own order. An output may be listed more than once (the same tensor
// twice, or a quantized tensor and its dequantized copy): each entry is written as a file.
struct ModelIo {
  std::vector<ModelTensor> inputs;
  std::vector<ModelTensor> outputs;
};

// The element types a ModelTensor may have, and the one of the IR tensor's own values (as its
// .npy files: NpyDtypeFor).
const std::vector<std::string>& ModelDtypes();
std::string IntegerDtype(const TensorInfo& t);

// {0, 2, 3, 1} for rank 4, the identity otherwise: ONNX's NCHW to the IR's NHWC.
std::vector<int> NchwToNhwcPerm(size_t rank);
// The IR shape of `m`: dimension i is m.shape[m.perm[i]].
std::vector<int64_t> IrShape(const ModelTensor& m);

// Row-major reorder of `in` (shape `in_shape`): output dimension k is input dimension perm[k].
std::vector<int32_t> Permute(const std::vector<int32_t>& in, const std::vector<int64_t>& in_shape,
                             const std::vector<int>& perm);

// Reorders row-major values from the model's layout to the IR's, and back.
std::vector<int32_t> ToIrOrder(const ModelTensor& m, const std::vector<int32_t>& model_values);
std::vector<int32_t> ToModelOrder(const ModelTensor& m, const std::vector<int32_t>& ir_values);

// Reads an input file given in the model's own terms: its shape must be m.shape and its dtype
// float32 for a real input (quantized as ONNX QuantizeLinear does), an integer dtype otherwise
// (each value in t's range). Returns the IR tensor's values in IR order. Throws ConfigError naming
// `path`; a wrong shape names the model's shape and the IR's (and says when the file has the IR's).
std::vector<int32_t> LoadModelInput(const std::string& path, const ModelTensor& m, const TensorInfo& t);

// ONNX DequantizeLinear of int32 values: float32(q - zero_point) * scale, in float32, the product
// rounded once (ONNX Runtime's arithmetic).
std::vector<float> Dequantize(const std::vector<int32_t>& q, float scale, int32_t zero_point);

// The .npy bytes of output `m` from its IR tensor's values (IR order): reordered to the model's
// layout, dequantized to float32 when m is real. `path` only names the file in messages.
std::string EncodeModelOutput(const std::string& path, const ModelTensor& m, const TensorInfo& t,
                              const std::vector<int32_t>& ir_values);

// The file names (with ".npy") of the outputs, in order: each name with every character other than
// A-Z a-z 0-9 _ . - replaced by "_" (one per UTF-8 character), a leading "." or "-" too (no hidden
// files, no option look-alikes, never "." or ".."), a stem above 200 bytes shortened to its first
// 100 bytes, "-" and 16 hex digits of its hash (core::ShortFileStem), "output" when empty; a name
// equal to an earlier one, ignoring case (case-insensitive file systems), gets "_2", "_3", ....
std::vector<std::string> ModelOutputFiles(const std::vector<ModelTensor>& outputs);

}  // namespace npusim::core
