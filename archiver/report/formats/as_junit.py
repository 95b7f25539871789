"""JUnit XML for CI dashboards: one testsuite per article, one testcase per link, a <failure> per --fail-on verdict."""

from __future__ import annotations

from typing import Iterator
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from archiver.report.formats.common import iso, xml_text
from archiver.report.model import ArticleReport, LinkReport, ReportData


def render_junit(data: ReportData) -> Iterator[bytes]:
    """The XML in pieces: the root's start tag (its totals counted by the database), one testsuite at a time."""
    attributes = {"name": xml_text(data.title), "tests": str(data.summary.references),
                  "failures": str(data.summary.failing), "errors": "0", "skipped": "0", "time": "0"}
    start = " ".join(f"{name}={quoteattr(value)}" for name, value in attributes.items())
    yield f"<?xml version='1.0' encoding='utf-8'?>\n<testsuites {start}>\n".encode()
    for index, article in enumerate(data.articles):
        suite = _suite(index, article, data)
        ET.indent(suite, level=1)
        yield b"  " + ET.tostring(suite, encoding="utf-8", xml_declaration=False) + b"\n"
    yield b"</testsuites>\n"


def _suite(index: int, article: ArticleReport, data: ReportData) -> ET.Element:
    failures = sum(1 for link in article.links if link.fails(data.fail_on))
    suite = ET.Element("testsuite", name=xml_text(article.label), tests=str(len(article.links)),
                       failures=str(failures), errors="0", skipped="0", time="0", id=str(index),
                       timestamp=iso(data.generated_at) or "", hostname="archiver")
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="article_url", value=xml_text(article.url))
    ET.SubElement(properties, "property", name="verdict", value=article.verdict)
    for link in article.links:
        suite.append(_case(article, link, data.fail_on))
    return suite


def _case(article: ArticleReport, link: LinkReport, fail_on: tuple[str, ...]) -> ET.Element:
    case = ET.Element("testcase", classname=xml_text(article.url), name=xml_text(link.url), time="0")
    summary = f"{link.verdict}: {link.observation or 'never checked'}"
    if link.http_status:
        summary += f" (HTTP {link.http_status})"
    if link.fails(fail_on):
        failure = ET.SubElement(case, "failure", type=link.verdict, message=xml_text(summary))
        failure.text = xml_text(_evidence(link))
    output = ET.SubElement(case, "system-out")
    output.text = xml_text(f"{summary}\n{_evidence(link)}")
    return case


def _evidence(link: LinkReport) -> str:
    lines = [f"anchor text: {link.anchor_text}"] if link.anchor_text else []
    if link.detail:
        lines.append(f"detail: {link.detail}")
    if link.final_url and link.final_url != link.url:
        lines.append(f"final URL: {link.final_url}")
    if link.content_change:
        lines.append(f"content: {link.content_change} (similarity {link.similarity})")
    if link.archived_copy:
        lines.append(f"archived copy: {link.archived_copy.replay_url}")
    for copy in link.public_copies:
        lines.append(f"public copy ({copy.archive}, {iso(copy.captured_at) or 'undated'}): {copy.memento_url}")
    if link.captures:
        latest = link.captures[-1]
        lines.append(f"evidence: {latest.warc_file} at offset {latest.warc_offset} ({latest.record_id})")
    return "\n".join(lines)
