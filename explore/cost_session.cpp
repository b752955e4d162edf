// explore/cost_session.h: the cost queries `npusim serve` and the Python module share.
#include "explore/cost_session.h"

#include "sim/figures.h"
#include "sim/inputs.h"
#include "sim/report.h"
#include "sim/simulate.h"

namespace npusim::explore {
using nlohmann::json;

const json* AnswerCache::Find(const std::string& key) {
  const auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return &it->second->second;
}

void AnswerCache::Put(const std::string& key, json answer) {
  if (limit_ == 0) return;
  if (const auto it = index_.find(key); it != index_.end()) {
    it->second->second = std::move(answer);
    order_.splice(order_.begin(), order_, it->second);
    return;
  }
  if (index_.size() >= limit_) {
    index_.erase(order_.back().first);
    order_.pop_back();
  }
  order_.emplace_front(key, std::move(answer));
  index_.emplace(key, order_.begin());
}

void AnswerCache::Clear() {
  order_.clear();
  index_.clear();
}

CostSession::CostSession(core::ArchConfig arch, core::Graph graph, std::string net_file,
                         const SessionOptions& o)
    : arch_(std::move(arch)),
      graph_(std::move(graph)),
      net_file_(std::move(net_file)),
      options_(o),
      cache_(o.cache) {}

namespace {

sim::Options SimOptions(models::ExecMode mode, const std::string& net_file,
                        const compiler::CompileOptions& c) {
  sim::Options opt;
  opt.mode = mode;
  opt.net_file = net_file;
  opt.compile = c;
  return opt;
}

}  // namespace

CostAnswer CostSession::Cost(const Policy& p, bool layers) {
  const std::string key = CacheKey(p, layers);
  if (const json* hit = cache_.Find(key)) return {*hit, true};
  CostAnswer a{sim::FiguresInChild(arch_, graph_, SimOptions(options_.mode, net_file_, options_.compile),
                                   layers, [&p](core::Graph& g) { ApplyPolicy(g, p); }),
               false};
  if (a.ok()) cache_.Put(key, a.figures);
  return a;
}

// The child's answer: the figures as one JSON line ({"figures": ..., "outputs": [{"name", "bytes"}]},
// bytes counted), then each output's .npy bytes in that order.
CostSession::RunAnswer CostSession::Run(const Policy& p, const std::vector<std::string>& input_specs) {
  // In the child, graph_ is its image of the network with the policy applied.
  const sim::Answer answer = [this](const sim::Result& r) {
    json head{{"figures", sim::Figures(arch_, r, true)}, {"outputs", json::array()}};
    std::string body;
    for (const sim::OutputNpy& o : sim::EncodeOutputs(graph_, r.run.outputs)) {
      head["outputs"].push_back({{"name", o.name}, {"bytes", o.bytes.size()}});
      body += o.bytes;
    }
    return head.dump(-1, ' ', false, json::error_handler_t::replace) + "\n" + body;
  };
  RunAnswer out;
  sim::ChildOutcome o;
  try {
    o = sim::SimulateInChild(
        arch_, graph_, SimOptions(models::ExecMode::kExact, net_file_, options_.compile), answer,
        [&p](core::Graph& g) { ApplyPolicy(g, p); },
        [&](const core::Graph& g) { return sim::ResolveInputs(g, net_file_, input_specs); });
  } catch (const std::exception& e) {
    out.figures = {{"error", e.what()}};
    return out;
  }
  if (json e = sim::OutcomeError(o); !e.empty()) {
    out.figures = e;
    return out;
  }
  const size_t eol = o.output.find('\n');
  const json head = json::parse(o.output.substr(0, eol));
  out.figures = head["figures"];
  size_t at = eol + 1;
  for (const json& f : head["outputs"]) {
    const size_t n = f["bytes"].get<size_t>();
    out.outputs.emplace_back(f["name"].get<std::string>(), o.output.substr(at, n));
    at += n;
  }
  return out;
}

}  // namespace npusim::explore
