// frontends/load.h: a network file, ONNX or JSON, by its extension.
#include "frontends/load.h"

#include "frontends/onnx/onnx_import.h"
#include "ir/net_loader.h"

namespace npusim::frontends {

core::Graph LoadNetworkFile(const std::string& path) {
  const std::string ext = ".onnx";
  if (path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0) {
    return importer::ImportOnnxModel(path, {}).graph;
  }
  return core::LoadNetwork(path);
}

}  // namespace npusim::frontends
