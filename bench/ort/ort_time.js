#!/usr/bin/env node
// Times one ONNX model in ONNX Runtime (onnxruntime-node, CPU execution provider, one intra-op and
// one inter-op thread, all graph optimizations): session creation once, WARMUP runs, then RUNS
// timed runs. Prints one JSON line: {"session_ms", "min_ms", "median_ms", "runs"}.
//
//   node ort_time.js MODEL.onnx INPUT.npy [RUNS] [WARMUP]
'use strict';

const fs = require('fs');
const path = require('path');
const ort = require(path.join(process.env.NPUSIM_ORT_MODULES || '', 'onnxruntime-node'));

// An int8 or uint8 .npy file as an ONNX Runtime tensor.
function readByteNpy(file) {
  const buf = fs.readFileSync(file);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + headerLen);
  const descr = /'descr':\s*'\|([iu])1'/.exec(header);
  if (!descr) throw new Error(`${file}: expected int8 or uint8 data`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const bytes = buf.subarray(10 + headerLen);
  const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  return descr[1] === 'i' ? new ort.Tensor('int8', new Int8Array(data), shape)
    : new ort.Tensor('uint8', new Uint8Array(data), shape);
}

async function main() {
  const [model, input, runsArg, warmArg] = process.argv.slice(2);
  const runs = Number(runsArg || 20), warmup = Number(warmArg || 3);
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionMode: 'sequential',
  });
  const sessionMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const feeds = { [session.inputNames[0]]: readByteNpy(input) };
  for (let i = 0; i < warmup; ++i) await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; ++i) {
    const s = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ session_ms: sessionMs, min_ms: times[0], median_ms: times[times.length >> 1], runs }));
}

main().catch((e) => { console.error(`ort_time: ${e.message}`); process.exit(1); });
