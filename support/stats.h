// Named action counters (docs/design-decisions.md). A component registers each counter
// once, under its component name (the energy table key: "array", "ibuf", "dram", ...) and action
// ("mac_8b", "read", ...); counts are kept per network layer so energy can be reported per layer.
// Formatting lives elsewhere (app/report.cpp): this only collects.
//
// Call order: components Register() while the Npu is built; Add() during simulation; readers
// (energy, report) after the simulation has ended. Counters live as long as the registry.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace npusim::core {

struct Counter {
  std::string component;
  std::string action;
  std::string unit;                 // "actions", "words", "bytes", "cycles"
  std::string description;          // one line
  std::vector<uint64_t> per_layer;  // index layer + 1; index 0 counts work of no layer
  uint64_t total = 0;
  void Add(int layer, uint64_t n) {
    const size_t i = static_cast<size_t>(layer + 1);
    if (i >= per_layer.size()) per_layer.resize(i + 1, 0);
    per_layer[i] += n;
    total += n;
  }
  uint64_t layer(int l) const {
    const size_t i = static_cast<size_t>(l + 1);
    return i < per_layer.size() ? per_layer[i] : 0;
  }
};

class StatRegistry {
 public:
  // Returns a counter that stays valid for the registry's lifetime (a deque never moves elements).
  Counter& Register(const std::string& component, const std::string& action, const std::string& unit,
                    const std::string& description);
  const std::deque<Counter>& counters() const { return counters_; }
  // nullptr if absent.
  const Counter* Find(const std::string& component, const std::string& action) const;

 private:
  std::deque<Counter> counters_;
};

}  // namespace npusim::core
