"""Reading LSP messages (``Content-Length`` framing) from a client that may get it wrong.

pygls 2 trusts the header: ``Content-Length: 1000000000000`` makes it allocate that much
(MemoryError ends the server), and a missing, non-numeric, too small or too large length puts
it out of step with the stream for good (every later message is read as header lines, or the
server waits for bytes that never come while the client waits for its answer).

:class:`FrameReader` keeps in step instead, and says what was wrong (:attr:`Frame.problem`) so
that the server can log it and answer a request with an error:

- a length over :data:`MAX_MESSAGE_BYTES` is not read into memory: the body is skipped (its
  request id read from its first bytes, so that the request still gets an error);
- a missing or non-numeric length: the body is the one JSON value that follows the header;
- a length larger than the body: a valid JSON body never holds ``Content-Length: N`` followed
  by a raw line break (JSON strings cannot hold one, and outside strings the words are not
  JSON), so a next header inside the body marks where the body really ended; and a body that
  is already complete JSON when the client stops sending for :data:`STALL_SECONDS` ended there;
- a length smaller than the body: the body fails to parse (the server answers ``-32700``), and
  the rest of it is skipped as junk before the next header.

Pure bytes in, frames out: no pygls, no asyncio (the server reads in a thread).
"""

from __future__ import annotations

import json
import os
import re
import select
import sys
from dataclasses import dataclass
from typing import Callable, Optional

MAX_MESSAGE_BYTES = 64 << 20  # a message body larger than this is skipped, not read
MAX_HEADER_BYTES = 64 << 10  # a header block larger than this is junk
MAX_EXTENSION_BYTES = 1 << 20  # how far past a too small Content-Length the message is looked for
STALL_SECONDS = 2.0  # a body that is complete JSON and then nothing more: the length was wrong
CHUNK = 1 << 16

# A next message's header: `Content-Length: N` and a raw line break (what no JSON body holds),
# with the Content-Type line that may come first.
NEXT_HEADER = re.compile(rb"(?:Content-Type:[^\r\n]{0,200}\r?\n)?Content-Length:[ \t]*\d{1,20}[ \t]*\r?\n",
                         re.IGNORECASE)
HEADER_END = re.compile(rb"\r?\n\r?\n")
LENGTH_FIELD = re.compile(rb"Content-Length:[ \t]*([^\r\n]*)", re.IGNORECASE)
REQUEST_ID = re.compile(rb'"id"\s*:\s*(-?\d{1,18}|"(?:[^"\\]|\\.){0,200}")')
OVERLAP = 256  # bytes kept across reads so that a header split between two reads is found

# read_some(size, timeout): up to `size` bytes; b"" at the end of input; None when nothing came
# within `timeout` seconds (None: wait as long as it takes).
ReadSome = Callable[[int, Optional[float]], Optional[bytes]]


@dataclass
class Frame:
    body: Optional[bytes]  # None: skipped (too large)
    problem: Optional[str] = None  # what was wrong with the framing; None: nothing
    request_id: object = None  # of a skipped body, read from its first bytes
    data: object = None  # the body's JSON value, when the reader parsed it already (else None)


class FrameReader:
    def __init__(self, read_some: ReadSome) -> None:
        self.read_some = read_some
        self.buffer = bytearray()
        self.ended = False
        self.notes: list = []  # problems met between frames (junk skipped), for the next frame

    # -- input ---------------------------------------------------------------------------------
    def _fill(self, timeout: Optional[float] = None) -> Optional[bool]:
        """Read more into the buffer: True if bytes came, False at the end, None on a stall."""
        if self.ended:
            return False
        chunk = self.read_some(CHUNK, timeout)
        if chunk is None:
            return None
        if not chunk:
            self.ended = True
            return False
        self.buffer += chunk
        return True

    # -- frames --------------------------------------------------------------------------------
    def next_frame(self) -> Optional[Frame]:
        """The next message, or None at the end of the input."""
        while True:
            header = self._header()
            if header is None:
                return None
            # The last one: junk before a header may hold an older one, even on the same line.
            last = header.lower().rfind(b"content-length:")
            match = LENGTH_FIELD.match(header, last) if last >= 0 else None
            if match is None:
                problem = "the message has no Content-Length header"
                frame = self._unframed_body(problem)
            else:
                value = match.group(1).strip()
                if not value.isdigit():
                    shown = value[:40].decode("ascii", "backslashreplace")
                    problem = f"the Content-Length header {shown!r} is not a number"
                    frame = self._unframed_body(problem)
                else:
                    frame = self._body(int(value))
            if frame is None:
                return None
            if self.notes:
                frame.problem = "; ".join(self.notes + ([frame.problem] if frame.problem else []))
                self.notes = []
            return frame

    def _header(self) -> Optional[bytes]:
        """The next header block (without its blank line), junk before it skipped and noted."""
        while True:
            # Line breaks between messages are not junk.
            stripped = len(self.buffer) - len(self.buffer.lstrip(b"\r\n \t"))
            del self.buffer[:stripped]
            if self.buffer[:1] in (b"{", b"["):
                return b""  # a JSON body with no header before it
            end = HEADER_END.search(self.buffer, 0, MAX_HEADER_BYTES + 4)
            if end is not None:
                header = bytes(self.buffer[:end.start()])
                del self.buffer[:end.end()]
                return header
            if len(self.buffer) > MAX_HEADER_BYTES:
                # Not a header: skip to the next thing that looks like one.
                found = re.compile(rb"Content-Length:", re.IGNORECASE).search(self.buffer, 1)
                cut = found.start() if found else len(self.buffer) - OVERLAP
                self.notes.append(f"skipped {cut} bytes that were not a message header")
                del self.buffer[:cut]
                continue
            if not self._fill():
                if self.buffer.strip():
                    self.notes.append(f"the input ended inside a message header ({len(self.buffer)} bytes)")
                return None

    def _body(self, length: int) -> Optional[Frame]:
        """A body of ``length`` bytes, cut short where the next header starts inside it."""
        keep = length <= MAX_MESSAGE_BYTES
        body = bytearray()
        start = b""  # the first bytes of a skipped body: its request id
        recent = b""  # the last bytes taken, where a next header may have begun
        seen = 0
        problem = None
        while seen < length:
            if not self.buffer:
                came = self._fill(STALL_SECONDS)
                if came is None:  # the client stopped sending: is what came a whole message?
                    whole = body if keep else start if seen == len(start) else b""
                    if seen and _complete_json(whole):
                        problem = f"Content-Length {length} is larger than the message ({seen} bytes came)"
                        break
                    continue
                if came is False:
                    problem = f"the input ended inside a message ({seen} of {length} bytes came)"
                    break
            take = bytes(self.buffer[:length - seen])
            # Search the new bytes with the tail of the old ones: a header may straddle reads.
            found = NEXT_HEADER.search(recent + take)
            if found is not None:
                cut = found.start() - len(recent)
                if cut < 0:  # it began in bytes already taken: give them back
                    self.buffer[:0] = recent[cut:]
                    if keep:
                        del body[cut:]
                    seen += cut
                    take = b""
                else:
                    take = take[:cut]
                problem = f"Content-Length {length} is larger than the message ({seen + len(take)} bytes)"
            del self.buffer[:len(take)]
            seen += len(take)
            recent = (recent + take)[-OVERLAP:]
            if keep:
                body += take
            elif len(start) < 4096:
                start += take[:4096 - len(start)]
            if found is not None:
                break
        if keep and problem is None:
            try:  # parsed once here, and handed on: a too small length shows as not JSON
                return Frame(bytes(body), data=json.loads(body))
            except (ValueError, RecursionError):
                return self._longer_body(body, length)
        if not keep:
            limit = f"over the limit of {MAX_MESSAGE_BYTES} bytes"
            return Frame(None, f"the message (Content-Length {length}) is {limit}; it was skipped"
                         + (f" ({problem})" if problem else ""), id_near_start(start))
        return Frame(bytes(body), problem)

    def _longer_body(self, body: bytearray, length: int) -> Frame:
        """A body that is not whole JSON: if more bytes (before the next header) complete it,
        the Content-Length was too small, and the whole message is the frame (so that its
        request gets an answer with its id)."""
        while len(self.buffer) <= MAX_EXTENSION_BYTES:
            found = NEXT_HEADER.search(self.buffer)
            combined = body + (self.buffer[:found.start()] if found else self.buffer)
            end = _json_end(combined)
            if end is not None and end > length:
                del self.buffer[:end - length]
                return Frame(bytes(combined[:end]),
                             f"Content-Length {length} is smaller than the message ({end} bytes)")
            if found is not None or self._fill(STALL_SECONDS) is not True:
                break
        return Frame(bytes(body))  # not JSON, however long: the server answers a parse error

    def _unframed_body(self, problem: str) -> Optional[Frame]:
        """With no usable length, the body is the one JSON value after the header (up to the
        next header, or the limit)."""
        while True:
            stripped = len(self.buffer) - len(self.buffer.lstrip(b"\r\n \t"))
            del self.buffer[:stripped]
            found = NEXT_HEADER.search(self.buffer)
            end = _json_end(self.buffer[:found.start()] if found else self.buffer)
            if end is not None:
                body = bytes(self.buffer[:end])
                del self.buffer[:end]
                return Frame(body, problem)
            if found is not None:
                body = bytes(self.buffer[:found.start()])
                del self.buffer[:found.start()]
                return Frame(body, problem)
            if len(self.buffer) > MAX_MESSAGE_BYTES:
                self.buffer.clear()
                return Frame(None, problem + f", and no message followed within {MAX_MESSAGE_BYTES} bytes")
            came = self._fill()
            if not came:
                body = bytes(self.buffer)
                self.buffer.clear()
                return Frame(body, problem) if body.strip() else None


def _json_end(data) -> Optional[int]:
    """Where the JSON value at the start of ``data`` ends (in bytes), or None if it does not."""
    text = bytes(data).decode("utf-8", "surrogateescape")
    try:
        _, end = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return None
    except RecursionError:
        return len(data)  # too deeply nested to read: all of it is the message
    return len(text[:end].encode("utf-8", "surrogateescape"))


def _complete_json(data) -> bool:
    end = _json_end(data)
    return end is not None and not bytes(data[end:]).strip()


def id_near_start(start: bytes):
    """The request id a message says near its beginning, if any (for one that cannot be read)."""
    match = REQUEST_ID.search(start[:4096])
    if match is None:
        return None
    try:
        return json.loads(match.group(1))
    except ValueError:
        return None


def fd_reader(stream) -> ReadSome:
    """``read_some`` over a binary stream: its file descriptor where it has one (so that a
    stall can be noticed), else the stream's own reads."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is None or sys.platform == "win32":  # select works on sockets only there
        read = getattr(stream, "read1", stream.read)
        return lambda size, timeout: read(size)

    def read_some(size: int, timeout: Optional[float]) -> Optional[bytes]:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return None
        return os.read(fd, size)

    return read_some
