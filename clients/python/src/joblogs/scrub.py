"""Secret scrubbing before a line is framed (docs/shipper.md, "Secrets never leave the container"):
the Python twin of ``shared/core/scrub``. Values of environment variables the job declares secret
and the patterns of ``scrub_rules.json`` — a byte-identical copy of ``shared/core/scrub/rules.json``,
the one rule list every shipper uses (a test keeps them equal) — are replaced by
``[REDACTED:<kind>]``. A line is searched as bytes (the rules are compiled as bytes patterns: ASCII
``\\b`` and case folding, any byte sequence passes through unchanged but for the redactions).

Cheap on clean output: a :class:`Prefilter` finds the rules' trigger literals in whole writes with
one regular expression, and only the lines holding one are searched, each with only the rules it
called for. :class:`StreamScrubber` does the per-stream bookkeeping: triggers split across writes,
secrets across the parts of an over-long line, private key blocks across lines.

Example::

    scrubber = Scrubber(secrets=[SecretValue("HF_TOKEN", os.environ["HF_TOKEN"])])
    scrubber.scrub(b"login hf_abc...", ALL_RULES, KeyBlockState()).text  # b"login [REDACTED:env:HF_TOKEN]"
"""

from __future__ import annotations

import itertools
import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from importlib import resources
from itertools import accumulate
from operator import add, itemgetter
from typing import Any, Callable, Final, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from .contract import Terminator
from .errors import JoblogsError

RULES_RESOURCE: Final = "scrub_rules.json"


def _load_rules() -> dict[str, Any]:
    rules: dict[str, Any] = json.loads(resources.files("joblogs").joinpath(RULES_RESOURCE).read_bytes())
    return rules


RULES: Final = _load_rules()
"""``scrub_rules.json``, as written there (version, redaction, bounds, well-known variables, rules)."""
MIN_SECRET_BYTES: Final[int] = RULES["minSecretBytes"]
MAX_SECRET_BYTES: Final[int] = RULES["maxSecretBytes"]
DEFAULT_SECRET_ENV: Final[Tuple[str, ...]] = tuple(RULES["defaultSecretEnv"])
ALL_RULES: Final = -1
"""Every rule: what a line part (whose neighbours are unknown) is searched with."""
CARRY_BYTES: Final = 4096
"""Held back from a line part so that a secret cut by the part boundary is whole in the next part."""

_SECRETS_BIT = 1
_PRIVATE_KEY_BIT = 2
_FIRST_RULE_BIT = 2
_MAX_TRIGGER_BYTES = 64
_MAX_SECRETS = 256
_ENV_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}\Z")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class ScrubConfigError(JoblogsError, ValueError):
    """Secret values the scrubber cannot use (too short to redact safely, too long, too many); ``problems`` lists each."""

    def __init__(self, problems: Sequence[str]):
        super().__init__(f"Invalid secret scrubbing configuration: {'; '.join(problems)}")
        self.problems = list(problems)


def redaction_of(kind: str) -> bytes:
    """What a secret of ``kind`` becomes in a chunk: ``[REDACTED:<kind>]``."""
    return str(RULES["redaction"]).replace("{kind}", kind).encode("utf-8")


@dataclass(frozen=True)
class SecretValue:
    """A value to redact wherever it appears (``[REDACTED:env:<name>]``), e.g. an environment variable the job declares secret."""

    name: str
    value: str


@dataclass(frozen=True)
class SecretsFromEnvironment:
    secrets: Tuple[SecretValue, ...]
    skipped: Tuple[Tuple[str, int], ...]
    """Named variables whose value is too short (or too long) to redact safely: ``(name, bytes)``, left alone."""


def secrets_from_environment(names: Iterable[str], env: Mapping[str, str], *, defaults: bool = True) -> SecretsFromEnvironment:
    """The values of the named variables (plus the well-known ones of the rules, ``defaultSecretEnv``,
    unless ``defaults`` is false) set in ``env``. A value shorter than ``minSecretBytes`` would
    redact ordinary words everywhere, one longer than ``maxSecretBytes`` is not a token: both are
    skipped and listed."""
    wanted = dict.fromkeys([*(DEFAULT_SECRET_ENV if defaults else ()), *names])
    secrets: list[SecretValue] = []
    skipped: list[Tuple[str, int]] = []
    for name in wanted:
        value = env.get(name)
        if not value:
            continue
        size = len(value.encode("utf-8"))
        longest = max(len(piece.encode("utf-8")) for piece in _LINE_BREAK.split(value))
        if longest < MIN_SECRET_BYTES or size > MAX_SECRET_BYTES:
            skipped.append((name, size))
        else:
            secrets.append(SecretValue(name, value))
    return SecretsFromEnvironment(tuple(secrets), tuple(skipped))


@dataclass
class KeyBlockState:
    """Whether a stream is inside a private key block (its PEM body lines are redacted whole)."""

    in_block: bool = False
    lines: int = 0


class Scrubbed(NamedTuple):
    text: bytes
    consumed: int
    """How much of the input the result stands for (see :meth:`Scrubber.scrub`)."""


class _Rule(NamedTuple):
    kind: str
    bit: int
    regex: re.Pattern[bytes]
    group: int
    replacement: bytes
    priority: int


class _Span(NamedTuple):
    start: int
    priority: int
    neg_end: int
    end: int
    kind: str
    replacement: bytes
    opens_block: bool


class _Trigger(NamedTuple):
    literal: bytes
    case_sensitive: bool
    mask: int


# How common a character is in log text (higher: more common), roughly (the Node prefilter's
# table): English letter frequencies, spaces and JSON punctuation. Only the order matters.
_FREQUENCY: Final[Mapping[str, int]] = {
    " ": 150, "e": 100, "t": 80, "a": 70, "o": 70, "i": 70, "n": 70, "s": 60, "r": 60, "h": 50, "l": 40, "d": 40,
    '"': 40, ":": 40, "=": 35, ",": 30, ".": 30, "c": 30, "u": 30, "m": 25, "f": 20, "p": 20, "g": 20, "w": 15,
    "y": 15, "b": 15, "'": 15, "v": 10, "k": 8, "_": 8, "/": 8, "-": 6, "x": 2, "j": 2, "q": 1, "z": 1,
    "0": 20, "1": 20, "2": 20, "3": 15, "4": 15, "5": 15, "6": 15, "7": 15, "8": 15, "9": 15,
}  # fmt: skip
_OTHER_FREQUENCY = 4
_MAX_PREFIX = 16


def _score(byte: int, case_sensitive: bool) -> int:
    char = chr(byte)
    if case_sensitive or not char.isalpha():
        return _FREQUENCY.get(char, _OTHER_FREQUENCY)
    # Both cases are searched: the anchor costs what both do.
    return _FREQUENCY.get(char.lower(), _OTHER_FREQUENCY) + _FREQUENCY.get(char.upper(), _OTHER_FREQUENCY)


class Prefilter:
    """Finds trigger literals (and exact secret values) in a whole write with one regular
    expression. CPython's matcher scans fast for a set of first characters when every alternative
    starts with a literal character, so each literal is searched from its rarest character (in log
    text) — ``eyJ`` as ``J(?<=eyJ)``, ``hf_`` as ``_(?<=hf_)`` — the alternatives of one anchor share
    it, and an empty group closing each says which literal matched (``lastindex``)."""

    def __init__(self, triggers: Sequence[_Trigger]):
        merged = _with_contained_masks(triggers)
        self.longest = max((len(t.literal) for t in merged), default=0)
        # anchor byte -> [(suffix after the anchor, whole literal, case-sensitive?, group index)]
        groups: dict[int, list[Tuple[bytes, bytes, bool, int]]] = {}
        self._hits: list[Tuple[int, int, int]] = [(0, 0, 0)]  # group index -> (anchor offset, length, mask)
        for trigger in sorted(merged, key=lambda t: -len(t.literal)):
            literal = trigger.literal
            at = min(range(min(len(literal), _MAX_PREFIX + 1)), key=lambda i: (_score(literal[i], trigger.case_sensitive), i))
            self._hits.append((at, len(literal), trigger.mask))
            index = len(self._hits) - 1
            anchor = bytes([literal[at]])
            anchors = {anchor} if trigger.case_sensitive or not anchor.isalpha() else {anchor.lower(), anchor.upper()}
            for a in anchors:
                groups.setdefault(a[0], []).append((literal[at + 1 :], literal[: at + 1], trigger.case_sensitive, index))
        # The most common anchors first: the matcher tries the alternatives in order at each candidate.
        order = sorted(groups, key=lambda a: -_score(a, True))
        alternatives = [re.escape(bytes([anchor])) + _suffix_trie(groups[anchor]) for anchor in order]
        self._regex: Optional[re.Pattern[bytes]] = re.compile(b"|".join(alternatives)) if alternatives else None

    def find(self, text: bytes, on_hit: Callable[[int, int, int], None]) -> None:
        """Calls ``on_hit(start, end, mask)`` for every trigger in ``text``, in text order."""
        if self._regex is None:
            return
        hits = self._hits
        for m in self._regex.finditer(text):
            at, length, mask = hits[int(m.lastgroup[1:].partition("_")[0]) if m.lastgroup else 0]
            start = m.start() - at
            on_hit(start, start + length, mask)


_names = itertools.count()


def _suffix_trie(branches: Sequence[Tuple[bytes, bytes, bool, int]]) -> bytes:
    """What follows an anchor: the literals' suffixes as a trie, every alternative starting with a
    literal character (the matcher skips those whose first character differs without trying
    them), then a lookbehind for the part up to the anchor and the empty group naming the literal.
    Case-insensitive suffixes branch on both cases of a letter."""
    ends = [b for b in branches if not b[0]]
    by_first: dict[int, list[Tuple[bytes, bytes, bool, int]]] = {}
    for suffix, before, sensitive, index in branches:
        if not suffix:
            continue
        char = bytes([suffix[0]])
        firsts = {char} if sensitive or not char.isalpha() else {char.lower(), char.upper()}
        for first in firsts:
            by_first.setdefault(first[0], []).append((suffix[1:], before + char, sensitive, index))
    parts = [re.escape(bytes([first])) + _suffix_trie(rest) for first, rest in by_first.items()]
    for _suffix, before, sensitive, index in ends:
        look = re.escape(before)
        check = b"(?<=" + (look if sensitive else b"(?i:" + look + b")") + b")" if len(before) > 1 else b""
        parts.append(check + b"(?P<t" + str(index).encode() + b"_" + str(next(_names)).encode() + b">)")
    return b"(?:" + b"|".join(parts) + b")" if len(parts) > 1 else parts[0]


def _with_contained_masks(triggers: Sequence[_Trigger]) -> list[_Trigger]:
    """Each trigger also calls for the rules of every trigger it contains: matches do not overlap,
    so where ``access_key=`` is found, ``access_key`` (another rule's trigger) is not found again."""
    merged: dict[Tuple[bool, bytes], _Trigger] = {}
    for t in triggers:
        if not t.literal:
            continue
        key = (t.case_sensitive, t.literal if t.case_sensitive else t.literal.lower())
        seen = merged.get(key)
        merged[key] = seen._replace(mask=seen.mask | t.mask) if seen else t
    everything = list(merged.values())
    out = []
    for t in everything:
        mask = t.mask
        lower = t.literal.lower()
        for inner in everything:
            contained = (t.case_sensitive and inner.literal in t.literal) if inner.case_sensitive else inner.literal.lower() in lower
            if contained:
                mask |= inner.mask
        out.append(t._replace(mask=mask))
    return out


class Scrubber:
    """Replaces secrets in lines by ``[REDACTED:<kind>]``: exact values and the rules' patterns.
    ``counts`` holds the redactions made so far, by kind (``aws-access-key-id``, ``env:HF_TOKEN``)."""

    def __init__(self, secrets: Sequence[SecretValue] = (), *, patterns: bool = True):
        self.counts: dict[str, int] = {}
        self._secrets = _compile_secrets(secrets)
        self._rules: list[_Rule] = []
        if patterns:
            for i, spec in enumerate(RULES["rules"]):
                flags = re.IGNORECASE if "i" in spec["flags"] else 0
                self._rules.append(
                    _Rule(
                        spec["kind"],
                        1 << (_FIRST_RULE_BIT + i),
                        re.compile(spec["pattern"].encode("latin-1"), flags),
                        spec["group"],
                        redaction_of(spec["kind"]),
                        2 + i,
                    )
                )
        pk = RULES["privateKey"]
        self._pk = patterns
        self._pk_begin = re.compile(pk["begin"].encode("latin-1"))
        self._pk_end = re.compile(pk["end"].encode("latin-1"))
        self._pk_body = re.compile(pk["body"].encode("latin-1"))
        self._pk_max_lines: int = pk["maxBodyLines"]
        self._pk_kind: str = pk["kind"]
        self._pk_replacement = redaction_of(pk["kind"])
        triggers = [_Trigger(value, True, _SECRETS_BIT) for _kind, value, _r in self._secrets]
        if patterns:
            triggers += [_Trigger(t.encode("latin-1"), True, _PRIVATE_KEY_BIT) for t in pk["triggers"]]
            for spec, rule in zip(RULES["rules"], self._rules):
                insensitive = "i" in spec["flags"]
                for literal in spec["triggers"]:
                    # Matched as the rule itself is: case-insensitively only when it is (and the trigger has letters).
                    triggers.append(_Trigger(literal.encode("latin-1"), not insensitive or not re.search("[A-Za-z]", literal), rule.bit))
        self.prefilter = Prefilter(triggers)
        self.junction_bytes = max(_MAX_TRIGGER_BYTES, self.prefilter.longest)
        """Bytes of the previous write kept to find a trigger split across two writes."""

    @property
    def idle(self) -> bool:
        """True when there is nothing to look for (no patterns, no secrets)."""
        return not self._rules and not self._secrets

    def scrub(self, text: bytes, mask: int, block: KeyBlockState, limit: Optional[int] = None) -> Scrubbed:
        """The line with every secret the rules in ``mask`` find replaced. ``block`` is the
        stream's private-key state: a header without its end line makes the following PEM body
        lines redacted whole, until the end line (or a line that is not PEM).

        Secrets are found on the original text; where two overlap the one that starts first wins
        (then exact values, keys, the rules in order). With ``limit``, only secrets starting
        before it are replaced, and ``consumed`` says how much of ``text`` the result stands for
        (at least ``limit``, more when a secret crosses it): the rest is for the caller to search
        again with what follows."""
        out: list[bytes] = []
        pos = 0
        if block.in_block:
            inside, end = self._continue_block(text, block)
            if inside is not None:
                return Scrubbed(inside, len(text))
            if end >= 0:
                # The block's end line: redacted up to the end marker; the rest of the line is searched.
                out.append(self._pk_replacement)
                pos = end
        for span in self._spans(text, pos, mask):
            if limit is not None and span.start >= limit:
                break
            out.append(text[pos : span.start])
            out.append(span.replacement)
            pos = span.end
            self.counts[span.kind] = self.counts.get(span.kind, 0) + 1
            if span.opens_block:
                block.in_block = True
                block.lines = 0
        consumed = len(text) if limit is None else min(len(text), max(pos, limit))
        if not out:
            return Scrubbed(text if consumed == len(text) else text[:consumed], consumed)
        out.append(text[pos:consumed])
        return Scrubbed(b"".join(out), consumed)

    def _spans(self, text: bytes, start: int, mask: int) -> list[_Span]:
        found: list[_Span] = []
        if mask & _SECRETS_BIT:
            for kind, value, replacement in self._secrets:
                at = text.find(value, start)
                while at != -1:
                    found.append(_Span(at, 0, -(at + len(value)), at + len(value), kind, replacement, False))
                    at = text.find(value, at + len(value))
        if mask & _PRIVATE_KEY_BIT and self._pk:
            found += self._key_spans(text, start)
        for rule in self._rules:
            if not mask & rule.bit:
                continue
            for m in rule.regex.finditer(text, start):
                s, e = m.span(rule.group)
                if s >= 0:
                    found.append(_Span(s, rule.priority, -e, e, rule.kind, rule.replacement, False))
        if not found:
            return found
        found.sort()
        spans = []
        end = start
        for span in found:
            if span.start < end or span.end <= span.start:
                continue
            spans.append(span)
            end = span.end
        return spans

    def _key_spans(self, text: bytes, start: int) -> list[_Span]:
        """Header … end on one line (a JSON-escaped key) is one secret; a header alone runs to the end of the line and opens a block."""
        spans = []
        pos = start
        while True:
            begin = self._pk_begin.search(text, pos)
            if begin is None:
                break
            end = self._pk_end.search(text, begin.end())
            stop = end.end() if end else len(text)
            spans.append(_Span(begin.start(), 1, -stop, stop, self._pk_kind, self._pk_replacement, end is None))
            if end is None:
                break
            pos = end.end()
        return spans

    def _continue_block(self, text: bytes, block: KeyBlockState) -> Tuple[Optional[bytes], int]:
        """A line inside a key block: its redacted form, or None once the block is over (and where its end marker ended, or -1)."""
        if not self._pk:
            block.in_block = False
            return None, -1
        end = self._pk_end.search(text)
        if end:
            block.in_block = False
            return None, end.end()
        if self._pk_body.search(text) and block.lines < self._pk_max_lines:
            block.lines += 1
            return (text if text.strip(b" \t") == b"" else self._pk_replacement), -1
        # Not PEM: the block was never closed (a truncated dump); this line is ordinary output.
        block.in_block = False
        return None, -1


def _compile_secrets(secrets: Sequence[SecretValue]) -> list[Tuple[str, bytes, bytes]]:
    problems: list[str] = []
    if len(secrets) > _MAX_SECRETS:
        problems.append(f"at most {_MAX_SECRETS} secret values, got {len(secrets)}")
    compiled: list[Tuple[str, bytes, bytes]] = []
    for secret in secrets:
        name, value = secret.name, secret.value
        size = len(value.encode("utf-8"))
        # A line never holds a line break: a multi-line value is searched for line by line.
        pieces = [p.encode("utf-8") for p in _LINE_BREAK.split(value) if len(p.encode("utf-8")) >= MIN_SECRET_BYTES]
        if not _ENV_NAME.match(name):
            problems.append(f"secret name {json.dumps(name)} must be 1–128 of [A-Za-z0-9_.-]")
        elif size > MAX_SECRET_BYTES or not pieces:
            problems.append(f"the value of {name} must be {MIN_SECRET_BYTES}–{MAX_SECRET_BYTES} bytes to be redacted, got {size}")
        else:
            compiled += [(f"env:{name}", piece, redaction_of(f"env:{name}")) for piece in pieces]
    if problems:
        raise ScrubConfigError(problems)
    # Longest first: a value that contains another is replaced whole.
    compiled.sort(key=lambda c: -len(c[1]))
    return compiled


Line = Tuple[bytes, Terminator, int]
"""``(bytes, terminator, time)`` as :class:`~joblogs.line_capture.LineCapture` emits it."""


@dataclass
class StreamScrubber:
    """Scrubs one output stream of a source, line by line, whatever the write boundaries.

    :meth:`scan` runs the prefilter over each write (plus the seam with the previous one) before
    the line capture sees it and records where triggers are, in bytes since the stream began;
    :meth:`lines` then rewrites the lines the capture emitted: a write without a trigger costs
    nothing more (its lines are not even looked at), a line with triggers is searched with just
    the rules they call for. A line longer than the capture's limit arrives in parts: parts are
    searched with every rule, and the last :data:`CARRY_BYTES` of each are held back and searched
    again with the next part, so a secret cut at a part (maybe chunk) boundary is found.
    """

    scrubber: Scrubber
    max_line_bytes: int
    _scanned: int = 0
    _consumed: int = 0
    _seam: bytes = b""
    _hits: List[Tuple[int, int, int]] = field(default_factory=list)
    _carry: Optional[bytes] = None
    _carry_time: int = 0
    _block: KeyBlockState = field(default_factory=KeyBlockState)

    def scan(self, data: bytes) -> None:
        """Records where triggers are in ``data``, the stream's next bytes. Call before the capture sees them."""
        start = self._scanned
        keep = self.scrubber.junction_bytes - 1
        hits = self._hits
        before = len(hits)
        find = self.scrubber.prefilter.find
        seam = self._seam
        if seam:
            # Only what crosses the seam: matches inside either side are found by their own scan.
            joined = seam + data[:keep]
            offset = start - len(seam)
            cut = len(seam)

            def crossing(s: int, e: int, mask: int) -> None:
                if s < cut < e:
                    hits.append((offset + s, offset + e, mask))

            find(joined, crossing)
        find(data, lambda s, e, mask: hits.append((start + s, start + e, mask)))
        if len(hits) > before and len(hits) > 1:
            hits.sort()
        self._scanned += len(data)
        self._seam = data[-keep:] if len(data) >= keep else (seam + data)[-keep:]

    def lines(self, lines: List[Line], pending: int, parts: bool) -> None:
        """Scrubs, in place, the lines the capture emitted from the writes scanned so far.
        ``pending`` is what the capture still holds back, ``parts`` whether any of ``lines`` is a
        part (terminator ``""``)."""
        if not self._hits and self._carry is None and not self._block.in_block and not parts:
            self._consumed = self._scanned - pending
            return
        out: List[Line] = []
        if self._carry is not None or self._block.in_block or parts:
            for line in lines:
                self._line(line, out.append)
            lines[:] = out
            return
        # Only the lines a trigger overlaps are looked at: where each line starts, in C, then a bisection per hit.
        n = len(lines)
        starts = list(
            accumulate(map(add, map(len, map(itemgetter(0), lines)), map(len, map(itemgetter(1), lines))), initial=self._consumed)
        )
        hits = self._hits
        done = 0
        while done < n:
            while hits and hits[0][1] <= starts[done]:
                del hits[0]
            if not hits or hits[0][0] >= starts[n]:
                break
            at = max(done, bisect_right(starts, hits[0][0]) - 1)
            out.extend(lines[done:at])
            self._consumed = starts[at]
            self._line(lines[at], out.append)
            done = at + 1
            while self._block.in_block and done < n:
                self._line(lines[done], out.append)
                done += 1
        if done == 0 and not out:
            self._consumed = starts[n]
            return
        out.extend(lines[done:])
        self._consumed = starts[n]
        while hits and hits[0][1] <= self._consumed:
            del hits[0]
        lines[:] = out

    def end(self, lines: List[Line]) -> None:
        """The stream ended (after the capture's own end went through :meth:`lines`): a held-back part goes out, searched to its end."""
        if self._carry is None:
            return
        data = self._carry
        self._carry = None
        self._emit_cut(self.scrubber.scrub(data, ALL_RULES, self._block).text, "", self._carry_time, lines.append)

    def _line(self, line: Line, emit: Callable[[Line], None]) -> None:
        data, terminator, time = line
        start = self._consumed
        self._consumed = end = start + len(data) + len(terminator)
        mask = self._mask_for(start, end)
        if terminator == "" or self._carry is not None:
            self._part(line, emit)
        elif mask == 0 and not self._block.in_block:
            emit(line)
        else:
            emit((self.scrubber.scrub(data, mask, self._block).text, terminator, time))

    def _mask_for(self, start: int, end: int) -> int:
        """The rules called for by triggers overlapping bytes ``start…end``; forgets hits that end before ``end``."""
        hits = self._hits
        if not hits:
            return 0
        mask = 0
        i = 0
        while i < len(hits) and hits[i][1] <= start:
            i += 1
        j = i
        while j < len(hits) and hits[j][0] < end:
            mask |= hits[j][2]
            j += 1
        while i < len(hits) and hits[i][1] <= end:
            i += 1
        if i:
            del hits[:i]
        return mask

    def _part(self, line: Line, emit: Callable[[Line], None]) -> None:
        data, terminator, line_time = line
        time = self._carry_time if self._carry is not None else line_time
        raw = self._carry + data if self._carry is not None else data
        self._carry = None
        if terminator != "":
            self._emit_cut(self.scrubber.scrub(raw, ALL_RULES, self._block).text, terminator, time, emit)
            return
        limit = max(0, len(raw) - CARRY_BYTES)
        # Not inside a UTF-8 sequence: the part sent now ends on a character boundary.
        while limit > 0 and (raw[limit] & 0xC0) == 0x80:
            limit -= 1
        text, consumed = self.scrubber.scrub(raw, ALL_RULES, self._block, limit)
        self._carry = raw[consumed:]
        self._carry_time = line_time
        if text:
            self._emit_cut(text, "", time, emit)

    def _emit_cut(self, data: bytes, terminator: Terminator, time: int, emit: Callable[[Line], None]) -> None:
        """Emits ``data`` in parts of at most ``max_line_bytes`` (a redaction can lengthen a line); the last one gets ``terminator``."""
        rest = data
        limit = self.max_line_bytes
        while len(rest) > limit:
            cut = limit
            while cut > limit - 4 and (rest[cut] & 0xC0) == 0x80:
                cut -= 1
            emit((rest[:cut], "", time))
            rest = rest[cut:]
        emit((rest, terminator, time))


__all__ = [
    "ALL_RULES",
    "CARRY_BYTES",
    "DEFAULT_SECRET_ENV",
    "RULES",
    "KeyBlockState",
    "Prefilter",
    "ScrubConfigError",
    "Scrubber",
    "SecretValue",
    "SecretsFromEnvironment",
    "StreamScrubber",
    "redaction_of",
    "secrets_from_environment",
]
