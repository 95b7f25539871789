"""Article inputs: seed documents, URL lists, folders of both."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.errors import SourceError
from archiver.models import Article
from archiver.sources.documents import load_sources, markdown_to_text, parse_seed_document, parse_url_list

SEEDS = Path(__file__).resolve().parents[1] / "support" / "seeds"
SHIPPED_EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "seeds" / "seed-article.md"
MT_URL = ("https://www.themoscowtimes.com/2022/07/19/"
          "north-korean-builders-to-help-with-donbas-reconstruction-russian-ambassador-a78344")


def test_the_shipped_seed_document():
    path = str(SEEDS / "seed-article.md")
    article = parse_seed_document((SEEDS / "seed-article.md").read_text(encoding="utf-8"), path)
    assert article.url == MT_URL
    assert article.source == path
    assert article.seed_title == "North Korean Builders to Help With Donbas Reconstruction – Russian Ambassador"
    assert article.seed_date == "July 19, 2022"
    text = article.seed_text
    assert "Matsegora" in text
    assert text.startswith("Pyongyang, North Korea. Cha Song Ho / AP / TASS\n\nNorth Korea could send builders")
    assert "Russia's Ambassador to Pyongyang said Tuesday." in text  # [said](#) reduced to its text
    assert "the pro-Kremlin daily Izvestia, deploying" in text  # *Izvestia* unemphasised
    assert "Related article: Russia Recruits Teachers" in text
    assert "facilities [in the Donbas] destroyed" in text  # brackets that are not a link stay
    assert "Original url" not in text and "themoscowtimes.com" not in text
    assert "July 19, 2022" not in text and "  " not in text and "\n\n\n" not in text


def test_the_copy_in_tests_matches_the_shipped_example():
    assert (SEEDS / "seed-article.md").read_bytes() == SHIPPED_EXAMPLE.read_bytes()


def test_url_on_the_same_line_and_an_iso_date():
    article = parse_seed_document((SEEDS / "library-reopens.md").read_text(encoding="utf-8"), "lib.md")
    assert article.url == "https://www.example-gazette.com/news/2024/05/library-reopens"
    assert (article.seed_title, article.seed_date) == ("Library reopens after flood repairs", "2024-05-06")
    assert "the library's own announcement said." in article.seed_text


@pytest.mark.parametrize(
    "url_line",
    ["Original url: <https://Example.com:443/a#x>", "**Original URL:** https://example.com/a",
     "Original url:\n\n\n[the article](https://example.com/a)"],
)
def test_original_url_forms(url_line):
    article = parse_seed_document(f"# Title\n\nSome body text.\n\n{url_line}\n", "doc.md")
    assert article.url == "https://example.com/a"
    assert article.seed_date is None and article.seed_text == "Some body text."


def test_without_title_or_date():
    article = parse_seed_document("Just a body.\n\nOriginal url: https://example.com/x", "doc.md")
    assert (article.seed_title, article.seed_date, article.seed_text) == (None, None, "Just a body.")


@pytest.mark.parametrize(
    "text, reason",
    [("# Title\n\nBody but no source line.\n", "no 'Original url:' line"),
     ("# Title\n\nOriginal url:\n\n", "not followed by a URL"),
     ("# Title\n\nOriginal url: <not-a-url>\n", "no scheme"),
     ("# Title\n\nOriginal url: ftp://example.com/file\n", "not an http(s) URL"),
     ("# Title\n\nOriginal url: https://example.com:99999/\n", "bad port")],
)
def test_seed_document_errors_name_the_path(text, reason):
    with pytest.raises(SourceError) as caught:
        parse_seed_document(text, "notes/broken.md")
    assert caught.value.path.startswith("notes/broken.md")
    assert reason in caught.value.reason


def test_markdown_reduction():
    markdown = ("## Heading\n\nSome *em*, **strong**, __also__, ~~gone~~, `code`, snake_case_name and 5 * 3.\n"
                "A [link **text**](https://x.example \"t\") and a [reference][1] and ![an image](i.png) and "
                "<https://auto.example/link> and <b>html</b>.\n\n> A quote\n> over two lines\n\n- item one\n"
                "- item two\n  wrapped\n\n---\n\n[1]: https://ref.example/\n")
    assert markdown_to_text(markdown) == (
        "Heading\n\nSome em, strong, also, gone, code, snake_case_name and 5 * 3. A link text and a reference and "
        "and https://auto.example/link and html.\n\nA quote over two lines\n\nitem one\n\nitem two wrapped"
    )


def test_url_list_with_comments_and_blank_lines():
    text = (SEEDS / "reading-list.txt").read_text(encoding="utf-8")
    articles = parse_url_list(text, "reading-list.txt")
    assert [a.url for a in articles] == [
        MT_URL,
        "https://blog.example.net/posts/2023/three-days.html",
        "https://harbourcity.example.gov/press/harbour-bridge-repairs-finish",
    ]
    assert all(a.source == "reading-list.txt" and a.seed_text is None for a in articles)


@pytest.mark.parametrize(
    "bad_line, reason",
    [("example.com/no-scheme", "no scheme"), ("https://a.example/x extra words", "one URL per line"),
     ("mailto:someone@example.com", "not an http(s) URL"), ("https://exa mple.com/", "one URL per line")],
)
def test_url_list_bad_line_names_path_and_line(bad_line, reason):
    with pytest.raises(SourceError) as caught:
        parse_url_list(f"# list\nhttps://ok.example/\n\n{bad_line}\n", "lists/a.txt")
    assert caught.value.path == "lists/a.txt:4"
    assert reason in caught.value.reason


def test_load_sources_from_a_folder_dedupes_and_prefers_seed_documents():
    articles, errors = load_sources([SEEDS])
    assert errors == []
    assert [a.url for a in articles] == [
        "https://www.example-gazette.com/news/2024/05/library-reopens",  # library-reopens.md comes first
        MT_URL,  # listed in reading-list.txt and seed-article.md: one article, with the seed text
        "https://blog.example.net/posts/2023/three-days.html",
        "https://harbourcity.example.gov/press/harbour-bridge-repairs-finish",
    ]
    moscow = articles[1]
    assert moscow.source == str(SEEDS / "seed-article.md") and "Matsegora" in moscow.seed_text


def test_load_sources_collects_every_error_and_keeps_going(tmp_path):
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    (tmp_path / "a.urls").write_text("https://a.example/1\nnot-a-url\nhttps://a.example/2\nbad too\n")
    (tmp_path / "nested" / "b.md").write_text("# No source line here\n\nJust text.\n")
    (tmp_path / "nested" / "deeper" / "c.txt").write_text("notes\n\nOriginal url: https://c.example/story\n")
    (tmp_path / "nested" / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    (tmp_path / "latin1.txt").write_bytes("https://caf\xe9.example/\n".encode("latin-1"))
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "skip.txt").write_text("not a url at all\n")
    (tmp_path / "empty.txt").write_text("")
    single = tmp_path / "single.txt"
    single.write_text("https://a.example/1\nhttps://single.example/\n")

    articles, errors = load_sources([tmp_path, single, tmp_path / "missing.txt"])

    assert [a.url for a in articles] == ["https://a.example/1", "https://a.example/2",
                                         "https://c.example/story", "https://single.example/"]
    assert articles[2].source == str(tmp_path / "nested" / "deeper" / "c.txt")  # an Original url: line makes a seed
    reported = {(e.path.replace(str(tmp_path), "ROOT"), e.reason.split(":")[0].split(" (")[0]) for e in errors}
    assert reported == {
        ("ROOT/a.urls:2", "invalid URL 'not-a-url'"),
        ("ROOT/a.urls:4", "expected one URL per line, got 'bad too'"),
        ("ROOT/latin1.txt", "not UTF-8 text"),
        ("ROOT/nested/b.md", "no 'Original url"),
        ("ROOT/nested/image.png", "binary file, not a URL list or seed document"),
        ("ROOT/missing.txt", "no such file or directory"),
    }
    assert all(isinstance(e, SourceError) for e in errors)


def test_unreadable_file_is_an_error_not_a_crash(tmp_path):
    target = tmp_path / "list.txt"
    target.mkdir()  # a directory where a file was expected: reading it fails
    (target / "inner.txt").write_text("https://inner.example/\n")
    articles, errors = load_sources([target / "inner.txt", tmp_path / "nowhere"])
    assert articles == [Article("https://inner.example/", str(target / "inner.txt"))]
    assert [e.path for e in errors] == [str(tmp_path / "nowhere")]
