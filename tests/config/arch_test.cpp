#include "config/arch.h"

#include <gtest/gtest.h>

#include "config/arch_json.h"
#include "config/unit_kind_reconfig.h"
#include "config/unit_kind_sparse.h"
#include "support/json_util.h"
#include "tests/ir/loader_test_util.h"

namespace npusim::core {
namespace {

using testing::HasProblem;
using testing::ProblemsOf;
using testing::ScratchDir;
using testing::SourcePath;
using testing::WriteFile;

// Every action the simulator counts (one without an entry is an error: docs/design-decisions.md).
void ExpectAllCountedActions(const ArchConfig& arch) {
  auto has = [&](const std::string& comp, const std::string& action) {
    auto c = arch.energy.components.find(comp);
    ASSERT_NE(c, arch.energy.components.end()) << comp;
    auto a = c->second.find(action);
    ASSERT_NE(a, c->second.end()) << comp << "." << action;
    EXPECT_GE(a->second.energy_pj, 0);
    EXPECT_FALSE(a->second.source.empty());
  };
  for (const UnitConfig& u : arch.units) {
    for (const char* a : {"mac_8b", "idle_pe_cycle", "leak_per_cycle"}) has(u.name, a);
  }
  for (const BufferConfig& b : arch.buffers) {
    for (const char* a : {"read", "write", "leak_per_cycle"}) has(b.name, a);
  }
  for (const char* a : {"requant", "pass", "add", "mul", "lookup", "pool_op", "leak_per_cycle"})
    has(arch.post.name, a);
  has("dram", "read_byte");
  has("dram", "write_byte");
  has("dma", "burst");
}

TEST(ArchLoader, LoadsDense16x16) {
  const std::string path = SourcePath("arch/dense_16x16.json");
  const ArchConfig arch = LoadArch(path);
  EXPECT_EQ(arch.file, path);
  EXPECT_EQ(arch.name, "dense_16x16");
  EXPECT_EQ(arch.clock_mhz, 500);
  // A timed DDR4-2400: the cost model's bandwidth and latency follow from the preset at 500 MHz:
  // 64 bytes per BL = 4 DRAM cycles x 1200 / 500 = 38.4 bytes per NPU cycle; an idle read's
  // RCD + CL + BL = 36 DRAM cycles = 15 NPU cycles (rounded up).
  EXPECT_EQ(arch.dram.model, "dram");
  EXPECT_EQ(arch.dram.spec.preset, "ddr4-2400");
  EXPECT_EQ(arch.dram.bytes_per_cycle, 38);
  EXPECT_EQ(arch.dram.latency_cycles, 15);
  EXPECT_EQ(arch.dram.burst_bytes, 64);
  EXPECT_EQ(arch.dram.capacity_bytes, 268435456);
  ASSERT_EQ(arch.buffers.size(), 4u);
  const BufferConfig* ibuf = arch.FindBuffer("ibuf");
  ASSERT_NE(ibuf, nullptr);
  EXPECT_EQ(ibuf->size_bytes, 131072);
  EXPECT_EQ(ibuf->banks, 4);
  EXPECT_EQ(ibuf->ports, 2);
  EXPECT_EQ(ibuf->word_bytes, 16);
  EXPECT_EQ(arch.FindBuffer("obuf")->size_bytes, 65536);
  EXPECT_EQ(arch.FindBuffer("nope"), nullptr);
  const UnitConfig* array = arch.FindUnit("array");
  ASSERT_NE(array, nullptr);
  EXPECT_EQ(array->type, "systolic_array");
  EXPECT_EQ(array->rows, 16);
  EXPECT_EQ(array->cols, 16);
  EXPECT_EQ(array->dataflow, "ws");
  EXPECT_EQ(array->input_bits, std::vector<int>{8});
  EXPECT_EQ(array->weight_bits, std::vector<int>{8});
  EXPECT_EQ(array->acc_bits, 32);
  EXPECT_EQ(array->overflow, Overflow::kWrap);
  EXPECT_EQ(array->input_buffer, "ibuf");
  EXPECT_EQ(array->weight_buffer, "wbuf");
  EXPECT_EQ(array->acc_buffer, "abuf");
  EXPECT_EQ(arch.FindUnit("nope"), nullptr);
  EXPECT_EQ(arch.post.name, "post");
  EXPECT_EQ(arch.post.lanes, 16);
  EXPECT_EQ(arch.post.pipeline_cycles, 4);
  EXPECT_EQ(arch.post.output_buffer, "obuf");
  EXPECT_EQ(arch.requant_mode, RequantMode::kOnnxFloat);
  EXPECT_EQ(arch.energy.file, SourcePath("arch/energy/horowitz_45nm.json"));
  EXPECT_EQ(arch.energy.name, "horowitz_45nm");
  EXPECT_DOUBLE_EQ(arch.energy.components.at("array").at("mac_8b").energy_pj, 0.3);
  EXPECT_DOUBLE_EQ(arch.energy.components.at("ibuf").at("read").energy_pj, 40.0);
  ExpectAllCountedActions(arch);
}

TEST(ArchLoader, LoadsTiny4x4) {
  const ArchConfig arch = LoadArch(SourcePath("arch/tiny_4x4.json"));
  EXPECT_EQ(arch.units.at(0).rows, 4);
  EXPECT_EQ(arch.units.at(0).cols, 4);
  EXPECT_EQ(arch.FindBuffer("ibuf")->size_bytes, 2048);
  EXPECT_EQ(arch.FindBuffer("abuf")->size_bytes, 1024);
  EXPECT_EQ(arch.dram.bytes_per_cycle, 4);
  ExpectAllCountedActions(arch);
}

// The shipped arch as JSON, with its energy path made absolute so the copy loads from anywhere.
Json DenseJson() {
  Json j = ReadJsonFile(SourcePath("arch/dense_16x16.json"));
  j["energy"] = SourcePath("arch/energy/horowitz_45nm.json");
  return j;
}

std::string WriteArch(const Json& j, const std::string& name = "arch.json") {
  return WriteFile(ScratchDir() + "/" + name, j.dump(2));
}

TEST(ArchLoader, DefaultsFillOptionalKeys) {
  Json j = DenseJson();
  j.erase("requantization");
  j["dram"].erase("capacity_bytes");
  for (Json& b : j["buffers"]) {
    b.erase("banks");
    b.erase("ports");
  }
  j["units"][0].erase("dataflow");
  j["units"][0].erase("overflow");
  j["post_processor"].erase("name");
  const ArchConfig arch = LoadArch(WriteArch(j));
  EXPECT_EQ(arch.requant_mode, RequantMode::kOnnxFloat);
  EXPECT_EQ(arch.dram.capacity_bytes, int64_t{8} << 30);  // the DDR4 rank: 8 devices of 8 Gb
  EXPECT_EQ(arch.buffers[0].banks, 1);
  EXPECT_EQ(arch.buffers[0].ports, 1);
  EXPECT_EQ(arch.units[0].dataflow, "ws");
  EXPECT_EQ(arch.units[0].overflow, Overflow::kWrap);
  EXPECT_EQ(arch.post.name, "post");
}

TEST(ArchLoader, ReadsSaturateAndFixedPoint) {
  Json j = DenseJson();
  j["units"][0]["overflow"] = "saturate";
  j["units"][0]["acc_bits"] = 24;
  j["requantization"] = "fixed_point";
  const ArchConfig arch = LoadArch(WriteArch(j));
  EXPECT_EQ(arch.units[0].overflow, Overflow::kSaturate);
  EXPECT_EQ(arch.units[0].acc_bits, 24);
  EXPECT_EQ(arch.requant_mode, RequantMode::kFixedPoint);
}

TEST(ArchLoader, InlineEnergyTable) {
  Json j = DenseJson();
  j["energy"] = ReadJsonFile(SourcePath("arch/energy/horowitz_45nm.json"));
  const std::string path = WriteArch(j);
  const ArchConfig arch = LoadArch(path);
  EXPECT_EQ(arch.energy.file, path);
  ExpectAllCountedActions(arch);
}

TEST(ArchLoader, MalformedJsonReportsLineAndColumn) {
  const std::string path = SourcePath("tests/data/bad/arch_syntax_error.json");
  auto problems = ProblemsOf([&] { LoadArch(path); });
  ASSERT_EQ(problems.size(), 1u);
  // Line 4 lacks its comma; the parser notices at the string that ends at line 5, column 8.
  EXPECT_TRUE(HasProblem(problems, path, "",
                         "line 5, column 8: invalid JSON: syntax error while parsing object - "
                         "unexpected string literal; expected '}'"));
}

// A timed DRAM block: every override is checked and named by its JSON path; the file loads back
// from ArchToJson to the same spec.
TEST(ArchLoader, TimedDramProblemsAreNamedAndOverridesApply) {
  Json j = DenseJson();
  j["dram"] = Json::parse(R"({"model": "dram", "preset": "ddr4-2400", "channels": 2,
      "timing": {"CL": 17, "CCD_L": 3, "tRCD": 5},
      "controller": {"address_mapping": "RoRoBaBgCoCh", "write_high": 1.5, "page_policy": "closed"}})");
  const std::string path = WriteArch(j, "dram_bad.json");
  auto problems = ProblemsOf([&] { LoadArch(path); });
  EXPECT_TRUE(HasProblem(problems, path, "/dram/timing/tRCD", "unknown key \"tRCD\""));
  EXPECT_TRUE(HasProblem(problems, path, "/dram/controller/address_mapping",
                         "expected the six fields Ro Ba Bg Ra Co Ch, each once"));
  EXPECT_TRUE(HasProblem(problems, path, "/dram/controller/write_high",
                         "expected a fraction of the write queue between 0 and 1"));
  EXPECT_TRUE(
      HasProblem(problems, path, "/dram", "timing CCD_S and CCD_L must be at least BL (the data bus)"));
  EXPECT_TRUE(HasProblem(problems, path, "/dram", "timing CCD_L, RRD_L and WTR_L must be at least CCD_S"));

  j["dram"] = Json::parse(R"({"model": "dram", "preset": "ddr9"})");
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(WriteArch(j, "dram_preset.json")); }),
                         ScratchDir() + "/dram_preset.json", "/dram/preset",
                         "expected one of ddr4-2400, ddr5-3200, hbm2, lpddr4-3200, got \"ddr9\""));

  j["dram"] = Json::parse(R"({"model": "dram", "preset": "ddr4-2400", "channels": 2, "timing": {"CL": 17},
      "controller": {"page_policy": "closed", "xor_hash": true, "address_mapping": "RoCoBaBgRaCh"}})");
  const ArchConfig arch = LoadArch(WriteArch(j, "dram_ok.json"));
  EXPECT_EQ(arch.dram.spec.channels, 2);
  EXPECT_EQ(arch.dram.spec.t.CL, 17);
  EXPECT_EQ(arch.dram.spec.t.RCD, 16);  // the preset's
  EXPECT_EQ(arch.dram.spec.page, PagePolicy::kClosed);
  EXPECT_TRUE(arch.dram.spec.xor_hash);
  EXPECT_EQ(AddressMappingName(arch.dram.spec.mapping), "RoCoBaBgRaCh");
  // Two channels of 16 bytes per BL = 4 DRAM cycles at 1200 MHz, per 500 MHz NPU cycle: 76.8.
  EXPECT_EQ(arch.dram.bytes_per_cycle, 76);
  const ArchConfig back = LoadArch(WriteArch(ArchToJson(arch), "dram_back.json"));
  EXPECT_EQ(ArchToJson(back)["dram"], ArchToJson(arch)["dram"]);
  EXPECT_EQ(back.dram.spec.t.CL, 17);
}

TEST(ArchLoader, MissingFileIsNamed) {
  const std::string path = ScratchDir() + "/absent.json";
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(path); }), path, "", "cannot open file"));
}

// A second matrix unit is refused, not left idle (it ran with the first unit's figures and its
// area counted; issue 23 will run several).
TEST(ArchLoader, ASecondUnitIsRefusedNotIgnored) {
  Json j = DenseJson();
  Json second = j["units"][0];
  second["name"] = "array2";
  j["units"].push_back(second);
  const std::string path = WriteArch(j, "two_units.json");
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(path); }), path, "/units/1",
                         "expected one unit (npusim models one matrix unit per NPU; several units sharing "
                         "buffers and DRAM are not modelled yet), got 2 units"));
}

TEST(ArchLoader, ReportsEveryProblemOfAFileAtOnce) {
  const std::string path = SourcePath("tests/data/bad/arch_many_problems.json");
  const std::string energy = SourcePath("tests/data/bad/energy/does_not_exist.json");
  auto problems = ProblemsOf([&] { LoadArch(path); });
  // Wrong type.
  EXPECT_TRUE(HasProblem(problems, path, "/clock_mhz", "expected a finite number > 0, got \"500\""));
  // Not a power of two.
  EXPECT_TRUE(HasProblem(problems, path, "/dram/burst_bytes", "expected a power of two in 1..4096, got 48"));
  // Duplicate names.
  EXPECT_TRUE(HasProblem(problems, path, "/buffers/1/name", "duplicate component name \"ibuf\""));
  // Unknown key.
  EXPECT_TRUE(HasProblem(problems, path, "/buffers/2/bank",
                         "unknown key \"bank\" (expected one of: name, size_bytes, banks, ports, "
                         "word_bytes)"));
  // Out of range.
  EXPECT_TRUE(HasProblem(problems, path, "/units/0/acc_bits", "expected an integer in 8..32, got 40"));
  EXPECT_TRUE(
      HasProblem(problems, path, "/units/0/overflow", "expected one of wrap|saturate, got \"wrapp\""));
  // Dangling buffer references.
  EXPECT_TRUE(HasProblem(problems, path, "/units/0/weight_buffer",
                         "expected the name of a buffer in /buffers (ibuf, ibuf, abuf), got "
                         "\"wbuf\""));
  EXPECT_TRUE(HasProblem(problems, path, "/post_processor/output_buffer",
                         "expected the name of a buffer in /buffers (ibuf, ibuf, abuf), got "
                         "\"obuf\""));
  // Unsupported unit type lists the supported ones.
  EXPECT_TRUE(HasProblem(problems, path, "/units/1/type",
                         "expected one of systolic_array|bit_serial_array|reconfigurable_array|sparse_array, "
                         "got \"sparse_unit\""));
  // Operands in one buffer.
  EXPECT_TRUE(HasProblem(problems, path, "/units/1/weight_buffer",
                         "expected a buffer other than input_buffer, got \"ibuf\""));
  // Missing required key.
  EXPECT_TRUE(HasProblem(problems, path, "/post_processor/pipeline_cycles",
                         "missing required key \"pipeline_cycles\" (expected an integer in "
                         "0..1000)"));
  // Missing energy file, named.
  EXPECT_TRUE(HasProblem(problems, path, "/energy", "cannot open energy file \"" + energy + "\""));
  // A second unit.
  EXPECT_TRUE(HasProblem(problems, path, "/units/1",
                         "expected one unit (npusim models one matrix unit per NPU; "
                         "several units sharing buffers and DRAM are not modelled "
                         "yet), got 2 units"));
  EXPECT_EQ(problems.size(), 13u) << testing::ToString(problems);
}

TEST(ArchLoader, UnknownDataflowListsTheKnownOnes) {
  Json j = DenseJson();
  j["units"][0]["dataflow"] = "rs";
  const std::string path = WriteArch(j);
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(path); }), path, "/units/0/dataflow",
                         "expected one of ws|os|is, got \"rs\""));
}

TEST(ArchLoader, AcceptsEveryListedDataflow) {
  for (const std::string& dataflow : ArchDataflows()) {
    Json j = DenseJson();
    j["units"][0]["dataflow"] = dataflow;
    EXPECT_EQ(LoadArch(WriteArch(j)).units[0].dataflow, dataflow);
  }
  EXPECT_EQ(ArchDataflows(), (std::vector<std::string>{"ws", "os", "is"}));
}

TEST(ArchLoader, WrongTypeOfRows) {
  Json j = DenseJson();
  j["units"][0]["rows"] = "16";
  const std::string path = WriteArch(j);
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(path); }), path, "/units/0/rows",
                         "expected an integer in 1..4096, got \"16\""));
}

TEST(ArchLoader, MissingAccBits) {
  Json j = DenseJson();
  j["units"][0].erase("acc_bits");
  const std::string path = WriteArch(j);
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(path); }), path, "/units/0/acc_bits",
                         "missing required key \"acc_bits\" (expected an integer in 8..32)"));
}

TEST(ArchLoader, UnknownTopLevelKey) {
  Json j = DenseJson();
  j["clock_mhzz"] = 400;
  const std::string path = WriteArch(j);
  EXPECT_TRUE(
      HasProblem(ProblemsOf([&] { LoadArch(path); }), path, "/clock_mhzz", "unknown key \"clock_mhzz\""));
}

TEST(ArchLoader, BitWidthsAreCheckedOneByOne) {
  Json j = DenseJson();
  j["units"][0]["weight_bits"] = {4, 8, 4, 17};
  j["units"][0]["input_bits"] = Json::array();
  const std::string path = WriteArch(j);
  auto problems = ProblemsOf([&] { LoadArch(path); });
  EXPECT_TRUE(HasProblem(problems, path, "/units/0/weight_bits/2", "duplicate bit width 4"));
  EXPECT_TRUE(HasProblem(problems, path, "/units/0/weight_bits/3", "expected an integer in 1..16, got 17"));
  EXPECT_TRUE(HasProblem(problems, path, "/units/0/input_bits",
                         "expected a non-empty list of distinct integers in 1..16, got []"));
}

TEST(ArchLoader, BufferSizeMustTileBanksTimesWords) {
  Json j = DenseJson();
  j["buffers"][0]["size_bytes"] = 1000;
  const std::string path = WriteArch(j);
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(path); }), path, "/buffers/0/size_bytes",
                         "expected a multiple of banks * word_bytes = 64, got 1000"));
}

TEST(ArchLoader, ComponentNamesMayNotShadowDramOrDma) {
  Json j = DenseJson();
  j["buffers"][3]["name"] = "dram";
  j["post_processor"]["output_buffer"] = "dram";
  const std::string path = WriteArch(j);
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(path); }), path, "/buffers/3/name",
                         "duplicate component name \"dram\""));
}

TEST(ArchLoader, PostOutputBufferMayNotBeAUnitsOperandBuffer) {
  // Was accepted, and small_resnet on tiny_4x4 with "ibuf" there gave wrong logits under --check.
  for (const char* shared : {"ibuf", "wbuf", "abuf"}) {
    Json j = DenseJson();
    j["post_processor"]["output_buffer"] = shared;
    const std::string path = WriteArch(j);
    const auto problems = ProblemsOf([&] { LoadArch(path); });
    EXPECT_TRUE(HasProblem(problems, path, "/post_processor/output_buffer",
                           std::string("expected a buffer that no unit uses, got \"") + shared + "\" (the "))
        << testing::ToString(problems);
    EXPECT_EQ(problems.size(), 1u) << testing::ToString(problems);
  }
}

TEST(ArchLoader, EnergyFileProblemsNameTheEnergyFile) {
  Json j = DenseJson();
  j["energy"] = SourcePath("tests/data/bad/energy_bad_entries.json");
  const std::string path = WriteArch(j);
  const std::string energy = SourcePath("tests/data/bad/energy_bad_entries.json");
  auto problems = ProblemsOf([&] { LoadArch(path); });
  EXPECT_TRUE(HasProblem(problems, energy, "/components/array/mac_8b/energy_pj",
                         "expected a finite number >= 0, got -0.3"));
  EXPECT_TRUE(HasProblem(problems, energy, "/components/array/leak_per_cycle/source",
                         "missing required key \"source\" (expected a non-empty string)"));
  EXPECT_TRUE(
      HasProblem(problems, energy, "/components/ibuf/read/source", "expected a non-empty string, got \"\""));
  EXPECT_TRUE(HasProblem(problems, energy, "/components/ibuf/write/unit",
                         "unknown key \"unit\" (expected one of: energy_pj, source)"));
  EXPECT_EQ(problems.size(), 4u) << testing::ToString(problems);
}

TEST(ArchLoader, InlineEnergyProblemsPointIntoTheArchFile) {
  Json j = DenseJson();
  j["energy"] = {{"version", 1},
                 {"name", "e"},
                 {"components", {{"dram", {{"read_byte", {{"energy_pj", "high"}, {"source", "s"}}}}}}}};
  const std::string path = WriteArch(j);
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(path); }), path,
                         "/energy/components/dram/read_byte/energy_pj",
                         "expected a finite number >= 0, got \"high\""));
}

TEST(ArchLoader, EnergySyntaxErrorNamesTheEnergyFile) {
  const std::string dir = ScratchDir();
  const std::string energy = WriteFile(dir + "/e.json", "{\"version\": 1,\n \"name\": }");
  Json j = DenseJson();
  j["energy"] = "e.json";  // relative to the arch file
  const std::string path = WriteFile(dir + "/arch.json", j.dump());
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(path); }), energy, "", "line 2, column 10: invalid JSON"));
}

Json SagarJson() {
  Json j = ReadJsonFile(SourcePath("arch/sagar_128x128.json"));
  j["energy"] = SourcePath("arch/energy/sagar_45nm.json");
  return j;
}

// The reconfigurable array's operand feed: edge by default (0 = the grid's own edges), its three
// widths, or unlimited (then the widths are refused).
TEST(ArchLoader, ReconfigurableOperandFeed) {
  const ArchConfig dflt = LoadArch(WriteArch(SagarJson()));
  EXPECT_EQ(dflt.units[0].params<core::ReconfigConfig>().operand_feed, "edge");
  EXPECT_EQ(dflt.units[0].params<core::ReconfigConfig>().row_feed_values_per_cycle, 0);
  Json j = SagarJson();
  j["units"][0]["row_feed_values_per_cycle"] = 256;
  j["units"][0]["col_feed_values_per_cycle"] = 512;
  j["units"][0]["drain_values_per_cycle"] = 64;
  const ReconfigConfig r = LoadArch(WriteArch(j)).units[0].params<ReconfigConfig>();
  EXPECT_EQ(r.row_feed_values_per_cycle, 256);
  EXPECT_EQ(r.col_feed_values_per_cycle, 512);
  EXPECT_EQ(r.drain_values_per_cycle, 64);
  j["units"][0]["operand_feed"] = "unlimited";
  j["units"][0]["col_feed_values_per_cycle"] = 0;
  const std::string path = WriteArch(j);
  const std::vector<Problem> problems = ProblemsOf([&] { LoadArch(path); });
  EXPECT_TRUE(HasProblem(problems, path, "/units/0/row_feed_values_per_cycle",
                         "expected no row_feed_values_per_cycle with \"operand_feed\": \"unlimited\""));
  EXPECT_TRUE(HasProblem(problems, path, "/units/0/col_feed_values_per_cycle",
                         "expected an integer in 1..1048576, got 0"));
  j = SagarJson();
  j["units"][0]["operand_feed"] = "shared";
  const std::string p2 = WriteArch(j);
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(p2); }), p2, "/units/0/operand_feed",
                         "expected one of edge|unlimited, got \"shared\""));
  j = SagarJson();
  j["units"][0]["operand_feed"] = "unlimited";
  EXPECT_EQ(LoadArch(WriteArch(j)).units[0].params<core::ReconfigConfig>().operand_feed, "unlimited");
}

}  // namespace
}  // namespace npusim::core

namespace npusim::core {
namespace {

Json ScalpelJson() {
  Json j = ReadJsonFile(testing::SourcePath("arch/scalpel_mcu.json"));
  j["energy"] = testing::SourcePath("arch/energy/scalpel_mcu_45nm.json");
  return j;
}

TEST(ArchLoader, LoadsTheSparseArrays) {
  for (const char* name : {"arch/scalpel_mcu.json", "arch/scalpel_cpu.json"}) {
    const ArchConfig arch = LoadArch(testing::SourcePath(name));
    const UnitConfig& u = *arch.MatrixUnit();
    EXPECT_EQ(u.type, "sparse_array");
    const SparseConfig& s = u.params<SparseConfig>();
    EXPECT_EQ(u.rows, s.simd_width);
    EXPECT_EQ(u.cols, s.pes);
    EXPECT_EQ(s.formats, (std::vector<WeightFormat>{WeightFormat::kDense, WeightFormat::kSimdGroups,
                                                    WeightFormat::kCsr}));
    EXPECT_EQ(s.index_bits, 8);
    for (const char* a : {"entry_mac", "index_decode", "leak_per_cycle"}) {
      EXPECT_FALSE(arch.energy.components.at(u.name).at(a).source.empty()) << name << " " << a;
    }
  }
  const ArchConfig mcu_arch = LoadArch(testing::SourcePath("arch/scalpel_mcu.json"));
  const UnitConfig& mcu = *mcu_arch.MatrixUnit();
  EXPECT_EQ(mcu.params<core::SparseConfig>().pes, 1);
  EXPECT_EQ(mcu.params<core::SparseConfig>().simd_width, 4);
  EXPECT_EQ(mcu.params<core::SparseConfig>().row_overhead_cycles, 2);
}

TEST(ArchLoader, SparseArrayProblemsNameTheirKey) {
  Json j = ScalpelJson();
  j["units"][0]["index_bits"] = 0;
  j["units"][0]["formats"] = {"simd_groups", "coo", "simd_groups"};
  j["units"][0]["weight_bits"] = {1, 8};
  j["units"][0]["simd_width"] = 0;
  j["units"][0]["rows"] = 4;
  j["units"][0]["packed_weights"] = true;
  const std::string path = WriteFile(testing::ScratchDir() + "/arch.json", j.dump(2));
  auto problems = testing::ProblemsOf([&] { LoadArch(path); });
  EXPECT_TRUE(testing::HasProblem(
      problems, path, "/units/0/index_bits",
      "expected 1..16 (bits of a relative index: at least 1, since a gap of more than "
      "2^index_bits - 1 groups needs a padding entry per 2^index_bits - 1 groups), got 0"));
  EXPECT_TRUE(testing::HasProblem(problems, path, "/units/0/formats/1",
                                  "expected one of dense|simd_groups|csr, got \"coo\""));
  EXPECT_TRUE(testing::HasProblem(problems, path, "/units/0/formats/2", "duplicate format \"simd_groups\""));
  EXPECT_TRUE(
      testing::HasProblem(problems, path, "/units/0/weight_bits/0",
                          "expected 2..16 for a sparse_array (binary weights have no zero to skip), got 1"));
  EXPECT_TRUE(
      testing::HasProblem(problems, path, "/units/0/simd_width", "expected an integer in 1..256, got 0"));
  EXPECT_TRUE(testing::HasProblem(problems, path, "/units/0/rows", "unknown key \"rows\""));
  EXPECT_TRUE(
      testing::HasProblem(problems, path, "/units/0/packed_weights",
                          "expected false or absent: a sparse_array stores its weights in its own formats "
                          "(\"formats\")"));
}

TEST(ArchLoader, SparseArrayNeedsFormats) {
  Json j = ScalpelJson();
  j["units"][0]["formats"] = Json::array();
  std::string path = WriteFile(testing::ScratchDir() + "/arch.json", j.dump(2));
  EXPECT_TRUE(testing::HasProblem(testing::ProblemsOf([&] { LoadArch(path); }), path, "/units/0/formats",
                                  "expected a non-empty list of distinct formats"));
  j["units"][0].erase("formats");
  path = WriteFile(testing::ScratchDir() + "/arch2.json", j.dump(2));
  EXPECT_TRUE(testing::HasProblem(testing::ProblemsOf([&] { LoadArch(path); }), path, "/units/0/formats",
                                  "missing required key \"formats\""));
}

// A clock is a finite, normal number from 1 kHz to 100 GHz wherever it is given: 1e-320 MHz
// passed before and made `run` report "seconds": null.
TEST(ArchLoader, ClocksOutsideOneKilohertzToOneHundredGigahertzAreRefused) {
  Json j = DenseJson();
  j["clock_mhz"] = 2e5;
  j["operating_point"] = {{"nominal_voltage_v", 1.0}, {"voltage_v", 1.0}, {"clock_mhz", 0.0005}};
  j["dram"]["clock_mhz"] = 1e6;
  std::string path = WriteArch(j);
  auto problems = ProblemsOf([&] { LoadArch(path); });
  const std::string clock = "expected a clock of 0.001..100000 MHz (1 kHz to 100 GHz), got ";
  EXPECT_TRUE(HasProblem(problems, path, "/clock_mhz", clock + "200000.0")) << testing::ToString(problems);
  EXPECT_TRUE(HasProblem(problems, path, "/operating_point/clock_mhz", clock + "0.0005"));
  EXPECT_TRUE(HasProblem(problems, path, "/dram/clock_mhz", clock + "1000000.0"));
  EXPECT_EQ(problems.size(), 3u) << testing::ToString(problems);
  // The JSON reading path refuses a subnormal number, wherever it is.
  WriteFile(path, R"({"version": 1, "name": "x", "clock_mhz": 1e-320})");
  problems = ProblemsOf([&] { LoadArch(path); });
  EXPECT_TRUE(HasProblem(problems, path, "/clock_mhz",
                         "expected 0 or a normal number (magnitude >= 2.2250738585072014e-308), got 1e-320"))
      << testing::ToString(problems);
  // The limits themselves are clocks.
  j["clock_mhz"] = 100000;
  j["operating_point"]["clock_mhz"] = 0.001;
  j["dram"].erase("clock_mhz");
  const ArchConfig arch = LoadArch(WriteArch(j, "edges.json"));
  EXPECT_EQ(arch.nominal_clock_mhz, 100000);
  EXPECT_EQ(arch.clock_mhz, 0.001);
}

// The buffers' total (each within its own 1 GiB) is a work budget: refused above
// NPUSIM_MAX_BUFFER_BYTES (default 4 GiB) before the simulator allocates any of it.
TEST(ArchLoader, BuffersTotallingMoreThanTheBudgetAreRefused) {
  Json j = DenseJson();
  Json big = j["buffers"][0];
  for (int i = 0; i < 4; ++i) {
    big["name"] = "big" + std::to_string(i);
    big["size_bytes"] = int64_t{1} << 30;
    j["buffers"].push_back(big);
  }
  int64_t total = 0;
  for (const Json& b : j["buffers"]) total += b["size_bytes"].get<int64_t>();
  ASSERT_GT(total, int64_t{4} << 30);
  const std::string path = WriteArch(j);
  auto problems = ProblemsOf([&] { LoadArch(path); });
  EXPECT_TRUE(HasProblem(problems, path, "/buffers",
                         "the buffers total " + std::to_string(total) +
                             " bytes; the limit is 4294967296, raise it with NPUSIM_MAX_BUFFER_BYTES=BYTES"))
      << testing::ToString(problems);
  // The shipped arch's own total is the exact edge: one byte less is refused.
  Json dense = DenseJson();
  int64_t dense_total = 0;
  for (const Json& b : dense["buffers"]) dense_total += b["size_bytes"].get<int64_t>();
  const std::string dense_path = WriteArch(dense, "dense.json");
  setenv("NPUSIM_MAX_BUFFER_BYTES", std::to_string(dense_total).c_str(), 1);
  EXPECT_EQ(LoadArch(dense_path).buffers.size(), dense["buffers"].size());
  setenv("NPUSIM_MAX_BUFFER_BYTES", std::to_string(dense_total - 1).c_str(), 1);
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(dense_path); }), dense_path, "/buffers",
                         "the buffers total " + std::to_string(dense_total) + " bytes; the limit is " +
                             std::to_string(dense_total - 1)));
  setenv("NPUSIM_MAX_BUFFER_BYTES", "4GiB", 1);
  EXPECT_TRUE(HasProblem(ProblemsOf([&] { LoadArch(dense_path); }),
                         "environment variable NPUSIM_MAX_BUFFER_BYTES", "",
                         "expected a positive integer, got \"4GiB\""));
  unsetenv("NPUSIM_MAX_BUFFER_BYTES");
}

}  // namespace
}  // namespace npusim::core
