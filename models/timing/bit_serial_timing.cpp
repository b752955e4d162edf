#include "models/timing/bit_serial_timing.h"

#include <algorithm>

#include "ir/int_math.h"

namespace npusim::models::timing {
namespace {
using core::CeilDiv;

// Which operand goes bit by bit. The compiler's tiling search asks the closed forms below millions
// of times per network: one character tells the four values apart ("weights", "activations",
// "both", "none": config/unit_kind_bit_serial.cpp's kSerialOperands), where string comparisons
// were 7 % of a MobileNetV1 compile.
enum class Serial { kWeights, kActivations, kBoth, kNone };
Serial SerialOf(const core::BitSerialConfig& b) {
  switch (b.serial_operand.empty() ? 'n' : b.serial_operand[0]) {
    case 'w': return Serial::kWeights;
    case 'a': return Serial::kActivations;
    case 'b': return Serial::kBoth;
    default: return Serial::kNone;
  }
}

int64_t Passes(const core::BitSerialConfig& b, int weight_bits, int input_bits) {
  // Binary (+-1) weights without the 1-bit mode run as 2-bit two's complement (+1 = 01, -1 = 11).
  const int64_t planes = weight_bits == 1 && !b.one_bit_mode ? 2 : weight_bits;
  switch (SerialOf(b)) {
    case Serial::kWeights: return planes;
    case Serial::kActivations: return input_bits;
    case Serial::kBoth: return planes * input_bits;
    case Serial::kNone: break;
  }
  return 1;
}

bool UsesTables(const core::BitSerialConfig& b) { return SerialOf(b) != Serial::kNone; }

// Over one output's passes (per table), the sum of the shifts its lookups are accumulated at:
// plane i of a serial operand shifts by i; with both operands serial, by i_w + i_a.
int64_t ShiftSum(const core::BitSerialConfig& b, int weight_bits, int input_bits) {
  const auto tri = [](int64_t n) { return n * (n - 1) / 2; };
  const int64_t w = BitSerialBinaryMode(b, weight_bits) ? 1 : weight_bits == 1 ? 2 : weight_bits;
  switch (SerialOf(b)) {
    case Serial::kWeights: return tri(w);
    case Serial::kActivations: return tri(input_bits);
    case Serial::kBoth: return input_bits * tri(w) + w * tri(input_bits);
    case Serial::kNone: break;
  }
  return 0;
}

}  // namespace

bool BitSerialBinaryMode(const core::BitSerialConfig& b, int weight_bits) {
  const Serial serial = SerialOf(b);
  return weight_bits == 1 && b.one_bit_mode && (serial == Serial::kWeights || serial == Serial::kBoth);
}

BitSerialPlan PlanBitSerial(const core::BitSerialConfig& b, const GemmShape& shape, int weight_bits,
                            int input_bits) {
  BitSerialPlan p;
  const bool binary = BitSerialBinaryMode(b, weight_bits);
  p.passes = Passes(b, weight_bits, input_bits);
  p.group_inputs = b.lut_group + (binary ? 1 : 0);
  if (UsesTables(b)) {
    const int64_t subsets = int64_t{1} << b.lut_group;
    p.table_entries = binary ? subsets : subsets - b.lut_group - 1;
    p.build_cycles = CeilDiv(p.table_entries, int64_t{b.table_adders});
  }
  if (IsEmptyGemm(shape)) return p;
  const int64_t kpe = int64_t{b.tables_per_pe} * p.group_inputs;
  p.chunks = CeilDiv(shape.k, kpe);
  p.groups_per_pass = 1;
  if (shape.groups > 1 && p.chunks == 1 && shape.n <= b.outputs_per_pe) {
    const int64_t tables_per_group = CeilDiv(shape.k, p.group_inputs);
    p.groups_per_pass =
        std::min({shape.groups, b.tables_per_pe / tables_per_group, int64_t{b.outputs_per_pe} / shape.n});
  }
  const int64_t passes = CeilDiv(shape.groups, p.groups_per_pass);
  const int64_t pixel_folds = CeilDiv(shape.m, int64_t{b.pes_per_core});
  p.lookup_cycles = CeilDiv(shape.n * p.groups_per_pass, int64_t{b.outputs_per_pe}) * p.passes;
  if (p.chunks == 1) {
    // Nothing to split along K: the cores take (group pass, pixel fold) items round-robin.
    p.cores_used = std::min<int64_t>(b.cores, passes * pixel_folds);
    p.items = CeilDiv(passes * pixel_folds, int64_t{b.cores});
  } else {
    p.cores_used = std::min<int64_t>(b.cores, p.chunks);
    p.items = passes * pixel_folds * CeilDiv(p.chunks, int64_t{b.cores});
  }
  const bool aggregate = p.chunks > 1 && p.cores_used > 1;
  p.cycles = p.build_cycles + p.lookup_cycles + (p.items - 1) * std::max(p.build_cycles, p.lookup_cycles) +
             b.pipeline_cycles + (aggregate ? b.aggregation_cycles : 0);
  return p;
}

int64_t BitSerialCycles(const core::BitSerialConfig& b, const GemmShape& shape, int weight_bits,
                        int input_bits) {
  return PlanBitSerial(b, shape, weight_bits, input_bits).cycles;
}

double BitSerialPeakMacsPerCycle(const core::BitSerialConfig& b, int weight_bits, int input_bits) {
  const int64_t gk = b.lut_group + (BitSerialBinaryMode(b, weight_bits) ? 1 : 0);
  return static_cast<double>(int64_t{b.cores} * b.pes_per_core * b.tables_per_pe * gk * b.outputs_per_pe) /
         static_cast<double>(Passes(b, weight_bits, input_bits));
}

BitSerialActions CountBitSerialActions(const core::BitSerialConfig& b, const GemmShape& shape,
                                       int weight_bits, int input_bits) {
  return CountBitSerialActions(b, shape, weight_bits, input_bits,
                               PlanBitSerial(b, shape, weight_bits, input_bits));
}

BitSerialActions CountBitSerialActions(const core::BitSerialConfig& b, const GemmShape& shape,
                                       int weight_bits, int input_bits, const BitSerialPlan& p) {
  BitSerialActions a;
  if (IsEmptyGemm(shape)) return a;
  const int64_t outputs = shape.groups * shape.m * shape.n;
  const int64_t tables_per_output = CeilDiv(shape.k, p.group_inputs);
  a.aggregate_adds = p.chunks > 1 ? outputs * (p.cores_used - 1) : 0;
  if (!UsesTables(b)) {
    a.macs = outputs * shape.k;
    return a;
  }
  a.lookups = outputs * tables_per_output * p.passes;
  a.accumulate_bits = outputs * tables_per_output * ShiftSum(b, weight_bits, input_bits);
  a.table_entries = shape.groups * shape.m * tables_per_output * p.table_entries;
  return a;
}

}  // namespace npusim::models::timing
