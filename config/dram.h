// A JEDEC-timed DRAM: organisation, timing per command, IDD currents and the controller's policy.
// Presets (DramPreset) carry the numbers of the standards and datasheets, each with its source in
// config/dram.cpp and in docs/models.md ("DRAM"); an arch file names a preset and may override any
// field (docs/formats.md). All timings are in DRAM clock cycles (tCK).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace npusim::core {

struct DramTiming {
  int CL = 0, CWL = 0;  // read and write latency (command to first data)
  int BL = 0;           // data cycles of one access (burst length / 2 for double data rate)
  int RCD = 0, RP = 0, RAS = 0, RC = 0;
  int CCD_S = 0, CCD_L = 0;  // column to column, other / same bank group
  int CCD_L_WR = 0;          // write to write, same bank group (DDR5: longer than CCD_L); 0: CCD_L
  int RRD_S = 0, RRD_L = 0;  // activate to activate, other / same bank group
  int FAW = 0;               // at most four activates per rank in any FAW window
  int WTR_S = 0, WTR_L = 0;  // end of write data to read, other / same bank group
  int RTP = 0;               // read to precharge
  int WR = 0;                // end of write data to precharge (write recovery)
  int RFC = 0, REFI = 0;     // all-bank refresh: duration and interval
  int RTRS = 0;              // rank to rank data-bus switch
  int CMD = 1;               // command-bus cycles of an ACT, RD or WR (DDR5: 2); PRE and REF take 1
};

// Currents per device in mA (IDD0 one-bank activate-precharge, IDD2N precharged standby, IDD3N
// active standby, IDD4R/IDD4W burst read/write, IDD5B burst refresh) on the VDD rail.
struct DramCurrents {
  double vdd = 0;
  double idd0 = 0, idd2n = 0, idd3n = 0, idd4r = 0, idd4w = 0, idd5b = 0;
};

// Energy per command and per cycle of background state, in pJ, for one rank (all its devices), by
// the IDD method (docs/models.md "DRAM energy").
struct DramEnergy {
  double act = 0;                                 // one ACT with its PRE
  double rd = 0, wr = 0;                          // one read / write access (BL data cycles)
  double ref = 0;                                 // one all-bank refresh (RFC cycles)
  double active_cycle = 0, precharged_cycle = 0;  // background per DRAM cycle
};

enum class PagePolicy { kOpen, kClosed };

// Address fields above the access offset, most significant first.
enum class AddrField { kRow, kBank, kBankGroup, kRank, kColumn, kChannel };

struct DramSpec {
  std::string preset;  // the preset it started from ("" if none)
  std::string standard;
  double clock_mhz = 0;  // command clock (data rate / 2)
  int channels = 1, ranks = 1, bank_groups = 1, banks_per_group = 1;
  int64_t rows = 0;
  int64_t columns = 0;   // accesses per row (row bytes / access bytes)
  int bus_bits = 64;     // data bus of one channel
  int device_bits = 8;   // DQ width of one device
  int burst_length = 8;  // beats per access
  DramTiming t;
  DramCurrents idd;
  // Controller (one per channel).
  int read_queue = 32, write_queue = 32;
  double write_high = 0.8, write_low = 0.2;  // write-queue occupancy that starts / ends draining
  PagePolicy page = PagePolicy::kOpen;
  std::vector<AddrField> mapping;  // most significant first; default RoBaBgRaCoCh
  bool xor_hash = false;           // bank, bank group and channel bits XOR the row's low bits
  int dma_outstanding = 32;        // requests one DMA channel keeps in flight

  int access_bytes() const { return bus_bits / 8 * burst_length; }
  int devices_per_rank() const { return bus_bits / device_bits; }
  int banks() const { return bank_groups * banks_per_group; }
  uint64_t capacity_bytes() const {
    return static_cast<uint64_t>(channels) * ranks * banks() * static_cast<uint64_t>(rows) *
           static_cast<uint64_t>(columns) * access_bytes();
  }
  double peak_bytes_per_cycle() const {  // per DRAM cycle, all channels
    return static_cast<double>(channels) * access_bytes() / t.BL;
  }
  DramEnergy Energy() const;
};

// Each timing and each current by its key in an arch file's "timing" and "currents" (parsing and
// writing both go by these lists).
struct DramTimingKey {
  const char* key;
  int DramTiming::*field;
};
const std::vector<DramTimingKey>& DramTimingKeys();
struct DramCurrentKey {
  const char* key;
  double DramCurrents::*field;
};
const std::vector<DramCurrentKey>& DramCurrentKeys();

// The preset names, and one by name (nullptr if unknown).
const std::vector<std::string>& DramPresetNames();
const DramSpec* DramPreset(const std::string& name);
// "RoBaBgRaCoCh" -> fields; false if it is not a permutation of the six two-letter names.
bool ParseAddressMapping(const std::string& s, std::vector<AddrField>* out);
std::string AddressMappingName(const std::vector<AddrField>& m);
// Problems with a spec (empty if none): powers of two where the address mapping needs them, timing
// relations the controller relies on. Each names the field.
std::vector<std::string> DramSpecProblems(const DramSpec& s);

}  // namespace npusim::core
