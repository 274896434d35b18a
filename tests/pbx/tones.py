"""Write test tones and analyse recorded WAVs (dominant frequency, tone ratio, silence)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float64]


def write_tone_wav(
    path: Path | str,
    freq: float,
    seconds: float,
    rate: int = 16000,
    *,
    amplitude: float = 0.5,
    channels: int = 1,
) -> Path:
    """16-bit PCM sine WAV (amplitude relative to full scale)."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    pcm = (np.sin(2 * np.pi * freq * t) * amplitude * 32767).astype("<i2")
    if channels > 1:
        pcm = np.repeat(pcm[:, None], channels, axis=1).reshape(-1)
    path = Path(path)
    _write_pcm16(path, pcm.tobytes(), rate, channels)
    return path


def _write_pcm16(path: Path, data: bytes, rate: int, channels: int) -> None:
    block = 2 * channels
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, 16)
    header += b"data" + struct.pack("<I", len(data))
    path.write_bytes(header + data)


def read_wav(path: Path | str) -> tuple[Samples, int]:
    """Mono float samples in [-1, 1] and the sample rate.

    Tolerates WAVs whose writer has not finished (data size 0 or too large, as sndfile and
    pjmedia leave them while the call runs): the data chunk is read to end of file.
    Handles PCM 8/16/32-bit and float32, any channel count (channels are averaged).
    """
    raw = Path(path).read_bytes()
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file")
    pos, fmt, data = 12, None, b""
    while pos + 8 <= len(raw):
        cid, size = raw[pos : pos + 4], struct.unpack("<I", raw[pos + 4 : pos + 8])[0]
        body = raw[pos + 8 : pos + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif cid == b"data":
            data = raw[pos + 8 :] if size == 0 or pos + 8 + size > len(raw) else body
            break
        pos += 8 + size + (size & 1)
    if fmt is None:
        raise ValueError(f"{path}: no fmt chunk")
    tag, channels, rate, _byte_rate, _align, bits = fmt
    if tag == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: the subformat is PCM or float by bits
        tag = 3 if bits == 32 and b"\x03\x00\x00\x00\x10\x00" in raw[:80] else 1
    frame_bytes = channels * bits // 8
    data = data[: len(data) - len(data) % frame_bytes]
    if tag == 3:
        x = np.frombuffer(data, "<f4").astype(np.float64)
    elif bits == 16:
        x = np.frombuffer(data, "<i2").astype(np.float64) / 32768.0
    elif bits == 32:
        x = np.frombuffer(data, "<i4").astype(np.float64) / 2147483648.0
    elif bits == 8:
        x = (np.frombuffer(data, "u1").astype(np.float64) - 128.0) / 128.0
    else:
        raise ValueError(f"{path}: unsupported {bits}-bit samples")
    if channels > 1:
        x = x.reshape(-1, channels).mean(axis=1)
    return x, int(rate)


def _load(
    src: Path | str | tuple[Samples, int], start_s: float, end_s: float | None
) -> tuple[Samples, int]:
    x, rate = src if isinstance(src, tuple) else read_wav(src)
    a = int(start_s * rate)
    b = len(x) if end_s is None else int(end_s * rate)
    return x[a:b], rate


def duration(src: Path | str | tuple[Samples, int]) -> float:
    x, rate = _load(src, 0.0, None)
    return len(x) / rate


def rms_dbfs(
    src: Path | str | tuple[Samples, int], start_s: float = 0.0, end_s: float | None = None
) -> float:
    """RMS level in dB relative to full scale (-inf dB for digital silence -> -200)."""
    x, _ = _load(src, start_s, end_s)
    rms = float(np.sqrt(np.mean(x * x))) if len(x) else 0.0
    return float(20 * np.log10(rms)) if rms > 1e-10 else -200.0


def dominant_frequency(
    src: Path | str | tuple[Samples, int], start_s: float = 0.5, end_s: float | None = None
) -> float:
    """Frequency (Hz) of the strongest FFT bin, ignoring DC; start_s skips call setup."""
    x, rate = _load(src, start_s, end_s)
    if len(x) < 256:
        raise ValueError("too few samples to analyse")
    spectrum = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    spectrum[freqs < 50] = 0.0
    return float(freqs[int(np.argmax(spectrum))])


def tone_power_ratio(
    src: Path | str | tuple[Samples, int],
    freq: float,
    start_s: float = 0.5,
    end_s: float | None = None,
    bandwidth: float = 40.0,
) -> float:
    """Share (0..1) of the signal's energy within +-bandwidth/2 Hz of freq.

    Uses the windowed power spectrum (a Goertzel bank would give the same answer);
    a clean tone through G.711 gives > 0.9, silence or another tone ~0.
    """
    x, rate = _load(src, start_s, end_s)
    if len(x) < 256:
        return 0.0
    power = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    total = float(power[freqs >= 20].sum())
    if total <= 0.0:
        return 0.0
    band = (freqs >= freq - bandwidth / 2) & (freqs <= freq + bandwidth / 2)
    return float(power[band].sum()) / total


def is_silent(
    src: Path | str | tuple[Samples, int],
    threshold_dbfs: float = -50.0,
    start_s: float = 0.0,
    end_s: float | None = None,
) -> bool:
    """True when the RMS level stays below threshold_dbfs (or there is no audio)."""
    return rms_dbfs(src, start_s, end_s) < threshold_dbfs
