// The network loader's tensor reader (ir/net_reader.h): one entry of /tensors, its type, shape,
// quantization parameters and data (a list, a .npy file or {"random": ...}).
#include <cmath>
#include <optional>

#include "ir/net_reader.h"
#include "support/npy.h"
#include "support/random.h"

namespace npusim::core::net {
namespace {

class TensorReader {
 public:
  explicit TensorReader(NetState& s) : s_(s) {}

  void Read(const std::string& name, const Json& t, const std::string& p) {
    TensorInfo& info = g_.tensors[name];
    info.name = name;
    TensorState& st = state_[name];
    st.pointer = p;
    if (!IsTensorName(name)) {
      check_.Add(p, "expected a tensor name of characters A-Z a-z 0-9 _ . : - (it names output "
                    "files), got \"" +
                        name + "\"");
    }
    if (!check_.Object(t, p)) return;
    check_.Keys(t, p, {"shape", "bits", "signed", "scale", "zero_point", "data"});
    st.type_ok = ParseType(t, p, &info);
    ParseShape(t, p, &info, &st);
    st.constant = t.contains("data");
    if (st.type_ok) ParseQuant(t, p, &info, &st);
    if (st.type_ok && t.contains("data") && !info.shape.empty()) {
      info.data = ParseData(t["data"], Pointer(p, "data"), info);
    }
    CheckPerChannel(t, p, info, st);
  }

 private:
  bool ParseType(const Json& t, const std::string& p, TensorInfo* info) {
    bool ok = true;
    if (t.contains("bits")) {
      const Json& b = t["bits"];
      const bool valid = b.is_number_integer() &&
                         ((b.get<int64_t>() >= 1 && b.get<int64_t>() <= 16) || b.get<int64_t>() == 32);
      if (valid) {
        info->bits = static_cast<int>(b.get<int64_t>());
      } else {
        check_.Add(Pointer(p, "bits"),
                   "expected an integer in 1..16, or 32 for a bias or an int32 accumulator output, got " +
                       Describe(b));
        ok = false;
      }
    }
    if (auto s = check_.GetBool(t, p, "signed", Need::kOptional)) {
      info->is_signed = *s;
    } else if (t.contains("signed")) {
      ok = false;
    }
    if (ok && info->bits == 32 && !info->is_signed) {
      check_.Add(Pointer(p, "signed"),
                 "expected true for a 32-bit (bias or accumulator output) tensor, got false");
      ok = false;
    }
    return ok;
  }

  void ParseShape(const Json& t, const std::string& p, TensorInfo* info, TensorState* st) {
    if (!t.contains("shape")) return;
    st->shape_given = true;
    const std::string sp = Pointer(p, "shape");
    const Json& s = t["shape"];
    if (!s.is_array() || s.empty() || s.size() > 4) {
      check_.Add(sp, "expected a list of 1 to 4 integers >= 1, got " + Describe(s));
      return;
    }
    std::vector<int64_t> shape;
    for (size_t i = 0; i < s.size(); ++i) {
      if (auto d = check_.Int(s[i], Pointer(sp, i), 1, kMaxElements)) shape.push_back(*d);
    }
    if (shape.size() != s.size()) return;
    int64_t elements = 1;
    for (int64_t d : shape) {
      elements *= d;  // both factors < 2^31, so no overflow before the check stops the growth
      if (elements > kMaxElements) {
        check_.Add(sp, "expected at most " + std::to_string(kMaxElements) + " elements, got " + Describe(s));
        return;
      }
    }
    if (t.contains("data")) {
      // Data is materialized as int32 values (and per-channel random scales as floats).
      if (s_.constant_elements + elements > kMaxConstantElements) {
        check_.Add(sp, "expected at most " + std::to_string(kMaxConstantElements) +
                           " elements of data in all tensors with \"data\" together, got " +
                           std::to_string(s_.constant_elements + elements) + " with this one");
        return;
      }
      s_.constant_elements += elements;
    }
    info->shape = shape;
  }

  // A scale as float32: a finite number > 0 that stays > 0 and finite after rounding to float.
  std::optional<float> ScaleValue(const Json& v, const std::string& p) {
    auto d = check_.Number(v, p, 0, true);
    if (!d) return std::nullopt;
    const float f = static_cast<float>(*d);
    if (f > 0 && std::isfinite(f)) return f;
    check_.Add(p, "expected a scale representable as a positive finite float32, got " + Describe(v));
    return std::nullopt;
  }

  void ParseQuant(const Json& t, const std::string& p, TensorInfo* info, TensorState* st) {
    if (info->bits == 32) {
      // Biases and accumulator outputs: scale x_scale * w_scale and zero point 0 are implied by
      // the op (docs/formats.md).
      for (const char* key : {"scale", "zero_point"}) {
        if (!t.contains(key)) continue;
        check_.Add(Pointer(p, key), std::string("\"") + key +
                                        "\" is not allowed on a 32-bit (bias or accumulator "
                                        "output) tensor: its scale is implied as x_scale * w_scale "
                                        "and its zero point is 0");
      }
      return;
    }
    const std::string scale_expectation =
        "a number > 0, a list of them (one per output channel), or {\"random\": {...}}";
    if (const Json* s = check_.Member(t, p, "scale", Need::kRequired, scale_expectation)) {
      ParseScale(*s, Pointer(p, "scale"), scale_expectation, info, st);
    }
    if (const Json* z = check_.Member(t, p, "zero_point", Need::kOptional, "")) {
      ParseZeroPoint(*z, Pointer(p, "zero_point"), info);
    }
  }

  void ParseScale(const Json& s, const std::string& sp, const std::string& expectation, TensorInfo* info,
                  TensorState* st) {
    if (s.is_number()) {
      if (auto f = ScaleValue(s, sp)) info->quant.scales = {*f};
      return;
    }
    if (s.is_array() && !s.empty()) {
      std::vector<float> scales;
      for (size_t i = 0; i < s.size(); ++i) {
        if (auto f = ScaleValue(s[i], Pointer(sp, i))) scales.push_back(*f);
      }
      if (scales.size() == s.size()) info->quant.scales = scales;
      if (s.size() > 1) st->per_channel = true;
      return;
    }
    if (s.is_object() && s.contains("random")) {
      ParseRandomScale(s, sp, info, st);
      return;
    }
    check_.Add(sp, "expected " + expectation + ", got " + Describe(s));
  }

  void ParseRandomScale(const Json& s, const std::string& sp, TensorInfo* info, TensorState* st) {
    check_.Keys(s, sp, {"random"});
    const std::string rp = Pointer(sp, "random");
    const Json& r = s["random"];
    if (!check_.Object(r, rp)) return;
    check_.Keys(r, rp, {"seed", "min", "max", "per_channel"});
    std::optional<uint64_t> seed;
    if (const Json* v =
            check_.Member(r, rp, "seed", Need::kRequired, "an integer in 0..18446744073709551615")) {
      seed = check_.Uint64(*v, Pointer(rp, "seed"));
    }
    const std::string num = NumberExpectation(0, true);
    std::optional<float> lo, hi;
    if (const Json* v = check_.Member(r, rp, "min", Need::kRequired, num)) {
      lo = ScaleValue(*v, Pointer(rp, "min"));
    }
    if (const Json* v = check_.Member(r, rp, "max", Need::kRequired, num)) {
      hi = ScaleValue(*v, Pointer(rp, "max"));
    }
    const bool per_channel = check_.GetBool(r, rp, "per_channel", Need::kOptional).value_or(false);
    st->per_channel = st->per_channel || per_channel;
    if (!seed || !lo || !hi) return;
    const double min = r["min"].get<double>(), max = r["max"].get<double>();
    if (min > max) {
      check_.Add(Pointer(rp, "max"),
                 "expected a number >= min (" + Describe(r["min"]) + "), got " + Describe(r["max"]));
      return;
    }
    // Per-channel scales belong to constants (whose size is bounded); others are reported.
    if (per_channel && (info->shape.empty() || !st->constant || st->is_input)) return;
    const int64_t count = per_channel ? info->shape[0] : 1;
    std::vector<float> scales;
    for (int64_t i = 0; i < count; ++i) scales.push_back(RandomScale(*seed, i, min, max));
    info->quant.scales = scales;
  }

  void ParseZeroPoint(const Json& z, const std::string& zp, TensorInfo* info) {
    if (z.is_array() && !z.empty()) {
      std::vector<int32_t> zps;
      for (size_t i = 0; i < z.size(); ++i) {
        if (auto v = check_.Int(z[i], Pointer(zp, i), info->qmin(), info->qmax())) {
          zps.push_back(static_cast<int32_t>(*v));
        }
      }
      if (zps.size() == z.size()) info->quant.zero_points = zps;
      return;
    }
    if (z.is_array()) {
      check_.Add(zp, "expected " + IntExpectation(info->qmin(), info->qmax()) +
                         " or a non-empty list of them, got []");
      return;
    }
    if (auto v = check_.Int(z, zp, info->qmin(), info->qmax())) {
      info->quant.zero_points = {static_cast<int32_t>(*v)};
    }
  }

  // Per-channel parameters (a list of more than one scale or zero point) belong to constant
  // weights only, one per output channel (axis 0).
  void CheckPerChannel(const Json& t, const std::string& p, const TensorInfo& info, TensorState& st) {
    const Json* z = t.is_object() && t.contains("zero_point") ? &t["zero_point"] : nullptr;
    const bool zp_list = z && z->is_array() && z->size() > 1;
    st.per_channel = st.per_channel || zp_list;
    if (!st.per_channel) return;
    if (!st.constant || st.is_input) {
      check_.Add(Pointer(p, "scale"),
                 "expected one scale and one zero point: per-channel quantization is only "
                 "allowed on constant weights (tensors with data that are not network inputs)");
      return;
    }
    if (info.shape.empty()) return;
    const int64_t channels = info.shape[0];
    const Json* s = t.contains("scale") ? &t["scale"] : nullptr;
    if (s && s->is_array() && s->size() > 1 && static_cast<int64_t>(s->size()) != channels) {
      check_.Add(Pointer(p, "scale"), "expected " + std::to_string(channels) +
                                          " scales (one per output channel, shape[0]), got " +
                                          std::to_string(s->size()));
    }
    if (zp_list && static_cast<int64_t>(z->size()) != channels) {
      check_.Add(Pointer(p, "zero_point"), "expected " + std::to_string(channels) +
                                               " zero points (one per output channel, shape[0]), "
                                               "got " +
                                               std::to_string(z->size()));
    }
  }

  // ---------------------------------------------------------------- data

  std::optional<std::vector<int32_t>> ParseData(const Json& d, const std::string& dp,
                                                const TensorInfo& info) {
    if (d.is_array()) return DataList(d, dp, info);
    if (d.is_string() && d.get<std::string>().size() > 4 &&
        d.get<std::string>().compare(d.get<std::string>().size() - 4, 4, ".npy") == 0) {
      return DataNpy(d.get<std::string>(), dp, info);
    }
    if (d.is_object() && d.contains("random")) return DataRandom(d, dp, info);
    check_.Add(dp,
               "expected a list of integers, a .npy file name, or {\"random\": {...}}, got " + Describe(d));
    return std::nullopt;
  }

  std::optional<std::vector<int32_t>> DataList(const Json& d, const std::string& dp, const TensorInfo& info) {
    if (static_cast<int64_t>(d.size()) != info.elements()) {
      check_.Add(dp, "expected " + std::to_string(info.elements()) + " values (shape " +
                         ShapeString(info.shape) + "), got " + std::to_string(d.size()));
      return std::nullopt;
    }
    std::vector<int32_t> values;
    values.reserve(d.size());
    size_t bad = 0;
    for (size_t i = 0; i < d.size(); ++i) {
      const Json& v = d[i];
      const bool in_range =
          v.is_number_integer() && !v.is_number_unsigned()
              ? info.representable(v.get<int64_t>())
              : v.is_number_unsigned() && v.get<uint64_t>() <= static_cast<uint64_t>(info.qmax());
      if (in_range) {
        values.push_back(static_cast<int32_t>(v.get<int64_t>()));
        continue;
      }
      if (bad++ < kMaxValueProblems) {
        check_.Add(Pointer(dp, i), "expected " + IntExpectation(info.qmin(), info.qmax()) +
                                       (info.binary() ? " other than 0" : "") + " (" + TypeString(info) +
                                       "), got " + Describe(v));
      }
    }
    if (bad > kMaxValueProblems) {
      check_.Add(dp, "and " + std::to_string(bad - kMaxValueProblems) + " more values that are not " +
                         IntExpectation(info.qmin(), info.qmax()));
    }
    if (bad) return std::nullopt;
    return values;
  }

  std::optional<std::vector<int32_t>> DataNpy(const std::string& rel, const std::string& dp,
                                              const TensorInfo& info) {
    const std::string npy_path = ResolveRelative(s_.path, rel);
    NpyArray a;
    try {
      a = LoadNpy(npy_path);
    } catch (const ConfigError& e) {
      for (const Problem& pr : e.problems()) check_.Add(dp, pr.file + ": " + pr.message);
      return std::nullopt;
    }
    if (a.dtype == "float32") {
      check_.Add(
          dp,
          npy_path + ": expected an integer dtype (a tensor's data are its quantized values), got float32");
      return std::nullopt;
    }
    if (a.shape != info.shape) {
      check_.Add(dp, npy_path + ": expected shape " + ShapeString(info.shape) +
                         " (the tensor's shape), got " + ShapeString(a.shape));
      return std::nullopt;
    }
    const std::string violation = RangeViolation(a.values, info);
    if (!violation.empty()) {
      check_.Add(dp, npy_path + ": " + violation);
      return std::nullopt;
    }
    return std::move(a.values);
  }

  std::optional<std::vector<int32_t>> DataRandom(const Json& d, const std::string& dp,
                                                 const TensorInfo& info) {
    check_.Keys(d, dp, {"random"});
    const std::string rp = Pointer(dp, "random");
    const Json& r = d["random"];
    if (!check_.Object(r, rp)) return std::nullopt;
    check_.Keys(r, rp, {"seed", "min", "max"});
    std::optional<uint64_t> seed;
    if (const Json* v =
            check_.Member(r, rp, "seed", Need::kRequired, "an integer in 0..18446744073709551615")) {
      seed = check_.Uint64(*v, Pointer(rp, "seed"));
    }
    const auto lo = check_.GetInt(r, rp, "min", Need::kOptional, info.qmin(), info.qmax());
    const auto hi = check_.GetInt(r, rp, "max", Need::kOptional, info.qmin(), info.qmax());
    if (!seed || (r.contains("min") && !lo) || (r.contains("max") && !hi)) return std::nullopt;
    const int64_t min = lo.value_or(info.qmin()), max = hi.value_or(info.qmax());
    if (min > max) {
      check_.Add(Pointer(rp, "max"),
                 "expected an integer >= min (" + std::to_string(min) + "), got " + std::to_string(max));
      return std::nullopt;
    }
    if (info.binary()) {
      // -1 or +1 with equal odds, within [min, max] (min == max == 0 is the only empty choice).
      if (min == 0 && max == 0) {
        check_.Add(rp, "expected a range containing -1 or +1 (binary tensor), got 0..0");
        return std::nullopt;
      }
      const int32_t lo_v = min < 0 ? -1 : 1, hi_v = max > 0 ? 1 : -1;
      std::vector<int32_t> values = RandomIntVector(*seed, info.elements(), 0, 1);
      for (int32_t& v : values) v = v != 0 ? hi_v : lo_v;
      return values;
    }
    // RandomInt(seed, i, min, max) for every element i, generated in one pass.
    return RandomIntVector(*seed, info.elements(), min, max);
  }

  NetState& s_;
  JsonChecker& check_ = s_.check;
  Graph& g_ = s_.g;
  std::map<std::string, TensorState>& state_ = s_.state;
};

}  // namespace

bool CheckNameLength(JsonChecker& check, const std::string& name, const std::string& pointer,
                     const std::string& what) {
  if (name.size() <= kMaxNameBytes) return true;
  check.Add(pointer, "expected " + what + " names of at most " + std::to_string(kMaxNameBytes) +
                         " bytes, got one of " + std::to_string(name.size()) + " bytes (\"" +
                         name.substr(0, 32) + "...\")");
  return false;
}

void ReadTensor(NetState& s, const std::string& name, const Json& t, const std::string& p) {
  // The name stays (so references to it resolve); the file is refused for it all the same.
  CheckNameLength(s.check, name, "/tensors", "tensor");
  TensorReader(s).Read(name, t, p);
}

}  // namespace npusim::core::net
