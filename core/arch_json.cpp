#include "core/arch_json.h"

namespace npusim::core {
namespace {

using Json = nlohmann::json;

// A forced mapping as the arch file spells it (only the fields given).
Json ForceJson(const MappingForce& f) {
  Json j = Json::object();
  if (f.pr > 0) j["arrays"] = {f.pr, f.pc};
  if (f.pm > 0) j["split"] = {f.pm, f.pn, f.pk};
  if (!f.dataflow.empty()) j["dataflow"] = f.dataflow;
  return j;
}

Json BitSerialJson(const BitSerialConfig& b) {
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

// The edge feeds resolved to values per cycle (0 in the config means the grid's edge).
Json ReconfigJson(const ReconfigConfig& r, const UnitConfig& u) {
  Json j = {{"sub_rows", r.sub_rows},     {"sub_cols", r.sub_cols},   {"grid_rows", r.grid_rows},
            {"grid_cols", r.grid_cols},   {"dataflows", r.dataflows}, {"reconfig_cycles", r.reconfig_cycles},
            {"objective", r.objective},   {"k_split", r.k_split},     {"operand_feed", r.operand_feed}};
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

Json SparseJson(const SparseConfig& s) {
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

// The keys of the unit's own kind; rows, cols and dataflow are derived for every kind but the
// systolic array, so they are written only there (the loader refuses them elsewhere).
Json KindJson(const UnitConfig& u) {
  if (u.type == "bit_serial_array") return BitSerialJson(u.bit_serial);
  if (u.type == "reconfigurable_array") return ReconfigJson(u.reconfig, u);
  if (u.type == "sparse_array") return SparseJson(u.sparse);
  return {{"rows", u.rows}, {"cols", u.cols}, {"dataflow", u.dataflow}};
}

Json UnitJson(const UnitConfig& u) {
  Json j = {{"name", u.name},
            {"type", u.type},
            {"input_bits", u.input_bits},
            {"weight_bits", u.weight_bits},
            {"acc_bits", u.acc_bits},
            {"overflow", u.overflow == Overflow::kWrap ? "wrap" : "saturate"},
            {"input_buffer", u.input_buffer},
            {"weight_buffer", u.weight_buffer},
            {"acc_buffer", u.acc_buffer}};
  if (u.type != "sparse_array") j["packed_weights"] = u.packed_weights;
  j.update(KindJson(u));
  return j;
}

Json EnergyJson(const EnergyTable& e) {
  Json components = Json::object();
  for (const auto& [component, actions] : e.components) {
    for (const auto& [action, entry] : actions) {
      components[component][action] = {{"energy_pj", entry.energy_pj}, {"source", entry.source}};
    }
  }
  return {{"version", 1}, {"name", e.name}, {"components", components}};
}

}  // namespace

Json ArchToJson(const ArchConfig& a) {
  Json j;
  j["version"] = 1;
  j["name"] = a.name;
  j["description"] = "resolved from " + a.file + " (energy table from " + a.energy.file + ")";
  // The arch's own clock; an operating point's clock, if any, is the one runs use.
  j["clock_mhz"] = a.nominal_clock_mhz;
  const OperatingPoint& op = a.operating_point;
  j["operating_point"] = {{"nominal_voltage_v", op.nominal_voltage_v}, {"voltage_v", op.voltage_v}};
  if (op.clock_mhz > 0) j["operating_point"]["clock_mhz"] = op.clock_mhz;
  j["dram"] = {{"bytes_per_cycle", a.dram.bytes_per_cycle},
               {"latency_cycles", a.dram.latency_cycles},
               {"burst_bytes", a.dram.burst_bytes},
               {"capacity_bytes", a.dram.capacity_bytes}};
  for (const BufferConfig& b : a.buffers) {
    j["buffers"].push_back({{"name", b.name},
                            {"size_bytes", b.size_bytes},
                            {"banks", b.banks},
                            {"ports", b.ports},
                            {"word_bytes", b.word_bytes}});
  }
  for (const UnitConfig& u : a.units) j["units"].push_back(UnitJson(u));
  j["post_processor"] = {{"name", a.post.name},
                         {"lanes", a.post.lanes},
                         {"pipeline_cycles", a.post.pipeline_cycles},
                         {"output_buffer", a.post.output_buffer}};
  j["requantization"] = a.requant_mode == RequantMode::kOnnxFloat ? "onnx_float" : "fixed_point";
  j["energy"] = EnergyJson(a.energy);
  return j;
}

}  // namespace npusim::core
