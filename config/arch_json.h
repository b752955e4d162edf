// The validated arch as an arch file again: every default filled in, derived keys left out, the
// energy table inline. LoadArch reads it back to an equal ArchConfig (tests/config/arch_json_test.cpp),
// so report.json's resolved arch can be rerun as it is.
//
//   core::ArchConfig a = core::LoadArch("arch/unpu.json");
//   nlohmann::json j = core::ArchToJson(a);   // {"version": 1, "name": "unpu", ...}
#pragma once

#include <nlohmann/json.hpp>

#include "config/arch.h"

namespace npusim::core {

nlohmann::json ArchToJson(const ArchConfig& arch);

}  // namespace npusim::core
