#!/usr/bin/env node
// Runs ONNX models with ONNX Runtime (onnxruntime-node, CPU execution provider, one thread) and
// writes every output as a .npy file: the oracle side of npusim's ONNX conformance check.
//
//   node ort_run.js JOBS.json
//
// JOBS.json is a list of jobs, each
//   {"model": "m.onnx", "inputs": {"x": "x.npy"}, "out_dir": "ort/m"[, "optimized": "m.opt.onnx"]}
// with inputs in ONNX's own layout (NCHW). Outputs are written as out_dir/<output name>.npy (each
// character other than A-Z a-z 0-9 _ . : - as "_"), listed in order in out_dir/outputs.json
// ([{"name", "file"}], the form of npusim's report.json "outputs"). Integer tensors keep their
// dtype (uint8, int8, int32); floats are written as float32. One process runs all jobs, so ONNX
// Runtime loads once.
'use strict';

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

// .npy descr <-> ONNX Runtime tensor type and typed array.
const DTYPES = {
  '|u1': { ort: 'uint8', array: Uint8Array },
  '|i1': { ort: 'int8', array: Int8Array },
  '<i4': { ort: 'int32', array: Int32Array },
  '<i8': { ort: 'int64', array: BigInt64Array },
  '<f4': { ort: 'float32', array: Float32Array },
};

function descrOf(ortType) {
  for (const [descr, d] of Object.entries(DTYPES)) {
    if (d.ort === ortType) return descr;
  }
  throw new Error(`no .npy dtype for ONNX Runtime type ${ortType}`);
}

// Minimal .npy reader for the little-endian, C-order files the generator writes.
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order is not supported`);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)[1];
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const dt = DTYPES[descr];
  if (!dt) throw new Error(`${file}: dtype ${descr} is not supported`);
  const bytes = buf.subarray(start);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const data = new dt.array(copy.buffer, 0, bytes.length / dt.array.BYTES_PER_ELEMENT);
  return new ort.Tensor(dt.ort, data, shape);
}

function writeNpy(file, tensor) {
  const descr = descrOf(tensor.type);
  const dims = tensor.dims.map(String);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad so that the data starts on a 64-byte boundary; the header ends with a newline.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const data = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), data]));
}

async function runJob(job, options) {
  // "optimized": where to write the graph ONNX Runtime runs after its optimizations (which QDQ
  // groups it fused into integer kernels, which it left in float32).
  const session = await ort.InferenceSession.create(
      job.model, job.optimized ? { ...options, optimizedModelFilePath: job.optimized } : options);
  const feeds = {};
  for (const [name, file] of Object.entries(job.inputs)) feeds[name] = readNpy(file);
  const results = await session.run(feeds);
  fs.mkdirSync(job.out_dir, { recursive: true });
  // outputs.json lists the graph outputs in order (a name listed twice, twice) with their files.
  const listed = session.outputNames.map((name) => ({ name, file: `${name.replace(/[^A-Za-z0-9_.:-]/g, '_')}.npy` }));
  for (const o of listed) writeNpy(path.join(job.out_dir, o.file), results[o.name]);
  fs.writeFileSync(path.join(job.out_dir, 'outputs.json'), JSON.stringify(listed));
  if (session.release) await session.release();
}

async function main() {
  if (process.argv.length !== 3) {
    console.error('usage: node ort_run.js JOBS.json');
    process.exit(2);
  }
  const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  // Single-threaded CPU execution with ONNX Runtime's default graph optimizations, which fold
  // DequantizeLinear -> op -> QuantizeLinear groups into the integer QLinear kernels.
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,  // errors only (not the warning on serializing an optimized graph)
  };
  for (const job of jobs) {
    try {
      await runJob(job, options);
    } catch (e) {
      console.error(`ort_run: ${job.model}: ${e.message || e}`);
      process.exit(1);
    }
  }
  console.log(`ort_run: ${jobs.length} models run with ONNX Runtime ${ort.env.versions.common}`);
}

main();
