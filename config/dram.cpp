#include "config/dram.h"

#include <algorithm>
#include <map>

namespace npusim::core {
namespace {

bool PowerOfTwo(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

const std::vector<AddrField> kRoBaBgRaCoCh = {AddrField::kRow,  AddrField::kBank,   AddrField::kBankGroup,
                                              AddrField::kRank, AddrField::kColumn, AddrField::kChannel};

// The presets. Sources (docs/models.md, "DRAM presets", has the same table):
//  - ddr4-2400: JESD79-4 speed bin DDR4-2400R (16-16-16) and its x8 1 KB-page tables (tRRD_S/L,
//    tFAW), tRFC1 of an 8 Gb die (350 ns), tREFI 7.8 us; CWL 12 (the bin's first CWL set).
//    Currents: Micron MT40A1G8 (8 Gb x8) -083E data sheet, IDD0 48, IDD2N 34, IDD3N 43, IDD4R 135,
//    IDD4W 123, IDD5B 250 mA at VDD 1.2 V.
//  - ddr5-3200: JESD79-5 DDR5-3200AN (CL/tRCD/tRP 24 = 15 ns, tRAS 32 ns), 16 Gb x8 (1 KB page):
//    tCCD_L 8, tCCD_L_WR 16, tRRD 8, tFAW 32, tWTR_S 4 / _L 16, tRTP 12, tWR 30 ns, tRFC1 295 ns,
//    tREFI 3.9 us, BL16 on one 32-bit sub-channel (4 devices); ACT, RD and WR are two-cycle
//    commands (CMD 2). Currents: estimates (no DDR5 data
//    sheet was at hand): the DDR4 device's currents scaled to VDD 1.1 V and DDR5's higher IDD4.
//  - lpddr4-3200: JESD209-4 LPDDR4-3200 as in DRAMSys' JEDEC_8Gb_LPDDR4-3200_16bit memspec (RL 28,
//    WL 14, tRCD 29, tRPpb 29, tRAS 68, tRRD 16, tFAW 64, tWTR 16, tRTP 12, tWR 29, tRFCab 448,
//    tREFI 6246), one x16 channel of 8 banks, 2 KB rows, BL32 so that one access is 64 bytes
//    (tCCD = 16). Currents: the same memspec's VDD2 (1.1 V) rail, IDD0 45, IDD2N 27, IDD3N 30,
//    IDD4R 275, IDD4W 210, IDD5 90 mA.
//  - hbm2: JESD235 HBM2, 8 legacy-mode 128-bit channels at 1 GHz (2 Gb/s per pin), BL4 (64 bytes
//    per access), 4 bank groups x 4 banks, 2 KB rows; timings and currents as tabulated in
//    DRAMsim3's HBM2_8Gb_x128 configuration (CL 14, CWL 4, tRCD 14, tRP 14, tRAS 34, tRRD_S 4 /
//    _L 6, tFAW 30, tWTR_S 6 / _L 8, tRTP 4, tWR 16, tRFC 260, tREFI 3900; IDD0 65, IDD2N 40,
//    IDD3N 55, IDD4R 390, IDD4W 500, IDD5 250 mA at 1.2 V); tCCD_S and tCCD_L taken as the two
//    data cycles of a BL4 access.
std::map<std::string, DramSpec> MakePresets() {
  std::map<std::string, DramSpec> m;
  {
    DramSpec s;
    s.preset = "ddr4-2400";
    s.standard = "DDR4";
    s.clock_mhz = 1200;
    s.bank_groups = 4;
    s.banks_per_group = 4;
    s.rows = 65536;
    s.columns = 128;  // 8 KiB rank row / 64-byte access
    s.bus_bits = 64;
    s.device_bits = 8;
    s.burst_length = 8;
    // CL CWL BL RCD RP RAS RC CCD_S CCD_L CCD_L_WR RRD_S RRD_L FAW WTR_S WTR_L RTP WR RFC REFI RTRS
    s.t = {16, 12, 4, 16, 16, 39, 55, 4, 6, 6, 4, 6, 26, 3, 9, 9, 18, 420, 9360, 2};
    // VDD IDD0 IDD2N IDD3N IDD4R IDD4W IDD5B (mA)
    s.idd = {1.2, 48, 34, 43, 135, 123, 250};
    m[s.preset] = s;
  }
  {
    DramSpec s;
    s.preset = "ddr5-3200";
    s.standard = "DDR5";
    s.clock_mhz = 1600;
    s.bank_groups = 8;
    s.banks_per_group = 4;
    s.rows = 65536;
    s.columns = 64;  // 4 KiB sub-channel row / 64-byte access
    s.bus_bits = 32;
    s.device_bits = 8;
    s.burst_length = 16;
    // CL CWL BL RCD RP RAS RC CCD_S CCD_L CCD_L_WR RRD_S RRD_L FAW WTR_S WTR_L RTP WR RFC REFI RTRS
    s.t = {24, 22, 8, 24, 24, 52, 76, 8, 8, 16, 8, 8, 32, 4, 16, 12, 48, 472, 6240, 2};
    s.t.CMD = 2;
    // VDD IDD0 IDD2N IDD3N IDD4R IDD4W IDD5B (mA)
    s.idd = {1.1, 60, 40, 48, 180, 170, 260};
    m[s.preset] = s;
  }
  {
    DramSpec s;
    s.preset = "lpddr4-3200";
    s.standard = "LPDDR4";
    s.clock_mhz = 1600;
    s.bank_groups = 1;
    s.banks_per_group = 8;
    s.rows = 65536;
    s.columns = 32;  // 2 KiB row / 64-byte access
    s.bus_bits = 16;
    s.device_bits = 16;
    s.burst_length = 32;
    // CL CWL BL RCD RP RAS RC CCD_S CCD_L CCD_L_WR RRD_S RRD_L FAW WTR_S WTR_L RTP WR RFC REFI RTRS
    s.t = {28, 14, 16, 29, 29, 68, 97, 16, 16, 16, 16, 16, 64, 16, 16, 12, 29, 448, 6246, 1};
    // VDD IDD0 IDD2N IDD3N IDD4R IDD4W IDD5B (mA)
    s.idd = {1.1, 45, 27, 30, 275, 210, 90};
    m[s.preset] = s;
  }
  {
    DramSpec s;
    s.preset = "hbm2";
    s.standard = "HBM2";
    s.clock_mhz = 1000;
    s.channels = 8;
    s.bank_groups = 4;
    s.banks_per_group = 4;
    s.rows = 16384;
    s.columns = 32;  // 2 KiB row / 64-byte access
    s.bus_bits = 128;
    s.device_bits = 128;
    s.burst_length = 4;
    // CL CWL BL RCD RP RAS RC CCD_S CCD_L CCD_L_WR RRD_S RRD_L FAW WTR_S WTR_L RTP WR RFC REFI RTRS
    s.t = {14, 4, 2, 14, 14, 34, 48, 2, 2, 2, 4, 6, 30, 6, 8, 4, 16, 260, 3900, 1};
    // VDD IDD0 IDD2N IDD3N IDD4R IDD4W IDD5B (mA)
    s.idd = {1.2, 65, 40, 55, 390, 500, 250};
    m[s.preset] = s;
  }
  for (auto& [name, s] : m) s.mapping = kRoBaBgRaCoCh;
  return m;
}

const std::map<std::string, DramSpec>& Presets() {
  static const std::map<std::string, DramSpec> presets = MakePresets();
  return presets;
}

const char* FieldName(AddrField f) {
  switch (f) {
    case AddrField::kRow: return "Ro";
    case AddrField::kBank: return "Ba";
    case AddrField::kBankGroup: return "Bg";
    case AddrField::kRank: return "Ra";
    case AddrField::kColumn: return "Co";
    case AddrField::kChannel: return "Ch";
  }
  return "?";
}

}  // namespace

DramEnergy DramSpec::Energy() const {
  // mA x V x ns = pJ.
  const double tck_ns = 1000.0 / clock_mhz;
  const double scale = idd.vdd * tck_ns * devices_per_rank();
  DramEnergy e;
  e.act = (idd.idd0 * t.RC - idd.idd3n * t.RAS - idd.idd2n * (t.RC - t.RAS)) * scale;
  e.rd = (idd.idd4r - idd.idd3n) * t.BL * scale;
  e.wr = (idd.idd4w - idd.idd3n) * t.BL * scale;
  e.ref = (idd.idd5b - idd.idd3n) * t.RFC * scale;
  e.active_cycle = idd.idd3n * scale;
  e.precharged_cycle = idd.idd2n * scale;
  return e;
}

const std::vector<std::string>& DramPresetNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& kv : Presets()) v.push_back(kv.first);
    return v;
  }();
  return names;
}

const DramSpec* DramPreset(const std::string& name) {
  auto it = Presets().find(name);
  return it == Presets().end() ? nullptr : &it->second;
}

bool ParseAddressMapping(const std::string& s, std::vector<AddrField>* out) {
  static const std::vector<AddrField> all = kRoBaBgRaCoCh;
  if (s.size() != 12) return false;
  std::vector<AddrField> m;
  for (size_t i = 0; i < s.size(); i += 2) {
    const std::string tok = s.substr(i, 2);
    auto it = std::find_if(all.begin(), all.end(), [&](AddrField f) { return tok == FieldName(f); });
    if (it == all.end() || std::find(m.begin(), m.end(), *it) != m.end()) return false;
    m.push_back(*it);
  }
  *out = m;
  return true;
}

std::string AddressMappingName(const std::vector<AddrField>& m) {
  std::string s;
  for (AddrField f : m) s += FieldName(f);
  return s;
}

const std::vector<DramTimingKey>& DramTimingKeys() {
  using T = DramTiming;
  static const std::vector<DramTimingKey> keys = {
      {"CL", &T::CL},       {"CWL", &T::CWL},           {"BL", &T::BL},       {"RCD", &T::RCD},
      {"RP", &T::RP},       {"RAS", &T::RAS},           {"RC", &T::RC},       {"CCD_S", &T::CCD_S},
      {"CCD_L", &T::CCD_L}, {"CCD_L_WR", &T::CCD_L_WR}, {"RRD_S", &T::RRD_S}, {"RRD_L", &T::RRD_L},
      {"FAW", &T::FAW},     {"WTR_S", &T::WTR_S},       {"WTR_L", &T::WTR_L}, {"RTP", &T::RTP},
      {"WR", &T::WR},       {"RFC", &T::RFC},           {"REFI", &T::REFI},   {"RTRS", &T::RTRS},
      {"CMD", &T::CMD}};
  return keys;
}

const std::vector<DramCurrentKey>& DramCurrentKeys() {
  using C = DramCurrents;
  static const std::vector<DramCurrentKey> keys = {
      {"vdd", &C::vdd},     {"idd0", &C::idd0},   {"idd2n", &C::idd2n}, {"idd3n", &C::idd3n},
      {"idd4r", &C::idd4r}, {"idd4w", &C::idd4w}, {"idd5b", &C::idd5b}};
  return keys;
}

std::vector<std::string> DramSpecProblems(const DramSpec& s) {
  std::vector<std::string> p;
  const std::pair<const char*, int64_t> pow2[] = {{"channels", s.channels},
                                                  {"ranks", s.ranks},
                                                  {"bank_groups", s.bank_groups},
                                                  {"banks_per_group", s.banks_per_group},
                                                  {"rows", s.rows},
                                                  {"columns", s.columns},
                                                  {"bus_bits", s.bus_bits},
                                                  {"burst_length", s.burst_length}};
  for (const auto& [name, v] : pow2) {
    if (!PowerOfTwo(v))
      p.push_back(std::string(name) + " must be a power of two (the address mapping cuts bit fields), got " +
                  std::to_string(v));
  }
  if (s.bus_bits % s.device_bits != 0) p.push_back("bus_bits must be a multiple of device_bits");
  if (s.access_bytes() < 1) p.push_back("bus_bits / 8 x burst_length must be at least one byte");
  const DramTiming& t = s.t;
  if (t.BL < 1) p.push_back("timing BL (data cycles per access) must be at least 1");
  if (t.CCD_S < t.BL || t.CCD_L < t.BL)
    p.push_back("timing CCD_S and CCD_L must be at least BL (the data bus)");
  if (t.RC < t.RAS + t.RP) p.push_back("timing RC must be at least RAS + RP");
  // The controller applies each _S rule to the whole rank and the _L rule on top within a group.
  if (t.CCD_L < t.CCD_S || t.RRD_L < t.RRD_S || t.WTR_L < t.WTR_S) {
    p.push_back("timing CCD_L, RRD_L and WTR_L must be at least CCD_S, RRD_S and WTR_S (same bank group is "
                "never faster)");
  }
  if (t.RAS < t.RCD) p.push_back("timing RAS must be at least RCD");
  if (t.REFI <= t.RFC) p.push_back("timing REFI must exceed RFC");
  if (t.CMD < 1 || t.CMD > std::min(t.RCD, t.RTP))
    p.push_back("timing CMD (command-bus cycles of ACT, RD, WR) must be at least 1 and at most RCD and RTP");
  if (t.CL < 1 || t.CWL < 1 || t.RCD < 1 || t.RP < 1)
    p.push_back("timing CL, CWL, RCD and RP must be at least 1");
  if (s.write_low >= s.write_high) p.push_back("write_low must be below write_high");
  if (s.mapping.size() != 6) p.push_back("address_mapping must name each of Ro Ba Bg Ra Co Ch once");
  return p;
}

}  // namespace npusim::core
