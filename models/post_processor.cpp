#include "models/post_processor.h"

#include <algorithm>
#include <cstring>

#include "ir/quant.h"
#include "models/timing/post_timing.h"

namespace npusim::models {

PostProcessor::PostProcessor(sc_core::sc_module_name name, const core::PostProcessorConfig& cfg,
                             core::RequantMode mode, Controller& ctrl, const std::vector<Sram*>& srams,
                             core::StatRegistry& stats, ExecMode exec)
    : sc_module(name),
      sram_isock("sram_isock"),
      cfg_(cfg),
      mode_(mode),
      exact_(exec == ExecMode::kExact),
      ctrl_(ctrl),
      mem_(sram_isock, srams, this->name()),
      requants_(stats.Register(cfg.name, "requant", "actions", "accumulators requantized")),
      passes_(
          stats.Register(cfg.name, "pass", "actions", "accumulators written unrequantized (32-bit outputs)")),
      adds_(stats.Register(cfg.name, "add", "actions", "residual-add results")),
      muls_(stats.Register(cfg.name, "mul", "actions", "rescaled products")),
      lookups_(stats.Register(cfg.name, "lookup", "actions", "values mapped through a lookup table")),
      pool_ops_(stats.Register(cfg.name, "pool_op", "actions", "values read by pooling")) {
  SC_HAS_PROCESS(PostProcessor);
  SC_THREAD(Thread);
}

int64_t PostProcessor::CyclesOf(const core::PostProcessorConfig& cfg, const isa::Instruction& in) {
  switch (in.op) {
    case isa::Opcode::kRequant:
      return timing::PostElementwiseCycles(cfg.lanes, cfg.pipeline_cycles,
                                           in.requant().count * in.requant().channels);
    case isa::Opcode::kAdd:
    case isa::Opcode::kMul:
      return timing::PostElementwiseCycles(cfg.lanes, cfg.pipeline_cycles, in.eltwise().count);
    case isa::Opcode::kLookup:  // the table into the lanes, then the values
      return timing::PostElementwiseCycles(cfg.lanes, cfg.pipeline_cycles,
                                           in.eltwise().b_count + in.eltwise().count);
    case isa::Opcode::kPool: {
      const isa::PoolArgs& p = in.pool();
      return timing::PostPoolCycles(cfg.lanes, cfg.pipeline_cycles, p.out_h * p.out_w * p.c, p.kh * p.kw);
    }
    default: return 0;
  }
}

void PostProcessor::Thread() {
  while (const isa::Instruction* in = ctrl_.Next(isa::Queue::kPost)) {
    switch (in->op) {
      case isa::Opcode::kRequant: Requant(in->requant(), in->layer); break;
      case isa::Opcode::kAdd:
      case isa::Opcode::kMul: Binary(*in); break;
      case isa::Opcode::kLookup: Lookup(in->eltwise(), in->layer); break;
      case isa::Opcode::kPool: Pool(in->pool(), in->layer); break;
      default: SC_REPORT_FATAL(name(), "instruction for another unit in the post queue");
    }
    wait(Cycles(CyclesOf(cfg_, *in)));
    ctrl_.Done(*in);
  }
}

void PostProcessor::Requant(const isa::RequantArgs& a, int layer) {
  if (a.passthrough()) return PassThrough(a, layer);
  const int64_t n = a.count * a.channels;
  const int ob = a.out_type.bytes();
  const uint8_t* acc = mem_.Ptr(a.acc_addr, n * 4);
  const uint8_t* params = mem_.Ptr(a.params_addr, 12 * a.channels);
  uint8_t* out = mem_.Ptr(a.out_addr, n * ob);
  requants_.Add(layer, n);
  mem_.Count(a.acc_addr, layer, false, n * 4);
  mem_.Count(a.params_addr, layer, false, 12 * a.channels);
  mem_.Count(a.out_addr, layer, true, n * ob);
  if (!exact_) return;
  multipliers_.resize(a.channels);
  for (int64_t c = 0; c < a.channels; ++c) {
    const int32_t m = LoadI32(params + 12 * c + 4);
    std::memcpy(&multipliers_[c], &m, 4);
  }
  if (mode_ == core::RequantMode::kOnnxFloat && ob == 1 &&
      core::RowRequantApplies(multipliers_.data(), a.channels, a.out_zero_point, a.out_min, a.out_max)) {
    return RequantRows(a, acc, out);
  }
  std::vector<core::Requant> rq(a.channels);
  for (int64_t c = 0; c < a.channels; ++c) {
    core::Requant& r = rq[c];
    r.mode = mode_;
    const int32_t m = LoadI32(params + 12 * c + 4);
    std::memcpy(&r.float_multiplier, &m, 4);
    r.fixed = core::FixedMultiplier{m, LoadI32(params + 12 * c + 8)};
    r.out_zero_point = a.out_zero_point;
    r.out_min = a.out_min;
    r.out_max = a.out_max;
  }
  for (int64_t i = 0; i < a.count; ++i) {
    for (int64_t c = 0; c < a.channels; ++c) {
      const int64_t k = i * a.channels + c;
      StoreElem(out + k * ob, a.out_type, core::Requantize(LoadI32(acc + k * 4), rq[c]));
    }
  }
}

// Float-mode REQUANT to a 1-byte type, a pixel's channels at a time through core::RequantizeRow.
void PostProcessor::RequantRows(const isa::RequantArgs& a, const uint8_t* acc, uint8_t* out) {
  row_.resize(a.channels);
  for (int64_t i = 0; i < a.count; ++i) {
    core::RequantizeRow(acc + i * a.channels * 4, multipliers_.data(), a.channels, a.out_zero_point,
                        a.out_min, a.out_max, row_.data());
    for (int64_t c = 0; c < a.channels; ++c) out[i * a.channels + c] = static_cast<uint8_t>(row_[c]);
  }
}

// The requantizer bypassed: each int32 accumulator goes through the lanes to the output buffer
// unchanged, 4 bytes per value (the pipeline timing is that of a requantization).
void PostProcessor::PassThrough(const isa::RequantArgs& a, int layer) {
  const int64_t n = a.count * a.channels;
  const uint8_t* acc = mem_.Ptr(a.acc_addr, n * 4);
  uint8_t* out = mem_.Ptr(a.out_addr, n * 4);
  passes_.Add(layer, n);
  mem_.Count(a.acc_addr, layer, false, n * 4);
  mem_.Count(a.out_addr, layer, true, n * 4);
  if (!exact_) return;
  for (int64_t k = 0; k < n; ++k) StoreI32(out + k * 4, LoadI32(acc + k * 4));
}

void PostProcessor::Binary(const isa::Instruction& in) {
  const isa::EltwiseArgs& a = in.eltwise();
  const int layer = in.layer;
  const bool add = in.op == isa::Opcode::kAdd;
  const int input_bits = std::max(a.a_type.bits, a.b_type.bits);
  const uint8_t* pa = mem_.Ptr(a.a_addr, a.count * a.a_type.bytes());
  const uint8_t* pb = mem_.Ptr(a.b_addr, a.b_count * a.b_type.bytes());
  uint8_t* out = mem_.Ptr(a.out_addr, a.count * a.out_type.bytes());
  (add ? adds_ : muls_).Add(layer, a.count);
  mem_.Count(a.a_addr, layer, false, a.count * a.a_type.bytes());
  mem_.Count(a.b_addr, layer, false, a.b_count * a.b_type.bytes());
  mem_.Count(a.out_addr, layer, true, a.count * a.out_type.bytes());
  if (!exact_) return;
  auto each = [&](auto op) {
    for (int64_t i = 0; i < a.count; ++i) {
      const int32_t va = LoadElem(pa + i * a.a_type.bytes(), a.a_type);
      const int32_t vb = LoadElem(pb + (i % a.b_count) * a.b_type.bytes(), a.b_type);
      StoreElem(out + i * a.out_type.bytes(), a.out_type, op(va, vb));
    }
  };
  if (add) {
    const core::AddParams p =
        core::MakeAddParams(mode_, a.a_scale, a.a_zero_point, a.b_scale, a.b_zero_point, a.out_scale,
                            a.out_zero_point, a.out_min, a.out_max, input_bits);
    each([&p](int32_t x, int32_t y) { return core::QuantizedAdd(x, y, p); });
  } else {
    const core::MulParams p =
        core::MakeMulParams(mode_, a.a_scale, a.a_zero_point, a.b_scale, a.b_zero_point, a.out_scale,
                            a.out_zero_point, a.out_min, a.out_max, input_bits);
    each([&p](int32_t x, int32_t y) { return core::QuantizedMul(x, y, p); });
  }
}

void PostProcessor::Lookup(const isa::EltwiseArgs& a, int layer) {
  const uint8_t* px = mem_.Ptr(a.a_addr, a.count * a.a_type.bytes());
  const uint8_t* table = mem_.Ptr(a.b_addr, a.b_count * a.b_type.bytes());
  uint8_t* out = mem_.Ptr(a.out_addr, a.count * a.out_type.bytes());
  lookups_.Add(layer, a.count);
  mem_.Count(a.a_addr, layer, false, a.count * a.a_type.bytes());
  mem_.Count(a.b_addr, layer, false, a.b_count * a.b_type.bytes());
  mem_.Count(a.out_addr, layer, true, a.count * a.out_type.bytes());
  if (!exact_) return;
  const int64_t qmin = a.a_type.is_signed ? -(int64_t{1} << (a.a_type.bits - 1)) : 0;
  for (int64_t i = 0; i < a.count; ++i) {
    const int64_t index = LoadElem(px + i * a.a_type.bytes(), a.a_type) - qmin;
    if (index < 0 || index >= a.b_count) SC_REPORT_FATAL(name(), "LOOKUP: a value outside its table");
    StoreElem(out + i * a.out_type.bytes(), a.out_type, LoadElem(table + index * a.b_type.bytes(), a.b_type));
  }
}

namespace {

// One output of a pool tile: the window at output (oy, ox) over channel ch. Taps outside the tile
// are padding (the tile holds every in-image row and column its windows read).
int32_t PoolWindow(const isa::PoolArgs& a, const uint8_t* in, int64_t oy, int64_t ox, int64_t ch,
                   core::RequantMode mode) {
  const int ib = a.in_type.bytes();
  int64_t sum = 0, count = 0;
  int32_t best = INT32_MIN;
  core::FloatAveragePool float_avg(a.in_scale, a.in_zero_point);
  for (int64_t ky = 0; ky < a.kh; ++ky) {
    const int64_t y = oy * a.stride_h + ky - a.pad_top;
    if (y < 0 || y >= a.in_h) continue;
    for (int64_t kx = 0; kx < a.kw; ++kx) {
      const int64_t x = ox * a.stride_w + kx - a.pad_left;
      if (x < 0 || x >= a.in_w) continue;
      const int32_t v = LoadElem(in + ((y * a.in_w + x) * a.c + ch) * ib, a.in_type);
      best = std::max(best, v);
      sum += v - a.in_zero_point;
      if (a.float_accumulate) float_avg.Add(v);
      ++count;
    }
  }
  if (a.kind == isa::PoolKind::kMax) return best;
  if (a.count_include_pad) count = a.kh * a.kw;
  return a.float_accumulate ? float_avg.Finish(count, a.out_scale, a.out_zero_point, a.out_min, a.out_max)
                            : core::AveragePoolRequant(sum, count, a.in_scale, a.out_scale, mode,
                                                       a.out_zero_point, a.out_min, a.out_max);
}

}  // namespace

void PostProcessor::Pool(const isa::PoolArgs& a, int layer) {
  const int ib = a.in_type.bytes(), ob = a.out_type.bytes();
  const uint8_t* in = mem_.Ptr(a.in_addr, a.in_h * a.in_w * a.c * ib);
  uint8_t* out = mem_.Ptr(a.out_addr, a.out_h * a.out_w * a.c * ob);
  pool_ops_.Add(layer, a.out_h * a.out_w * a.c * a.kh * a.kw);
  mem_.Count(a.in_addr, layer, false, a.in_h * a.in_w * a.c * ib);
  mem_.Count(a.out_addr, layer, true, a.out_h * a.out_w * a.c * ob);
  if (!exact_) return;
  for (int64_t oy = 0; oy < a.out_h; ++oy) {
    for (int64_t ox = 0; ox < a.out_w; ++ox) {
      for (int64_t ch = 0; ch < a.c; ++ch) {
        const int32_t r = PoolWindow(a, in, oy, ox, ch, mode_);
        StoreElem(out + ((oy * a.out_w + ox) * a.c + ch) * ob, a.out_type, r);
      }
    }
  }
}

}  // namespace npusim::models
