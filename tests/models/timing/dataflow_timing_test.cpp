// Checks the dataflow registry of models/timing/dataflow_timing.h: lookup by the arch file's name,
// and that a new dataflow joins by defining and registering a class in its own file, as
// FixedDataflow below does.
#include "models/timing/dataflow_timing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/arch.h"
#include "models/timing/systolic_timing.h"

namespace npusim::models::timing {
namespace {

// Stands in for a dataflow added later (an "os" or "is" file): nothing outside this file names it.
class FixedDataflow final : public DataflowTiming {
 public:
  int64_t Cycles(int rows, int cols, const GemmShape& shape) const override { return 42; }
  std::vector<FeedPhase> Phases(int, int, const GemmShape&) const override { return {{42}}; }
  const char* name() const override { return "test_fixed"; }
};

[[maybe_unused]] const bool kFixedRegistered = RegisterDataflow(std::make_unique<FixedDataflow>());

TEST(DataflowRegistry, WsIsRegisteredUnderItsName) {
  const DataflowTiming* ws = FindDataflow("ws");
  ASSERT_NE(ws, nullptr);
  EXPECT_STREQ(ws->name(), "ws");
}

TEST(DataflowRegistry, EveryDataflowTheArchAcceptsIsRegistered) {
  // core validates units[].dataflow against its own fixed list; each name must resolve here.
  for (const std::string& name : core::ArchDataflows()) {
    const DataflowTiming* df = FindDataflow(name);
    ASSERT_NE(df, nullptr) << name;
    EXPECT_EQ(df->name(), name);
  }
}

TEST(DataflowRegistry, UnknownNameGivesNullptr) {
  EXPECT_EQ(FindDataflow("no_such_dataflow"), nullptr);
  EXPECT_EQ(FindDataflow(""), nullptr);
  EXPECT_EQ(FindDataflow("WS"), nullptr);  // names are exact, as the arch file spells them
}

TEST(DataflowRegistry, WsCyclesAreTheSystolicWsClosedForm) {
  const DataflowTiming* ws = FindDataflow("ws");
  ASSERT_NE(ws, nullptr);
  for (const GemmShape& s : {GemmShape{5, 4, 4}, GemmShape{7, 10, 5}, GemmShape{4, 9, 1, 3},
                             GemmShape{3, 4, 1, 5}, GemmShape{0, 1, 1}}) {
    EXPECT_EQ(ws->Cycles(8, 4, s), SystolicWsCycles(8, 4, s));
  }
}

TEST(DataflowRegistry, DataflowInItsOwnFileIsFoundByName) {
  const DataflowTiming* fixed = FindDataflow("test_fixed");
  ASSERT_NE(fixed, nullptr);
  EXPECT_EQ(fixed->Cycles(4, 4, {1, 1, 1}), 42);
}

TEST(DataflowRegistry, NamesAreSortedAndListEveryDataflow) {
  const std::vector<std::string> names = DataflowNames();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(std::find(names.begin(), names.end(), "ws"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "test_fixed"), names.end());
}

TEST(DataflowRegistry, SecondRegistrationOfANameIsRejected) {
  EXPECT_THROW(RegisterDataflow(std::make_unique<FixedDataflow>()), std::logic_error);
  EXPECT_EQ(FindDataflow("test_fixed")->Cycles(1, 1, {1, 1, 1}), 42);  // first one kept
}

TEST(DataflowRegistry, NullDataflowIsRejected) { EXPECT_THROW(RegisterDataflow(nullptr), std::logic_error); }

}  // namespace
}  // namespace npusim::models::timing
