// The weight-store policy (compiler/passes/weight_store.h): the unit's kind decides which stores a
// layer may use; the chosen store is the one the compiled program reports, and its StoredBytes is
// what the program really places in DRAM for the layer's weights.
#include "compiler/passes/weight_store.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "compiler/compiler.h"
#include "compiler/transforms/prune.h"
#include "config/arch.h"
#include "config/unit_kind_sparse.h"
#include "ir/net_loader.h"

namespace npusim::compiler {
namespace {

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

// For every conv/FC layer: the store ChooseWeightStore picks on a context set up as Compile sets
// it up has the format the compiled program reports, and StoredBytes equals its weight bytes.
// Returns the formats seen.
std::map<std::string, int> ExpectStoresMatchTheProgram(const core::ArchConfig& arch, const core::Graph& g) {
  const isa::Program p = Compile(g, arch, "net.json");
  Context ctx;
  ctx.graph = &g;
  ctx.arch = &arch;
  ctx.net_file = "net.json";
  Legalize(ctx);
  AllocateDram(ctx);
  SetUpBuffers(ctx);
  const core::UnitConfig& u = *arch.MatrixUnit();
  const bool compressed = core::UnitKindOf(u).Storage(u).compressed();
  std::map<std::string, int> formats;
  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    const core::OpType type = g.ops[i].type;
    if (type != core::OpType::kConv2d && type != core::OpType::kFullyConnected) continue;
    const ConvView v = MakeConvView(g, i);
    ConvTiling t;
    const std::unique_ptr<WeightStore> store = ChooseWeightStore(ctx, v, &t);
    EXPECT_EQ(store->name(), p.layers[i].weight_format) << g.ops[i].name;
    EXPECT_EQ(store->StoredBytes(t), p.layers[i].weight_bytes) << g.ops[i].name;
    EXPECT_EQ(store->StoresTiles(), store->name() != "dense" || compressed) << g.ops[i].name;
    ++formats[store->name()];
  }
  return formats;
}

TEST(WeightStore, DenseUnitsLoadTilesFromTheTensor) {
  const auto formats = ExpectStoresMatchTheProgram(core::LoadArch(Src("arch/dense_16x16.json")),
                                                   core::LoadNetwork(Src("workloads/mobilenet_v1_q8.json")));
  EXPECT_EQ(formats.size(), 1u);
  EXPECT_GT(formats.at("dense"), 0);
}

TEST(WeightStore, PackedWeightsAreStoredTileByTileAtTheirWidth) {
  const auto formats = ExpectStoresMatchTheProgram(core::LoadArch(Src("arch/unpu.json")),
                                                   core::LoadNetwork(Src("workloads/mobilenet_q4.json")));
  EXPECT_GT(formats.at("packed"), 0);
}

TEST(WeightStore, SparseArraysPickAFormatPerLayer) {
  const core::ArchConfig arch = core::LoadArch(Src("arch/scalpel_mcu.json"));
  core::Graph g = core::LoadNetwork(Src("workloads/small_resnet.json"));
  std::map<std::string, double> sparsity;
  for (const std::string& layer : ConvLayers(g)) sparsity[layer] = 0.75;
  PruneSimdGroups(g, arch.units[0].params<core::SparseConfig>().simd_width, sparsity);
  const auto formats = ExpectStoresMatchTheProgram(arch, g);
  EXPECT_EQ(formats.count("packed"), 0u);
  EXPECT_GT(formats.count("simd_groups") + formats.count("csr"), 0u);
}

}  // namespace
}  // namespace npusim::compiler
