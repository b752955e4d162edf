#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into build-fuzz/ and runs each for
# NPUSIM_FUZZ_SECONDS (default 60). A crash, sanitizer report, timeout (hang) or out-of-memory
# fails the run; the input is left in build-fuzz/artifacts/<target>/ to be kept under
# tests/data/fuzz-regressions/<target>/ as a regression test. scripts/test calls this.
#   fuzz/run.sh                              # every target, 60 s each
#   NPUSIM_FUZZ_SECONDS=600 fuzz/run.sh net  # one target, longer
# The corpus grows in build-fuzz/corpus/<target>/ across runs; seeds come from the repo's own files
# (arch/, workloads/, tests/data/, fuzz/seeds/, the kept regressions) and Debian's ONNX test data.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds=${NPUSIM_FUZZ_SECONDS:-60}
build=${NPUSIM_FUZZ_BUILD_DIR:-build-fuzz}
rss_mb=${NPUSIM_FUZZ_RSS_MB:-2048}
timeout_s=${NPUSIM_FUZZ_TIMEOUT:-25}

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
cmake --build "$build" --target npusim_fuzzers -j"$(nproc)" 2>&1 | grep -Ev '^\[ *[0-9]+%\]|^-- ' || true

onnx_data=/usr/share/libonnx-testdata/data/node
# target|dictionary|max_len|seed dirs and files
targets=(
  "arch|json_arch|16384|arch tests/data/bad"
  "net|json_net|65536|workloads tests/data/bad fuzz/seeds/net"
  "npy|npy|4096|fuzz/seeds/npy"
  "scalesim_cfg|scalesim_cfg|4096|workloads/scalesim tests/data/scalesim"
  "scalesim_topology|scalesim_csv|8192|workloads/scalesim tests/data/scalesim"
  "onnx|onnx|16384|fuzz/seeds/onnx"
  "serve_request|serve_request|8192|fuzz/seeds/serve_request"
  "lut_space|lut_space|4096|workloads/nas"
)
only=("$@")
summary="$build/fuzz-summary.md"
mkdir -p "$build"
{
  echo "| target | seconds | executions | corpus | result |"
  echo "|---|---|---|---|---|"
} >"$summary"
failed=0
for entry in "${targets[@]}"; do
  IFS='|' read -r name dict max_len seeds <<<"$entry"
  if ((${#only[@]})) && [[ ! " ${only[*]} " == *" $name "* ]]; then continue; fi
  corpus="$build/corpus/$name"
  seed_dir="$build/seeds/$name"
  artifacts="$build/artifacts/$name/"
  rm -rf "$seed_dir"
  mkdir -p "$corpus" "$seed_dir" "$artifacts"
  # One flat seed directory: files by suffix, so each target sees only its format.
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
  log="$build/fuzz-$name.log"
  echo "== fuzz $name (${seconds}s)"
  rc=0
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
    UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/fuzz/${name}_fuzzer" -max_total_time="$seconds" -rss_limit_mb="$rss_mb" \
    -timeout="$timeout_s" -max_len="$max_len" -dict="fuzz/dict/$dict.dict" -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$corpus" "$seed_dir" </dev/null >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  files=$(find "$corpus" -type f | wc -l)
  if [ "$rc" = 0 ]; then
    result=ok
  else
    result="FAILED (exit $rc): $(grep -m1 -E 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error|SUMMARY' "$log" || echo see log) -> $(ls "$artifacts" | head -3 | tr '\n' ' ')"
    failed=1
    tail -60 "$log"
  fi
  echo "   executions $execs, corpus $files files: $result"
  echo "| $name | $seconds | $execs | $files | $result |" >>"$summary"
done
echo "== fuzz summary ($summary)"
cat "$summary"
exit $failed
