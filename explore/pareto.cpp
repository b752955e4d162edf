// explore/pareto.h: non-dominated points and a sweep's front.csv.
#include "explore/pareto.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "support/csv.h"

namespace npusim::explore {
namespace {

bool Dominates(const std::vector<double>& a, const std::vector<double>& b) {
  bool better = false;
  for (size_t k = 0; k < a.size(); ++k) {
    if (a[k] > b[k]) return false;
    better = better || a[k] < b[k];
  }
  return better;
}

size_t Column(const std::vector<std::string>& header, const std::string& name) {
  auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end()) throw std::logic_error("sweep.csv has no column \"" + name + "\"");
  return static_cast<size_t>(it - header.begin());
}

std::vector<const std::vector<std::string>*> OkRows(const std::vector<std::vector<std::string>>& rows) {
  std::vector<const std::vector<std::string>*> ok;
  if (rows.empty()) return ok;
  const size_t status = Column(rows[0], "status");
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].size() == rows[0].size() && rows[i][status] == "ok") ok.push_back(&rows[i]);
  }
  return ok;
}

}  // namespace

std::vector<size_t> NonDominated(const std::vector<std::vector<double>>& points) {
  std::vector<size_t> front;
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j)
      dominated = j != i && Dominates(points[j], points[i]);
    if (!dominated) front.push_back(i);
  }
  return front;
}

std::vector<std::string> FrontObjectives(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::string> objectives{"seconds", "energy_pj"};
  if (rows.empty()) return objectives;
  const size_t area = Column(rows[0], "area_mm2");
  const auto ok = OkRows(rows);
  const bool all_have_area =
      !ok.empty() && std::all_of(ok.begin(), ok.end(), [&](const auto* r) { return !(*r)[area].empty(); });
  if (all_have_area) objectives.push_back("area_mm2");
  return objectives;
}

std::string FrontCsv(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return "";
  const auto ok = OkRows(rows);
  std::vector<size_t> cols;
  for (const std::string& o : FrontObjectives(rows)) cols.push_back(Column(rows[0], o));
  std::vector<const std::vector<std::string>*> kept;  // ok rows whose objectives are numbers
  std::vector<std::vector<double>> points;
  for (const auto* r : ok) {
    std::vector<double> p;
    for (size_t c : cols) {
      const std::string& f = (*r)[c];
      char* end = nullptr;
      const double v = std::strtod(f.c_str(), &end);
      if (f.empty() || *end != '\0' || !std::isfinite(v)) break;
      p.push_back(v);
    }
    if (p.size() != cols.size()) continue;  // a hand-edited row: not a point
    points.push_back(p);
    kept.push_back(r);
  }
  std::vector<size_t> front = NonDominated(points);
  std::sort(front.begin(), front.end(), [&](size_t a, size_t b) {
    if (points[a][0] != points[b][0]) return points[a][0] < points[b][0];
    if (points[a][1] != points[b][1]) return points[a][1] < points[b][1];
    return (*kept[a])[0] < (*kept[b])[0];
  });
  std::string text = core::CsvLine(rows[0]);
  for (size_t i : front) text += core::CsvLine(*kept[i]);
  return text;
}

}  // namespace npusim::explore
