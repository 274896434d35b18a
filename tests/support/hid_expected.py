"""What each recorded headset descriptor declares, read off the bytes by hand."""

from __future__ import annotations

Controls = dict[str, tuple[int, int, str]]  # control -> (report id, bit, level|button)
Indicators = dict[str, tuple[int, int]]  # indicator -> (report id, bit)

# Read off the descriptors by hand (item by item) and checked against the parser.
EXPECTED: dict[str, tuple[Controls, Indicators, dict[int, int]]] = {
    "047f-02e6": (
        {
            "hook": (32, 0, "level"),
            "mute": (32, 1, "button"),
            "flash": (32, 2, "button"),
            "redial": (32, 3, "button"),
            "reject": (32, 4, "button"),
        },
        {"ring": (33, 0), "mute": (35, 0), "off_hook": (36, 0), "hold": (37, 0)},
        {33: 1, 35: 1, 36: 1, 37: 1},
    ),
    "047f-02ec": (
        {
            "hook": (1, 0, "level"),
            "mute": (1, 1, "button"),
            "flash": (1, 2, "button"),
            "redial": (1, 3, "button"),
            "reject": (1, 4, "button"),
        },
        {"ring": (1, 0), "mute": (3, 0), "off_hook": (4, 0), "hold": (5, 0)},
        {1: 1, 3: 1, 4: 1, 5: 1},
    ),
    "047f-c053": (
        {
            "mute": (8, 0, "button"),
            "hook": (8, 1, "level"),
            "flash": (8, 2, "button"),
            "redial": (8, 3, "button"),
            "reject": (8, 4, "button"),
        },
        {"mute": (9, 0), "off_hook": (23, 0), "ring": (24, 0), "hold": (32, 0)},
        {9: 1, 23: 1, 24: 1, 32: 1},
    ),
    "0b0e-0307": (
        {
            "hook": (2, 0, "level"),
            "line_busy": (2, 1, "level"),
            "mute": (2, 2, "button"),
            "flash": (2, 3, "button"),
            "redial": (2, 4, "button"),
            "reject": (2, 6, "button"),
        },
        {
            "off_hook": (2, 0),
            "mute": (2, 1),
            "ring": (2, 2),
            "hold": (2, 3),
            "microphone": (2, 4),
            "ringer": (2, 5),
        },
        {2: 2},
    ),
    "0b0e-2453": (
        {
            "hook": (2, 0, "level"),
            "line_busy": (2, 1, "level"),
            "mute": (2, 2, "button"),
            "flash": (2, 3, "button"),
            "redial": (2, 4, "button"),
            "reject": (2, 11, "button"),
        },
        {
            "off_hook": (2, 0),
            "mute": (2, 1),
            "ring": (2, 2),
            "hold": (2, 3),
            "microphone": (2, 4),
            "ringer": (2, 5),
        },
        {2: 2},
    ),
    "0b0e-2456": (
        {
            "hook": (2, 0, "level"),
            "line_busy": (2, 1, "level"),
            "mute": (2, 2, "button"),
            "flash": (2, 3, "button"),
            "reject": (2, 4, "button"),
        },
        {
            "off_hook": (2, 0),
            "mute": (2, 1),
            "ring": (2, 2),
            "hold": (2, 3),
            "microphone": (2, 4),
            "ringer": (2, 5),
        },
        {2: 2},
    ),
    "1395-0082": (
        {
            "mute": (8, 0, "button"),
            "hook": (8, 1, "level"),
            "redial": (8, 2, "button"),
            "flash": (8, 3, "button"),
            "reject": (8, 5, "button"),
        },
        {"mute": (9, 0), "off_hook": (9, 1), "ring": (9, 2), "microphone": (9, 3), "hold": (9, 5)},
        {9: 1},
    ),
    "1395-009c": (
        {
            "hook": (2, 0, "button"),
            "flash": (2, 1, "button"),
            "redial": (2, 2, "button"),
            "mute": (2, 3, "button"),
            "reject": (2, 5, "button"),
        },
        {"off_hook": (3, 0), "microphone": (3, 1), "ring": (3, 2), "mute": (3, 3), "hold": (3, 5)},
        {3: 1},
    ),
    "1395-00a2": (
        {
            "hook": (2, 2, "level"),
            "flash": (2, 3, "button"),
            "redial": (2, 4, "button"),
            "mute": (2, 5, "button"),
            "reject": (2, 7, "button"),
        },
        {
            "ringer": (3, 0),
            "off_hook": (3, 1),
            "microphone": (3, 2),
            "ring": (3, 3),
            "mute": (3, 4),
            "hold": (3, 6),
        },
        {3: 1},
    ),
    "1395-00a9": (
        {
            "hook": (2, 2, "level"),
            "flash": (2, 3, "button"),
            "redial": (2, 4, "button"),
            "mute": (2, 5, "button"),
            "reject": (2, 7, "button"),
        },
        {
            "ringer": (3, 0),
            "off_hook": (3, 1),
            "microphone": (3, 2),
            "ring": (3, 3),
            "mute": (3, 4),
            "hold": (3, 6),
        },
        {3: 1},
    ),
    "6993-b02b": (
        {
            "hook": (2, 0, "level"),
            "line_busy": (2, 1, "level"),
            "mute": (2, 2, "button"),
            "flash": (2, 3, "button"),
            "redial": (2, 4, "button"),
            "reject": (2, 6, "button"),
        },
        {
            "off_hook": (2, 0),
            "mute": (2, 1),
            "ring": (2, 2),
            "hold": (2, 3),
            "microphone": (2, 4),
            "ringer": (2, 5),
        },
        {2: 2},
    ),
}
