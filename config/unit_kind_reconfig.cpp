#include "config/unit_kind_reconfig.h"

#include <algorithm>

#include "config/arch.h"
#include "config/area.h"
#include "config/unit_kind.h"

namespace npusim::core {
namespace {

// A forced mapping as the arch file spells it (only the fields given).
Json ForceJson(const MappingForce& f) {
  Json j = Json::object();
  if (f.pr > 0) j["arrays"] = {f.pr, f.pc};
  if (f.pm > 0) j["split"] = {f.pm, f.pn, f.pk};
  if (!f.dataflow.empty()) j["dataflow"] = f.dataflow;
  return j;
}

std::string Joined(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

class ReconfigKind final : public UnitKind {
 public:
  std::vector<std::string> keys() const override {
    return {"sub_rows",
            "sub_cols",
            "grid_rows",
            "grid_cols",
            "dataflows",
            "reconfig_cycles",
            "objective",
            "k_split",
            "operand_feed",
            "row_feed_values_per_cycle",
            "col_feed_values_per_cycle",
            "drain_values_per_cycle",
            "force",
            "layers"};
  }

  void Parse(JsonChecker& check, const Json& u, const std::string& up, UnitConfig* unit) const override {
    ReconfigConfig r;
    ParseGrid(check, u, up, &r);
    const auto dataflows = GetDistinctNames(check, u, up, "dataflows", Need::kOptional, ArchDataflows(),
                                            "a non-empty list of distinct dataflow names", "dataflow");
    if (dataflows && !dataflows->empty()) r.dataflows = *dataflows;
    SetIf(check.GetInt(u, up, "reconfig_cycles", Need::kOptional, 0, 1000000), &r.reconfig_cycles);
    SetIf(check.GetEnum(u, up, "objective", Need::kOptional, ObjectiveNames()), &r.objective);
    SetIf(check.GetBool(u, up, "k_split", Need::kOptional), &r.k_split);
    ParseFeed(check, u, up, &r);
    ParseForces(check, u, up, &r);
    unit->rows = r.sub_rows * r.grid_rows;
    unit->cols = r.sub_cols * r.grid_cols;
    unit->dataflow = r.dataflows.front();
    unit->set_params(r);
  }

  // The edge feeds resolved to values per cycle (0 in the config means the grid's edge).
  Json ToJson(const UnitConfig& u) const override {
    const ReconfigConfig& r = u.params<ReconfigConfig>();
    Json j = {{"sub_rows", r.sub_rows},   {"sub_cols", r.sub_cols},   {"grid_rows", r.grid_rows},
              {"grid_cols", r.grid_cols}, {"dataflows", r.dataflows}, {"reconfig_cycles", r.reconfig_cycles},
              {"objective", r.objective}, {"k_split", r.k_split},     {"operand_feed", r.operand_feed}};
    if (r.operand_feed == "edge") {
      const auto resolved = [](int64_t v, int64_t edge) { return v > 0 ? v : edge; };
      j["row_feed_values_per_cycle"] = resolved(r.row_feed_values_per_cycle, u.rows);
      j["col_feed_values_per_cycle"] = resolved(r.col_feed_values_per_cycle, u.cols);
      j["drain_values_per_cycle"] = resolved(r.drain_values_per_cycle, u.cols);
    }
    if (r.force.any()) j["force"] = ForceJson(r.force);
    for (const auto& [layer, f] : r.layer_force) j["layers"][layer] = ForceJson(f);
    return j;
  }

  std::string Objective(const UnitConfig& unit) const override {
    return unit.params<ReconfigConfig>().objective;
  }
  bool ApplyObjective(UnitConfig* unit, const std::string& objective) const override {
    unit->params<ReconfigConfig>().objective = objective;
    return true;
  }

  bool maps_layers() const override { return true; }

  // docs/models.md, "Area". Every sub-array's PEs, plus the bypass that lets it run alone or as
  // part of a bigger array: a 2:1 mux per bit of its left edge (inputs) and top edge (partial
  // sums) choosing between the neighbour and the buffer.
  double AreaUm2(const UnitConfig& u, const AreaModel& m) const override {
    const ReconfigConfig& r = u.params<ReconfigConfig>();
    const int in = WidestBits(u.input_bits);
    const double sub =
        static_cast<double>(r.sub_rows) * r.sub_cols * m.MacPe(in, WidestBits(u.weight_bits), u.acc_bits) +
        m.Mux2(r.sub_rows * in + r.sub_cols * u.acc_bits);
    return static_cast<double>(r.grid_rows) * r.grid_cols * sub;
  }

  // A layer's "mapping" (net file) must fit the unit's grid and dataflows.
  void CheckLayerMapping(const MappingForce& f, const UnitConfig& u,
                         const LayerMappingSite& site) const override {
    const ReconfigConfig& r = u.params<ReconfigConfig>();
    const std::string layer = "layer \"" + site.layer + "\": ";
    const std::string of_unit = "unit \"" + u.name + "\" in " + site.arch_file;
    if (f.pr > 0 && (r.grid_rows % f.pr != 0 || r.grid_cols % f.pc != 0)) {
      site.problems.Add(site.pointer + "/arrays",
                        layer + "expected [pr, pc] dividing the sub-array grid " +
                            std::to_string(r.grid_rows) + " x " + std::to_string(r.grid_cols) + " of " +
                            of_unit + ", got [" + std::to_string(f.pr) + ", " + std::to_string(f.pc) + "]");
    }
    if (!f.dataflow.empty() &&
        std::find(r.dataflows.begin(), r.dataflows.end(), f.dataflow) == r.dataflows.end()) {
      site.problems.Add(site.pointer + "/dataflow", layer + "expected one of the dataflows of " + of_unit +
                                                        " (" + Joined(r.dataflows) + "), got \"" +
                                                        f.dataflow + "\"");
    }
  }

 private:
  static void ParseGrid(JsonChecker& check, const Json& u, const std::string& up, ReconfigConfig* r) {
    SetIf(check.GetInt(u, up, "sub_rows", Need::kRequired, 1, 4096), &r->sub_rows);
    SetIf(check.GetInt(u, up, "sub_cols", Need::kRequired, 1, 4096), &r->sub_cols);
    SetIf(check.GetInt(u, up, "grid_rows", Need::kRequired, 1, 1024), &r->grid_rows);
    SetIf(check.GetInt(u, up, "grid_cols", Need::kRequired, 1, 1024), &r->grid_cols);
    if (static_cast<int64_t>(r->sub_rows) * r->grid_rows > 4096 ||
        static_cast<int64_t>(r->sub_cols) * r->grid_cols > 4096) {
      check.Add(Pointer(up, "grid_rows"),
                "expected sub_rows * grid_rows and sub_cols * grid_cols of at most 4096 PEs");
    }
  }

  // operand_feed "edge" | "unlimited" and the edge feeds (values per cycle; only with "edge").
  static void ParseFeed(JsonChecker& check, const Json& u, const std::string& up, ReconfigConfig* r) {
    SetIf(check.GetEnum(u, up, "operand_feed", Need::kOptional, {"edge", "unlimited"}), &r->operand_feed);
    const std::pair<const char*, int64_t*> feeds[] = {
        {"row_feed_values_per_cycle", &r->row_feed_values_per_cycle},
        {"col_feed_values_per_cycle", &r->col_feed_values_per_cycle},
        {"drain_values_per_cycle", &r->drain_values_per_cycle}};
    for (const auto& [key, value] : feeds) {
      SetIf(check.GetInt(u, up, key, Need::kOptional, 1, int64_t{1} << 20), value);
      if (*value > 0 && r->operand_feed == "unlimited") {
        check.Add(Pointer(up, key),
                  std::string("expected no ") + key +
                      " with \"operand_feed\": \"unlimited\" (it applies to \"edge\" only)");
      }
    }
  }

  // "force" (every layer) and "layers" (by layer name).
  static void ParseForces(JsonChecker& check, const Json& u, const std::string& up, ReconfigConfig* r) {
    if (const Json* v = check.Member(u, up, "force", Need::kOptional, "an object")) {
      ParseForce(check, *v, Pointer(up, "force"), *r, &r->force);
    }
    const Json* v = check.Member(u, up, "layers", Need::kOptional, "an object keyed by layer name");
    const std::string p = Pointer(up, "layers");
    if (v == nullptr || !check.Object(*v, p)) return;
    for (auto it = v->begin(); it != v->end(); ++it) {
      ParseForce(check, it.value(), Pointer(p, it.key()), *r, &r->layer_force[it.key()]);
    }
  }

  // A forced mapping (ir/mapping_force.h) whose partition must divide the sub-array grid.
  static void ParseForce(JsonChecker& check, const Json& v, const std::string& p, const ReconfigConfig& r,
                         MappingForce* f) {
    ParseMappingForce(check, v, p, r.dataflows, f);
    if (f->pr > 0 && (r.grid_rows % f->pr != 0 || r.grid_cols % f->pc != 0)) {
      check.Add(Pointer(p, "arrays"), "expected [pr, pc] dividing the sub-array grid " +
                                          std::to_string(r.grid_rows) + " x " + std::to_string(r.grid_cols));
    }
  }
};

}  // namespace

std::unique_ptr<const UnitKind> MakeReconfigUnitKind() { return std::make_unique<ReconfigKind>(); }

}  // namespace npusim::core
