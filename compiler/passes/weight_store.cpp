#include "compiler/passes/weight_store.h"

#include <algorithm>
#include <stdexcept>

#include "compiler/passes/sparse_weights.h"
#include "support/error.h"

namespace npusim::compiler {
namespace {

// The tensor as it is: tiles are strided loads from it.
class DenseStore final : public WeightStore {
 public:
  explicit DenseStore(const ConvView& v) : v_(v) {}
  core::WeightFormat format() const override { return core::WeightFormat::kDense; }
  bool StoresTiles() const override { return false; }
  EncodedTile Encode(const ConvTiling&, int64_t, int64_t, int64_t, int64_t) override {
    throw std::logic_error("layer " + v_.op->name +
                           ": dense weights are loaded from the tensor, not stored per tile");
  }
  int64_t StoredBytes(const ConvTiling&) override { return v_.w->elements() * v_.w->bytes_per_element(); }

 private:
  const ConvView& v_;
};

// Each tile packed at the weights' bit width (core::PackValues).
class PackedStore final : public WeightStore {
 public:
  explicit PackedStore(const ConvView& v) : v_(v) {}
  core::WeightFormat format() const override { return core::WeightFormat::kPacked; }
  bool StoresTiles() const override { return true; }
  EncodedTile Encode(const ConvTiling&, int64_t oc0, int64_t ocn, int64_t i0, int64_t in) override {
    const std::vector<int32_t> values =
        WeightTileValues(*v_.w->data, v_.kh * v_.kw, v_.icg(), oc0, ocn, i0, in);
    return {core::PackValues(values.data(), static_cast<int64_t>(values.size()), v_.w->bits, v_.w->is_signed),
            {}};
  }
  int64_t StoredBytes(const ConvTiling& t) override {
    int64_t bytes = 0;
    ForEachWeightTile({v_.oc, v_.ocg(), v_.icg(), v_.groups}, t.toc, t.tic, t.whole_groups,
                      [&](int64_t, int64_t ocn, int64_t, int64_t in) {
                        bytes += core::PackedBytes(ocn * v_.kh * v_.kw * in, v_.w->bits);
                      });
    return bytes;
  }

 private:
  const ConvView& v_;
};

bool Packs(const core::WeightStorage& s, const core::TensorInfo& w) {
  return s.packed && !s.compressed() && core::PackingSaves(w.bits);
}

}  // namespace

WeightStore::~WeightStore() = default;
bool WeightStore::groups_span_taps() const { return false; }
SparseWeights* WeightStore::sparse() { return nullptr; }

std::vector<std::unique_ptr<WeightStore>> WeightStoresFor(const Context& ctx, const ConvView& v) {
  const core::WeightStorage s = core::UnitKindOf(*ctx.unit).Storage(*ctx.unit);
  std::vector<std::unique_ptr<WeightStore>> stores;
  for (core::WeightFormat f : s.formats) stores.push_back(std::make_unique<SparseWeights>(*ctx.unit, v, f));
  if (!stores.empty()) return stores;
  if (Packs(s, *v.w)) {
    stores.push_back(std::make_unique<PackedStore>(v));
  } else {
    stores.push_back(std::make_unique<DenseStore>(v));
  }
  return stores;
}

std::unique_ptr<WeightStore> ChooseWeightStore(Context& ctx, const ConvView& v, ConvTiling* tiling) {
  std::unique_ptr<WeightStore> chosen;
  int64_t chosen_bytes = 0;
  std::unique_ptr<core::ConfigError> last_error;
  for (std::unique_ptr<WeightStore>& store : WeightStoresFor(ctx, v)) {
    ctx.sparse = store->sparse();
    try {
      const ConvTiling t = ChooseConvTiling(ctx, v);
      const int64_t bytes = store->StoredBytes(t);
      if (!chosen || t.estimated_cycles < tiling->estimated_cycles ||
          (t.estimated_cycles == tiling->estimated_cycles && bytes < chosen_bytes)) {
        *tiling = t;
        chosen_bytes = bytes;
        chosen = std::move(store);
      }
    } catch (const core::ConfigError& e) {
      last_error = std::make_unique<core::ConfigError>(e);
    }
    ctx.sparse = nullptr;
  }
  if (!chosen) throw *last_error;
  return chosen;
}

bool PacksWeights(const Context& ctx, const core::TensorInfo& w) { return Packs(ctx.storage(), w); }

bool StoresTiles(const core::UnitConfig& unit, const core::TensorInfo& w) {
  const core::WeightStorage s = core::UnitKindOf(unit).Storage(unit);
  return s.compressed() || Packs(s, w);
}

std::vector<int32_t> WeightTileValues(const std::vector<int32_t>& w, int64_t taps, int64_t icg, int64_t oc0,
                                      int64_t ocn, int64_t i0, int64_t in) {
  std::vector<int32_t> t;
  t.reserve(ocn * taps * in);
  for (int64_t oc = oc0; oc < oc0 + ocn; ++oc) {
    for (int64_t tap = 0; tap < taps; ++tap) {
      const int32_t* src = &w[(oc * taps + tap) * icg + i0];
      t.insert(t.end(), src, src + in);
    }
  }
  return t;
}

void ForEachWeightTile(const WeightGrid& g, int64_t toc, int64_t tic, bool whole_groups,
                       const std::function<void(int64_t oc0, int64_t ocn, int64_t i0, int64_t in)>& visit) {
  if (whole_groups) {
    for (int64_t oc0 = 0; oc0 < g.oc; oc0 += toc) visit(oc0, std::min(toc, g.oc - oc0), 0, g.icg);
    return;
  }
  for (int64_t group = 0; group < g.groups; ++group) {
    for (int64_t j = 0; j < g.ocg; j += toc) {
      const int64_t oc0 = group * g.ocg + j, ocn = std::min(toc, g.ocg - j);
      for (int64_t i0 = 0; i0 < g.icg; i0 += tic) visit(oc0, ocn, i0, std::min(tic, g.icg - i0));
    }
  }
}

}  // namespace npusim::compiler
