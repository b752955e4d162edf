// explore/serve_request.h: serve's requests parsed and checked, answers rendered.
#include "explore/serve_request.h"

#include <cstdint>
#include <tuple>

#include "support/json_util.h"

namespace npusim::explore::serve {
namespace {

using nlohmann::json;

// The request's {"LAYER": BITS} object under `key` (absent: nothing) into `out`; returns "" or
// what is wrong.
std::string Bits(const json& j, const char* key, int lo, std::map<std::string, int>* out) {
  if (!j.contains(key)) return "";
  const json& wb = j[key];
  const std::string ptr = std::string("/") + key;
  if (!wb.is_object()) return ptr + ": expected an object {\"LAYER\": BITS, \"*\": BITS}";
  for (const auto& [layer, b] : wb.items()) {
    if (!b.is_number_integer() || b.get<int64_t>() < lo || b.get<int64_t>() > 16) {
      return core::Pointer(ptr, layer) + ": expected an integer in " + std::to_string(lo) + "..16, got " +
             core::Describe(b);
    }
    (*out)[layer] = b.get<int>();
  }
  return "";
}

// Checks a parsed request's shape into `r`; returns "" or what is wrong.
std::string Check(const json& j, Request* r) {
  if (!j.is_object()) return "expected a JSON object per line";
  for (const auto& [k, v] : j.items()) {
    if (k != "id" && k != "weight_bits" && k != "activation_bits" && k != "keep" && k != "layers") {
      return "unknown key \"" + k + "\" (expected id, weight_bits, activation_bits, keep, layers)";
    }
  }
  if (j.contains("layers")) {
    if (!j["layers"].is_boolean()) return "/layers: expected true or false";
    r->layers = j["layers"].get<bool>();
  }
  if (j.contains("keep")) {
    const json& kp = j["keep"];
    if (!kp.is_object()) return "/keep: expected an object {\"LAYER\": RATIO, \"*\": RATIO}";
    for (const auto& [layer, v] : kp.items()) {
      if (!v.is_number() || !(v.get<double>() > 0.0) || v.get<double>() > 1.0) {
        return core::Pointer("/keep", layer) + ": expected a keep ratio in (0, 1], got " + core::Describe(v);
      }
      r->keep[layer] = v.get<double>();
    }
  }
  for (const auto& [key, lo, out] : {std::make_tuple("weight_bits", 1, &r->weight_bits),
                                     std::make_tuple("activation_bits", 2, &r->activation_bits)}) {
    if (std::string e = Bits(j, key, lo, out); !e.empty()) return e;
  }
  return "";
}

}  // namespace

Request ParseRequest(std::string_view line) {
  Request r;
  if (core::FindExcessNesting(line, kMaxRequestDepth) != std::string::npos) {
    r.error = "request nested deeper than " + std::to_string(kMaxRequestDepth) + " levels";
    return r;
  }
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception& e) {
    r.error = std::string("not a JSON line: ") + e.what();
    return r;
  }
  if (j.is_object() && j.contains("id")) r.id = j["id"];
  r.error = Check(j, &r);
  if (!r.error.empty()) {
    r.weight_bits.clear();
    r.activation_bits.clear();
    r.keep.clear();
  }
  return r;
}

bool IsBlank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

json ErrorAnswer(const json& id, const std::string& message) {
  json a = {{"ok", false}, {"error", message}};
  if (!id.is_null()) a["id"] = id;
  return a;
}

std::string AnswerLine(const json& answer) {
  return answer.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace npusim::explore::serve
