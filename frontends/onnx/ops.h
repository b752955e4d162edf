// Internal to importer/: the shape rules, converters and attribute checks of the op families, as
// the op table (op_table.cpp) names them.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "frontends/onnx/import_context.h"
#include "ir/graph.h"

namespace npusim::importer {

using Shape = std::optional<std::vector<int64_t>>;

// A shape rule: the ONNX output shape of node i, checked against its inputs and attributes;
// nullopt (reported) on a problem. May set the op's window attributes (kernel, strides, pads,
// dilations, groups).
using ShapeRuleFn = Shape(ImportContext& cx, int i, const onnx::NodeProto& n, core::Op* ir);
// A converter: fills `ir` (type, inputs, weights, output of ONNX shape `shape`); false (reported)
// on a problem.
using ConverterFn = bool(ImportContext& cx, int i, const onnx::NodeProto& n,
                         const std::vector<int64_t>& shape, core::Op* ir);
// An attribute check: adds what is wrong with the node's attributes (decided without shapes) to
// `issues`.
using AttributeCheckFn = void(const onnx::NodeProto& n, std::vector<std::string>* issues);

// ---- ops_conv.cpp: QLinearConv, ConvInteger; QLinearMatMul, QGemm, MatMulInteger ----
ShapeRuleFn ConvShape, MatMulShape;
ConverterFn ConvertConv, ConvertMatMul;
AttributeCheckFn CheckConvAttributes, CheckGemmAttributes;

// ---- ops_eltwise.cpp: QLinearAdd, QLinearMul, QLinearLeakyRelu and folded lookup chains ----
ShapeRuleFn AddShape, MulShape, LookupShape;
ConverterFn ConvertLookup;
// add (kType kAdd) or mul (kMul) of inputs 0 and 3
template <core::OpType kType>
bool ConvertBinary(ImportContext& cx, int i, const onnx::NodeProto& n, const std::vector<int64_t>& shape,
                   core::Op* ir);

// ---- ops_pool.cpp: MaxPool, QLinearAveragePool, QLinearGlobalAveragePool; kernel windows ----
ShapeRuleFn PoolShape, GlobalAvgPoolShape;
ConverterFn ConvertMaxPool, ConvertAvgPool, ConvertGlobalAvgPool;
AttributeCheckFn CheckMaxPoolAttributes, CheckAvgPoolAttributes, CheckGlobalAvgPoolAttributes;
// auto_pad is one of ONNX's four values (conv and pools).
AttributeCheckFn CheckAutoPad;
// Kernel window attributes (strides, dilations, pads, auto_pad) resolved to IR [top, left,
// bottom, right] pads on `ir`; false (reported) if they do not fit the input.
bool Window(ImportContext& cx, int i, const onnx::NodeProto& n, const std::vector<int64_t>& in_hw,
            const std::vector<int64_t>& kernel, core::Op* ir);

// ---- ops_shape.cpp: Concat, QLinearConcat; Reshape, Flatten, Identity; Constant ----
ShapeRuleFn ConcatShape, ReshapeShape;
ConverterFn ConvertConcat, ConvertReshape;
AttributeCheckFn CheckConstantAttributes;

}  // namespace npusim::importer
