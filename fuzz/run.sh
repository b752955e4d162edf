#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into build-fuzz/ and runs them. A crash,
# sanitizer report, timeout (hang) or out-of-memory fails the run; the input is left in
# build-fuzz/artifacts/<target>/ and copied to tests/data/fuzz-regressions/<target>/, where the
# regression tests replay it (add it to git with a test naming the bug). scripts/test calls this.
#
# Two modes:
#   fuzz/run.sh [TARGET...]
#     Deterministic (what scripts/test and CI run): each target first replays its seeds and kept
#     regressions once, then fuzzes from those seeds alone (a fresh corpus) with a fixed -seed for
#     a fixed number of executions (NPUSIM_FUZZ_RUNS scales the per-target counts below, 1 = as
#     listed; NPUSIM_FUZZ_SEED, default 1). The same commit gives the same result, so CI cannot
#     fail by chance; a finding is reproducible with the printed command line.
#   NPUSIM_FUZZ_SECONDS=600 fuzz/run.sh [TARGET...]
#     A campaign: a random -seed (printed, so a finding can be replayed) for that many seconds per
#     target, growing build-fuzz/corpus/<target>/ across runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds=${NPUSIM_FUZZ_SECONDS:-}
run_scale=${NPUSIM_FUZZ_RUNS:-1}
fixed_seed=${NPUSIM_FUZZ_SEED:-1}
build=${NPUSIM_FUZZ_BUILD_DIR:-build-fuzz}
rss_mb=${NPUSIM_FUZZ_RSS_MB:-2048}
timeout_s=${NPUSIM_FUZZ_TIMEOUT:-25}
# A deterministic run is bounded by executions; this only stops one that is far slower than
# expected (a loaded machine), and says so.
cap_s=${NPUSIM_FUZZ_CAP_SECONDS:-240}

if ! command -v clang++ >/dev/null; then
  echo "== fuzz: skipped (clang++ not found; scripts/setup installs clang and libclang-rt-14-dev)"
  exit 0
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/p.cpp"
if ! clang++ -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" 2>/dev/null; then
  echo "== fuzz: skipped (clang++ cannot link libFuzzer; install libclang-rt-14-dev)"
  exit 0
fi

# Optimised but without NDEBUG: assertions, and protobuf's index checks (an out-of-range
# NodeProto::input(k) aborts instead of reading garbage), are findings too.
if [ ! -f "$build/CMakeCache.txt" ] || ! grep -q '^CMAKE_CXX_FLAGS_RELWITHDEBINFO:STRING=-O2 -g$' "$build/CMakeCache.txt"; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -DNPUSIM_FUZZ=ON -DNPUSIM_TESTS=OFF -DNPUSIM_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g" >/dev/null
fi
only=("$@")
# The targets asked for (all of them when none is named).
build_targets=(npusim_fuzzers)
if ((${#only[@]})); then build_targets=("${only[@]/%/_fuzzer}"); fi
cmake --build "$build" --target "${build_targets[@]}" -j"$(nproc)" 2>&1 | grep -Ev '^\[ *[0-9]+%\]|^-- ' || true

onnx_data=/usr/share/libonnx-testdata/data/node
# target|dictionary|max_len|executions (deterministic mode; 15-60 s each on an idle core of the
# 2-core CI machine, under ASan: serve_request and lut_space run fewer since their attack-shape
# seeds of fuzz/make_attack_seeds.py make the average input kilobytes long)|seed dirs and files
targets=(
  "arch|json_arch|16384|200000|arch tests/data/bad"
  "net|json_net|65536|30000|workloads tests/data/bad fuzz/seeds/net"
  "npy|npy|4096|400000|fuzz/seeds/npy"
  "scalesim_cfg|scalesim_cfg|4096|200000|workloads/scalesim tests/data/scalesim"
  "scalesim_topology|scalesim_csv|8192|100000|workloads/scalesim tests/data/scalesim"
  "onnx|onnx|16384|250000|fuzz/seeds/onnx"
  "serve_request|serve_request|8192|20000|fuzz/seeds/serve_request"
  "lut_space|lut_space|16384|60000|workloads/nas fuzz/seeds/lut_space"
  "sweep_grid|sweep_grid|16384|40000|fuzz/seeds/sweep_grid"
)
summary="$build/fuzz-summary.md"
mkdir -p "$build"
if [ -n "$seconds" ]; then
  mode="campaign: ${seconds} s per target, random seeds"
else
  mode="deterministic: -seed=$fixed_seed, executions x$run_scale, fresh corpus"
fi
echo "== fuzz ($mode)"
{
  echo "Fuzz run: $mode"
  echo
  echo "| target | seed | executions | seconds | corpus | result |"
  echo "|---|---|---|---|---|---|"
} >"$summary"
failed=0
for entry in "${targets[@]}"; do
  IFS='|' read -r name dict max_len runs seeds <<<"$entry"
  if ((${#only[@]})) && [[ ! " ${only[*]} " == *" $name "* ]]; then continue; fi
  seed_dir="$build/seeds/$name"
  artifacts="$build/artifacts/$name/"
  rm -rf "$seed_dir" "$artifacts"
  mkdir -p "$seed_dir" "$artifacts"
  # One flat seed directory: files by suffix, so each target sees only its format. The kept
  # regressions are seeds too, so every run replays them first.
  for s in $seeds tests/data/fuzz-regressions/$name; do
    [ -e "$s" ] || continue
    case $name in
      arch|net) find "$s" -type f \( -name '*.json' -o -name '*.bin' \) ;;
      scalesim_cfg) find "$s" -type f -name '*.cfg' ;;
      scalesim_topology) find "$s" -type f -name '*.csv' ;;
      *) find "$s" -type f ;;
    esac
  done | while read -r f; do cp "$f" "$seed_dir/$(echo "$f" | tr '/' '_')"; done
  if [ "$name" = onnx ] && [ -d "$onnx_data" ]; then
    for m in "$onnx_data"/*/model.onnx; do cp "$m" "$seed_dir/$(basename "$(dirname "$m")").onnx"; done
  fi
  if [ -n "$seconds" ]; then
    corpus="$build/corpus/$name"  # grows across campaigns
    seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
    bound=(-max_total_time="$seconds")
  else
    corpus="$build/corpus-ci/$name"  # from the seeds alone: the same commit, the same inputs
    rm -rf "$corpus"
    seed=$fixed_seed
    runs=$((runs * run_scale))
    bound=(-runs="$runs" -max_total_time="$cap_s")
  fi
  mkdir -p "$corpus"
  log="$build/fuzz-$name.log"
  cmd=("$build/fuzz/${name}_fuzzer" -seed="$seed" "${bound[@]}" -rss_limit_mb="$rss_mb"
    -timeout="$timeout_s" -max_len="$max_len" -dict="fuzz/dict/$dict.dict" -print_final_stats=1
    -artifact_prefix="$artifacts" "$corpus" "$seed_dir")
  echo "== fuzz $name: ${cmd[*]}"
  rc=0
  t0=$(date +%s)
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 UBSAN_OPTIONS=print_stacktrace=1 \
    "${cmd[@]}" </dev/null >"$log" 2>&1 || rc=$?
  took=$(($(date +%s) - t0))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  files=$(find "$corpus" -type f | wc -l)
  if [ "$rc" = 0 ]; then
    result=ok
    if [ -z "$seconds" ] && [ "$execs" != "?" ] && ((execs < runs)); then
      result="ok, but stopped by the ${cap_s} s cap before $runs executions (a slow machine: not reproducible)"
    fi
  else
    kept=()
    for a in "$artifacts"*; do
      [ -f "$a" ] || continue
      dest="tests/data/fuzz-regressions/$name/seed${seed}-$(basename "$a")"
      mkdir -p "$(dirname "$dest")"
      cp "$a" "$dest"
      kept+=("$dest")
    done
    result="FAILED (exit $rc): $(grep -m1 -E 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error|SUMMARY' "$log" || echo see log) -> kept as ${kept[*]:-nothing}"
    failed=1
    tail -60 "$log"
  fi
  echo "   seed $seed, executions $execs in ${took} s, corpus $files files: $result"
  echo "| $name | $seed | $execs | $took | $files | $result |" >>"$summary"
done
echo "== fuzz summary ($summary)"
cat "$summary"
if ((failed)); then
  echo "fuzz: findings are copied to tests/data/fuzz-regressions/<target>/; fix the bug, keep the input" \
    "(git add) and name it in a regression test"
fi
exit $failed
