// `npusim prune --arch A --net N --method simd|node|unstructured|n:m|N:M --sparsity S
//  [--per-layer FILE] [--norm l1|l2] -o P.json [--weights-dir DIR]`: writes a pruned network
// (compiler/transforms/prune.h) with the network writer. The arch decides what pays (Scalpel's point):
//   simd          needs a sparse_array whose formats include simd_groups; its groups are the
//                 unit's simd_width;
//   unstructured  needs a sparse_array whose formats include csr;
//   n:m (2:4), N:M  the same (one index per kept weight);
//   node          any unit (the shapes shrink).
// A method the arch's unit cannot exploit is refused (exit 2, naming the arch file and the unit's
// type or formats), rather than run dense: the pruned network would lose accuracy for nothing
// there. A network pruned for one arch runs unchanged (at dense speed) on any other.
// --sparsity is the fraction removed per layer (groups, weights or output channels); --per-layer
// FILE is a JSON object {"LAYER": sparsity} that overrides it for the layers it names (0 leaves a
// layer whole; for N:M, 0 leaves a layer out and any other value is ignored).
#include <filesystem>
#include <iomanip>
#include <iostream>

#include <boost/program_options.hpp>

#include "app/app.h"
#include "app/commands.h"
#include "compiler/transforms/prune.h"
#include "config/arch.h"
#include "frontends/load.h"
#include "ir/net_loader.h"
#include "ir/net_writer.h"
#include "support/error.h"
#include "support/json_util.h"

namespace npusim::app {
namespace {

namespace po = boost::program_options;

const char* kPruneUsage =
    "usage: npusim prune --arch A.json --net N.json --method simd|node|unstructured|n:m|N:M --sparsity S\n"
    "                    [--per-layer FILE] [--norm l1|l2] -o PRUNED.json [--weights-dir DIR]\n";

struct Method {
  std::string name;  // simd, node, unstructured, nm
  int n = 2, m = 4;
};

Method ParseMethod(const std::string& s) {
  if (s == "simd" || s == "node" || s == "unstructured") return {s};
  if (s == "n:m") return {"nm"};
  const size_t colon = s.find(':');
  try {
    size_t a = 0, b = 0;
    if (colon != std::string::npos && colon > 0) {
      const int n = std::stoi(s.substr(0, colon), &a);
      const int m = std::stoi(s.substr(colon + 1), &b);
      if (a == colon && b == s.size() - colon - 1 && n >= 1 && n < m && m <= 64) return {"nm", n, m};
    }
  } catch (const std::exception&) {
  }
  throw po::error(
      "--method: expected simd, node, unstructured, n:m (2:4) or N:M with 1 <= N < M <= 64, got \"" + s +
      "\"");
}

// Refuses a method the arch's matrix unit cannot exploit (see the file comment).
void CheckExploitable(const core::ArchConfig& arch, const Method& m) {
  if (m.name == "node") return;
  const core::UnitConfig* u = arch.MatrixUnit();
  size_t index = 0;
  while (&arch.units[index] != u) ++index;
  const std::string where = "/units/" + std::to_string(index);
  const std::string method = m.name == "nm" ? std::to_string(m.n) + ":" + std::to_string(m.m) : m.name;
  const core::WeightFormat needed =
      m.name == "simd" ? core::WeightFormat::kSimdGroups : core::WeightFormat::kCsr;
  const std::string format = core::WeightFormatName(needed);
  const core::WeightStorage storage = core::UnitKindOf(*u).Storage(*u);
  if (!storage.compressed()) {
    throw core::ConfigError(
        arch.file, where + "/type",
        "unit \"" + u->name + "\" is a " + u->type + ", which runs pruned weights at dense cost: method " +
            method + " needs a sparse_array with \"" + format +
            "\" in its formats (node pruning "
            "shrinks shapes on any unit; a network pruned for a sparse arch runs unchanged, at "
            "dense speed, here)");
  }
  if (!storage.runs(needed)) {
    throw core::ConfigError(arch.file, where + "/formats",
                            "unit \"" + u->name + "\" cannot skip what method " + method +
                                " removes: it needs \"" + format + "\" in its formats");
  }
}

void CheckSparsity(double s, const std::string& what) {
  if (!(s >= 0.0 && s < 1.0)) {
    std::ostringstream v;
    v << s;
    throw po::error(what + ": expected a sparsity in [0, 1), got " + v.str());
  }
}

// {"LAYER": sparsity} for layers of `g`, each in [0, 1).
std::map<std::string, double> ReadPerLayer(const std::string& path, const core::Graph& g) {
  const core::Json doc = core::ReadJsonFile(path);
  core::ProblemList problems(path);
  std::map<std::string, double> out;
  if (!doc.is_object())
    problems.Add("", "expected an object {\"LAYER\": sparsity}, got " + core::Describe(doc));
  const std::vector<std::string> layers = compiler::ConvLayers(g);
  for (auto it = doc.is_object() ? doc.begin() : doc.end(); it != doc.end(); ++it) {
    const std::string p = core::Pointer("", it.key());
    if (std::find(layers.begin(), layers.end(), it.key()) == layers.end()) {
      problems.Add(p, "expected the name of a conv2d or fully_connected layer of the network, got \"" +
                          it.key() + "\"");
    } else if (!it.value().is_number() ||
               !(it.value().get<double>() >= 0.0 && it.value().get<double>() < 1.0)) {
      problems.Add(p, "expected a sparsity in [0, 1), got " + core::Describe(it.value()));
    } else {
      out[it.key()] = it.value().get<double>();
    }
  }
  problems.ThrowIfAny();
  return out;
}

std::vector<compiler::PruneLayerResult> Prune(core::Graph& g, const core::ArchConfig& arch, const Method& m,
                                              const std::map<std::string, double>& sparsity,
                                              compiler::ChannelNorm norm, const std::string& net_file) {
  if (m.name == "simd") {
    const core::UnitConfig& u = *arch.MatrixUnit();
    return compiler::PruneSimdGroups(g, core::UnitKindOf(u).Storage(u).group_width, sparsity);
  }
  if (m.name == "unstructured") return compiler::PruneUnstructured(g, sparsity);
  if (m.name == "nm") {
    std::vector<std::string> layers;
    for (const auto& [layer, s] : sparsity) {
      if (s > 0) layers.push_back(layer);
    }
    return compiler::PruneNm(g, m.n, m.m, layers, net_file);
  }
  std::map<std::string, double> keep;
  for (const auto& [layer, s] : sparsity) keep[layer] = 1.0 - s;
  return compiler::PruneNodes(g, keep, norm);
}

void PrintSummary(const std::vector<compiler::PruneLayerResult>& results) {
  int64_t before = 0, after = 0, total = 0;
  std::cout << std::left << std::setw(24) << "layer" << std::right << std::setw(12) << "weights"
            << std::setw(12) << "nonzero" << std::setw(12) << "-> weights" << std::setw(12) << "nonzero"
            << "\n";
  for (const compiler::PruneLayerResult& r : results) {
    std::cout << std::left << std::setw(24) << r.layer << std::right << std::setw(12) << r.weights_before
              << std::setw(12) << r.nonzero_before << std::setw(12) << r.weights_after << std::setw(12)
              << r.nonzero_after << (r.note.empty() ? "" : "  (" + r.note + ")") << "\n";
    before += r.nonzero_before;
    after += r.nonzero_after;
    total += r.weights_before;
  }
  std::cout << "nonzero weights: " << before << " -> " << after << " of " << total << " (" << std::fixed
            << std::setprecision(1) << (before > 0 ? 100.0 * (before - after) / before : 0.0)
            << "% removed)\n";
}

}  // namespace

int PruneCommand(const std::vector<std::string>& args) {
  std::string arch_file, net_file, method_name, per_layer, norm_name = "l1", out, weights_dir;
  double sparsity = -1;
  po::options_description desc("options");
  // clang-format off
  desc.add_options()
      ("help,h", "show this help")
      ("arch", po::value<std::string>(&arch_file)->required(), "architecture JSON file (decides what pays)")
      ("net", po::value<std::string>(&net_file)->required(), "network JSON file or quantized ONNX model")
      ("method", po::value<std::string>(&method_name)->required(), "simd, node, unstructured, n:m (2:4) or N:M")
      ("sparsity", po::value<double>(&sparsity), "fraction removed per layer, in [0, 1) (not for N:M)")
      ("per-layer", po::value<std::string>(&per_layer), "JSON file {\"LAYER\": sparsity} overriding --sparsity")
      ("norm", po::value<std::string>(&norm_name), "node pruning: rank channels by l1 (default) or l2 norm")
      ("output,o", po::value<std::string>(&out)->required(), "pruned network JSON file to write")
      ("weights-dir", po::value<std::string>(&weights_dir), "directory for its .npy files (default: OUT_weights/)");
  // clang-format on
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << kPruneUsage << desc;
    return kExitOk;
  }
  po::notify(vm);
  const Method method = ParseMethod(method_name);
  if (method.name != "nm" && !vm.count("sparsity"))
    throw po::error("--sparsity is required for method " + method_name);
  if (vm.count("sparsity")) CheckSparsity(sparsity, "--sparsity");
  if (norm_name != "l1" && norm_name != "l2")
    throw po::error("--norm: expected l1 or l2, got \"" + norm_name + "\"");
  const core::ArchConfig arch = core::LoadArch(arch_file);
  CheckExploitable(arch, method);
  core::Graph g = frontends::LoadNetworkFile(net_file);
  std::map<std::string, double> layers;
  for (const std::string& l : compiler::ConvLayers(g)) layers[l] = method.name == "nm" ? 0.5 : sparsity;
  if (!per_layer.empty()) {
    for (const auto& [layer, s] : ReadPerLayer(per_layer, g)) layers[layer] = s;
  }
  const auto results =
      Prune(g, arch, method, layers,
            norm_name == "l2" ? compiler::ChannelNorm::kL2 : compiler::ChannelNorm::kL1, net_file);
  if (weights_dir.empty()) {
    std::filesystem::path p(out);
    weights_dir = (p.parent_path() / (p.stem().string() + "_weights")).string();
  }
  std::filesystem::create_directories(weights_dir);
  core::SaveNetwork(g, out, weights_dir);
  PrintSummary(results);
  std::cout << "pruned " << net_file << " (" << method_name << ") for " << arch.file << " -> " << out
            << " (weights in " << weights_dir << ")\n";
  return kExitOk;
}

}  // namespace npusim::app
