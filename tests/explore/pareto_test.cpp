// The Pareto front (explore/pareto.h) on hand-made points, and front.csv from a hand-made
// sweep.csv: which rows are on it, in which order, and which objectives it uses.
#include "explore/pareto.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/csv.h"

namespace npusim::explore {
namespace {

using Rows = std::vector<std::vector<std::string>>;

TEST(Pareto, KeepsOnlyPointsNothingDominates) {
  // (cycles, energy, area): 1 is dominated by 0 (worse on all three); 3 by 2 (equal cycles and
  // energy, more area); 4 duplicates 0 (equal points do not dominate each other); 5 is worst
  // on cycles but best on area.
  const std::vector<std::vector<double>> p = {{10, 5, 3},   {11, 6, 4}, {12, 4, 3},
                                              {12, 4, 3.5}, {10, 5, 3}, {20, 9, 1}};
  EXPECT_EQ(NonDominated(p), (std::vector<size_t>{0, 2, 4, 5}));
}

TEST(Pareto, TwoObjectivesAndEmptySets) {
  EXPECT_EQ(NonDominated({{1, 5}, {2, 2}, {3, 3}}), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(NonDominated({}), std::vector<size_t>{});
  EXPECT_EQ(NonDominated({{7, 7}}), std::vector<size_t>{0});
}

const std::vector<std::string> kHeader = {"id",
                                          "net",
                                          "/units/0/rows",
                                          "status",
                                          "cycles",
                                          "seconds",
                                          "energy_pj",
                                          "area_mm2",
                                          "tops_per_mm2",
                                          "tops_per_w",
                                          "edp_pj_s",
                                          "dram_read_bytes",
                                          "dram_write_bytes",
                                          "error"};

std::vector<std::string> Row(const std::string& id, const std::string& status, const std::string& seconds,
                             const std::string& energy, const std::string& area) {
  return {id,   "n.json", "8", status, "1", seconds, energy,
          area, "",       "",  "",     "0", "0",     status == "ok" ? "" : "x"};
}

TEST(Pareto, FrontCsvOverLatencyEnergyAndArea) {
  const Rows rows = {kHeader,
                     Row("p0", "ok", "2", "10", "1"),    // smallest area: on the front
                     Row("p1", "ok", "1", "10", "4"),    // fastest: on the front
                     Row("p2", "ok", "2", "11", "2"),    // p0 beats it everywhere
                     Row("p3", "error", "", "", ""),     // failed: never on the front
                     Row("p4", "ok", "1.5", "9", "3")};  // least energy: on the front
  EXPECT_EQ(FrontObjectives(rows), (std::vector<std::string>{"seconds", "energy_pj", "area_mm2"}));
  // Fastest first.
  EXPECT_EQ(FrontCsv(rows), core::CsvLine(kHeader) + core::CsvLine(rows[2]) + core::CsvLine(rows[5]) +
                                core::CsvLine(rows[1]));
}

TEST(Pareto, WithoutAnAreaTheFrontIsOverLatencyAndEnergy) {
  const Rows rows = {kHeader, Row("p0", "ok", "2", "10", ""), Row("p1", "ok", "1", "10", "4"),
                     Row("p2", "ok", "3", "5", "")};
  EXPECT_EQ(FrontObjectives(rows), (std::vector<std::string>{"seconds", "energy_pj"}));
  // p0 is beaten by p1 (faster, same energy) once area is not an objective.
  EXPECT_EQ(FrontCsv(rows), core::CsvLine(kHeader) + core::CsvLine(rows[2]) + core::CsvLine(rows[3]));
}

}  // namespace
}  // namespace npusim::explore
