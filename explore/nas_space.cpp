// explore/nas_space.h: block spaces loaded and checked, and their pieces built as network documents.
#include "explore/nas_space.h"

#include <algorithm>

#include "ir/graph.h"
#include "support/error.h"
#include "support/json_util.h"

namespace npusim::explore::nas {
namespace {

using core::Need;
using nlohmann::json;

constexpr size_t kMaxPositions = 256;  // searchable blocks per space

// "Same" padding: k/2 before, (k-1)/2 after, as app/lut.cpp's layer entries.
int64_t OutSize(int64_t r, int64_t k, int64_t s) { return core::ConvOutSize(r, k, s, 1, k / 2, (k - 1) / 2); }

// Builds a chain network: tensors and ops appended one layer at a time; `prev` is the current
// activation (its shape [1, res, res, ch], or [1, ch] after the head's pool).
class NetBuilder {
 public:
  NetBuilder(const std::string& name, int64_t res, int64_t ch) : name_(name), res_(res), ch_(ch) {
    tensors_["x"] = Activation({1, res, res, ch}, 0.05);
    tensors_["x"]["data"] = {{"random", {{"seed", 1}}}};
  }

  // A conv (groups 1 or depthwise) of kernel k, stride s from the current activation.
  void Conv(const std::string& name, int64_t out_ch, int64_t k, int64_t s, bool depthwise,
            const std::string& act, int wbits, int abits) {
    const int64_t out = OutSize(res_, k, s);
    const std::string y = name + "_out";
    tensors_[name + "_w"] = {
        {"shape", {out_ch, k, k, depthwise ? 1 : ch_}},
        {"bits", 8},
        {"signed", true},
        {"scale", {{"random", {{"seed", 3}, {"min", 0.003}, {"max", 0.005}, {"per_channel", true}}}}},
        {"zero_point", 0},
        {"data", {{"random", {{"seed", 2}, {"min", -127}, {"max", 127}}}}}};
    tensors_[name + "_b"] = Bias(out_ch);
    tensors_[y] = Activation({1, out, out, out_ch}, 0.2);
    ops_.push_back({{"name", name},
                    {"op", "conv2d"},
                    {"inputs", {prev_, name + "_w", name + "_b"}},
                    {"outputs", {y}},
                    {"stride", {s, s}},
                    {"pads", {k / 2, k / 2, (k - 1) / 2, (k - 1) / 2}},
                    {"groups", depthwise ? ch_ : 1},
                    {"activation", act}});
    Layer(name, wbits, abits);
    prev_ = y;
    res_ = out;
    ch_ = out_ch;
  }

  // current = current + `other` (same shape).
  void Add(const std::string& name, const std::string& other) {
    const std::string y = name + "_out";
    tensors_[y] = Activation({1, res_, res_, ch_}, 0.2);
    ops_.push_back({{"name", name},
                    {"op", "add"},
                    {"inputs", {other, prev_}},
                    {"outputs", {y}},
                    {"activation", "none"}});
    prev_ = y;
    ++skip_;
  }

  // Global average pool, flatten, fully connected to `classes`.
  void Classifier(const std::string& name, int64_t classes, int wbits, int abits) {
    tensors_[name + "_pool_out"] = Activation({1, 1, 1, ch_}, 0.2);
    tensors_[name + "_flat_out"] = Activation({1, ch_}, 0.2);
    tensors_[name + "_fc_w"] = {
        {"shape", {classes, ch_}},
        {"bits", 8},
        {"signed", true},
        {"scale", {{"random", {{"seed", 3}, {"min", 0.003}, {"max", 0.005}, {"per_channel", true}}}}},
        {"zero_point", 0},
        {"data", {{"random", {{"seed", 2}, {"min", -127}, {"max", 127}}}}}};
    tensors_[name + "_fc_b"] = Bias(classes);
    tensors_[name + "_fc_out"] = Activation({1, classes}, 0.2);
    ops_.push_back({{"name", name + "_pool"},
                    {"op", "global_avg_pool"},
                    {"inputs", {prev_}},
                    {"outputs", {name + "_pool_out"}}});
    ops_.push_back({{"name", name + "_flat"},
                    {"op", "reshape"},
                    {"inputs", {name + "_pool_out"}},
                    {"outputs", {name + "_flat_out"}}});
    ops_.push_back({{"name", name + "_fc"},
                    {"op", "fully_connected"},
                    {"inputs", {name + "_flat_out", name + "_fc_w", name + "_fc_b"}},
                    {"outputs", {name + "_fc_out"}}});
    Layer(name + "_fc", wbits, abits);
    prev_ = name + "_fc_out";
  }

  const std::string& current() const { return prev_; }

  // The LUT prices each piece alone: the last op of a piece does not run fused with the next
  // piece's first (net file "fusion": "none"), so a composed architecture costs the entries' sum.
  void EndPiece() {
    if (!ops_.empty() && ops_.back()["op"] == "conv2d") ops_.back()["fusion"] = "none";
  }

  Piece Finish() {
    Piece p;
    p.doc = {{"version", 1},       {"name", name_},       {"layout", "NHWC"}, {"inputs", {"x"}},
             {"outputs", {prev_}}, {"tensors", tensors_}, {"ops", ops_}};
    p.weight_bits = weight_bits_;
    p.activation_bits = activation_bits_;
    p.skip = skip_;
    return p;
  }

 private:
  static json Activation(const json& shape, double scale) {
    return {{"shape", shape}, {"bits", 8}, {"signed", true}, {"scale", scale}, {"zero_point", 0}};
  }
  static json Bias(int64_t n) {
    return {{"shape", {n}},
            {"bits", 32},
            {"signed", true},
            {"data", {{"random", {{"seed", 4}, {"min", -1000}, {"max", 1000}}}}}};
  }
  void Layer(const std::string& name, int wbits, int abits) {
    if (wbits != 8) weight_bits_[name] = wbits;
    if (abits != 8) activation_bits_[name] = abits;
  }

  std::string name_;
  int64_t res_, ch_;
  std::string prev_ = "x";
  json tensors_ = json::object(), ops_ = json::array();
  std::map<std::string, int> weight_bits_, activation_bits_;
  int64_t skip_ = 0;
};

void AddStem(NetBuilder& b, const Space& s) {
  const Fixed& st = *s.stem;
  b.Conv("stem", st.out_channels, st.kernel, st.stride, false, s.activation, st.weight_bits,
         st.activation_bits);
}

void AddBlock(NetBuilder& b, const Space& s, const Position& p, const Choice& c) {
  const std::string block_in = b.current();
  const int64_t mid = p.in_channels * c.expansion;
  if (c.expansion != 1)
    b.Conv(p.id + "_expand", mid, 1, 1, false, s.activation, c.weight_bits, c.activation_bits);
  b.Conv(p.id + "_dw", mid, c.kernel, p.stride, true, s.activation, c.weight_bits, c.activation_bits);
  b.Conv(p.id + "_project", p.out_channels, 1, 1, false, "none", c.weight_bits, c.activation_bits);
  if (HasSkip(s, p)) b.Add(p.id + "_add", block_in);
}

void AddHead(NetBuilder& b, const Space& s) {
  const Fixed& h = *s.head;
  if (h.out_channels > 0)
    b.Conv("head", h.out_channels, 1, 1, false, s.activation, h.weight_bits, h.activation_bits);
  b.Classifier("head", h.classes, h.weight_bits, h.activation_bits);
}

// Reads a choices object into `lists` (keys absent keep their values).
void ReadChoices(const json& obj, const std::string& ptr, core::JsonChecker& check, ChoiceLists* lists) {
  if (!check.Object(obj, ptr)) return;
  check.Keys(obj, ptr, {"kernel", "expansion", "weight_bits", "activation_bits"});
  struct Field {
    const char* key;
    int64_t lo, hi;
    std::vector<int>* out;
  };
  for (const Field& f : {Field{"kernel", 1, 15, &lists->kernel}, Field{"expansion", 1, 16, &lists->expansion},
                         Field{"weight_bits", 1, 16, &lists->weight_bits},
                         Field{"activation_bits", 2, 16, &lists->activation_bits}}) {
    const json* v = check.Member(obj, ptr, f.key, Need::kOptional, "");
    if (!v) continue;
    const std::string fp = core::Pointer(ptr, f.key);
    if (!check.Array(*v, fp, 1)) continue;
    std::vector<int> values;
    for (size_t i = 0; i < v->size(); ++i) {
      if (auto x = check.Int((*v)[i], core::Pointer(fp, i), f.lo, f.hi))
        values.push_back(static_cast<int>(*x));
    }
    if (f.key == std::string("kernel")) {
      for (size_t i = 0; i < values.size(); ++i) {
        if (values[i] % 2 == 0)
          check.Add(core::Pointer(fp, i),
                    "expected an odd kernel (\"same\" padding), got " + std::to_string(values[i]));
      }
    }
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    *f.out = values;
  }
}

std::optional<Fixed> ReadFixed(const json& doc, const char* key, core::JsonChecker& check) {
  const json* v = check.Member(doc, "", key, Need::kOptional, "");
  if (!v) return std::nullopt;
  const std::string p = std::string("/") + key;
  if (!check.Object(*v, p)) return std::nullopt;
  const bool head = key == std::string("head");
  Fixed f;
  if (head) {
    check.Keys(*v, p, {"out_channels", "classes", "weight_bits", "activation_bits"});
    f.out_channels = check.GetInt(*v, p, "out_channels", Need::kOptional, 0, 65536).value_or(0);
    f.classes = check.GetInt(*v, p, "classes", Need::kRequired, 1, 65536).value_or(1);
  } else {
    check.Keys(*v, p, {"out_channels", "kernel", "stride", "weight_bits", "activation_bits"});
    f.out_channels = check.GetInt(*v, p, "out_channels", Need::kRequired, 1, 65536).value_or(1);
    f.kernel = check.GetInt(*v, p, "kernel", Need::kOptional, 1, 15).value_or(3);
    f.stride = check.GetInt(*v, p, "stride", Need::kOptional, 1, 4).value_or(1);
  }
  f.weight_bits = static_cast<int>(check.GetInt(*v, p, "weight_bits", Need::kOptional, 1, 16).value_or(8));
  f.activation_bits =
      static_cast<int>(check.GetInt(*v, p, "activation_bits", Need::kOptional, 2, 16).value_or(8));
  return f;
}

}  // namespace

std::string Choice::Name() const {
  return "k" + std::to_string(kernel) + "_e" + std::to_string(expansion) + "_w" +
         std::to_string(weight_bits) + "_a" + std::to_string(activation_bits);
}

std::vector<Choice> ChoiceLists::All() const {
  std::vector<Choice> out;
  for (int k : kernel)
    for (int e : expansion)
      for (int w : weight_bits)
        for (int a : activation_bits) out.push_back({k, e, w, a});
  return out;
}

bool IsBlockSpace(const json& doc) { return doc.is_object() && doc.contains("stages"); }

bool HasSkip(const Space& s, const Position& p) {
  return s.residual && p.stride == 1 && p.in_channels == p.out_channels;
}

Space LoadSpace(const json& doc, const std::string& path) {
  core::ProblemList problems(path);
  core::JsonChecker check(&problems);
  Space s;
  s.file = path;
  if (!check.Object(doc, "")) problems.ThrowIfAny();
  check.Keys(doc, "", {"name", "input", "stem", "stages", "choices", "head", "activation", "residual"});
  s.name = check.GetString(doc, "", "name", Need::kOptional).value_or("block_space");
  if (const json* in =
          check.Member(doc, "", "input", Need::kRequired, "{\"resolution\": R, \"channels\": C}");
      in && check.Object(*in, "/input")) {
    check.Keys(*in, "/input", {"resolution", "channels"});
    s.resolution = check.GetInt(*in, "/input", "resolution", Need::kRequired, 1, 4096).value_or(1);
    s.channels = check.GetInt(*in, "/input", "channels", Need::kRequired, 1, 65536).value_or(1);
  }
  s.activation = check.GetEnum(doc, "", "activation", Need::kOptional, {"relu", "relu6"}).value_or("relu6");
  s.residual = check.GetBool(doc, "", "residual", Need::kOptional).value_or(true);
  ChoiceLists global;
  if (const json* c = check.Member(doc, "", "choices", Need::kOptional, ""))
    ReadChoices(*c, "/choices", check, &global);
  s.stem = ReadFixed(doc, "stem", check);
  s.head = ReadFixed(doc, "head", check);
  int64_t res = s.resolution, ch = s.channels;
  if (s.stem) {
    res = OutSize(res, s.stem->kernel, s.stem->stride);
    ch = s.stem->out_channels;
  }
  int64_t all_blocks = 0;
  const json* stages = check.Member(doc, "", "stages", Need::kRequired, "a non-empty list of stages");
  if (stages && check.Array(*stages, "/stages", 1)) {
    for (size_t i = 0; i < stages->size(); ++i) {
      const json& st = (*stages)[i];
      const std::string p = core::Pointer("/stages", i);
      if (!check.Object(st, p)) continue;
      check.Keys(st, p, {"out_channels", "blocks", "stride", "choices"});
      const int64_t out = check.GetInt(st, p, "out_channels", Need::kRequired, 1, 65536).value_or(1);
      const int64_t blocks = check.GetInt(st, p, "blocks", Need::kRequired, 1, 64).value_or(1);
      all_blocks += blocks;
      const int64_t stride = check.GetInt(st, p, "stride", Need::kOptional, 1, 4).value_or(1);
      ChoiceLists lists = global;
      if (const json* c = check.Member(st, p, "choices", Need::kOptional, "")) {
        ReadChoices(*c, core::Pointer(p, "choices"), check, &lists);
      }
      // Past the limit the count alone matters: a million stages do not become positions.
      for (int64_t b = 0; b < blocks && s.positions.size() <= kMaxPositions; ++b) {
        Position pos;
        pos.id = "s" + std::to_string(i) + "b" + std::to_string(b);
        pos.stage = static_cast<int>(i);
        pos.block = static_cast<int>(b);
        pos.in_channels = ch;
        pos.out_channels = out;
        pos.stride = b == 0 ? stride : 1;
        pos.resolution = res;
        pos.out_resolution =
            OutSize(res, 1, pos.stride);  // every odd kernel with "same" padding gives this size
        pos.choices = lists;
        s.positions.push_back(pos);
        res = pos.out_resolution;
        ch = out;
      }
    }
  }
  if (all_blocks > static_cast<int64_t>(kMaxPositions)) {
    problems.Add("/stages", "expected at most " + std::to_string(kMaxPositions) + " blocks in all, got " +
                                std::to_string(all_blocks));
  }
  s.out_resolution = res;
  s.out_channels = ch;
  problems.ThrowIfAny();
  return s;
}

std::vector<Choice> ParseArchitecture(const Space& s, const std::string& spec, const std::string& source) {
  std::vector<Choice> out;
  size_t pos = 0;
  while (pos <= spec.size() && !spec.empty()) {
    const size_t end = std::min(spec.find(',', pos), spec.size());
    const std::string item = spec.substr(pos, end - pos);
    const size_t i = out.size();
    if (i >= s.positions.size()) {
      throw core::ConfigError(source, "",
                              "expected " + std::to_string(s.positions.size()) +
                                  " choices (one per block of " + s.name + "), got more");
    }
    const Position& p = s.positions[i];
    bool found = false;
    for (const Choice& c : p.choices.All()) {
      if (c.Name() != item) continue;
      out.push_back(c);
      found = true;
      break;
    }
    if (!found) {
      std::string names;
      for (const Choice& c : p.choices.All()) names += (names.empty() ? "" : ", ") + c.Name();
      throw core::ConfigError(source, "",
                              "block " + p.id + " (choice " + std::to_string(i + 1) + "): expected one of " +
                                  names + ", got \"" + item + "\"");
    }
    pos = end + 1;
  }
  if (out.size() != s.positions.size()) {
    throw core::ConfigError(source, "",
                            "expected " + std::to_string(s.positions.size()) + " choices (one per block of " +
                                s.name + "), got " + std::to_string(out.size()));
  }
  return out;
}

Piece StemPiece(const Space& s) {
  NetBuilder b(s.name + "_stem", s.resolution, s.channels);
  AddStem(b, s);
  return b.Finish();
}

Piece BlockPiece(const Space& s, const Position& p, const Choice& c) {
  NetBuilder b(s.name + "_" + p.id, p.resolution, p.in_channels);
  AddBlock(b, s, p, c);
  return b.Finish();
}

Piece HeadPiece(const Space& s) {
  NetBuilder b(s.name + "_head", s.out_resolution, s.out_channels);
  AddHead(b, s);
  return b.Finish();
}

Piece ArchitecturePiece(const Space& s, const std::vector<Choice>& choices) {
  NetBuilder b(s.name, s.resolution, s.channels);
  if (s.stem) AddStem(b, s);
  b.EndPiece();
  for (size_t i = 0; i < s.positions.size(); ++i) {
    AddBlock(b, s, s.positions[i], choices.at(i));
    b.EndPiece();
  }
  if (s.head) AddHead(b, s);
  return b.Finish();
}

}  // namespace npusim::explore::nas
