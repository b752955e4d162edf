// The DRAM front end (models/dram_frontend.h), which visits only the DRAM cycles where something
// can happen, against a stepped model of the rule its header states, run every cycle: sources offer
// their requests in order from their arrival, reads at most dma_outstanding in flight per source, at
// most one per DRAM channel and source a cycle, refused while the controller's queue is full; a
// write is done when taken, a read when its data has arrived. Every transfer's last acceptance,
// completion and per-piece data cycle agree, to the cycle. The NPU and DRAM clocks are equal here
// (the conversion is the identity), so the front end's cycles are the model's.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "config/dram.h"
#include "models/dram_frontend.h"
#include "models/timing/dram.h"

namespace npusim::models {
namespace {

constexpr uint64_t kNever = UINT64_MAX;

struct Transfer {
  int source = 0;  // 0 reads, 1 writes (as the DMA uses them)
  std::vector<uint64_t> addr, after;
};

struct Outcome {
  uint64_t issued = 0, done = 0;
  std::vector<uint64_t> piece_done;  // reads
  bool operator==(const Outcome& o) const {
    return issued == o.issued && done == o.done && piece_done == o.piece_done;
  }
};

// Transfers of 1..48 pieces, all made at cycle 0 with pieces starting over the first few thousand
// cycles: runs of lines (row hits), strides across banks and rows, random lines.
std::vector<Transfer> RandomTransfers(const core::DramSpec& s, uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  auto below = [&rng](uint64_t k) { return rng() % k; };
  const uint64_t line = s.access_bytes(), lines = s.capacity_bytes() / line;
  std::vector<Transfer> out(n);
  for (Transfer& t : out) {
    t.source = static_cast<int>(below(3) == 0);
    const uint64_t pieces = 1 + below(48), base = below(lines), stride = uint64_t{1} << below(12);
    const uint64_t start = below(4000), gap = below(3) * below(40);
    const bool random = below(4) == 0;
    for (uint64_t k = 0; k < pieces; ++k) {
      const uint64_t l = random ? below(lines) : base + k * stride;
      t.addr.push_back((l % lines) * line);
      t.after.push_back(start + k * gap);
    }
  }
  return out;
}

// RandomTransfers, each write followed by a read of the same lines a little later: the controller
// answers such reads from its write queue in one cycle, so they complete before reads issued earlier.
std::vector<Transfer> ReReadTransfers(const core::DramSpec& s, uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::vector<Transfer> out;
  for (const Transfer& t : RandomTransfers(s, seed, n)) {
    out.push_back(t);
    if (t.source != 1) continue;
    Transfer r = t;
    r.source = 0;
    for (uint64_t& a : r.after) a += rng() % 64;
    out.push_back(r);
  }
  return out;
}

std::vector<Outcome> RunFrontEnd(const core::DramSpec& spec, const std::vector<Transfer>& transfers,
                                 timing::DramCounts* counts = nullptr) {
  DramFrontEnd fe(spec, spec.clock_mhz, {});
  std::vector<DramTicket> tickets(transfers.size());
  for (size_t i = 0; i < transfers.size(); ++i)
    fe.Submit(transfers[i].source, &tickets[i], transfers[i].source == 1, -1, transfers[i].addr,
              transfers[i].after);
  for (int guard = 0; fe.Pending(); ++guard) {
    if (guard > 10'000'000) break;
    fe.Advance(kNever);
    fe.Deliver(kNever);
  }
  fe.Deliver(kNever);
  std::vector<Outcome> out(transfers.size());
  for (size_t i = 0; i < transfers.size(); ++i) {
    EXPECT_TRUE(tickets[i].is_issued && tickets[i].is_done) << "transfer " << i;
    out[i] = {tickets[i].issued_at, tickets[i].done_at, tickets[i].piece_done};
  }
  if (counts) *counts = fe.Counts();
  return out;
}

// The header's rule, every DRAM cycle stepped.
std::vector<Outcome> RunStepped(const core::DramSpec& spec, const std::vector<Transfer>& transfers) {
  struct Waiting {
    size_t transfer, piece;
  };
  timing::DramSystem dram(spec);
  std::vector<std::deque<Waiting>> sources(2);
  std::vector<int> outstanding(2, 0);
  std::vector<Outcome> out(transfers.size());
  std::vector<size_t> left(transfers.size());
  for (size_t i = 0; i < transfers.size(); ++i) {
    left[i] = transfers[i].addr.size();
    if (transfers[i].source == 0) out[i].piece_done.assign(left[i], 0);
    for (size_t k = 0; k < left[i]; ++k) sources[transfers[i].source].push_back({i, k});
  }
  std::vector<Waiting> inflight;  // by request id
  std::vector<timing::DramCompletion> due;
  size_t busy = transfers.size();
  for (uint64_t c = 0; busy > 0 && c < 50'000'000; ++c) {
    std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) { return a.cycle > b.cycle; });
    while (!due.empty() && due.back().cycle <= c) {
      const Waiting w = inflight[due.back().id];
      --outstanding[0];
      out[w.transfer].piece_done[w.piece] = due.back().cycle;
      out[w.transfer].done = std::max(out[w.transfer].done, due.back().cycle);
      busy -= --left[w.transfer] == 0;
      due.pop_back();
    }
    for (int s = 0; s < 2; ++s) {
      for (int n = 0; n < spec.channels && !sources[s].empty(); ++n) {
        const Waiting w = sources[s].front();
        const Transfer& t = transfers[w.transfer];
        timing::DramRequest r{inflight.size(), t.addr[w.piece], s == 1, -1};
        if (t.after[w.piece] > c || (s == 0 && outstanding[0] >= spec.dma_outstanding)) break;
        if (!dram.Offer(r, c)) break;
        out[w.transfer].issued = c;  // the pieces are taken in order: the last one taken is the last
        inflight.push_back(w);
        sources[s].pop_front();
        if (s == 0) {
          ++outstanding[0];
        } else {
          out[w.transfer].done = c;
          busy -= --left[w.transfer] == 0;
        }
      }
    }
    dram.Tick(c);
    std::vector<timing::DramCompletion> got;
    dram.TakeCompletions(got);
    for (const auto& d : got)
      if (!d.write) due.push_back(d);
  }
  EXPECT_EQ(busy, 0u);
  return out;
}

struct Case {
  std::string name;
  std::string preset;
  int dma_outstanding;
  int queue;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class DramFrontEndTest : public ::testing::TestWithParam<Case> {};

void ExpectSameOutcomes(const std::vector<Outcome>& got, const std::vector<Outcome>& want) {
  size_t differ = 0, first = got.size();
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] == want[i]) continue;
    ++differ;
    first = std::min(first, i);
  }
  EXPECT_EQ(differ, 0u) << "first differing transfer " << first << ": issued " << got[first].issued << " vs "
                        << want[first].issued << ", done " << got[first].done << " vs " << want[first].done;
}

core::DramSpec SpecOf(const Case& c) {
  core::DramSpec spec = *core::DramPreset(c.preset);
  spec.dma_outstanding = c.dma_outstanding;
  spec.read_queue = spec.write_queue = c.queue;
  return spec;
}

TEST_P(DramFrontEndTest, VisitedCyclesGiveTheEveryCycleOutcome) {
  const core::DramSpec spec = SpecOf(GetParam());
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const std::vector<Transfer> transfers = RandomTransfers(spec, seed * 104723, 120);
    ExpectSameOutcomes(RunFrontEnd(spec, transfers), RunStepped(spec, transfers));
  }
}

// Reads answered from the write queue complete out of issue order: the front end's list of reads in
// flight, kept by completion cycle, must deliver them in the stepped model's order all the same.
TEST_P(DramFrontEndTest, ForwardedReadsGiveTheEveryCycleOutcome) {
  const core::DramSpec spec = SpecOf(GetParam());
  uint64_t forwarded = 0;
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const std::vector<Transfer> transfers = ReReadTransfers(spec, seed * 7727, 80);
    timing::DramCounts counts;
    ExpectSameOutcomes(RunFrontEnd(spec, transfers, &counts), RunStepped(spec, transfers));
    forwarded += counts.forwarded;
  }
  EXPECT_GT(forwarded, 0u);
}

INSTANTIATE_TEST_SUITE_P(Presets, DramFrontEndTest,
                         ::testing::Values(Case{"lpddr4_outstanding_4", "lpddr4-3200", 4, 32},
                                           Case{"lpddr4_default", "lpddr4-3200", 32, 32},
                                           Case{"ddr4_outstanding_64_small_queues", "ddr4-2400", 64, 8},
                                           Case{"hbm2_outstanding_8", "hbm2", 8, 16},
                                           Case{"ddr5_outstanding_16", "ddr5-3200", 16, 32}),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

}  // namespace
}  // namespace npusim::models
