// A cycle-stepped model of the bit-serial array (UNPU-style LBPEs), independent of the closed form
// in models/timing/bit_serial_timing.h: it builds real lookup tables entry by entry, looks them up
// with real weight bit-planes, shift-accumulates, and counts cycles as it goes. Tests compare its
// finishing cycle with BitSerialCycles (0 cycles difference) and its sums with plain integer
// dot products (the bit-plane identity the BitSerialArray's datapath relies on).
//
// What it steps, per core (every core runs its own item list; the chip finishes with its slowest
// core, then the pipeline and, when K was split over cores, the aggregation adder tree):
//  - an item is (group pass, pixel fold, K chunk): pes_per_core pixels x the chunk's inputs x the
//    pass's output streams;
//  - a table builder with table_adders adders fills one of two table buffers, `adders` entries
//    per cycle, each entry one add from an entry with one input fewer (binary mode: each of its
//    2^G entries one add/subtract); it may start the next item's tables when that buffer's
//    previous item has finished its lookups;
//  - a lookup engine that, once the item's tables are complete and the previous item's lookups
//    are done, spends one cycle per (output fold, bit-plane): every pixel's every active stream
//    looks up every table with one bit of each weight of the group and shift-accumulates.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "config/arch.h"
#include "models/timing/dataflow_timing.h"

namespace npusim::models::timing::testing {

// Weight-serial values: x[g][m][k], w[g][k][n] (w two's complement in `wbits`, or +-1 binary).
struct BitSerialProblem {
  GemmShape shape;
  int wbits = 8, abits = 8;
  std::vector<std::vector<std::vector<int64_t>>> x, w;
};

struct BitSerialSteppedResult {
  int64_t cycles = 0;
  std::vector<std::vector<std::vector<int64_t>>> y;  // y[g][m][n]
};

inline int64_t CeilDivT(int64_t a, int64_t b) { return (a + b - 1) / b; }

namespace bit_serial {

// What the configuration and the problem fix before stepping.
struct Plan {
  bool binary = false;  // 1-bit weights as +-1 (XNOR tables)
  int G = 1, Gk = 1;    // table group; inputs per table (binary: one more)
  int wplanes = 1;      // weight bit-planes
  int passes = 1;       // serial passes per output fold
  int64_t kpe = 1;      // inputs per PE per item
  int64_t chunks = 1;   // K chunks
  int64_t gp = 1;       // groups per pass
  int64_t entries = 0;  // table entries the builder adds per item
};

inline Plan PlanOf(const core::BitSerialConfig& b, const BitSerialProblem& p) {
  const GemmShape& s = p.shape;
  Plan q;
  const bool tables = b.serial_operand != "none";
  q.binary = p.wbits == 1 && b.one_bit_mode && (b.serial_operand == "weights" || b.serial_operand == "both");
  q.G = b.lut_group;
  q.Gk = q.G + (q.binary ? 1 : 0);
  q.wplanes = p.wbits == 1 && !q.binary ? 2 : p.wbits;
  if (b.serial_operand == "weights") q.passes = q.wplanes;
  if (b.serial_operand == "activations") q.passes = p.abits;
  if (b.serial_operand == "both") q.passes = q.wplanes * p.abits;
  q.kpe = int64_t{b.tables_per_pe} * q.Gk;
  q.chunks = CeilDivT(s.k, q.kpe);
  // Groups per pass: as many whole groups as there are tables and streams for.
  if (s.groups > 1 && q.chunks == 1 && s.n <= b.outputs_per_pe) {
    const int64_t tpg = CeilDivT(s.k, q.Gk);
    q.gp = std::min<int64_t>({s.groups, b.tables_per_pe / tpg, b.outputs_per_pe / s.n});
  }
  q.entries = !tables ? 0 : q.binary ? (int64_t{1} << q.G) : (int64_t{1} << q.G) - q.G - 1;
  return q;
}

// An item: (group pass, pixel fold, K chunk).
struct Item {
  int64_t g0, gcount, m0, kc;
};

// Item lists per core: pixel folds round-robin over the cores, or K chunk kc on core kc % cores.
inline std::vector<std::vector<Item>> ItemsPerCore(const core::BitSerialConfig& b, const GemmShape& s,
                                                   const Plan& q) {
  std::vector<std::vector<Item>> core_items(b.cores);
  int64_t next = 0;
  for (int64_t g0 = 0; g0 < s.groups; g0 += q.gp) {
    for (int64_t m0 = 0; m0 < s.m; m0 += b.pes_per_core) {
      const Item base{g0, std::min(q.gp, s.groups - g0), m0, 0};
      if (q.chunks == 1) {
        core_items[next++ % b.cores].push_back(base);
        continue;
      }
      for (int64_t kc = 0; kc < q.chunks; ++kc) {
        Item it = base;
        it.kc = kc;
        core_items[kc % b.cores].push_back(it);
      }
    }
  }
  return core_items;
}

// The table of features t0 .. t0 + gsz - 1 of x[gi][mi]: entry[idx] = sum of x over the set bits.
inline std::vector<int64_t> Table(const BitSerialProblem& p, int64_t gi, int64_t mi, int64_t t0, int gsz) {
  std::vector<int64_t> table(int64_t{1} << gsz, 0);
  for (int64_t idx = 1; idx < static_cast<int64_t>(table.size()); ++idx) {
    int hi = 63 - __builtin_clzll(static_cast<unsigned long long>(idx));
    table[idx] = table[idx & ~(int64_t{1} << hi)] + p.x[gi][mi][t0 + hi];
  }
  return table;
}

// Output stream ni's lookups in that table, with one bit of each of its weights in the group.
inline int64_t LookUp(const BitSerialProblem& p, const Plan& q, const std::vector<int64_t>& table, int64_t gi,
                      int64_t t0, int gsz, int64_t ni) {
  if (q.binary) {
    // bit 1 = +1, bit 0 = -1: sum = 2 * table[ones] - table[all].
    const int64_t all = static_cast<int64_t>(table.size()) - 1;
    int64_t idx = 0;
    for (int j = 0; j < gsz; ++j) idx |= int64_t{p.w[gi][t0 + j][ni] > 0} << j;
    return 2 * table[idx] - table[all];
  }
  int64_t sum = 0;
  for (int plane = 0; plane < q.wplanes; ++plane) {
    int64_t idx = 0;
    for (int j = 0; j < gsz; ++j) {
      const uint64_t wbitsv = static_cast<uint64_t>(p.w[gi][t0 + j][ni]);
      idx |= static_cast<int64_t>((wbitsv >> plane) & 1) << j;
    }
    const int64_t v = table[idx] * (int64_t{1} << plane);
    sum += plane == q.wplanes - 1 ? -v : v;  // the sign plane subtracts
  }
  return sum;
}

// The item's sums: computed as the hardware does, table lookups per bit-plane.
inline void AddItemSums(const core::BitSerialConfig& b, const BitSerialProblem& p, const Plan& q,
                        const Item& it, BitSerialSteppedResult* r) {
  const GemmShape& s = p.shape;
  for (int64_t gi = it.g0; gi < it.g0 + it.gcount; ++gi) {
    for (int64_t mi = it.m0; mi < std::min(s.m, it.m0 + b.pes_per_core); ++mi) {
      const int64_t k0 = it.kc * q.kpe, k1 = std::min(s.k, k0 + q.kpe);
      for (int64_t t0 = k0; t0 < k1; t0 += q.Gk) {
        const int gsz = static_cast<int>(std::min(k1, t0 + q.Gk) - t0);
        const std::vector<int64_t> table = Table(p, gi, mi, t0, gsz);
        for (int64_t ni = 0; ni < s.n; ++ni) r->y[gi][mi][ni] += LookUp(p, q, table, gi, t0, gsz, ni);
      }
    }
  }
}

// Steps one core through its items cycle by cycle; returns the cycle after its last lookup.
inline int64_t StepCore(const core::BitSerialConfig& b, const BitSerialProblem& p, const Plan& q,
                        const std::vector<Item>& items, BitSerialSteppedResult* r) {
  const int64_t n_items = static_cast<int64_t>(items.size());
  // Builder state and lookup state.
  // Without table entries to build (lut_group 1, or "none") every item's tables are ready.
  int64_t built = q.entries == 0 ? n_items : 0;  // items with tables
  int64_t build_progress = 0;                    // entries of item `built` done so far
  int64_t looked = 0;                            // items whose lookups are complete
  int64_t lookup_progress = 0;                   // (fold, plane) steps of item `looked` done
  int64_t last_lookup_cycle = -1;
  const int64_t nfold_outputs = CeilDivT(p.shape.n * q.gp, b.outputs_per_pe);
  const int64_t steps = nfold_outputs * q.passes;
  for (int64_t cycle = 0; looked < n_items; ++cycle) {
    // Lookup engine (uses tables completed before this cycle).
    const bool can_lookup = looked < built;
    // Builder: next item's buffer is free when item built-2 has finished lookups.
    const bool can_build = built < n_items && built - looked < 2;
    if (can_lookup && ++lookup_progress == steps) {
      AddItemSums(b, p, q, items[looked], r);
      ++looked;
      lookup_progress = 0;
      last_lookup_cycle = cycle;
    }
    if (can_build) {
      build_progress += b.table_adders;
      if (build_progress >= q.entries) {
        ++built;
        build_progress = 0;
      }
    }
  }
  return last_lookup_cycle + 1;
}

}  // namespace bit_serial

inline BitSerialSteppedResult StepBitSerial(const core::BitSerialConfig& b, const BitSerialProblem& p) {
  const GemmShape& s = p.shape;
  BitSerialSteppedResult r;
  r.y.assign(s.groups, std::vector<std::vector<int64_t>>(s.m, std::vector<int64_t>(s.n, 0)));
  if (s.m == 0 || s.k == 0 || s.n == 0 || s.groups == 0) return r;
  const bit_serial::Plan q = bit_serial::PlanOf(b, p);
  int64_t finish = 0;
  for (const std::vector<bit_serial::Item>& items : bit_serial::ItemsPerCore(b, s, q)) {
    if (items.empty()) continue;
    finish = std::max(finish, bit_serial::StepCore(b, p, q, items, &r));
  }
  const bool aggregated = q.chunks > 1 && std::min<int64_t>(b.cores, q.chunks) > 1;
  r.cycles = finish + b.pipeline_cycles + (aggregated ? b.aggregation_cycles : 0);
  return r;
}

}  // namespace npusim::models::timing::testing
