"""Licences of what article-qa runs on, and the two lists that declare it.

The runtime closure is computed from the installed metadata, starting at
article-qa's own requirements plus its ``app`` extra (what a user or the
Hugging Face Space installs); dev tools and the optional torch backend are
not in it.

Policy: no GPL or AGPL licence in the closure (unless the package offers a
non-GPL alternative, "MIT OR GPL-2.0"). Importing a GPL module makes, in the
FSF's reading, one combined program, so shipping it with article-qa (as the
Space does) would put all of article-qa under the GPL, not MIT. LGPL is
allowed: it lets any program use the library unchanged through dynamic
linking, which is what an import of a separately installed package is, as
long as the user can replace the library (pip can).

Run as a script, this writes docs/licences.md from pip-licenses
(``make licences``).
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LICENCES_DOC = ROOT / "docs" / "licences.md"
PROJECT, RUNTIME_EXTRAS = "article-qa", ("app",)
_COPYLEFT_ID = re.compile(r"^A?GPL-")  # SPDX ids: GPL-3.0-or-later, AGPL-3.0-only; not LGPL-
_COPYLEFT_TEXT = re.compile(r"(?<![L\w])A?GPL|(?<!Lesser )(?<!Library )(?<!Library or Lesser )General Public License")


def runtime_closure() -> dict[str, metadata.Distribution]:
    """Canonical name -> installed distribution, for every package article-qa
    (with its ``app`` extra) needs at run time, article-qa excluded."""
    found: dict[str, metadata.Distribution] = {}
    extras_seen: dict[str, frozenset[str]] = {}
    todo = [(PROJECT, frozenset(RUNTIME_EXTRAS))]
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        if key in extras_seen and extras <= extras_seen[key]:
            continue
        extras = extras_seen[key] = extras_seen.get(key, frozenset()) | extras
        try:
            found[key] = distribution = metadata.distribution(key)
        except metadata.PackageNotFoundError:
            raise LookupError(f"{name} is required but not installed: run `make` (pip install -e '.[dev]')") from None
        for line in distribution.requires or []:
            requirement = Requirement(line)
            # A requirement applies when its marker holds without an extra or with one we asked for.
            if requirement.marker is None or any(requirement.marker.evaluate({"extra": extra})
                                                 for extra in ("", *extras)):
                todo.append((requirement.name, frozenset(requirement.extras)))
    del found[canonicalize_name(PROJECT)]
    return found


def declared_licences(distribution: metadata.Distribution) -> tuple[str, str]:
    """("spdx", expression) when the package states an SPDX License-Expression,
    else ("text", its License field and licence classifiers)."""
    meta = distribution.metadata
    if meta.get("License-Expression"):
        return "spdx", meta["License-Expression"]
    classifiers = [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    return "text", " | ".join([meta.get("License") or ""] + classifiers).strip(" |")


def is_copyleft(kind: str, licence: str) -> bool:
    """Whether this declared licence is GPL or AGPL with no other option."""
    if kind == "spdx":
        tokens = re.findall(r"\(|\)|[^\s()]+", licence)
        allowed = _spdx_or(tokens)
        assert not tokens, f"cannot parse the SPDX expression {licence!r}"
        return not allowed
    return bool(_COPYLEFT_TEXT.search(licence))


# SPDX expressions, evaluated as "may article-qa use it": an id is usable unless
# it is (A)GPL, A AND B needs both, A OR B either; WITH binds tightest, then AND.
def _spdx_or(tokens: list[str]) -> bool:
    allowed = _spdx_and(tokens)
    while tokens and tokens[0].upper() == "OR":
        tokens.pop(0)
        allowed = _spdx_and(tokens) or allowed
    return allowed


def _spdx_and(tokens: list[str]) -> bool:
    allowed = _spdx_term(tokens)
    while tokens and tokens[0].upper() == "AND":
        tokens.pop(0)
        allowed = _spdx_term(tokens) and allowed
    return allowed


def _spdx_term(tokens: list[str]) -> bool:
    token = tokens.pop(0)
    if token == "(":
        allowed = _spdx_or(tokens)
        assert tokens.pop(0) == ")"
    else:
        allowed = not _COPYLEFT_ID.match(token)
    if tokens and tokens[0].upper() == "WITH":  # an exception narrows the licence, never removes it
        del tokens[:2]
    return allowed


@pytest.mark.parametrize("kind, licence, copyleft", [
    ("spdx", "GPL-3.0-or-later", True),
    ("spdx", "AGPL-3.0-only", True),
    ("spdx", "LGPL-2.1-or-later", False),
    ("spdx", "MIT", False),
    ("spdx", "MPL-1.1 OR GPL-2.0-only OR LGPL-2.1-or-later", False),  # tld: take MPL
    ("spdx", "MIT AND GPL-2.0-only", True),
    ("spdx", "(MIT OR Apache-2.0) AND GPL-3.0-only", True),
    ("spdx", "GPL-2.0-or-later WITH Classpath-exception-2.0", True),
    ("spdx", "MIT OR (Apache-2.0 AND GPL-3.0-only)", False),
    ("text", "GPL-3.0-or-later", True),
    ("text", "License :: OSI Approved :: GNU General Public License v3 (GPLv3)", True),
    ("text", "License :: OSI Approved :: GNU Affero General Public License v3", True),
    ("text", "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)", False),
    ("text", "License :: OSI Approved :: GNU Library or Lesser General Public License (LGPL)", False),
    ("text", "LGPL | License :: OSI Approved :: MIT License", False),
    ("text", "MIT, BSD | License :: OSI Approved :: MIT License", False),
])
def test_copyleft_is_recognised(kind, licence, copyleft):
    assert is_copyleft(kind, licence) is copyleft


def test_the_closure_follows_extras_and_markers():
    closure = runtime_closure()
    assert {"gradio", "mcp", "bm25s", "onnxruntime"} <= set(closure)  # mcp only through gradio[mcp]
    assert not {"pytest", "ruff", "sentence-transformers", "torch", "pip-licenses"} & set(closure)


def test_no_gpl_runtime_dependency():
    closure = runtime_closure()
    unknown = sorted(name for name, dist in closure.items() if not declared_licences(dist)[1])
    assert not unknown, f"no licence in the metadata of {unknown}: check them by hand"
    gpl = {name: declared_licences(dist)[1] for name, dist in closure.items() if is_copyleft(*declared_licences(dist))}
    assert not gpl, f"GPL/AGPL runtime dependencies (see this module's docstring): {gpl}"


def test_licences_doc_lists_exactly_the_runtime_closure():
    rows = re.findall(r"^\| (\S+) +\|", LICENCES_DOC.read_text(encoding="utf-8"), re.MULTILINE)
    listed = {canonicalize_name(name) for name in rows if name not in ("Name", ":-", "-")}
    closure = set(runtime_closure())
    assert listed == closure, (f"docs/licences.md is out of date (run `make licences`): "
                               f"missing {sorted(closure - listed)}, extra {sorted(listed - closure)}")


def test_the_dictionary_ships_with_its_licence():
    import gzip

    data = ROOT / "src" / "article_qa" / "data"
    with gzip.open(data / "cedict_ts.u8.gz", "rt", encoding="utf-8") as handle:
        header = [next(handle) for _ in range(30)]
    assert "#! license=https://creativecommons.org/licenses/by-sa/4.0/\n" in header
    date = next(line for line in header if line.startswith("#! date="))
    notice = (data / "README.md").read_text(encoding="utf-8")
    assert date.strip() in notice and "CC BY-SA 4.0" in notice and "MDBG" in notice
    assert (data / "LICENCE").read_text(encoding="utf-8").startswith("Attribution-ShareAlike 4.0 International")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = project["tool"]["setuptools"]["package-data"]["article_qa"]
    assert {"data/cedict_ts.u8.gz", "data/README.md", "data/LICENCE"} <= set(package_data)  # so a wheel has them


def test_requirements_txt_matches_pyproject():
    """Hugging Face Spaces installs requirements.txt: the same runtime
    dependencies with the same specifiers, plus the app extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    expected = {str(Requirement(line)) for line in project["dependencies"] + project["optional-dependencies"]["app"]}
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert {str(Requirement(line)) for line in lines if line} == expected


def write_licences_doc(path: Path = LICENCES_DOC) -> None:
    names = sorted(dist.metadata["Name"] for dist in runtime_closure().values())
    table = subprocess.run([sys.executable, "-m", "piplicenses", "--from=mixed", "--format=markdown",
                            "--packages", *names], capture_output=True, text=True, check=True).stdout
    path.write_text(
        "# Licences of the runtime dependencies\n\n"
        "Generated by `make licences` (pip-licenses, `--from=mixed`) for the packages that article-qa, with its\n"
        "`app` extra, needs at run time, as installed when it ran; dev tools are not listed.\n"
        "`tests/test_licences.py` fails if this list is out of date or holds a GPL or AGPL licence.\n"
        "The CC-CEDICT dictionary shipped inside article-qa is CC BY-SA 4.0: "
        "[src/article_qa/data/README.md](../src/article_qa/data/README.md).\n\n" + table, encoding="utf-8")


if __name__ == "__main__":
    write_licences_doc()
