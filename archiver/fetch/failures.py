"""Turning what requests, urllib3 and the socket layer raise into an Observation and a short detail."""

from __future__ import annotations

import http.client
import socket
import ssl

import requests
import urllib3.exceptions

from archiver.errors import FetchError
from archiver.fetch.deadline import Deadline
from archiver.models import Observation

# What sending a request can raise for reasons of the network or the server, not of our code.
SEND_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)

_MAX_DETAIL = 200


def total_timeout(deadline: Deadline, while_doing: str) -> FetchError:
    return FetchError(Observation.TIMEOUT.value, f"total timeout of {deadline.seconds:g}s passed {while_doing}")


def send_failure(error: BaseException, deadline: Deadline) -> FetchError:
    """The failure a request that got no response ended in."""
    if deadline.fired:
        return total_timeout(deadline, "before the response headers were complete")
    cause = innermost(error)
    if isinstance(error, requests.exceptions.SSLError) or isinstance(cause, (ssl.SSLError, ssl.CertificateError)):
        kind = Observation.TLS_ERROR
    elif isinstance(error, requests.exceptions.Timeout) or isinstance(cause, (socket.timeout, urllib3.exceptions.TimeoutError)):
        kind = Observation.TIMEOUT
    elif isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema)):
        kind = Observation.INVALID_URL
    else:
        kind = Observation.CONNECTION_ERROR
    return FetchError(kind.value, describe(cause))


def innermost(error: BaseException) -> BaseException:
    """The original low-level error inside the layers of wrapping requests and urllib3 add."""
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = getattr(error, "reason", None)  # urllib3's MaxRetryError
        if not isinstance(inner, BaseException):
            inner = next((arg for arg in error.args if isinstance(arg, BaseException)), error.__cause__)
        if inner is None:
            break
        error = inner
    return error


def describe(error: BaseException) -> str:
    """One short printable line: servers put anything in what ends up in error messages."""
    printable = "".join(char if char.isprintable() else " " for char in str(error))
    text = " ".join(printable.split()) or type(error).__name__
    if not text.startswith(type(error).__name__):
        text = f"{type(error).__name__}: {text}"
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"
