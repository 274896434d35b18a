"""Composition root: builds every part, wires them together, owns start and stop order."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from softphone import __version__
from softphone.audio.headset_audio import HeadsetAudioPolicy
from softphone.audio.selection import AudioPreferences, AudioRoute
from softphone.audio.service import AudioService
from softphone.desktop import notifications
from softphone.desktop.services import DesktopServices
from softphone.directory.service import Directory
from softphone.directory.store import DirectoryStore
from softphone.domain.commands import SetAudioRoute
from softphone.domain.errors import SoftphoneError
from softphone.domain.events import EngineStarted, SettingsChanged, SnapshotInvalidated
from softphone.domain.settings import Settings
from softphone.domain.shell import DesktopShell
from softphone.engine_launch import EngineLaunch, prepare_engine
from softphone.headset.busylight_core_driver import SelectedBusyLight
from softphone.headset.device import system_hid_transport
from softphone.headset.redial import last_outgoing_number
from softphone.headset.service import HeadsetService
from softphone.history.recorder import HistoryRecorder
from softphone.history.store import HistoryStore
from softphone.options import AppOptions, ScriptedEmail
from softphone.phone.account import AccountManager
from softphone.phone.calls import CallRegistry
from softphone.phone.feature_code_calls import FeatureCodeCalls
from softphone.phone.links import CallLinks
from softphone.phone.pbx_forwarding import PbxForwarding
from softphone.phone.ringing_watch import RingingWatch
from softphone.phone.service import Phone
from softphone.phone.voicemail import Voicemail
from softphone.provisioning.refresh import ProvisioningRefresh
from softphone.provisioning.sign_in import SignIn
from softphone.provisioning.sign_in import state_file as provisioning_state_file
from softphone.settings.instance_id import InstanceIds
from softphone.settings.secrets import SecretStore
from softphone.settings.store import SettingsStore
from softphone.web import wire
from softphone.web.audio_commands import audio_commands
from softphone.web.commands import CommandTable
from softphone.web.desktop_commands import desktop_commands
from softphone.web.directory_commands import directory_commands
from softphone.web.directory_test import directory_test_commands
from softphone.web.headset_audio_commands import headset_audio_commands
from softphone.web.history_commands import history_commands
from softphone.web.link_commands import link_commands
from softphone.web.network_commands import network_commands
from softphone.web.provisioning_commands import provisioning_commands
from softphone.web.security import new_token
from softphone.web.server import WebServer
from softphone.web.tls_commands import tls_commands

log = logging.getLogger(__name__)


def frontend_dir() -> Path:
    """The built frontend: next to the source tree, or inside a PyInstaller bundle."""
    override = os.environ.get("SOFTPHONE_FRONTEND_DIR")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "frontend"
    return Path(__file__).resolve().parents[2] / "frontend" / "dist"


class SoftphoneApp:
    """Everything of one running softphone, built in dependency order, no globals."""

    def __init__(
        self,
        options: AppOptions,
        secrets: SecretStore | None = None,
        settings: SettingsStore | None = None,  # main() loads it first, for the window
        launch: EngineLaunch | None = None,  # main() spawns the engine while this is imported
    ) -> None:
        self.options = options
        options.paths.create()
        self.settings = settings or SettingsStore(options.paths.settings_file)
        launch = launch or prepare_engine(options, self.settings.settings)
        self.bus = launch.bus
        self.secrets = secrets or SecretStore()
        self.trust = launch.trust
        self.engine = launch.engine
        prefs = self.settings
        self.directory = Directory(
            DirectoryStore(options.paths.directory_file, prefs.settings.home_country),
            self.bus,
            sources=lambda: prefs.settings.directory,
            order=lambda: prefs.settings.directory_order,
            password=self.secrets.get,
        )
        self.bus.subscribe(
            SettingsChanged,
            lambda e: self.directory.apply(e.settings.home_country, e.settings.directory),
        )
        self.calls = CallRegistry(self.bus, resolve_name=self.directory.name_for)
        self.audio = AudioService(
            self.bus,
            lambda: _audio_preferences(prefs.settings),
            lambda: prefs.settings.ring_volume,
            self.calls.snapshots,
            self._apply_audio_route,
        )
        self._audio_key = _audio_key(prefs.settings)
        self.bus.subscribe(SettingsChanged, self._on_audio_settings)
        self.history = HistoryStore(options.paths.history_file)
        self.history_recorder = HistoryRecorder(self.bus, self.history)
        instance_ids = InstanceIds(options.paths.data_dir / "sip-instance.json")
        self.accounts = AccountManager(
            self.bus,
            self.engine,
            self.settings,
            self.secrets,
            prepare_tls=self.trust.prepare,
            instance_id=lambda account: instance_ids.for_account(account.aor),
        )
        self.phone = Phone(self.engine, self.accounts, self.calls, self.bus)
        # Links from the OS, a second launch or the CLI: offered in the keypad, not dialled.
        self.links = CallLinks(
            self.bus, self.phone, lambda: prefs.settings, lambda: self.accounts.account
        )
        self.ringing_watch = RingingWatch(self.bus, self.engine, self.calls.snapshots)
        self.voicemail = Voicemail(
            self.bus, self.phone.dial, lambda: prefs.settings.feature_codes.voicemail
        )
        self.pbx_forwarding = self._pbx_forwarding()
        self.headsets = HeadsetService(
            self.bus,
            self.phone,
            self.calls.snapshots,
            options.hid_transport or system_hid_transport(),
            enabled=self.settings.settings.headset_integration,
            busylight=SelectedBusyLight(self.settings.settings.busylight),
            blink_when_ringing=self.settings.settings.busylight_blink,
            last_number=lambda: last_outgoing_number(self.history),
        )
        self.headset_audio = HeadsetAudioPolicy(
            self.bus, lambda: prefs.settings, prefs.save, lambda: self.audio.devices
        )
        self.notifier: notifications.CallNotifier | None = None
        if notifications.wanted():  # a desktop session: no D-Bus traffic on servers
            self.notifier = notifications.CallNotifier(
                self.bus, lambda: prefs.settings, self.phone.answer, self.phone.reject
            )
        self.commands = CommandTable(
            self.phone, self.accounts, self.settings, self.bus, self.pbx_forwarding.review
        )
        self.commands.handlers.update(history_commands(self.history, self.history_recorder))
        self.commands.handlers.update(
            directory_commands(self.directory, self.settings, self.secrets, self.bus.publish)
        )
        self.commands.handlers.update(tls_commands(self.trust))
        self.commands.handlers.update(link_commands(self.links))
        self.commands.handlers["voicemail.call"] = lambda _a: {"call_id": self.voicemail.call()}
        self.commands.handlers.update(directory_test_commands(self.directory, self.secrets))
        self.sign_in = self._sign_in(options)  # after directory_commands: it extends them
        self.commands.handlers.update(audio_commands(self.audio, self.settings, self.bus.publish))
        self.commands.handlers.update(headset_audio_commands(self.headset_audio))
        self.commands.handlers.update(
            network_commands(
                self.settings,
                self.secrets,
                self.accounts,
                self.bus.publish,
                in_call=lambda: bool(self.calls.snapshots()),
            )
        )
        self.web = WebServer(
            token=new_token(),
            frontend_dir=frontend_dir(),
            commands=self.commands,
            snapshot=self.snapshot,
            bus=self.bus,
            port=options.web_port,
        )
        self._engine_starts = 0
        self.bus.subscribe(EngineStarted, self._on_engine_started)
        self.shell = DesktopShell()  # the CLI fills it in when a window and a tray exist
        scripted = options.scripted_account or options.scripted_email
        scripted_password = scripted.password if scripted else ""
        self.desktop = DesktopServices(
            self.bus,
            self.settings,
            self.secrets,
            log_dir=options.paths.log_dir,
            extra_logs=[options.engine.log_file] if options.engine.log_file else [],
            extra_secrets=lambda: [self.web.token, scripted_password],
            autostart_directory=options.autostart_dir,
            launch_data_dir=options.launch_data_dir,
        )
        self.commands.handlers.update(
            desktop_commands(
                version=__version__,
                shell=self.shell,
                downloads=self.web.downloads,
                export_sources=self.desktop.export_sources,
                test_notification=lambda: self.notifier is not None and self.notifier.show_test(),
            )
        )

    def snapshot(self) -> wire.Wire:
        return wire.snapshot(
            self.accounts.account,
            self.accounts.registration,
            self.calls.snapshots(),
            self.settings.settings,
            missed_count=self.history.unseen_missed_count(),
            headsets=self.headsets.detected(),
            pending_link=self.links.pending(),
            voicemail_summary=self.voicemail.summary,
        )

    def _apply_audio_route(self, route: AudioRoute) -> None:
        command = SetAudioRoute(
            input=route.input,
            output=route.output,
            echo_cancellation=self.settings.settings.echo_cancellation,
            auto_gain=self.settings.settings.auto_gain,
        )
        try:
            self.engine.send(command)
        except SoftphoneError as exc:  # kept by the supervisor and replayed when it is back
            log.info("audio route not sent now: %s", exc)

    def _sign_in(self, options: AppOptions) -> SignIn:
        """The e-mail sign-in and its wire commands (docs/provisioning.md)."""
        sign_in = SignIn(
            accounts=self.accounts,
            settings=self.settings,
            secrets=self.secrets,
            trust=self.trust,
            state=provisioning_state_file(options.paths.config_dir),
            publish=self.bus.publish,
            url_option=options.provisioning_url,
            provisioned_contacts=self.directory.set_provisioned,
            directory_refresh=self.directory.refresh,
        )
        self.provisioning_refresh = ProvisioningRefresh(sign_in, self.bus.publish)
        self.commands.locked_settings = lambda: sign_in.state.locked
        self.commands.handlers.update(
            provisioning_commands(sign_in, self.provisioning_refresh, self.commands.handlers)
        )
        return sign_in

    def _on_audio_settings(self, event: SettingsChanged) -> None:
        key = _audio_key(event.settings)
        if key != self._audio_key:
            self._audio_key = key
            self.audio.apply_preferences()

    def _on_engine_started(self, event: EngineStarted) -> None:
        self._engine_starts += 1
        if self._engine_starts > 1:  # a restart: the UI must drop what it knew
            self.bus.publish(SnapshotInvalidated())

    def start(self) -> None:
        self.desktop.start()  # first: the log file records the rest of the start
        self.history_recorder.recover()  # before any call: rows a crash left open
        self.engine.start()
        self.accounts.watch.start()
        self.phone.apply_settings(self.settings.settings)
        self.web.start()
        self.directory.start()  # the offline copy answers at once; the sync runs behind
        self.headsets.start()
        if self.notifier is not None:
            self.notifier.start()
        scripted = self.options.scripted_account
        if scripted is not None:
            self.settings.save(self.settings.settings.with_changes(account=scripted.account))
            self.accounts.resume(password_override=scripted.password)
        elif self.options.scripted_email is not None:
            self._scripted_sign_in(self.options.scripted_email)
        else:
            self.accounts.resume()
        # Last: listing sound devices takes ~0.1-0.4 s (PulseAudio probe, PortAudio's ALSA
        # scan) and no call needs the route before the account registers. It sends the route.
        self.audio.start()
        self.provisioning_refresh.start()  # re-fetches the document at start, then every few hours

    def _scripted_sign_in(self, scripted: ScriptedEmail) -> None:
        try:
            outcome = self.sign_in.sign_in(scripted.email, scripted.password)
        except SoftphoneError as exc:  # the sign-in form shows, as after a refused typed sign-in
            log.error("sign-in as %s failed: %s", scripted.email, exc)
            return
        log.info("signed in as %s by %s", scripted.email, outcome.method)

    def _pbx_forwarding(self) -> PbxForwarding:
        """Feature-code calls followed until the PBX's answer is known; forwarding by codes."""
        self.feature_code_calls = FeatureCodeCalls(self.bus, self.phone.hangup)
        self.phone.feature_code_calls = self.feature_code_calls
        return PbxForwarding(self.phone, self.bus, self.settings, self.feature_code_calls)

    def stop(self) -> None:
        if self.notifier is not None:
            self.notifier.stop()
        self.provisioning_refresh.stop()  # before the engine: a re-fetch may re-register
        self.headsets.stop()
        self.web.stop()
        self.accounts.watch.stop()
        self.audio.stop()
        self.engine.stop()  # calls still up end here and are recorded: close the store after
        self.feature_code_calls.close()
        self.history_recorder.stop()
        self.history.close()
        self.directory.stop()
        self.directory.store.close()
        self.desktop.stop()

    @property
    def url(self) -> str:
        return self.web.url


def _audio_preferences(settings: Settings) -> AudioPreferences:
    s = settings
    return AudioPreferences(s.audio_input, s.audio_output, s.audio_ringer, dict(s.audio_names))


def _audio_key(settings: Settings) -> tuple[object, ...]:
    """What the engine's audio route depends on (the ring volume is the ringer's own)."""
    return (_audio_preferences(settings), settings.echo_cancellation, settings.auto_gain)
