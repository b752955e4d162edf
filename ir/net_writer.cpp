#include "ir/net_writer.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "ir/model_io_json.h"
#include "support/atomic_file.h"
#include "support/error.h"
#include "support/npy.h"

namespace npusim::core {
namespace {

namespace fs = std::filesystem;
using OrderedJson = nlohmann::ordered_json;

const char* ActivationName(Activation a) {
  switch (a) {
    case Activation::kRelu: return "relu";
    case Activation::kRelu6: return "relu6";
    case Activation::kNone: break;
  }
  return "none";
}

// One value as a number, several as a list (docs/formats.md "Scales", "Zero points").
template <typename T>
OrderedJson OneOrList(const std::vector<T>& v) {
  if (v.size() == 1) return OrderedJson(v[0]);
  return OrderedJson(v);
}

OrderedJson ScalesJson(const std::vector<float>& scales) {
  // A float32 widened to double prints with enough digits to round back to the same float32.
  std::vector<double> d(scales.begin(), scales.end());
  return OneOrList(d);
}

OrderedJson TensorJson(const TensorInfo& t, const std::string& data_ref) {
  OrderedJson j;
  j["shape"] = t.shape;
  j["bits"] = t.bits;
  j["signed"] = t.is_signed;
  if (t.bits != 32) {
    j["scale"] = ScalesJson(t.quant.scales);
    j["zero_point"] = OneOrList(t.quant.zero_points);
  }
  if (!data_ref.empty()) j["data"] = data_ref;
  return j;
}

OrderedJson OpJson(const Op& op) {
  OrderedJson j;
  j["name"] = op.name;
  j["op"] = OpTypeName(op.type);
  j["inputs"] = op.inputs;
  j["outputs"] = op.outputs;
  switch (op.type) {
    case OpType::kConv2d:
      j["stride"] = op.stride;
      j["pads"] = op.pads;
      j["dilation"] = op.dilation;
      j["groups"] = op.groups;
      j["activation"] = ActivationName(op.activation);
      if (op.fusion != FusionForce::kAuto) j["fusion"] = op.fusion == FusionForce::kNext ? "next" : "none";
      break;
    case OpType::kFullyConnected:
    case OpType::kAdd: j["activation"] = ActivationName(op.activation); break;
    case OpType::kMaxPool:
    case OpType::kAvgPool:
      j["kernel"] = op.kernel;
      j["stride"] = op.stride;
      j["pads"] = op.pads;
      if (op.type == OpType::kAvgPool) j["count_include_pad"] = op.count_include_pad;
      if (op.type == OpType::kAvgPool && op.float_accumulate) j["accumulate"] = "float32";
      break;
    case OpType::kConcat: j["axis"] = op.axis; break;
    case OpType::kMul:
    case OpType::kLookup:
    case OpType::kGlobalAvgPool:
    case OpType::kReshape: break;
  }
  return j;
}

// How the JSON names a data file: relative to the JSON's directory when below it.
std::string DataRef(const fs::path& npy, const fs::path& json_dir) {
  const fs::path abs = fs::absolute(npy).lexically_normal();
  const fs::path rel = abs.lexically_relative(fs::absolute(json_dir).lexically_normal());
  if (!rel.empty() && *rel.begin() != "..") return rel.generic_string();
  return abs.generic_string();
}

// The network file's JSON; stages each tensor's data as a .npy file in `files`.
OrderedJson NetworkJson(const Graph& g, const fs::path& json_dir, const std::string& weights_dir,
                        FileSet& files) {
  OrderedJson j;
  j["version"] = 1;
  j["name"] = g.name;
  j["layout"] = "NHWC";
  j["inputs"] = g.inputs;
  j["outputs"] = g.outputs;
  if (g.model_io) j["model_io"] = ModelIoJson(*g.model_io);
  j["tensors"] = OrderedJson::object();
  for (const auto& [name, t] : g.tensors) {
    std::string ref;
    if (t.data) {
      const fs::path npy = fs::path(weights_dir) / (ShortFileStem(name) + ".npy");
      files.Stage(npy.string(), EncodeNpy(npy.string(), t.shape, *t.data, t.bits, t.is_signed));
      ref = DataRef(npy, json_dir);
    }
    j["tensors"][name] = TensorJson(t, ref);
  }
  j["ops"] = OrderedJson::array();
  for (const Op& op : g.ops) j["ops"].push_back(OpJson(op));
  return j;
}

}  // namespace

void SaveNetwork(const Graph& g, const std::string& json_path, const std::string& weights_dir) {
  const fs::path json_dir = fs::path(json_path).parent_path();
  const fs::path wdir = weights_dir.empty() ? "." : weights_dir;
  std::error_code ec;
  const bool made = !fs::exists(wdir, ec);
  fs::create_directories(wdir, ec);
  if (ec) throw ConfigError(weights_dir, "", "cannot create the directory: " + ec.message());
  try {
    // Every weight file and the JSON are staged first and renamed into place together: a failure
    // on any of them leaves none behind (and no weights directory this call created).
    FileSet files;
    const OrderedJson j = NetworkJson(g, json_dir, weights_dir, files);
    files.Stage(json_path, j.dump(1) + "\n");
    files.Commit();
  } catch (...) {
    if (made) fs::remove(wdir, ec);  // only while empty
    throw;
  }
}

}  // namespace npusim::core
