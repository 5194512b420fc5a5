#!/usr/bin/env python3
"""Reference renders by Python's jinja2, configured as Hugging Face's apply_chat_template
configures it, for strata's Jinja interpreter tests.

Writes, beside this script:
  jinja2-renders.json  the 10 templates here, each with more conversations than rendered.json
                       (tool calls and results, no generation prompt, thinking history,
                       enable_thinking false), rendered with the variables Hugging Face passes
  jinja2-cases.json    small templates covering the interpreter's features one by one

Every entry holds the exact variables it was rendered with ("context") and either the output
("output") or, where jinja2 raised, the error ("error": exception type and message).

Environment (transformers' chat template setup): ImmutableSandboxedEnvironment with
trim_blocks=True, lstrip_blocks=True and the loopcontrols extension; tojson as
json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys);
raise_exception raising TemplateError; strftime_now formatting a fixed date, 2026-12-03 00:00.

Run with jinja2 3.1.x (made with 3.1.6): python3 make_jinja2_references.py
"""
import json
import os
from datetime import datetime

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = datetime(2026, 12, 3, 0, 0, 0)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: NOW.strftime(fmt)
    return env


def render(env, source, context):
    try:
        return {"output": env.from_string(source).render(**context)}
    except Exception as e:  # the reference records what jinja2 raised
        return {"error": f"{type(e).__name__}: {e}"}


def template_renders(env):
    shared = json.load(open(os.path.join(HERE, "rendered.json")))
    conversations = dict(shared["conversations"])
    tools = shared["tools"]
    conversations["tool_round"] = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call12345", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "tool_call_id": "call12345", "content": "{\"temperature\": 18, \"sky\": \"clear\"}"},
        {"role": "assistant", "content": "It is 18 \u00b0C and clear in Paris."},
        {"role": "user", "content": "Thanks!"},
    ]
    conversations["thinking_history"] = [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "<think>\nSimple sum.\n</think>\n\nIt is 4."},
        {"role": "user", "content": "And 3+3?"},
    ]
    cases = []
    for name in sorted(shared["templates"]):
        source = open(os.path.join(HERE, name)).read()
        variants = [(conversation, {}) for conversation in conversations]
        variants += [("user_only+tools", {"tools": tools}), ("tool_round+tools", {"tools": tools}),
                     ("multi_turn+no_generation_prompt", {"add_generation_prompt": False}),
                     ("user_only+no_thinking", {"enable_thinking": False})]
        for label, extra in variants:
            context = {"messages": conversations[label.split("+")[0]], "add_generation_prompt": True,
                       "bos_token": "<|im_start|>", "eos_token": "<|im_end|>"}
            context.update(extra)
            cases.append({"template": name, "name": label, "context": context, **render(env, source, context)})
    return cases


# (name, template, variables): small templates, one feature or a few each.
UNIT = [
    # Whitespace control: trim_blocks, lstrip_blocks, -, +, comments, raw, newlines.
    ("trim_blocks removes the newline after a block tag", "{% if true %}\nA\n{% endif %}\nB", {}),
    ("lstrip_blocks removes indentation before a block tag", "  {% if true %}\n  x\n  {% endif %}\n", {}),
    ("minus strips whitespace and newlines on its side", "a  \n  {%- if true -%}  \n b {%- endif %}", {}),
    ("minus on outputs", "a \n {{- 'x' -}} \n b", {}),
    ("plus keeps the indentation", "  {%+ if true %}x{% endif %}", {}),
    ("plus keeps the newline", "{% if true +%}\nx{% endif %}", {}),
    ("comments are trimmed like blocks", "a\n{# c #}\nb\n  {# d #}\nc {#- e -#} d", {}),
    ("outputs are not lstripped", "  {{ 'x' }}\n  y", {}),
    ("one trailing newline is dropped", "x\n\n", {}),
    ("raw blocks are text", "{% raw %}{{ x }}{% if %}{% endraw %}!", {}),
    ("CRLF reads as LF", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\nc", {}),
    ("indentation after a stripping tag", "{% if true -%}\n   x\n   {% endif %}y", {}),
    ("lstrip needs only whitespace before the tag", "a {% if true %}b{% endif %}\n x {% if true %}y{% endif %}", {}),
    ("an output between tags on one line", "{% for m in xs %}\n  {{ m }}\n{% endfor %}\n", {"xs": [1, 2]}),
    # Loops.
    ("loop variables", "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
     "{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}", {"xs": ["a", "b", "c"]}),
    ("previtem and nextitem", "{% for x in xs %}[{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }}]{% endfor %}", {"xs": [1, 2, 3]}),
    ("for else", "{% for x in [] %}x{% else %}empty{% endfor %}{% for x in [1] %}one{% else %}no{% endfor %}", {}),
    ("a filtered loop counts only kept items", "{% for x in xs if x > 1 %}{{ loop.index }}/{{ loop.length }}:{{ x }} {% endfor %}", {"xs": [1, 2, 3, 0, 5]}),
    ("unpacking items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for (a, b) in [[1, 2]] %}{{ a + b }}{% endfor %}", {"d": {"z": 1, "a": 2}}),
    ("a dict iterates its keys in order", "{% for k in d %}{{ k }}{% endfor %}", {"d": {"z": 1, "a": 2, "m": 3}}),
    ("a string iterates its characters", "{% for c in 'h\u00e9!' %}[{{ c }}]{% endfor %}", {}),
    ("sets inside a loop do not leak", "{% set y = 1 %}{% for x in [1, 2] %}{{ y }}{% set y = x + 10 %}{{ y }} {% endfor %}{{ y }}", {}),
    ("break and continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", {}),
    ("loop.cycle", "{% for x in range(5) %}{{ loop.cycle('a', 'b') }}{% endfor %}", {}),
    ("nested loops have their own loop", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }}|{% endfor %}", {}),
    ("the loop variable can be reassigned", "{% for t in ts %}{% set t = t.f if t.f is defined else t %}{{ t.n }}{% endfor %}", {"ts": [{"f": {"n": 1}}, {"n": 2}]}),
    ("iterating undefined is empty", "{% for x in nothing %}x{% else %}none{% endfor %}", {}),
    # Assignment, namespaces, macros.
    ("namespace attributes survive loops", "{% set ns = namespace(a=1, found=false) %}{% for x in [1, 2, 3] %}{% set ns.a = ns.a + x %}"
     "{% if x == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.a }} {{ ns.found }}", {}),
    ("an empty namespace", "{% set ns = namespace() %}{% set ns.index = 0 %}{% for m in xs %}{% set ns.index = ns.index + 1 %}{% endfor %}{{ ns.index }}", {"xs": [1, 2, 3]}),
    ("tuple assignment", "{% set a, b = [1, 2] %}{{ a }}{{ b }}{% set c = 1, 2 %}{{ c | join('+') }}", {}),
    ("block assignment", "{% set x %}hi {{ 1 + 1 }}{% endset %}[{{ x }}]", {}),
    ("top-level sets inside if are visible", "{% if true %}{% set z = 3 %}{% endif %}{{ z }}", {}),
    ("a variable shadows the context", "{% set messages = messages[1:] %}{{ messages | length }}", {"messages": [1, 2, 3]}),
    ("macros with defaults and keywords", "{% macro m(a, b='B', c=none) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ m(1) }} {{ m(1, 2) }} {{ m(1, c=3) }} {{ m(a='x', b='y') }}", {}),
    ("recursive macros", "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}", {}),
    ("a macro sees the top level, not the caller's loop", "{% set g = 'G' %}{% macro m() %}{{ g }}{{ x }}{% endmacro %}{% for x in [1] %}{{ m() }}{% endfor %}", {}),
    ("macro output joins strings", "{% macro t(v) %}{{ v | upper }}{% endmacro %}{{ 'list[' + t('int') + ']' }}", {}),
    # Expressions.
    ("arithmetic", "{{ 1 + 2 * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 3 / 2 }} {{ 4 / 2 }} {{ 1.5 + 1 }} "
     "{{ 0.1 + 0.2 }} {{ 2 ** -1 }} {{ -2 ** 2 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 1e3 }} {{ 1_000 }} {{ 0x1f }} {{ 1e16 }} {{ 1e-5 }} {{ 123456789.0 }}", {}),
    ("string operators", "{{ 'a' ~ 1 ~ none ~ true ~ nothing }} {{ 'ab' * 3 }} {{ 'a' + 'b' }} {{ [1] + [2] }} {{ [0] * 2 }}", {}),
    ("comparison chains", "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' < 'b' }} {{ 1 == 1.0 }} {{ true == 1 }} {{ [1, 2] == [1, 2] }} {{ {'a': 1, 'b': 2} == {'b': 2, 'a': 1} }} {{ none == none }} {{ 2 >= 2 }}", {}),
    ("in and not in", "{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }} {{ not 'z' in 'abc' }} {{ '' in 'a' }}", {}),
    ("conditional expressions", "{{ 'y' if true else 'n' }}[{{ 'y' if false }}]{{ 'a' if false else 'b' if true else 'c' }}", {}),
    ("and and or return operands", "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ none or [] }} {{ '' and 1 }} {{ not none }} {{ not 'a' }}", {}),
    ("values print as Python", "{{ [1, 'a', none, true, 1.0, {'k': 'v'}] }} {{ (1, 2) | tojson }} {{ \"it's\" }} {{ ['it\\'s', 'say \"x\"'] }} {{ 2.50 }} {{ -0.0 }} {{ {} }}", {}),
    ("string escapes", "{{ 'a\\tb\\n\\u00e9\\x41\\\\' }}|{{ \"q\\\"\" }}|{{ 'x' 'y' }}", {}),
    ("slices", "{{ xs[1:] }} {{ xs[::-1] }} {{ xs[-2:] }} {{ 'hello'[1:3] }} {{ 'hello'[::-1] }} {{ xs[::2] }} {{ xs[5:] }} {{ xs[:-1] }} {{ xs[-1:0:-1] }}", {"xs": [1, 2, 3, 4]}),
    ("subscripts and attributes", "{{ d.a }} {{ d['a'] }} {{ xs[0] }} {{ xs[-1] }}|{{ xs[10] }}|{{ d.missing }}|{{ d.n.m }}|{{ xs.0 }}", {"d": {"a": 1, "n": {"m": "deep"}}, "xs": [5, 6]}),
    ("attributes of none are undefined", "[{{ n.x }}]{{ n.x is defined }}", {"n": None}),
    ("a dict's methods come before its keys", "{{ d.items is defined }} {{ d['items'] }} {{ d.get('items') }}", {"d": {"items": [1]}}),
    ("dict methods", "{{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 5) }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.items() | list | tojson }}", {"d": {"a": 1, "b": [2]}}),
    ("dict literals keep their order", "{{ {'z': 1, 'a': 2} | tojson }} {% set m = {'s': 'str', 'n': 'num'} %}{{ m['n'] }}", {}),
    ("range", "{{ range(3) | list }} {{ range(1, 10, 3) | list }} {{ range(5, 0, -2) | list }} {{ range(0) | list }}", {}),
    ("dict()", "{{ dict(a=1, b='x') | tojson }}", {}),
    # Tests.
    ("defined and undefined", "{{ x is defined }} {{ x is undefined }} {{ d.a is defined }} {{ d.b is not defined }} {{ none is none }} {{ d.a is not none }}", {"d": {"a": 0}}),
    ("type tests", "{{ 's' is string }} {{ 1 is string }} {{ d is mapping }} {{ xs is mapping }} {{ xs is iterable }} {{ 's' is iterable }} {{ 1 is iterable }} "
     "{{ d is sequence }} {{ 1 is number }} {{ 1.5 is number }} {{ true is number }} {{ 1 is integer }} {{ true is integer }} {{ 1.0 is float }} "
     "{{ true is boolean }} {{ 1 is boolean }} {{ nothing is iterable }} {{ none is iterable }}", {"d": {}, "xs": []}),
    ("value tests", "{{ true is true }} {{ 1 is true }} {{ false is false }} {{ 0 is false }} {{ 3 is odd }} {{ 3 is even }} {{ 9 is divisibleby 3 }} "
     "{{ 2 is in [1, 2] }} {{ 'a' is in 'abc' }} {{ none is sameas none }} {{ false is sameas false }} {{ 1 is equalto 1 }} {{ 1 is eq 2 }} "
     "{{ 'ab' is lower }} {{ 'AB' is upper }} {{ 3 is gt 2 }} {{ 3 is lt 2 }} {{ 3 is ge 3 }} {{ 'x' is ne 'y' }} {{ range is callable }} {{ 'x' is callable }}", {}),
    ("tests bind tighter than not and and", "{{ not x is defined and true }} {{ x is not defined or false }}", {}),
    # Filters.
    ("trim", "[{{ '  a b \\n' | trim }}][{{ 'xxaxx' | trim('x') }}][{{ nothing | trim }}][{{ '\\u3000 wide \\u00a0' | trim }}]", {}),
    ("tojson like Hugging Face", "{{ v | tojson }}\n{{ v | tojson(indent=2) }}\n{{ [] | tojson(indent=4) }} {{ {} | tojson }} {{ 'caf\u00e9 \"q\" \\\\ \\n \\t \\u0001 </tag>' | tojson }} "
     "{{ 'caf\u00e9' | tojson(ensure_ascii=true) }} {{ v | tojson(sort_keys=true) }} {{ [1.0, 2.5, -0.0, 1e20, 3] | tojson }} {{ v | tojson(separators=(',', ':')) }}",
     {"v": {"name": "f", "args": {"b": [1, 2, {"c": None}], "a": True}, "x": 1.5, "s": "\u00e9"}}),
    ("length and count", "{{ 'h\u00e9llo' | length }} {{ xs | length }} {{ d | count }} {{ nothing | length }}", {"xs": [1, 2], "d": {"a": 1}}),
    ("first and last", "{{ xs | first }} {{ xs | last }} {{ 'abc' | first }} {{ 'abc' | last }} [{{ [] | first }}] {{ d | first }}", {"xs": [1, 2, 3], "d": {"k": 1, "j": 2}}),
    ("join", "{{ xs | join }} {{ xs | join(', ') }} {{ ts | join('-', attribute='n') }} {{ [1, none, 'a'] | join('|') }}", {"xs": ["a", "b"], "ts": [{"n": 1}, {"n": 2}]}),
    ("default", "{{ nothing | default('d') }} {{ '' | default('d') }} {{ '' | default('d', true) }} {{ none | default('d') }} {{ nothing | d('short') }} [{{ nothing | default }}]", {}),
    ("case filters", "{{ 'hello WORLD' | lower }} {{ 'hello' | upper }} {{ 'hello WORLD' | capitalize }} {{ \"hello world's-best (x) o'neil\" | title }}", {}),
    ("string, int, float, list", "{{ 5 | string }} {{ none | string }} {{ '42' | int }} {{ ' 7 ' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(3) }} {{ 3.9 | int }} "
     "{{ true | int }} {{ '1.5' | float }} {{ 'x' | float }} {{ 2 | float }} {{ 'ab' | list }} {{ {'k': 1} | list }}", {}),
    ("items filter", "{% for k, v in d | items %}{{ k }}:{{ v }} {% endfor %}{{ nothing | items | list }}", {"d": {"b": 1, "a": 2}}),
    ("select and reject", "{{ ms | selectattr('role', 'equalto', 'user') | map(attribute='content') | list }} {{ ms | rejectattr('role', 'equalto', 'user') | list | length }} "
     "{{ ms | selectattr('tool') | list | length }} {{ [1, 0, 2, none] | select | list }} {{ [1, 2, 3, 4] | reject('odd') | list }} {{ ['a', 'code', 'b'] | reject('equalto', 'code') | join(', ') }}",
     {"ms": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "tool": 1}, {"role": "user", "content": "c"}]}),
    ("map", "{{ ['a', 'b'] | map('upper') | list }} {{ ts | map(attribute='f.n') | list }} {{ ts | map(attribute='zz', default='-') | list }} {{ ['1', '2'] | map('int') | list }}",
     {"ts": [{"f": {"n": 1}}, {"f": {"n": 2}}]}),
    ("safe, replace, abs, reverse", "{{ '<b>' | safe }} {{ 'aaa' | replace('a', 'b') }} {{ 'aaa' | replace('a', 'b', 2) }} {{ -3 | abs }} {{ -2.5 | abs }} {{ [1, 2, 3] | reverse | list }} {{ 'abc' | reverse }}", {}),
    ("filters bind tighter than operators", "{{ 'a' + ' b ' | trim + 'c' }} {{ -1 | abs }} {{ 'x' ~ xs | length }}", {"xs": [1, 2]}),
    # String methods.
    ("strip methods", "[{{ ' a '.strip() }}][{{ 'xax'.strip('x') }}][{{ '\\n\\na\\n'.lstrip('\\n') }}][{{ 'a\\n\\n'.rstrip('\\n') }}][{{ '  a'.lstrip() }}][{{ 'a  '.rstrip() }}]", {}),
    ("split", "{{ 'a b  c'.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ '  a b  '.split(none, 1) }} {{ '<think>x</think>y'.split('</think>')[-1] }}", {}),
    ("startswith and endswith", "{{ 'hello'.startswith('he') }} {{ 'hello'.endswith('lo') }} {{ 'hello'.startswith(('x', 'h')) }} {{ 'hello'.endswith('x') }}", {}),
    ("replace, case, find, count, join", "{{ 'aXbXc'.replace('X', '-') }} {{ 'aXbXc'.replace('X', '', 1) }} {{ 'hello world'.upper() }} {{ 'HeLLo'.lower() }} "
     "{{ \"they're bill's\".title() }} {{ 'hELLO'.capitalize() }} {{ 'hello'.find('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} {{ ', '.join(['a', 'b']) }}", {}),
    ("methods on message content", "{% set c = m.content %}{% if '</think>' in c %}{{ c.split('</think>')[-1].lstrip('\\n') }}|{{ c.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}{% endif %}",
     {"m": {"content": "<think>\nreason\n</think>\n\nanswer"}}),
    # Functions and errors.
    ("strftime_now", "{{ strftime_now('%d %b %Y') }} {{ strftime_now('%Y-%m-%d %H:%M:%S %A %B') }} {{ strftime_now is defined }}", {}),
    ("raise_exception", "{% if true %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}", {}),
    ("an attribute of an undefined variable is an error", "{{ x.y }}", {}),
    ("adding a string and an int is an error", "{{ 'a' + 1 }}", {}),
    ("iterating none is an error", "{% for x in none %}{% endfor %}", {}),
]


def unit_cases(env):
    return [{"name": name, "template": source, "context": context, **render(env, source, context)} for name, source, context in UNIT]


def main():
    env = environment()
    for file, cases in (("jinja2-renders.json", template_renders(env)), ("jinja2-cases.json", unit_cases(env))):
        with open(os.path.join(HERE, file), "w") as f:
            json.dump({"engine": f"jinja2 {jinja2.__version__} (Hugging Face apply_chat_template setup)", "cases": cases},
                      f, ensure_ascii=False, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
