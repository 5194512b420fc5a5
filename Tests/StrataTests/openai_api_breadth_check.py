"""Issue 16's API features through the official openai Python client against `strata serve`.

Usage: python3 openai_api_breadth_check.py BASE_URL
Exits 0 and prints OK when every check passes; otherwise raises with a message.
"""
import json
import sys
import urllib.request

import openai

base = sys.argv[1]
client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0, timeout=120)
model = client.models.list().data[0].id


def post(path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def metric(name):
    with urllib.request.urlopen(base + "/metrics") as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


prompt = "Once upon a time"
greedy = client.completions.create(model=model, prompt=prompt, max_tokens=12, temperature=0)
text = greedy.choices[0].text
assert text, greedy

# /tokenize and /detokenize round-trip, with pieces.
ids = post("/tokenize", {"content": text})["tokens"]
assert ids and all(isinstance(i, int) for i in ids), ids
assert post("/detokenize", {"tokens": ids})["content"].strip() == text.strip()
with_bos = post("/tokenize", {"content": prompt, "add_special": True})["tokens"]
pieces = post("/tokenize", {"content": prompt, "with_pieces": True})["tokens"]
assert [p["id"] for p in pieces] == with_bos[len(with_bos) - len(pieces):], (pieces, with_bos)

# A prompt of token ids completes as its text does.
by_ids = client.completions.create(model=model, prompt=with_bos, max_tokens=12, temperature=0)
assert by_ids.choices[0].text == text, (by_ids.choices[0].text, text)
assert by_ids.usage.prompt_tokens == len(with_bos), by_ids.usage

# echo: the prompt's text first, plain and streamed.
echoed = client.completions.create(model=model, prompt=prompt, max_tokens=12, temperature=0, echo=True)
assert echoed.choices[0].text == prompt + text, echoed.choices[0].text
streamed = "".join(c.choices[0].text for c in client.completions.create(
    model=model, prompt=prompt, max_tokens=12, temperature=0, echo=True, stream=True) if c.choices)
assert streamed == prompt + text, streamed

# The completion's own tokens: the prompt's and its text's tokenized together, less the prompt's.
generated = post("/tokenize", {"content": prompt + text, "add_special": True})["tokens"][len(with_bos):]
assert post("/detokenize", {"tokens": with_bos + generated})["content"].endswith(prompt + text)

# logit_bias: -100 bans the greedy first token, on both endpoints.
first = generated[0]
banned = client.completions.create(model=model, prompt=prompt, max_tokens=12, temperature=0, logit_bias={str(first): -100})
banned_ids = post("/tokenize", {"content": banned.choices[0].text})["tokens"]
assert banned.choices[0].text != text and first not in banned_ids[:1], (banned.choices[0].text, text)
messages = [{"role": "user", "content": "Tell me a story."}]
chat = client.chat.completions.create(model=model, messages=messages, max_tokens=8, temperature=0)
chat_first = post("/tokenize", {"content": chat.choices[0].message.content})["tokens"][0]
chat_banned = client.chat.completions.create(model=model, messages=messages, max_tokens=8, temperature=0,
                                             logit_bias={str(chat_first): -100})
assert chat_banned.choices[0].message.content != chat.choices[0].message.content
try:
    client.completions.create(model=model, prompt=prompt, max_tokens=4, logit_bias={"99999999": 5})
    raise AssertionError("a logit_bias token outside the vocabulary was accepted")
except openai.BadRequestError as e:
    assert "logit_bias" in str(e), e

# stop_token_ids (vLLM's extension, through extra_body): ends there, finish_reason stop, its text left out.
stop_id = generated[3]
stopped = client.completions.create(model=model, prompt=prompt, max_tokens=12, temperature=0, extra_body={"stop_token_ids": [stop_id]})
assert stopped.choices[0].finish_reason == "stop", stopped
assert text.startswith(stopped.choices[0].text) and len(stopped.choices[0].text) < len(text), (stopped.choices[0].text, text)

# A stop string ends a request as stopped, never as cancelled.
cancelled_before = metric("strata_requests_cancelled_total")
word = " " + text.split()[2]
s = client.completions.create(model=model, prompt=prompt, max_tokens=12, temperature=0, stop=[word])
assert s.choices[0].finish_reason == "stop" and word not in s.choices[0].text, s
assert metric("strata_requests_cancelled_total") == cancelled_before

# logprobs on chat (top_logprobs 3), plain and streamed: one entry per token, the greedy token
# first in its own list, the tokens spelling the text, the stream carrying the same values.
lp = client.chat.completions.create(model=model, messages=messages, max_tokens=10, temperature=0, logprobs=True, top_logprobs=3)
content = lp.choices[0].logprobs.content
assert len(content) == lp.usage.completion_tokens or lp.choices[0].finish_reason == "stop", (len(content), lp.usage)
assert "".join(t.token for t in content) == lp.choices[0].message.content, (content, lp.choices[0].message.content)
for t in content:
    assert len(t.top_logprobs) == 3 and t.top_logprobs[0].token == t.token, t
    assert abs(t.top_logprobs[0].logprob - t.logprob) < 1e-6 and t.logprob <= 0, t
    assert bytes(t.bytes).decode("utf-8", "replace") == t.token
streamed = []
for chunk in client.chat.completions.create(model=model, messages=messages, max_tokens=10, temperature=0, logprobs=True,
                                            top_logprobs=3, stream=True):
    if chunk.choices and chunk.choices[0].logprobs and chunk.choices[0].logprobs.content:
        streamed += chunk.choices[0].logprobs.content
assert [(t.token, round(t.logprob, 5)) for t in streamed] == [(t.token, round(t.logprob, 5)) for t in content], streamed
plain = client.chat.completions.create(model=model, messages=messages, max_tokens=10, temperature=0)
assert plain.choices[0].logprobs is None and plain.choices[0].message.content == lp.choices[0].message.content

# logprobs on completions (the legacy shape): tokens spell the text, offsets count up, top lists hold 2.
c = client.completions.create(model=model, prompt=prompt, max_tokens=12, temperature=0, logprobs=2)
l = c.choices[0].logprobs
assert "".join(l.tokens) == c.choices[0].text == text, (l.tokens, c.choices[0].text)
assert l.text_offset == [sum(len(t) for t in l.tokens[:i]) for i in range(len(l.tokens))], l.text_offset
assert all(len(top) <= 2 and max(top.values()) == lp_ for top, lp_ in zip(l.top_logprobs, l.token_logprobs)), l.top_logprobs

# n = 4: one prefill, four choices seeded seed + i (each what that seed gives alone), indexed,
# the prompt counted once in usage, its full KV pages shared (the server runs --deterministic,
# so a choice's logits do not depend on what shares its batch).
story = prompt + " there was a little girl. She liked to play in the park with her friends every day."
story_ids = post("/tokenize", {"content": story, "add_special": True})["tokens"]
shared_before = metric("strata_kv_fork_shared_pages_total")
four = client.completions.create(model=model, prompt=story, max_tokens=10, temperature=1.0, seed=5, n=4)
assert [c.index for c in four.choices] == [0, 1, 2, 3], four.choices
assert four.usage.prompt_tokens == len(story_ids), (four.usage, len(story_ids))
assert metric("strata_kv_fork_shared_pages_total") > shared_before, "n = 4 shared no pages"
for i, choice in enumerate(four.choices):
    alone = client.completions.create(model=model, prompt=story, max_tokens=10, temperature=1.0, seed=5 + i)
    assert alone.choices[0].text == choice.text, (i, alone.choices[0].text, choice.text)
    assert four.usage.completion_tokens >= alone.usage.completion_tokens
assert len({c.text for c in four.choices}) > 1, four.choices
two = client.chat.completions.create(model=model, messages=messages, max_tokens=8, temperature=1.0, seed=3, n=2)
texts = ["", ""]
finishes = [None, None]
for chunk in client.chat.completions.create(model=model, messages=messages, max_tokens=8, temperature=1.0, seed=3, n=2,
                                            stream=True):
    for choice in chunk.choices:
        texts[choice.index] += choice.delta.content or ""
        finishes[choice.index] = choice.finish_reason or finishes[choice.index]
assert texts == [c.message.content for c in two.choices], (texts, two.choices)
assert finishes == [c.finish_reason for c in two.choices], finishes
try:
    client.completions.create(model=model, prompt=prompt, max_tokens=4, n=64)
    raise AssertionError("n beyond --parallel was accepted")
except openai.BadRequestError as e:
    assert "n = 64" in str(e), e

print("OK")
