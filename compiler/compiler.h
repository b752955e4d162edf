// The mapping compiler: quantized graph + hardware description -> isa::Program.
//
// Passes, in order (one per file under compiler/passes/):
//   legalize   conv/FC as a GEMM view (FC = 1x1 conv on an M x 1 image), bit widths checked
//              against the unit, depthwise/grouped kept as its own (block-diagonal) mapping;
//   allocate   DRAM addresses for every tensor and per-layer parameter blob (reshape aliases);
//   tile       per layer, tile sizes and loop order chosen by the cost model so that two tiles
//              of each operand fit each buffer (double buffering);
//   fuse       chains of conv layers whose intermediate tensors stay on chip, band by band, where
//              the cost model rates them better than the layers alone (passes/fusion.h);
//   emit       LOAD/CONV/REQUANT/POOL/ADD/STORE instructions tile by tile, reusing a tile that is
//              still in a buffer slot (a fusion group's layers interleaved band by band);
//   schedule   dependency tokens from the address ranges each instruction reads and writes
//              (RAW, WAR, WAW), so load, compute, post-process and store overlap only where safe.
#pragma once

#include <cstdint>
#include <string>

#include "config/arch.h"
#include "ir/graph.h"
#include "isa/instruction.h"

namespace npusim::compiler {

struct CompileOptions {
  // kAuto: chains of conv layers run fused where the cost model prefers it (fusion.h); kNone:
  // every layer alone, its output through DRAM.
  enum class Fusion { kNone, kAuto };
  Fusion fusion = Fusion::kAuto;
  // What the compiler's choices minimise where it has a choice: "cycles", "energy" or "edp"
  // (compiler/passes/objective.h). "": the unit's own (a reconfigurable array's arch "objective"),
  // else "cycles". It ranks the fusion groups on every unit and a reconfigurable array's mappings.
  std::string objective;
  // The most instructions the program may have (--max-instructions; docs/formats.md "Limits").
  // Each conv/FC layer's CONV, REQUANT and STORE instructions are counted from its tiling before
  // any is emitted, so a layer that would take the program beyond the limit is refused without
  // emitting it; every other instruction is counted as it is emitted.
  // MobileNetV1 on UNPU has 4,215 instructions, ResNet-50 about 35,000.
  static constexpr int64_t kDefaultMaxInstructions = 10'000'000;
  int64_t max_instructions = kDefaultMaxInstructions;
  // The fusion planner rates each distinct candidate group, and tiles each distinct layer, once per
  // compile (candidates alike in every shape, type and attribute get the same plan: fusion.cpp,
  // CandidateSignature). False rates every candidate afresh: for the test that the two agree.
  bool plan_memo = true;
};

// `--objective` and `--fusion` as the command line and the Python module take them: "" when `name`
// is one of the names, else what was expected ("expected cycles, energy or edp, got \"x\"").
std::string ObjectiveProblem(const std::string& name);
std::string FusionProblem(const std::string& name);
// "none" or "auto" (FusionProblem says whether it is one).
CompileOptions::Fusion FusionNamed(const std::string& name);

// Throws core::ConfigError naming `net_file` and the op's JSON pointer ("/ops/3") for a network
// the arch cannot run (an unsupported bit width, a layer no tile of which fits the buffers), and
// for one whose program would have more than `options.max_instructions` instructions.
isa::Program Compile(const core::Graph& graph, const core::ArchConfig& arch, const std::string& net_file,
                     const CompileOptions& options = {});

}  // namespace npusim::compiler
