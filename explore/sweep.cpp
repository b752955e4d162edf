// explore/sweep.h: a sweep's points in child processes, its CSV resumed and merged.
#include "explore/sweep.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "config/arch.h"
#include "explore/pareto.h"
#include "explore/sweep_grid.h"
#include "sim/child.h"
#include "sim/report.h"
#include "support/atomic_file.h"
#include "support/csv.h"
#include "support/error.h"
#include "support/json_util.h"
#include "support/stop_signals.h"

namespace npusim::explore::sweep {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// What identifies a sweep's design space: a directory resumed with another one is refused.
json SweepIdentity(const Options& o, const json& arch, const json& grid) {
  json nets = json::array();
  for (const std::string& n : o.nets) nets.push_back(fs::absolute(n).lexically_normal().string());
  return {{"arch", fs::absolute(o.arch).lexically_normal().string()},
          {"arch_json", arch},
          {"nets", nets},
          {"grid", grid},
          {"sample", o.sample},
          {"seed", o.seed},
          {"shard", std::to_string(o.shard_index) + "/" + std::to_string(o.shard_count)}};
}

void CheckOrWriteIdentity(const fs::path& dir, const json& id) {
  const fs::path meta = dir / "sweep.json";
  if (!fs::exists(meta)) {
    core::WriteFileAtomically(meta.string(), id.dump(2) + "\n");
    return;
  }
  const json old = core::ReadJsonFile(meta.string());
  for (const char* k : {"arch_json", "nets", "grid", "sample", "seed", "shard"}) {
    if (old.value(k, json()) != id[k]) {
      throw core::ConfigError(meta.string(), std::string("/") + k,
                              "this directory holds a sweep with another " + std::string(k) +
                                  ": resume with the same inputs, or use another --out");
    }
  }
}

// Opens DIR/sweep.csv for appending: writes the header to a new file; for an existing one checks
// the header, drops a torn last line, and returns the ids already recorded in `done`.
FILE* OpenCsv(const fs::path& path, const std::vector<std::string>& header, std::set<std::string>* done) {
  if (fs::exists(path)) {
    const std::string text = ReadText(path);
    size_t torn = 0;
    const auto rows = core::ParseCsv(text, &torn);
    if (!rows.empty() && rows[0] != header) {
      throw core::ConfigError(path.string(), "", "its header differs from this grid's: use another --out");
    }
    if (torn) fs::resize_file(path, text.size() - torn);
    for (size_t i = 1; i < rows.size(); ++i) done->insert(rows[i].at(0));
    if (rows.empty()) core::WriteFileAtomically(path.string(), core::CsvLine(header));
  } else {
    core::WriteFileAtomically(path.string(), core::CsvLine(header));
  }
  FILE* f = std::fopen(path.string().c_str(), "a");
  if (!f) throw core::ConfigError(path.string(), "", "cannot open for appending");
  return f;
}

// DIR/front.csv: the front of every row in DIR/sweep.csv (explore/pareto.h), rewritten whole.
void WriteFront(const fs::path& dir, const std::string& csv_text) {
  core::WriteFileAtomically((dir / "front.csv").string(), FrontCsv(core::ParseCsv(csv_text)));
}

struct Running {
  Point point;
  fs::path dir;
  std::chrono::steady_clock::time_point start;
};

// Starts `npusim run` on the point's arch file, stdout and stderr to files in its directory, its
// result set in the directory's "run/" (a result set replaces its whole directory: the point's own
// files stay beside it).
pid_t Launch(const std::string& exe, const Options& o, const Grid& grid, const json& base_arch,
             const Running& r) {
  fs::create_directories(r.dir);
  core::WriteFileAtomically((r.dir / "arch.json").string(),
                            PointArch(base_arch, o.arch, grid, r.point).dump(2) + "\n");
  std::vector<std::string> args{exe,      "run",
                                "--arch", (r.dir / "arch.json").string(),
                                "--net",  o.nets[r.point.net],
                                "--out",  (r.dir / "run").string(),
                                "--mode", o.mode};
  for (const bool activations : {false, true}) {
    const std::string bits = WeightBitsSpec(grid, r.point, activations);
    if (!bits.empty()) args.insert(args.end(), {activations ? "--activation-bits" : "--weight-bits", bits});
  }
  return sim::StartProgram(args, (r.dir / "stdout.txt").string(), (r.dir / "stderr.txt").string());
}

std::string LastLine(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  const std::string prefix = "npusim: ";
  if (last.rfind(prefix, 0) == 0) last = last.substr(prefix.size());
  return last;
}

std::string Num(double v) { return json(v).dump(); }

// A row's result columns after the knobs: status, the figures, error (explore/sweep_grid.h CsvHeader).
constexpr size_t kResultColumns = 11;
constexpr size_t kCyclesFromEnd = kResultColumns - 1;  // the cycles column, counted from the row's end

// The report's number at `key`, or "" when it has none (an arch without an area model).
std::string Optional(const json& rep, const char* key) { return rep.contains(key) ? rep[key].dump() : ""; }

// The CSV row of a finished point: its figures from report.json, or its error.
std::vector<std::string> ResultRow(const Grid& grid, const Options& o, const Running& r,
                                   const sim::ChildOutcome& end) {
  std::vector<std::string> row{r.point.id, o.nets[r.point.net]};
  for (size_t k = 0; k < grid.knobs.size(); ++k)
    row.push_back(ValueText(grid.knobs[k].values[r.point.choice[k]]));
  std::string error;
  json rep;
  if (end.ok()) {
    try {
      rep = json::parse(ReadText(r.dir / "run" / "report.json"));
    } catch (const json::exception& e) {
      error = std::string("unreadable report.json: ") + e.what();
    }
  } else if (end.exited) {
    error = "exit " + std::to_string(end.exit_code) + ": " + LastLine(ReadText(r.dir / "stderr.txt"));
  } else {
    error = "killed by signal " + std::to_string(end.signal);
  }
  if (!error.empty()) {
    row.push_back("error");
    for (size_t i = 1; i < kResultColumns; ++i) row.push_back("");
    row.back() = error;
    return row;
  }
  const json counters = rep.value("counters", json::object());
  const double seconds = rep.at("seconds").get<double>(), energy = rep.at("energy_pj").get<double>();
  row.push_back("ok");
  row.push_back(rep.at("cycles").dump());
  row.push_back(Num(seconds));
  row.push_back(Num(energy));
  row.push_back(Optional(rep, "area_mm2"));
  row.push_back(Optional(rep, "tops_per_mm2"));
  row.push_back(Optional(rep, "tops_per_w"));
  row.push_back(Num(energy * seconds));
  row.push_back(counters.value("dram.read_byte", json(0)).dump());
  row.push_back(counters.value("dram.write_byte", json(0)).dump());
  row.push_back("");
  // The outputs are not needed by a sweep; report.json and the arch file stay.
  std::error_code ec;
  fs::remove_all(r.dir / "run" / "outputs", ec);
  return row;
}

std::string Clock(double s) {
  const int64_t t = static_cast<int64_t>(s + 0.5);
  char b[32];
  std::snprintf(b, sizeof b, "%lld:%02lld:%02lld", static_cast<long long>(t / 3600),
                static_cast<long long>(t / 60 % 60), static_cast<long long>(t % 60));
  return b;
}

// A bar redrawn in place on a terminal; one plain line per point otherwise (logs, Slurm).
class Progress {
 public:
  Progress(size_t total, size_t skipped)
      : total_(total),
        done_(skipped),
        skipped_(skipped),
        tty_(isatty(STDERR_FILENO)),
        start_(std::chrono::steady_clock::now()) {}
  void Finished(const std::string& id, const std::vector<std::string>& row, bool ok) {
    ++done_;
    failed_ += ok ? 0 : 1;
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = el > 0 ? static_cast<double>(done_ - skipped_) / el : 0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : 0;
    if (!tty_) {
      std::fprintf(stderr, "sweep: %zu/%zu %s %s (%.2f points/s, ETA %s)\n", done_, total_, id.c_str(),
                   ok ? ("ok, " + row.at(row.size() - kCyclesFromEnd) + " cycles").c_str()
                      : ("error: " + row.back()).c_str(),
                   rate, Clock(eta).c_str());
      return;
    }
    constexpr int kWidth = 30;
    const int fill = static_cast<int>(kWidth * done_ / std::max<size_t>(total_, 1));
    std::fprintf(stderr, "\r[%s%s] %zu/%zu points, %.2f/s, ETA %s, %zu failed ",
                 std::string(fill, '#').c_str(), std::string(kWidth - fill, '.').c_str(), done_, total_, rate,
                 Clock(eta).c_str(), failed_);
    if (done_ == total_) std::fprintf(stderr, "\n");
  }
  size_t failed() const { return failed_; }

 private:
  size_t total_, done_, skipped_, failed_ = 0;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
};

// The sweep's inputs checked and its points chosen: options with the grid's sample and seed
// filled in, and this shard's points.
struct Plan {
  Options opt;
  json base_arch;
  Grid grid;
  int64_t total = 0;          // points in the grid (times networks)
  std::vector<int64_t> mine;  // this shard's (sampled) points
};

Plan MakePlan(const Options& o) {
  // The arch file is read once (it may be a pipe, or change while the sweep starts): the base arch
  // must be valid; a point's knobs may still break it.
  Plan p{o, core::ReadJsonFile(o.arch), {}, 0, {}};
  core::LoadArch(p.base_arch, o.arch);
  for (const std::string& n : o.nets) {
    if (!fs::is_regular_file(n)) throw core::ConfigError(n, "", "no such network file");
  }
  p.grid = LoadGrid(o.grid, p.base_arch);
  if (p.opt.sample == 0) p.opt.sample = p.grid.sample;
  if (!p.opt.seed_set) p.opt.seed = p.grid.seed;
  p.total = PointCount(p.grid, p.opt.nets.size(), p.opt.grid);
  CheckPointBudget(p.total, p.opt.sample, p.opt.max_points, p.opt.grid);
  p.mine = SelectPoints(p.total, p.opt.sample, p.opt.seed, p.opt.shard_index, p.opt.shard_count);
  return p;
}

// The plan's points not yet recorded in `done`.
std::vector<Point> Todo(const Plan& p, const std::set<std::string>& done) {
  std::vector<Point> todo;
  for (int64_t i : p.mine) {
    Point pt = DecodePoint(i, p.total, p.grid, p.opt.nets.size());
    if (!done.count(pt.id)) todo.push_back(pt);
  }
  return todo;
}

// Runs `todo`, --jobs points at a time, each row appended to `csv` and flushed as its point ends.
// SIGINT/SIGTERM/SIGHUP: pass it on to the running points, reap them, keep every row recorded so
// far whole and launch no more; the same command resumes (tests/app/sweep_test.cpp).
void RunPoints(const Plan& p, const std::string& exe, const fs::path& dir, const std::vector<Point>& todo,
               FILE* csv, Progress& progress) {
  std::map<pid_t, Running> running;
  size_t next = 0;
  while ((next < todo.size() && !core::StopSignal()) || !running.empty()) {
    while (next < todo.size() && static_cast<int>(running.size()) < p.opt.jobs && !core::StopSignal()) {
      Running r{todo[next], dir / "points" / todo[next].id, std::chrono::steady_clock::now()};
      ++next;
      running[Launch(exe, p.opt, p.grid, p.base_arch, r)] = r;
    }
    const sim::Ended end = sim::WaitAnyChild();
    auto it = running.find(end.pid);
    if (it == running.end()) continue;                // interrupted, or not a point
    if (core::StopSignal() && !end.outcome.exited) {  // stopped with the sweep: not a result
      running.erase(it);
      continue;
    }
    const std::vector<std::string> row = ResultRow(p.grid, p.opt, it->second, end.outcome);
    const std::string line = core::CsvLine(row);
    std::fwrite(line.data(), 1, line.size(), csv);
    std::fflush(csv);
    progress.Finished(it->second.point.id, row, row.back().empty());
    running.erase(it);
  }
}

}  // namespace

void Sweep(const Options& o, const std::string& npusim) {
  const Plan plan = MakePlan(o);
  const fs::path dir = plan.opt.out;
  sim::PrepareOutputDir(dir.string());
  CheckOrWriteIdentity(dir, SweepIdentity(plan.opt, plan.base_arch, plan.grid.doc));
  std::set<std::string> done;
  FILE* csv = OpenCsv(dir / "sweep.csv", CsvHeader(plan.grid), &done);
  const std::vector<Point> todo = Todo(plan, done);
  const size_t skipped = plan.mine.size() - todo.size();
  std::cerr << "sweep: " << plan.mine.size() << " points (" << plan.total << " in the grid), " << skipped
            << " already in " << (dir / "sweep.csv").string() << ", " << plan.opt.jobs << " at a time\n";
  Progress progress(plan.mine.size(), skipped);
  core::DeferStopSignals();
  RunPoints(plan, npusim, dir, todo, csv, progress);
  std::fclose(csv);
  if (const int sig = core::StopSignal()) {
    std::cerr << "\nsweep: stopped by signal " << sig << "; the rows in " << (dir / "sweep.csv").string()
              << " are complete, the same command resumes\n";
    core::EndByStopSignal();
  }
  WriteFront(dir, ReadText(dir / "sweep.csv"));
  std::cout << "sweep: " << todo.size() << " points run, " << progress.failed() << " failed; "
            << (dir / "sweep.csv").string() << ", its Pareto front in " << (dir / "front.csv").string()
            << "\n";
}

void SweepMerge(const Options& o) {
  std::vector<std::string> header;
  std::map<std::string, std::vector<std::string>> rows;  // by id: sorted like a local sweep's points
  json identity;
  for (const std::string& d : o.merge_dirs) {
    const fs::path csv = fs::path(d) / "sweep.csv";
    if (!fs::is_regular_file(csv))
      throw core::ConfigError(csv.string(), "", "no such file (not a sweep directory?)");
    const fs::path meta = fs::path(d) / "sweep.json";
    if (fs::exists(meta)) {
      json m = core::ReadJsonFile(meta.string());
      m.erase("shard");
      if (!identity.is_null() && m != identity) {
        throw core::ConfigError(meta.string(), "",
                                "this shard belongs to a different sweep (arch, nets or grid differ)");
      }
      identity = m;
    }
    const auto parsed = core::ParseCsv(ReadText(csv));
    if (parsed.empty()) continue;
    if (header.empty()) header = parsed[0];
    if (parsed[0] != header)
      throw core::ConfigError(csv.string(), "", "its header differs from the other shards'");
    for (size_t i = 1; i < parsed.size(); ++i) rows.emplace(parsed[i].at(0), parsed[i]);
  }
  if (header.empty()) throw core::ConfigError(o.out, "", "no rows to merge");
  std::string text = core::CsvLine(header);
  for (const auto& [id, row] : rows) text += core::CsvLine(row);
  sim::PrepareOutputDir(o.out);
  const fs::path out = fs::path(o.out) / "sweep.csv";
  core::WriteFileAtomically(out.string(), text);
  WriteFront(o.out, text);
  std::cout << "sweep-merge: " << rows.size() << " points from " << o.merge_dirs.size() << " directories; "
            << out.string() << "\n";
}

}  // namespace npusim::explore::sweep
