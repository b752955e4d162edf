#include "models/timing/post_timing.h"

#include <stdexcept>
#include <string>

namespace npusim::models::timing {
namespace {

void CheckUnit(const char* function, int lanes, int pipeline) {
  if (lanes >= 1 && pipeline >= 0) return;
  throw std::invalid_argument(std::string(function) + ": expected lanes >= 1 and pipeline >= 0, got lanes=" +
                              std::to_string(lanes) + " pipeline=" + std::to_string(pipeline));
}

void CheckCount(const char* function, const char* what, int64_t value) {
  if (value >= 0) return;
  throw std::invalid_argument(std::string(function) + ": expected " + what + " >= 0, got " +
                              std::to_string(value));
}

// Lane reads plus one pipeline fill (post_timing.h, TIMELINE).
int64_t StreamCycles(int lanes, int pipeline, int64_t values) {
  if (values == 0) return 0;
  return pipeline + (values + lanes - 1) / lanes;
}

}  // namespace

int64_t PostElementwiseCycles(int lanes, int pipeline, int64_t n) {
  CheckUnit("PostElementwiseCycles", lanes, pipeline);
  CheckCount("PostElementwiseCycles", "n", n);
  return StreamCycles(lanes, pipeline, n);
}

int64_t PostPoolCycles(int lanes, int pipeline, int64_t outputs, int64_t window) {
  CheckUnit("PostPoolCycles", lanes, pipeline);
  CheckCount("PostPoolCycles", "outputs", outputs);
  CheckCount("PostPoolCycles", "window", window);
  return StreamCycles(lanes, pipeline, outputs * window);
}

}  // namespace npusim::models::timing
