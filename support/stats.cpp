#include "support/stats.h"

#include <stdexcept>

namespace npusim::core {

Counter& StatRegistry::Register(const std::string& component, const std::string& action,
                                const std::string& unit, const std::string& description) {
  if (Find(component, action) != nullptr) {
    // A programming error, not bad input: two modules claim the same counter.
    throw std::logic_error("counter " + component + "." + action + " registered twice");
  }
  counters_.push_back(Counter{component, action, unit, description, {}, 0});
  return counters_.back();
}

const Counter* StatRegistry::Find(const std::string& component, const std::string& action) const {
  for (const Counter& c : counters_) {
    if (c.component == component && c.action == action) return &c;
  }
  return nullptr;
}

}  // namespace npusim::core
