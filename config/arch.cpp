// Loads arch/*.json into ArchConfig (docs/formats.md, "Architecture"). Every key is read through
// JsonChecker, so each problem names the file, the JSON pointer and the expectation, and all
// problems of the arch file and of the energy file it names are reported together.
#include "config/arch.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <stdexcept>
#include <type_traits>

#include "support/error.h"
#include "support/json_util.h"

namespace npusim::core {

double EnergyTable::EnergyOr0(const std::string& component, const std::string& action) const {
  auto c = components.find(component);
  if (c == components.end()) return 0;
  auto a = c->second.find(action);
  return a == c->second.end() ? 0 : a->second.energy_pj;
}

const BufferConfig* ArchConfig::FindBuffer(const std::string& n) const {
  for (const BufferConfig& b : buffers) {
    if (b.name == n) return &b;
  }
  return nullptr;
}

const UnitConfig* ArchConfig::FindUnit(const std::string& n) const {
  for (const UnitConfig& u : units) {
    if (u.name == n) return &u;
  }
  return nullptr;
}

bool UnitConfig::is_matrix_unit() const { return FindUnitKind(type) != nullptr; }

void UnitConfig::ThrowWrongParams(const char* type_name) const {
  throw std::logic_error("unit \"" + name + "\" of type \"" + type + "\" keeps no parameters of C++ type " +
                         type_name);
}

// Fixed here rather than read from the timing registry (core does not depend on models); each
// name has a DataflowTiming registered under it in models/timing/ (ws: systolic_timing.cpp, os:
// os_timing.cpp, is: is_timing.cpp), which tests/models/timing/dataflow_timing_test.cpp checks.
namespace {

// Component names the energy table uses besides buffers, units and the post-processor.
const std::vector<std::string> kReservedComponentNames = {"dram", "dma"};

// Buffers are allocated by the simulator: at most 1 GiB each (docs/formats.md, "Limits").
constexpr int64_t kMaxBytes = int64_t{1} << 30;

class ArchParser {
 public:
  explicit ArchParser(const std::string& path)
      : path_(path), problems_(path), energy_problems_(path), check_(&problems_) {}

  ArchConfig Parse() { return Parse(ReadJsonFile(path_)); }

  ArchConfig Parse(const Json& doc) {
    ArchConfig arch;
    arch.file = path_;
    if (!check_.Object(doc, "")) {
      problems_.ThrowIfAny();
    }
    check_.Keys(doc, "",
                {"version", "name", "description", "clock_mhz", "operating_point", "dram", "buffers", "units",
                 "post_processor", "requantization", "energy"});
    check_.Version(doc);
    SetIf(check_.GetString(doc, "", "name", Need::kRequired), &arch.name);
    check_.GetString(doc, "", "description", Need::kOptional);
    SetIf(Clock(doc, "", Need::kRequired), &arch.clock_mhz);
    arch.nominal_clock_mhz = arch.clock_mhz;
    if (const Json* v = check_.Member(doc, "", "operating_point", Need::kOptional, "an object")) {
      ParseOperatingPoint(*v, "/operating_point", &arch);
    }
    if (const Json* v = check_.Member(doc, "", "dram", Need::kRequired, "an object")) {
      ParseDram(*v, "/dram", arch.clock_mhz, &arch.dram);
    }
    if (const Json* v = check_.Member(doc, "", "buffers", Need::kRequired, "a list")) {
      ParseBuffers(*v, "/buffers", &arch.buffers);
      CheckBufferBudget(arch.buffers);
    }
    if (const Json* v = check_.Member(doc, "", "units", Need::kRequired, "a list")) {
      ParseUnits(*v, "/units", arch, &arch.units);
    }
    if (const Json* v = check_.Member(doc, "", "post_processor", Need::kRequired, "an object")) {
      ParsePost(*v, "/post_processor", arch, &arch.post);
    }
    if (auto r = check_.GetEnum(doc, "", "requantization", Need::kOptional, {"onnx_float", "fixed_point"})) {
      arch.requant_mode = *r == "onnx_float" ? RequantMode::kOnnxFloat : RequantMode::kFixedPoint;
    }
    CheckComponentNames(doc, arch);
    if (const Json* v = check_.Member(doc, "", "energy", Need::kRequired,
                                      "an energy file name or an energy table object")) {
      ParseEnergy(*v, &arch.energy);
    }
    if (arch.dram.timed()) AddDramEnergy(arch.dram.spec, &arch.energy);
    ThrowIfAny({&problems_, &energy_problems_});
    return arch;
  }

 private:
  void ParseDram(const Json& v, const std::string& p, double npu_mhz, DramConfig* dram) {
    if (!check_.Object(v, p)) return;
    // Without "model", a block with "bytes_per_cycle" is the simple pipe, anything else the timed DRAM.
    const std::string fallback = v.contains("bytes_per_cycle") ? "simple" : "dram";
    SetIf(check_.GetEnum(v, p, "model", Need::kOptional, {"simple", "dram"}), &dram->model);
    if (!v.contains("model")) dram->model = fallback;
    if (!dram->timed()) {
      ParseSimpleDram(v, p, dram);
      return;
    }
    check_.Keys(v, p,
                {"model", "preset", "capacity_bytes", "clock_mhz", "channels", "ranks", "bank_groups",
                 "banks_per_group", "rows", "columns", "bus_bits", "device_bits", "burst_length", "timing",
                 "currents", "controller"});
    const auto preset = check_.GetString(v, p, "preset", Need::kRequired);
    if (!preset) return;
    const DramSpec* base = DramPreset(*preset);
    if (base == nullptr) {
      std::string names;
      for (const std::string& n : DramPresetNames()) names += (names.empty() ? "" : ", ") + n;
      check_.Add(Pointer(p, "preset"), "expected one of " + names + ", got \"" + *preset + "\"");
      return;
    }
    DramSpec s = *base;
    ParseDramOrganisation(v, p, &s);
    ParseDramTiming(v, p, &s);
    ParseDramCurrents(v, p, &s);
    if (const Json* c = check_.Member(v, p, "controller", Need::kOptional, "an object")) {
      ParseDramController(*c, Pointer(p, "controller"), &s);
    }
    for (const std::string& problem : DramSpecProblems(s)) check_.Add(p, problem);
    dram->spec = s;
    dram->burst_bytes = s.access_bytes();
    dram->capacity_bytes = static_cast<int64_t>(std::min<uint64_t>(s.capacity_bytes(), uint64_t{1} << 48));
    SetIf(check_.GetInt(v, p, "capacity_bytes", Need::kOptional, 1, dram->capacity_bytes),
          &dram->capacity_bytes);
    // For the compiler's cost model: peak bandwidth and an idle read's latency, in NPU cycles.
    const double ratio = npu_mhz > 0 && s.clock_mhz > 0 ? npu_mhz / s.clock_mhz : 1.0;
    dram->bytes_per_cycle = std::max<int64_t>(1, static_cast<int64_t>(s.peak_bytes_per_cycle() / ratio));
    dram->latency_cycles = static_cast<int64_t>(std::ceil((s.t.RCD + s.t.CL + s.t.BL) * ratio));
  }

  void ParseSimpleDram(const Json& v, const std::string& p, DramConfig* dram) {
    check_.Keys(v, p, {"model", "bytes_per_cycle", "latency_cycles", "burst_bytes", "capacity_bytes"});
    SetIf(check_.GetInt(v, p, "bytes_per_cycle", Need::kRequired, 1, 4096), &dram->bytes_per_cycle);
    SetIf(check_.GetInt(v, p, "latency_cycles", Need::kRequired, 0, 1000000), &dram->latency_cycles);
    SetIf(check_.GetPowerOfTwo(v, p, "burst_bytes", Need::kRequired, 1, 4096), &dram->burst_bytes);
    SetIf(check_.GetInt(v, p, "capacity_bytes", Need::kOptional, 1, int64_t{1} << 48), &dram->capacity_bytes);
  }

  void ParseDramOrganisation(const Json& v, const std::string& p, DramSpec* spec) {
    DramSpec& s = *spec;
    SetIf(Clock(v, p, Need::kOptional), &s.clock_mhz);
    auto org = [&](const char* key, auto* field, int64_t max) {
      if (auto x = check_.GetPowerOfTwo(v, p, key, Need::kOptional, 1, max)) {
        *field = static_cast<std::remove_pointer_t<decltype(field)>>(*x);
      }
    };
    org("channels", &s.channels, 64);
    org("ranks", &s.ranks, 16);
    org("bank_groups", &s.bank_groups, 16);
    org("banks_per_group", &s.banks_per_group, 64);
    org("rows", &s.rows, int64_t{1} << 24);
    org("columns", &s.columns, int64_t{1} << 16);
    org("bus_bits", &s.bus_bits, 1024);
    org("device_bits", &s.device_bits, 1024);
    org("burst_length", &s.burst_length, 64);
  }

  void ParseDramTiming(const Json& v, const std::string& p, DramSpec* spec) {
    DramSpec& s = *spec;
    if (const Json* t = check_.Member(v, p, "timing", Need::kOptional, "an object")) {
      const std::string tp = Pointer(p, "timing");
      if (check_.Object(*t, tp)) {
        std::vector<std::string> keys;
        for (const DramTimingKey& k : DramTimingKeys()) keys.push_back(k.key);
        check_.Keys(*t, tp, keys);
        for (const auto& [key, field] : DramTimingKeys()) {
          if (auto x = check_.GetInt(*t, tp, key, Need::kOptional, 0, 1000000))
            s.t.*field = static_cast<int>(*x);
        }
      }
    }
  }

  void ParseDramCurrents(const Json& v, const std::string& p, DramSpec* spec) {
    DramSpec& s = *spec;
    if (const Json* c = check_.Member(v, p, "currents", Need::kOptional, "an object")) {
      const std::string cp = Pointer(p, "currents");
      if (check_.Object(*c, cp)) {
        std::vector<std::string> keys;
        for (const DramCurrentKey& k : DramCurrentKeys()) keys.push_back(k.key);
        check_.Keys(*c, cp, keys);
        for (const auto& [key, field] : DramCurrentKeys())
          SetIf(check_.GetNumber(*c, cp, key, Need::kOptional, 0, false), &(s.idd.*field));
      }
    }
  }

  // A timed DRAM's energy is per command and per background cycle (config/dram.h DramEnergy),
  // unless the energy table states its own; the bytes it moves cost nothing by themselves.
  static void AddDramEnergy(const DramSpec& s, EnergyTable* table) {
    auto& dram = table->components["dram"];
    const DramEnergy e = s.Energy();
    const std::string idd = "IDD method (docs/models.md, DRAM energy) on the currents of " +
                            (s.preset.empty() ? std::string("the arch's DRAM") : "preset " + s.preset) + ": ";
    const std::pair<const char*, std::pair<double, const char*>> entries[] = {
        {"activate", {e.act, "(IDD0 x tRC - IDD3N x tRAS - IDD2N x (tRC - tRAS)) x VDD x tCK x devices"}},
        {"read", {e.rd, "(IDD4R - IDD3N) x BL x VDD x tCK x devices"}},
        {"write", {e.wr, "(IDD4W - IDD3N) x BL x VDD x tCK x devices"}},
        {"refresh", {e.ref, "(IDD5B - IDD3N) x tRFC x VDD x tCK x devices"}},
        {"active_cycle", {e.active_cycle, "IDD3N x VDD x tCK x devices, per DRAM cycle with a bank open"}},
        {"precharged_cycle",
         {e.precharged_cycle, "IDD2N x VDD x tCK x devices, per DRAM cycle all banks closed"}}};
    for (const auto& [action, v] : entries) {
      if (!dram.count(action)) dram[action] = EnergyEntry{v.first, idd + v.second};
    }
    for (const char* count : {"precharge", "row_hit", "row_miss", "row_conflict"}) {
      if (!dram.count(count)) dram[count] = EnergyEntry{0, "a count: its energy is in activate"};
    }
    for (const char* bytes : {"read_byte", "write_byte"}) {
      dram[bytes] = EnergyEntry{0, "timed DRAM: bytes are charged through its commands and background"};
    }
  }

  void ParseDramController(const Json& c, const std::string& cp, DramSpec* s) {
    if (!check_.Object(c, cp)) return;
    check_.Keys(c, cp,
                {"read_queue", "write_queue", "write_high", "write_low", "page_policy", "address_mapping",
                 "xor_hash", "dma_outstanding"});
    auto queue = [&](const char* key, int* field) {
      if (auto x = check_.GetInt(c, cp, key, Need::kOptional, 1, 4096)) *field = static_cast<int>(*x);
    };
    queue("read_queue", &s->read_queue);
    queue("write_queue", &s->write_queue);
    queue("dma_outstanding", &s->dma_outstanding);
    for (const auto& [key, field] : {std::pair<const char*, double*>{"write_high", &s->write_high},
                                     std::pair<const char*, double*>{"write_low", &s->write_low}}) {
      if (auto x = check_.GetNumber(c, cp, key, Need::kOptional, 0, false)) {
        if (*x > 1) {
          check_.Add(Pointer(cp, key),
                     "expected a fraction of the write queue between 0 and 1, got " + std::to_string(*x));
        } else {
          *field = *x;
        }
      }
    }
    if (auto x = check_.GetEnum(c, cp, "page_policy", Need::kOptional, {"open", "closed"})) {
      s->page = *x == "open" ? PagePolicy::kOpen : PagePolicy::kClosed;
    }
    if (auto x = check_.GetString(c, cp, "address_mapping", Need::kOptional)) {
      if (!ParseAddressMapping(*x, &s->mapping)) {
        check_.Add(Pointer(cp, "address_mapping"),
                   "expected the six fields Ro Ba Bg Ra Co Ch, each once, most significant first (e.g. "
                   "\"RoBaBgRaCoCh\"), got \"" +
                       *x + "\"");
      }
    }
    SetIf(check_.GetBool(c, cp, "xor_hash", Need::kOptional), &s->xor_hash);
  }

  void ParseBuffers(const Json& v, const std::string& p, std::vector<BufferConfig>* buffers) {
    if (!check_.Array(v, p, 1)) return;
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string bp = Pointer(p, i);
      const Json& b = v[i];
      // One entry per JSON item, even a bad one, so that buffers[i] is /buffers/i.
      BufferConfig& buf = buffers->emplace_back();
      if (!check_.Object(b, bp)) continue;
      check_.Keys(b, bp, {"name", "size_bytes", "banks", "ports", "word_bytes"});
      SetIf(check_.GetIdentifier(b, bp, "name", Need::kRequired), &buf.name);
      auto size = check_.GetInt(b, bp, "size_bytes", Need::kRequired, 64, kMaxBytes);
      auto banks = check_.GetInt(b, bp, "banks", Need::kOptional, 1, 1024);
      SetIf(check_.GetInt(b, bp, "ports", Need::kOptional, 1, 64), &buf.ports);
      auto word = check_.GetPowerOfTwo(b, bp, "word_bytes", Need::kRequired, 1, 1024);
      SetIf(size, &buf.size_bytes);
      SetIf(banks, &buf.banks);
      SetIf(word, &buf.word_bytes);
      // Addresses interleave words over banks, so a row of all banks must tile the capacity.
      if (size && word && (banks || !b.contains("banks")) &&
          buf.size_bytes % (int64_t{buf.banks} * buf.word_bytes) != 0) {
        check_.Add(Pointer(bp, "size_bytes"), "expected a multiple of banks * word_bytes = " +
                                                  std::to_string(int64_t{buf.banks} * buf.word_bytes) +
                                                  ", got " + std::to_string(buf.size_bytes));
      }
    }
  }

  // obj["clock_mhz"] (at p), a clock.
  std::optional<double> Clock(const Json& obj, const std::string& p, Need need) {
    const Json* v = check_.Member(obj, p, "clock_mhz", need, NumberExpectation(0, true));
    if (!v) return std::nullopt;
    return CheckClockMhz(check_, *v, Pointer(p, "clock_mhz"));
  }

  // The buffers' total, refused above the budget before the simulator allocates any of them.
  void CheckBufferBudget(const std::vector<BufferConfig>& buffers) {
    const int64_t budget = BudgetFromEnv(kBufferBudgetVariable, kDefaultBufferBudget);
    int64_t total = 0;
    for (const BufferConfig& b : buffers) total += b.size_bytes;  // each <= 2^30: no overflow
    if (total <= budget) return;
    check_.Add("/buffers", "the buffers total " + std::to_string(total) + " bytes; the limit is " +
                               std::to_string(budget) + ", raise it with " + kBufferBudgetVariable +
                               "=BYTES");
  }

  // Reads a list of operand bit widths: non-empty, each in 1..16, no repeats.
  std::optional<std::vector<int>> BitList(const Json& u, const std::string& up, const std::string& key) {
    const std::string expectation = "a non-empty list of distinct integers in 1..16";
    const Json* v = check_.Member(u, up, key, Need::kRequired, expectation);
    if (!v) return std::nullopt;
    const std::string p = Pointer(up, key);
    if (!v->is_array() || v->empty()) {
      check_.Add(p, "expected " + expectation + ", got " + Describe(*v));
      return std::nullopt;
    }
    std::vector<int> out;
    bool ok = true;
    for (size_t i = 0; i < v->size(); ++i) {
      auto b = check_.Int((*v)[i], Pointer(p, i), 1, 16);
      if (!b) {
        ok = false;
        continue;
      }
      for (int seen : out) {
        if (seen == *b) {
          check_.Add(Pointer(p, i), "duplicate bit width " + std::to_string(*b));
          ok = false;
        }
      }
      out.push_back(static_cast<int>(*b));
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // A buffer reference: must name a buffer of `arch` (when buffers parsed).
  std::optional<std::string> BufferRef(const Json& obj, const std::string& p, const std::string& key,
                                       const ArchConfig& arch) {
    auto name = check_.GetString(obj, p, key, Need::kRequired);
    if (!name) return std::nullopt;
    if (arch.FindBuffer(*name)) return name;
    std::string known;
    for (const BufferConfig& b : arch.buffers) known += (known.empty() ? "" : ", ") + b.name;
    check_.Add(Pointer(p, key),
               "expected the name of a buffer in /buffers (" + known + "), got \"" + *name + "\"");
    return std::nullopt;
  }

  void ParseUnits(const Json& v, const std::string& p, const ArchConfig& arch,
                  std::vector<UnitConfig>* units) {
    if (!check_.Array(v, p, 1)) return;
    for (size_t i = 0; i < v.size(); ++i) {
      UnitConfig& unit = units->emplace_back();  // units[i] is /units/i
      const std::string up = Pointer(p, i);
      if (check_.Object(v[i], up)) ParseUnit(v[i], up, arch, &unit);
    }
    // The NPU model elaborates and the compiler maps onto one matrix unit: a second one would be
    // left idle while the report counted its area, so it is refused rather than ignored.
    if (v.size() > 1) {
      check_.Add(Pointer(p, 1), "expected one unit (npusim models one matrix unit per NPU; several units "
                                "sharing buffers and DRAM are not modelled yet), got " +
                                    std::to_string(v.size()) + " units");
    }
  }

  // The common keys here, the kind's own through its UnitKind (config/unit_kind.h). An unknown or
  // missing type leaves the keys unchecked: which ones are known depends on the kind.
  void ParseUnit(const Json& u, const std::string& up, const ArchConfig& arch, UnitConfig* unit) {
    SetIf(check_.GetIdentifier(u, up, "name", Need::kRequired), &unit->name);
    SetIf(check_.GetEnum(u, up, "type", Need::kRequired, UnitKindNames()), &unit->type);
    const UnitKind* kind = FindUnitKind(unit->type);
    if (kind != nullptr) {
      std::vector<std::string> keys = CommonUnitKeys();
      for (const std::string& k : kind->keys()) keys.push_back(k);
      check_.Keys(u, up, keys);
      kind->Parse(check_, u, up, unit);
    }
    if (auto bits = BitList(u, up, "input_bits")) unit->input_bits = *bits;
    if (auto bits = BitList(u, up, "weight_bits")) unit->weight_bits = *bits;
    SetIf(check_.GetBool(u, up, "packed_weights", Need::kOptional), &unit->packed_weights);
    if (kind != nullptr) kind->CheckCommon(check_, *unit, up);
    SetIf(check_.GetInt(u, up, "acc_bits", Need::kRequired, 8, 32), &unit->acc_bits);
    if (auto ov = check_.GetEnum(u, up, "overflow", Need::kOptional, {"wrap", "saturate"})) {
      unit->overflow = *ov == "wrap" ? Overflow::kWrap : Overflow::kSaturate;
    }
    ParseUnitBuffers(u, up, arch, unit);
  }

  void ParseUnitBuffers(const Json& u, const std::string& up, const ArchConfig& arch, UnitConfig* unit) {
    auto in = BufferRef(u, up, "input_buffer", arch);
    auto w = BufferRef(u, up, "weight_buffer", arch);
    auto acc = BufferRef(u, up, "acc_buffer", arch);
    SetIf(in, &unit->input_buffer);
    SetIf(w, &unit->weight_buffer);
    SetIf(acc, &unit->acc_buffer);
    // Operands stream concurrently, so sharing one buffer would hide port contention we model.
    if (in && w && *in == *w) {
      check_.Add(Pointer(up, "weight_buffer"),
                 "expected a buffer other than input_buffer, got \"" + *w + "\"");
    }
    if (acc && ((in && *acc == *in) || (w && *acc == *w))) {
      check_.Add(Pointer(up, "acc_buffer"),
                 "expected a buffer other than input_buffer and weight_buffer, got \"" + *acc + "\"");
    }
  }

  void ParseOperatingPoint(const Json& v, const std::string& p, ArchConfig* arch) {
    if (!check_.Object(v, p)) return;
    check_.Keys(v, p, {"nominal_voltage_v", "voltage_v", "clock_mhz"});
    OperatingPoint& op = arch->operating_point;
    SetIf(check_.GetNumber(v, p, "nominal_voltage_v", Need::kRequired, 0, true), &op.nominal_voltage_v);
    SetIf(check_.GetNumber(v, p, "voltage_v", Need::kRequired, 0, true), &op.voltage_v);
    SetIf(Clock(v, p, Need::kOptional), &op.clock_mhz);
    if (op.clock_mhz > 0) arch->clock_mhz = op.clock_mhz;
  }

  void ParsePost(const Json& v, const std::string& p, const ArchConfig& arch, PostProcessorConfig* post) {
    if (!check_.Object(v, p)) return;
    check_.Keys(v, p, {"name", "lanes", "pipeline_cycles", "output_buffer"});
    SetIf(check_.GetIdentifier(v, p, "name", Need::kOptional), &post->name);
    SetIf(check_.GetInt(v, p, "lanes", Need::kRequired, 1, 4096), &post->lanes);
    SetIf(check_.GetInt(v, p, "pipeline_cycles", Need::kRequired, 0, 1000), &post->pipeline_cycles);
    SetIf(BufferRef(v, p, "output_buffer", arch), &post->output_buffer);
    // The compiler gives each operand role a whole buffer (two double-buffered slots): results
    // written into a unit's operand buffer overwrote tiles it still held, a silent wrong answer
    // (found by tests/integration/property_test.cpp).
    for (const UnitConfig& u : arch.units) {
      for (const auto& [role, name] :
           {std::pair<const char*, const std::string&>{"input_buffer", u.input_buffer},
            {"weight_buffer", u.weight_buffer},
            {"acc_buffer", u.acc_buffer}}) {
        if (post->output_buffer.empty() || name != post->output_buffer) continue;
        check_.Add(Pointer(p, "output_buffer"), "expected a buffer that no unit uses, got \"" + name +
                                                    "\" (the " + role + " of unit \"" + u.name + "\")");
      }
    }
  }

  // Buffers, units, the post-processor, "dram" and "dma" share one namespace: the energy table's
  // component names.
  void CheckComponentNames(const Json& doc, const ArchConfig& arch) {
    std::set<std::string> names(kReservedComponentNames.begin(), kReservedComponentNames.end());
    auto claim = [&](const std::string& name, const std::string& pointer) {
      if (name.empty()) return;
      if (!names.insert(name).second) {
        check_.Add(pointer, "duplicate component name \"" + name +
                                "\" (buffers, units, the post-processor, dram and dma need "
                                "distinct names: they key the energy table)");
      }
    };
    for (size_t i = 0; i < arch.buffers.size(); ++i) {
      claim(arch.buffers[i].name, Pointer(Pointer("/buffers", i), "name"));
    }
    for (size_t i = 0; i < arch.units.size(); ++i) {
      claim(arch.units[i].name, Pointer(Pointer("/units", i), "name"));
    }
    claim(arch.post.name, "/post_processor/name");
  }

  void ParseEnergy(const Json& v, EnergyTable* table) {
    if (v.is_object()) {
      table->file = path_;
      ParseEnergyTable(v, "/energy", check_, table);
      return;
    }
    auto rel = check_.String(v, "/energy");
    if (!rel) return;
    const std::string energy_path = ResolveRelative(path_, *rel);
    table->file = energy_path;
    if (!std::ifstream(energy_path)) {
      check_.Add("/energy", "cannot open energy file \"" + energy_path + "\"");
      return;
    }
    energy_problems_ = ProblemList(energy_path);
    JsonChecker energy_check(&energy_problems_);
    try {
      ParseEnergyTable(ReadJsonFile(energy_path), "", energy_check, table);
    } catch (const ConfigError& e) {
      for (const Problem& pr : e.problems()) energy_problems_.Add(pr.pointer, pr.message);
    }
  }

  static void ParseEnergyTable(const Json& v, const std::string& p, JsonChecker& check, EnergyTable* table) {
    if (!check.Object(v, p)) return;
    check.Keys(v, p, {"version", "name", "components", "area"});
    check.GetInt(v, p, "version", Need::kRequired, 1, 1);
    if (auto name = check.GetString(v, p, "name", Need::kRequired)) table->name = *name;
    if (const Json* area = check.Member(v, p, "area", Need::kOptional, "an object")) {
      ParseAreaTable(*area, Pointer(p, "area"), check, &table->area);
    }
    const Json* comps = check.Member(v, p, "components", Need::kRequired, "an object");
    if (!comps) return;
    const std::string cp = Pointer(p, "components");
    if (!check.Object(*comps, cp)) return;
    for (auto c = comps->begin(); c != comps->end(); ++c) {
      const std::string compp = Pointer(cp, c.key());
      check.Identifier(Json(c.key()), compp);
      if (!check.Object(c.value(), compp)) continue;
      auto& actions = table->components[c.key()];
      for (auto a = c.value().begin(); a != c.value().end(); ++a) {
        const std::string ap = Pointer(compp, a.key());
        check.Identifier(Json(a.key()), ap);
        if (!check.Object(a.value(), ap)) continue;
        check.Keys(a.value(), ap, {"energy_pj", "source"});
        EnergyEntry entry;
        SetIf(check.GetNumber(a.value(), ap, "energy_pj", Need::kRequired, 0, false), &entry.energy_pj);
        SetIf(check.GetString(a.value(), ap, "source", Need::kRequired), &entry.source);
        actions[a.key()] = entry;
      }
    }
  }

  std::string path_;
  ProblemList problems_;
  ProblemList energy_problems_;
  JsonChecker check_;
};

}  // namespace

std::optional<double> CheckClockMhz(JsonChecker& check, const Json& v, const std::string& pointer) {
  const std::optional<double> mhz = check.Number(v, pointer, 0, true);
  if (!mhz) return std::nullopt;
  if (std::isnormal(*mhz) && *mhz >= kMinClockMhz && *mhz <= kMaxClockMhz) return mhz;
  check.Add(pointer, "expected a clock of 0.001..100000 MHz (1 kHz to 100 GHz), got " + Describe(v));
  return std::nullopt;
}

ArchConfig LoadArch(const std::string& path) { return ArchParser(path).Parse(); }
ArchConfig LoadArch(const Json& doc, const std::string& path) { return ArchParser(path).Parse(doc); }

}  // namespace npusim::core
