"""Catalogue texts folded for matching, with the way back to their original words.

The classification rules match text without accents, in lower case, with spaces squashed ("vidéo"
and "Video" alike); a message must then quote what the proof asks for in the ANS's own words
(« Vidéo montrant le bon déroulé du scénario »). :class:`Folded` keeps, for every folded character,
the position it came from, so that a match in the folded text gives back the original words.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from validator_core.catalogue import strip_accents

QUOTE_CHARS = 200  # a quote longer than this is cut at a word, with "…"

# Where a quoted clause ends: a sentence end, a colon, brackets and parentheses, a bullet; a sentence
# ends at a sentence end or a bullet only.
_CLAUSE_END = re.compile(r"[.;!?](?=\s|$)|[:()\[\]*•]")
_SENTENCE_END = re.compile(r"[.;!?](?=\s|$)|[*•]")


class Folded:
    """``text`` without accents, in lower case, spaces squashed; :meth:`quote` maps a span back."""

    def __init__(self, text: str) -> None:
        chars: list[str] = []
        origin: list[int] = []
        pending_space = False
        for index, ch in enumerate(text):
            if ch.isspace():
                pending_space = bool(chars)
                continue
            folded = strip_accents(ch).casefold().replace("\u2019", "'")
            if not folded:
                continue
            if pending_space:
                chars.append(" ")
                origin.append(index - 1)
                pending_space = False
            for piece in folded:
                chars.append(piece)
                origin.append(index)
        self.original = text
        self.text = "".join(chars)
        self._origin = origin

    def quote(self, start: int, end: int) -> str:
        """The original words behind ``self.text[start:end]``, spaces squashed, cut to QUOTE_CHARS."""
        start, end = max(start, 0), min(end, len(self.text))
        if start >= end:
            return ""
        words = " ".join(self.original[self._origin[start]:self._origin[end - 1] + 1].split()).strip(" ,'\"«»")
        if len(words) > QUOTE_CHARS:
            words = words[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
        return words

    def position_of(self, original_index: int) -> int:
        """The folded position of the original text's character ``original_index`` (or the next one kept)."""
        return min(bisect_left(self._origin, original_index), max(len(self.text) - 1, 0))

    def clause(self, position: int) -> str:
        """The original words of the clause around ``position`` (between two clause ends)."""
        return self._between(_CLAUSE_END, position)

    def sentence(self, position: int, before: int = 100) -> str:
        """The original words of the sentence around ``position``, from at most ``before`` characters
        ahead of it (a long sentence is quoted from near the words that matter)."""
        return self._between(_SENTENCE_END, position, before)

    def _between(self, ends: re.Pattern[str], position: int, before: int | None = None) -> str:
        starts = [m.end() for m in ends.finditer(self.text, 0, position)]
        start = starts[-1] if starts else 0
        if before is not None and position - start > before:
            start = self.text.find(" ", position - before, position) + 1 or position
        end_match = ends.search(self.text, position)
        return self.quote(start, end_match.start() if end_match else len(self.text))


# Leading words that say nothing about the proof's kind: "L'éditeur DOIT fournir", "Fournir les",
# "[Si modalité …]", "Si besoin,", "* la" … (repeated: they stack).
_LEADING_WORDS = re.compile(
    r"^(\*\s*|'|\[[^\]]*\]\s*|(si besoin|le cas echeant),?\s+|l'editeur (doit|fournit)( (presenter|fournir))?\s+"
    r"|fournir\s+|fourniture (de |d')|(le|la|les|un|une|des|du)\s+|l')"
)


def leading_words_end(folded: str) -> int:
    """How many characters of ``folded`` are leading words (:data:`_LEADING_WORDS`, repeated)."""
    position = 0
    while match := _LEADING_WORDS.match(folded[position:]):
        if not match.group(0):
            break
        position += match.end()
    return position

