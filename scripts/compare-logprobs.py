#!/usr/bin/env python3
"""Compares strata's logprobs with llama.cpp's on the same GGUF file, greedy, token by token.

Usage: scripts/compare-logprobs.py LLAMA_SERVER_URL STRATA_URL
Both servers must serve the same file: llama.cpp's llama-server (its /tokenize and /completion
with n_probs, which are log-softmax of the raw logits) and `strata serve`. Prints how many
positions agreed on the token and the largest differences of the chosen and the top-5
log-probabilities. With F32 KV on both (llama-server -ctk f32 -ctv f32, strata --kv-type f32)
on stories260K: 80 positions, chosen within 3.0e-06, top-5 within 8.1e-06.
"""
import json, sys, urllib.request
def post(base, path, body):
    r = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(r).read())
llama, strata = sys.argv[1], sys.argv[2]
prompts = ["Once upon a time", "The little dog", "Lily and Ben went to", "A big red ball", "One day, a girl"]
worst_chosen = worst_top = 0.0; pairs = 0; positions = 0
for p in prompts:
    ids = post(llama, "/tokenize", {"content": p, "add_special": True})["tokens"]
    ref = post(llama, "/completion", {"prompt": ids, "n_predict": 16, "temperature": 0, "n_probs": 5, "cache_prompt": False})
    ours = post(strata, "/v1/completions", {"prompt": ids, "max_tokens": 16, "temperature": 0, "logprobs": 5})["choices"][0]["logprobs"]
    probs = ref["completion_probabilities"]
    for i, entry in enumerate(probs):
        if i >= len(ours["tokens"]) or entry["token"] != ours["tokens"][i]:
            print(p, "tokens differ at", i, entry["token"], ours["tokens"][i] if i < len(ours["tokens"]) else None); break
        positions += 1
        worst_chosen = max(worst_chosen, abs(entry["logprob"] - ours["token_logprobs"][i]))
        for t in entry["top_logprobs"]:
            if t["token"] in ours["top_logprobs"][i]:
                worst_top = max(worst_top, abs(t["logprob"] - ours["top_logprobs"][i][t["token"]])); pairs += 1
print(f"positions {positions}, max |chosen diff| {worst_chosen:.2e}, max |top-5 diff| {worst_top:.2e} over {pairs} pairs")
