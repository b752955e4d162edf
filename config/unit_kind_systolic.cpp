// The "systolic_array" kind: a rows x cols array running one dataflow (ws, os or is). Its keys are
// the UnitConfig fields rows, cols and dataflow themselves; it keeps no block of its own.
//
//   {"name": "array", "type": "systolic_array", "rows": 16, "cols": 16, "dataflow": "ws", ...}
#include "config/arch.h"
#include "config/unit_kind.h"

namespace npusim::core {
namespace {

class SystolicKind final : public UnitKind {
 public:
  std::vector<std::string> keys() const override { return {"rows", "cols", "dataflow"}; }

  void Parse(JsonChecker& check, const Json& u, const std::string& up, UnitConfig* unit) const override {
    SetIf(check.GetInt(u, up, "rows", Need::kRequired, 1, 4096), &unit->rows);
    SetIf(check.GetInt(u, up, "cols", Need::kRequired, 1, 4096), &unit->cols);
    SetIf(check.GetEnum(u, up, "dataflow", Need::kOptional, ArchDataflows()), &unit->dataflow);
  }

  Json ToJson(const UnitConfig& u) const override {
    return {{"rows", u.rows}, {"cols", u.cols}, {"dataflow", u.dataflow}};
  }
};

}  // namespace

std::unique_ptr<const UnitKind> MakeSystolicUnitKind() { return std::make_unique<SystolicKind>(); }

}  // namespace npusim::core
