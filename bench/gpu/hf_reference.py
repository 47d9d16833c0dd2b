#!/usr/bin/env python3
"""Small random Llama / Qwen2 models made with transformers, saved as safetensors, with their
logits dumped for comparison with the sglc CUDA and CPU engines (issue 7, on the GPU machine).

  python3 bench/gpu/hf_reference.py --arch llama --out /tmp/hf-llama
  python3 bench/gpu/hf_reference.py --arch qwen2 --out /tmp/hf-qwen2
writes OUT/ (config.json, model.safetensors, tokens.json, logits.npy [n_tokens, vocab] fp32) and,
with --generate N, OUT/generate.json: greedy ids and tokens/s of transformers' generate.
A tokenizer is not needed: sglc is driven with token ids (see kernels/GPU_TODO.md).
"""
import argparse, json, os, time

import torch
import transformers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=["llama", "qwen2"], default="llama")
    ap.add_argument("--out", required=True)
    ap.add_argument("--dtype", default="bfloat16", choices=["float32", "bfloat16"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--generate", type=int, default=0)
    ap.add_argument("--like", default="", help="path to a config.json to copy shapes from (e.g. Llama 3.2 1B)")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    common = dict(vocab_size=512, hidden_size=128, intermediate_size=352, num_hidden_layers=3,
                  num_attention_heads=8, num_key_value_heads=4, max_position_embeddings=1024,
                  rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False)
    if a.like:
        with open(a.like) as f:
            common.update({k: v for k, v in json.load(f).items() if k in common or k == "rope_scaling"})
    cfg = (transformers.LlamaConfig(**common) if a.arch == "llama" else transformers.Qwen2Config(**common))
    model = (transformers.LlamaForCausalLM if a.arch == "llama" else transformers.Qwen2ForCausalLM)(cfg)
    dt = getattr(torch, a.dtype)
    model = model.to(dt).eval()
    os.makedirs(a.out, exist_ok=True)
    model.save_pretrained(a.out, safe_serialization=True)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    model = model.to(dev)
    g = torch.Generator().manual_seed(a.seed + 1)
    ids = torch.randint(0, cfg.vocab_size, (1, 24), generator=g)
    with torch.no_grad():
        logits = model(ids.to(dev)).logits[0].float().cpu()
    import numpy as np
    np.save(os.path.join(a.out, "logits.npy"), logits.numpy())
    with open(os.path.join(a.out, "tokens.json"), "w") as f:
        json.dump(ids[0].tolist(), f)
    if a.generate:
        with torch.no_grad():
            t0 = time.time()
            out = model.generate(ids.to(dev), max_new_tokens=a.generate, do_sample=False, min_new_tokens=a.generate)
            if dev == "cuda":
                torch.cuda.synchronize()
            dt_s = time.time() - t0
        with open(os.path.join(a.out, "generate.json"), "w") as f:
            json.dump({"ids": out[0, ids.shape[1]:].tolist(), "tok_s": a.generate / dt_s}, f)
    print(f"wrote {a.out}: logits {tuple(logits.shape)} on {dev}")


if __name__ == "__main__":
    main()
