#include "sim/dram_trace.h"

#include <fstream>
#include <sstream>

#include "models/dma.h"
#include "support/error.h"

namespace npusim::sim {

using nlohmann::json;
namespace timing = models::timing;

std::vector<timing::DramRequest> ReadDramTrace(const std::string& path, uint64_t capacity) {
  std::ifstream in(path);
  if (!in) throw core::ConfigError(path, "", "cannot open the trace file");
  std::vector<timing::DramRequest> out;
  std::string line;
  for (uint64_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream words(line);
    std::string op, addr, extra;
    words >> op;
    if (op.empty() || op[0] == '#') continue;
    const std::string where = "line " + std::to_string(n);
    words >> addr;
    if ((op != "LD" && op != "ST") || addr.empty() || (words >> extra)) {
      throw core::ConfigError(
          path, where, "expected \"LD 0xADDRESS\" or \"ST 0xADDRESS\", got \"" + line.substr(0, 80) + "\"");
    }
    const std::string digits = addr.rfind("0x", 0) == 0 || addr.rfind("0X", 0) == 0 ? addr.substr(2) : addr;
    if (digits.empty() || digits.size() > 16 ||
        digits.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      throw core::ConfigError(
          path, where,
          "expected a hexadecimal address of at most 64 bits, got \"" + addr.substr(0, 40) + "\"");
    }
    timing::DramRequest r;
    r.id = out.size();
    r.addr = std::stoull(digits, nullptr, 16);
    r.write = op == "ST";
    if (r.addr >= capacity) {
      throw core::ConfigError(
          path, where, "address " + addr + " lies beyond the DRAM's " + std::to_string(capacity) + " bytes");
    }
    out.push_back(r);
  }
  if (out.empty()) throw core::ConfigError(path, "", "expected at least one LD or ST line, found none");
  return out;
}

json DramTraceReport(const core::DramSpec& spec, const timing::DramTraceResult& r) {
  const timing::DramCounts& c = r.counts;
  const core::DramEnergy e = spec.Energy();
  const double bytes = static_cast<double>(r.reads + r.writes) * spec.access_bytes();
  const uint64_t requests_to_banks = c.row_hits + c.row_misses + c.row_conflicts;
  json j;
  j["preset"] = spec.preset;
  j["clock_mhz"] = spec.clock_mhz;
  j["address_mapping"] = core::AddressMappingName(spec.mapping) + (spec.xor_hash ? "+xor" : "");
  j["page_policy"] = spec.page == core::PagePolicy::kOpen ? "open" : "closed";
  j["requests"] = r.reads + r.writes;
  j["reads"] = r.reads;
  j["writes"] = r.writes;
  j["bytes"] = bytes;
  j["dram_cycles"] = r.last_accepted;
  j["dram_cycles_done"] = r.last_done;
  j["bytes_per_dram_cycle"] = r.last_done ? bytes / static_cast<double>(r.last_done) : 0.0;
  j["peak_bytes_per_dram_cycle"] = spec.peak_bytes_per_cycle();
  j["capacity_bytes"] = spec.capacity_bytes();
  j["row_hits"] = c.row_hits;
  j["row_misses"] = c.row_misses;
  j["row_conflicts"] = c.row_conflicts;
  j["row_hit_rate"] = requests_to_banks ? static_cast<double>(c.row_hits) / requests_to_banks : 0.0;
  j["forwarded_reads"] = c.forwarded;
  j["commands"] = {{"ACT", c.act}, {"PRE", c.pre}, {"RD", c.rd}, {"WR", c.wr}, {"REF", c.ref}};
  j["read_latency_mean"] = c.read_latency.Mean();
  j["read_latency_p99"] = c.read_latency.Percentile(0.99);
  const json split = {
      {"activate", e.act * c.act},
      {"read", e.rd * c.rd},
      {"write", e.wr * c.wr},
      {"refresh", e.ref * c.ref},
      {"background", e.active_cycle * c.active_cycles + e.precharged_cycle * c.precharged_cycles}};
  double total = 0;
  for (const auto& kv : split.items()) total += kv.value().get<double>();
  j["energy_pj"] = total;
  j["energy_breakdown_pj"] = split;
  j["background_cycles"] = {{"active", c.active_cycles}, {"precharged", c.precharged_cycles}};
  return j;
}

std::string DramTraceSummary(const json& j) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(2);
  const double hits = j["row_hits"].get<double>(),
               all = hits + j["row_misses"].get<double>() + j["row_conflicts"].get<double>();
  s << "dram " << j["preset"].get<std::string>() << ": " << j["requests"] << " requests (" << j["reads"]
    << " reads, " << j["writes"] << " writes)\n"
    << "  cycles: last accepted " << j["dram_cycles"] << ", last done " << j["dram_cycles_done"] << "\n"
    << "  bandwidth: " << j["bytes_per_dram_cycle"].get<double>() << " B/cycle of "
    << j["peak_bytes_per_dram_cycle"].get<double>() << " peak\n"
    << "  rows: " << j["row_hits"] << " hits, " << j["row_misses"] << " misses, " << j["row_conflicts"]
    << " conflicts (hit rate " << (all > 0 ? 100.0 * hits / all : 0.0) << " %)\n"
    << "  commands: " << j["commands"].dump() << "\n"
    << "  read latency: mean " << j["read_latency_mean"].get<double>() << ", p99 " << j["read_latency_p99"]
    << " cycles\n"
    << "  energy: " << j["energy_pj"].get<double>() / 1e6 << " uJ " << j["energy_breakdown_pj"].dump()
    << "\n";
  return s.str();
}

std::vector<LayerDramPattern> LayerDramPatterns(const isa::Program& program, const core::DramConfig& dram) {
  std::vector<LayerDramPattern> out(program.layers.size());
  std::vector<std::vector<timing::DramRequest>> requests(program.layers.size());
  std::vector<models::Dma::Burst> bursts;
  for (const isa::Instruction& in : program.instructions) {
    const isa::Queue q = isa::QueueOf(in.op);
    if (in.layer < 0 || (q != isa::Queue::kLoad && q != isa::Queue::kStore)) continue;
    const bool load = q == isa::Queue::kLoad;
    bursts.clear();
    models::Dma::AppendBursts(in.dma(), dram.burst_bytes, load, bursts);
    LayerDramPattern& p = out[static_cast<size_t>(in.layer)];
    for (const models::Dma::Burst& b : bursts) {
      timing::DramRequest r;
      r.addr = load ? b.src : b.dst;
      r.write = !load;
      r.id = requests[static_cast<size_t>(in.layer)].size();
      requests[static_cast<size_t>(in.layer)].push_back(r);
      (load ? p.read_bytes : p.write_bytes) += static_cast<uint64_t>(b.len);
    }
  }
  if (!dram.timed()) return out;
  for (size_t l = 0; l < out.size(); ++l) {
    if (requests[l].empty()) continue;
    const timing::DramTraceResult r = timing::RunDramTrace(dram.spec, requests[l]);
    out[l].requests = r.counts.row_hits + r.counts.row_misses + r.counts.row_conflicts;
    out[l].row_hits = r.counts.row_hits;
  }
  return out;
}

}  // namespace npusim::sim
