// The registry shape every facet of a unit kind uses (config/unit_kind.h, models/timing/unit_timing.h,
// models/matrix_unit.h): facets by kind name, in registration order, each name once.
//
//   UnitKindRegistry<std::unique_ptr<const UnitKind>>& r = ...;   // a function-local static
//   r.Add("bit_serial_array", MakeBitSerialUnitKind());
//   const auto* kind = r.Find(unit.type);                          // nullptr when unregistered
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace npusim::core {

template <class Facet>
class UnitKindRegistry {
 public:
  // `what` names the facet in errors ("unit kind", "unit timing", "unit module").
  explicit UnitKindRegistry(std::string what) : what_(std::move(what)) {}

  // Throws std::logic_error on an empty facet or a name registered twice (two files claiming one
  // name is a build defect). Returns true, so a namespace-scope constant can call it.
  bool Add(const std::string& name, Facet facet) {
    if (!facet) throw std::logic_error("registering " + what_ + " \"" + name + "\": nothing to register");
    if (Find(name) != nullptr) throw std::logic_error(what_ + " \"" + name + "\" registered twice");
    entries_.emplace_back(name, std::move(facet));
    return true;
  }
  const Facet* Find(const std::string& name) const {
    for (const auto& [n, facet] : entries_) {
      if (SameName(n, name)) return &facet;
    }
    return nullptr;
  }
  // Like Find, but a missing name is a broken invariant: std::logic_error naming the known ones.
  const Facet& Get(const std::string& name) const {
    if (const Facet* f = Find(name)) return *f;
    std::string known;
    for (const std::string& n : Names()) known += (known.empty() ? "" : ", ") + n;
    throw std::logic_error("no " + what_ + " registered for unit type \"" + name +
                           "\" (registered: " + known + ")");
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& entry : entries_) names.push_back(entry.first);
    return names;
  }

 private:
  // a == b, compared inline 8 bytes at a time: the compiler's cost model looks a unit's facets up
  // about a million times a compile, where a library memcmp call per lookup showed in profiles.
  static bool SameName(const std::string& a, const std::string& b) {
    const size_t n = a.size();
    if (n != b.size()) return false;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t x = 0, y = 0;
      std::memcpy(&x, a.data() + i, 8);
      std::memcpy(&y, b.data() + i, 8);
      if (x != y) return false;
    }
    for (; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }

  std::string what_;
  std::vector<std::pair<std::string, Facet>> entries_;
};

// The program's one registry of `Facet`s, filled with the built-in kinds by `add_built_ins` on
// first use: registrations from other files' static initializers find it whatever the
// initialization order, and the built-in kinds come first (in config/unit_kinds.def order).
template <class Facet>
UnitKindRegistry<Facet>& TheUnitKindRegistry(const char* what,
                                             void (*add_built_ins)(UnitKindRegistry<Facet>&)) {
  static UnitKindRegistry<Facet> registry = [&] {
    UnitKindRegistry<Facet> r(what);
    add_built_ins(r);
    return r;
  }();
  return registry;
}

}  // namespace npusim::core
