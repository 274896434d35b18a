"""The window's remembered geometry, and how it is brought back onto a screen that exists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_MAX = 100_000  # larger than any desktop: a bigger value is a corrupt file, not a screen


@dataclass(frozen=True, slots=True)
class Rect:
    """A screen's area in virtual-desktop pixels (the origin of a second screen may be < 0)."""

    x: int
    y: int
    width: int
    height: int

    def overlap(self, other: Rect) -> int:
        w = min(self.x + self.width, other.x + other.width) - max(self.x, other.x)
        h = min(self.y + self.height, other.y + other.height) - max(self.y, other.y)
        return w * h if w > 0 and h > 0 else 0


@dataclass(frozen=True, slots=True)
class WindowGeometry:
    """Position of the window's frame and size of its content; `maximized` restores as such."""

    x: int
    y: int
    width: int
    height: int
    maximized: bool = False

    def __post_init__(self) -> None:
        for name in ("x", "y", "width", "height"):
            value = getattr(self, name)
            if type(value) is not int or abs(value) > _MAX:
                raise ValueError(f"window.{name} is invalid")
        if self.width <= 0 or self.height <= 0:
            raise ValueError("window size is not positive")
        if type(self.maximized) is not bool:
            raise ValueError("window.maximized is invalid")

    @property
    def rect(self) -> Rect:
        return Rect(self.x, self.y, self.width, self.height)


def geometry_from_json(data: Any) -> WindowGeometry | None:
    """The stored geometry, or None; raises ValueError on anything malformed."""
    if data is None:
        return None
    if not isinstance(data, dict) or set(data) - {"x", "y", "width", "height", "maximized"}:
        raise ValueError("window is not a geometry object")
    try:
        return WindowGeometry(**data)
    except TypeError as exc:
        raise ValueError("window geometry is incomplete") from exc


def clamp_to_screens(
    geometry: WindowGeometry, screens: Sequence[Rect], min_size: tuple[int, int] = (1, 1)
) -> WindowGeometry:
    """Fit the window wholly onto the screen it overlaps most (else the first, the primary).

    A window saved on a monitor that is gone, or on a bigger resolution, would otherwise open
    where nobody can see or grab it. Its size shrinks to the screen (never below `min_size`,
    unless the screen itself is smaller), then it is moved inside.
    """
    usable = [s for s in screens if s.width > 0 and s.height > 0]
    if not usable:
        return geometry  # nothing known about the screens: trust the window manager
    screen = max(usable, key=geometry.rect.overlap)
    if geometry.rect.overlap(screen) == 0:
        screen = usable[0]
    width = min(max(geometry.width, min_size[0]), screen.width)
    height = min(max(geometry.height, min_size[1]), screen.height)
    x = min(max(geometry.x, screen.x), screen.x + screen.width - width)
    y = min(max(geometry.y, screen.y), screen.y + screen.height - height)
    if geometry.rect.overlap(screen) == 0:  # its screen is gone: centre it on the primary
        x = screen.x + (screen.width - width) // 2
        y = screen.y + (screen.height - height) // 2
    return WindowGeometry(x, y, width, height, geometry.maximized)
