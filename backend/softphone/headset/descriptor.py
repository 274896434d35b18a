"""HID report descriptor parser: finds a headset's telephony inputs and LED/ringer outputs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

PAGE_TELEPHONY = 0x0B
PAGE_LED = 0x08
PAGE_BUTTON = 0x09


def usage(page: int, ident: int) -> int:
    """A 32-bit extended usage (page in the high half)."""
    return (page << 16) | ident


# Telephony inputs (requests from the device)
HOOK_SWITCH = usage(PAGE_TELEPHONY, 0x20)
FLASH = usage(PAGE_TELEPHONY, 0x21)
REDIAL = usage(PAGE_TELEPHONY, 0x24)
PHONE_MUTE = usage(PAGE_TELEPHONY, 0x2F)
LINE_BUSY = usage(PAGE_TELEPHONY, 0x97)
# Jabra/Yealink/EPOS declare "reject" as `Usage 0x07` followed by `Usage Page (Button)` before
# the Input item: bound at the Usage item (as here) it is 0x000B0007, bound at the Main item
# (as the Linux kernel does) 0x00090007. Both mean "reject".
REJECT_USAGES = (usage(PAGE_TELEPHONY, 0x07), usage(PAGE_BUTTON, 0x07))
# Outputs
LED_MUTE = usage(PAGE_LED, 0x09)
LED_OFF_HOOK = usage(PAGE_LED, 0x17)
LED_RING = usage(PAGE_LED, 0x18)
LED_HOLD = usage(PAGE_LED, 0x20)
LED_MICROPHONE = usage(PAGE_LED, 0x21)
RINGER = usage(PAGE_TELEPHONY, 0x9E)


class DescriptorError(ValueError):
    """The bytes are not a well-formed report descriptor."""


class ReportKind(StrEnum):
    INPUT = "input"
    OUTPUT = "output"
    FEATURE = "feature"


_MAIN_KIND = {0x8: ReportKind.INPUT, 0x9: ReportKind.OUTPUT, 0xB: ReportKind.FEATURE}


@dataclass(frozen=True, slots=True)
class Field:
    """One usage's place in a report: id, bit offset after the id byte, width, semantics."""

    usage: int
    kind: ReportKind
    report_id: int  # 0: the device uses no report ids
    bit_offset: int
    bit_size: int
    relative: bool  # a toggle/edge (act on 0->1), not a level
    preferred_state: bool = True  # springs back when released: a momentary button
    array: bool = False  # an array slot: the value is an index into `array_usages`
    array_usages: tuple[int, ...] = ()
    logical_min: int = 0
    collection_usage: int = 0  # the top-level (application) collection it belongs to


@dataclass(slots=True)
class _Globals:
    usage_page: int = 0
    logical_min: int = 0
    logical_max: int = 0
    report_size: int = 0
    report_id: int = 0
    report_count: int = 0


@dataclass(slots=True)
class ParsedDescriptor:
    """Every field of every report, plus each report's length in bits."""

    fields: list[Field] = field(default_factory=list)
    report_bits: dict[tuple[ReportKind, int], int] = field(default_factory=dict)
    application_usages: list[int] = field(default_factory=list)

    def report_bytes(self, kind: ReportKind, report_id: int) -> int:
        """Length of a report's data, without the report id byte."""
        return (self.report_bits.get((kind, report_id), 0) + 7) // 8


def _signed(value: int, size: int) -> int:
    bits = size * 8
    return value - (1 << bits) if size and value & (1 << (bits - 1)) else value


def parse(data: bytes) -> ParsedDescriptor:
    """Walk the short items of a descriptor; bind usages to the Usage Page current at the time."""
    parser = _Parser()
    i = 0
    while i < len(data):
        prefix = data[i]
        if prefix == 0xFE:  # long item: skip, nothing standard uses them
            if i + 2 >= len(data):
                raise DescriptorError("truncated long item")
            i += 3 + data[i + 1]
            continue
        size = (0, 1, 2, 4)[prefix & 0x3]
        kind, tag = (prefix >> 2) & 0x3, prefix >> 4
        if i + 1 + size > len(data):
            raise DescriptorError(f"truncated item at byte {i}")
        value = int.from_bytes(data[i + 1 : i + 1 + size], "little")
        i += 1 + size
        if kind == 0:
            parser.main(tag, value)
        elif kind == 1:
            parser.global_item(tag, value, size)
        elif kind == 2:
            parser.local(tag, value, size)
        else:
            raise DescriptorError(f"reserved item type at byte {i}")
    return parser.out


class _Parser:
    """The item state table of HID 1.11 section 6.2.2, reduced to what we read."""

    def __init__(self) -> None:
        self.out = ParsedDescriptor()
        self.glob = _Globals()
        self.stack: list[_Globals] = []
        self.usages: list[int] = []
        self.usage_min: int | None = None
        self.depth = 0
        self.top_usage = 0

    def global_item(self, tag: int, value: int, size: int) -> None:
        glob = self.glob
        if tag == 0x0:
            glob.usage_page = value
        elif tag == 0x1:
            glob.logical_min = _signed(value, size)
        elif tag == 0x2:
            glob.logical_max = _signed(value, size)
        elif tag == 0x7:
            glob.report_size = value
        elif tag == 0x8:
            glob.report_id = value
        elif tag == 0x9:
            glob.report_count = value
        elif tag == 0xA:
            self.stack.append(_Globals(**{s: getattr(glob, s) for s in _Globals.__slots__}))
        elif tag == 0xB:
            if not self.stack:
                raise DescriptorError("Pop without Push")
            self.glob = self.stack.pop()

    def local(self, tag: int, value: int, size: int) -> None:
        full = value if size == 4 else usage(self.glob.usage_page, value)
        if tag == 0x0:
            self.usages.append(full)
        elif tag == 0x1:
            self.usage_min = full
        elif tag == 0x2 and self.usage_min is not None:
            if full - self.usage_min > 0xFFFF:
                raise DescriptorError("usage range too large")
            self.usages.extend(range(self.usage_min, full + 1))
            self.usage_min = None

    def main(self, tag: int, value: int) -> None:
        if tag == 0xA:  # Collection
            if self.depth == 0:
                self.top_usage = self.usages[0] if self.usages else 0
                self.out.application_usages.append(self.top_usage)
            self.depth += 1
        elif tag == 0xC:  # End Collection
            if self.depth == 0:
                raise DescriptorError("End Collection without Collection")
            self.depth -= 1
        elif tag in _MAIN_KIND:
            self._add_fields(_MAIN_KIND[tag], value)
        self.usages, self.usage_min = [], None

    def _add_fields(self, kind: ReportKind, flags: int) -> None:
        glob, out = self.glob, self.out
        key = (kind, glob.report_id)
        offset = out.report_bits.get(key, 0)
        out.report_bits[key] = offset + glob.report_size * glob.report_count
        constant, variable, relative = bool(flags & 0x1), bool(flags & 0x2), bool(flags & 0x4)
        if constant or not self.usages:
            return  # padding
        for n in range(glob.report_count):
            common = Field(
                usage=0,
                kind=kind,
                report_id=glob.report_id,
                bit_offset=offset + n * glob.report_size,
                bit_size=glob.report_size,
                relative=relative,
                preferred_state=not flags & 0x20,
                logical_min=glob.logical_min,
                collection_usage=self.top_usage,
            )
            if variable:
                out.fields.append(replace(common, usage=self.usages[min(n, len(self.usages) - 1)]))
            else:  # an array slot: one entry per usage it can report
                out.fields.extend(
                    replace(common, usage=u, array=True, array_usages=tuple(self.usages))
                    for u in self.usages
                )


class Control(StrEnum):
    """Telephony inputs the app understands."""

    HOOK = "hook"
    MUTE = "mute"
    FLASH = "flash"
    REDIAL = "redial"
    LINE_BUSY = "line_busy"
    REJECT = "reject"


class Indicator(StrEnum):
    """Outputs the app drives."""

    OFF_HOOK = "off_hook"
    RING = "ring"
    MUTE = "mute"
    MICROPHONE = "microphone"
    HOLD = "hold"
    RINGER = "ringer"


CONTROL_USAGES: dict[int, Control] = {
    HOOK_SWITCH: Control.HOOK,
    PHONE_MUTE: Control.MUTE,
    FLASH: Control.FLASH,
    REDIAL: Control.REDIAL,
    LINE_BUSY: Control.LINE_BUSY,
    **dict.fromkeys(REJECT_USAGES, Control.REJECT),
}
INDICATOR_USAGES: dict[int, Indicator] = {
    LED_OFF_HOOK: Indicator.OFF_HOOK,
    LED_RING: Indicator.RING,
    LED_MUTE: Indicator.MUTE,
    LED_MICROPHONE: Indicator.MICROPHONE,
    LED_HOLD: Indicator.HOLD,
    RINGER: Indicator.RINGER,
}


@dataclass(frozen=True, slots=True)
class TelephonyProfile:
    """Where a headset's telephony controls and indicators live in its reports."""

    controls: dict[Control, Field]
    indicators: dict[Indicator, Field]
    output_report_bytes: dict[int, int]  # report id -> data length (without the id byte)
    uses_report_ids: bool


def telephony_profile(parsed: ParsedDescriptor) -> TelephonyProfile | None:
    """The controls/indicators of the telephony application collection, or None (no such)."""
    if not any(u >> 16 == PAGE_TELEPHONY for u in parsed.application_usages):
        return None
    controls: dict[Control, Field] = {}
    indicators: dict[Indicator, Field] = {}
    for f in parsed.fields:
        if f.collection_usage >> 16 != PAGE_TELEPHONY:
            continue
        if f.kind is ReportKind.INPUT and f.usage in CONTROL_USAGES and not f.array:
            controls.setdefault(CONTROL_USAGES[f.usage], f)
        elif f.kind is ReportKind.OUTPUT and f.usage in INDICATOR_USAGES and not f.array:
            indicators.setdefault(INDICATOR_USAGES[f.usage], f)
    sizes = {
        f.report_id: parsed.report_bytes(ReportKind.OUTPUT, f.report_id)
        for f in indicators.values()
    }
    uses_ids = any(rid != 0 for _kind, rid in parsed.report_bits)
    return TelephonyProfile(controls, indicators, sizes, uses_ids)
