// `npusim import model.onnx -o net.json [--weights-dir DIR]`: a quantized ONNX model (QOperator
// or QDQ form, docs/onnx.md) to a network file (docs/formats.md) plus one .npy file per constant.
// The file's "model_io" block keeps the model's input and output names, layouts and types, so
// that running it takes and gives the files a run of the .onnx does.
#include <filesystem>
#include <iostream>

#include <boost/program_options.hpp>

#include "app/app.h"
#include "app/commands.h"
#include "frontends/onnx/onnx_import.h"
#include "ir/net_writer.h"
#include "support/json_util.h"

namespace npusim::app {
namespace {

namespace po = boost::program_options;

const char* kImportUsage = "usage: npusim import MODEL.onnx -o NET.json [--weights-dir DIR]\n";

// "  input x: ONNX float32 [1, 3, 8, 8] -> npusim x_q [1, 8, 8, 3] (NCHW -> NHWC; quantized on the host)"
void PrintEdges(const std::string& what, const std::vector<core::ModelTensor>& edges, const core::Graph& g) {
  for (const core::ModelTensor& m : edges) {
    const bool nchw = m.perm == core::NchwToNhwcPerm(4);
    std::string notes = nchw ? "NCHW -> NHWC" : "";
    if (m.real())
      notes += std::string(notes.empty() ? "" : "; ") + (what == "input" ? "quantized" : "dequantized") +
               " on the host";
    std::cout << "  " << what << " " << m.name << ": ONNX " << m.dtype << " " << core::ShapeString(m.shape)
              << " -> npusim " << m.tensor << " " << core::ShapeString(g.tensor(m.tensor).shape)
              << (notes.empty() ? "" : " (" + notes + ")") << "\n";
  }
}

}  // namespace

int ImportCommand(const std::vector<std::string>& args) {
  std::string model, out, weights_dir;
  po::options_description desc("options");
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("model", po::value<std::string>(&model)->required(), "the ONNX model")
      ("output,o", po::value<std::string>(&out)->required(), "network JSON file to write")
      ("weights-dir", po::value<std::string>(&weights_dir),
       "directory for the constants' .npy files (default: beside the JSON file)");
  // clang-format on
  po::positional_options_description pos;
  pos.add("model", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << kImportUsage << desc;
    return kExitOk;
  }
  po::notify(vm);
  if (weights_dir.empty()) {
    weights_dir = std::filesystem::path(out).parent_path().string();
    if (weights_dir.empty()) weights_dir = ".";
  }
  const importer::OnnxModel m = importer::ImportOnnxModel(model, {});
  core::SaveNetwork(m.graph, out, weights_dir);
  std::cout << "imported " << model << ": " << m.graph.ops.size() << " ops -> " << out << " (constants in "
            << weights_dir << ")\n";
  PrintEdges("input", m.inputs(), m.graph);
  PrintEdges("output", m.outputs(), m.graph);
  return kExitOk;
}

}  // namespace npusim::app
