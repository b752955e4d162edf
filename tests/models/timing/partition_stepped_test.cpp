// Partitioned (SARA-style) array timing against cycle-stepped models: every independent array of
// a partition is a register-level stepped systolic array (systolic_stepped.h, os_stepped.h,
// is_stepped.h) running its own slice of the operands; the K-split partial sums are then added by
// a stepped reduction that moves (cols / pc) values per cycle per pair, level by level. The whole
// must finish exactly at PartitionedCycles (not done a cycle earlier) and produce the GEMM.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "models/timing/partition_timing.h"
#include "tests/models/timing/is_stepped.h"
#include "tests/models/timing/os_stepped.h"
#include "tests/models/timing/systolic_stepped.h"

namespace npusim::models::timing::testing {
namespace {

GemmShape Gemm(int64_t m, int64_t k, int64_t n, int64_t groups = 1) {
  GemmShape g;
  g.m = m, g.k = k, g.n = n, g.groups = groups;
  return g;
}

struct Range {
  int64_t lo, hi;
};
// Part `i` of `parts` equal (ceil) slices of [0, n): the last ones may be shorter or empty.
Range Slice(int64_t n, int64_t parts, int64_t i) {
  const int64_t size = (n + parts - 1) / parts;
  return {std::min(n, i * size), std::min(n, (i + 1) * size)};
}

// The operands array (im, in, ik) of split p works on. Layouts as in systolic_stepped.h.
GemmOperands SliceOperands(const GemmOperands& all, const Partition& p, int64_t im, int64_t in,
                           int64_t ik, Range* mr, Range* nr, Range* gr, Range* kr) {
  const GemmShape& s = all.shape;
  const bool grouped = s.groups > 1;
  *mr = Slice(s.m, p.pm, im);
  *kr = Slice(s.k, p.pk, ik);
  *nr = grouped ? Range{0, s.n} : Slice(s.n, p.pn, in);
  *gr = grouped ? Slice(s.groups, p.pn, in) : Range{0, 1};
  GemmOperands o;
  o.shape = Gemm(mr->hi - mr->lo, kr->hi - kr->lo, nr->hi - nr->lo, gr->hi - gr->lo);
  for (int64_t x = mr->lo; x < mr->hi; ++x)
    for (int64_t g = gr->lo; g < gr->hi; ++g)
      for (int64_t k = kr->lo; k < kr->hi; ++k) o.x.push_back(all.x[x * s.groups * s.k + g * s.k + k]);
  for (int64_t g = gr->lo; g < gr->hi; ++g)
    for (int64_t k = kr->lo; k < kr->hi; ++k)
      for (int64_t j = nr->lo; j < nr->hi; ++j) o.w.push_back(all.w[(g * s.k + k) * s.n + j]);
  return o;
}

// A stepped pairwise reduction of `parts` partial-sum tiles of `values` each over the bypass
// links: per level, the odd survivors send their tile to their left neighbour at `lanes` values
// per cycle; returns the cycles taken and leaves the sum in parts[0].
int64_t SteppedReduction(std::vector<std::vector<int64_t>>& parts, int64_t lanes) {
  int64_t cycles = 0;
  for (size_t stride = 1; stride < parts.size(); stride *= 2) {
    size_t sent = 0;
    const size_t values = parts[0].size();
    // Every sending pair moves in parallel; a level ends when the last value arrived.
    while (sent < values) {
      for (size_t v = sent; v < std::min(values, sent + static_cast<size_t>(lanes)); ++v) {
        for (size_t dst = 0; dst + stride < parts.size(); dst += 2 * stride) {
          parts[dst][v] += parts[dst + stride][v];
        }
      }
      sent += static_cast<size_t>(lanes);
      ++cycles;
    }
  }
  return cycles;
}

template <typename Stepped>
void ExpectPartitionMatchesStepped(const ArrayGeometry& geo, const Partition& p,
                                   const GemmShape& shape, const char* df, uint32_t seed) {
  SCOPED_TRACE(p.ToString() + " " + df + " m=" + std::to_string(shape.m) + " k=" +
               std::to_string(shape.k) + " n=" + std::to_string(shape.n) + " g=" +
               std::to_string(shape.groups));
  ASSERT_TRUE(ValidPartition(geo, p, shape));
  const GemmOperands all = RandomOperands(shape, seed);
  const int rows = geo.rows / p.pr, cols = geo.cols / p.pc;
  const int64_t out_cols = shape.groups * shape.n;
  // Every array stepped on its slice; K parts land in their own partial-sum tile.
  std::vector<std::vector<int64_t>> partial(p.pk, std::vector<int64_t>(shape.m * out_cols, 0));
  int64_t slowest = 0;
  std::vector<std::unique_ptr<GemmOperands>> keep;
  for (int64_t im = 0; im < p.pm; ++im) {
    for (int64_t in = 0; in < p.pn; ++in) {
      for (int64_t ik = 0; ik < p.pk; ++ik) {
        Range mr, nr, gr, kr;
        keep.push_back(std::make_unique<GemmOperands>(SliceOperands(all, p, im, in, ik, &mr, &nr, &gr, &kr)));
        const GemmOperands& o = *keep.back();
        if (IsEmptyGemm(o.shape)) continue;
        Stepped sim(rows, cols, o);
        sim.RunUntil(int64_t{1} << 40);
        ASSERT_TRUE(sim.done());
        slowest = std::max(slowest, sim.cycle());
        const int64_t sn = o.shape.n, sg = o.shape.groups;
        for (int64_t x = 0; x < o.shape.m; ++x)
          for (int64_t g = 0; g < sg; ++g)
            for (int64_t j = 0; j < sn; ++j)
              partial[ik][(mr.lo + x) * out_cols + (gr.lo + g) * shape.n + nr.lo + j] =
                  sim.acc()[x * sg * sn + g * sn + j];
      }
    }
  }
  const DataflowTiming& timing = *FindDataflow(df);
  // The slowest array is the one with the largest slice: the closed form of SubGemm.
  EXPECT_EQ(slowest, timing.Cycles(rows, cols, SubGemm(p, shape)));
  // The reduction: the stepped model moves whole partial tiles of the largest array's outputs.
  std::vector<std::vector<int64_t>> tiles(p.pk, std::vector<int64_t>(
      SubGemm(p, shape).m * SubGemm(p, shape).n * SubGemm(p, shape).groups, 0));
  const int64_t reduction = p.pk > 1 ? SteppedReduction(tiles, cols) : 0;
  EXPECT_EQ(reduction, ReductionCycles(geo, p, shape));
  EXPECT_EQ(slowest + reduction, PartitionedCycles(geo, p, timing, shape));
  // And the arrays together compute the GEMM.
  for (int64_t ik = 1; ik < p.pk; ++ik)
    for (size_t i = 0; i < partial[0].size(); ++i) partial[0][i] += partial[ik][i];
  EXPECT_EQ(partial[0], ReferenceGemm(all));
}

// An 8x8 array of 2x2 sub-arrays (a 4x4 grid): small enough to step every partition.
const ArrayGeometry kGeo{8, 8, 2, 2};

const GemmShape kShapes[] = {Gemm(5, 3, 2), Gemm(13, 11, 9), Gemm(20, 17, 6), Gemm(7, 4, 1, 6),
                             Gemm(3, 9, 2, 4), Gemm(1, 1, 1)};

template <typename Stepped>
void SweepAllPartitions(const char* df) {
  uint32_t seed = 1;
  int64_t checked = 0;
  for (const GemmShape& g : kShapes) {
    for (const Partition& p : EnumeratePartitions(kGeo, g, true)) {
      ExpectPartitionMatchesStepped<Stepped>(kGeo, p, g, df, seed++);
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);  // every partition of every shape, K splits included
}

TEST(PartitionStepped, WsEveryPartitionFinishesAtTheClosedForm) {
  SweepAllPartitions<SystolicWsStepped>("ws");
}
TEST(PartitionStepped, OsEveryPartitionFinishesAtTheClosedForm) {
  SweepAllPartitions<SystolicOsStepped>("os");
}
TEST(PartitionStepped, IsEveryPartitionFinishesAtTheClosedForm) {
  SweepAllPartitions<SystolicIsStepped>("is");
}

// SAGAR's geometry (4x4 sub-arrays) on shapes around one sub-array and beyond a 16x16 array.
TEST(PartitionStepped, FourByFourSubArraysSmallerAndLargerThanTheArray) {
  const ArrayGeometry geo{16, 16, 4, 4};
  uint32_t seed = 100;
  for (const GemmShape& g : {Gemm(2, 3, 2), Gemm(40, 37, 35)}) {
    for (const Partition& p : EnumeratePartitions(geo, g, true)) {
      ExpectPartitionMatchesStepped<SystolicWsStepped>(geo, p, g, "ws", seed++);
      ExpectPartitionMatchesStepped<SystolicOsStepped>(geo, p, g, "os", seed++);
      ExpectPartitionMatchesStepped<SystolicIsStepped>(geo, p, g, "is", seed++);
    }
  }
}

// CountPartitionActions: hops vanish when every array is one sub-array, reductions follow pk.
TEST(PartitionActions, BypassHopsAndReductionsFollowThePartition) {
  const ArrayGeometry geo{16, 16, 4, 4};
  const GemmShape g = Gemm(64, 64, 64);
  const DataflowTiming& ws = *FindDataflow("ws");
  const PartitionActions mono = CountPartitionActions(geo, Partition{}, ws, g);
  // 16x16 of 4x4: per MAC (3*16 + 3*16) / 256 = 0.375 boundary hops.
  EXPECT_EQ(mono.bypass_hops, GemmMacs(g) * 3 / 8);
  EXPECT_EQ(mono.macs, 64 * 64 * 64);
  EXPECT_EQ(mono.idle_pe_cycles, mono.cycles * 256 - mono.macs);
  const PartitionActions tiny = CountPartitionActions(geo, Partition{4, 4, 4, 4, 1}, ws, g);
  EXPECT_EQ(tiny.bypass_hops, 0);
  EXPECT_EQ(tiny.reduce_adds, 0);
  EXPECT_EQ(tiny.input_reads, 4 * 4);  // 4 N parts, each 16 columns over 4-wide arrays: 4 folds
  EXPECT_EQ(tiny.weight_reads, 4);
  const PartitionActions ksplit = CountPartitionActions(geo, Partition{2, 2, 1, 1, 4}, ws, g);
  EXPECT_EQ(ksplit.reduce_adds, 3 * 64 * 64);
}

}  // namespace
}  // namespace npusim::models::timing::testing
