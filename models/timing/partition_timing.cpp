#include "models/timing/partition_timing.h"

#include <algorithm>

#include "ir/int_math.h"

namespace npusim::models::timing {
namespace {

using core::CeilDiv;

int64_t CeilLog2(int64_t v) {
  int64_t levels = 0;
  for (int64_t p = 1; p < v; p *= 2) ++levels;
  return levels;
}

std::vector<int> Divisors(int n) {
  std::vector<int> d;
  for (int i = 1; i <= n; ++i) {
    if (n % i == 0) d.push_back(i);
  }
  return d;
}

}  // namespace

std::string Partition::ToString() const {
  return std::to_string(pr) + "x" + std::to_string(pc) + " arrays, split m" + std::to_string(pm) + " n" +
         std::to_string(pn) + " k" + std::to_string(pk);
}

bool ValidPartition(const ArrayGeometry& geo, const Partition& p, const GemmShape& shape) {
  if (p.pr < 1 || p.pc < 1 || p.pm < 1 || p.pn < 1 || p.pk < 1) return false;
  if ((geo.rows / geo.sub_rows) % p.pr != 0 || (geo.cols / geo.sub_cols) % p.pc != 0) return false;
  if (p.pm * p.pn * p.pk != static_cast<int64_t>(p.pr) * p.pc) return false;
  if (shape.groups > 1 && p.pk != 1) return false;
  // A split into more parts than there is work leaves arrays idle: allowed, but never useful;
  // excluding it keeps the search small.
  const int64_t n_parts = shape.groups > 1 ? shape.groups : shape.n;
  return p.pm <= std::max<int64_t>(shape.m, 1) && p.pn <= std::max<int64_t>(n_parts, 1) &&
         p.pk <= std::max<int64_t>(shape.k, 1);
}

GemmShape SubGemm(const Partition& p, const GemmShape& shape) {
  GemmShape s = shape;
  s.m = CeilDiv(shape.m, p.pm);
  s.k = CeilDiv(shape.k, p.pk);
  if (shape.groups > 1) {
    s.groups = CeilDiv(shape.groups, p.pn);
  } else {
    s.n = CeilDiv(shape.n, p.pn);
  }
  return s;
}

int64_t DistinctStreams(const Partition& p, const GemmShape& shape, EdgeData data) {
  switch (data) {
    case EdgeData::kInputs: return p.pm * p.pk * (shape.groups > 1 ? p.pn : 1);
    case EdgeData::kWeights: return p.pn * p.pk;
    case EdgeData::kPartialSums: return static_cast<int64_t>(p.pr) * p.pc;
    case EdgeData::kNone: break;
  }
  return 0;
}

int64_t FeedStall(const ArrayGeometry& geo, const Partition& p, const GemmShape& shape,
                  const FeedPhase& phase) {
  if (geo.unlimited_feed) return 1;
  const int64_t row_lanes = geo.rows / p.pr, col_lanes = geo.cols / p.pc;
  const auto edge = [&](EdgeData data, int64_t lanes, int64_t feed, int64_t edge_lanes) {
    const int64_t demand = DistinctStreams(p, shape, data) * lanes;
    return CeilDiv(demand, feed > 0 ? feed : edge_lanes);
  };
  return std::max({int64_t{1}, edge(phase.row, row_lanes, geo.row_feed, geo.rows),
                   edge(phase.col, col_lanes, geo.col_feed, geo.cols),
                   edge(phase.drain, col_lanes, geo.drain_feed, geo.cols)});
}

int64_t ArrayCycles(const ArrayGeometry& geo, const Partition& p, const DataflowTiming& df,
                    const GemmShape& shape) {
  const int rows = geo.rows / p.pr, cols = geo.cols / p.pc;
  const GemmShape sub = SubGemm(p, shape);
  if (geo.unlimited_feed) return df.Cycles(rows, cols, sub);
  int64_t cycles = 0;
  for (const FeedPhase& phase : df.Phases(rows, cols, sub)) {
    cycles += phase.steps * FeedStall(geo, p, shape, phase);
  }
  return cycles;
}

int64_t ReductionCycles(const ArrayGeometry& geo, const Partition& p, const GemmShape& shape) {
  if (p.pk <= 1) return 0;
  const GemmShape s = SubGemm(p, shape);
  const int64_t outputs = s.m * s.n * s.groups;
  return CeilLog2(p.pk) * CeilDiv(outputs, geo.cols / p.pc);
}

int64_t PartitionedCycles(const ArrayGeometry& geo, const Partition& p, const DataflowTiming& df,
                          const GemmShape& shape) {
  return ArrayCycles(geo, p, df, shape) + ReductionCycles(geo, p, shape);
}

std::vector<Partition> GridPartitions(const ArrayGeometry& geo) {
  std::vector<Partition> out;
  for (int pr : Divisors(geo.rows / geo.sub_rows)) {
    for (int pc : Divisors(geo.cols / geo.sub_cols)) {
      // Every split pm * pn * pk of the pr * pc arrays.
      const int64_t arrays = static_cast<int64_t>(pr) * pc;
      for (int64_t pm = 1; pm <= arrays; ++pm) {
        if (arrays % pm != 0) continue;
        for (int64_t pn = 1; pn <= arrays / pm; ++pn) {
          if ((arrays / pm) % pn == 0) out.push_back({pr, pc, pm, pn, arrays / pm / pn});
        }
      }
    }
  }
  return out;
}

std::vector<Partition> EnumeratePartitions(const ArrayGeometry& geo, const GemmShape& shape,
                                           bool allow_k_split) {
  std::vector<Partition> out;
  for (const Partition& p : GridPartitions(geo)) {
    if (!allow_k_split && p.pk > 1) continue;
    if (ValidPartition(geo, p, shape)) out.push_back(p);
  }
  return out;
}

BestChoices ChoosePartition(const ArrayGeometry& geo, const GemmShape& shape,
                            const std::vector<const DataflowTiming*>& dataflows, bool allow_k_split) {
  BestChoices c;
  bool have_best = false, have_second = false;
  for (const Partition& p : EnumeratePartitions(geo, shape, allow_k_split)) {
    for (const DataflowTiming* df : dataflows) {
      const PartitionChoice cand{p, df, PartitionedCycles(geo, p, *df, shape)};
      const auto better = [](const PartitionChoice& a, const PartitionChoice& b) {
        if (a.cycles != b.cycles) return a.cycles < b.cycles;
        return a.partition.pr * a.partition.pc < b.partition.pr * b.partition.pc;
      };
      if (!have_best || better(cand, c.best)) {
        if (have_best) {
          c.runner_up = c.best;
          have_second = true;
        }
        c.best = cand;
        have_best = true;
      } else if (!have_second || better(cand, c.runner_up)) {
        c.runner_up = cand;
        have_second = true;
      }
    }
  }
  return c;
}

PartitionActions CountPartitionActions(const ArrayGeometry& geo, const Partition& p, const DataflowTiming& df,
                                       const GemmShape& shape) {
  PartitionActions a;
  if (IsEmptyGemm(shape)) return a;
  const int rows = geo.rows / p.pr, cols = geo.cols / p.pc;
  const GemmShape sub = SubGemm(p, shape);
  a.cycles = PartitionedCycles(geo, p, df, shape);
  a.feed_stall_cycles = ArrayCycles(geo, p, df, shape) - df.Cycles(rows, cols, sub);
  a.macs = GemmMacs(shape);
  a.pe_cycles = a.cycles * geo.rows * geo.cols;
  a.idle_pe_cycles = a.pe_cycles - std::min(a.pe_cycles, a.macs);
  // Hops per MAC across boundaries, in units of 1 / (rows * cols) to stay in integers.
  const int64_t per_mac = static_cast<int64_t>(cols / geo.sub_cols - 1) * rows +
                          static_cast<int64_t>(rows / geo.sub_rows - 1) * cols;
  a.bypass_hops =
      a.macs / (static_cast<int64_t>(rows) * cols) * per_mac +
      a.macs % (static_cast<int64_t>(rows) * cols) * per_mac / (static_cast<int64_t>(rows) * cols);
  a.reduce_adds = (p.pk - 1) * shape.m * shape.n * shape.groups;
  a.input_reads = p.pn * CeilDiv(sub.n, cols);
  a.weight_reads = p.pm;
  a.acc_writes = CeilDiv(sub.k, rows);
  return a;
}

}  // namespace npusim::models::timing
