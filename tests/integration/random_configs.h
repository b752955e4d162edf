// Random arch and network files for the property test (property_test.cpp): every unit type
// (systolic_array in ws/os/is, bit_serial_array with each serial operand, reconfigurable_array),
// buffer sizes from far too small to ample, banks, ports, word sizes, DRAM bandwidth, latency and
// burst size, operand and accumulator widths, overflow and requantization modes; networks of
// convolutions (kernel 1/3/5, stride 1..3, dilation, asymmetric padding, groups, depthwise),
// max/avg pools, residual adds, global average pool and a fully-connected head. Written as JSON,
// so they go through the same validators as a user's files. Valid by construction as far as the
// formats go (docs/formats.md); whether a network fits the arch is for the compiler to say.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace npusim::testing {

class RandomConfig {
 public:
  explicit RandomConfig(uint64_t seed) : rng_(seed), seed_(seed) {}

  nlohmann::json Arch() {
    using nlohmann::json;
    json a = {{"version", 1},
              {"name", "random_" + std::to_string(seed_)},
              {"clock_mhz", Pick<int>({100, 500, 1000})}};
    a["dram"] = {{"bytes_per_cycle", LogUniform(1, 64)},
                 {"latency_cycles", Uniform(0, 200)},
                 {"burst_bytes", int64_t{1} << Uniform(0, 8)}};
    if (Coin(0.05)) a["dram"]["capacity_bytes"] = LogUniform(1, 1 << 16);  // often too small
    json buffers = json::array();
    for (const char* name : {"ibuf", "wbuf", "abuf", "obuf"}) buffers.push_back(Buffer(name));
    a["buffers"] = buffers;
    a["units"] = json::array({Unit()});
    if (Coin(0.02)) {  // a second unit, which the validator must refuse (one matrix unit per NPU)
      const std::vector<int> in = input_bits_, w = weight_bits_;
      json u2 = Unit();
      u2["name"] = "unit2";
      a["units"].push_back(u2);
      input_bits_ = in;
      weight_bits_ = w;
    }
    // Now and then the post-processor writes into an operand buffer: the validator must refuse it.
    a["post_processor"] = {
        {"name", "post"},
        {"lanes", LogUniform(1, 32)},
        {"pipeline_cycles", Uniform(0, 8)},
        {"output_buffer", Coin(0.04) ? Pick<std::string>({"ibuf", "wbuf", "abuf"}) : "obuf"}};
    a["requantization"] = Coin() ? "onnx_float" : "fixed_point";
    if (Coin(0.1))
      a["operating_point"] = {{"nominal_voltage_v", 1.0}, {"voltage_v", 0.6 + 0.1 * Uniform(0, 6)}};
    a["energy"] = Energy();
    return a;
  }

  // A network for the arch just drawn (its operand widths).
  nlohmann::json Net() {
    using nlohmann::json;
    net_ = {{"version", 1},
            {"name", "random_" + std::to_string(seed_)},
            {"tensors", json::object()},
            {"ops", json::array()}};
    const int64_t h = LogUniform(1, 24), w = LogUniform(1, 24), c = LogUniform(1, 48);
    const int bits =
        Coin(0.03) ? static_cast<int>(Uniform(1, 16)) : Pick(input_bits_);  // may not be the unit's
    const bool is_signed = bits > 1 && Coin(0.7);
    const bool mlp = Coin(0.15);  // an [M, K] input: matmuls with M > 1
    const std::vector<int64_t> shape =
        mlp ? std::vector<int64_t>{Uniform(1, 16), c} : std::vector<int64_t>{1, h, w, c};
    Tensor t{"x", shape, bits, is_signed, 0.02 + 0.001 * static_cast<double>(Uniform(0, 50))};
    json x = Quant(t);
    x["shape"] = t.shape;
    x["data"] = {{"random", {{"seed", Uniform(0, 1 << 30)}}}};
    net_["tensors"]["x"] = x;
    net_["inputs"] = {"x"};
    const int64_t layers = mlp ? 0 : Uniform(1, 6);
    for (int64_t i = 0; i < layers; ++i) {
      const int64_t kind = Uniform(0, 9);
      if (kind <= 4) t = Conv(t);
      else if (kind <= 6) t = Pool(t);
      else t = Residual(t);
    }
    if (mlp || Coin(0.6)) t = Head(t);
    if (mlp && Coin()) t = Head(t);
    json outs = json::array();
    for (const json& op : net_["ops"]) outs.push_back(op["outputs"][0]);
    net_["outputs"] = outs;
    return net_;
  }

 private:
  struct Tensor {
    std::string name;
    std::vector<int64_t> shape;  // [1, H, W, C] or [M, K]
    int bits;
    bool is_signed;
    double scale;
  };

  int64_t Uniform(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  bool Coin(double p = 0.5) { return std::bernoulli_distribution(p)(rng_); }
  int64_t LogUniform(int64_t lo, int64_t hi) {
    const double l = std::log(static_cast<double>(lo)), u = std::log(static_cast<double>(hi) + 0.999);
    return std::clamp<int64_t>(
        static_cast<int64_t>(std::exp(std::uniform_real_distribution<double>(l, u)(rng_))), lo, hi);
  }
  template <class T>
  T Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Uniform(0, static_cast<int64_t>(v.size()) - 1))];
  }

  nlohmann::json Buffer(const std::string& name) {
    const int64_t word = int64_t{1} << Uniform(0, 5), banks = Uniform(1, 4);
    const int64_t unit = word * banks;
    const int64_t size =
        std::max<int64_t>((LogUniform(64, 131072) + unit - 1) / unit * unit, (64 + unit - 1) / unit * unit);
    return {{"name", name},
            {"size_bytes", size},
            {"banks", banks},
            {"ports", Uniform(1, 2)},
            {"word_bytes", word}};
  }

  // 1..3 distinct widths, 8 the most common.
  std::vector<int> Widths() {
    std::vector<int> all = {8, 4, 2, 16, 1, 3, 5, 6, 7, 12};
    std::vector<int> out;
    const int64_t n = Uniform(1, 3);
    while (static_cast<int64_t>(out.size()) < n) {
      const int b = Coin(0.5) ? 8 : Pick(all);
      if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
    }
    return out;
  }

  nlohmann::json Unit() {
    using nlohmann::json;
    input_bits_ = Widths();
    weight_bits_ = Widths();
    // 1-bit activations are unsigned only; keep inputs of two bits or more most of the time.
    json u = {{"name", "unit"},
              {"input_bits", input_bits_},
              {"weight_bits", weight_bits_},
              {"acc_bits", Coin(0.7) ? 32 : Uniform(8, 31)},
              {"overflow", Coin() ? "wrap" : "saturate"},
              {"input_buffer", "ibuf"},
              {"weight_buffer", "wbuf"},
              {"acc_buffer", "abuf"}};
    const int64_t type = Uniform(0, 2);
    if (type == 0) {
      u["type"] = "systolic_array";
      u["rows"] = LogUniform(1, 64);
      u["cols"] = LogUniform(1, 64);
      u["dataflow"] = Pick<std::string>({"ws", "os", "is"});
    } else if (type == 1) {
      u["type"] = "bit_serial_array";
      u["cores"] = Uniform(1, 4);
      u["pes_per_core"] = Uniform(1, 8);
      u["tables_per_pe"] = Uniform(1, 16);
      u["lut_group"] = Uniform(1, 4);
      u["outputs_per_pe"] = Uniform(1, 16);
      u["table_adders"] = Uniform(1, 4);
      u["serial_operand"] = Pick<std::string>({"weights", "activations", "both", "none"});
      u["one_bit_mode"] = Coin();
      u["aggregation_cycles"] = Uniform(0, 8);
      u["pipeline_cycles"] = Uniform(0, 8);
    } else {
      u["type"] = "reconfigurable_array";
      u["sub_rows"] = Uniform(1, 8);
      u["sub_cols"] = Uniform(1, 8);
      u["grid_rows"] = Uniform(1, 6);
      u["grid_cols"] = Uniform(1, 6);
      std::vector<std::string> flows;
      for (const char* f : {"ws", "os", "is"}) {
        if (Coin(0.6)) flows.push_back(f);
      }
      if (flows.empty()) flows.push_back(Pick<std::string>({"ws", "os", "is"}));
      u["dataflows"] = flows;
      u["reconfig_cycles"] = Uniform(0, 64);
      u["objective"] = Pick<std::string>({"cycles", "energy", "edp"});
      u["k_split"] = Coin();
      if (Coin(0.3)) u["force"] = Force(u);
    }
    u["packed_weights"] = Coin();  // every dense unit type may store its weights packed
    return u;
  }

  // A forced partition: [pr, pc] dividing the grid, a split pm * pn * pk = pr * pc, a dataflow
  // (each key present or not).
  nlohmann::json Force(const nlohmann::json& u) {
    using nlohmann::json;
    auto divisor = [&](int64_t n) {
      std::vector<int64_t> d;
      for (int64_t i = 1; i <= n; ++i) {
        if (n % i == 0) d.push_back(i);
      }
      return Pick(d);
    };
    const int64_t pr = divisor(u["grid_rows"].get<int64_t>()), pc = divisor(u["grid_cols"].get<int64_t>());
    const int64_t pm = divisor(pr * pc), pn = divisor(pr * pc / pm), pk = pr * pc / pm / pn;
    json f = json::object();
    if (Coin(0.8)) f["arrays"] = {pr, pc};
    if (f.contains("arrays") && Coin(0.7)) f["split"] = {pm, pn, pk};
    if (Coin(0.5)) f["dataflow"] = Pick(u["dataflows"].get<std::vector<std::string>>());
    return f;
  }

  // Every action any unit type counts, for every component, so energy coverage never refuses a
  // configuration (energy is not what this test is about).
  static nlohmann::json Energy() {
    using nlohmann::json;
    std::vector<std::string> actions = {
        "read",        "write",         "leak_per_cycle", "requant",    "pass",
        "add",         "mul",           "lookup",         "pool_op",    "read_byte",
        "write_byte",  "burst",         "idle_pe_cycle",  "lookup_add", "accumulate_bit",
        "table_entry", "aggregate_add", "bypass_hop",     "reduce_add", "reconfigure"};
    for (int b = 1; b <= 16; ++b) {
      actions.push_back("mac_" + std::to_string(b) + "b");
      actions.push_back("mac_w" + std::to_string(b));
    }
    json entries = json::object();
    for (const std::string& a : actions)
      entries[a] = {{"energy_pj", 0.5}, {"source", "property test: any value"}};
    json comps = json::object();
    for (const std::string& c : {std::string("unit"), std::string("unit2"), std::string("ibuf"),
                                 std::string("wbuf"), std::string("abuf"), std::string("obuf"),
                                 std::string("post"), std::string("dram"), std::string("dma")}) {
      comps[c] = entries;
    }
    return {{"version", 1}, {"name", "property"}, {"components", comps}};
  }

  nlohmann::json Quant(const Tensor& t) {
    const int64_t lo = t.is_signed ? -(int64_t{1} << (t.bits - 1)) : 0;
    const int64_t hi = t.is_signed ? (int64_t{1} << (t.bits - 1)) - 1 : (int64_t{1} << t.bits) - 1;
    const int64_t mid = (lo + hi) / 2, spread = std::max<int64_t>(0, (hi - lo) / 8);
    return {{"bits", t.bits},
            {"signed", t.is_signed},
            {"scale", t.scale},
            {"zero_point", std::clamp<int64_t>(mid + Uniform(-spread, spread), lo, hi)}};
  }

  // A new activation tensor of the unit's input widths, scaled so that values spread.
  Tensor Activation(const std::vector<int64_t>& shape, double scale) {
    const int bits = Pick(input_bits_);
    if (Coin(0.04)) scale *= std::pow(10.0, static_cast<double>(Uniform(-7, 7)));  // extreme requantization
    Tensor y{"t" + std::to_string(net_["ops"].size()), shape, bits, bits > 1 && Coin(0.7), scale};
    net_["tensors"][y.name] = Quant(y);
    return y;
  }

  void AddOp(nlohmann::json op) {
    op["name"] = "op" + std::to_string(net_["ops"].size());
    net_["ops"].push_back(op);
  }

  // Weights [O, ...] and an optional bias; returns the weight tensor's name.
  std::string Weights(const std::vector<int64_t>& shape, int bits, bool bias,
                      std::vector<std::string>* inputs) {
    using nlohmann::json;
    const std::string n = std::to_string(net_["ops"].size());
    const bool is_signed = bits == 1 || Coin(0.85);
    json w = {{"shape", shape},
              {"bits", bits},
              {"signed", is_signed},
              {"scale",
               {{"random",
                 {{"seed", Uniform(0, 1 << 30)}, {"min", 0.002}, {"max", 0.012}, {"per_channel", Coin()}}}}},
              {"data", {{"random", {{"seed", Uniform(0, 1 << 30)}}}}}};
    w["zero_point"] = is_signed ? 0 : (int64_t{1} << (bits - 1)) - (bits > 1 ? Uniform(0, 1) : 0);
    net_["tensors"]["w" + n] = w;
    inputs->push_back("w" + n);
    if (bias) {
      net_["tensors"]["b" + n] = {
          {"shape", {shape[0]}},
          {"bits", 32},
          {"data", {{"random", {{"seed", Uniform(0, 1 << 30)}, {"min", -3000}, {"max", 3000}}}}}};
      inputs->push_back("b" + n);
    }
    return "w" + n;
  }

  // Output scale for a reduction of `k` products of `x` and `wbits`-bit weights (mean weight
  // scale 0.007): about a quarter of the output range.
  static double ReductionScale(const Tensor& x, int wbits, int64_t k, int out_bits) {
    const double xr = std::ldexp(1.0, x.bits - 1), wr = std::ldexp(1.0, std::max(wbits - 1, 0));
    return std::sqrt(static_cast<double>(k)) * xr * wr / 3.0 * x.scale * 0.007 /
           std::ldexp(1.0, std::max(out_bits - 2, 0));
  }

  Tensor Conv(const Tensor& x) {
    using nlohmann::json;
    if (x.shape.size() != 4) return x;
    const int64_t h = x.shape[1], w = x.shape[2], c = x.shape[3];
    const int64_t k = Pick<int64_t>({1, 1, 3, 3, 5, 7});
    const int64_t dil = k > 1 && Coin(0.2) ? Uniform(2, 3) : 1, eff = dil * (k - 1) + 1;
    const int64_t stride = Uniform(1, 3);
    int64_t groups = 1, oc = LogUniform(1, 48);
    if (Coin(0.25)) {
      groups = c;  // depthwise, multiplier 1 or 2
      oc = c * Uniform(1, 2);
    } else if (c % 2 == 0 && Coin(0.2)) {
      groups = 2;
      oc = 2 * Uniform(1, 8);
    }
    int64_t pads[4];
    for (int d = 0; d < 2; ++d) {
      const int64_t size = d == 0 ? h : w;
      const int64_t lo = Uniform(0, eff - 1);
      pads[d] = lo;
      pads[d + 2] = std::max(Uniform(0, eff - 1), std::max<int64_t>(0, eff - size - lo));
      if (size + lo + pads[d + 2] < eff) return x;  // cannot fit even with the largest pads
    }
    const int64_t oh = (h + pads[0] + pads[2] - eff) / stride + 1,
                  ow = (w + pads[1] + pads[3] - eff) / stride + 1;
    const int wbits = Coin(0.03) ? static_cast<int>(Uniform(1, 16)) : Pick(weight_bits_);
    json op = {{"op", "conv2d"},
               {"stride", {stride, stride}},
               {"pads", {pads[0], pads[1], pads[2], pads[3]}},
               {"dilation", {dil, dil}},
               {"groups", groups},
               {"activation", Pick<std::string>({"none", "relu", "relu6"})}};
    std::vector<std::string> inputs = {x.name};
    Weights({oc, k, k, c / groups}, wbits, Coin(0.8), &inputs);
    const int out_bits = Pick(input_bits_);
    const Tensor y = Activation({1, oh, ow, oc}, ReductionScale(x, wbits, k * k * c / groups, out_bits));
    op["inputs"] = inputs;
    op["outputs"] = {y.name};
    AddOp(op);
    return y;
  }

  Tensor Pool(const Tensor& x) {
    using nlohmann::json;
    if (x.shape.size() != 4) return x;
    const int64_t h = x.shape[1], w = x.shape[2];
    const int64_t k = Uniform(1, std::min<int64_t>(3, std::min(h, w))), stride = Uniform(1, 2);
    const int64_t pt = Uniform(0, k - 1), pl = Uniform(0, k - 1);
    const bool max = Coin();
    json op = {{"op", max ? "max_pool" : "avg_pool"},
               {"inputs", {x.name}},
               {"kernel", {k, k}},
               {"stride", {stride, stride}},
               {"pads", {pt, pl, 0, 0}}};
    if (!max) op["count_include_pad"] = Coin();
    const std::vector<int64_t> shape = {1, (h + pt - k) / stride + 1, (w + pl - k) / stride + 1, x.shape[3]};
    Tensor y = x;
    y.name = "t" + std::to_string(net_["ops"].size());
    y.shape = shape;
    if (max) {
      net_["tensors"][y.name] = net_["tensors"][x.name];
      net_["tensors"][y.name].erase("shape");
      net_["tensors"][y.name].erase("data");
    } else {
      y = Activation(shape, x.scale * 0.8);
    }
    op["outputs"] = {y.name};
    AddOp(op);
    return y;
  }

  // y = x + conv(x), the conv keeping the shape (stride 1, same padding, as many channels).
  Tensor Residual(const Tensor& x) {
    using nlohmann::json;
    if (x.shape.size() != 4) return x;
    const int64_t c = x.shape[3], k = Coin() ? 1 : 3;
    const int wbits = Pick(weight_bits_);
    std::vector<std::string> inputs = {x.name};
    Weights({c, k, k, c}, wbits, true, &inputs);
    const Tensor b = Activation(x.shape, ReductionScale(x, wbits, k * k * c, 8) * 4);
    AddOp({{"op", "conv2d"},
           {"inputs", inputs},
           {"outputs", {b.name}},
           {"pads", {k / 2, k / 2, k / 2, k / 2}},
           {"activation", "none"}});
    const Tensor y = Activation(x.shape, std::max(x.scale, b.scale) * 1.5);
    AddOp({{"op", "add"},
           {"inputs", {x.name, b.name}},
           {"outputs", {y.name}},
           {"activation", Coin() ? "relu" : "none"}});
    return y;
  }

  // Global average pool (from a feature map), optionally a flatten, then a fully-connected layer.
  Tensor Head(Tensor x) {
    using nlohmann::json;
    if (x.shape.size() == 4) {
      const Tensor g = Activation({1, 1, 1, x.shape[3]}, x.scale * 0.9);
      AddOp({{"op", "global_avg_pool"}, {"inputs", {x.name}}, {"outputs", {g.name}}});
      x = g;
      if (Coin()) {
        Tensor f = x;
        f.name = "t" + std::to_string(net_["ops"].size());
        f.shape = {1, x.shape[3]};
        net_["tensors"][f.name] = net_["tensors"][x.name];
        net_["tensors"][f.name]["shape"] = f.shape;
        AddOp({{"op", "reshape"}, {"inputs", {x.name}}, {"outputs", {f.name}}});
        x = f;
      }
    }
    const int64_t k = x.shape.back(), n = LogUniform(1, 20);
    const int wbits = Pick(weight_bits_);
    std::vector<std::string> inputs = {x.name};
    Weights({n, k}, wbits, Coin(0.8), &inputs);
    const int out_bits = Pick(input_bits_);
    const int64_t m = x.shape.size() == 2 ? x.shape[0] : 1;
    const Tensor y = Activation({m, n}, ReductionScale(x, wbits, k, out_bits));
    AddOp({{"op", "fully_connected"}, {"inputs", inputs}, {"outputs", {y.name}}, {"activation", "none"}});
    return y;
  }

  std::mt19937_64 rng_;
  uint64_t seed_;
  std::vector<int> input_bits_, weight_bits_;
  nlohmann::json net_;
};

}  // namespace npusim::testing
