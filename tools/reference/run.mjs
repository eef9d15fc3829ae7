// Runs an ONNX model with ONNX Runtime (CPU) and writes every output as
// .npy: genc's reference outputs for numeric tests.
//
// Usage: node run.mjs MODEL.onnx OUT_DIR NAME=FILE.npy ... [--threads N]
//          [--optimization disabled|basic|extended|all]
// (`all`, the default, lets ONNX Runtime fuse a DequantizeLinear and the
// MatMul reading it into kernels that also quantise the activations; the
// model's own arithmetic needs `disabled`.)
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';

const DTYPES = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '<i8': ['int64', BigInt64Array], '<i4': ['int32', Int32Array],
  '|b1': ['bool', Uint8Array], '|u1': ['uint8', Uint8Array], '|i1': ['int8', Int8Array],
  '<u2': ['uint16', Uint16Array], '<i2': ['int16', Int16Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12);
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map(s => s.trim()).filter(Boolean).map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order is not supported`);
  const entry = DTYPES[descr];
  if (!entry) throw new Error(`${file}: dtype ${descr} is not supported`);
  const [type, Array_] = entry;
  const body = buf.subarray(start + headerLen);
  const data = new Array_(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  return new ort.Tensor(type, type === 'bool' ? Uint8Array.from(data) : data, shape);
}

function writeNpy(file, tensor) {
  const descr = Object.keys(DTYPES).find(k => DTYPES[k][0] === tensor.type);
  if (!descr) throw new Error(`output dtype ${tensor.type} is not supported`);
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1; prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const data = tensor.data;
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from(header, 'latin1'), bytes]));
}

const args = process.argv.slice(2);
let threads = 2;
let optimization = 'all';
const positional = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--threads') threads = Number(args[++i]);
  else if (args[i] === '--optimization') optimization = args[++i];
  else positional.push(args[i]);
}
const [model, outDir, ...inputSpecs] = positional;
if (!model || !outDir) {
  console.error('usage: node run.mjs MODEL.onnx OUT_DIR NAME=FILE.npy ... [--threads N] ' +
                '[--optimization disabled|basic|extended|all]');
  process.exit(2);
}
const feeds = {};
for (const spec of inputSpecs) {
  const eq = spec.indexOf('=');
  feeds[spec.slice(0, eq)] = readNpy(spec.slice(eq + 1));
}
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: optimization,
});
const results = await session.run(feeds);
fs.mkdirSync(outDir, { recursive: true });
for (const [name, tensor] of Object.entries(results)) {
  writeNpy(path.join(outDir, `${name}.npy`), tensor);
  console.log(`${name}: [${tensor.dims.join(', ')}] ${tensor.type}`);
}
