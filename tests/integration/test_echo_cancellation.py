"""Echo cancellation on real device paths: the far end (a pjsua2 peer through Kamailio) plays
speech, the app's speaker comes back into its microphone at -10 dB after a short and a long
delay (tests/audiolab/echo_path.py: a loopback in the audio server), and the far end hears
that echo reduced by 25 dB with cancellation on, on PulseAudio and on PipeWire; making the
canceller does not delay the first call's audio. The numbers (ERLE per delay, delay jump,
double talk, first second) live in bench/bench_echo.py and bench/bench_latency.py."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from audiolab.echo_path import RATE, Timeline, far_end_speech
from audiolab.echo_rig import calls_off_and_on, level_db
from audiolab.fixtures import AUDIO_SERVERS
from audiolab.pulse import PulseServer
from audiolab.speech import write_wav
from pbx.kamailio import Kamailio
from pbx.pj_peer_proc import PjPeer
from softphone.app import SoftphoneApp
from softphone.domain.network import CallQualityReported
from support.app_harness import UiClient, running_app

pytestmark = [pytest.mark.integration, pytest.mark.realtime]

TIMELINE = Timeline(end=9.5, marker_at=8.5)  # far end alone; the marker finds the timeline
MEASURED = (2.0, 8.0)  # after 2 s of convergence
# ERLE the canceller must reach here, median of half seconds: the 25 dB (pjmedia's
# old canceller, the fallback without livekit: medians of 3.1-8.5 dB at 20 and 120 ms on both
# servers, measured: it fails; it passed at 180 ms); bench/bench_echo.py: energy over a window.
MIN_ERLE_DB = 25.0
ECHO_HEARD_DB = -50.0  # a half second with less echo than this is a pause of the far end
# Two 20 ms packets and the adaptive buffer's room for a loaded test machine's jitter.
JITTER_BUFFER_MAX_MS = 60.0


@pytest.fixture
def app(pulse: PulseServer, tmp_path: Path) -> Iterator[SoftphoneApp]:
    # `pulse` first: the engine process inherits PULSE_SERVER and opens real devices.
    with running_app(tmp_path / "app", echo_cancellation=True) as running:
        yield running


@pytest.fixture
def far_wav(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "far.wav", far_end_speech(30.0, 1, TIMELINE))


@pytest.mark.parametrize("pulse", AUDIO_SERVERS, indirect=True)
# The loop makes the delay within a few ms on an idle machine, but the servers move it when
# the app's streams start and under load (measured in calls: 9-54 ms for 20, 161-226 ms for
# 180): a short echo and a longer one, each measured. Not 180: pjmedia's canceller, looking
# near 200-260 ms, passed there.
@pytest.mark.parametrize(("delay_ms", "heard_within"), [(20, (5, 60)), (120, (90, 170))])
def test_the_far_end_hears_its_echo_clearly_reduced(  # noqa: PLR0917 (fixtures)
    ui: UiClient,
    pulse: PulseServer,
    kamailio: Kamailio,
    far_wav: Path,
    tmp_path: Path,
    delay_ms: int,
    heard_within: tuple[float, float],
) -> None:
    """A short and a long echo, each call's path measured as it runs."""
    with PjPeer(
        kamailio.port,
        "1009",
        kamailio.users["1009"],
        mode="tone",
        play=far_wav,
        work_dir=tmp_path / "far",
    ) as peer:
        refused: list[str] = []  # pairs made again: the rig lost its marker (not the app)
        heard = calls_off_and_on(
            ui,
            pulse,
            peer,
            tmp_path,
            delay_ms=delay_ms,
            gain_db=-10.0,
            timeline=TIMELINE,
            refused=refused,
        )
    print(f"pairs the rig refused first: {refused}")
    # The rig first, as each call ran: the echo at its delay, a faithful copy of the speaker
    # at -10 dB.
    for far_end in heard.values():
        path = far_end.path
        assert path is not None
        assert heard_within[0] <= path.delay_ms <= heard_within[1], path
        assert path.correlation > 0.9 and -11.0 < path.gain_db < -9.0, path
    off = heard[False].window(*MEASURED)
    on = heard[True].window(*MEASURED)
    # Without cancellation the far end hears its echo (far speech at about -22 dBFS, -10 dB).
    assert level_db(off) > -45.0
    # Echo reduced by 25 dB in most half seconds where there is echo (not in the far end's
    # pauses): the median, since on a loaded machine echo still comes through now and then
    # for half a second (seen: 1-2 half seconds of 11-12, mostly in the first second).
    halves = [
        level_db(off[i : i + RATE // 2]) - level_db(on[i : i + RATE // 2])
        for i in range(0, len(off) - RATE // 2 + 1, RATE // 2)
        if level_db(off[i : i + RATE // 2]) > ECHO_HEARD_DB
    ]
    assert len(halves) >= 6 and statistics.median(halves) >= MIN_ERLE_DB, [round(h) for h in halves]


def test_the_first_call_keeps_no_start_up_backlog_in_its_jitter_buffer(
    ui: UiClient, app: SoftphoneApp, pj_peer_factory: Callable[..., PjPeer]
) -> None:
    """A fresh engine's first call with cancellation on, to a peer that answers at once: the
    canceller is first made then (livekit and numpy imported, ~0.5 s). Made while the bridge
    had no clock, the far end's packets of that half second piled up in the call's jitter
    buffer (7-8 packets; 90-104 ms average delay, down to 52 only after 7 s; the first
    second's round trip 1.3x the steady one). Nothing on the network is late here, so the
    buffer holds one or two 20 ms packets."""
    pj_peer_factory("1009", mode="echo")
    delays: list[tuple[float, float]] = []
    app.bus.subscribe(
        CallQualityReported,
        lambda event: delays.append((time.monotonic(), event.quality.jitter_buffer_ms)),
    )
    call_id = ui.dial_connected("1009")
    connected = time.monotonic()
    time.sleep(4.0)
    mark = ui.mark()
    assert ui.command("call.hangup", call_id=call_id)["ok"]
    ui.wait_call_state("ended", start=mark)
    first = [round(ms) for at, ms in delays if at >= connected]
    assert len(first) >= 3, delays
    assert max(first) <= JITTER_BUFFER_MAX_MS, first
