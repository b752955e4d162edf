#include "config/unit_kind_bit_serial.h"

#include <cmath>

#include "config/arch.h"
#include "config/area.h"
#include "config/unit_kind.h"

namespace npusim::core {
namespace {

const std::vector<std::string> kSerialOperands = {"weights", "activations", "both", "none"};

class BitSerialKind final : public UnitKind {
 public:
  std::vector<std::string> keys() const override {
    return {"cores",        "pes_per_core",   "tables_per_pe", "lut_group",          "outputs_per_pe",
            "table_adders", "serial_operand", "one_bit_mode",  "aggregation_cycles", "pipeline_cycles"};
  }

  void Parse(JsonChecker& check, const Json& u, const std::string& up, UnitConfig* unit) const override {
    BitSerialConfig b;
    SetIf(check.GetInt(u, up, "cores", Need::kRequired, 1, 256), &b.cores);
    SetIf(check.GetInt(u, up, "pes_per_core", Need::kRequired, 1, 1024), &b.pes_per_core);
    SetIf(check.GetInt(u, up, "tables_per_pe", Need::kRequired, 1, 1024), &b.tables_per_pe);
    // 2^lut_group entries per table: 1..8 keeps a table at most 256 entries.
    SetIf(check.GetInt(u, up, "lut_group", Need::kRequired, 1, 8), &b.lut_group);
    SetIf(check.GetInt(u, up, "outputs_per_pe", Need::kRequired, 1, 1024), &b.outputs_per_pe);
    SetIf(check.GetInt(u, up, "table_adders", Need::kOptional, 1, 256), &b.table_adders);
    SetIf(check.GetEnum(u, up, "serial_operand", Need::kOptional, kSerialOperands), &b.serial_operand);
    SetIf(check.GetBool(u, up, "one_bit_mode", Need::kOptional), &b.one_bit_mode);
    SetIf(check.GetInt(u, up, "aggregation_cycles", Need::kOptional, 0, 1000), &b.aggregation_cycles);
    SetIf(check.GetInt(u, up, "pipeline_cycles", Need::kOptional, 0, 1000), &b.pipeline_cycles);
    // Derived: the K inputs one pass of every core covers, and the output channels per pass.
    unit->rows = b.cores * b.tables_per_pe * b.lut_group;
    unit->cols = b.outputs_per_pe;
    unit->dataflow = "bit_serial";
    unit->set_params(b);
  }

  Json ToJson(const UnitConfig& u) const override {
    const BitSerialConfig& b = u.params<BitSerialConfig>();
    return {{"cores", b.cores},
            {"pes_per_core", b.pes_per_core},
            {"tables_per_pe", b.tables_per_pe},
            {"lut_group", b.lut_group},
            {"outputs_per_pe", b.outputs_per_pe},
            {"table_adders", b.table_adders},
            {"serial_operand", b.serial_operand},
            {"one_bit_mode", b.one_bit_mode},
            {"aggregation_cycles", b.aggregation_cycles},
            {"pipeline_cycles", b.pipeline_cycles}};
  }

  // docs/models.md, "Area". Each LBPE: tables_per_pe double-buffered tables of 2^lut_group
  // entries of E bits (E = the widest input plus ceil(log2 lut_group)) with their table_adders
  // builders; per weight stream a 2^g:1 selector per table (2^g - 1 2:1 muxes per entry bit), the
  // adder tree over the tables (one E-bit adder per table) and a shift-accumulator (acc_bits adder
  // and register). The aggregation core: (cores - 1) acc_bits adders per stream of each PE
  // position. "none": cores x pes x tables x lut_group x outputs bit-parallel MAC PEs.
  double AreaUm2(const UnitConfig& u, const AreaModel& m) const override {
    const BitSerialConfig& b = u.params<BitSerialConfig>();
    const int in = WidestBits(u.input_bits);
    const double pes = static_cast<double>(b.cores) * b.pes_per_core;
    const double aggregation =
        static_cast<double>(b.pes_per_core) * b.outputs_per_pe * (b.cores - 1) * m.Adder(u.acc_bits);
    if (b.serial_operand == "none") {
      const double lanes = pes * b.tables_per_pe * b.lut_group * b.outputs_per_pe;
      return lanes * m.MacPe(in, WidestBits(u.weight_bits), u.acc_bits) + aggregation;
    }
    const int entry = in + static_cast<int>(std::ceil(std::log2(b.lut_group)));
    const int entries = 1 << b.lut_group;
    const double tables =
        b.tables_per_pe * (m.Registers(2 * entries * entry) + b.table_adders * m.Adder(entry));
    const double stream = b.tables_per_pe * (m.Mux2(entry * (entries - 1)) + m.Adder(entry)) +
                          m.Adder(u.acc_bits) + m.Registers(u.acc_bits);
    return pes * (tables + b.outputs_per_pe * stream) + aggregation;
  }
};

}  // namespace

std::unique_ptr<const UnitKind> MakeBitSerialUnitKind() { return std::make_unique<BitSerialKind>(); }

}  // namespace npusim::core
