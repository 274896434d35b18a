"""The engine's process, started before the rest of the app is imported (light imports only)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from softphone.bus import EventBus
from softphone.domain.settings import Settings
from softphone.engine.supervisor import EngineSupervisor
from softphone.options import AppOptions
from softphone.settings.trust import TrustStore


@dataclass(frozen=True, slots=True)
class EngineLaunch:
    """What the engine needs before the app exists: the bus its events go to and the CA
    bundle it verifies TLS with. The app takes all three over."""

    bus: EventBus
    trust: TrustStore
    engine: EngineSupervisor


def prepare_engine(options: AppOptions, settings: Settings) -> EngineLaunch:
    """The engine's supervisor, configured (not started) for these options and settings."""
    bus = EventBus()
    # TLS to the PBX verifies against the system CAs plus certificates the user trusted:
    # the bundle is written before the engine can read it.
    trust = TrustStore(options.paths.trust_dir)
    trust.prepare(settings.account)
    config = options.engine
    if config.tls_ca_file is None:
        config = replace(config, tls_ca_file=trust.bundle_path)
    if not settings.logs:  # logs off: the engine writes no file either
        config = replace(config, log_file=None)
    return EngineLaunch(bus, trust, EngineSupervisor(config, bus))
