// The compiler's mapping choice for a reconfigurable array (compiler/passes/map_reconfig.cpp),
// without simulation: the chosen configuration is the best of every candidate by the objective,
// forcing is honoured globally and per layer, the objective changes the choice where cycles and
// energy disagree, and impossible forcing is an error naming the layer.
#include <gtest/gtest.h>

#include <string>

#include "compiler/compiler.h"
#include "config/arch.h"
#include "ir/net_loader.h"
#include "isa/instruction.h"
#include "models/reconfigurable_array.h"
#include "models/timing/partition_timing.h"
#include "models/timing/unit_timing.h"
#include "support/error.h"
#include "tests/integration/harness.h"
#include "tests/integration/random_nets.h"

namespace npusim::testing {
namespace {

namespace timing = models::timing;

core::ArchConfig Sagar() { return core::LoadArch(SourcePath("tests/data/arch/sagar_128x128_pipe.json")); }

core::Graph MobileNet() { return core::LoadNetwork(SourcePath("workloads/mobilenet_v1_q8.json")); }

// Compute cycles of layer l's CONV instructions under `m`, as the unit times them.
int64_t LayerCycles(const core::UnitConfig& u, const isa::Program& p, int l, const timing::ArrayMapping& m) {
  int64_t c = 0;
  for (const isa::Instruction& in : p.instructions) {
    if (in.op != isa::Opcode::kConv || in.layer != l) continue;
    isa::ConvArgs a = in.conv();
    timing::SetMapping(m, &a);
    c += models::ReconfigurableArray::CyclesOf(u, a);
  }
  return c;
}

// MobileNetV1: every layer's choice is at least as fast as every monolithic dataflow and every
// candidate partition on the same instructions (reconfiguration aside), and never slower than
// the runner-up; the recorded estimates equal the unit's own timing of the emitted program.
TEST(ReconfigMapping, CyclesObjectivePicksTheFastestCandidate) {
  const core::ArchConfig arch = Sagar();
  const core::UnitConfig& u = arch.units[0];
  const core::Graph g = MobileNet();
  const isa::Program p = compiler::Compile(g, arch, "mobilenet");
  int conv_layers = 0, faster_than_monolithic = 0;
  timing::Partition prev;
  for (int l = 0; l < static_cast<int>(p.layers.size()); ++l) {
    const isa::LayerMapping& m = p.layers[l];
    if (m.mapping.empty()) continue;
    ++conv_layers;
    const isa::Instruction* first = nullptr;
    for (const isa::Instruction& in : p.instructions) {
      if (in.op == isa::Opcode::kConv && in.layer == l) {
        first = &in;
        break;
      }
    }
    ASSERT_NE(first, nullptr);
    const timing::ArrayMapping chosen = timing::MappingOf(u, first->conv());
    const bool changes =
        !(chosen.partition.pr == prev.pr && chosen.partition.pc == prev.pc &&
          chosen.partition.pm == prev.pm && chosen.partition.pn == prev.pn && chosen.partition.pk == prev.pk);
    const int64_t chosen_cycles = LayerCycles(u, p, l, chosen);
    const int64_t reconfig_cycles = u.params<core::ReconfigConfig>().reconfig_cycles;
    EXPECT_EQ(m.mapping_cycles, chosen_cycles + (changes ? reconfig_cycles : 0)) << m.name;
    for (const char* df : {"ws", "os", "is"}) {
      const int64_t mono = LayerCycles(u, p, l, {timing::Partition{}, timing::FindDataflow(df)});
      EXPECT_LE(m.mapping_cycles, mono + (prev.monolithic() ? 0 : reconfig_cycles)) << m.name << " " << df;
      EXPECT_LE(m.monolithic_cycles, mono) << m.name;
    }
    EXPECT_GE(m.runner_up_cycles, m.mapping_cycles) << m.name;
    EXPECT_GT(m.candidates, 100) << m.name;
    if (m.mapping_cycles < m.monolithic_cycles) ++faster_than_monolithic;
    EXPECT_GT(m.mapping_efficiency, 0.0);
    EXPECT_LE(m.mapping_efficiency, 1.0);
    prev = chosen.partition;
  }
  EXPECT_EQ(conv_layers, 28);
  // Depthwise and late layers map badly onto one 128x128 array: partitions win there.
  EXPECT_GT(faster_than_monolithic, 5);
}

TEST(ReconfigMapping, GlobalForcingIsHonoured) {
  core::ArchConfig arch = Sagar();
  core::MappingForce& f = arch.units[0].params<core::ReconfigConfig>().force;
  f.pr = 4, f.pc = 2, f.dataflow = "os";
  const isa::Program p = compiler::Compile(MobileNet(), arch, "mobilenet");
  int convs = 0;
  for (const isa::Instruction& in : p.instructions) {
    if (in.op != isa::Opcode::kConv) continue;
    ++convs;
    EXPECT_EQ(in.conv().part_rows, 4);
    EXPECT_EQ(in.conv().part_cols, 2);
    EXPECT_EQ(in.conv().dataflow, isa::Dataflow::kOs);
  }
  EXPECT_GT(convs, 0);
  for (const isa::LayerMapping& m : p.layers) {
    if (!m.mapping.empty()) {
      EXPECT_EQ(m.mapping_reason.rfind("forced by arch", 0), 0u) << m.mapping_reason;
    }
  }
}

TEST(ReconfigMapping, PerLayerForcingOverridesOnlyThatLayer) {
  core::ArchConfig arch = Sagar();
  const core::Graph g = MobileNet();
  const isa::Program free = compiler::Compile(g, arch, "mobilenet");
  int target = -1;
  for (size_t l = 0; l < g.ops.size() && target < 0; ++l) {
    if (!free.layers[l].mapping.empty()) target = static_cast<int>(l);
  }
  core::MappingForce f;
  f.pr = 1, f.pc = 1, f.dataflow = "is";
  arch.units[0].params<core::ReconfigConfig>().layer_force[g.ops[target].name] = f;
  const isa::Program p = compiler::Compile(g, arch, "mobilenet");
  for (const isa::Instruction& in : p.instructions) {
    if (in.op != isa::Opcode::kConv || in.layer != target) continue;
    EXPECT_EQ(in.conv().part_rows, 1);
    EXPECT_EQ(in.conv().part_cols, 1);
    EXPECT_EQ(in.conv().dataflow, isa::Dataflow::kIs);
  }
  EXPECT_NE(p.layers[target].mapping_reason.find("forced for this layer"), std::string::npos);
  // Layers far from the forced one choose as before.
  const size_t last = g.ops.size() - 1;
  EXPECT_EQ(p.layers[last].mapping, free.layers[last].mapping);
}

// Energy vs cycles: under "energy" no layer costs more estimated energy than under "cycles", under
// "cycles" no layer is slower than under "energy", and on MobileNetV1 the two differ somewhere.
TEST(ReconfigMapping, ObjectiveChangesTheChoice) {
  core::ArchConfig arch = Sagar();
  arch.units[0].params<core::ReconfigConfig>().reconfig_cycles = 0;  // layers then choose independently
  const core::Graph g = MobileNet();
  const isa::Program by_cycles = compiler::Compile(g, arch, "mobilenet");
  arch.units[0].params<core::ReconfigConfig>().objective = "energy";
  const isa::Program by_energy = compiler::Compile(g, arch, "mobilenet");
  arch.units[0].params<core::ReconfigConfig>().objective = "edp";
  const isa::Program by_edp = compiler::Compile(g, arch, "mobilenet");
  int differ = 0;
  for (size_t l = 0; l < g.ops.size(); ++l) {
    const isa::LayerMapping& c = by_cycles.layers[l];
    const isa::LayerMapping& e = by_energy.layers[l];
    const isa::LayerMapping& d = by_edp.layers[l];
    if (c.mapping.empty()) continue;
    // Same tiles only if the tiling agreed; compare where it did.
    if (c.tiling != e.tiling) continue;
    EXPECT_LE(e.mapping_energy_pj, c.mapping_energy_pj * (1 + 1e-12)) << c.name;
    EXPECT_LE(c.mapping_cycles, e.mapping_cycles) << c.name;
    if (c.tiling == d.tiling) {
      EXPECT_LE(d.mapping_energy_pj * d.mapping_cycles, c.mapping_energy_pj * c.mapping_cycles * (1 + 1e-12))
          << c.name;
    }
    if (c.mapping != e.mapping) ++differ;
  }
  EXPECT_GT(differ, 0);
}

TEST(ReconfigMapping, ImpossibleForcingNamesTheLayer) {
  core::ArchConfig arch = Sagar();
  core::MappingForce& f = arch.units[0].params<core::ReconfigConfig>().force;
  f.pr = 2, f.pc = 1, f.pm = 1, f.pn = 1, f.pk = 2;  // K split: impossible on depthwise layers
  try {
    compiler::Compile(MobileNet(), arch, "mobilenet.json");
    FAIL() << "expected a ConfigError";
  } catch (const core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("mobilenet.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no mapping"), std::string::npos) << e.what();
  }
  arch = Sagar();
  arch.units[0].overflow = core::Overflow::kSaturate;
  core::MappingForce& saturating = arch.units[0].params<core::ReconfigConfig>().force;
  saturating.pr = 2;
  saturating.pc = 1;
  saturating.pk = 2, saturating.pm = 1, saturating.pn = 1;
  EXPECT_THROW(compiler::Compile(MobileNet(), arch, "mobilenet.json"), core::ConfigError);
}

TEST(ReconfigMapping, SaturatingAccumulatorsNeverSplitK) {
  core::ArchConfig arch = Sagar();
  arch.units[0].overflow = core::Overflow::kSaturate;
  const isa::Program p = compiler::Compile(MobileNet(), arch, "mobilenet");
  for (const isa::Instruction& in : p.instructions) {
    if (in.op == isa::Opcode::kConv) {
      EXPECT_EQ(in.conv().split_k, 1);
    }
  }
}

void ExpectOn2x4Arrays(const isa::ConvArgs& c, isa::Dataflow df) {
  EXPECT_EQ(c.part_rows, 2);
  EXPECT_EQ(c.part_cols, 4);
  EXPECT_EQ(c.dataflow, df);
}

// Every CONV of layer `target` in p runs on 2x4 arrays in dataflow df, and the layer's mapping
// reason starts with `reason`.
void ExpectLayerMapping(const isa::Program& p, int target, isa::Dataflow df, const std::string& reason) {
  int convs = 0;
  for (const isa::Instruction& in : p.instructions) {
    if (in.op != isa::Opcode::kConv || in.layer != target) continue;
    ++convs;
    ExpectOn2x4Arrays(in.conv(), df);
  }
  EXPECT_GT(convs, 0);
  EXPECT_EQ(p.layers[target].mapping_reason.rfind(reason, 0), 0u) << p.layers[target].mapping_reason;
}

// The net file's per-layer "mapping" forces that layer; the arch's "layers" entry overrides it
// field by field (here: the net's partition stays, the arch's dataflow wins).
TEST(ReconfigMapping, NetFileMappingForcesTheLayerAndArchLayersOverride) {
  core::ArchConfig arch = Sagar();
  core::Graph g = MobileNet();
  const int target = 3;
  g.ops[target].mapping.pr = 2, g.ops[target].mapping.pc = 4, g.ops[target].mapping.dataflow = "is";
  ExpectLayerMapping(compiler::Compile(g, arch, "mobilenet.json"), target, isa::Dataflow::kIs,
                     "forced for this layer by net");
  core::MappingForce df_only;
  df_only.dataflow = "os";
  arch.units[0].params<core::ReconfigConfig>().layer_force[g.ops[target].name] = df_only;
  ExpectLayerMapping(compiler::Compile(g, arch, "mobilenet.json"), target, isa::Dataflow::kOs,
                     "forced for this layer by arch");
}

TEST(ReconfigMapping, NetFileMappingThatDoesNotFitNamesFileAndPointer) {
  core::Graph g = MobileNet();
  g.ops[3].mapping.pr = 3, g.ops[3].mapping.pc = 1;
  g.ops[5].mapping.dataflow = "is";
  core::ArchConfig arch = Sagar();
  arch.units[0].params<core::ReconfigConfig>().dataflows = {"ws", "os"};
  try {
    compiler::Compile(g, arch, "mobilenet.json");
    FAIL() << "expected a ConfigError";
  } catch (const core::ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("mobilenet.json: /ops/3/mapping/arrays: layer \"" + g.ops[3].name +
                        "\": expected [pr, pc] dividing the sub-array grid 32 x 32"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("/ops/5/mapping/dataflow"), std::string::npos) << what;
    EXPECT_NE(what.find("(ws, os), got \"is\""), std::string::npos) << what;
  }
  core::Graph one = MobileNet();
  one.ops[0].mapping.dataflow = "os";
  try {
    compiler::Compile(one, core::LoadArch(SourcePath("tests/data/arch/dense_16x16_pipe.json")),
                      "mobilenet.json");
    FAIL() << "expected a ConfigError";
  } catch (const core::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/ops/0/mapping: layer \"" + one.ops[0].name +
                                         "\": a mapping needs a reconfigurable_array unit"),
              std::string::npos)
        << e.what();
  }
}

// The operand feed: with SAGAR's edges as the only feed, no layer's choice is faster than with
// unlimited feed (per-array buffers), the monolithic reference is the same, and many small arrays
// lose their lead: the network's estimate grows and fewer layers pick 1024 arrays.
TEST(ReconfigMapping, EdgeFeedCostsManySmallArraysAndChangesTheChoice) {
  core::ArchConfig edge = Sagar();
  core::ArchConfig unlimited = Sagar();
  unlimited.units[0].params<core::ReconfigConfig>().operand_feed = "unlimited";
  edge.units[0].params<core::ReconfigConfig>().reconfig_cycles = 0;
  unlimited.units[0].params<core::ReconfigConfig>().reconfig_cycles = 0;
  const core::Graph g = MobileNet();
  const isa::Program pe = compiler::Compile(g, edge, "mobilenet");
  const isa::Program pu = compiler::Compile(g, unlimited, "mobilenet");
  int64_t sum_edge = 0, sum_unlimited = 0;
  int tiny_edge = 0, tiny_unlimited = 0, layers = 0;
  for (size_t l = 0; l < g.ops.size(); ++l) {
    const isa::LayerMapping& e = pe.layers[l];
    const isa::LayerMapping& u = pu.layers[l];
    if (e.mapping.empty()) continue;
    ++layers;
    sum_edge += e.mapping_cycles;
    sum_unlimited += u.mapping_cycles;
    if (e.tiling == u.tiling) {
      EXPECT_GE(e.mapping_cycles, u.mapping_cycles) << e.name;
      EXPECT_EQ(e.monolithic_cycles, u.monolithic_cycles) << e.name;
      EXPECT_LE(e.mapping_cycles, e.monolithic_cycles) << e.name;
    }
    tiny_edge += e.mapping.rfind("32x32 arrays", 0) == 0;
    tiny_unlimited += u.mapping.rfind("32x32 arrays", 0) == 0;
  }
  EXPECT_EQ(layers, 28);
  EXPECT_GT(sum_edge, sum_unlimited * 2);
  EXPECT_GT(tiny_unlimited, 20);
  EXPECT_LT(tiny_edge, tiny_unlimited / 2);
}

TEST(ReconfigMapping, ListingShowsTheMapping) {
  const isa::Program p = compiler::Compile(MobileNet(), Sagar(), "mobilenet");
  const std::string listing = isa::Listing(p);
  EXPECT_NE(listing.find(" map="), std::string::npos);
  EXPECT_NE(listing.find("runner-up"), std::string::npos);
}

}  // namespace
}  // namespace npusim::testing
