// The cost of core::Verify (ir/verify.h), which every front end and graph transform calls last:
// one case per network, the graph loaded once outside the timed loop. Verify reads weight data in
// place (a min/max pass per constant), so its time grows with the number of weights.
//
//   build/bench/verify_bench --benchmark_min_time=0.5
#include <string>

#include <benchmark/benchmark.h>

#include "ir/net_loader.h"
#include "ir/verify.h"

namespace {

void BM_Verify(benchmark::State& state, const std::string& relative) {
  const std::string path = std::string(NPUSIM_SOURCE_DIR) + "/" + relative;
  const npusim::core::Graph g = npusim::core::LoadNetwork(path);
  int64_t weights = 0;
  for (const auto& [name, t] : g.tensors) weights += t.data ? t.elements() : 0;
  for (auto _ : state) npusim::core::Verify(g, path);
  state.counters["ops"] = static_cast<double>(g.ops.size());
  state.counters["constant_values"] = static_cast<double>(weights);
}

BENCHMARK_CAPTURE(BM_Verify, mobilenet_q4, "workloads/mobilenet_q4.json")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Verify, resnet50_q8, "workloads/scaling/resnet50_q8.json")
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
