#include "config/unit_kind.h"

#include <algorithm>

#include "config/arch.h"
#include "config/area.h"
#include "config/unit_kind_registry.h"

namespace npusim::core {
namespace {

using Registry = UnitKindRegistry<std::unique_ptr<const UnitKind>>;

void AddBuiltIns(Registry& r) {
#define NPUSIM_UNIT_KIND(name, Id) r.Add(name, Make##Id##UnitKind());
#include "config/unit_kinds.def"
#undef NPUSIM_UNIT_KIND
}

Registry& TheRegistry() { return TheUnitKindRegistry("unit kind", AddBuiltIns); }

}  // namespace

std::optional<std::vector<std::string>> GetDistinctNames(JsonChecker& check, const Json& obj,
                                                         const std::string& p, const std::string& key,
                                                         Need need, const std::vector<std::string>& allowed,
                                                         const std::string& what, const std::string& noun) {
  const Json* v = check.Member(obj, p, key, need, what);
  if (v == nullptr) return std::nullopt;
  const std::string kp = Pointer(p, key);
  if (!v->is_array() || v->empty()) {
    check.Add(kp, "expected " + what + ", got " + Describe(*v));
    return std::nullopt;
  }
  std::vector<std::string> names;
  for (size_t i = 0; i < v->size(); ++i) {
    auto name = check.Enum((*v)[i], Pointer(kp, i), allowed);
    if (!name) continue;
    if (std::find(names.begin(), names.end(), *name) != names.end()) {
      check.Add(Pointer(kp, i), "duplicate " + noun + " \"" + *name + "\"");
      continue;
    }
    names.push_back(*name);
  }
  return names;
}

const std::vector<std::string>& CommonUnitKeys() {
  static const std::vector<std::string> keys = {
      "name",     "type",         "input_bits",    "weight_bits", "acc_bits",
      "overflow", "input_buffer", "weight_buffer", "acc_buffer",  "packed_weights"};
  return keys;
}

bool WeightStorage::runs(WeightFormat f) const {
  return std::find(formats.begin(), formats.end(), f) != formats.end();
}

UnitKind::~UnitKind() = default;

void UnitKind::CheckCommon(JsonChecker&, const UnitConfig&, const std::string&) const {}

WeightStorage UnitKind::Storage(const UnitConfig& unit) const {
  WeightStorage s;
  s.packed = unit.packed_weights;
  return s;
}

bool UnitKind::ApplyObjective(UnitConfig*, const std::string&) const { return false; }
std::string UnitKind::Objective(const UnitConfig&) const { return ""; }

bool UnitKind::maps_layers() const { return false; }

void UnitKind::CheckLayerMapping(const MappingForce&, const UnitConfig& unit,
                                 const LayerMappingSite& site) const {
  site.problems.Add(site.pointer, "layer \"" + site.layer +
                                      "\": a mapping needs a reconfigurable_array unit; unit \"" + unit.name +
                                      "\" of " + site.arch_file + " is a " + unit.type);
}

double UnitKind::AreaUm2(const UnitConfig& unit, const AreaModel& m) const {
  return static_cast<double>(unit.rows) * unit.cols *
         m.MacPe(WidestBits(unit.input_bits), WidestBits(unit.weight_bits), unit.acc_bits);
}

bool RegisterUnitKind(const std::string& name, std::unique_ptr<const UnitKind> kind) {
  return TheRegistry().Add(name, std::move(kind));
}

const UnitKind* FindUnitKind(const std::string& name) {
  const auto* kind = TheRegistry().Find(name);
  return kind == nullptr ? nullptr : kind->get();
}

std::vector<std::string> UnitKindNames() { return TheRegistry().Names(); }

const UnitKind& UnitKindOf(const UnitConfig& unit) { return *TheRegistry().Get(unit.type); }

const std::vector<std::string>& ObjectiveNames() {
  static const std::vector<std::string> names = {"cycles", "energy", "edp"};
  return names;
}

void ApplyObjective(ArchConfig* arch, const std::string& objective) {
  if (objective.empty()) return;
  for (UnitConfig& u : arch->units) UnitKindOf(u).ApplyObjective(&u, objective);
}

}  // namespace npusim::core
