#!/usr/bin/env bash
# tools/plot_report.py turns a run's report into PNG and SVG plots (and refuses a missing one).
set -euo pipefail
npusim=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$npusim" --arch "$root/arch/tiny_4x4.json" --net "$root/workloads/small_resnet.json" --out "$tmp/run" >/dev/null
"$root/tools/plot_report.py" "$tmp/run" >/dev/null
head -c 8 "$tmp/run/layers.png" | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a"
grep -q "<svg" "$tmp/run/layers.svg"
if "$root/tools/plot_report.py" "$tmp/nothing" 2>/dev/null; then
  echo "a missing report must fail" >&2
  exit 1
fi
echo "plot_report: PNG and SVG written"
