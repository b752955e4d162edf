// explore::CostSession, the cost queries `npusim serve` and the Python module share: a policy's
// figures equal a simulation of the network it describes (re-quantized by hand, FiguresInChild),
// ApplyPolicy prunes and then re-quantizes, an identical query is a cache hit, the cache drops the
// least recently used answer first, errors are answered (invalid input marked) and never cached,
// and Run's outputs equal the .npy files a run writes.
#include "explore/cost_session.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "compiler/transforms/precision.h"
#include "compiler/transforms/prune.h"
#include "config/arch.h"
#include "ir/net_loader.h"
#include "sim/figures.h"
#include "sim/report.h"
#include "sim/simulate.h"

namespace npusim::explore {
namespace {

using nlohmann::json;

std::string Src(const std::string& rel) { return std::string(NPUSIM_SOURCE_DIR) + "/" + rel; }

const std::string kArch = Src("tests/data/arch/unpu_pipe.json");
const std::string kNet = Src("workloads/small_resnet.json");

CostSession Session(size_t cache) {
  return CostSession(core::LoadArch(kArch), core::LoadNetwork(kNet), kNet,
                     {models::ExecMode::kTiming, {}, cache});
}

TEST(AnswerCache, KeepsAtMostItsLimitDroppingTheLeastRecentlyUsed) {
  AnswerCache c(2);
  c.Put("a", 1);
  c.Put("b", 2);
  ASSERT_NE(c.Find("a"), nullptr);  // "a" is now the most recently used
  c.Put("c", 3);                    // drops "b"
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.Find("b"), nullptr);
  EXPECT_EQ(*c.Find("a"), 1);
  EXPECT_EQ(*c.Find("c"), 3);
  c.Put("a", 4);  // replaces
  EXPECT_EQ(*c.Find("a"), 4);
  EXPECT_EQ(c.size(), 2u);
  AnswerCache none(0);
  none.Put("a", 1);
  EXPECT_EQ(none.Find("a"), nullptr);
}

TEST(CostSession, APolicysFiguresAreThoseOfTheNetworkItDescribes) {
  CostSession s = Session(10);
  EXPECT_EQ(compiler::ConvLayers(s.graph()),
            (std::vector<std::string>{"conv1", "conv2", "dw", "gconv", "fc"}));
  Policy p;
  p.weight_bits = {{"*", 3}, {"conv2", 6}};
  const CostAnswer a = s.Cost(p, true);
  ASSERT_TRUE(a.ok()) << a.figures.dump();
  EXPECT_FALSE(a.cached);
  // The same network pruned and re-quantized by hand, simulated on its own.
  core::Graph g = core::LoadNetwork(kNet);
  core::ApplyWeightBits(g, {{"*", 3}, {"conv2", 6}}, "test");
  const json direct = sim::FiguresInChild(s.arch(), g, kNet, true, models::ExecMode::kTiming);
  EXPECT_EQ(a.figures, direct);
  EXPECT_NE(a.figures["cycles"], s.Cost({}, false).figures["cycles"]);
  const CostAnswer again = s.Cost(p, true);
  EXPECT_TRUE(again.cached);
  EXPECT_EQ(again.figures, a.figures);
  EXPECT_FALSE(s.Cost(p, false).cached);  // without per-layer figures: another query
  EXPECT_EQ(s.cache().size(), 3u);
}

// Keep ratios prune first ("*" for every layer, a named layer overriding it), then the widths.
TEST(ApplyPolicy, PrunesAsKeepSaysThenRequantizes) {
  const std::string net = Src("workloads/mobilenet_q4.json");
  core::Graph g = core::LoadNetwork(net);
  const int64_t pw3 = g.tensor("pw3_w").shape[0], pw4 = g.tensor("pw4_w").shape[0];
  Policy p;
  p.keep = {{"*", 1.0}, {"pw3", 0.5}};
  p.weight_bits = {{"pw4", 3}};
  ApplyPolicy(g, p);
  EXPECT_EQ(g.tensor("pw3_w").shape[0], pw3 / 2);
  EXPECT_EQ(g.tensor("pw4_w").shape[0], pw4);
  EXPECT_EQ(g.tensor("pw4_w").bits, 3);
  EXPECT_EQ(KeepRatios(g, p.keep).at("pw3"), 0.5);
  EXPECT_EQ(KeepRatios(g, p.keep).at("conv0"), 1.0);
  core::Graph h = core::LoadNetwork(net);
  compiler::PruneNodes(h, KeepRatios(h, p.keep));
  core::ApplyWeightBits(h, p.weight_bits, "test");
  EXPECT_EQ(*g.tensor("pw4_w").data, *h.tensor("pw4_w").data);
  EXPECT_EQ(*g.tensor("pw3_w").data, *h.tensor("pw3_w").data);
}

TEST(CostSession, ErrorsAreAnsweredMarkedAndNeverCached) {
  CostSession s = Session(10);
  Policy p;
  p.weight_bits = {{"conv9", 4}};
  const CostAnswer a = s.Cost(p, false);
  EXPECT_FALSE(a.ok());
  EXPECT_EQ(a.figures["error"], "request /weight_bits: no layer named \"conv9\" in network \"small_resnet\"");
  EXPECT_EQ(a.figures["invalid_input"], true);
  Policy k;
  k.keep = {{"nope", 0.5}};
  EXPECT_EQ(s.Cost(k, false).figures["error"],
            "request: /keep/nope: no conv2d or fully_connected layer is named \"nope\"");
  EXPECT_EQ(s.cache().size(), 0u);
}

TEST(CostSession, RunGivesTheOutputFilesOfAnExactRun) {
  CostSession s = Session(0);
  Policy p;
  p.weight_bits = {{"*", 5}};
  const CostSession::RunAnswer a = s.Run(p, {});
  ASSERT_FALSE(a.figures.contains("error")) << a.figures.dump();
  core::Graph g = core::LoadNetwork(kNet);
  core::ApplyWeightBits(g, p.weight_bits, "test");
  const sim::ChildOutcome o = sim::SimulateInChild(s.arch(), g, {}, [&g](const sim::Result& r) {
    return sim::EncodeOutputs(g, r.run.outputs).at(0).bytes;
  });
  ASSERT_TRUE(o.ok()) << o.Describe();
  ASSERT_EQ(a.outputs.size(), g.outputs.size());
  EXPECT_EQ(a.outputs[0].first, g.outputs[0]);
  EXPECT_EQ(a.outputs[0].second, o.output);
  EXPECT_EQ(a.figures["layers"].size(), g.ops.size());
  const CostSession::RunAnswer bad = s.Run(p, {"nosuchinput=x.npy"});
  EXPECT_EQ(bad.figures["invalid_input"], true);
  EXPECT_NE(bad.figures["error"].get<std::string>().find("\"nosuchinput\", which is not a network input"),
            std::string::npos);
}

}  // namespace
}  // namespace npusim::explore
