#!/usr/bin/env bash
# Installs the pinned onnxruntime-node (package.json beside this script) from the npm registry
# into CACHE/node_modules once; reruns are offline. Used by run.sh (conformance) and
# studies/bench_speed.py (speed comparison).
#   tests/conformance/install_ort.sh CACHE
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="$1"
mkdir -p "$cache"
# The pinned version, read from package.json; reinstall only when it changed.
want=$(sed -n 's/.*"onnxruntime-node": *"\([^"]*\)".*/\1/p' "$here/package.json")
have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$cache/node_modules/onnxruntime-node/package.json" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
  cp "$here/package.json" "$here/.npmrc" "$cache/"
  echo "onnx conformance: installing onnxruntime-node $want into $cache" >&2
  # .npmrc skips the postinstall download of GPU parts; the CPU library ships in the package.
  (cd "$cache" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
fi
lib="$cache/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"
if [ "$(uname -m)" = x86_64 ] && [ ! -f "$lib" ]; then
  echo "onnx conformance: $lib is missing (the CPU binary should ship inside onnxruntime-node)" >&2
  exit 1
fi

