#include "models/timing/dataflow_timing.h"

#include <map>
#include <stdexcept>
#include <string>

namespace npusim::models::timing {
namespace {

using Registry = std::map<std::string, std::unique_ptr<const DataflowTiming>>;

// A function-local static, so registrations from other translation units' static initializers
// find the map constructed whatever the initialization order between files.
Registry& TheRegistry() {
  static Registry registry;
  return registry;
}

}  // namespace

int64_t GemmMacs(const GemmShape& shape) { return shape.m * shape.k * shape.n * shape.groups; }

bool IsEmptyGemm(const GemmShape& shape) {
  return shape.m == 0 || shape.k == 0 || shape.n == 0 || shape.groups == 0;
}

void CheckGemmArguments(const char* function, int rows, int cols, const GemmShape& shape) {
  if (rows >= 1 && cols >= 1 && shape.m >= 0 && shape.k >= 0 && shape.n >= 0 && shape.groups >= 0) {
    return;
  }
  throw std::invalid_argument(
      std::string(function) +
      ": expected rows, cols >= 1 and m, k, n, groups >= 0, got rows=" + std::to_string(rows) +
      " cols=" + std::to_string(cols) + " m=" + std::to_string(shape.m) + " k=" + std::to_string(shape.k) +
      " n=" + std::to_string(shape.n) + " groups=" + std::to_string(shape.groups));
}

DataflowTiming::~DataflowTiming() = default;

bool RegisterDataflow(std::unique_ptr<const DataflowTiming> dataflow) {
  if (dataflow == nullptr) throw std::logic_error("RegisterDataflow: null dataflow");
  std::string name = dataflow->name();
  auto [it, inserted] = TheRegistry().emplace(name, std::move(dataflow));
  if (!inserted) {
    throw std::logic_error("RegisterDataflow: dataflow '" + name + "' registered twice");
  }
  return true;
}

const DataflowTiming* FindDataflow(const std::string& name) {
  const Registry& registry = TheRegistry();
  auto it = registry.find(name);
  return it == registry.end() ? nullptr : it->second.get();
}

std::vector<std::string> DataflowNames() {
  std::vector<std::string> names;
  for (const auto& [name, dataflow] : TheRegistry()) names.push_back(name);
  return names;
}

}  // namespace npusim::models::timing
