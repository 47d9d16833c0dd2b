// Runs llama.cpp (through node-llama-cpp's prebuilt CPU binaries) on a GGUF file and writes what
// it computed as JSON: the tokenisation of a text (no BOS) and the full next-token logits after
// each of the given token ids (one sequence, positions 0, 1, ...).
// usage: node llama_logits.mjs MODEL.gguf IDS(comma-separated) TEXT OUT.json
import {getLlama} from "node-llama-cpp";
import {writeFileSync} from "node:fs";

const [modelPath, idsArg, text, outPath] = process.argv.slice(2);
const ids = idsArg.split(",").map(Number);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath});
const vocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
// K/V kept in F32 as sglc does (llama.cpp defaults to F16), and no flash attention (its F16 path).
const context = await model.createContext({
  contextSize: 256, threads: 1, flashAttention: false,
  experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32"});
const sequence = context.getSequence();
const results = await sequence.controlledEvaluate(ids.map(t => [t, {generateNext: {logits: true}}]));
const logits = results.map((r, i) => {
  const m = r?.next?.logits;
  if (!(m instanceof Map) || m.size !== vocab) throw new Error(`no full logits at position ${i}`);
  const row = new Array(vocab).fill(null);
  for (const [tok, v] of m) row[tok] = v;
  return row;
});
writeFileSync(outPath, JSON.stringify({model: modelPath, ids, text, tokenize: model.tokenize(text, false), logits}));
await model.dispose();
await llama.dispose();
