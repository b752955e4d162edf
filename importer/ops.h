// Internal to importer/: the shape rules, converters and attribute checks of the op families, as
// the op table (op_table.cpp) names them. Types: op_table.h.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/graph.h"
#include "importer/import_context.h"

namespace npusim::importer {

using Shape = std::optional<std::vector<int64_t>>;

// ---- ops_conv.cpp: QLinearConv, ConvInteger; QLinearMatMul, QGemm, MatMulInteger ----
Shape ConvShape(ImportContext& cx, int i, const onnx::NodeProto& n, core::Op* ir);
bool ConvertConv(ImportContext& cx, int i, const onnx::NodeProto& n, const std::vector<int64_t>& shape,
                 core::Op* ir);
Shape MatMulShape(ImportContext& cx, int i, const onnx::NodeProto& n, core::Op* ir);
bool ConvertMatMul(ImportContext& cx, int i, const onnx::NodeProto& n, const std::vector<int64_t>& shape,
                   core::Op* ir);
void CheckConvAttributes(const onnx::NodeProto& n, std::vector<std::string>* issues);
void CheckGemmAttributes(const onnx::NodeProto& n, std::vector<std::string>* issues);

// ---- ops_eltwise.cpp: QLinearAdd, QLinearMul, QLinearLeakyRelu and folded lookup chains ----
Shape AddShape(ImportContext& cx, int i, const onnx::NodeProto& n, core::Op* ir);
Shape MulShape(ImportContext& cx, int i, const onnx::NodeProto& n, core::Op* ir);
// add (kType kAdd) or mul (kMul) of inputs 0 and 3
template <core::OpType kType>
bool ConvertBinary(ImportContext& cx, int i, const onnx::NodeProto& n, const std::vector<int64_t>& shape,
                   core::Op* ir);
Shape LookupShape(ImportContext& cx, int i, const onnx::NodeProto& n, core::Op* ir);
bool ConvertLookup(ImportContext& cx, int i, const onnx::NodeProto& n, const std::vector<int64_t>& shape,
                   core::Op* ir);

// ---- ops_pool.cpp: MaxPool, QLinearAveragePool, QLinearGlobalAveragePool; kernel windows ----
Shape PoolShape(ImportContext& cx, int i, const onnx::NodeProto& n, core::Op* ir);
bool ConvertMaxPool(ImportContext& cx, int i, const onnx::NodeProto& n, const std::vector<int64_t>& shape,
                    core::Op* ir);
bool ConvertAvgPool(ImportContext& cx, int i, const onnx::NodeProto& n, const std::vector<int64_t>& shape,
                    core::Op* ir);
Shape GlobalAvgPoolShape(ImportContext& cx, int i, const onnx::NodeProto& n, core::Op* ir);
bool ConvertGlobalAvgPool(ImportContext& cx, int i, const onnx::NodeProto& n,
                          const std::vector<int64_t>& shape, core::Op* ir);
void CheckMaxPoolAttributes(const onnx::NodeProto& n, std::vector<std::string>* issues);
void CheckAvgPoolAttributes(const onnx::NodeProto& n, std::vector<std::string>* issues);
void CheckGlobalAvgPoolAttributes(const onnx::NodeProto& n, std::vector<std::string>* issues);
// auto_pad is one of ONNX's four values (conv and pools).
void CheckAutoPad(const onnx::NodeProto& n, std::vector<std::string>* issues);
// Kernel window attributes (strides, dilations, pads, auto_pad) resolved to IR [top, left,
// bottom, right] pads on `ir`; false (reported) if they do not fit the input.
bool Window(ImportContext& cx, int i, const onnx::NodeProto& n, const std::vector<int64_t>& in_hw,
            const std::vector<int64_t>& kernel, core::Op* ir);

// ---- ops_shape.cpp: Concat, QLinearConcat; Reshape, Flatten, Identity; Constant ----
Shape ConcatShape(ImportContext& cx, int i, const onnx::NodeProto& n, core::Op* ir);
bool ConvertConcat(ImportContext& cx, int i, const onnx::NodeProto& n, const std::vector<int64_t>& shape,
                   core::Op* ir);
Shape ReshapeShape(ImportContext& cx, int i, const onnx::NodeProto& n, core::Op* ir);
bool ConvertReshape(ImportContext& cx, int i, const onnx::NodeProto& n, const std::vector<int64_t>& shape,
                    core::Op* ir);
void CheckConstantAttributes(const onnx::NodeProto& n, std::vector<std::string>* issues);

}  // namespace npusim::importer
