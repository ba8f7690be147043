"""Every XML parse of package content goes through here: defusedxml, with DTDs and entities refused."""

from __future__ import annotations

import io
from collections.abc import Iterator
from xml.etree.ElementTree import Element, ParseError

# defusedxml ships no type information; the two calls used here are typed at their use below.
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring, iterparse  # type: ignore[import-untyped]

from storeflight.ingest.errors import Defect


def parse_xml(data: bytes, what: str) -> Element:
    """The root element of the document `data`; Defect naming `what` if it is malformed or declares a DTD."""
    try:
        root: Element = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise Defect(f"{what} declares a DTD or entities, which are not allowed ({type(error).__name__})") from None
    except (ParseError, LookupError, ValueError) as error:  # LookupError, ValueError: a bad encoding declaration
        raise Defect(f"{what} is not well-formed XML ({error})") from None
    return root


def iter_xml(source: io.RawIOBase, what: str) -> Iterator[tuple[str, Element]]:
    """Start and end events of the document in `source`, parsed as a stream with the same protections."""
    events = iterparse(source, events=("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        yield from events
    except DefusedXmlException as error:
        raise Defect(f"{what} declares a DTD or entities, which are not allowed ({type(error).__name__})") from None
    except (ParseError, LookupError, ValueError) as error:  # LookupError, ValueError: a bad encoding declaration
        raise Defect(f"{what} is not well-formed XML ({error})") from None


def local_name(element: Element) -> str:
    """The tag of `element` without its namespace."""
    return element.tag.rpartition("}")[2]


def namespace(element: Element) -> str:
    """The namespace URI of `element` (empty when it has none)."""
    return element.tag[1:].partition("}")[0] if element.tag.startswith("{") else ""
