// Schedule: dependency tokens from address ranges. Each instruction reads and writes byte ranges
// (strided DMA transfers as their bounding range, which is conservative: an extra dependency costs
// overlap, a missing one would cost correctness). Per address, we remember the last writer and,
// per queue, the last reader since that write; an instruction depends on the last writer of what
// it reads (RAW) and on the last writer and readers of what it writes (WAW, WAR). Queues run in
// order, so only the newest instruction of each queue needs to be named.
#include <map>

#include "compiler/passes/passes.h"

namespace npusim::compiler {
namespace {

struct Access {
  uint64_t begin, end;
  bool write;
};

uint64_t DmaEnd(uint64_t base, const isa::DmaArgs& d, const std::array<int64_t, 2>& stride) {
  return base + (d.planes - 1) * stride[1] + (d.rows - 1) * stride[0] + d.row_bytes;
}

std::vector<Access> AccessesOf(const isa::Instruction& in) {
  switch (in.op) {
    case isa::Opcode::kLoad:
    case isa::Opcode::kStore: {
      const isa::DmaArgs& d = in.dma();
      return {{d.src, DmaEnd(d.src, d, d.src_stride), false}, {d.dst, DmaEnd(d.dst, d, d.dst_stride), true}};
    }
    case isa::Opcode::kConv: {
      const isa::ConvArgs& c = in.conv();
      const uint64_t acc_end = c.acc_addr + c.out_h * c.out_w * c.out_c * 4;
      std::vector<Access> a = {
          // The tile as stored: compressed or packed tiles are shorter than the dense layout, and
          // what follows them (the tile's parameters, the other slot) is not read.
          {c.w_addr, c.w_addr + isa::WeightTileBytes(c), false},
          {c.acc_addr, acc_end, true}};
      for (const auto& [begin, end] : isa::InputTileRanges(c)) a.push_back({begin, end, false});
      if (c.init_bias) a.push_back({c.params_addr, c.params_addr + 12 * c.out_c, false});
      if (!c.first) a.push_back({c.acc_addr, acc_end, false});
      return a;
    }
    case isa::Opcode::kRequant: {
      const isa::RequantArgs& r = in.requant();
      const int64_t n = r.count * r.channels;
      // The pass-through reads no parameters, so it does not wait for their load.
      const uint64_t params_bytes = r.passthrough() ? 0 : 12 * r.channels;
      return {{r.acc_addr, r.acc_addr + n * 4, false},
              {r.params_addr, r.params_addr + params_bytes, false},
              {r.out_addr, r.out_addr + n * r.out_type.bytes(), true}};
    }
    case isa::Opcode::kAdd:
    case isa::Opcode::kMul:
    case isa::Opcode::kLookup: {
      const isa::EltwiseArgs& a = in.eltwise();
      return {{a.a_addr, a.a_addr + a.count * a.a_type.bytes(), false},
              {a.b_addr, a.b_addr + a.b_count * a.b_type.bytes(), false},
              {a.out_addr, a.out_addr + a.count * a.out_type.bytes(), true}};
    }
    case isa::Opcode::kPool: {
      const isa::PoolArgs& p = in.pool();
      return {{p.in_addr, p.in_addr + p.in_h * p.in_w * p.c * p.in_type.bytes(), false},
              {p.out_addr, p.out_addr + p.out_h * p.out_w * p.c * p.out_type.bytes(), true}};
    }
  }
  return {};
}

struct Segment {
  uint64_t end = 0;
  int64_t writer = -1;
  std::array<int64_t, isa::kNumQueues> readers{-1, -1, -1, -1};
};

class AccessTracker {
 public:
  // Dependencies per queue (newest instruction id, -1 for none).
  using Deps = std::array<int64_t, isa::kNumQueues>;

  void Read(const Access& a, int64_t id, isa::Queue q, const std::vector<isa::Queue>& queue_of, Deps& deps) {
    Split(a.begin);
    Split(a.end);
    for (auto it = segs_.lower_bound(a.begin); it != segs_.end() && it->first < a.end; ++it) {
      Note(it->second.writer, queue_of, deps);
      it->second.readers[static_cast<int>(q)] = id;
    }
  }

  void Write(const Access& a, int64_t id, const std::vector<isa::Queue>& queue_of, Deps& deps) {
    Split(a.begin);
    Split(a.end);
    auto it = segs_.lower_bound(a.begin);
    while (it != segs_.end() && it->first < a.end) {
      Note(it->second.writer, queue_of, deps);
      for (int64_t r : it->second.readers) Note(r, queue_of, deps);
      it = segs_.erase(it);
    }
    Segment s;
    s.end = a.end;
    s.writer = id;
    segs_[a.begin] = s;
  }

 private:
  static void Note(int64_t id, const std::vector<isa::Queue>& queue_of, Deps& deps) {
    if (id < 0) return;
    int64_t& d = deps[static_cast<int>(queue_of[id])];
    if (id > d) d = id;
  }

  // Makes `at` a segment boundary (no-op if it is one or lies in a gap).
  void Split(uint64_t at) {
    auto it = segs_.upper_bound(at);
    if (it == segs_.begin()) return;
    --it;
    if (it->first == at || it->second.end <= at) return;
    Segment tail = it->second;
    it->second.end = at;
    segs_[at] = tail;
  }

  std::map<uint64_t, Segment> segs_;
};

}  // namespace

void Schedule(isa::Program& program) {
  std::vector<isa::Queue> queue_of;
  queue_of.reserve(program.instructions.size());
  AccessTracker tracker;
  for (isa::Instruction& in : program.instructions) {
    queue_of.push_back(isa::QueueOf(in.op));
    AccessTracker::Deps deps{-1, -1, -1, -1};
    const std::vector<Access> accesses = AccessesOf(in);
    for (const Access& a : accesses) {
      if (!a.write && a.end > a.begin) tracker.Read(a, in.id, queue_of.back(), queue_of, deps);
    }
    for (const Access& a : accesses) {
      if (a.write && a.end > a.begin) tracker.Write(a, in.id, queue_of, deps);
    }
    in.deps.clear();
    const int own = static_cast<int>(queue_of.back());
    for (int q = 0; q < isa::kNumQueues; ++q) {
      // The own queue's order already implies its earlier instructions.
      if (q != own && deps[q] >= 0 && deps[q] != in.id) in.deps.push_back(deps[q]);
    }
  }
}

}  // namespace npusim::compiler
