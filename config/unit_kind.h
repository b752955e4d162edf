// Unit kinds, the config facet. A compute unit's "type" in the arch file names a kind
// ("systolic_array", "bit_serial_array", "reconfigurable_array", "sparse_array"); each kind is a
// UnitKind registered under that name. The kind owns its JSON keys, their parsing and validation,
// their echo (config/arch_json.h), the derived rows, cols and dataflow, and the answers other layers
// ask of a unit by kind (how it stores weights, whether it takes a per-layer mapping or an
// objective). Its parameters live in UnitConfig, held by type (UnitConfig::params<T>()):
//
//   {"name": "lbpe", "type": "bit_serial_array", "cores": 4, ...}     arch/unpu.json
//
//   const core::UnitKind& kind = core::UnitKindOf(unit);          // by unit.type
//   const core::BitSerialConfig& b = unit.params<core::BitSerialConfig>();  // the kind's own block
//
// A kind has a facet in each layer that needs one, registered under the same name: this one
// (core), a timing facet (models/timing/unit_timing.h: cycles, peak MACs, energy actions,
// legality) and a SystemC module (models/matrix_unit.h). The built-in kinds register all three
// from one line each in config/unit_kinds.def; docs/architecture.md, "Add a unit kind", has the
// recipe, and tests/models/toy_unit_test.cpp defines a whole kind in one file.
//
// Registration: the registry is built on first use with the built-in kinds, in unit_kinds.def
// order; RegisterUnitKind adds more (a test's kind) at static initialization or later, before the
// arch file that names it is loaded.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/sparse_format.h"
#include "support/error.h"
#include "support/json_util.h"

namespace npusim::core {

struct UnitConfig;    // config/arch.h
struct ArchConfig;    // config/arch.h
struct MappingForce;  // ir/mapping_force.h
class AreaModel;      // config/area.h

// Narrowing after a range check: the getters already guarantee the value fits.
template <typename T, typename U>
void SetIf(const std::optional<U>& v, T* out) {
  if (v) *out = static_cast<T>(*v);
}

// Reads a list of distinct names among `allowed` at obj[key]: problems for a value that is not a
// non-empty list ("expected <what>, got ..."), for a name not allowed, and for a repeat
// ("duplicate <noun> \"x\""). The valid names in order; nullopt when absent or not a list.
std::optional<std::vector<std::string>> GetDistinctNames(JsonChecker& check, const Json& obj,
                                                         const std::string& p, const std::string& key,
                                                         Need need, const std::vector<std::string>& allowed,
                                                         const std::string& what, const std::string& noun);

// The keys every unit takes, whatever its kind (docs/formats.md, "units").
const std::vector<std::string>& CommonUnitKeys();

// How a unit keeps a layer's constant weights in DRAM and in its weight buffer. The compiler's
// weight-store policy (compiler/passes/weight_store.h) follows it.
struct WeightStorage {
  // Dense values packed at their bit width (core::PackValues) where that saves bytes: the arch's
  // "packed_weights".
  bool packed = false;
  // Compressed formats the unit decodes (ir/sparse_format.h), of groups of `group_width` values
  // with `index_bits`-bit relative indices; the compiler picks one per layer. Empty: the unit runs
  // dense (or packed) weights, and pruned weights at dense cost.
  std::vector<WeightFormat> formats;
  int group_width = 1;
  int index_bits = 0;
  bool compressed() const { return !formats.empty(); }
  bool runs(WeightFormat f) const;
};

// Where a layer's forced mapping comes from, for CheckLayerMapping's messages.
struct LayerMappingSite {
  const std::string& arch_file;  // the arch the unit is in
  const std::string& pointer;    // the JSON pointer of the net file's "mapping"
  const std::string& layer;      // the layer's name
  ProblemList& problems;         // of the net file
};

class UnitKind {
 public:
  virtual ~UnitKind();
  // The kind's own keys besides CommonUnitKeys(); a key of another kind is an unknown key.
  virtual std::vector<std::string> keys() const = 0;
  // Reads the kind's keys of unit object `u` (at JSON pointer `up`) into unit->params and sets the
  // derived unit->rows, cols and dataflow. Every problem goes to `check`; keep reading after one.
  virtual void Parse(JsonChecker& check, const Json& u, const std::string& up, UnitConfig* unit) const = 0;
  // Checks that need the common keys (bit widths, packed_weights), called once they are read.
  virtual void CheckCommon(JsonChecker& check, const UnitConfig& unit, const std::string& up) const;
  // The kind's keys as Parse reads them, defaults filled in (ArchToJson's echo). Derived values
  // are left out (Parse refuses them as keys).
  virtual Json ToJson(const UnitConfig& unit) const = 0;
  // Default: dense, packed as the unit's packed_weights says.
  virtual WeightStorage Storage(const UnitConfig& unit) const;
  // Sets the unit's mapping objective (the run's --objective); false when the kind has none.
  virtual bool ApplyObjective(UnitConfig* unit, const std::string& objective) const;
  // The unit's objective as its arch file states it ("" when the kind has none).
  virtual std::string Objective(const UnitConfig& unit) const;
  // True when the compiler chooses a mapping (partition, split, dataflow) per layer for the unit.
  virtual bool maps_layers() const;
  // Adds a problem to site.problems when the unit cannot run forced mapping `f` of a layer. By
  // default a unit takes none.
  virtual void CheckLayerMapping(const MappingForce& f, const UnitConfig& unit,
                                 const LayerMappingSite& site) const;
  // The unit's silicon area in um^2 (docs/models.md, "Area"). By default rows x cols
  // multiply-accumulate PEs at the unit's widest input and weight widths and its acc_bits.
  virtual double AreaUm2(const UnitConfig& unit, const AreaModel& m) const;
};

// Registers `kind` under `name` for the life of the program. Throws std::logic_error on a null
// kind or a name registered twice. Returns true, so a namespace-scope constant can call it.
bool RegisterUnitKind(const std::string& name, std::unique_ptr<const UnitKind> kind);
// The kind registered under `name`, or nullptr.
const UnitKind* FindUnitKind(const std::string& name);
// Registered names: the built-in kinds in config/unit_kinds.def order, then the others in the order
// they registered (the order "expected one of ..." lists them in).
std::vector<std::string> UnitKindNames();
// The kind of `unit` (its type). Throws std::logic_error when no kind has that name: a loaded arch
// names registered kinds only.
const UnitKind& UnitKindOf(const UnitConfig& unit);
// A compile objective ("cycles", "energy", "edp"; `npusim run --objective`) applied to every unit
// of `arch` that takes one (UnitKind::ApplyObjective), so the resolved arch says what ranked its
// choices. "" leaves the arch as it is.
void ApplyObjective(ArchConfig* arch, const std::string& objective);
// The compile objectives, in the order messages list them: cycles, energy, edp.
const std::vector<std::string>& ObjectiveNames();

// The built-in kinds' config facets, each defined in its config/unit_kind_<kind>.cpp.
#define NPUSIM_UNIT_KIND(name, Id) std::unique_ptr<const UnitKind> Make##Id##UnitKind();
#include "config/unit_kinds.def"
#undef NPUSIM_UNIT_KIND

}  // namespace npusim::core
