"""Open an export and sniff its shape from its first bytes, never its name.

* gzip is recognised by its magic bytes and decompressed while streaming;
* ``[`` starts a JSON array (v2 rows or legacy label rows);
* ``{`` starts NDJSON unless the first line ends the way a pretty-printed
  object's first line does (``{``, ``[``, ``,`` or ``:``): then it is a
  single JSON object, as the legacy exporter writes for one label.  A
  complete JSON value never ends that way, so nothing is decoded to decide
  (decoding the first line of a hostile file could recurse 1,000 deep).

White space before the first JSON byte is consumed, however long, and its
newlines are counted so that NDJSON line numbers stay those of the file.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from typing import IO, BinaryIO, Union

from ..errors import ExportFormatError, LbConvertError
from .records import skip_leading_space

__all__ = ["Source", "OpenedSource", "open_source", "sniff_container", "STREAM_ERRORS"]

Source = Union[str, "os.PathLike[str]", BinaryIO]

_GZIP_MAGIC = b"\x1f\x8b"
#: What reading a damaged file raises: a cut-off or corrupt gzip stream.
STREAM_ERRORS = (EOFError, OSError, zlib.error)
_HEAD = 1 << 16


class OpenedSource:
    """A binary stream plus what is needed for messages and progress."""

    def __init__(
        self,
        stream: IO[bytes],
        name: str,
        raw: IO[bytes],
        total: int | None,
        owned: list[IO[bytes]],
    ) -> None:
        self.stream, self.name, self.raw, self.total, self._owned = stream, name, raw, total, owned
        #: The line the first JSON byte is on (set by :func:`sniff_container`).
        self.first_line = 1

    def bytes_read(self) -> int:
        """Bytes consumed from the file as stored (compressed, for gzip)."""
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        for stream in reversed(self._owned):
            stream.close()


def open_source(source: Source) -> OpenedSource:
    """Open a path or binary file object, transparently un-gzipping it."""
    owned: list[IO[bytes]] = []
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        raw: IO[bytes] = open(name, "rb", buffering=_HEAD)
        owned.append(raw)
        total: int | None = os.fstat(raw.fileno()).st_size
    elif not hasattr(source, "read"):
        raise LbConvertError(
            f"export must be a path or a binary file object, not {type(source).__name__}"
        )
    else:
        raw = source
        name = getattr(source, "name", None) or "<stream>"
        name = name if isinstance(name, str) else "<stream>"
        total = None
    # The ignores of this block: a BufferedReader takes any binary reader, though
    # typeshed asks for a RawIOBase (mypy 1.10's typeshed also knows no peek on IO).
    buffered = raw if hasattr(raw, "peek") else io.BufferedReader(raw)  # type: ignore[type-var]
    if buffered is not raw:
        owned.append(buffered)
    stream: IO[bytes] = buffered
    if buffered.peek(2)[:2] == _GZIP_MAGIC:  # type: ignore[attr-defined,unused-ignore]
        stream = io.BufferedReader(
            gzip.GzipFile(fileobj=buffered, mode="rb"),  # type: ignore[arg-type,unused-ignore]
            buffer_size=_HEAD,
        )
        owned.append(stream)
    return OpenedSource(stream, name, raw, total, owned)


def sniff_container(opened: OpenedSource) -> str:
    """``"ndjson"``, ``"array"`` or ``"object"``; raise on anything else.

    Consumes a byte-order mark and the white space before the first JSON byte.
    """
    try:
        head = opened.stream.peek(_HEAD)  # type: ignore[attr-defined]  # buffered by open_source
        if head.startswith(b"\xef\xbb\xbf"):
            opened.stream.read(3)
        opened.first_line += skip_leading_space(opened.stream, _HEAD)
        text = opened.stream.peek(_HEAD)  # type: ignore[attr-defined]  # buffered by open_source
    except STREAM_ERRORS as exc:
        raise ExportFormatError(opened.name, f"cannot read the file ({exc})") from exc
    if not text:
        raise ExportFormatError(
            opened.name, "the file is empty" if not head else "the file holds only white space"
        )
    first = text[:1]
    if first == b"[":
        return "array"
    if first == b"{":
        end = text.find(b"\n")
        if end < 0:  # a first line longer than the head: one JSON value per line
            return "ndjson"
        # A pretty-printed object opens with a short line such as '{' or '{"ID": "…",'.
        stripped = text[:end].rstrip()
        return "object" if stripped.endswith((b"{", b"[", b",", b":")) else "ndjson"
    shown = text[:20].decode("utf-8", "replace")
    raise ExportFormatError(
        opened.name,
        f"not a Labelbox export: expected NDJSON, a JSON array or a JSON object, found {shown!r}",
        line=opened.first_line,
    )
