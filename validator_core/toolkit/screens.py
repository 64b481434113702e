"""Screen sizes: is a picture (a capture or a video frame) large enough for a reviewer to read?

Shared by the video and screenshot plugins (and usable by third-party ones), so that "readable" means
the same thing for a video and for a capture of the same screen. The screens themselves are a
threshold of each plugin (``readable_screens = [[1280, 720], [1024, 768]]`` in the rules).
"""

from __future__ import annotations

__all__ = ["readable_minimum"]


def readable_minimum(width: int, height: int, screens: list[list[int]]) -> str | None:
    """``None`` when (long side, short side) reaches one of ``screens``, else their list for the message.

    ``screens`` are ``[long side, short side]`` pairs. Judged on the long and short sides, so a portrait
    recording is held to the same bar as a landscape one.
    """
    long_side, short_side = max(width, height), min(width, height)
    for w, h in screens:
        if long_side >= w and short_side >= h:
            return None
    return " / ".join(f"{w}×{h}" for w, h in screens)
