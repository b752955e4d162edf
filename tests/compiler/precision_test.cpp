// Weight re-quantization for --weight-bits (compiler/transforms/precision.h): values, scales and biases
// worked out by hand, binary weights, and the errors.
#include "compiler/transforms/precision.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/error.h"

namespace npusim::core {
namespace {

// x [1,1,1,4] -> conv 1x1 with 2 output channels, per-tensor 8-bit weights of scale 0.01.
Graph SmallConv() {
  Graph g;
  g.name = "small";
  auto add = [&](TensorInfo t) { g.tensors[t.name] = t; };
  TensorInfo x;
  x.name = "x";
  x.shape = {1, 1, 1, 4};
  x.quant.scales = {0.5f};
  add(x);
  TensorInfo w;
  w.name = "w";
  w.shape = {2, 1, 1, 4};
  w.quant.scales = {0.01f};
  w.data = std::vector<int32_t>{127, -64, 0, 3, -5, 2, 1, 0};
  add(w);
  TensorInfo b;
  b.name = "b";
  b.shape = {2};
  b.bits = 32;
  b.data = std::vector<int32_t>{1000, -1001};
  add(b);
  TensorInfo y;
  y.name = "y";
  y.shape = {1, 1, 1, 2};
  add(y);
  Op op;
  op.name = "conv";
  op.inputs = {"x", "w", "b"};
  op.outputs = {"y"};
  g.ops.push_back(op);
  Op r;
  r.name = "flat";
  r.type = OpType::kReshape;
  r.inputs = {"y"};
  r.outputs = {"z"};
  g.ops.push_back(r);
  return g;
}

TEST(Precision, ParsesSpecs) {
  const auto m = ParseWeightBits("*=4,conv0=8,fc=16", "--weight-bits");
  EXPECT_EQ(m.at("*"), 4);
  EXPECT_EQ(m.at("conv0"), 8);
  EXPECT_EQ(m.at("fc"), 16);
  EXPECT_EQ(ParseWeightBits("a=3,a=5", "x").at("a"), 5);
  for (const char* bad : {"conv0", "conv0=", "=4", "conv0=17", "conv0=0", "conv0=4b", ""}) {
    try {
      ParseWeightBits(bad, "--weight-bits");
      ADD_FAILURE() << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("--weight-bits"), std::string::npos);
      EXPECT_NE(std::string(e.what()).find("expected LAYER=BITS with BITS in 1..16"), std::string::npos)
          << e.what();
    }
  }
}

TEST(Precision, ReadsAPrecisionFile) {
  const std::string dir = ::testing::TempDir();
  const std::string good = dir + "/bits.json", bad = dir + "/bad_bits.json";
  { std::ofstream(good) << R"({"*": 4, "conv0": 8})"; }
  { std::ofstream(bad) << R"({"conv0": 20, "fc": "8"})"; }
  const auto m = ParseWeightBits("@" + good, "--weight-bits");
  EXPECT_EQ(m.at("*"), 4);
  EXPECT_EQ(m.at("conv0"), 8);
  try {
    ParseWeightBits("@" + bad, "--weight-bits");
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find(bad + ": /conv0: expected an integer in 1..16, got 20"), std::string::npos) << w;
    EXPECT_NE(w.find("/fc: expected an integer in 1..16"), std::string::npos) << w;
  }
}

TEST(Precision, RequantizesPerChannelTo4Bits) {
  Graph g = SmallConv();
  ApplyWeightBits(g, {{"conv", 4}}, "test");
  const TensorInfo& w = g.tensor("w");
  EXPECT_EQ(w.bits, 4);
  // Channel 0: M = 127, Q = 7: 127 -> 7, -64 -> round(-3.53) = -4, 0 -> 0, 3 -> round(0.17) = 0.
  // Channel 1: M = 5: -5 -> -7, 2 -> round(2.8) = 3, 1 -> round(1.4) = 1, 0 -> 0.
  EXPECT_EQ(*w.data, (std::vector<int32_t>{7, -4, 0, 0, -7, 3, 1, 0}));
  ASSERT_EQ(w.quant.scales.size(), 2u);
  EXPECT_FLOAT_EQ(w.quant.scales[0], 0.01f * 127 / 7);
  EXPECT_FLOAT_EQ(w.quant.scales[1], 0.01f * 5 / 7);
  // Bias in scale x_scale * w_scale: multiplied by old / new weight scale.
  EXPECT_EQ((*g.tensor("b").data)[0], 55);     // 1000 * 7 / 127 = 55.1
  EXPECT_EQ((*g.tensor("b").data)[1], -1401);  // -1001 * 7 / 5 = -1401.4
}

TEST(Precision, BinaryWeightsAreSignsTimesMeanMagnitude) {
  Graph g = SmallConv();
  ApplyWeightBits(g, {{"*", 1}}, "test");
  const TensorInfo& w = g.tensor("w");
  EXPECT_EQ(w.bits, 1);
  EXPECT_TRUE(w.binary());
  EXPECT_EQ(*w.data, (std::vector<int32_t>{1, -1, 1, 1, -1, 1, 1, 1}));
  EXPECT_FLOAT_EQ(w.quant.scales[0], 0.01f * (127 + 64 + 0 + 3) / 4.0f);
  EXPECT_FLOAT_EQ(w.quant.scales[1], 0.01f * (5 + 2 + 1 + 0) / 4.0f);
}

TEST(Precision, RefusesWhatItCannotDo) {
  auto message = [](Graph g, std::map<std::string, int> bits) {
    try {
      ApplyWeightBits(g, bits, "--weight-bits");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(SmallConv(), {{"nope", 4}}).find("no layer named \"nope\" in network \"small\""),
            std::string::npos);
  EXPECT_NE(message(SmallConv(), {{"flat", 4}}).find("layer \"flat\" is reshape, which has no weights"),
            std::string::npos);
  Graph asym = SmallConv();
  asym.tensor("w").quant.zero_points = {3};
  EXPECT_NE(message(asym, {{"conv", 4}}).find("only symmetric weights (zero point 0) can be re-quantized"),
            std::string::npos);
}

// --activation-bits: SmallConv's input x (given values) and a second conv reading the reshape's
// output, so the tensors reshape ties together change as one.
Graph TwoConvs() {
  Graph g = SmallConv();
  TensorInfo& x = g.tensor("x");
  x.data = std::vector<int32_t>{127, -128, 9, -10};
  g.tensor("y").quant.scales = {0.25f};
  TensorInfo z = g.tensor("y");
  z.name = "z";
  z.shape = {1, 2};
  g.tensors["z"] = z;
  TensorInfo w2 = g.tensor("w");
  w2.name = "w2";
  w2.shape = {1, 2};
  w2.data = std::vector<int32_t>{1, 2};
  g.tensors["w2"] = w2;
  TensorInfo out = g.tensor("y");
  out.name = "out";
  out.shape = {1, 1};
  g.tensors["out"] = out;
  Op fc;
  fc.name = "fc";
  fc.type = OpType::kFullyConnected;
  fc.inputs = {"z", "w2"};
  fc.outputs = {"out"};
  g.ops.push_back(fc);
  return g;
}

TEST(Precision, ActivationsKeepTheirRangeAtTheNewWidth) {
  Graph g = TwoConvs();
  ApplyActivationBits(g, {{"*", 4}, {"fc", 16}}, "test");
  // x: signed 8 -> 4 bits, r = 7 / 127: scale 0.5 * 127 / 7, values round(q * 7 / 127) saturated.
  const TensorInfo& x = g.tensor("x");
  EXPECT_EQ(x.bits, 4);
  EXPECT_FLOAT_EQ(x.quant.scales[0], static_cast<float>(0.5 * 127 / 7));
  EXPECT_EQ(x.quant.zero_points[0], 0);
  EXPECT_EQ(*x.data, (std::vector<int32_t>{7, -7, 0,
                                           -1}));  // -128 * 7/127 = -7.06, 9 -> 0.50 -> 0, -10 -> -0.55 -> -1
  // fc reads z, which the reshape ties to y: both 16 bits, r = 32767 / 127.
  for (const char* t : {"y", "z"}) {
    EXPECT_EQ(g.tensor(t).bits, 16) << t;
    EXPECT_FLOAT_EQ(g.tensor(t).quant.scales[0], static_cast<float>(0.25 * 127 / 32767)) << t;
  }
  EXPECT_EQ(g.tensor("out").bits, 8);  // nothing reads it
  EXPECT_EQ(g.tensor("w").bits, 8);    // weights are --weight-bits' business
}

TEST(Precision, UnsignedActivationsScaleTheirZeroPoint) {
  Graph g = TwoConvs();
  TensorInfo& x = g.tensor("x");
  x.is_signed = false;
  x.quant.zero_points = {128};
  x.data = std::vector<int32_t>{255, 0, 128, 140};
  ApplyActivationBits(g, {{"conv", 4}}, "test");
  // r = 15 / 255: zero point round(128 * 15/255) = round(7.53) = 8; values 8 + round((q - 128) r).
  EXPECT_EQ(x.quant.zero_points[0], 8);
  EXPECT_FLOAT_EQ(x.quant.scales[0], static_cast<float>(0.5 * 255 / 15));
  EXPECT_EQ(*x.data, (std::vector<int32_t>{15, 0, 8, 9}));  // 8 + 7.47 -> 15, 8 - 7.53 -> 0, 8 + 0.71 -> 9
}

TEST(Precision, ActivationBitsRefuseWhatTheyCannotDo) {
  auto message = [](Graph g, std::map<std::string, int> bits) {
    try {
      ApplyActivationBits(g, bits, "--activation-bits");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(
      message(TwoConvs(), {{"conv", 1}}).find("layer \"conv\": expected activation bits in 2..16, got 1"),
      std::string::npos);
  EXPECT_NE(message(TwoConvs(), {{"nope", 4}}).find("no layer named \"nope\""), std::string::npos);
  EXPECT_NE(message(TwoConvs(), {{"flat", 4}}).find("layer \"flat\" is reshape, which has no weights"),
            std::string::npos);
  Graph shared = TwoConvs();
  shared.ops[2].inputs[0] = "x";  // fc reads x too
  shared.tensor("w2").shape = {1, 4};
  EXPECT_NE(
      message(shared, {{"conv", 4}, {"fc", 8}})
          .find(
              "layers \"conv\" and \"fc\" read the same activations (tensor \"x\") and ask for 4 and 8 bits"),
      std::string::npos);
  Graph per_channel = TwoConvs();
  per_channel.tensor("x").quant.scales = {0.5f, 0.25f, 0.5f, 0.5f};
  EXPECT_NE(message(per_channel, {{"conv", 4}}).find("its input \"x\" is quantized per channel"),
            std::string::npos);
}

}  // namespace
}  // namespace npusim::core
