// A block-level NAS search space (ProxylessNAS / FBNet style MBConv), for `npusim lut` (docs/sweep.md,
// "Block spaces"): its positions, the choices at each, and every piece as a network document, so
// a LUT entry and a whole architecture are built by the same code.
//
//   {"name": "mbconv_96", "input": {"resolution": 96, "channels": 3},
//    "stem": {"out_channels": 16, "kernel": 3, "stride": 2, "weight_bits": 8, "activation_bits": 8},
//    "stages": [{"out_channels": 24, "blocks": 2, "stride": 2, "choices": {...}}, ...],
//    "choices": {"kernel": [3, 5, 7], "expansion": [1, 3, 6], "weight_bits": [4, 8], "activation_bits": [8]},
//    "head": {"out_channels": 1280, "classes": 1000}, "activation": "relu6", "residual": true}
//
// An MBConv block with expansion t, kernel k, stride s, c_in -> c_out at resolution r: expand 1x1
// conv c_in -> t*c_in with the activation (omitted when t = 1), depthwise k x k stride s with the
// activation, project 1x1 conv t*c_in -> c_out, linear, and, when `residual`, s = 1 and
// c_in = c_out, an add of the block's input (MobileNetV2's inverted residual). The first block of
// a stage has the stage's stride. The stem is a k x k conv with the activation; the head a 1x1
// conv to out_channels (omitted at 0), a global average pool and a fully connected layer.
// A piece's weight bits re-quantize its layers' weights (core::ApplyWeightBits) and its activation
// bits the activations its layers read (core::ApplyActivationBits, HAQ's convention).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

namespace npusim::explore::nas {

struct Choice {
  int kernel = 3, expansion = 1, weight_bits = 8, activation_bits = 8;
  std::string Name() const;  // "k3_e6_w4_a8"
  auto key() const { return std::tie(kernel, expansion, weight_bits, activation_bits); }
  bool operator<(const Choice& o) const { return key() < o.key(); }
};

// The choice lists of a stage (the space's, or the stage's own).
struct ChoiceLists {
  std::vector<int> kernel{3}, expansion{1}, weight_bits{8}, activation_bits{8};
  std::vector<Choice> All() const;  // the cross product, activation bits fastest
};

struct Position {
  std::string id;  // "s0b1": stage 0, block 1
  int stage = 0, block = 0;
  int64_t in_channels = 0, out_channels = 0, stride = 1, resolution = 0, out_resolution = 0;
  ChoiceLists choices;
};

struct Fixed {  // the stem or the head
  int64_t out_channels = 0, kernel = 1, stride = 1, classes = 0;
  int weight_bits = 8, activation_bits = 8;
};

struct Space {
  std::string name, file;
  int64_t resolution = 0, channels = 0;
  std::optional<Fixed> stem, head;
  std::vector<Position> positions;
  std::string activation = "relu6";
  bool residual = true;
  int64_t out_resolution = 0, out_channels = 0;  // of the last block
};

// True when `doc` is a block space (it has "stages"), not a layer space.
bool IsBlockSpace(const nlohmann::json& doc);

// Validates the whole document (every problem at once, as a ConfigError naming `path`).
Space LoadSpace(const nlohmann::json& doc, const std::string& path);

// One architecture: a choice per position, written "k3_e6_w4_a8,k5_e1_w8_a8,..." (checked against
// each position's lists; ConfigError naming `source`).
std::vector<Choice> ParseArchitecture(const Space& s, const std::string& spec, const std::string& source);

// A network document (docs/formats.md) and the precision maps to apply after loading it.
struct Piece {
  nlohmann::json doc;
  std::map<std::string, int> weight_bits, activation_bits;  // layer -> bits
  int64_t skip = 0;                                         // residual adds in it
};
Piece StemPiece(const Space& s);
Piece BlockPiece(const Space& s, const Position& p, const Choice& c);
Piece HeadPiece(const Space& s);
Piece ArchitecturePiece(const Space& s, const std::vector<Choice>& choices);

// Whether the block at `p` has a residual add.
bool HasSkip(const Space& s, const Position& p);

}  // namespace npusim::explore::nas
