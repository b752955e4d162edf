// Area = closed forms over the arch's geometry with per-technology parameters (docs/models.md,
// "Area"). The parameters live in the arch's energy file, beside the energy table, each with its
// source and the node it is stated at:
//
//   "area": {"node_nm": 65,
//            "parameters": {"add8_um2": {"value": 36, "node_nm": 45, "source": "Horowitz ..."},
//                           "sram_array_efficiency": {"value": 0.7, "source": "estimate: ..."}, ...}}
//
// An area parameter (a name ending in "_um2") is scaled from its node to the chip's as
// (node_nm / its node_nm)^2 (an estimate: area ~ feature size squared); the others are ratios.
// The sweep changes geometry through the arch (buffer sizes, array shapes), so areas follow the
// knobs while the parameters stay put.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "support/json_util.h"

namespace npusim::core {

struct ArchConfig;           // config/arch.h
struct BufferConfig;         // config/arch.h
struct UnitConfig;           // config/arch.h
struct PostProcessorConfig;  // config/arch.h

struct AreaParameter {
  double value = 0;
  double node_nm = 0;  // the node an area is stated at; 0 for a ratio
  std::string source;
};

// The "area" section of an energy file.
struct AreaTable {
  bool present = false;
  double node_nm = 0;  // the chip's technology node
  std::map<std::string, AreaParameter> parameters;
  // Parameter `name` in um^2 at node_nm (scaled from its own node); throws std::logic_error when
  // there is none (the loader refuses a table without every parameter of AreaParameterNames()).
  double Um2(const std::string& name) const;
  double Ratio(const std::string& name) const;
};

// Every parameter an area table must give, in the order docs/models.md lists them.
const std::vector<std::string>& AreaParameterNames();

// Reads the "area" section `v` (at JSON pointer `p`) of an energy file into `table`; every problem
// goes to `check` (unknown or missing parameters, a ratio with a node, an area without one).
void ParseAreaTable(const Json& v, const std::string& p, JsonChecker& check, AreaTable* table);
// The section as the file states it (ArchToJson's echo of an inline energy table).
Json AreaTableToJson(const AreaTable& table);

// The widest of a unit's operand widths (its data path is built for it); 8 for an empty list.
int WidestBits(const std::vector<int>& bits);

// The closed forms the unit kinds build from (um^2 at the table's node).
class AreaModel {
 public:
  explicit AreaModel(const AreaTable& table) : t_(table) {}
  // A b-bit adder: add8 (b/8)^k, k = log(add32/add8)/log 4 (the power law through both cited points).
  double Adder(int bits) const;
  // An a x b-bit multiplier: mult8 ((a b)/64)^(k/2), k = log(mult32/mult8)/log 4.
  double Multiplier(int a_bits, int b_bits) const;
  double Registers(int bits) const { return bits * t_.Um2("register_bit_um2"); }
  double Mux2(int bits) const { return bits * t_.Um2("mux2_bit_um2"); }
  // A multiply-accumulate PE: multiplier, accumulator adder and its operand and sum registers.
  double MacPe(int input_bits, int weight_bits, int acc_bits) const;
  // bits x cell x (1 + port_factor (ports - 1)) / array_efficiency
  //   + banks x ports x (bank_periphery + word bits x column_periphery).
  double Sram(const BufferConfig& b) const;
  // lanes x (32x32 multiplier + 2 32-bit adders + 64 register bits): requantize, add, pool.
  double PostProcessor(const PostProcessorConfig& post) const;
  const AreaTable& table() const { return t_; }

 private:
  const AreaTable& t_;
};

struct AreaReport {
  double total_mm2 = 0;
  std::map<std::string, double> by_component_mm2;  // buffers, units, the post-processor
};

// The arch's area (arch.energy.area must be present): each buffer, each unit (through its kind,
// UnitKind::AreaUm2) and the post-processor. DRAM is off chip; the DMA engine, the controller,
// I/O pads and wiring are not modelled (docs/models.md, "Area").
AreaReport ComputeArea(const ArchConfig& arch);

}  // namespace npusim::core
