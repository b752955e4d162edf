// Dataflow timing: the cycle count of one GEMM instruction on a rows x cols systolic array, as a
// pure function of the array shape and the GEMM shape. One class per dataflow (weight-, output-,
// input-stationary) behind one interface, picked once by name from the arch file's "dataflow" key:
//
//   {"name": "array", "type": "systolic_array", "rows": 16, "cols": 16, "dataflow": "ws"}
//
//   const DataflowTiming* df = FindDataflow(unit.dataflow);   // once, when the module is built
//   if (df == nullptr) ...report "unknown dataflow", listing DataflowNames()...
//   int64_t cycles = df->Cycles(unit.rows, unit.cols, shape);  // per instruction
//
// Adding a dataflow means adding one file that defines a DataflowTiming subclass and registers
// it (see systolic_timing.cpp for "ws", os_timing.cpp for "os", is_timing.cpp for "is"), and
// adding its name to the arch loader's fixed list (core::ArchDataflows in ir/mapping_force.cpp: ir
// does not depend on models, and a test checks every listed name is registered):
//
//   namespace { [[maybe_unused]] const bool kOsRegistered =
//                   RegisterDataflow(std::make_unique<OsDataflow>()); }
//
// Linking note: registration runs from a static initializer in the dataflow's own .cpp. A linker
// pulls an object out of a static library only when something references one of its symbols, so
// a dataflow file that nothing calls directly must reach the executable anyway: link
// npusim_models_timing whole-archive (CMake >= 3.24: $<LINK_LIBRARY:WHOLE_ARCHIVE,...>) or as
// an OBJECT library. If a name is missing at run time, DataflowNames() shows what was linked.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace npusim::models::timing {

// A (possibly grouped) GEMM: `groups` independent GEMMs, each multiplying an m x k input matrix by
// a k x n weight matrix. k and n are PER GROUP: for a convolution, m = out_h*out_w,
// k = (in_c/groups)*kh*kw, n = out_c/groups; depthwise has k = kh*kw, n = 1, groups = channels.
struct GemmShape {
  int64_t m = 0;
  int64_t k = 0;
  int64_t n = 0;
  int64_t groups = 1;
};

// Multiply-accumulates the GEMM needs (m*k*n*groups): the numerator of utilization.
int64_t GemmMacs(const GemmShape& shape);

// True when the GEMM has no work (m, k, n or groups == 0): every dataflow gives it 0 cycles.
bool IsEmptyGemm(const GemmShape& shape);

// Throws std::invalid_argument naming `function` and the arguments unless rows, cols >= 1 and
// every shape field >= 0. Shapes reach the timing kernels already validated (arch and IR checks),
// so a bad one is a caller bug, reported loudly rather than turned into a meaningless count.
void CheckGemmArguments(const char* function, int rows, int cols, const GemmShape& shape);

// What crosses an array's edges during one phase of its schedule, for the operand-feed model of
// partitioned arrays (partition_timing.h): values entering the rows at the left edge, entering
// the columns at the top edge (operands, or partial sums read from the accumulator), and leaving
// the bottom edge into the accumulator.
enum class EdgeData { kNone, kInputs, kWeights, kPartialSums };

struct FeedPhase {
  int64_t steps = 0;  // cycles of the unthrottled schedule in this phase, summed over all folds
  EdgeData row = EdgeData::kNone, col = EdgeData::kNone, drain = EdgeData::kNone;
};

// One dataflow's timing. Implementations are stateless: Cycles() is a pure function, safe to call
// from any thread, any number of times, in any order.
class DataflowTiming {
 public:
  virtual ~DataflowTiming();
  // Cycles from the instruction's start to its last accumulator write, on a rows x cols array.
  // Preconditions: rows, cols >= 1; every shape field >= 0 (an empty GEMM takes 0 cycles).
  // Violations throw std::invalid_argument: shapes are validated before they get here.
  virtual int64_t Cycles(int rows, int cols, const GemmShape& shape) const = 0;
  // The instruction's schedule cut into phases by what crosses the edges; the steps add up to
  // Cycles(). Same preconditions; an empty GEMM has no phases.
  virtual std::vector<FeedPhase> Phases(int rows, int cols, const GemmShape& shape) const = 0;
  // The registry key, as the arch file spells it ("ws").
  virtual const char* name() const = 0;
};

// Registers `dataflow` under dataflow->name() for the life of the program. Returns true so that a
// namespace-scope constant can call it at static initialization. Throws std::logic_error on a
// null pointer or a name registered twice (two files claiming one name is a build defect).
bool RegisterDataflow(std::unique_ptr<const DataflowTiming> dataflow);

// The dataflow registered under `name`, or nullptr when none is. The pointer stays valid for the
// life of the program.
const DataflowTiming* FindDataflow(const std::string& name);

// Registered names in ascending order, for "unknown dataflow 'x'; known: os, ws" messages.
std::vector<std::string> DataflowNames();

}  // namespace npusim::models::timing
