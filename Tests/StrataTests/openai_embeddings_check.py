"""End-to-end check of `strata serve --model models/minilm` with the official openai Python client.

Usage: python3 openai_embeddings_check.py BASE_URL
Exits 0 and prints OK when every check passes; otherwise raises with a message.
"""
import math
import sys

import openai

base = sys.argv[1]
client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0, timeout=120)

models = client.models.list()
assert [m.id for m in models.data] == ["minilm"], models
model = models.data[0].id

texts = ["A man is playing a guitar.", "Someone plays an acoustic guitar.", "The stock market fell sharply."]
# The client asks for base64 unless told otherwise and decodes it; ask for floats too.
packed = client.embeddings.create(model=model, input=texts)
plain = client.embeddings.create(model=model, input=texts, encoding_format="float")
assert len(packed.data) == 3 and len(plain.data) == 3, (packed, plain)
assert [d.index for d in plain.data] == [0, 1, 2]
assert packed.usage.prompt_tokens == plain.usage.prompt_tokens > 0, (packed.usage, plain.usage)
assert packed.usage.total_tokens == packed.usage.prompt_tokens
for a, b in zip(packed.data, plain.data):
    assert len(a.embedding) == 384 and len(b.embedding) == 384
    assert max(abs(x - y) for x, y in zip(a.embedding, b.embedding)) < 1e-6
    assert abs(math.sqrt(sum(x * x for x in b.embedding)) - 1) < 1e-4

def cos(a, b):
    return sum(x * y for x, y in zip(a, b))

v = [d.embedding for d in plain.data]
assert cos(v[0], v[1]) > cos(v[0], v[2]) + 0.2, (cos(v[0], v[1]), cos(v[0], v[2]))

one = client.embeddings.create(model=model, input=texts[1], encoding_format="float")
assert max(abs(x - y) for x, y in zip(one.data[0].embedding, v[1])) < 1e-5

ids = client.embeddings.create(model=model, input=[101, 7592, 2088, 102], encoding_format="float")
hello = client.embeddings.create(model=model, input="hello world", encoding_format="float")
assert max(abs(x - y) for x, y in zip(ids.data[0].embedding, hello.data[0].embedding)) < 1e-6

for bad in ([], ["word " * 400], [[]]):
    try:
        client.embeddings.create(model=model, input=bad)
        raise AssertionError(f"{bad!r:.40} was accepted")
    except openai.BadRequestError as e:
        assert e.status_code == 400, e
try:
    client.completions.create(model=model, prompt="hi", max_tokens=4)
    raise AssertionError("completions on an embedding model were accepted")
except openai.BadRequestError as e:
    assert "embeddings" in str(e), e
try:
    client.embeddings.create(model="other", input="hi")
    raise AssertionError("an unknown model was accepted")
except openai.NotFoundError:
    pass

print("OK")
