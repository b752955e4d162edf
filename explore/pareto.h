// The Pareto front of a sweep (docs/sweep.md, "What it writes"): the points no other point beats
// on every objective at once. `npusim sweep` and `npusim sweep-merge` write it as DIR/front.csv.
//
//   NonDominated({{1, 5}, {2, 2}, {3, 3}})   // {0, 1}: (3, 3) is dominated by (2, 2)
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace npusim::explore {

// Indices, in input order, of the points that no other point dominates: another point dominates
// p when it is <= p in every objective and < in at least one (all objectives are minimised).
// Equal points do not dominate each other, so both stay. Every point has the same number of
// objectives.
std::vector<size_t> NonDominated(const std::vector<std::vector<double>>& points);

// The objectives a sweep's front is over: "seconds", "energy_pj" and "area_mm2" when every
// successful row has an area, else the first two.
std::vector<std::string> FrontObjectives(const std::vector<std::vector<std::string>>& rows);

// front.csv's text from sweep.csv's rows (rows[0] the header): the header, then the successful
// rows (status "ok") on the front over FrontObjectives, fastest first (ties: less energy, then id).
std::string FrontCsv(const std::vector<std::vector<std::string>>& rows);

}  // namespace npusim::explore
