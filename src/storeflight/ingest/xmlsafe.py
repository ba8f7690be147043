"""Every XML parse of package content goes through here: defusedxml, with DTDs and entities refused.

Each document has `XmlBounds`: its size is checked before it is read, and its nesting depth and number of
elements while it is scanned as a stream, before any tree is built, so a hostile document costs bounded
memory and time whatever it holds.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

# defusedxml ships no type information; the two calls used here are typed at their use below.
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring, iterparse  # type: ignore[import-untyped]
from defusedxml.expatreader import create_parser  # type: ignore[import-untyped]

from storeflight.ingest.errors import Defect

_SCAN_CHUNK = 64 * 1024


@dataclass(frozen=True)
class XmlBounds:
    """How large one kind of document may be: bytes, element nesting depth, elements in all."""

    max_bytes: int
    max_depth: int = 64
    max_elements: int = 50_000


class _Counter(ContentHandler):
    """Counts elements and depth during the scan; Defect as soon as a bound is passed."""

    def __init__(self, what: str, bounds: XmlBounds) -> None:
        super().__init__()
        self.what, self.bounds = what, bounds
        self.depth = self.elements = 0

    def startElementNS(self, name: object, qname: object, attrs: object) -> None:
        self.depth += 1
        self.elements += 1
        check_counts(self.what, self.bounds, self.depth, self.elements)

    def endElementNS(self, name: object, qname: object) -> None:
        self.depth -= 1


def check_counts(what: str, bounds: XmlBounds, depth: int, elements: int) -> None:
    """Defect if `depth` or `elements` passes `bounds`."""
    if depth > bounds.max_depth:
        raise Defect(f"{what} nests elements more than {bounds.max_depth} deep")
    if elements > bounds.max_elements:
        raise Defect(f"{what} has more than {bounds.max_elements} elements")


def check_bounds(data: bytes, what: str, bounds: XmlBounds) -> None:
    """Defect if `data` passes `bounds`; found by a streaming scan that builds nothing."""
    if len(data) > bounds.max_bytes:
        raise Defect(f"{what} is {len(data)} bytes, more than the {bounds.max_bytes} allowed for it")
    parser = create_parser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setFeature("http://xml.org/sax/features/namespaces", True)
    parser.setContentHandler(_Counter(what, bounds))
    try:
        for start in range(0, len(data), _SCAN_CHUNK):
            parser.feed(data[start : start + _SCAN_CHUNK])
        parser.close()
    except (SAXException, DefusedXmlException, LookupError, ValueError):
        return  # malformed or forbidden: the parse below reports it, having read no more than the scan did


def parse_xml(data: bytes, what: str, bounds: XmlBounds) -> Element:
    """The root element of the document `data`; Defect naming `what` if it is malformed, declares a DTD, or
    passes `bounds` (checked before any tree is built)."""
    check_bounds(data, what, bounds)
    try:
        root: Element = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise Defect(f"{what} declares a DTD or entities, which are not allowed ({type(error).__name__})") from None
    except (ParseError, LookupError, ValueError) as error:  # LookupError, ValueError: a bad encoding declaration
        raise Defect(f"{what} is not well-formed XML ({error})") from None
    return root


def iter_xml(source: io.RawIOBase, what: str, bounds: XmlBounds) -> Iterator[tuple[str, Element]]:
    """Start and end events of the document in `source`, parsed as a stream with the same protections; its
    depth and element count are checked as it streams (its size is the caller's to bound)."""
    events = iterparse(source, events=("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    depth = elements = 0
    try:
        for event, element in events:
            if event == "start":
                depth, elements = depth + 1, elements + 1
                check_counts(what, bounds, depth, elements)
            else:
                depth -= 1
            yield event, element
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
