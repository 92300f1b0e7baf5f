"""Bad article files: a clear one-line error, exit code 2, the old index untouched.

Every case fails before the model is loaded, so the CLI runs as users run it
(``article-qa build ...``) without the cost of a real build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from article_qa import ArticleQA
from article_qa.cli import main
from article_qa.errors import ArticleError, ArticleQAError

from conftest import ENGLISH_ARTICLE, FakeEmbedder

ROOT = Path(__file__).resolve().parents[1]
GB_TEXT = "我國數字政府建設取得重要成就。政府上網工程於1999年啟動。\n"


def make_empty(folder: Path) -> list[str]:
    (folder / "empty.txt").write_bytes(b"")
    return ["empty.txt"]


def make_whitespace(folder: Path) -> list[str]:
    (folder / "blank.txt").write_bytes(b" \n\t\r\n\n  \n")
    return ["blank.txt"]


def make_bom_only(folder: Path) -> list[str]:
    (folder / "bom.txt").write_bytes(b"\xef\xbb\xbf\r\n")
    return ["bom.txt"]


def make_binary(folder: Path) -> list[str]:
    (folder / "program.bin").write_bytes(Path(sys.executable).resolve().read_bytes()[:20000])
    return ["program.bin"]


def make_binary_without_nul(folder: Path) -> list[str]:
    (folder / "noise.dat").write_bytes(bytes((i * 7919) % 255 + 1 for i in range(20000)))
    return ["noise.dat"]


def make_png(folder: Path) -> list[str]:
    (folder / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20)
    return ["picture.txt"]


def make_missing(folder: Path) -> list[str]:
    return ["no-such-article.txt"]


def make_directory(folder: Path) -> list[str]:
    (folder / "a-folder").mkdir()
    return ["a-folder"]


def make_huge(folder: Path) -> list[str]:
    with open(folder / "huge.txt", "wb") as handle:  # sparse: 50 MB on paper, instant
        handle.truncate(50 * 2**20)
    return ["huge.txt"]


def make_wrong_encoding(folder: Path) -> list[str]:
    (folder / "gb.txt").write_bytes(GB_TEXT.encode("gb18030"))
    return ["gb.txt", "--encoding", "utf-8"]


def make_big5_read_as_ascii(folder: Path) -> list[str]:
    (folder / "big5.txt").write_bytes(GB_TEXT.encode("big5"))
    return ["big5.txt", "--encoding", "ascii"]


def make_unknown_encoding(folder: Path) -> list[str]:
    (folder / "gb.txt").write_bytes(GB_TEXT.encode("gb18030"))
    return ["gb.txt", "--encoding", "klingon-8"]


def make_non_text_codec(folder: Path) -> list[str]:
    (folder / "gb.txt").write_bytes(GB_TEXT.encode("gb18030"))
    return ["gb.txt", "--encoding", "rot13"]


def make_device(folder: Path) -> list[str]:
    return ["/dev/zero"]  # never ends: must be refused, not read


def make_fifo(folder: Path) -> list[str]:
    os.mkfifo(folder / "pipe.txt")  # opening it would block forever
    return ["pipe.txt"]


def make_only_widgets(folder: Path) -> list[str]:
    (folder / "widgets.txt").write_text("Share this article\nFacebook\n掃描二維碼分享到手機\n+關註\n", encoding="utf-8")
    return ["widgets.txt"]


BAD_FILES = [make_empty, make_whitespace, make_bom_only, make_binary, make_binary_without_nul, make_png,
             make_missing, make_directory, make_huge, make_wrong_encoding, make_big5_read_as_ascii,
             make_unknown_encoding, make_non_text_codec, make_device, make_fifo, make_only_widgets]
EXPECTED_WORDS = {
    make_empty: "empty", make_whitespace: "empty", make_bom_only: "empty", make_binary: "binary",
    make_binary_without_nul: "binary", make_png: "binary", make_missing: "No article", make_directory: "folder",
    make_huge: "50 MB", make_wrong_encoding: "not valid utf-8", make_big5_read_as_ascii: "not valid ascii",
    make_unknown_encoding: "Unknown encoding", make_non_text_codec: "not a text encoding",
    make_device: "not a regular file", make_fifo: "not a regular file", make_only_widgets: "no article text",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("built")
    (folder / "good.md").write_text(ENGLISH_ARTICLE, encoding="utf-8")
    ArticleQA.build(folder / "good.md", index_dir=folder / "index", embedder=FakeEmbedder())
    return folder


@pytest.fixture
def workspace(built, tmp_path, monkeypatch) -> Path:
    """A folder with an existing index (a copy: tests may not share one), as the current directory."""
    shutil.copy2(built / "good.md", tmp_path / "good.md")
    shutil.copytree(built / "index", tmp_path / "index")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its sha256 (byte-identity check)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_one_line_error(stderr: str, word: str) -> None:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("article-qa:")]
    assert len(errors) == 1, stderr
    assert stderr.rstrip("\n").splitlines()[-1] == errors[0]
    assert word.lower() in errors[0].lower(), errors[0]


@pytest.mark.parametrize("make", BAD_FILES, ids=lambda make: make.__name__[5:])
def test_cli_build_refuses_bad_file_and_keeps_index(workspace, capsys, make):
    before = snapshot(workspace / "index")
    args = make(workspace)
    code = main(["build", *args, "--index", "index"])
    assert code == 2
    assert_one_line_error(capsys.readouterr().err, EXPECTED_WORDS[make])
    assert snapshot(workspace / "index") == before
    assert ArticleQA.load(workspace / "index", embedder=FakeEmbedder()).ask("Who was the last keeper?").found


@pytest.mark.parametrize("make", BAD_FILES, ids=lambda make: make.__name__[5:])
def test_api_build_raises_article_error_and_keeps_index(workspace, make):
    before = snapshot(workspace / "index")
    args = make(workspace)
    encoding = args[args.index("--encoding") + 1] if "--encoding" in args else None
    with pytest.raises(ArticleError):
        ArticleQA.build(args[0], index_dir=workspace / "index", embedder=FakeEmbedder(), encoding=encoding)
    assert snapshot(workspace / "index") == before


@pytest.mark.slow  # a real process: ~1-3 s each for Python and the imports
@pytest.mark.parametrize("make", [make_binary, make_huge, make_wrong_encoding, make_missing],
                         ids=lambda make: make.__name__[5:])
def test_cli_process_prints_no_traceback(workspace, make):
    before = snapshot(workspace / "index")
    args = make(workspace)
    done = subprocess.run([sys.executable, "-m", "article_qa.cli", "build", *args, "--index", "index"],
                          capture_output=True, text=True, cwd=workspace, timeout=120)
    assert done.returncode == 2
    assert_one_line_error(done.stderr, EXPECTED_WORDS[make])
    assert snapshot(workspace / "index") == before


# ---- where the index goes -----------------------------------------------------------
def test_build_refuses_to_replace_a_folder_that_is_not_an_index(workspace, capsys):
    (workspace / "thesis").mkdir()
    (workspace / "thesis" / "chapter1.txt").write_text("years of work", encoding="utf-8")
    assert main(["build", "good.md", "--index", "thesis"]) == 2
    assert_one_line_error(capsys.readouterr().err, "no article-qa index")
    assert (workspace / "thesis" / "chapter1.txt").read_text(encoding="utf-8") == "years of work"
    # The API refuses too (at save time, after embedding).
    with pytest.raises(ArticleQAError, match="no article-qa index"):
        ArticleQA.build("good.md", index_dir=workspace / "thesis", embedder=FakeEmbedder())
    assert sorted(p.name for p in (workspace / "thesis").iterdir()) == ["chapter1.txt"]


def test_build_refuses_to_replace_a_file(workspace, capsys):
    (workspace / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["build", "good.md", "--index", "notes.txt"]) == 2
    assert_one_line_error(capsys.readouterr().err, "is a file")
    assert (workspace / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_build_into_an_empty_folder_and_over_an_index_works(workspace):
    (workspace / "fresh").mkdir()
    qa = ArticleQA.build("good.md", index_dir=workspace / "fresh", embedder=FakeEmbedder())
    assert qa.n_chunks > 0
    again = ArticleQA.build("good.md", index_dir=workspace / "fresh", embedder=FakeEmbedder())
    assert again.article == qa.article
    leftovers = [p.name for p in workspace.iterdir() if p.name.startswith(".fresh.")]
    assert leftovers == []


def test_bad_chunk_size_is_one_line(workspace, capsys):
    before = snapshot(workspace / "index")
    assert main(["build", "good.md", "--index", "index", "--chunk-size", "5"]) == 2
    assert_one_line_error(capsys.readouterr().err, "chunk size")
    assert snapshot(workspace / "index") == before


def test_ask_without_an_index_is_one_line(tmp_path, capsys):
    assert main(["ask", "What year?", "--index", str(tmp_path / "nowhere")]) == 2
    assert_one_line_error(capsys.readouterr().err, "article-qa build")

