#!/usr/bin/env python3
"""Rebuilds the seed corpus from the test fixtures: filter strings, PATCH bodies and policy
documents that the unit and API tests, tests/fixtures/ and the README use. Run from the
repository root: `python3 fuzz/seed.py`. Writes fuzz/corpus/<target>/seed-*; inputs libFuzzer
adds later (and crash reproducers, named regression-*) are left alone."""

import glob
import hashlib
import json
import os
import re
import tomllib

URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
# Names the Rust tests use inside json!(...) and format!(...), with a value of the same shape.
CONSTANTS = {
    "PATCH_OP_URN": json.dumps(PATCH_URN), "PATCH": json.dumps(PATCH_URN),
    "ENTERPRISE_URN": json.dumps(URN), "ENTERPRISE": json.dumps(URN), "ext": json.dumps(URN),
    "MANAGER_ID": '"01900000-0000-7000-8000-00000000000a"',
}
SOURCES = sorted(glob.glob("tests/api/*.rs") + glob.glob("src/scim/**/*.rs", recursive=True)
                 + glob.glob("src/domain/policy.rs"))


def rust_strings(text):
    """Rust string literals: raw r#"..."# and ordinary "..." with escapes."""
    for m in re.finditer(r'r#"(.*?)"#|"((?:[^"\\]|\\.)*)"', text, re.S):
        if m.group(1) is not None:
            yield m.group(1)
        else:
            try:
                yield json.loads('"' + m.group(2).replace("\\'", "'") + '"')
            except ValueError:
                pass


def json_macros(text):
    """The argument of every json!(...) that reads as JSON once constants are replaced."""
    for m in re.finditer(r"json!\(", text):
        depth, i = 0, m.end()
        for j in range(i, len(text)):
            if text[j] in "([{":
                depth += 1
            elif text[j] in ")]}":
                if depth == 0:
                    break
                depth -= 1
        body = text[i:j]
        for name, value in CONSTANTS.items():
            body = re.sub(rf"(?<![\w\"]){name}(?![\w\"])", value, body)
        try:
            yield json.loads(body)
        except ValueError:
            pass


FILTER_WORDS = re.compile(r"\s(eq|ne|co|sw|ew|gt|ge|lt|le)\s|\spr\b|\[", re.I)
filters, patches, policies = set(), set(), set()

for path in SOURCES:
    text = open(path, encoding="utf-8").read()
    for s in rust_strings(text):
        s = s.replace("{ext}", URN).replace("{created_bob}", "2026-01-01T00:00:00Z")
        if FILTER_WORDS.search(s) and "{" not in s and len(s) < 300 and "\n" not in s:
            filters.add(s)
    for value in json_macros(text):
        if isinstance(value, list) and value and all(isinstance(o, dict) and "op" in o for o in value):
            value = {"schemas": [PATCH_URN], "Operations": value}
        if isinstance(value, dict) and "Operations" in value:
            patches.add(json.dumps(value, ensure_ascii=False))
        if isinstance(value, dict) and "rules" in value:
            policies.add(json.dumps(value, ensure_ascii=False))

for path in sorted(glob.glob("tests/fixtures/**/*.json", recursive=True)):
    value = json.load(open(path, encoding="utf-8"))
    if isinstance(value, dict) and "Operations" in value:
        patches.add(json.dumps(value, ensure_ascii=False))
        for op in value["Operations"]:
            if isinstance(op, dict) and isinstance(op.get("path"), str):
                filters.add(op["path"])

# The README's policy example.
readme = open("README.md", encoding="utf-8").read()
for block in re.findall(r"```json\n(\{\"rules\".*?)```", readme, re.S):
    policies.add(json.dumps(json.loads(block), ensure_ascii=False))

# One rule per catalogue portal granting all its roles: every slug the validator knows.
catalog = tomllib.load(open("catalog/portals.toml", "rb"))
portals = next(v for v in catalog.values() if isinstance(v, list))
policies.add(json.dumps({"rules": [
    {"name": p["name"], "when": {"title": [p["slug"]]},
     "grant": {p["slug"]: [r["slug"] for r in p.get("roles", [])]}}
    for p in portals if p.get("roles")
]}, ensure_ascii=False))

for target, inputs in (("scim_filter", filters), ("scim_patch", patches), ("policy_document", policies)):
    directory = f"fuzz/corpus/{target}"
    os.makedirs(directory, exist_ok=True)
    for old in glob.glob(f"{directory}/seed-*"):
        os.remove(old)
    for text in sorted(inputs):
        name = hashlib.sha1(text.encode()).hexdigest()[:16]
        with open(f"{directory}/seed-{name}", "w", encoding="utf-8") as f:
            f.write(text)
    print(f"{target}: {len(inputs)} seeds")
