// sim/inputs.h: a run's network inputs from .npy files or the network file's data (moved from
// app/run.cpp so that the Python module reads its inputs the same way).
#include "sim/inputs.h"

#include <algorithm>
#include <map>

#include "ir/model_io.h"
#include "ir/net_loader.h"
#include "support/error.h"
#include "support/json_util.h"

namespace npusim::sim {
namespace {

// One network input as `--input` names it: the model's input (a network with model_io, e.g. an
// ONNX model), read in the model's layout and type, or the IR tensor itself.
struct InputSlot {
  std::string name;
  std::string tensor;
  const core::ModelTensor* model = nullptr;
};

std::vector<InputSlot> InputSlots(const core::Graph& g) {
  std::vector<InputSlot> slots;
  if (g.model_io) {
    for (const core::ModelTensor& m : g.model_io->inputs) slots.push_back({m.name, m.tensor, &m});
    return slots;
  }
  for (const std::string& t : g.inputs) slots.push_back({t, t});
  return slots;
}

std::string SlotNames(const std::vector<InputSlot>& slots) {
  std::vector<std::string> names;
  for (const InputSlot& i : slots) names.push_back(i.name);
  return core::QuotedList(names);
}

// Input name -> file: `--input NAME=FILE` by name, `--input FILE` by position (the k-th file
// without a name is the k-th input).
std::map<std::string, std::string> InputFiles(const std::vector<InputSlot>& slots,
                                              const std::string& net_file,
                                              const std::vector<std::string>& specs) {
  std::map<std::string, std::string> files;
  size_t position = 0;
  for (const std::string& spec : specs) {
    const size_t eq = spec.find('=');
    std::string name;
    if (eq == std::string::npos) {
      if (position >= slots.size()) {
        throw core::ConfigError(net_file, "/inputs",
                                "--input " + spec +
                                    ": more files without a name than the network has "
                                    "inputs (" +
                                    SlotNames(slots) + ")");
      }
      name = slots[position++].name;
    } else {
      name = spec.substr(0, eq);
    }
    const bool known =
        std::any_of(slots.begin(), slots.end(), [&](const InputSlot& i) { return i.name == name; });
    if (!known) {
      throw core::ConfigError(
          net_file, "/inputs",
          "--input names \"" + name + "\", which is not a network input (" + SlotNames(slots) + ")");
    }
    if (!files.emplace(name, eq == std::string::npos ? spec : spec.substr(eq + 1)).second) {
      throw core::ConfigError(net_file, "/inputs", "--input gives \"" + name + "\" twice");
    }
  }
  return files;
}

}  // namespace

TensorMap ResolveInputs(const core::Graph& g, const std::string& net_file,
                        const std::vector<std::string>& specs) {
  const std::vector<InputSlot> slots = InputSlots(g);
  const std::map<std::string, std::string> files = InputFiles(slots, net_file, specs);
  TensorMap in;
  for (const InputSlot& slot : slots) {
    const core::TensorInfo& t = g.tensor(slot.tensor);
    auto f = files.find(slot.name);
    if (f != files.end()) {
      in[slot.tensor] =
          slot.model ? core::LoadModelInput(f->second, *slot.model, t) : core::LoadInputNpy(f->second, t);
      continue;
    }
    if (!t.data) {
      throw core::ConfigError(
          net_file, "/tensors/" + slot.tensor + "/data",
          "network input \"" + slot.name + "\" has no data: give \"data\" or pass --input");
    }
    in[slot.tensor] = *t.data;
  }
  return in;
}

}  // namespace npusim::sim
