#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ from the repository's own test data.

Run from the repository root: python3 fuzz/make_seeds.py. Deterministic; names are content
hashes, so re-running adds nothing new. Sources:
- restore_parser: the conformance files and Docker fixtures of testdata/, the non-canonical
  test data, and each rule line of them alone in a minimal table block;
- config_parser: the example config and every TOML snippet in dfw-core's policy tests;
- netlink_decoder: every captured netlink message/expression in dfw-netlink's golden tests;
- codec_roundtrip: deterministic pseudo-random byte strings (the input is a choice stream).
"""
import glob, hashlib, os, random, re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTDATA = os.path.join(ROOT, "testdata")


def put(target, data):
    d = os.path.join(ROOT, "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def restore():
    files = sorted(glob.glob(os.path.join(TESTDATA, "conformance", "rules.v[46]")))
    files += sorted(glob.glob(os.path.join(TESTDATA, "docker", "*.v[46]")))
    files += sorted(glob.glob(os.path.join(ROOT, "dfw-core", "tests", "data", "*.v[46]")))
    for path in files:
        text = open(path, "rb").read()
        put("restore_parser", text)
        table = None
        for line in text.decode().splitlines():
            if line.startswith("*"):
                table = line
            elif line.startswith("-") and table:
                put("restore_parser", f"{table}\n{line}\nCOMMIT\n".encode())


RUST_STR = re.compile(r'"((?:[^"\\]|\\.|\\\n)*)"', re.S)


def unescape(s):
    s = re.sub(r"\\\n\s*", "", s)
    return s.encode().decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")


def config():
    put("config_parser", open(os.path.join(ROOT, "examples", "dfw.toml"), "rb").read())
    for path in sorted(glob.glob(os.path.join(ROOT, "dfw-core", "tests", "pure", "policy_*.rs"))):
        for m in RUST_STR.finditer(open(path).read()):
            s = unescape(m.group(1))
            if s.lstrip().startswith("[") and "=" in s:
                put("config_parser", s.encode())


def netlink():
    src = open(os.path.join(ROOT, "dfw-netlink", "tests", "support", "common", "captured.rs")).read()
    for m in re.finditer(r"pub const \w+: &str = concat!\((.*?)\);", src, re.S):
        hexs = "".join(re.findall(r'"([0-9a-f]*)"', m.group(1)))
        if hexs:
            put("netlink_decoder", bytes.fromhex(hexs))


def codec():
    rng = random.Random(7)
    for n in range(40):
        put("codec_roundtrip", bytes(rng.randrange(256) for _ in range(8 + 6 * n)))


restore()
config()
netlink()
codec()
