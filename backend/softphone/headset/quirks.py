"""Vendor quirks: descriptor fix-ups and timing that the HID descriptors do not tell."""

from __future__ import annotations

from dataclasses import dataclass, replace

from softphone.headset.descriptor import REJECT_USAGES, Field, ParsedDescriptor

VENDOR_POLY = 0x047F
VENDOR_EPOS = 0x1395

# Words in a product name that say "this HID device is an audio device" (headsets without a
# telephony collection are listed, with the reason their buttons do nothing).
AUDIO_NAME_HINTS = ("headset", "headphone", "earbud", "speakerphone", "audio", "speaker")


@dataclass(frozen=True, slots=True)
class Timing:
    """How long a device's stale reports can trail the thing that caused them."""

    duplicate_window_s: float = 2.5  # one press can be reported twice this far apart
    echo_window_s: float = 1.0  # a Hook/Mute report this soon after our LED write is its ack


_TIMING = {
    # Wireless bases relay presses over DECT/BT and repeat them late.
    VENDOR_POLY: Timing(duplicate_window_s=2.5, echo_window_s=1.5),
    VENDOR_EPOS: Timing(duplicate_window_s=2.5, echo_window_s=1.5),
}


def timing(vendor_id: int) -> Timing:
    return _TIMING.get(vendor_id, Timing())


def fix_descriptor(vendor_id: int, parsed: ParsedDescriptor) -> ParsedDescriptor:
    """Apply descriptor fix-ups; generic in shape, seen on the vendors named."""
    parsed.fields = [_one_bit_reject_array(f) for f in parsed.fields]
    return parsed


def _one_bit_reject_array(f: Field) -> Field:
    """EPOS declares its reject button as a 1-bit array [Usage 0x07, Button 1].

    Read literally, value 0 would mean "reject pressed" all the time; the device sets the bit
    on a press, so treat the slot as a plain reject bit.
    """
    if f.array and f.bit_size == 1 and f.array_usages and f.array_usages[0] in REJECT_USAGES:
        if f.usage != f.array_usages[0]:
            return replace(f, usage=0)  # the other array entry: drop it (0 matches nothing)
        return replace(f, array=False, array_usages=(), relative=False, preferred_state=True)
    return f


def looks_like_audio(name: str) -> bool:
    lowered = name.lower()
    return any(hint in lowered for hint in AUDIO_NAME_HINTS)
