"""End-to-end check of `strata serve` with the official openai Python client.

Usage: python3 openai_client_check.py BASE_URL
Exits 0 and prints OK when every check passes; otherwise raises with a message.
"""
import sys

import openai

base = sys.argv[1]
client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0, timeout=120)

models = client.models.list()
assert len(models.data) == 1, models
model = models.data[0].id

# Completions, plain and streamed, greedy: the same text both ways.
c = client.completions.create(model=model, prompt="Once upon a time", max_tokens=24, temperature=0)
text = c.choices[0].text
assert text, c
assert c.choices[0].finish_reason == "length", c
assert c.usage.completion_tokens == 24 and c.usage.prompt_tokens > 0, c.usage
assert c.usage.total_tokens == c.usage.prompt_tokens + c.usage.completion_tokens

streamed = ""
finish = None
for chunk in client.completions.create(model=model, prompt="Once upon a time", max_tokens=24, temperature=0, stream=True):
    if chunk.choices:
        streamed += chunk.choices[0].text or ""
        finish = chunk.choices[0].finish_reason or finish
assert streamed == text, (streamed, text)
assert finish == "length", finish

# Stop strings end the text before them.
words = text.split(" ")
stop = " " + words[3]
s = client.completions.create(model=model, prompt="Once upon a time", max_tokens=24, temperature=0, stop=[stop])
assert s.choices[0].finish_reason == "stop", s
assert stop not in s.choices[0].text and text.startswith(s.choices[0].text), (s.choices[0].text, stop)

# Chat, plain and streamed, with usage in the stream.
messages = [{"role": "system", "content": "You tell stories."}, {"role": "user", "content": "Tell me about a cat."}]
chat = client.chat.completions.create(model=model, messages=messages, max_tokens=16, temperature=0)
answer = chat.choices[0].message.content
assert chat.choices[0].message.role == "assistant"
assert answer is not None and chat.usage.completion_tokens <= 16, chat
chunks = list(client.chat.completions.create(model=model, messages=messages, max_tokens=16, temperature=0,
                                             stream=True, stream_options={"include_usage": True}))
streamed = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
assert streamed == answer, (streamed, answer)
assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == chat.usage.completion_tokens

# Seeded sampling is reproducible.
a = client.completions.create(model=model, prompt="The dog", max_tokens=16, temperature=1.0, seed=7)
b = client.completions.create(model=model, prompt="The dog", max_tokens=16, temperature=1.0, seed=7)
assert a.choices[0].text == b.choices[0].text

# Errors come back as the client's typed exceptions.
try:
    client.completions.create(model=model, prompt="x", max_tokens=-1)
    raise AssertionError("max_tokens=-1 was accepted")
except openai.BadRequestError:
    pass
try:
    client.completions.create(model=model, prompt="x", max_tokens=4, temperature=-3)
    raise AssertionError("temperature=-3 was accepted")
except openai.BadRequestError:
    pass
try:
    client.completions.create(model="no-such-model", prompt="x", max_tokens=4)
    raise AssertionError("an unknown model was accepted")
except openai.NotFoundError:
    pass
try:
    client.completions.create(model=model, prompt="x " * 5000, max_tokens=4)
    raise AssertionError("an over-long prompt was accepted")
except openai.BadRequestError:
    pass

# And a normal request still works after all that.
assert client.completions.create(model=model, prompt="Once", max_tokens=4, temperature=0).choices[0].text
print("OK")
