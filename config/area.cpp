// config/area.h: the energy file's "area" section, the closed forms, and a whole arch's area.
#include "config/area.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "config/arch.h"
#include "config/unit_kind.h"

namespace npusim::core {

namespace {

bool IsArea(const std::string& name) {
  const std::string suffix = "_um2";
  return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const AreaParameter& Find(const AreaTable& t, const std::string& name) {
  auto it = t.parameters.find(name);
  if (it == t.parameters.end()) throw std::logic_error("area table has no parameter \"" + name + "\"");
  return it->second;
}

// The exponent of the power law through (8, at8) and (32, at32).
double Exponent(double at8, double at32) { return std::log(at32 / at8) / std::log(4.0); }

void ParseParameter(const Json& v, const std::string& p, const std::string& name, JsonChecker& check,
                    AreaTable* table) {
  if (!check.Object(v, p)) return;
  check.Keys(v, p, {"value", "node_nm", "source"});
  AreaParameter a;
  const bool area = IsArea(name);
  SetIf(check.GetNumber(v, p, "value", Need::kRequired, 0, true), &a.value);
  SetIf(check.GetString(v, p, "source", Need::kRequired), &a.source);
  if (area) {
    SetIf(check.GetNumber(v, p, "node_nm", Need::kRequired, 0, true), &a.node_nm);
  } else if (v.contains("node_nm")) {
    check.Add(Pointer(p, "node_nm"),
              "expected no node for a ratio (only the \"_um2\" parameters are scaled)");
  }
  if (!area && a.value > 1 && name == "sram_array_efficiency") {
    check.Add(Pointer(p, "value"), "expected a fraction in (0, 1], got " + Describe(v.at("value")));
  }
  table->parameters[name] = a;
}

}  // namespace

const std::vector<std::string>& AreaParameterNames() {
  static const std::vector<std::string> names = {"add8_um2",
                                                 "add32_um2",
                                                 "mult8_um2",
                                                 "mult32_um2",
                                                 "register_bit_um2",
                                                 "mux2_bit_um2",
                                                 "sram_bitcell_um2",
                                                 "sram_array_efficiency",
                                                 "sram_bank_periphery_um2",
                                                 "sram_column_periphery_um2",
                                                 "sram_port_factor"};
  return names;
}

int WidestBits(const std::vector<int>& bits) {
  return bits.empty() ? 8 : *std::max_element(bits.begin(), bits.end());
}

double AreaTable::Um2(const std::string& name) const {
  const AreaParameter& a = Find(*this, name);
  const double s = node_nm / a.node_nm;
  return a.value * s * s;
}

double AreaTable::Ratio(const std::string& name) const { return Find(*this, name).value; }

void ParseAreaTable(const Json& v, const std::string& p, JsonChecker& check, AreaTable* table) {
  if (!check.Object(v, p)) return;
  table->present = true;
  check.Keys(v, p, {"node_nm", "parameters"});
  SetIf(check.GetNumber(v, p, "node_nm", Need::kRequired, 0, true), &table->node_nm);
  const Json* params = check.Member(v, p, "parameters", Need::kRequired, "an object");
  if (params == nullptr) return;
  const std::string pp = Pointer(p, "parameters");
  if (!check.Object(*params, pp)) return;
  check.Keys(*params, pp, AreaParameterNames());
  for (const std::string& name : AreaParameterNames()) {
    const Json* e = check.Member(*params, pp, name, Need::kRequired,
                                 "{\"value\": ..., \"node_nm\": ... (areas only), \"source\": ...}");
    if (e != nullptr) ParseParameter(*e, Pointer(pp, name), name, check, table);
  }
}

Json AreaTableToJson(const AreaTable& table) {
  Json params = Json::object();
  for (const auto& [name, a] : table.parameters) {
    Json e = {{"value", a.value}, {"source", a.source}};
    if (a.node_nm > 0) e["node_nm"] = a.node_nm;
    params[name] = e;
  }
  return {{"node_nm", table.node_nm}, {"parameters", params}};
}

double AreaModel::Adder(int bits) const {
  const double a8 = t_.Um2("add8_um2");
  return a8 * std::pow(bits / 8.0, Exponent(a8, t_.Um2("add32_um2")));
}

double AreaModel::Multiplier(int a_bits, int b_bits) const {
  const double m8 = t_.Um2("mult8_um2");
  return m8 * std::pow(a_bits * b_bits / 64.0, Exponent(m8, t_.Um2("mult32_um2")) / 2);
}

double AreaModel::MacPe(int input_bits, int weight_bits, int acc_bits) const {
  return Multiplier(input_bits, weight_bits) + Adder(acc_bits) +
         Registers(input_bits + weight_bits + acc_bits);
}

double AreaModel::Sram(const BufferConfig& b) const {
  const double bits = 8.0 * static_cast<double>(b.size_bytes);
  const double cells = bits * t_.Um2("sram_bitcell_um2") *
                       (1 + t_.Ratio("sram_port_factor") * (b.ports - 1)) / t_.Ratio("sram_array_efficiency");
  const double per_bank =
      t_.Um2("sram_bank_periphery_um2") + 8.0 * b.word_bytes * t_.Um2("sram_column_periphery_um2");
  return cells + static_cast<double>(b.banks) * b.ports * per_bank;
}

double AreaModel::PostProcessor(const PostProcessorConfig& post) const {
  return post.lanes * (Multiplier(32, 32) + 2 * Adder(32) + Registers(64));
}

AreaReport ComputeArea(const ArchConfig& arch) {
  const AreaModel m(arch.energy.area);
  AreaReport r;
  auto add = [&](const std::string& name, double um2) {
    r.by_component_mm2[name] += um2 * 1e-6;
    r.total_mm2 += um2 * 1e-6;
  };
  for (const BufferConfig& b : arch.buffers) add(b.name, m.Sram(b));
  for (const UnitConfig& u : arch.units) add(u.name, UnitKindOf(u).AreaUm2(u, m));
  add(arch.post.name, m.PostProcessor(arch.post));
  return r;
}

}  // namespace npusim::core
