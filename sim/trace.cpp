#include "sim/trace.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace npusim::sim {
namespace {

using nlohmann::json;

constexpr int kLayerTrack = 0;  // then one track per isa::Queue, in its order

int TrackOf(isa::Queue q) { return 1 + static_cast<int>(q); }

json Meta(const char* what, int tid, const std::string& name) {
  return {{"name", what}, {"ph", "M"}, {"pid", 1}, {"tid", tid}, {"args", {{"name", name}}}};
}

// The instruction's operands that say what it moved or computed.
json Operands(const isa::Instruction& in) {
  switch (in.op) {
    case isa::Opcode::kLoad:
    case isa::Opcode::kStore: {
      const isa::DmaArgs& d = in.dma();
      return {{"bytes", d.row_bytes * d.rows * d.planes}, {"rows", d.rows * d.planes}};
    }
    case isa::Opcode::kConv: {
      const isa::ConvArgs& c = in.conv();
      return {{"out", {c.out_h, c.out_w, c.out_c}}, {"in", {c.in_h, c.in_w, c.in_c}}, {"first", c.first}};
    }
    default: return json::object();
  }
}

class TraceWriter {
 public:
  TraceWriter(const Compiled& c, const Result& r) : c_(c), r_(r), mhz_(c.arch.clock_mhz) {
    queue_end_.assign(isa::kNumQueues, 0);
  }

  json Build() {
    json events = json::array();
    events.push_back(Meta("process_name", 0, "npusim: " + c_.graph.name + " on " + c_.arch.name));
    events.push_back(Meta("thread_name", kLayerTrack, "layers"));
    const std::string unit = c_.arch.MatrixUnit() != nullptr ? c_.arch.MatrixUnit()->name : "unit";
    events.push_back(Meta("thread_name", TrackOf(isa::Queue::kLoad), "load (DMA)"));
    events.push_back(Meta("thread_name", TrackOf(isa::Queue::kStore), "store (DMA)"));
    events.push_back(Meta("thread_name", TrackOf(isa::Queue::kCompute), "compute (" + unit + ")"));
    events.push_back(Meta("thread_name", TrackOf(isa::Queue::kPost), "post (" + c_.arch.post.name + ")"));
    for (size_t l = 0; l < c_.program.layers.size(); ++l) Layer(l, events);
    for (const isa::Instruction& in : c_.program.instructions) events.push_back(Slice(in));
    return {{"traceEvents", std::move(events)}, {"displayTimeUnit", "ns"}};
  }

 private:
  double Us(uint64_t cycles) const { return static_cast<double>(cycles) / mhz_; }

  void Layer(size_t l, json& events) const {
    const uint64_t start = r_.run.layer_start[l], end = r_.run.layer_end[l];
    if (end <= start) return;  // no instruction
    const isa::LayerMapping& m = c_.program.layers[l];
    json args = {{"layer", l}, {"op", m.op}, {"tiling", m.tiling}, {"cycles", {start, end}}};
    if (m.group >= 0) args["fusion_group"] = c_.program.layers[m.group].name;
    events.push_back({{"name", m.name},
                      {"cat", "layer"},
                      {"ph", "X"},
                      {"pid", 1},
                      {"tid", kLayerTrack},
                      {"ts", Us(start)},
                      {"dur", Us(end - start)},
                      {"args", std::move(args)}});
  }

  // One instruction; what it waited for: the dependency that completed last when that was after
  // its queue's previous instruction (else its own queue).
  json Slice(const isa::Instruction& in) {
    const uint64_t start = r_.run.instr_start[in.id], end = r_.run.instr_end[in.id];
    const isa::Queue q = isa::QueueOf(in.op);
    int64_t last_dep = -1;
    uint64_t dep_end = 0;
    for (int64_t d : in.deps) {
      if (r_.run.instr_end[d] >= dep_end) {
        dep_end = r_.run.instr_end[d];
        last_dep = d;
      }
    }
    uint64_t& queue_end = queue_end_[static_cast<int>(q)];
    json waited = "its queue";
    if (last_dep >= 0 && dep_end > queue_end) {
      const isa::Instruction& d = c_.program.instructions[last_dep];
      waited = std::string(isa::OpcodeName(d.op)) + " #" + std::to_string(last_dep);
    }
    queue_end = std::max(queue_end, end);
    json args = Operands(in);
    args["id"] = in.id;
    args["layer"] = in.layer >= 0 ? c_.program.layers[in.layer].name : "-";
    args["cycles"] = {start, end};
    args["waited_for"] = std::move(waited);
    args["deps"] = in.deps;
    return {{"name", isa::OpcodeName(in.op)},
            {"cat", isa::QueueName(q)},
            {"ph", "X"},
            {"pid", 1},
            {"tid", TrackOf(q)},
            {"ts", Us(start)},
            {"dur", Us(end - start)},
            {"args", std::move(args)}};
  }

  const Compiled& c_;
  const Result& r_;
  const double mhz_;
  std::vector<uint64_t> queue_end_;  // per queue: when its latest instruction ended
};

}  // namespace

std::string TraceJson(const Compiled& c, const Result& r) { return TraceWriter(c, r).Build().dump() + "\n"; }

}  // namespace npusim::sim
