"""Cheap re-checks: what a URL's last complete capture hands to its next check.

The cycle thread looks up each URL's last complete capture (store.last_complete_captures)
and gives the worker a PreviousCapture. The worker sends its validators
(If-None-Match / If-Modified-Since): a 304 for that same URL confirms the page
unchanged. A 200 whose payload digest equals the previous one is written as a
WARC revisit record instead of a second copy of the same bytes (recording.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from archiver.judge.classify import Classification, classify
from archiver.models import Capture, Fetch, Observation, RecordRef

NOT_MODIFIED = 304


@dataclass(frozen=True)
class PreviousCapture:
    """A URL's last complete 2xx capture: its validators, and the response record that holds its payload."""

    validated_url: str  # the final URL of that fetch: the one its validators describe
    payload: RecordRef  # the full response record (a revisit's referent), for WARC-Refers-To
    text_hash: str | None
    text_fingerprint: int | None
    etag: str | None = None
    last_modified: str | None = None

    @classmethod
    def from_captures(cls, latest: Capture, holder: Capture, *, validators: bool = True) -> PreviousCapture:
        """From the newest complete capture and the capture whose response record holds its payload."""
        payload = RecordRef(
            warc_file=holder.warc_file, offset=holder.warc_offset, length=holder.warc_length,
            record_id=holder.record_id, record_type="response", target_uri=holder.url, date=holder.fetched_at,
            payload_digest=holder.payload_digest,
        )
        return cls(latest.url, payload, latest.text_hash, latest.text_fingerprint,
                   etag=latest.etag if validators else None,
                   last_modified=latest.last_modified if validators else None)

    def conditional_headers(self) -> dict[str, str]:
        """The request headers that ask the server to answer 304 when nothing changed."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def confirms_previous(fetch: Fetch, previous: PreviousCapture | None) -> bool:
    """A 304 that says the previous capture is still current: it answered the URL whose validators we sent.

    The validators go out on every redirect hop, so a 304 from anywhere else (a redirect that
    now lands on an unchanged site root) confirms a page we never captured.
    """
    final = fetch.final
    return (previous is not None and final is not None and final.status == NOT_MODIFIED
            and bool(previous.conditional_headers()) and final.url == previous.validated_url)


def is_unconfirmed_304(fetch: Fetch, previous: PreviousCapture | None) -> bool:
    """A 304 to our validators that we cannot use: fetch the URL again without them to see what it serves.

    (A 304 to a request without validators is the server's own error, classified as it is.)
    """
    final = fetch.final
    sent_validators = previous is not None and bool(previous.conditional_headers())
    return (sent_validators and final is not None and final.status == NOT_MODIFIED
            and not confirms_previous(fetch, previous))


def classify_not_modified(fetch: Fetch) -> Classification:
    """Classify a confirmed 304 as the page it confirms.

    The rules on redirect hops and the final URL (redirect to root, login walls, parking hosts)
    still apply; the rules on the page itself already passed on the capture it confirms, whose
    check was healthy (validators are only sent then).
    """
    final = fetch.exchanges[-1]
    as_page = replace(fetch, exchanges=fetch.exchanges[:-1] + (replace(final, status=200),))
    found = replace(classify(as_page, None, None), near_empty=False)  # no body: its page is the confirmed one
    if found.observation == Observation.OK:
        return Classification(Observation.OK, "HTTP 304 not modified")
    return replace(found, detail=f"{found.detail} (HTTP 304 not modified)")
