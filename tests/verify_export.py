#!/usr/bin/env python3
"""Check a Portcullis audit export (JSON Lines) without Portcullis: the README's recipe, written
out. Usage: verify_export.py EXPORT.jsonl PUBLIC_KEY_HEX [--hashes-only]

Signatures need the `cryptography` package (pip install cryptography); --hashes-only checks the
hash chain alone. Exit status 0 when the export is whole and intact, 1 when it is not."""

import hashlib
import json
import sys

GENESIS = bytes(32)
PREFIX = "portcullis-audit-checkpoint:v1"


def canonical(r):
    fields = [r["practice_id"], r["seq"], r["at"], r["actor"], r["action"], r["target"],
              r["detail"], r["request_id"]]
    return json.dumps(fields, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode("utf-8")


def message(practice, d):
    return "\n".join([PREFIX, practice, str(d["seq"]), d["hash"], str(d["count"]), d["at"],
                      d["reason"]]).encode("utf-8")


def fail(line, seq, why):
    print(f"line {line}, record {seq}: {why}")
    sys.exit(1)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    hashes_only = "--hashes-only" in sys.argv
    path, key_hex = args
    public = bytes.fromhex(key_hex)
    key_id = hashlib.sha256(public).hexdigest()[:16]
    verify = None
    if not hashes_only:
        try:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        except ImportError:
            print("cannot check signatures without the `cryptography` package "
                  "(or pass --hashes-only)")
            sys.exit(2)
        verify = Ed25519PublicKey.from_public_bytes(public).verify

    prev_seq, prev_hash, last_checkpoint, practice, number = 0, GENESIS, None, None, 0
    with open(path, encoding="utf-8") as lines:
        for number, text in enumerate(lines, 1):
            if not text.strip():
                continue
            r = json.loads(text)
            seq = r["seq"]
            practice = practice or r["practice_id"]
            if r["practice_id"] != practice:
                fail(number, seq, "another practice")
            if seq != prev_seq + 1:
                fail(number, seq, f"gap: expected record {prev_seq + 1}")
            if bytes.fromhex(r["prev_hash"]) != prev_hash:
                fail(number, seq, "does not link to the previous record")
            digest = hashlib.sha256(prev_hash + canonical(r)).digest()
            if digest.hex() != r["hash"]:
                fail(number, seq, "altered: its content does not match its hash")
            if r["action"] == "audit.checkpoint":
                d = r["detail"]
                if (d["seq"], d["hash"], d["count"]) != (seq - 1, prev_hash.hex(), seq - 1):
                    fail(number, seq, "the checkpoint does not describe the chain before it")
                if d["key_id"] != key_id:
                    fail(number, seq, f"signed by key {d['key_id']}, not by {key_id}")
                if verify is not None:
                    try:
                        verify(bytes.fromhex(d["signature"]), message(practice, d))
                    except Exception:
                        fail(number, seq, "the signature does not verify")
                last_checkpoint = (seq, d)
            prev_seq, prev_hash = seq, digest
    if last_checkpoint is None or last_checkpoint[0] != prev_seq \
            or last_checkpoint[1]["reason"] != "export":
        fail(number, prev_seq, "missing tail: the export does not end with its own checkpoint")
    signed = "hashes only, signatures not checked" if verify is None else "signatures checked"
    print(f"export verified: {prev_seq} records, ends at the export checkpoint of record "
          f"{last_checkpoint[1]['seq']} signed at {last_checkpoint[1]['at']} ({signed})")


if __name__ == "__main__":
    main()
