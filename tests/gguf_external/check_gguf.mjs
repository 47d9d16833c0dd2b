// Reads GGUF files with Hugging Face's independent GGUF parser (@huggingface/gguf, installed by
// run.sh from the npm registry) and checks what llama.cpp's loader relies on: the header and
// metadata parse, the llama hyper-parameter keys and the tokenizer arrays are there, every tensor
// llama.cpp's llama architecture looks up exists with the expected shape, and the tensor data lies
// inside the file, 32-byte aligned, without overlaps, with the byte size its ggml type implies.
// usage: node check_gguf.mjs FILE... ; exit 1 on the first problem.
import { gguf } from "@huggingface/gguf";
import { statSync } from "fs";

// ggml type id -> bytes for n elements (F32, F16, Q4_0, Q8_0, BF16).
const bytes = { 0: n => 4 * n, 1: n => 2 * n, 2: n => (18 * n) / 32, 8: n => (34 * n) / 32, 30: n => 2 * n };
let failed = false;
const fail = (f, msg) => { console.log(`${f}: ${msg}`); failed = true; };

for (const f of process.argv.slice(2)) {
  const r = await gguf(f, { allowLocalFile: true, computeParametersCount: true });
  const m = r.metadata;
  if (m.version !== 2 && m.version !== 3) fail(f, `GGUF version ${m.version}`);
  const arch = m["general.architecture"];
  const need = ["context_length", "embedding_length", "block_count", "feed_forward_length", "attention.head_count",
                "attention.head_count_kv", "attention.layer_norm_rms_epsilon"].map(k => `${arch}.${k}`);
  for (const k of need) if (m[k] === undefined) fail(f, `missing metadata ${k}`);
  const vocab = m["tokenizer.ggml.tokens"];
  if (!m["tokenizer.ggml.model"] || !vocab || !vocab.length) fail(f, "missing tokenizer.ggml.model/tokens");
  for (const k of ["tokenizer.ggml.scores", "tokenizer.ggml.token_type"])
    if (m[k] && m[k].length !== vocab.length) fail(f, `${k} has ${m[k].length} entries, tokens ${vocab.length}`);
  const dim = Number(m[`${arch}.embedding_length`]), ff = Number(m[`${arch}.feed_forward_length`]);
  const heads = Number(m[`${arch}.attention.head_count`]), kvh = Number(m[`${arch}.attention.head_count_kv`]);
  const kvd = (dim / heads) * kvh, L = Number(m[`${arch}.block_count`]), V = vocab.length;
  // ggml shapes: ne[0] is the row length (input features).
  const want = { "token_embd.weight": [dim, V], "output_norm.weight": [dim] };
  for (let i = 0; i < L; ++i) {
    Object.assign(want, {
      [`blk.${i}.attn_norm.weight`]: [dim], [`blk.${i}.ffn_norm.weight`]: [dim],
      [`blk.${i}.attn_q.weight`]: [dim, dim], [`blk.${i}.attn_k.weight`]: [dim, kvd],
      [`blk.${i}.attn_v.weight`]: [dim, kvd], [`blk.${i}.attn_output.weight`]: [dim, dim],
      [`blk.${i}.ffn_gate.weight`]: [dim, ff], [`blk.${i}.ffn_up.weight`]: [dim, ff],
      [`blk.${i}.ffn_down.weight`]: [ff, dim],
    });
  }
  const byName = new Map(r.tensorInfos.map(t => [t.name, t]));
  for (const [name, shape] of Object.entries(want)) {
    const t = byName.get(name);
    if (!t) { fail(f, `missing tensor ${name}`); continue; }
    const got = t.shape.map(Number);
    if (JSON.stringify(got) !== JSON.stringify(shape)) fail(f, `${name} shape ${JSON.stringify(got)}, want ${JSON.stringify(shape)}`);
  }
  const base = Number(r.tensorDataOffset), size = statSync(f).size;
  let end = base;
  for (const t of [...r.tensorInfos].sort((a, b) => Number(a.offset) - Number(b.offset))) {
    const n = t.shape.reduce((a, b) => a * Number(b), 1);
    if (!(t.dtype in bytes)) { fail(f, `${t.name}: unexpected ggml type ${t.dtype}`); continue; }
    const off = base + Number(t.offset), len = bytes[t.dtype](n);
    if (off % 32 || off < end || off + len > size) fail(f, `${t.name}: data [${off}, ${off + len}) misplaced (file ${size})`);
    end = off + len;
  }
  if (!failed)
    console.log(`${f}: OK (GGUF v${m.version}, ${arch}, ${r.tensorInfos.length} tensors, ${r.parameterCount} parameters)`);
}
process.exit(failed ? 1 : 0);
