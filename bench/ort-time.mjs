// Times ONNX Runtime on one model and input set: a warm-up, then N runs;
// prints the median and minimum latency of session.run alone.
// Usage: node bench/ort-time.mjs MODEL.onnx N THREADS NAME=FILE.npy ...
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import url from 'node:url';

const here = path.dirname(url.fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../tools/reference/package.json'));
const ort = require('onnxruntime-node');

const DTYPES = { '<f4': ['float32', Float32Array], '<i8': ['int64', BigInt64Array] };
function readNpy(file) {
  const buf = fs.readFileSync(file);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map(s => s.trim()).filter(Boolean).map(Number);
  const [type, A] = DTYPES[descr];
  const body = buf.subarray(10 + headerLen);
  return new ort.Tensor(type, new A(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)), shape);
}

const [model, n, threads, ...specs] = process.argv.slice(2);
const feeds = {};
for (const s of specs) { const i = s.indexOf('='); feeds[s.slice(0, i)] = readNpy(s.slice(i + 1)); }
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: Number(threads), interOpNumThreads: 1 });
await session.run(feeds);
const ms = [];
for (let r = 0; r < Number(n); ++r) {
  const t = process.hrtime.bigint();
  await session.run(feeds);
  ms.push(Number(process.hrtime.bigint() - t) / 1e6);
}
ms.sort((a, b) => a - b);
console.log(`ort latency over ${n} runs: median ${ms[Math.floor(ms.length / 2)].toFixed(3)} ms, min ${ms[0].toFixed(3)} ms`);
