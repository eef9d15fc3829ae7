// Reference tokenization for genc's tokenizer tests, with the same input and
// output as genc-tokenize (test/Runtime/TokenizeTool.cpp):
//   node tokenize.mjs encode TOKENIZER.json   each input line -> its ids
//   node tokenize.mjs decode TOKENIZER.json   each line of ids -> the text,
//                                             '\' and newline as \\ and \n
//   node tokenize.mjs gpt2-encode             each input line -> GPT-2's ids
// A tokenizer.json runs in Hugging Face's tokenizers.js (encode without
// special tokens, decode keeping them, no clean-up of spaces). gpt2-encode
// runs gpt-tokenizer's r50k_base, GPT-2's encoder from OpenAI's ranks
// (tiktoken's algorithm), with <|endoftext|> allowed in the text.
// Input lines end at '\n' only; their bytes are decoded as UTF-8 with
// U+FFFD for malformed sequences (TextDecoder, as Rust's from_utf8_lossy).
import { readFileSync } from "node:fs";

const [mode, path] = process.argv.slice(2);
if (!["encode", "decode", "gpt2-encode"].includes(mode) || (mode !== "gpt2-encode" && !path)) {
  process.stderr.write("usage: tokenize.mjs encode|decode TOKENIZER.json | gpt2-encode  < lines\n");
  process.exit(2);
}

function readLines() {
  const input = readFileSync(0);
  const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  const lines = [];
  let start = 0;
  for (let i = 0; i < input.length; ++i) {
    if (input[i] === 0x0a) {
      lines.push(decoder.decode(input.subarray(start, i)));
      start = i + 1;
    }
  }
  if (start < input.length) lines.push(decoder.decode(input.subarray(start)));
  return lines;
}

const out = [];
if (mode === "gpt2-encode") {
  const { encode } = await import("gpt-tokenizer/encoding/r50k_base");
  for (const line of readLines())
    out.push(encode(line, { allowedSpecial: new Set(["<|endoftext|>"]) }).join(" "));
} else {
  const { Tokenizer } = await import("@huggingface/tokenizers");
  const tokenizer = new Tokenizer(JSON.parse(readFileSync(path, "utf8")), {
    clean_up_tokenization_spaces: false,
  });
  for (const line of readLines()) {
    if (mode === "encode") {
      out.push(tokenizer.encode(line, { add_special_tokens: false }).ids.join(" "));
    } else {
      const ids = line.split(" ").filter((s) => s !== "").map(Number);
      const text = ids.length ? tokenizer.decode(ids, { skip_special_tokens: false }) : "";
      out.push(text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n"));
    }
  }
}
process.stdout.write(out.map((line) => line + "\n").join(""));
