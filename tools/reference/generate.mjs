// A deliberately plain reference for `genc generate` and `genc perplexity`,
// driving ONNX Runtime (CPU) on a decoder exported WITHOUT a KV cache: every
// step reruns the model on the whole sequence, batch 1. It is written from
// docs/generation.md and Hugging Face generate()'s semantics, not from
// genc's C++, so that the two can be compared (test/E2E/*-reference.test).
//
// Usage:
//   node generate.mjs generate MODEL.onnx --prompt-ids 1,2,3 [--prompt-ids ...]
//       [--max-new-tokens N] [--num-beams B] [--num-beam-groups G]
//       [--diversity-penalty L] [--length-penalty A]
//       [--early-stopping true|false|never] [--num-return-sequences R]
//       [--eos-token-id ID[,ID...]] [--threads N]
//       [--encoder ENCODER.onnx --source-ids 4,5,6 [--coverage-penalty B]]
//   node generate.mjs perplexity MODEL.onnx --ids FILE [--context C] [--stride S]
//
// Prints one JSON object, shaped like `genc generate --output-format json`
// ({sequences: [{prompt, tokens, score, text}], stats}) or
// `genc perplexity --output-format json` ({tokens, scored_tokens, nll_sum,
// perplexity}). `text` is always "" (no tokenizer here). Everything after
// the model's float32 logits is float64: log-softmax, sums, scores.
//
// What it implements (options as in HF generate(); the rest are rejected):
//  - greedy: argmax (lowest id among equals) of each step's logits; a
//    sequence stops at an EOS id (kept in its tokens) or at max_new_tokens;
//    score = sum of the chosen tokens' log-softmax values.
//  - beam search: each beam's logits -> log-softmax + the beam's summed
//    log-prob; the best max(2, 1 + #eos) * num_beams candidates are ranked;
//    a candidate ending in EOS that ranks among the best num_beams finishes
//    as a hypothesis scored sum_logprobs / len^length_penalty, len = the
//    generated tokens INCLUDING the EOS; the best num_beams non-EOS
//    candidates are the next beams. Before the first step only beam 0 has
//    score 0, the others -1e9. early_stopping (once num_beams hypotheses
//    exist): true stops; false stops when the best running beam's sum over
//    its current length^A is <= the worst hypothesis; never uses
//    max_new_tokens instead of the current length when A > 0. At
//    max_new_tokens the running beams finish as they are. The best
//    num_return_sequences hypotheses are returned, best first.
//  - diverse beam search: num_beam_groups groups of num_beams / G beams,
//    each an ordinary beam search with its own hypotheses (first beam of
//    each group starts at 0, the others at -1e9); group g's log-probs are
//    lowered by diversity_penalty for each time a group < g chose the
//    token as a next beam at this step. A done group stops and no longer
//    counts in the penalty (docs/generation.md's choice). The best
//    hypotheses across groups are returned.
//  - encoder-decoders (--encoder): the encoder runs once on the source
//    (batch 1, attention_mask all ones); its output `last_hidden_state` (or
//    its only output) is the decoder's encoder_hidden_states at every step,
//    with encoder_attention_mask all ones. The decoder's output
//    `cross_attentions` [1, positions, source] at the last position is the
//    attention of the step that predicts the next token.
//  - GNMT scoring (--coverage-penalty B > 0, length_penalty A): a
//    hypothesis of L generated tokens scores
//    sum / ((5 + L)^A / 6^A) + B * sum_i log(min(c_i, 1)), where c_i adds up
//    source position i's cross-attention over the L steps that predicted
//    its tokens (the prompt's last position predicts the first). Early
//    stopping bounds as above with this length normalization (the coverage
//    term is at most 0).
//  - perplexity: windows of C tokens start at 0, S, 2S, ... until one
//    reaches the last token; each token after the first is scored once, by
//    the first window that contains it at a position > 0 and was not
//    scored before (HF's strided evaluation), with the logits at its
//    previous position.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import url from 'node:url';

const here = path.dirname(url.fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'package.json'));
const ort = require('onnxruntime-node');

function fail(message) {
  console.error(`generate.mjs: error: ${message}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------
// Command line: genc's option names (--name VALUE or --name=VALUE).
// ---------------------------------------------------------------------------
function parseArgs(argv) {
  const options = {}, positional = [];
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (!arg.startsWith('--')) { positional.push(arg); continue; }
    let name = arg.slice(2), value;
    const eq = name.indexOf('=');
    if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq); }
    else {
      if (i + 1 >= argv.length) fail(`--${name} needs a value`);
      value = argv[++i];
    }
    (options[name] ??= []).push(value);
  }
  return { options, positional };
}

function takeNumber(options, name, fallback) {
  const values = options[name];
  delete options[name];
  if (!values) return fallback;
  const v = Number(values[values.length - 1]);
  if (!Number.isFinite(v)) fail(`--${name} '${values[values.length - 1]}' is not a number`);
  return v;
}

function takeString(options, name, fallback) {
  const values = options[name];
  delete options[name];
  return values ? values[values.length - 1] : fallback;
}

function takeList(options, name) {
  const values = options[name] ?? [];
  delete options[name];
  return values;
}

function parseIdList(text) {
  const ids = text.split(',').filter(s => s.trim() !== '').map(s => {
    const v = Number(s.trim());
    if (!Number.isInteger(v) || v < 0) fail(`'${text}' is not a comma-separated list of token ids`);
    return v;
  });
  if (ids.length === 0) fail(`'${text}' holds no token ids`);
  return ids;
}

// ---------------------------------------------------------------------------
// The model: batch 1, no cache, the whole sequence every time.
// ---------------------------------------------------------------------------
class FullModel {
  static async open(file, threads, encoderFile, source) {
    const model = new FullModel();
    const options = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
    model.session = await ort.InferenceSession.create(file, options);
    const known = ['input_ids', 'attention_mask', 'position_ids'];
    if (encoderFile) known.push('encoder_hidden_states', 'encoder_attention_mask');
    for (const name of model.session.inputNames)
      if (!known.includes(name))
        fail(`${file}: input '${name}' is not one of ${known.join(', ')} ` +
             '(export the model without a KV cache)');
    model.output = model.session.outputNames.includes('logits') ? 'logits' : model.session.outputNames[0];
    model.runs = 0;
    if (encoderFile) {
      const encoder = await ort.InferenceSession.create(encoderFile, options);
      const feeds = { input_ids: longs(source.length, i => source[i]) };
      if (encoder.inputNames.includes('attention_mask')) feeds.attention_mask = longs(source.length, () => 1);
      const out = await encoder.run(feeds);
      const name = encoder.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : encoder.outputNames[0];
      model.encoded = out[name];
      model.source = source;
    }
    return model;
  }

  /// Logits of every position of `ids`: an array of Float32Array rows. Sets
  /// `lastAttention` to the last position's cross-attention when there is one.
  async logitsAll(ids) {
    const n = ids.length;
    const feeds = { input_ids: longs(n, i => ids[i]) };
    if (this.session.inputNames.includes('attention_mask')) feeds.attention_mask = longs(n, () => 1);
    if (this.session.inputNames.includes('position_ids')) feeds.position_ids = longs(n, i => i);
    if (this.session.inputNames.includes('encoder_hidden_states')) feeds.encoder_hidden_states = this.encoded;
    if (this.session.inputNames.includes('encoder_attention_mask'))
      feeds.encoder_attention_mask = longs(this.source.length, () => 1);
    const result = await this.session.run(feeds);
    ++this.runs;
    const logits = result[this.output];
    if (logits.dims.length !== 3 || logits.dims[0] !== 1 || logits.dims[1] !== n)
      fail(`logits have shape [${logits.dims}], expected [1, ${n}, vocab]`);
    const vocab = logits.dims[2];
    this.vocab = vocab;
    const rows = [];
    for (let i = 0; i < n; ++i) rows.push(logits.data.slice(i * vocab, (i + 1) * vocab));
    const cross = result.cross_attentions;
    if (cross) {
      const s = cross.dims[2];
      this.lastAttention = Float64Array.from(cross.data.slice((n - 1) * s, n * s));
    }
    return rows;
  }

  /// Logits of the last position.
  async nextLogits(ids) {
    const rows = await this.logitsAll(ids);
    return rows[rows.length - 1];
  }
}

/// An int64 tensor [1, n] of f(0..n-1).
function longs(n, f) {
  return new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(f(i))), [1, n]);
}

/// log-softmax in float64.
function logSoftmax(logits) {
  let max = -Infinity;
  for (const l of logits) max = Math.max(max, l);
  let sum = 0;
  for (const l of logits) sum += Math.exp(l - max);
  const logZ = max + Math.log(sum);
  return Float64Array.from(logits, l => l - logZ);
}

// ---------------------------------------------------------------------------
// Greedy.
// ---------------------------------------------------------------------------
async function greedy(model, prompt, config) {
  const sequence = [...prompt], tokens = [];
  let score = 0;
  while (tokens.length < config.maxNewTokens) {
    const logits = await model.nextLogits(sequence);
    let best = 0;
    for (let t = 1; t < logits.length; ++t) if (logits[t] > logits[best]) best = t;
    const logprobs = logSoftmax(logits);
    score += logprobs[best];
    tokens.push(best);
    sequence.push(best);
    if (config.eos.includes(best)) break;
  }
  return [{ tokens, score }];
}

// ---------------------------------------------------------------------------
// Beam search (one group, or each group of a diverse search).
// ---------------------------------------------------------------------------

/// The finished hypotheses of one group: at most `size`, best kept.
/// sum / length^A, or GNMT's sum / ((5 + length)^A / 6^A).
function lengthNormalized(config, sum, length) {
  const A = config.lengthPenalty;
  return config.coveragePenalty > 0 ? sum / (Math.pow(5 + length, A) / Math.pow(6, A))
                                    : sum / Math.pow(length, A);
}

/// GNMT's coverage term; 0 without a coverage penalty.
function coverageTerm(config, coverage) {
  if (!(config.coveragePenalty > 0)) return 0;
  let sum = 0;
  for (const c of coverage) sum += Math.log(Math.min(c, 1));
  return config.coveragePenalty * sum;
}

class Hypotheses {
  constructor(size, config) {
    this.size = size;
    this.config = config;
    this.list = []; // {tokens, score}
  }
  add(tokens, sumLogprobs, coverage) {
    const score = lengthNormalized(this.config, sumLogprobs, tokens.length) +
                  coverageTerm(this.config, coverage);
    this.list.push({ tokens, score });
    this.list.sort((a, b) => b.score - a.score);
    if (this.list.length > this.size) this.list.pop();
  }
  full() { return this.list.length >= this.size; }
  worst() { return this.list[this.list.length - 1].score; }
}

/// One group's state: running beams {tokens (generated only), sum} and its
/// hypotheses.
class Group {
  constructor(size, config) {
    this.size = size;
    this.config = config;
    this.beams = [];
    // coverage: attention summed over the steps that predicted `tokens`.
    for (let i = 0; i < size; ++i) this.beams.push({ tokens: [], sum: i === 0 ? 0 : -1e9, coverage: [] });
    this.hypotheses = new Hypotheses(size, config);
    this.done = false;
  }

  /// One step: `logprobsOf(beam)` gives the beam's log-softmax and
  /// `attentionOf(beam)` the cross-attention of that step; `penalty`
  /// (token -> count) the tokens earlier groups chose at this step. Returns
  /// the tokens this group's next beams end with.
  step(logprobsOf, attentionOf, penalty, generated) {
    const { config } = this;
    const candidates = [];
    this.beams.forEach((beam, b) => {
      const logprobs = logprobsOf(beam);
      for (let t = 0; t < logprobs.length; ++t) {
        const processed = logprobs[t] - config.diversityPenalty * (penalty.get(t) ?? 0);
        candidates.push({ beam: b, token: t, sum: beam.sum + processed });
      }
    });
    // Best first; equal sums in (beam, token) order.
    candidates.sort((a, b) => b.sum - a.sum || a.beam - b.beam || a.token - b.token);
    const keep = Math.max(2, 1 + config.eos.length) * this.size;
    const next = [];
    for (let rank = 0; rank < keep && rank < candidates.length; ++rank) {
      const c = candidates[rank];
      const parent = this.beams[c.beam];
      const tokens = [...parent.tokens, c.token];
      const attention = attentionOf(parent);
      const coverage = attention ? Array.from(attention, (a, i) => a + (parent.coverage[i] ?? 0)) : [];
      if (config.eos.includes(c.token)) {
        if (rank < this.size) this.hypotheses.add(tokens, c.sum, coverage);
      } else {
        next.push({ tokens, sum: c.sum, coverage });
      }
      if (next.length === this.size) break;
    }
    if (next.length < this.size) fail('fewer non-EOS candidates than beams');
    this.beams = next;
    const length = generated + 1; // tokens every running beam now has
    if (this.hypotheses.full()) {
      if (config.earlyStopping === 'true') {
        this.done = true;
      } else {
        const best = this.beams[0].sum; // beams are best first
        const bound = config.earlyStopping === 'never' && config.lengthPenalty > 0
          ? lengthNormalized(config, best, config.maxNewTokens)
          : lengthNormalized(config, best, length);
        if (this.hypotheses.worst() >= bound) this.done = true;
      }
    }
    return this.beams.map(b => b.tokens[b.tokens.length - 1]);
  }

  /// At max_new_tokens: the running beams finish as they are.
  finish() {
    if (this.done) return;
    for (const beam of this.beams) this.hypotheses.add(beam.tokens, beam.sum, beam.coverage);
    this.done = true;
  }
}

async function beamSearch(model, prompt, config) {
  const groupSize = config.numBeams / config.numBeamGroups;
  const groups = [];
  for (let g = 0; g < config.numBeamGroups; ++g) groups.push(new Group(groupSize, config));
  for (let generated = 0; generated < config.maxNewTokens; ++generated) {
    const running = groups.filter(g => !g.done);
    if (running.length === 0) break;
    // Every running beam's log-probs, computed before any group moves.
    const cache = new Map();
    for (const group of running)
      for (const beam of group.beams) {
        const key = beam.tokens.join(',');
        if (!cache.has(key)) {
          const logprobs = logSoftmax(await model.nextLogits([...prompt, ...beam.tokens]));
          cache.set(key, { logprobs, attention: model.lastAttention });
        }
      }
    const logprobsOf = beam => cache.get(beam.tokens.join(',')).logprobs;
    const attentionOf = beam => cache.get(beam.tokens.join(',')).attention;
    const chosen = new Map(); // token -> times an earlier group chose it at this step
    for (const group of running) {
      const tokens = group.step(logprobsOf, attentionOf, chosen, generated);
      for (const t of tokens) chosen.set(t, (chosen.get(t) ?? 0) + 1);
    }
  }
  for (const group of groups) group.finish();
  const all = groups.flatMap(g => g.hypotheses.list);
  all.sort((a, b) => b.score - a.score);
  return all.slice(0, config.numReturnSequences);
}

// ---------------------------------------------------------------------------
// Perplexity.
// ---------------------------------------------------------------------------
async function perplexity(model, ids, context, stride) {
  const n = ids.length;
  if (n < 2) fail('perplexity needs at least two tokens');
  let nll = 0, scored = 0, scoredEnd = 1; // tokens before scoredEnd are scored (or the first)
  for (let begin = 0; ; begin += stride) {
    const end = Math.min(begin + context, n);
    const rows = await model.logitsAll(ids.slice(begin, end));
    for (let t = Math.max(scoredEnd, begin + 1); t < end; ++t) {
      nll -= logSoftmax(rows[t - 1 - begin])[ids[t]];
      ++scored;
    }
    scoredEnd = end;
    if (end === n) break;
  }
  return { tokens: n, scored_tokens: scored, nll_sum: nll, perplexity: Math.exp(nll / scored) };
}

// ---------------------------------------------------------------------------
async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const { options, positional } = parseArgs(rest);
  if (!['generate', 'perplexity'].includes(command) || positional.length !== 1)
    fail('usage: node generate.mjs generate|perplexity MODEL.onnx [options] (see the header)');
  const threads = takeNumber(options, 'threads', 1);
  const format = takeString(options, 'output-format', 'json');
  if (format !== 'json') fail('only --output-format json');
  const encoderFile = takeString(options, 'encoder');
  const sourceIds = takeString(options, 'source-ids');
  if (Boolean(encoderFile) !== Boolean(sourceIds)) fail('--encoder and --source-ids go together');
  const model = await FullModel.open(positional[0], threads, encoderFile,
                                     sourceIds ? parseIdList(sourceIds) : null);

  if (command === 'perplexity') {
    const file = takeString(options, 'ids');
    if (!file) fail('perplexity needs --ids FILE');
    const context = takeNumber(options, 'context', 256);
    const stride = takeNumber(options, 'stride', 0) || context;
    if (Object.keys(options).length) fail(`unsupported options: ${Object.keys(options).join(', ')}`);
    if (context < 2 || stride < 1 || stride > context) fail('bad --context / --stride');
    const ids = fs.readFileSync(file, 'utf8').split(/\s+/).filter(Boolean).map(Number);
    console.log(JSON.stringify(await perplexity(model, ids, context, stride), null, 2));
    return;
  }

  const prompts = takeList(options, 'prompt-ids').map(parseIdList);
  if (prompts.length === 0) fail('give prompts with --prompt-ids');
  const config = {
    maxNewTokens: takeNumber(options, 'max-new-tokens', 20),
    numBeams: takeNumber(options, 'num-beams', 1),
    numBeamGroups: takeNumber(options, 'num-beam-groups', 1),
    diversityPenalty: takeNumber(options, 'diversity-penalty', 0),
    lengthPenalty: takeNumber(options, 'length-penalty', 1),
    earlyStopping: takeString(options, 'early-stopping', 'false'),
    numReturnSequences: takeNumber(options, 'num-return-sequences', 1),
    eos: takeList(options, 'eos-token-id').flatMap(parseIdList),
    coveragePenalty: takeNumber(options, 'coverage-penalty', 0),
  };
  if (config.coveragePenalty > 0 && !encoderFile) fail('--coverage-penalty needs --encoder');
  if (Object.keys(options).length) fail(`unsupported options: ${Object.keys(options).join(', ')}`);
  if (!['true', 'false', 'never'].includes(config.earlyStopping)) fail('--early-stopping: true, false or never');
  if (config.maxNewTokens < 1) fail('--max-new-tokens must be at least 1');
  if (config.numBeams < 1 || config.numBeams % config.numBeamGroups !== 0)
    fail('--num-beams must be a positive multiple of --num-beam-groups');
  if (config.numReturnSequences > config.numBeams) fail('--num-return-sequences exceeds --num-beams');
  if (config.numBeams === 1 && config.numReturnSequences !== 1) fail('greedy returns one sequence');

  const sequences = [];
  let promptTokens = 0, generatedTokens = 0;
  for (const [index, prompt] of prompts.entries()) {
    promptTokens += prompt.length;
    const found = config.numBeams > 1 ? await beamSearch(model, prompt, config) : await greedy(model, prompt, config);
    for (const s of found) {
      sequences.push({ prompt: index, tokens: s.tokens, score: s.score, text: '' });
      generatedTokens += s.tokens.length;
    }
  }
  console.log(JSON.stringify({
    sequences,
    stats: { prompt_tokens: promptTokens, generated_tokens: generatedTokens, model_runs: model.runs },
  }, null, 2));
}

await main();
