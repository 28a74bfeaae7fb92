"""Writes the notebook corpus used by the nbformat validation tests (and, later, by the collaboration round trips).
Run with any Python 3: python3 tests/data/notebooks/generate.py. Each file name says what it exercises; files under
valid/ must be accepted and files under invalid/ refused by nbformat's own validator (Debian's python3-nbformat),
by our schema under jsonschema, and by our C# validator; tests/python/test_nbformat_schema.py checks all three."""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def nb(cells, minor=5, metadata=None):
    return {"cells": cells, "metadata": metadata if metadata is not None else {}, "nbformat": 4, "nbformat_minor": minor}


def code(src="print(1)", outputs=None, count=None, cid=None, metadata=None):
    c = {"cell_type": "code", "execution_count": count, "metadata": metadata or {}, "outputs": outputs or [], "source": src}
    if cid:
        c["id"] = cid
    return c


def md(src="# Title", cid=None, metadata=None, attachments=None):
    c = {"cell_type": "markdown", "metadata": metadata or {}, "source": src}
    if cid:
        c["id"] = cid
    if attachments is not None:
        c["attachments"] = attachments
    return c


def raw(src="raw text", cid=None, metadata=None):
    c = {"cell_type": "raw", "metadata": metadata or {}, "source": src}
    if cid:
        c["id"] = cid
    return c


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\n"
KS = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
      "language_info": {"name": "python", "version": "3.11.2", "mimetype": "text/x-python", "file_extension": ".py",
                        "codemirror_mode": {"name": "ipython", "version": 3}, "pygments_lexer": "ipython3",
                        "nbconvert_exporter": "python"}}
stream = {"name": "stdout", "output_type": "stream", "text": ["line 1\n", "line 2\n"]}
stderr = {"name": "stderr", "output_type": "stream", "text": "warning!\n"}
result = {"data": {"text/plain": ["2"]}, "execution_count": 3, "metadata": {}, "output_type": "execute_result"}
display = {"data": {"image/png": PNG, "text/plain": ["<Figure>"]}, "metadata": {"image/png": {"width": 1}}, "output_type": "display_data"}
html = {"data": {"text/html": ["<b>bold</b>\n", "<i>it</i>"], "text/plain": "x"}, "metadata": {}, "output_type": "display_data"}
jsonout = {"data": {"application/json": {"a": [1, 2.5, None, True, "s"]}, "application/vnd.custom+json": [1, 2],
                    "text/plain": "{}"}, "metadata": {}, "output_type": "display_data"}
error = {"ename": "ZeroDivisionError", "evalue": "division by zero", "output_type": "error",
         "traceback": ["\u001b[0;31m---------------------------------------------------------------------------\u001b[0m",
                       "\u001b[0;31mZeroDivisionError\u001b[0m: division by zero"]}

valid = {
    "empty-4.5": nb([]),
    "empty-4.0": nb([], minor=0),
    "minimal-code-4.5": nb([code(cid="c1")]),
    "every-output-type-4.5": nb([code("1/0", [stream, stderr, result, display, html, jsonout, error], 3, "all-out")], metadata=KS),
    "every-output-type-4.4": nb([code("1/0", [stream, stderr, result, display, html, jsonout, error], 3)], minor=4, metadata=KS),
    "three-cell-types-4.5": nb([md(cid="m1"), code(cid="c1"), raw(cid="r1", metadata={"format": "text/x-rst"})]),
    "three-cell-types-4.1": nb([md(), code(), raw()], minor=1),
    "attachments-4.5": nb([md("![x](attachment:x.png)", "att", attachments={"x.png": {"image/png": PNG}})]),
    "attachments-4.2": nb([md("![x](attachment:x.png)", attachments={"x.png": {"image/png": PNG}})], minor=2),
    "metadata-every-json-type": nb([code(cid="meta", metadata={"tags": ["a", "b"], "collapsed": False, "scrolled": "auto",
                                                                "jupyter": {"source_hidden": True, "outputs_hidden": False},
                                                                "execution": {"iopub.status.busy": "2026-01-01T00:00:00Z"},
                                                                "custom": {"int": 1, "float": 1.5, "neg": -2, "big": 12345678901234567890,
                                                                           "null": None, "bool": True, "list": [1, "two", [3]],
                                                                           "nested": {"deep": {"deeper": {}}}}})],
                                   metadata={**KS, "title": "T", "authors": [{"name": "Ada"}], "extra": [None, 0.1]}),
    "emoji-and-astral": nb([md("# 😀 Ünïcödé 𝄞 漢字", "emoji"), code("s = '👩‍👩‍👧‍👦'\nprint(s)", [{"name": "stdout", "output_type": "stream", "text": "👩‍👩‍👧‍👦\n"}], 1, "emo2")]),
    "crlf-sources": nb([code("a = 1\r\nb = 2\r\n", cid="crlf"), md("line\r\nline2", "crlf2")]),
    "source-as-list": nb([code(["import os\n", "print(os.getcwd())"], cid="list")]),
    "large-output": nb([code("for i in range(5000): print(i)", [{"name": "stdout", "output_type": "stream",
                                                                    "text": [f"{i}\n" for i in range(5000)]}], 1, "large")]),
    "many-cells": nb([code(f"x{i} = {i}", cid=f"cell-{i}") for i in range(300)]),
    "execution-count-zero": nb([code(count=0, cid="zero", outputs=[dict(result, execution_count=0)])]),
    "unknown-metadata-keys": nb([code(cid="u", metadata={"vscode": {"languageId": "python"}})], metadata={"widgets": {"state": {}}}),
    "raw-with-mimetype-4.3": nb([raw(metadata={"raw_mimetype": "text/html"})], minor=3),
    "kernelspec-only": nb([code(cid="k")], metadata={"kernelspec": {"name": "ir", "display_name": "R"}}),
    "future-minor-4.6": nb([code(cid="fut")], minor=6),
    "stream-as-string-and-interleaved": nb([code("import sys", [{"name": "stdout", "output_type": "stream", "text": "out 1\nout 2\n"},
                                                                stderr, {"name": "stdout", "output_type": "stream", "text": "out 3"}], 2, "inter")]),
    "progress-bar-control-chars": nb([code("tqdm", [{"name": "stderr", "output_type": "stream",
                                                     "text": "  0%|          | 0/3\r 33%|###3      | 1/3\r100%|##########| 3/3\n"},
                                                    {"name": "stdout", "output_type": "stream", "text": "abc\bd \u001b[31mred\u001b[0m\n"}], 5, "tqdm")]),
    "rich-mime-outputs": nb([code("display()", [
        {"data": {"image/svg+xml": ["<svg xmlns=\"http://www.w3.org/2000/svg\">\n", "<circle r=\"1\"/>\n", "</svg>"],
                  "text/latex": ["$$\\frac{1}{2}$$"], "text/markdown": ["**bold**\n", "- item"], "text/plain": ["<IPython.display>"]},
         "metadata": {}, "output_type": "display_data"},
        {"data": {"application/javascript": ["console.log(1);\n", "console.log(2);"], "text/plain": "js"}, "metadata": {}, "output_type": "display_data"},
        {"data": {"application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0},
                  "text/plain": "Widget"}, "metadata": {}, "output_type": "display_data"}], 7, "rich")],
        metadata={**KS, "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2, "version_minor": 0}}}),
    "execute-result-image-metadata": nb([code("plot()", [{"data": {"image/png": PNG, "text/plain": ["<Figure size 640x480>"]},
                                                          "execution_count": 9, "metadata": {"image/png": {"height": 480, "width": 640}, "needs_background": "light"},
                                                          "output_type": "execute_result"}], 9, "plot")]),
    "empty-sources": nb([code("", cid="e1"), md("", "e2"), raw("", "e3"), code([], cid="e4")]),
    "unicode-combining-rtl-zwj": nb([md("e\u0301 a\u0308 \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 \U0001F1EB\U0001F1F7 \u200d \ufeff", "uni"),
                                     code("x = '\U0001F4CA'  # \u2028 line sep", [{"name": "stdout", "output_type": "stream", "text": "\U0001F4CA\u2029\n"}], 1, "uni2")]),
    "tabs-and-long-lines": nb([code("def f():\n\treturn '" + "y" * 5000 + "'\n", cid="long")]),
    "float-edge-cases-in-metadata": nb([code(cid="floats", metadata={"custom": {"tiny": 1e-7, "huge": 1e21, "negzero": -0.0, "sum": 0.1 + 0.2,
                                                                                "third": 1 / 3, "max": 1.7976931348623157e308, "int_like": 2.0}})]),
    "deeply-nested-metadata": nb([md(cid="deep", metadata={"d": json.loads("[" * 60 + "]" * 60)})], metadata={"n": json.loads("{\"a\":" * 40 + "1" + "}" * 40)}),
    "collapsed-and-hidden-4.4": nb([code("x", [stream], 1, metadata={"collapsed": True, "jupyter": {"outputs_hidden": True, "source_hidden": True}}),
                                    md("hidden", metadata={"jupyter": {"source_hidden": True}})], minor=4, metadata=KS),
    "mixed-4.4-attachments-and-outputs": nb([md("![a](attachment:a.png) ![b](attachment:b.gif)",
                                                attachments={"a.png": {"image/png": PNG}, "b.gif": {"image/gif": "R0lGODlhAQABAAAAACw=\n"}}),
                                             code("1+1", [result], 3), raw("raw")], minor=4, metadata=KS),
    "html-table-output": nb([code("df", [{"data": {"text/html": ["<table>\n", "<tr><td>&amp; &lt;x&gt;</td></tr>\n", "</table>"],
                                                     "text/plain": ["   a\n", "0  1"]}, "execution_count": 4, "metadata": {}, "output_type": "execute_result"}], 4, "df")]),
}

invalid = {
    "missing-nbformat-minor": {"cells": [], "metadata": {}, "nbformat": 4},
    "code-cell-missing-outputs": nb([{"cell_type": "code", "execution_count": None, "metadata": {}, "source": "", "id": "x"}]),
    "code-cell-missing-execution-count": nb([{"cell_type": "code", "metadata": {}, "outputs": [], "source": "", "id": "x"}]),
    "unknown-cell-type": nb([{"cell_type": "heading", "metadata": {}, "source": "x", "id": "x"}]),
    "unknown-output-type": nb([code(outputs=[{"output_type": "bogus"}], cid="x")]),
    "stream-missing-name": nb([code(outputs=[{"output_type": "stream", "text": "x"}], cid="x")]),
    "error-traceback-not-list": nb([code(outputs=[dict(error, traceback="oops")], cid="x")]),
    "execute-result-missing-count": nb([code(outputs=[{k: v for k, v in result.items() if k != "execution_count"}], cid="x")]),
    "negative-execution-count": nb([code(count=-1, cid="x")]),
    "source-is-number": nb([code(src=42, cid="x")]),
    "extra-top-level-key": dict(nb([]), extra=1),
    "extra-cell-key": nb([dict(md(cid="x"), bogus=1)]),
    "cell-id-in-4.4": nb([md(cid="x")], minor=4),
    "cell-id-bad-pattern": nb([md(cid="has space")]),
    "cell-id-too-long": nb([md(cid="a" * 65)]),
    "cell-id-empty": nb([md(cid="")]),
    "duplicate-cell-ids": nb([md(cid="dup"), md(cid="dup")]),
    "tags-with-comma": nb([code(cid="x", metadata={"tags": ["a,b"]})]),
    "tags-not-unique": nb([code(cid="x", metadata={"tags": ["a", "a"]})]),
    "kernelspec-missing-name": nb([], metadata={"kernelspec": {"display_name": "x"}}),
    "nbformat-3-in-v4-file": dict(nb([]), nbformat=3),
    "mimebundle-number": nb([code(outputs=[{"data": {"text/plain": 5}, "metadata": {}, "output_type": "display_data"}], cid="x")]),
    "scrolled-bad-value": nb([code(cid="x", metadata={"scrolled": "yes"})]),
    "cells-not-array": dict(nb([]), cells={}),
}

for folder, corpus in (("valid", valid), ("invalid", invalid)):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    for name, notebook in corpus.items():
        path = os.path.join(HERE, folder, name + ".ipynb")
        newline = "\r\n" if name == "crlf-sources" else "\n"
        text = json.dumps(copy.deepcopy(notebook), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        with open(path, "w", encoding="utf-8", newline=newline) as f:
            f.write(text)
print(f"{len(valid)} valid, {len(invalid)} invalid notebooks written")
