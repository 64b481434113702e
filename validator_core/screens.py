"""Screen sizes: is a picture (a capture or a video frame) large enough for a reviewer to read?

Shared by the video and screenshot plugins (and usable by third-party ones), so that "readable" means
the same thing for a video and for a capture of the same screen.
"""

from __future__ import annotations

# (long side, short side): 720p for wide sources, XGA for 4:3 ones (see docs/checks/video.md).
DEFAULT_READABLE_SCREENS: list[list[int]] = [[1280, 720], [1024, 768]]


def readable_minimum(width: int, height: int, screens: list[list[int]]) -> str | None:
    """``None`` when (long side, short side) reaches one of ``screens``, else their list for the message.

    Judged on the long and short sides, so a portrait recording is held to the same bar as a landscape one.
    """
    long_side, short_side = max(width, height), min(width, height)
    for w, h in screens:
        if long_side >= w and short_side >= h:
            return None
    return " / ".join(f"{w}×{h}" for w, h in screens)
