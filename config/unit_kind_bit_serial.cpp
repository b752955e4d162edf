#include "config/unit_kind_bit_serial.h"

#include "config/arch.h"
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
};

}  // namespace

std::unique_ptr<const UnitKind> MakeBitSerialUnitKind() { return std::make_unique<BitSerialKind>(); }

}  // namespace npusim::core
