#include "config/unit_kind_sparse.h"

#include "config/arch.h"
#include "config/area.h"
#include "config/unit_kind.h"

namespace npusim::core {
namespace {

class SparseKind final : public UnitKind {
 public:
  std::vector<std::string> keys() const override {
    return {"pes",           "simd_width",          "index_bits",     "formats",
            "decode_cycles", "row_overhead_cycles", "pipeline_cycles"};
  }

  void Parse(JsonChecker& check, const Json& u, const std::string& up, UnitConfig* unit) const override {
    SparseConfig s;
    SetIf(check.GetInt(u, up, "pes", Need::kRequired, 1, 4096), &s.pes);
    SetIf(check.GetInt(u, up, "simd_width", Need::kRequired, 1, 256), &s.simd_width);
    ParseIndexBits(check, u, up, &s);
    ParseFormats(check, u, up, &s);
    SetIf(check.GetInt(u, up, "decode_cycles", Need::kOptional, 0, 1000), &s.decode_cycles);
    SetIf(check.GetInt(u, up, "row_overhead_cycles", Need::kOptional, 0, 1000), &s.row_overhead_cycles);
    SetIf(check.GetInt(u, up, "pipeline_cycles", Need::kOptional, 0, 1000), &s.pipeline_cycles);
    unit->rows = s.simd_width;
    unit->cols = s.pes;
    unit->dataflow = "sparse";
    unit->set_params(s);
  }

  // A pruned weight is the zero point; binary (1-bit) weights have no zero, so nothing to skip.
  void CheckCommon(JsonChecker& check, const UnitConfig& unit, const std::string& up) const override {
    for (size_t i = 0; i < unit.weight_bits.size(); ++i) {
      if (unit.weight_bits[i] == 1) {
        check.Add(Pointer(Pointer(up, "weight_bits"), i),
                  "expected 2..16 for a sparse_array (binary weights have no zero to skip), got 1");
      }
    }
    if (unit.packed_weights) {
      check.Add(
          Pointer(up, "packed_weights"),
          "expected false or absent: a sparse_array stores its weights in its own formats (\"formats\")");
    }
  }

  Json ToJson(const UnitConfig& u) const override {
    const SparseConfig& s = u.params<SparseConfig>();
    Json formats = Json::array();
    for (WeightFormat f : s.formats) formats.push_back(WeightFormatName(f));
    return {{"pes", s.pes},
            {"simd_width", s.simd_width},
            {"index_bits", s.index_bits},
            {"formats", formats},
            {"decode_cycles", s.decode_cycles},
            {"row_overhead_cycles", s.row_overhead_cycles},
            {"pipeline_cycles", s.pipeline_cycles}};
  }

  WeightStorage Storage(const UnitConfig& unit) const override {
    const SparseConfig& s = unit.params<SparseConfig>();
    WeightStorage w;
    w.formats = s.formats;
    w.group_width = s.simd_width;
    w.index_bits = s.index_bits;
    return w;
  }

  // docs/models.md, "Area". Per PE: simd_width multipliers, an adder tree and accumulator
  // (simd_width acc_bits adders), operand and sum registers, the relative-index decoder (an
  // index_bits adder and register) and the gather of the inputs a group's index selects (one 2:1
  // mux per input bit of the lanes).
  double AreaUm2(const UnitConfig& u, const AreaModel& m) const override {
    const SparseConfig& s = u.params<SparseConfig>();
    const int in = WidestBits(u.input_bits), w = WidestBits(u.weight_bits);
    const double lanes = s.simd_width * (m.Multiplier(in, w) + m.Adder(u.acc_bits));
    const double regs = m.Registers(s.simd_width * (in + w) + u.acc_bits);
    const double index = m.Adder(s.index_bits) + m.Registers(s.index_bits) + m.Mux2(s.simd_width * in);
    return s.pes * (lanes + regs + index);
  }

 private:
  // A relative index needs at least one bit; gaps beyond 2^bits - 1 groups take padding entries.
  static void ParseIndexBits(JsonChecker& check, const Json& u, const std::string& up, SparseConfig* s) {
    const Json* v = check.Member(u, up, "index_bits", Need::kRequired, "an integer");
    if (v == nullptr) return;
    if (!v->is_number_integer() || v->get<int64_t>() < 1 || v->get<int64_t>() > 16) {
      check.Add(Pointer(up, "index_bits"),
                "expected 1..16 (bits of a relative index: at least 1, since a gap of more than "
                "2^index_bits - 1 groups needs a padding entry per 2^index_bits - 1 groups), got " +
                    Describe(*v));
      return;
    }
    s->index_bits = v->get<int>();
  }

  static void ParseFormats(JsonChecker& check, const Json& u, const std::string& up, SparseConfig* s) {
    const std::string what = "a non-empty list of distinct formats (\"dense\", \"simd_groups\", \"csr\")";
    const auto names = GetDistinctNames(check, u, up, "formats", Need::kRequired,
                                        {"dense", "simd_groups", "csr"}, what, "format");
    if (!names || names->empty()) return;
    s->formats.clear();
    for (const std::string& name : *names) {
      WeightFormat f;
      if (WeightFormatFromName(name, &f)) s->formats.push_back(f);
    }
  }
};

}  // namespace

std::unique_ptr<const UnitKind> MakeSparseUnitKind() { return std::make_unique<SparseKind>(); }

}  // namespace npusim::core
