"""Latency and real time of call audio (issue 18): the app's mouth-to-ear round trip beside
baresip's in its place (same echoing pjsua2 peer, same Kamailio, same PulseAudio null devices,
G.722 both), the first second of a call against its steady state, and the audio sent per
second of call in each device rig.

`make bench` runs it from run.py; `python bench/bench_latency.py [round-trips|first-second|
real-time]` runs only this part (or the parts named; BENCH_RIG_SERVER=pipewire limits the
real-time rigs to one audio server) and replaces only its rows in results.md and results.json
(run.py's update_rows).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import audio_calls  # noqa: E402

from audiolab.pipewire import PipeWireServer  # noqa: E402
from audiolab.pulse import PulseServer, pulse_server_env  # noqa: E402
from pbx import tones  # noqa: E402
from pbx.baresip import Baresip  # noqa: E402
from pbx.kamailio import Kamailio  # noqa: E402
from pbx.pj_peer_proc import PjPeer  # noqa: E402
from softphone.domain.network import CallQualityReported  # noqa: E402
from support.app_harness import UiClient, running_app, sign_in  # noqa: E402

AddRow = Callable[[str, float, str, float | None, str, str], None]

# baresip 1.0.0's own defaults (no audio_buffer, no jitter_buffer_delay line), and its jitter
# buffer tuned (frames, min-max): 1-10 as in tests/pbx/baresip.py, 1-3 as small as it goes
# without its playback starving on a loopback path.
BARESIP_JITTER = {"default": None, "1-10 frames": "1-10", "1-3 frames": "1-3"}
PACKET_S = 0.020  # G.722 at 20 ms per RTP packet
RIG_OPEN_S = 3.0
RIG_MEASURE_S = 15.0


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} (1/5 min), {psutil.cpu_count()} cores shared"


def _baresip_caller(jitter: str | None) -> audio_calls.InCall:
    @contextmanager
    def in_call(pbx: Kamailio, work: Path, pulse: PulseServer) -> Iterator[object]:
        config: dict[str, str | None] = {
            "audio_player": "alsa,pulse",
            "audio_source": "alsa,pulse",
            "ausrc_srate": "16000",
            "auplay_srate": "16000",
            "ausrc_channels": "1",
            "auplay_channels": "1",
            # One "module" line per module: the value holds the lines after the first key.
            "module": "g711.so\nmodule g722.so\nmodule alsa.so\nmodule aubridge.so"
            "\nmodule sndfile.so",
            "audio_buffer": None,
            "jitter_buffer_delay": jitter,
        }
        peer = Baresip(
            pbx.port,
            "1002",
            pbx.users["1002"],
            codecs=("G722/16000/1",),
            answermode="auto",
            work_dir=work / f"baresip-{jitter or 'default'}",
            config=config,
            env={"PULSE_SERVER": pulse.server, "PULSE_SINK": "speaker", "PULSE_SOURCE": "mic"},
        )
        with peer:
            mark = peer.mark()
            peer.dial("1009")
            peer.wait_for_event("CALL_ESTABLISHED", timeout=15, start=mark)
            time.sleep(2.5)  # as for the app: the devices open and settle
            yield peer
            peer.hangup()

    return in_call


def round_trips(pbx: Kamailio, work: Path, add: AddRow) -> None:
    app = audio_calls.mouth_to_ear(pbx, work / "m2e-app")
    baresip: dict[str, audio_calls.MouthToEar] = {}
    for label, jitter in BARESIP_JITTER.items():
        try:
            baresip[label] = audio_calls.mouth_to_ear(
                pbx, work / f"m2e-bs-{label.split()[0]}", _baresip_caller(jitter)
            )
        except Exception as exc:  # a row says so rather than the whole bench failing
            print(f"baresip ({label}): {exc}", file=sys.stderr)
    tuned = [m for label, m in baresip.items() if label != "default"]
    best = min(tuned, key=lambda m: m.round_trip_ms) if tuned else None
    add(
        "audio round trip: mic -> app -> echo peer -> app -> speaker (median)",
        app.round_trip_ms,
        "ms",
        best.round_trip_ms if best else None,
        "baresip, best tuned",
        f"p90 {app.round_trip_p90_ms:.0f} ms"
        f" (p90/median {app.round_trip_p90_ms / app.round_trip_ms:.2f});"
        f" {app.chirps} chirps; measurement loop {app.loop_ms:.0f} ms subtracted; G.722;"
        f" {_load()}",
    )
    try:
        pipewire = audio_calls.mouth_to_ear(pbx, work / "m2e-app-pw", server_kind="pipewire")
        add(
            "audio round trip on PipeWire: mic -> app -> echo peer -> app -> speaker (median)",
            pipewire.round_trip_ms,
            "ms",
            app.round_trip_ms,
            "the app on PulseAudio",
            f"p90 {pipewire.round_trip_p90_ms:.0f} ms"
            f" (p90/median {pipewire.round_trip_p90_ms / pipewire.round_trip_ms:.2f});"
            f" {pipewire.chirps} chirps; measurement loop {pipewire.loop_ms:.0f} ms subtracted;"
            " PipeWire + pipewire-pulse + WirePlumber, null devices, the same echo peer; G.722;"
            f" {_load()}",
        )
    except Exception as exc:  # a row says so rather than the whole bench failing
        print(f"round trip on PipeWire: {exc}", file=sys.stderr)
    for label, m in baresip.items():
        add(
            f"audio round trip, baresip in place of the app, jitter buffer {label} (median)",
            m.round_trip_ms,
            "ms",
            None,
            "",
            f"p90 {m.round_trip_p90_ms:.0f} ms; {m.chirps} chirps; same echo peer, Kamailio,"
            " null devices (ALSA 'pulse' device), G.722",
        )


def first_second(pbx: Kamailio, work: Path, add: AddRow) -> None:
    for server_kind, on in (("pulseaudio", ""), ("pipewire", ", PipeWire")):
        first = audio_calls.first_second(pbx, work / f"first-{server_kind}", server_kind)
        add(
            f"audio round trip of the first chirp after connected vs steady (>= 8 s){on}",
            first.first_ms,
            "ms",
            first.steady_ms,
            "steady",
            f"first chirp sent {first.first_at_s:.1f} s after connected; chirps of the first"
            f" 5 s: {', '.join(f'{x:.0f}' for x in first.early_ms)} ms; target ratio <= 1.2;"
            f" {_load()}",
        )


# --- audio seconds sent per second of call ---------------------------------------------------


def _rig_action(server: PulseServer, rig: str, engine_pid: int) -> Callable[[float], None]:
    """What to do every 0.1 s of the measurement, given the time into it (as in
    tests/integration/test_audio_realtime.py)."""
    if rig == "loopback":
        server.add_loopback("speaker.monitor", "mic_feed", latency_ms=60)

        def starve(_at: float) -> None:
            os.kill(engine_pid, signal.SIGSTOP)  # a busy machine: the speaker underruns
            time.sleep(0.06)
            os.kill(engine_pid, signal.SIGCONT)

        return starve
    done: list[bool] = []
    if rig == "stall":

        def stall(at: float) -> None:
            if at >= 3.0 and not done:
                done.append(True)
                server.suspend("speaker")
                time.sleep(2.0)
                server.suspend("speaker", False)

        return stall
    if rig == "replug":

        def replug(at: float) -> None:
            if at >= 3.0 and not done:
                done.append(True)
                server.remove("speaker")
                time.sleep(2.0)
                server.add_output("speaker", "Bench Speaker")

        return replug
    return lambda _at: None


def _seconds_per_second(samples: list[tuple[float, int]], start: float, end: float) -> float:
    window = [s for s in samples if start <= s[0] <= end]
    if len(window) < 5:
        raise RuntimeError(f"too few call quality samples: {samples}")
    times = np.array([t for t, _ in window])
    sent = np.array([n * PACKET_S for _, n in window])
    return float(np.polyfit(times - times[0], sent, 1)[0])


def audio_per_second(pbx: Kamailio, work: Path, server_kind: str, rig: str) -> float:
    server: PulseServer = (
        PipeWireServer(work / f"pw-{rig}")
        if server_kind == "pipewire"
        else PulseServer(work / f"pa-{rig}")
    )
    server.start()
    try:
        server.add_output("speaker", "Bench Speaker")
        server.add_input("mic", "Bench Microphone")
        server.set_default(sink="speaker", source="mic")
        wav = tones.write_tone_wav(work / f"mic-{rig}.wav", 1000, 60.0, rate=48000, amplitude=0.3)
        player = server.play("mic", wav)
        try:
            with (
                pulse_server_env(server),
                PjPeer(
                    pbx.port, "1009", pbx.users["1009"], mode="echo", work_dir=work / f"echo-{rig}"
                ),
                running_app(work / f"app-{server_kind}-{rig}", echo_cancellation=True) as app,
            ):
                return _measure_rig(app, pbx, server, rig)
        finally:
            player.terminate()
            player.wait(5)
    finally:
        server.stop()


def _measure_rig(app: object, pbx: Kamailio, server: PulseServer, rig: str) -> float:
    from softphone.app import SoftphoneApp

    assert isinstance(app, SoftphoneApp)
    samples: list[tuple[float, int]] = []
    lock = threading.Lock()

    def keep(event: CallQualityReported) -> None:
        with lock:
            samples.append((time.monotonic(), event.quality.tx_packets))

    app.bus.subscribe(CallQualityReported, keep)
    ui = UiClient(app)
    try:
        assert sign_in(ui, pbx.port, "1001", pbx.users["1001"])["ok"]
        during = _rig_action(server, rig, app.engine.pid or 0)
        mark = ui.mark()
        call_id = str(ui.command("call.dial", number="1009")["result"]["call_id"])
        ui.wait_call_state("connected", start=mark, timeout=15)
        start = time.monotonic() + RIG_OPEN_S
        end = start + RIG_MEASURE_S
        while (now := time.monotonic()) < end + 1.0:
            during(now - start)
            time.sleep(0.1)
        ui.command("call.hangup", call_id=call_id)
    finally:
        ui.close()
    with lock:
        return _seconds_per_second(list(samples), start, end)


RIGS = [
    ("pulseaudio", "plain", "plain null devices"),
    ("pulseaudio", "loopback", "loopback module speaker -> mic, engine starved 60 ms every 0.1 s"),
    ("pulseaudio", "stall", "speaker suspended 2 s"),
    ("pulseaudio", "replug", "speaker unplugged 2 s and replugged"),
    ("pipewire", "plain", "PipeWire + pipewire-pulse + WirePlumber"),
    ("pipewire", "loopback", "PipeWire, loopback module, engine starved"),
    ("pipewire", "stall", "PipeWire, speaker suspended 2 s"),
    ("pipewire", "replug", "PipeWire, speaker unplugged 2 s and replugged"),
]


def real_time(pbx: Kamailio, work: Path, add: AddRow) -> None:
    only = os.environ.get("BENCH_RIG_SERVER")  # "pipewire": those rigs alone
    for server_kind, rig, what in RIGS:
        if only and server_kind != only:
            continue
        try:
            rate = audio_per_second(pbx, work / f"rt-{server_kind}-{rig}", server_kind, rig)
        except Exception as exc:
            print(f"audio per second ({server_kind}, {rig}): {exc}", file=sys.stderr)
            continue
        add(
            f"audio seconds sent per call second, {server_kind} {rig} rig",
            rate * 100,
            "% of call time",
            None,
            "",
            f"{rate:.4f} s/s; {what}; RTP packets counted over {RIG_MEASURE_S:.0f} s from"
            f" {RIG_OPEN_S:.0f} s after connected; target 100 +- 1 %; {_load()}",
        )


PARTS = {"round-trips": round_trips, "first-second": first_second, "real-time": real_time}


def run_all(pbx: Kamailio, work: Path, add: AddRow, parts: list[str] | None = None) -> None:
    for name, part in PARTS.items():
        if parts is None or name in parts:
            part(pbx, work, add)


def main() -> int:
    import tempfile

    import keyring
    import run

    from support.memory_keyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())
    rows: list[run.Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        work = Path(tmp)
        with Kamailio(work_dir=work / "kamailio", tls=False) as pbx:
            run_all(
                pbx,
                work,
                lambda name, value, unit, peer, peer_name, note: rows.append(
                    run.Row(name, value, unit, peer, peer_name, note)
                ),
                sys.argv[1:] or None,  # parts by name (PARTS); none: all
            )
    run.update_rows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
