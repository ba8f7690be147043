"""The log scrubber: no client secret, bearer token, JWT, signature or password reaches a log line.

`ScrubFilter` sits on every handler `logs.configure` installs, so it sees the records of every logger,
uvicorn's and the libraries' included. It rewrites the formatted message, the text of an exception and any
string the record carries as an extra field.
"""

from __future__ import annotations

import logging
import re
import traceback

REDACTED = "[redacted]"
SCRUBBED = "scrubbed"  # a record's attribute: True when whoever logged it built it of scrubbed parts only
_PATTERNS = (
    # a signed URL's signature (Azure SAS and ours), raw or percent-encoded
    (re.compile(r"(?i)((?:\b|%26|&)sig(?:=|%3D))[^&\s\"'<>]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)(\bbearer\s+)[^\s\"',;]+"), r"\1" + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),  # a JWT
    # client secrets, delivery keys, device URL tokens, webhook signing secrets
    (re.compile(r"\b(sfs|sfdk|sfdu|whsec)_[A-Za-z0-9_-]+"), r"\1_" + REDACTED),
    (re.compile(r"(?i)(client_secret[\"']?\s*[=:]\s*[\"']?)[^&\s\"',}]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)(\b(?:AccountKey|SharedAccessSignature|password)\s*[=:]\s*)[^;&\s\"',]+"), r"\1" + REDACTED),
    (re.compile(r"(://[^/:@\s]+:)[^@/\s]+@"), r"\1" + REDACTED + "@"),  # a password in a URL
)
_CLEAN = re.compile(r"(?i)sig|bearer|eyJ|sf(?:s|dk|du)_|whsec_|secret|accountkey|signature|password|:[^/@\s]+@")
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def scrub(text: str) -> str:
    """`text` with every secret the patterns know replaced by `[redacted]`."""
    if _CLEAN.search(text) is None:  # the usual line: one scan, no rewriting
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class ScrubFilter(logging.Filter):
    """Rewrites a record so that nothing secret is left in it; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.__dict__.get(SCRUBBED) is True:  # built only of safe parts (the request log's lines)
            return True
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned is not message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        for name, value in vars(record).items():
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, scrub(value))
        return True
