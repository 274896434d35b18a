"""The ringer with a real PulseAudio and real incoming calls (Kamailio + baresip): it rings
on the ringing device and not the call device, stops at once when the call is answered,
rejected or cancelled, and a call waiting gives the quiet beep in the call device instead.

The `pulse` fixture comes before `app` so the app (and its engine) use the test PulseAudio.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from audiolab.fixtures import AUDIO_SERVERS
from audiolab.pulse import PulseServer, Recording
from pbx import tones
from pbx.baresip import Baresip
from pbx.kamailio import Kamailio
from softphone.app import SoftphoneApp
from support.app_harness import UiClient, sign_in
from support.waiting import until

pytestmark = pytest.mark.integration

RATE = 16000
WINDOW = RATE // 50  # 20 ms


@pytest.fixture
def ui(pulse: PulseServer, app: SoftphoneApp, kamailio: Kamailio) -> Iterator[UiClient]:
    client = UiClient(app)
    assert sign_in(client, kamailio.port, "1001", kamailio.users["1001"])["ok"]
    # Ring on "ringer", talk on "speaker": both chosen explicitly, the speaker the default.
    assert client.command("audio.configure", output="speaker", ringer="ringer", ring_volume=100)[
        "ok"
    ]
    yield client
    client.close()


def _samples(rec: Recording) -> np.ndarray:
    data = rec.raw.read_bytes()
    return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0


def _window_db(x: np.ndarray) -> np.ndarray:
    n = len(x) // WINDOW
    blocks = x[: n * WINDOW].reshape(n, WINDOW)
    return 20 * np.log10(np.sqrt(np.mean(blocks * blocks, axis=1)) + 1e-10)


def _wait_loud(rec: Recording, timeout: float = 6.0) -> float:
    """Wait until the ring sounds right now (the last 60 ms are loud); returns when."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        x = _samples(rec)
        if len(x) > 3 * WINDOW and _window_db(x[-3 * WINDOW :]).min() > -30:
            return time.monotonic()
        time.sleep(0.01)
    raise AssertionError("the ringer never rang")


def _silenced_after(x: np.ndarray, at: int) -> float:
    """Seconds from sample `at` to the start of the silence that lasts to the end."""
    db = _window_db(x[at:])
    loud = np.nonzero(db > -60)[0]
    return 0.0 if len(loud) == 0 else (loud[-1] + 1) * WINDOW / RATE


def _ring_then(
    ui: UiClient,
    pulse: PulseServer,
    peer: Baresip,
    tmp_path: Path,
    end_ringing: Callable[[dict[str, object]], None],
) -> tuple[float, float]:
    """Ring, act while the ringtone sounds, check that it stops; (start, stop) latency in s,
    printed only: bench/ measures them, a loaded test machine must not fail on them."""
    ringer = pulse.record("ringer", tmp_path / f"ringer-{peer.user}.wav")
    speaker = pulse.record("speaker", tmp_path / f"speaker-{peer.user}.wav")
    mark = ui.mark()
    peer.dial("1001")
    call = ui.wait_call_state("ringing_in", start=mark)
    ringing_at = time.monotonic()
    loud_at = _wait_loud(ringer)
    _wait_loud(ringer, timeout=3.5)  # into the next ring: mid-note, not in a pause
    assert pulse.streams_on("ringer") == 1  # the ringtone's stream
    at = len(_samples(ringer))
    end_ringing(call)
    until(lambda: pulse.streams_on("ringer") == 0, what="the ringtone's stream to close")
    gone = len(_samples(ringer))
    time.sleep(1.0)  # record on: nothing may sound once the stream is gone
    heard, beside = ringer.stop(), speaker.stop()
    # The recording trails the sink by parec's latency (20 ms asked): 100 ms of slack.
    assert tones.is_silent((heard, RATE), threshold_dbfs=-60, start_s=gone / RATE + 0.1)
    # Nothing of the ringtone in the call device while it rang.
    assert tones.is_silent((beside, RATE), threshold_dbfs=-60, end_s=at / RATE)
    return loud_at - ringing_at, _silenced_after(heard, at)


@pytest.mark.parametrize("pulse", AUDIO_SERVERS, indirect=True)
def test_ringtone_comes_out_of_the_ringer_and_stops_when_answered(
    ui: UiClient, pulse: PulseServer, baresip_factory: Callable[..., Baresip], tmp_path: Path
) -> None:
    peer = baresip_factory("1002")

    def answer(call: dict[str, object]) -> None:
        assert ui.command("call.answer", call_id=call["id"])["ok"]

    start_s, stop_s = _ring_then(ui, pulse, peer, tmp_path, answer)
    print(f"ringing heard {start_s * 1000:.0f} ms after ringing_in")
    print(f"silent {stop_s * 1000:.0f} ms after answer")
    peer.hangup()


def test_ringing_stops_when_rejected(
    ui: UiClient, pulse: PulseServer, baresip_factory: Callable[..., Baresip], tmp_path: Path
) -> None:
    peer = baresip_factory("1003")

    def reject(call: dict[str, object]) -> None:
        assert ui.command("call.reject", call_id=call["id"])["ok"]

    _start, stop_s = _ring_then(ui, pulse, peer, tmp_path, reject)
    print(f"silent {stop_s * 1000:.0f} ms after reject")


def test_ringing_stops_when_the_caller_gives_up(
    ui: UiClient, pulse: PulseServer, baresip_factory: Callable[..., Baresip], tmp_path: Path
) -> None:
    peer = baresip_factory("1004")
    _start, stop_s = _ring_then(ui, pulse, peer, tmp_path, lambda _call: peer.hangup())
    print(f"silent {stop_s * 1000:.0f} ms after the caller's CANCEL was sent")


def _band_db(x: np.ndarray, freq: float) -> np.ndarray:
    """Per 100 ms window: level (dBFS) of the band freq +- 20 Hz."""
    n = RATE // 10
    out = []
    for start in range(0, len(x) - n, n):
        w = x[start : start + n] * np.hanning(n)
        spectrum = np.abs(np.fft.rfft(w)) ** 2
        freqs = np.fft.rfftfreq(n, 1 / RATE)
        band = spectrum[(freqs > freq - 20) & (freqs < freq + 20)].sum()
        out.append(10 * np.log10(band * 2 / (n * np.sum(np.hanning(n) ** 2) / n) / n + 1e-12))
    return np.array(out)


def test_call_waiting_beeps_in_the_call_device_not_the_ringer(
    ui: UiClient, pulse: PulseServer, baresip_factory: Callable[..., Baresip], tmp_path: Path
) -> None:
    first, second = baresip_factory("1005"), baresip_factory("1006")
    mark = ui.mark()
    first.dial("1001")
    call = ui.wait_call_state("ringing_in", start=mark)
    assert ui.command("call.answer", call_id=call["id"])["ok"]
    ui.wait_call_state("connected", start=mark)
    time.sleep(0.5)

    ringer = pulse.record("ringer", tmp_path / "ringer.wav")
    speaker = pulse.record("speaker", tmp_path / "speaker.wav")
    mark = ui.mark()
    second.dial("1001")
    waiting = ui.wait_call_state("ringing_in", start=mark)
    time.sleep(6.5)  # the beep repeats every 5 s; the stream needs ~1 s to start
    assert ui.command("call.reject", call_id=waiting["id"])["ok"]
    heard_ringer, heard_speaker = ringer.stop(), speaker.stop()

    assert tones.is_silent((heard_ringer, RATE), threshold_dbfs=-60)
    beep = _band_db(heard_speaker, 440)
    assert beep.max() > -30, beep.max()  # the 440 Hz beeps are there
    # ... and quiet: never above about -12 dBFS.
    assert beep.max() < -10, beep.max()
    first.hangup()
