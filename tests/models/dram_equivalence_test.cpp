// The DRAM controller against the cycle-stepped reference (dram_reference.h) on random traces:
// every request's completion cycle, the last accepted cycle and every command count agree, to the
// cycle. The controller runs twice: through RunDramTrace (which skips idle cycles) and ticked every
// cycle by hand (for per-request completions, which RunDramTrace does not return).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "config/dram.h"
#include "models/timing/dram.h"
#include "models/timing/dram_trace.h"
#include "tests/models/dram_reference.h"

namespace npusim::models::timing {
namespace {

// Segments of 16..215 requests, each one pattern with one share of writes: sequential lines,
// strided (64 B .. 2 MiB), uniform random, a few hot rows, or re-reads of recent requests (which
// the write queue may answer).
std::vector<DramRequest> RandomTrace(const core::DramSpec& s, uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  auto below = [&rng](uint64_t k) { return rng() % k; };
  const uint64_t line = s.access_bytes(), lines = s.capacity_bytes() / line;
  const uint64_t row_lines = static_cast<uint64_t>(s.columns);
  std::vector<uint64_t> hot(4);
  for (uint64_t& h : hot) h = below(lines / row_lines) * row_lines;
  std::vector<DramRequest> out;
  while (out.size() < n) {
    const uint64_t pattern = below(5), len = 16 + below(200), writes = below(5) * 25;
    const uint64_t base = below(lines), stride = uint64_t{1} << below(16);
    for (uint64_t k = 0; k < len && out.size() < n; ++k) {
      uint64_t l = 0;
      switch (pattern) {
        case 0: l = base + k; break;
        case 1: l = base + k * stride; break;
        case 2: l = below(lines); break;
        case 3: l = hot[below(hot.size())] + below(8); break;
        default:
          l = out.empty() ? base : out[out.size() - 1 - below(std::min<size_t>(out.size(), 48))].addr / line;
      }
      const bool write = below(100) < writes && pattern != 4;
      out.push_back({out.size(), (l % lines) * line + below(line), write, -1});
    }
  }
  return out;
}

// Long row-hit runs that FR-FCFS serves back to back, interleaved with 1..3 other streams in the
// same bank on other rows (row hits queued behind conflicts and the reverse), reads and writes
// mixed, in bursts long enough for refreshes to fall inside the runs.
std::vector<DramRequest> RowRunTrace(const core::DramSpec& s, uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  auto below = [&rng](uint64_t k) { return rng() % k; };
  const uint64_t line = s.access_bytes(), lines = s.capacity_bytes() / line;
  const uint64_t row_step = lines / static_cast<uint64_t>(s.rows);  // the next row, same bank (RoBa...)
  std::vector<DramRequest> out;
  while (out.size() < n) {
    const uint64_t base = below(lines), streams = 1 + below(4), len = 64 + below(400);
    const uint64_t writes = below(3) * 30;
    std::vector<uint64_t> next(streams);
    for (uint64_t k = 0; k < streams; ++k) next[k] = base + (1 + below(64)) * k * row_step;
    for (uint64_t k = 0; k < len && out.size() < n; ++k) {
      const uint64_t st = below(8) < 6 ? 0 : below(streams);  // mostly the first stream's run
      const bool write = below(100) < writes;
      out.push_back({out.size(), (next[st]++ % lines) * line, write, -1});
    }
  }
  return out;
}

struct Stepped {
  std::vector<uint64_t> done;
  uint64_t last_accepted = 0;
  bool finished = true;  // false: still busy after tests::kMaxTraceCycles
};

// The trace offering rule of dram_trace.h, every cycle ticked.
Stepped RunStepped(const core::DramSpec& spec, const std::vector<DramRequest>& requests) {
  DramSystem sys(spec);
  Stepped r;
  r.done.assign(requests.size(), 0);
  size_t i = 0;
  for (uint64_t c = 0; i < requests.size() || !sys.Empty(); ++c) {
    if (c == tests::kMaxTraceCycles) {
      r.finished = false;
      break;
    }
    if (i < requests.size() && sys.Offer(requests[i], c)) {
      r.last_accepted = c;
      ++i;
    }
    sys.Tick(c);
  }
  std::vector<DramCompletion> got;
  sys.TakeCompletions(got);
  for (const DramCompletion& d : got) r.done[d.id] = d.cycle;
  return r;
}

// The k-th smallest read latency for every k, out of the histogram (exact below kMax, which holds
// everything longer).
std::vector<uint64_t> SortedLatencies(const LatencyHistogram& h) {
  std::vector<uint64_t> v;
  const double n = static_cast<double>(h.count());
  for (uint64_t k = 1; k <= h.count(); ++k) v.push_back(h.Percentile((static_cast<double>(k) - 0.5) / n));
  return v;
}

std::string FirstDifference(const std::vector<DramRequest>& trace, const std::vector<uint64_t>& got,
                            const std::vector<uint64_t>& want) {
  size_t bad = 0, first = got.size();
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] == want[i]) continue;
    ++bad;
    first = std::min(first, i);
  }
  if (bad == 0) return "";
  std::ostringstream os;
  os << bad << " requests differ; the first, #" << first << " (" << (trace[first].write ? "write" : "read")
     << " 0x" << std::hex << trace[first].addr << std::dec << "), completes at " << got[first]
     << " in the controller, " << want[first] << " in the reference";
  return os.str();
}

struct Case {
  std::string name;
  core::DramSpec spec;
};

Case Variant(const std::string& name, const char* preset, void (*edit)(core::DramSpec&)) {
  core::DramSpec s = *core::DramPreset(preset);
  edit(s);
  EXPECT_TRUE(core::DramSpecProblems(s).empty()) << name;
  return {name, s};
}

std::vector<Case> Cases() {
  return {
      Variant("ddr4_open", "ddr4-2400", [](core::DramSpec&) {}),
      Variant("ddr4_closed_xor_small_queues", "ddr4-2400",
              [](core::DramSpec& s) {
                s.page = core::PagePolicy::kClosed;
                s.xor_hash = true;
                s.read_queue = 6;
                s.write_queue = 6;  // drains above 4.8, stops below 1.2
              }),
      Variant("ddr4_2rank_short_refi", "ddr4-2400",
              [](core::DramSpec& s) {
                s.ranks = 2;
                s.t.REFI = 900;
                s.t.RFC = 120;
                s.write_high = 0.5;
                s.write_low = 0.25;
              }),
      Variant("ddr4_2rank_closed_xor_ChRaBgBaRoCo", "ddr4-2400",
              [](core::DramSpec& s) {
                s.ranks = 2;
                s.page = core::PagePolicy::kClosed;
                s.xor_hash = true;
                s.read_queue = 8;
                s.write_queue = 8;
                s.t.REFI = 1500;
                core::ParseAddressMapping("RoCoRaBaBgCh", &s.mapping);
              }),
      Variant("hbm2_open_xor", "hbm2", [](core::DramSpec& s) { s.xor_hash = true; }),
      Variant("hbm2_closed_small_queues", "hbm2",
              [](core::DramSpec& s) {
                s.page = core::PagePolicy::kClosed;
                s.read_queue = 4;
                s.write_queue = 4;
              }),
      Variant("ddr5_open_small_queues", "ddr5-3200",
              [](core::DramSpec& s) {
                s.read_queue = 8;
                s.write_queue = 10;
              }),
      Variant("lpddr4_closed", "lpddr4-3200", [](core::DramSpec& s) { s.page = core::PagePolicy::kClosed; }),
      Variant("lpddr4_open", "lpddr4-3200", [](core::DramSpec&) {}),  // the README command's DRAM
      // 128 banks: the controller's per-queue bit sets of banks with requests span two words.
      Variant("ddr5_4rank_128_banks_xor", "ddr5-3200",
              [](core::DramSpec& s) {
                s.ranks = 4;
                s.xor_hash = true;
                s.read_queue = 16;
                s.write_queue = 16;
                s.t.REFI = 1500;
              }),
      Variant("ddr5_2rank_closed_three_cycle_commands", "ddr5-3200",
              [](core::DramSpec& s) {
                s.ranks = 2;
                s.page = core::PagePolicy::kClosed;
                s.t.CMD = 3;
                s.t.REFI = 1200;
              }),
  };
}

// What the traces of one case exercised.
struct Scene {
  uint64_t refused = 0, refreshes = 0, forwarded = 0, conflicts = 0, writes = 0;
};

void ExpectSameCounts(const DramCounts& k, const tests::ReferenceDramResult& ref) {
  EXPECT_EQ(k.act, ref.act);
  EXPECT_EQ(k.pre, ref.pre);
  EXPECT_EQ(k.rd, ref.rd);
  EXPECT_EQ(k.wr, ref.wr);
  EXPECT_EQ(k.ref, ref.ref);
  EXPECT_EQ(k.row_hits, ref.row_hits);
  EXPECT_EQ(k.row_misses, ref.row_misses);
  EXPECT_EQ(k.row_conflicts, ref.row_conflicts);
  EXPECT_EQ(k.forwarded, ref.forwarded);
}

void Compare(const core::DramSpec& spec, const std::vector<DramRequest>& trace, Scene* scene) {
  const tests::ReferenceDramResult ref = tests::RunReferenceDramTrace(spec, trace);
  ASSERT_TRUE(ref.finished);
  const Stepped stepped = RunStepped(spec, trace);
  ASSERT_TRUE(stepped.finished);
  const DramTraceResult run = RunDramTrace(spec, trace);

  EXPECT_EQ(FirstDifference(trace, stepped.done, ref.done), "");
  EXPECT_EQ(stepped.last_accepted, ref.last_accepted);
  EXPECT_EQ(run.last_accepted, ref.last_accepted);
  EXPECT_EQ(run.last_done, *std::max_element(ref.done.begin(), ref.done.end()));
  ExpectSameCounts(run.counts, ref);
  std::vector<uint64_t> latencies;
  for (size_t i = 0; i < trace.size(); ++i)
    if (!trace[i].write) latencies.push_back(std::min(ref.done[i] - ref.accepted[i], LatencyHistogram::kMax));
  std::sort(latencies.begin(), latencies.end());
  EXPECT_EQ(SortedLatencies(run.counts.read_latency), latencies);

  for (size_t i = 1; i < trace.size(); ++i) scene->refused += ref.accepted[i] > ref.accepted[i - 1] + 1;
  scene->refreshes += ref.ref;
  scene->forwarded += ref.forwarded;
  scene->conflicts += ref.row_conflicts;
  scene->writes += ref.wr;
}

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoll(v) : fallback;
}

class DramEquivalence : public ::testing::TestWithParam<size_t> {};

// NPUSIM_DRAM_TRACES=N (default 3) runs N traces per case, NPUSIM_DRAM_SEED=S from seed S.
TEST_P(DramEquivalence, ControllerEqualsCycleSteppedReference) {
  const Case c = Cases()[GetParam()];
  const int64_t traces = EnvInt("NPUSIM_DRAM_TRACES", 3), first = EnvInt("NPUSIM_DRAM_SEED", 1);
  Scene scene;
  for (int64_t seed = first; seed < first + traces; ++seed) {
    SCOPED_TRACE(c.name + " seed " + std::to_string(seed));
    Compare(c.spec, RandomTrace(c.spec, static_cast<uint64_t>(seed) * 7919 + GetParam(), 4000), &scene);
  }
  // The traces were not trivial: full queues, refreshes, forwarding, row conflicts, writes.
  EXPECT_GT(scene.refused, 0u);
  EXPECT_GT(scene.refreshes, 0u);
  EXPECT_GT(scene.forwarded, 0u);
  EXPECT_GT(scene.conflicts, 0u);
  EXPECT_GT(scene.writes, 0u);
}

// Row-hit runs against conflicts in the same bank: the per-bank arrival lists the scheduler picks
// from must give the same oldest-hit-first order as a scan of the whole queue.
TEST_P(DramEquivalence, RowRunsAndSameBankStreamsEqualReference) {
  const Case c = Cases()[GetParam()];
  Scene scene;
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    SCOPED_TRACE(c.name + " seed " + std::to_string(seed));
    Compare(c.spec, RowRunTrace(c.spec, seed * 6007 + GetParam(), 5000), &scene);
  }
  EXPECT_GT(scene.refreshes, 0u);
  EXPECT_GT(scene.conflicts, 0u);
  EXPECT_GT(scene.writes, 0u);
}

// Background (rank cycles active or precharged) per layer: the controller accounts it only when a
// rank's open state or layer changes; the reference counts it cycle by cycle from its command
// history. Requests carry layers -1..2 in runs of 37, so the layer changes mid-stream.
TEST_P(DramEquivalence, BackgroundPerLayerEqualsCycleCountedReference) {
  const Case c = Cases()[GetParam()];
  std::vector<DramRequest> trace = RandomTrace(c.spec, 104729 + GetParam(), 3000);
  for (size_t i = 0; i < trace.size(); ++i) trace[i].layer = static_cast<int>((i / 37) % 4) - 1;
  std::vector<uint64_t> active, precharged;
  auto add = [](std::vector<uint64_t>& v, int layer, uint64_t n) {
    const auto i = static_cast<size_t>(layer + 1);
    if (v.size() <= i) v.resize(i + 1, 0);
    v[i] += n;
  };
  DramEvents events;
  events.background = [&](int layer, uint64_t a, uint64_t p) {
    add(active, layer, a);
    add(precharged, layer, p);
  };
  DramSystem sys(c.spec, events);
  size_t i = 0;
  uint64_t cycle = 0;
  for (; i < trace.size() || !sys.Empty(); ++cycle) {
    ASSERT_LT(cycle, tests::kMaxTraceCycles);
    if (i < trace.size() && sys.Offer(trace[i], cycle)) ++i;
    sys.Tick(cycle);
  }
  const uint64_t end = cycle + 100;
  sys.Finish(end);
  const tests::ReferenceDramResult ref = tests::RunReferenceDramTrace(c.spec, trace, end);
  auto trim = [](std::vector<uint64_t> v) {
    while (!v.empty() && v.back() == 0) v.pop_back();
    return v;
  };
  EXPECT_EQ(trim(active), trim(ref.active_by_layer));
  EXPECT_EQ(trim(precharged), trim(ref.precharged_by_layer));
  // Every rank cycle is counted once, and the layers took some of each.
  uint64_t total = 0;
  for (uint64_t v : ref.active_by_layer) total += v;
  for (uint64_t v : ref.precharged_by_layer) total += v;
  EXPECT_EQ(total, end * static_cast<uint64_t>(c.spec.channels * c.spec.ranks));
  EXPECT_GE(trim(active).size(), 3u);
}

// The per-layer tallies of commands and row outcomes (DramCounts::by_layer, which the NPU's counters
// take at the end of a run) against the events reported one by one, and their totals against the
// counts; requests carry layers -1..2 in runs of 29 (most cases' traces see refreshes too).
TEST_P(DramEquivalence, PerLayerTalliesEqualTheEvents) {
  const Case c = Cases()[GetParam()];
  std::vector<DramRequest> trace = RandomTrace(c.spec, 7 + GetParam(), 3000);
  for (size_t i = 0; i < trace.size(); ++i) trace[i].layer = static_cast<int>((i / 29) % 4) - 1;
  std::vector<std::array<uint64_t, DramCounts::kRowOutcome + 3>> seen(4);
  DramEvents events;
  events.command = [&](int layer, DramCmd cmd) { ++seen.at(layer + 1)[static_cast<size_t>(cmd)]; };
  events.row = [&](int layer, int kind) { ++seen.at(layer + 1)[DramCounts::kRowOutcome + kind]; };
  const DramTraceResult run = RunDramTrace(c.spec, trace, events);
  const DramCounts& k = run.counts;
  ASSERT_EQ(k.by_layer.size(), seen.size());
  EXPECT_EQ(k.by_layer, seen);
  const uint64_t totals[] = {k.act, k.pre, k.rd, k.wr, k.ref, k.row_hits, k.row_misses, k.row_conflicts};
  for (size_t x = 0; x < seen[0].size(); ++x) {
    uint64_t sum = 0;
    for (const auto& layer : k.by_layer) sum += layer[x];
    EXPECT_EQ(sum, totals[x]) << "column " << x;
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, DramEquivalence, ::testing::Range<size_t>(0, Cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& i) { return Cases()[i.param].name; });

}  // namespace
}  // namespace npusim::models::timing
