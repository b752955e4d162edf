// app/serve_request.h: serve's requests parsed and checked, answers rendered.
#include "app/serve_request.h"

#include <cstdint>

#include "core/json_util.h"

namespace npusim::app::serve {
namespace {

using nlohmann::json;

// Checks a parsed request's shape into `r`; returns "" or what is wrong.
std::string Check(const json& j, Request* r) {
  if (!j.is_object()) return "expected a JSON object per line";
  for (const auto& [k, v] : j.items()) {
    if (k != "id" && k != "weight_bits" && k != "layers") {
      return "unknown key \"" + k + "\" (expected id, weight_bits, layers)";
    }
  }
  if (j.contains("layers")) {
    if (!j["layers"].is_boolean()) return "/layers: expected true or false";
    r->layers = j["layers"].get<bool>();
  }
  if (!j.contains("weight_bits")) return "";
  const json& wb = j["weight_bits"];
  if (!wb.is_object()) return "/weight_bits: expected an object {\"LAYER\": BITS, \"*\": BITS}";
  for (const auto& [layer, b] : wb.items()) {
    if (!b.is_number_integer() || b.get<int64_t>() < 1 || b.get<int64_t>() > 16) {
      return core::Pointer("/weight_bits", layer) + ": expected an integer in 1..16, got " + core::Describe(b);
    }
    r->weight_bits[layer] = b.get<int>();
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
  if (!r.error.empty()) r.weight_bits.clear();
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

}  // namespace npusim::app::serve
