#include "config/arch_json.h"

namespace npusim::core {
namespace {

using Json = nlohmann::json;

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
  // The kind's own keys (rows, cols and dataflow only where they are keys, not derived); a kind
  // with its own weight formats refuses packed_weights.
  const UnitKind& kind = UnitKindOf(u);
  if (!kind.Storage(u).compressed()) j["packed_weights"] = u.packed_weights;
  j.update(kind.ToJson(u));
  return j;
}

Json EnergyJson(const EnergyTable& e) {
  Json components = Json::object();
  for (const auto& [component, actions] : e.components) {
    for (const auto& [action, entry] : actions) {
      components[component][action] = {{"energy_pj", entry.energy_pj}, {"source", entry.source}};
    }
  }
  Json j = {{"version", 1}, {"name", e.name}, {"components", components}};
  if (e.area.present) j["area"] = AreaTableToJson(e.area);
  return j;
}

// Every field of a timed DRAM, so that the file loads back to the same spec whatever its preset.
Json DramJson(const DramConfig& d) {
  const DramSpec& s = d.spec;
  const DramTiming& t = s.t;
  Json j = {{"model", "dram"},
            {"preset", s.preset},
            {"capacity_bytes", d.capacity_bytes},
            {"clock_mhz", s.clock_mhz},
            {"channels", s.channels},
            {"ranks", s.ranks},
            {"bank_groups", s.bank_groups},
            {"banks_per_group", s.banks_per_group},
            {"rows", s.rows},
            {"columns", s.columns},
            {"bus_bits", s.bus_bits},
            {"device_bits", s.device_bits},
            {"burst_length", s.burst_length}};
  for (const auto& [key, field] : DramTimingKeys()) j["timing"][key] = t.*field;
  for (const auto& [key, field] : DramCurrentKeys()) j["currents"][key] = s.idd.*field;
  j["controller"] = {{"read_queue", s.read_queue},
                     {"write_queue", s.write_queue},
                     {"write_high", s.write_high},
                     {"write_low", s.write_low},
                     {"page_policy", s.page == PagePolicy::kOpen ? "open" : "closed"},
                     {"address_mapping", AddressMappingName(s.mapping)},
                     {"xor_hash", s.xor_hash},
                     {"dma_outstanding", s.dma_outstanding}};
  return j;
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
  if (a.dram.timed()) {
    j["dram"] = DramJson(a.dram);
  } else {
    j["dram"] = {{"model", "simple"},
                 {"bytes_per_cycle", a.dram.bytes_per_cycle},
                 {"latency_cycles", a.dram.latency_cycles},
                 {"burst_bytes", a.dram.burst_bytes},
                 {"capacity_bytes", a.dram.capacity_bytes}};
  }
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
