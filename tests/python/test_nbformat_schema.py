"""Our nbformat schema (schema/nbformat.v4.schema.json) and our C# validator against nbformat's own validator.

For every notebook of the corpus in tests/data/notebooks/{valid,invalid}/ three verdicts must equal the folder's:
  1. Debian's python3-nbformat: nbformat.validate(notebook, repair_duplicate_cell_ids=False);
  2. jsonschema's Draft 7 validator with OUR schema file, plus the unique-cell-id rule a schema cannot state;
  3. our C# validator (`jupyter-rtc nbvalidate`, the code the server runs on every read and save).
Prints one line per disagreement and ends with `N passed, N failed` (one count per notebook and verdict)."""

import copy
import glob
import json
import os
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from jupyter_servers import REPO, build_dir  # noqa: E402

import jsonschema  # noqa: E402
import nbformat  # noqa: E402

warnings.simplefilter("ignore")
CORPUS = os.path.join(REPO, "tests", "data", "notebooks")
SCHEMA = json.load(open(os.path.join(REPO, "schema", "nbformat.v4.schema.json"), encoding="utf-8"))


def nbformat_verdict(nb):
    try:
        nbformat.validate(copy.deepcopy(nb), repair_duplicate_cell_ids=False)
        return True
    except Exception:  # nbformat raises ValidationError, or KeyError-like errors for broken structure
        return False


def our_schema_verdict(nb):
    validator = jsonschema.Draft7Validator(SCHEMA)
    if any(True for _ in validator.iter_errors(nb)):
        return False
    ids = [c.get("id") for c in nb.get("cells", []) if isinstance(c, dict) and "id" in c]
    return len(ids) == len(set(ids))


def main():
    files = sorted(glob.glob(os.path.join(CORPUS, "valid", "*.ipynb"))) + sorted(glob.glob(os.path.join(CORPUS, "invalid", "*.ipynb")))
    assert len(files) >= 40, f"corpus too small: {len(files)}"
    out = subprocess.run(["dotnet", os.path.join(build_dir(), "jupyter-rtc.dll"), "nbvalidate", *files],
                         capture_output=True, text=True, timeout=120)
    csharp = {}
    for line in out.stdout.splitlines():
        path, _, verdict = line.partition("\t")
        csharp[path] = verdict
    passed = failed = 0
    for f in files:
        expected = os.path.basename(os.path.dirname(f)) == "valid"
        nb = json.load(open(f, encoding="utf-8"))
        verdicts = {"nbformat": nbformat_verdict(nb), "our schema": our_schema_verdict(nb),
                    "C# validator": csharp.get(f, "missing") == "valid"}
        for who, ok in verdicts.items():
            if ok == expected:
                passed += 1
            else:
                failed += 1
                extra = f" ({csharp.get(f)})" if who == "C# validator" else ""
                print(f"FAIL {os.path.relpath(f, CORPUS)}: {who} says {'valid' if ok else 'invalid'}{extra}")
    print(f"{passed} passed, {failed} failed")
    return failed == 0


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
