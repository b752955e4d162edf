#include "ir/mapping_force.h"

namespace npusim::core {

const std::vector<std::string>& ArchDataflows() {
  static const std::vector<std::string> names = {"ws", "os", "is"};
  return names;
}

MappingForce Overlay(const MappingForce& f, const MappingForce& over) {
  MappingForce out = f;
  if (over.pr > 0) {
    out.pr = over.pr;
    out.pc = over.pc;
    out.pm = out.pn = out.pk = 0;
  }
  if (over.pm > 0) {
    out.pm = over.pm;
    out.pn = over.pn;
    out.pk = over.pk;
  }
  if (!over.dataflow.empty()) out.dataflow = over.dataflow;
  return out;
}

void ParseMappingForce(JsonChecker& check, const Json& v, const std::string& p,
                       const std::vector<std::string>& dataflows, MappingForce* f) {
  if (!check.Object(v, p)) return;
  check.Keys(v, p, {"arrays", "split", "dataflow"});
  const auto ints = [&](const std::string& key, size_t n) {
    std::vector<int64_t> out;
    const std::string what = "a list of " + std::to_string(n) + " positive integers";
    const Json* a = check.Member(v, p, key, Need::kOptional, what);
    if (a == nullptr) return out;
    if (!a->is_array() || a->size() != n) {
      check.Add(Pointer(p, key), "expected " + what + ", got " + Describe(*a));
      return out;
    }
    for (size_t i = 0; i < n; ++i) {
      auto x = check.Int((*a)[i], Pointer(Pointer(p, key), i), 1, 1 << 20);
      out.push_back(x ? *x : 0);
    }
    return out;
  };
  const std::vector<int64_t> arrays = ints("arrays", 2), split = ints("split", 3);
  if (arrays.size() == 2 && arrays[0] > 0 && arrays[1] > 0) {
    f->pr = static_cast<int>(arrays[0]);
    f->pc = static_cast<int>(arrays[1]);
  }
  if (split.size() == 3 && split[0] > 0 && split[1] > 0 && split[2] > 0) {
    f->pm = split[0];
    f->pn = split[1];
    f->pk = split[2];
    if (f->pr > 0 && f->pm * f->pn * f->pk != static_cast<int64_t>(f->pr) * f->pc) {
      check.Add(Pointer(p, "split"),
                "expected pm * pn * pk = pr * pc = " + std::to_string(static_cast<int64_t>(f->pr) * f->pc));
    }
  }
  if (auto d = check.GetEnum(v, p, "dataflow", Need::kOptional, dataflows)) f->dataflow = *d;
}

}  // namespace npusim::core
