#!/usr/bin/env python3
"""Check the Tech Pledge registry's log offline, with Python and `cryptography` alone.

    verify_log.py attestation ATTESTATION.jwt JWKS.json LOG_KEY [LEAF.json]
    verify_log.py witness STATE NEW_CHECKPOINT PROOF.json|- LOG_KEY

`attestation` checks an attestation's signature, the signed checkpoint it carries, and
that the entry it cites is in that checkpoint's tree; given the entry's public form
(/api/v1/log/leaves/{seq}), that the entry records what the attestation says.
`witness` checks a new checkpoint against the one kept in STATE (a consistency proof
from /api/v1/log/proofs/consistency, or - when the sizes are equal) and keeps it;
a log that shrank, forked or was rewritten is refused. See docs/audit-log.md.
"""

import base64
import hashlib
import json
import os
import sys
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Refused(Exception):
    pass


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def parse_key(vkey):
    """name+key id+base64(0x01, Ed25519 key), as /api/v1/log/key serves it."""
    name, key_id, key = vkey.strip().split("+", 2)
    data = base64.b64decode(key)
    if data[0] != 1 or len(data) != 33:
        raise Refused("not an Ed25519 verifier key")
    if hashlib.sha256(name.encode() + b"\n" + data).digest()[:4].hex() != key_id:
        raise Refused("the verifier key's id does not match")
    return name, data[1:]


def parse_keys(vkeys):
    """LOG_KEY: one verifier key, or several of one log (the retired ones too) joined by commas."""
    keys = [parse_key(k) for k in vkeys.split(",")]
    if len({name for name, _ in keys}) != 1:
        raise Refused("the keys name two logs")
    return keys


def checkpoint(note, keys):
    """A C2SP signed checkpoint, signed by one of the log's keys: (size, root)."""
    for key in keys:
        try:
            return checkpoint_by(note, key)
        except Refused as why:
            error = why
    raise error


def checkpoint_by(note, key):
    name, public = key
    body, _, signatures = note.partition("\n\n")
    body += "\n"
    want = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    for line in signatures.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "\u2014" or parts[1] != name:
            continue
        blob = base64.b64decode(parts[2])
        if blob[:4] != want:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(blob[4:], body.encode())
        except Exception:
            continue
        origin, size, root = body.splitlines()[:3]
        if origin != name:
            raise Refused(f"the checkpoint is of {origin}, not {name}")
        return int(size), base64.b64decode(root)
    raise Refused("no valid signature by the log's key on the checkpoint")


def included(leaf, index, size, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def consistent(old, new, proof, old_root, new_root):
    """RFC 9162 section 2.1.4.2."""
    if old == new:
        return not proof and old_root == new_root
    if old == 0 or old > new or not proof:
        return False
    path = ([old_root] if old & (old - 1) == 0 else []) + proof
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


def attestation(token_file, jwks_file, vkey, leaf_file=None):
    token = open(token_file).read().strip()
    head, payload, signature = token.split(".")
    kid = json.loads(b64url(head))["kid"]
    jwk = next((k for k in json.load(open(jwks_file))["keys"] if k.get("kid") == kid), None)
    if jwk is None or jwk.get("crv") != "Ed25519":
        raise Refused(f"key {kid} is not published")
    try:
        Ed25519PublicKey.from_public_bytes(b64url(jwk["x"])).verify(
            b64url(signature), f"{head}.{payload}".encode())
    except Exception:
        raise Refused("the attestation's signature does not verify")
    claims = json.loads(b64url(payload))
    if claims["aud"] != "pledge-registry:attestation" or claims["exp"] < time.time():
        raise Refused("not an attestation, or expired")
    cited = claims["log"]
    keys = parse_keys(vkey)
    size, root = checkpoint(cited["checkpoint"], keys)
    host = claims["iss"].split("://", 1)[-1].rstrip("/")
    if keys[0][0] != host + "/tech-pledge-log":
        raise Refused("the log's key is not the issuer's")
    leaf_hash = base64.b64decode(cited["leaf_hash"])
    proof = [base64.b64decode(h) for h in cited["inclusion"]]
    if not included(leaf_hash, cited["seq"] - 1, size, proof, root):
        raise Refused(f"entry {cited['seq']} is not in the checkpoint's tree")
    print(f"attestation verifies: {claims['supplier_name']} is {claims['status']}; "
          f"entry {cited['seq']} is in the signed checkpoint of {size} entries")
    if leaf_file:
        form = open(leaf_file, "rb").read()
        if hashlib.sha256(b"\x00" + form).digest() != leaf_hash:
            raise Refused("the entry's public form does not hash to the cited leaf")
        entry = json.loads(form)
        public = entry["public"]
        same = {"name": "supplier_name", "slug": "supplier_slug", "status": "status",
                "company_number": "company_number", "pledge_version": "pledge_version",
                "signed_current_version": "signed_current_version",
                "identity_verified": "identity_verified", "evidence_summary": "evidence_health"}
        if entry["seq"] != cited["seq"] or entry["supplier_id"] != claims["sub"] or any(
                public.get(f) != claims[c] for f, c in same.items()):
            raise Refused("the entry does not record what the attestation says")
        print(f"entry {cited['seq']} records what the attestation says")


def witness(state, new_file, proof_file, vkey):
    key = parse_keys(vkey)
    note = open(new_file).read()
    size, root = checkpoint(note, key)
    if os.path.exists(state):
        old, old_root = checkpoint(open(state).read(), key)
        if size < old:
            raise Refused(f"the log shrank from {old} to {size} entries: entries were deleted")
        if size == old and root != old_root:
            raise Refused(f"a fork: two different logs of {size} entries were signed")
        if size > old:
            proof = json.load(open(proof_file)) if proof_file != "-" else None
            if not proof or (proof["from"], proof["to"]) != (old, size) or not consistent(
                    old, size, [base64.b64decode(h) for h in proof["hashes"]], old_root, root):
                raise Refused(f"the log of {size} entries does not extend the one of {old} "
                              "kept: an entry was rewritten or the log forked")
    with open(state + ".new", "w") as f:
        f.write(note)
    os.replace(state + ".new", state)
    print(f"consistent; kept the checkpoint of {size} entries")


if __name__ == "__main__":
    try:
        if len(sys.argv) in (5, 6) and sys.argv[1] == "attestation":
            attestation(*sys.argv[2:])
        elif len(sys.argv) == 6 and sys.argv[1] == "witness":
            witness(*sys.argv[2:])
        else:
            sys.exit(__doc__)
    except Refused as why:
        sys.exit(f"REFUSED: {why}")
