// The session that answers "what does this policy cost?" queries from an arch and a network loaded
// once: `npusim serve` (app/serve.cpp) and the Python module (python/) share it, so they apply a
// policy the same way, cache alike and give the same figures as `npusim run`.
//
//   explore::CostSession s(core::LoadArch("arch/unpu.json"), frontends::LoadNetworkFile(net), net,
//                          {models::ExecMode::kTiming, {}, 1000});
//   explore::CostAnswer a = s.Cost(policy, /*layers=*/true);   // a.figures: sim::Figures, or {"error"}
//
// Each query that is not cached forks a child (SystemC elaborates once per process), which applies
// the policy to its copy-on-write image of the network, compiles and simulates it. Cost is the one
// place where a finer cache (per layer, issue 22 part 2) belongs.
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/compiler.h"
#include "config/arch.h"
#include "explore/policy.h"
#include "ir/graph.h"
#include "models/exec_mode.h"

namespace npusim::explore {

// Answers by key, at most `limit` of them (0: none kept), the least recently used dropped first.
class AnswerCache {
 public:
  explicit AnswerCache(size_t limit) : limit_(limit) {}
  // The answer kept for `key` (now the most recently used), or nullptr.
  const nlohmann::json* Find(const std::string& key);
  void Put(const std::string& key, nlohmann::json answer);
  size_t size() const { return index_.size(); }
  size_t limit() const { return limit_; }
  void Clear();

 private:
  using Entry = std::pair<std::string, nlohmann::json>;
  size_t limit_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

struct SessionOptions {
  models::ExecMode mode = models::ExecMode::kTiming;
  compiler::CompileOptions compile;
  size_t cache = 100000;  // answers kept (0: every query simulates)
};

struct CostAnswer {
  // sim::Figures of the simulation (cycles, seconds, energy_pj, energy_breakdown_pj, macs, DRAM
  // bytes, "layers" when asked), or {"error": message[, "invalid_input": true]}.
  nlohmann::json figures;
  bool cached = false;  // answered from the cache
  bool ok() const { return !figures.contains("error"); }
};

class CostSession {
 public:
  CostSession(core::ArchConfig arch, core::Graph graph, std::string net_file, const SessionOptions& o);
  // The figures of the network under `p` (errors are answered, not thrown, and never cached).
  CostAnswer Cost(const Policy& p, bool layers);
  // One simulation in exact mode under `p` from `input_specs` (sim::ResolveInputs, read after the
  // policy is applied, as `npusim run --weight-bits ... --input ...` reads them): its figures
  // (with "layers") and the output files' bytes. Not cached. Errors as Cost's.
  struct RunAnswer {
    nlohmann::json figures;
    std::vector<std::pair<std::string, std::string>> outputs;  // output name -> .npy bytes
  };
  RunAnswer Run(const Policy& p, const std::vector<std::string>& input_specs);

  const core::ArchConfig& arch() const { return arch_; }
  const core::Graph& graph() const { return graph_; }
  const std::string& net_file() const { return net_file_; }
  models::ExecMode mode() const { return options_.mode; }
  AnswerCache& cache() { return cache_; }

 private:
  core::ArchConfig arch_;
  core::Graph graph_;  // never changed: each query changes its child's copy-on-write image
  std::string net_file_;
  SessionOptions options_;
  AnswerCache cache_;
};

}  // namespace npusim::explore
