"""Issue 16's structured output and tool calls through the official openai Python client.

Usage: python3 openai_structured_check.py BASE_URL
Every json_schema reply must parse and validate against its schema (jsonschema), plain and
streamed, with whatever model the server runs (the tiny one included: the grammar, not the
model, guarantees it); a forced tool call must parse into the declared function's arguments.
Exits 0 and prints OK when every check passes.
"""
import json
import sys

import jsonschema
import openai

base = sys.argv[1]
client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0, timeout=300)
model = client.models.list().data[0].id
messages = [{"role": "user", "content": "Describe a person as JSON."}]

person = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}, "required": ["name", "age"],
          "additionalProperties": False}
SCHEMAS = [
    person,
    {"type": "string"},
    {"type": "integer"},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "null"},
    {"enum": ["red", "green", "blue"]},
    {"const": {"ok": True}},
    {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 4},
    {"type": "array", "items": {"type": "string", "maxLength": 5}, "maxItems": 3},
    {"type": "object", "properties": {"tags": {"type": "array", "items": {"enum": ["a", "b"]}}, "score": {"type": "number"}},
     "required": ["tags"]},
    {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}}, "required": ["c"]},
    {"anyOf": [{"type": "integer"}, {"type": "object", "properties": {"x": {"type": "boolean"}}, "required": ["x"]}]},
    {"type": ["string", "null"]},
    {"type": "object", "properties": {"person": {"$ref": "#/$defs/person"}, "friends": {"type": "array", "items": {"$ref": "#/$defs/person"},
     "maxItems": 2}}, "required": ["person", "friends"], "$defs": {"person": person}},
    {"type": "object", "properties": {"node": {"$ref": "#/definitions/tree"}}, "required": ["node"],
     "definitions": {"tree": {"type": "object", "properties": {"value": {"type": "integer"},
                                                                "children": {"type": "array", "items": {"$ref": "#/definitions/tree"}, "maxItems": 2}},
                              "required": ["value"]}}},
    {"type": "object", "properties": {"when": {"type": "string", "minLength": 1, "maxLength": 10}, "count": {"type": "integer"}},
     "required": ["when", "count"]},
    {"type": "object", "properties": {"nested": {"type": "object", "properties": {"deep": {"type": "object", "properties": {
        "flag": {"type": "boolean"}}, "required": ["flag"]}}, "required": ["deep"]}}, "required": ["nested"]},
    {"type": "object", "properties": {"kind": {"enum": ["cat", "dog", None, 3]}, "ok": {"type": "boolean"}}, "required": ["kind", "ok"]},
    {"type": "object"},
]
assert len(SCHEMAS) == 20


def schema_format(schema, strict=True):
    return {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema, "strict": strict}}


for i, schema in enumerate(SCHEMAS):
    reply = client.chat.completions.create(model=model, messages=messages, max_tokens=120, temperature=1.0, seed=i,
                                           response_format=schema_format(schema, strict=i % 2 == 0))
    text = reply.choices[0].message.content
    jsonschema.validate(json.loads(text), schema)
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in client.chat.completions.create(
        model=model, messages=messages, max_tokens=120, temperature=1.0, seed=i, response_format=schema_format(schema), stream=True)
        if chunk.choices)
    jsonschema.validate(json.loads(streamed), schema)
    assert streamed == text, (i, streamed, text)

# A tight budget: the output is still complete (the grammar closes it in time).
tight = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=1.0, seed=1,
                                       response_format=schema_format(person))
jsonschema.validate(json.loads(tight.choices[0].message.content), person)

# On /v1/completions too, and n = 2 choices each valid.
two = client.completions.create(model=model, prompt="JSON:", max_tokens=80, temperature=1.0, seed=2, n=2,
                                extra_body={"response_format": schema_format(person)})
for choice in two.choices:
    jsonschema.validate(json.loads(choice.text), person)

# json_object: any object.
obj = client.chat.completions.create(model=model, messages=messages, max_tokens=80, temperature=1.0, seed=5,
                                     response_format={"type": "json_object"})
assert isinstance(json.loads(obj.choices[0].message.content), dict)

# A keyword the server cannot enforce is a 400 naming it.
try:
    client.chat.completions.create(model=model, messages=messages, max_tokens=8,
                                   response_format=schema_format({"type": "string", "pattern": "^a+$"}))
    raise AssertionError("an unsupported schema keyword was accepted")
except openai.BadRequestError as e:
    assert "pattern" in str(e), e

# Tool calls: forced (required, and a named function) always parse into the declared arguments.
weather = {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
           "required": ["city", "unit"]}
tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city", "parameters": weather}},
         {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"type": "string"}},
                                                                              "required": ["zone"]}}}]
ask = [{"role": "user", "content": "What is the weather in Paris?"}]
for seed, choice in enumerate(["required", {"type": "function", "function": {"name": "get_weather"}}] * 3):
    reply = client.chat.completions.create(model=model, messages=ask, tools=tools, tool_choice=choice, max_tokens=120, temperature=1.0,
                                           seed=seed)
    c = reply.choices[0]
    assert c.finish_reason == "tool_calls" and c.message.tool_calls, c
    for call in c.message.tool_calls:
        assert call.id.startswith("call_") and call.type == "function"
        declared = next(t["function"] for t in tools if t["function"]["name"] == call.function.name)
        if isinstance(choice, dict):
            assert call.function.name == "get_weather", call
        jsonschema.validate(json.loads(call.function.arguments), declared["parameters"])

# Streamed forced call: the call arrives as tool_calls deltas, then finish_reason tool_calls.
calls = {}
finish = None
for chunk in client.chat.completions.create(model=model, messages=ask, tools=tools, tool_choice="required", max_tokens=120,
                                            temperature=1.0, seed=9, stream=True):
    for choice in chunk.choices:
        for delta in choice.delta.tool_calls or []:
            entry = calls.setdefault(delta.index, {"name": "", "arguments": ""})
            entry["name"] += delta.function.name or ""
            entry["arguments"] += delta.function.arguments or ""
        finish = choice.finish_reason or finish
assert finish == "tool_calls" and calls, (finish, calls)
for entry in calls.values():
    declared = next(t["function"] for t in tools if t["function"]["name"] == entry["name"])
    jsonschema.validate(json.loads(entry["arguments"]), declared["parameters"])

# The round trip: the call and its result go back in, and the model answers.
call = reply.choices[0].message.tool_calls[0]
follow = client.chat.completions.create(model=model, max_tokens=16, temperature=0, tools=tools, messages=ask + [
    {"role": "assistant", "content": None, "tool_calls": [{"id": call.id, "type": "function",
                                                           "function": {"name": call.function.name, "arguments": call.function.arguments}}]},
    {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 degrees"}])
assert follow.choices[0].finish_reason in ("stop", "length", "tool_calls"), follow

# tool_choice none: no call, plain text.
none = client.chat.completions.create(model=model, messages=ask, tools=tools, tool_choice="none", max_tokens=16, temperature=0)
assert none.choices[0].message.tool_calls is None and none.choices[0].finish_reason != "tool_calls"

print("OK")
