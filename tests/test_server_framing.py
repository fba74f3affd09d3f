"""The language server against a client that gets the framing or JSON-RPC wrong.

pygls 2 alone: ``Content-Length: 1000000000000`` killed the server (MemoryError), a missing,
non-numeric, too small or too large length left it deaf for good, and params of the wrong type got
no answer at all. Here: the reader keeps in step (reprolint.server.framing), the server answers
every request it could read the id of, and a fuzzed stream never stops it answering the next
valid request. The first tests drive the real server process over raw stdio; the fuzz feeds the
same bytes through the server's own frame handling in this process.
"""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reprolint.server import framing
from reprolint.server.framing import Frame, FrameReader

pytest.importorskip("pygls")

PROBE_ID = 424242


def framed(message, length=None) -> bytes:
    body = json.dumps(message).encode() if not isinstance(message, bytes) else message
    return f"Content-Length: {len(body) if length is None else length}\r\n\r\n".encode() + body


def request(request_id, method="reprolint/probe", params=None) -> dict:
    message = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


class RawClient:
    """The server process, spoken to in bytes."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "reprolint", "server"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def message(self, timeout: float):
        deadline = time.monotonic() + timeout
        while True:
            if b"\r\n\r\n" in self.buffer:
                head, rest = self.buffer.split(b"\r\n\r\n", 1)
                length = int(head.split(b"Content-Length:")[1].split(b"\r\n")[0])
                if len(rest) >= length:
                    self.buffer = rest[length:]
                    return json.loads(rest[:length])
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.process.stdout], [], [], left)
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    return None
                self.buffer += chunk

    def answer(self, request_id, timeout: float = 30):
        """The response to ``request_id`` (notifications from the server skipped), or None."""
        deadline = time.monotonic() + timeout
        while (message := self.message(deadline - time.monotonic())) is not None:
            if message.get("id") == request_id and "method" not in message:
                return message
        return None

    def close(self) -> str:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        return self.process.stderr.read().decode(errors="replace")


@pytest.fixture
def raw():
    client = RawClient()
    yield client
    client.close()


def test_bad_content_lengths_are_answered_and_the_server_stays_in_step(raw):
    raw.send(framed(request(1, "initialize", {"capabilities": {}})))
    assert "result" in raw.answer(1)
    cases = [
        (b"Content-Length: 1000000000000\r\n\r\n" + json.dumps(request(2)).encode(), "over the limit"),
        (b"Content-Length: abc\r\n\r\n" + json.dumps(request(3)).encode(), "'abc' is not a number"),
        (b"\r\n" + json.dumps(request(4)).encode(), "no Content-Length header"),
        (framed(request(5), 10), "Content-Length 10 is smaller than the message"),
        (framed(request(6), 900), "Content-Length 900 is larger than the message"),
    ]
    for data, problem in cases:
        request_id = json.loads(data.split(b"\r\n\r\n", 1)[-1] if b"\r\n\r\n" in data else data[2:])["id"]
        raw.send(data)
        answer = raw.answer(request_id)
        assert answer is not None, problem
        assert answer["error"]["code"] == -32600 and problem in answer["error"]["message"]
        # ... and the next valid request is served as usual.
        raw.send(framed(request(100 + request_id, "shutdown" if request_id == 6 else "reprolint/probe")))
        answer = raw.answer(100 + request_id)
        assert answer is not None, f"deaf after: {problem}"
    raw.send(framed({"jsonrpc": "2.0", "method": "exit"}))
    assert raw.process.wait(timeout=30) == 0
    assert "bad message framing: the message (Content-Length 1000000000000) is over the limit" in raw.close()


def test_wrong_typed_params_get_invalid_params_naming_the_fields(raw):
    raw.send(framed(request(1, "initialize", {"capabilities": {}})))
    assert "result" in raw.answer(1)
    raw.send(framed(request(2, "textDocument/hover", {"textDocument": 5, "position": {"line": "x", "character": 0}})))
    answer = raw.answer(2)
    assert answer["error"]["code"] == -32602
    assert "$.params.text_document.uri" in answer["error"]["message"]
    assert "$.params.position.line" in answer["error"]["message"]
    raw.send(b"Content-Length: 9\r\n\r\n{not json")
    answer = raw.answer(None)
    assert answer["error"]["code"] == -32700
    raw.send(framed(request(3, "shutdown")))
    assert raw.answer(3) == {"jsonrpc": "2.0", "id": 3, "result": None}


def test_end_of_input_ends_the_server_with_a_reason(raw):
    raw.send(b"Content-Length: 50\r\n\r\n{\"jsonrpc\"")
    raw.process.stdin.close()
    assert raw.process.wait(timeout=30) == 0
    stderr = raw.close()
    assert "the input ended inside a message (10 of 50 bytes came)" in stderr
    assert "the input ended; exiting" in stderr


# -- the reader alone --------------------------------------------------------------------------------
def frames_of(data: bytes, chunk: int = 7) -> list:
    stream = io.BytesIO(data)
    reader = FrameReader(lambda size, timeout: stream.read(min(size, chunk)))
    frames = []
    while (frame := reader.next_frame()) is not None:
        frames.append(frame)
    return frames


def test_a_header_inside_a_json_string_is_not_a_header():
    message = request(1, params={"text": "Content-Length: 5\r\n\r\nx"})
    assert [frame.body for frame in frames_of(framed(message))] == [json.dumps(message).encode()]


def test_a_huge_length_is_skipped_without_reading_it_into_memory(monkeypatch):
    monkeypatch.setattr(framing, "MAX_MESSAGE_BYTES", 1000)
    body = json.dumps(request(7, params={"text": "x" * 5000})).encode()
    follower = framed(request(8))
    frames = frames_of(framed(body) + follower)
    assert frames[0].body is None and frames[0].request_id == 7 and "over the limit of 1000 bytes" in frames[0].problem
    assert frames[1].body == follower.split(b"\r\n\r\n")[1] and frames[1].problem is None


def test_a_stalled_client_after_a_whole_message_gets_it_read():
    """Content-Length too large and nothing more comes: the reader does not wait forever."""
    body = json.dumps(request(9)).encode()
    parts = [b"Content-Length: 500\r\n\r\n" + body]

    def read_some(size, timeout):
        if parts:
            return parts.pop()
        assert timeout is not None  # it would otherwise wait for bytes that never come
        return None

    frame = FrameReader(read_some).next_frame()
    assert frame.body == body and "Content-Length 500 is larger than the message" in frame.problem


# -- fuzzing: whatever came before, the next valid request is answered ------------------------------
FRAGMENTS = [b"Content-Length: ", b"Content-Length: 5", b"Content-Length: 99999999999", b"Content-Type: x",
             b"\r\n", b"\r\n\r\n", b"\n", b"{", b"}", b'"', b'"id": 3', b'{"jsonrpc": "2.0", "id": 4, "method": "x"}',
             b"0", b"12", b"-1", b"\xff\xfe", b"[1, 2]", b"null", b'{"jsonrpc": "2.0", "method": "initialized"}']
junk_piece = st.one_of(
    st.binary(max_size=30),
    st.sampled_from(FRAGMENTS),
    st.builds(lambda message, length: framed(message, length),
              st.sampled_from([request(5), request("six", "textDocument/hover", {"textDocument": 1}),
                               {"jsonrpc": "2.0", "id": 7, "result": None}, [1], "text"]),
              st.one_of(st.none(), st.integers(min_value=0, max_value=200), st.just(10 ** 12))),
)


class CapturedWriter:
    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        pass

    def answers(self) -> list:
        return [json.loads(body) for body in frames_bodies(self.data)]


def frames_bodies(data: bytes) -> list:
    return [frame.body for frame in frames_of(data, chunk=1 << 16)]


@pytest.fixture(scope="module")
def server():
    from reprolint.server.protocol import ReprolintServer

    return ReprolintServer()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(junk=st.lists(junk_piece, max_size=8).map(b"".join), chunk=st.integers(min_value=1, max_value=64))
def test_fuzzed_input_never_stops_the_next_valid_request_being_answered(server, junk, chunk):
    writer = CapturedWriter()
    server.protocol.set_writer(writer)
    server.protocol._shutdown = False
    for frame in frames_of(junk + framed(request(PROBE_ID, params={})), chunk):
        assert isinstance(frame, Frame)
        server.take_frame(frame)  # never raises
    answers = [answer for answer in writer.answers() if answer.get("id") == PROBE_ID]
    assert answers and "error" in answers[-1]  # -32601 (no such method) or -32600 (its framing)
    assert answers[-1]["error"]["code"] in (-32601, -32600)


@pytest.fixture(scope="module")
def live_server():
    client = RawClient()
    client.send(framed(request(0, "initialize", {"capabilities": {}})))
    assert "result" in client.answer(0)
    yield client
    client.close()


probe_ids = iter(range(10_000, 20_000))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.lists(junk_piece, max_size=6).map(b"".join))
def test_the_real_server_answers_the_next_valid_request_after_fuzzed_input(live_server, junk):
    """The same property through the server process: its reader thread, real reads and the
    stall timer. One process for every example: whatever an example leaves behind, the next
    valid request is still answered."""
    probe_id = next(probe_ids)
    live_server.send(junk + b"\r\n" + framed(request(probe_id, params={})))
    answer = live_server.answer(probe_id, timeout=30)
    assert answer is not None and answer["error"]["code"] in (-32601, -32600), (junk, live_server.close())
