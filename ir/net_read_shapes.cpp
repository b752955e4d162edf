// The network loader's view of the per-op rules (ir/op_rules.h): where a rule finds a problem, as
// a JSON pointer into the network file, and the output shape the rule infers when the file gives
// none.
#include "ir/net_reader.h"
#include "ir/op_rules.h"

namespace npusim::core::net {
namespace {

class LoaderRuleReport : public OpRuleReport {
 public:
  LoaderRuleReport(NetState& s, const std::string& p, const Op& op) : s_(s), p_(p), op_(op) {}

  void Add(const OpSite& where, const std::string& message) override {
    s_.check.Add(PointerOf(where), message);
  }
  std::string OpRef() const override { return p_; }
  OperandFacts Facts(const std::string& tensor) const override {
    const TensorState& st = s_.state[tensor];
    return {st.type_ok, st.constant, st.is_input, st.per_channel};
  }
  const std::vector<int64_t>* GivenOutputShape() const override {
    if (!s_.state[op_.outputs[0]].shape_given) return nullptr;
    return &s_.g.tensor(op_.outputs[0]).shape;
  }
  void InferredOutputShape(const std::vector<int64_t>& shape) override {
    s_.g.tensor(op_.outputs[0]).shape = shape;
  }

 private:
  std::string PointerOf(const OpSite& where) const {
    switch (where.kind) {
      case OpSite::Kind::kOp: return p_;
      case OpSite::Kind::kInput: return Pointer(Pointer(p_, "inputs"), static_cast<size_t>(where.index));
      case OpSite::Kind::kOutput: return Pointer(Pointer(p_, "outputs"), 0);
      case OpSite::Kind::kAttribute: {
        const std::string a = Pointer(p_, where.attribute);
        return where.index < 0 ? a : Pointer(a, static_cast<size_t>(where.index));
      }
      case OpSite::Kind::kOutputShape: return Pointer(s_.state[op_.outputs[0]].pointer, "shape");
    }
    return p_;
  }

  NetState& s_;
  const std::string& p_;
  const Op& op_;
};

}  // namespace

bool RolesOk(NetState& s, const std::string& p, const Op& op) {
  LoaderRuleReport report(s, p, op);
  return CheckOperandRoles(s.g, op, report);
}

void InferAndCheck(NetState& s, const std::string& p, const std::string& kind, Op* op) {
  LoaderRuleReport report(s, p, *op);
  CheckOpShape(s.g, *op, kind, report);
}

}  // namespace npusim::core::net
