"""Differential suite: replay tests/differential/contents.json against Debian's Jupyter Server 1.23 and against
JupyterRtc, each on an identical fresh root, and compare what they answer step by step.

Run: /usr/bin/python3 tests/python/test_contents_differential.py [--self-check] [-v]
Prints one line per differing step and ends with `N passed, N failed` (one count per step).
Deliberate differences are declared in the script's "differences" list (and docs/compatibility.md), never silently."""

import base64
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from jupyter_servers import REPO, Server  # noqa: E402

SCRIPT = os.path.join(REPO, "tests", "differential", "contents.json")
# Timestamps differ by nature; hash/hash_algorithm are Jupyter Server 2.x fields that 1.23 does not have.
IGNORED_FIELDS = {"created", "last_modified", "hash", "hash_algorithm"}


def make_root(files):
    scratch = tempfile.mkdtemp(prefix="jrtc-diff-")
    root = os.path.join(scratch, "root")
    os.makedirs(root)
    for rel, spec in files.items():
        full = os.path.join(root, rel)
        if rel.endswith("/"):
            os.makedirs(full, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(full), exist_ok=True)
        data = base64.b64decode(spec["base64"]) if "base64" in spec else spec["text"].encode("utf-8")
        with open(full, "wb") as f:
            f.write(data)
    return scratch, root


def normalise_model(model, drop_message=False):
    if not isinstance(model, dict):
        return model
    out = {k: v for k, v in model.items() if k not in IGNORED_FIELDS and not (drop_message and k == "message")}
    if out.get("type") == "directory" and isinstance(out.get("content"), list):
        out["content"] = sorted((normalise_model(c) for c in out["content"]), key=lambda c: c.get("name", ""))
    return out


def explain(theirs, ours, path="", out=None):
    """The leaves where two JSON values differ, one line each (at most 20)."""
    out = [] if out is None else out
    if isinstance(theirs, dict) and isinstance(ours, dict):
        for k in sorted(set(theirs) | set(ours)):
            if k not in ours:
                out.append(f"  {path}/{k}: only jupyter has it: {json.dumps(theirs[k])[:200]}")
            elif k not in theirs:
                out.append(f"  {path}/{k}: only ours has it: {json.dumps(ours[k])[:200]}")
            else:
                explain(theirs[k], ours[k], f"{path}/{k}", out)
    elif (isinstance(theirs, list) and isinstance(ours, list) and len(theirs) != len(ours)
          and all(isinstance(x, dict) and "name" in x for x in theirs + ours)):
        names_t, names_o = {x["name"] for x in theirs}, {x["name"] for x in ours}
        out.append(f"  {path}: only jupyter lists {sorted(names_t - names_o)}, only ours lists {sorted(names_o - names_t)}")
    elif isinstance(theirs, list) and isinstance(ours, list) and len(theirs) == len(ours):
        for i, (a, b) in enumerate(zip(theirs, ours)):
            explain(a, b, f"{path}/{i}", out)
    elif theirs != ours:
        out.append(f"  {path}: jupyter={json.dumps(theirs)[:300]} ours={json.dumps(ours)[:300]}")
    return "\n".join(out[:20])


def observe(server, step):
    headers = dict(step.get("request_headers", {}))
    body = None
    if "body" in step:
        body = json.dumps(step["body"]).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "raw_body" in step:
        body = step["raw_body"].encode()
    elif step["method"] in ("POST", "PUT", "PATCH"):
        body = b""
    status, hdrs, payload = server.request(step["method"], step["url"], body, headers, raw=True)
    parsed = None
    if payload:
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = None
    lower = {k.lower(): v for k, v in hdrs.items()}
    return status, lower, payload, parsed


def compare(step, theirs, ours):
    """Returns a list of human-readable differences (empty when the step agrees)."""
    t_status, t_hdrs, t_raw, t_json = theirs
    o_status, o_hdrs, o_raw, o_json = ours
    problems = []
    if t_status != o_status:
        problems.append(f"status jupyter={t_status} ours={o_status}")
        return problems
    checks = step.get("compare", ["status", "model"])
    if "ignore_children" in step:
        drop = lambda j: dict(j, content=[c for c in j["content"] if c["name"] not in step["ignore_children"]]) \
            if isinstance(j, dict) and isinstance(j.get("content"), list) else j
        t_json, o_json = drop(t_json), drop(o_json)
    if t_status >= 400:
        # Error wording differs between server versions; what clients rely on is the status and a JSON message.
        if isinstance(t_json, dict) and "message" in t_json and not (isinstance(o_json, dict) and "message" in o_json):
            problems.append(f"error body: jupyter has a JSON message, ours={o_raw[:200]!r}")
        checks = [c for c in checks if c in ("status",)]
    for check in checks:
        if check == "model" and t_status != 204:
            if normalise_model(t_json) != normalise_model(o_json):
                problems.append("model differs:\n" + explain(normalise_model(t_json), normalise_model(o_json)))
        elif check == "model-without-message":
            if normalise_model(t_json, True) != normalise_model(o_json, True):
                problems.append("model differs:\n  jupyter=" + json.dumps(normalise_model(t_json, True), sort_keys=True)[:1500]
                                + "\n  ours   =" + json.dumps(normalise_model(o_json, True), sort_keys=True)[:1500])
        elif check == "has-message":
            if ("message" in (t_json or {})) != ("message" in (o_json or {})):
                problems.append(f"message presence jupyter={'message' in (t_json or {})} ours={'message' in (o_json or {})}")
        elif check == "body-bytes":
            if t_raw != o_raw:
                problems.append(f"body bytes differ:\n  jupyter={t_raw[:300]!r}\n  ours   ={o_raw[:300]!r}")
        elif check == "checkpoint-ids":
            ids = lambda j: sorted(c.get("id") for c in j) if isinstance(j, list) else (j or {}).get("id")
            if ids(t_json) != ids(o_json):
                problems.append(f"checkpoint ids jupyter={ids(t_json)} ours={ids(o_json)}")
    for h in step.get("headers", []):
        tv, ov = t_hdrs.get(h.lower()), o_hdrs.get(h.lower())
        if tv != ov:
            problems.append(f"header {h}: jupyter={tv!r} ours={ov!r}")
    return problems


def corpus_steps():
    """Every valid notebook of tests/data/notebooks saved through the API, read back as a model and as raw bytes:
    both servers must write byte-identical files (nbformat's layout) and serve identical models."""
    steps = []
    corpus = os.path.join(REPO, "tests", "data", "notebooks", "valid")
    for f in sorted(os.listdir(corpus)):
        if not f.endswith(".ipynb"):
            continue
        content = json.load(open(os.path.join(corpus, f), encoding="utf-8"))
        name = "corpus-" + f
        steps.append({"id": f"save-{name}", "method": "PUT", "url": f"api/contents/{name}",
                      "body": {"type": "notebook", "format": "json", "content": content}, "compare": ["status", "model-without-message", "has-message"]})
        steps.append({"id": f"raw-{name}", "method": "GET", "url": f"files/{name}", "compare": ["status", "body-bytes"]})
        steps.append({"id": f"get-{name}", "method": "GET", "url": f"api/contents/{name}"})
    return steps


def run():
    verbose = "-v" in sys.argv
    script = json.load(open(SCRIPT, encoding="utf-8"))
    script["steps"] += corpus_steps()
    differences = {d["step"]: d for d in script["differences"]}
    step_ids = [s["id"] for s in script["steps"]]
    assert len(step_ids) == len(set(step_ids)), "duplicate step ids"
    unknown = set(differences) - set(step_ids)
    assert not unknown, f"differences name unknown steps: {unknown}"

    observed = {}
    escapes = {}
    # --self-check replays the script against Jupyter Server twice: it proves the script itself is deterministic.
    kinds = {"jupyter": "jupyter", "ours": "jupyter" if "--self-check" in sys.argv else "ours"}
    for label, kind in kinds.items():
        scratch, root = make_root(script["files"])
        try:
            with Server(kind, root, extra_args=["--FileContentsManager.delete_to_trash=False"]) as server:
                observed[label] = [observe(server, step) for step in script["steps"]]
            # Anything written outside the root (an escaped path) would land in the scratch directory.
            escapes[label] = sorted(set(os.listdir(scratch)) - {"root"})
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    passed = failed = 0
    for i, step in enumerate(script["steps"]):
        theirs, ours = observed["jupyter"][i], observed["ours"][i]
        expected = differences.get(step["id"])
        if expected and "--self-check" not in sys.argv:
            ok = theirs[0] == expected["jupyter"] and ours[0] == expected["ours"]
            problems = [] if ok else [f"declared difference not observed: jupyter={theirs[0]} ours={ours[0]} "
                                      f"(expected {expected['jupyter']}/{expected['ours']})"]
        else:
            problems = compare(step, theirs, ours)
        if problems:
            failed += 1
            print(f"FAIL {step['id']}: {step['method']} {step['url']}")
            for p in problems:
                print("  " + p)
        else:
            passed += 1
            if verbose:
                print(f"ok   {step['id']} ({theirs[0]})")
    if escapes["ours"]:
        failed += 1
        print(f"FAIL path escape: our server wrote outside the root: {escapes['ours']}")
    else:
        passed += 1
    print(f"{passed} passed, {failed} failed")
    return failed == 0


if __name__ == "__main__":
    sys.exit(0 if run() else 1)
