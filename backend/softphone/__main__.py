"""Command line entry point: `softphone` / `python -m softphone`."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from softphone import __version__
from softphone.domain.account import AccountConfig, SrtpMode, Transport
from softphone.domain.errors import SoftphoneError

# Only light modules at the top: the window opens before the app (Flask, audio, directory...)
# is imported; main() imports the app itself. (The engine's process runs softphone.engine.child,
# not this module.)
if TYPE_CHECKING:
    from _typeshed import SupportsWrite

    from softphone.app import SoftphoneApp
    from softphone.desktop.single_instance import SingleInstance
    from softphone.options import AppOptions, ScriptedAccount, ScriptedEmail
    from softphone.settings.store import SettingsStore

log = logging.getLogger("softphone")


class _QuietParser(argparse.ArgumentParser):
    """Parses a later launch's argv inside the running app: errors must not exit it."""

    def error(self, message: str) -> NoReturn:
        raise ValueError(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise ValueError(message or f"exit {status}")  # --help, --version: not for us

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        pass  # --help, --version: nothing goes to the running app's output


def build_parser(
    parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser,
) -> argparse.ArgumentParser:
    parser = parser_class(
        prog="softphone",
        description="Desktop SIP softphone. Opens a window; with --browser (or no display) it "
        "serves the UI on 127.0.0.1 and prints the URL to open.",
    )
    parser.add_argument(
        "uri",
        nargs="?",
        help="a tel:, sip: or callto: link: shown in the keypad, ready to call (handed to the "
        "running app)",
    )
    parser.add_argument("--version", action="version", version=f"softphone {__version__}")
    parser.add_argument(
        "--browser",
        action="store_true",
        help="no window: serve the UI and print 'Open http://127.0.0.1:PORT/#token=...'",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep settings, data and logs in this directory (several instances side by side)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port of the local UI server (default: a free one)"
    )
    sip = parser.add_argument_group("SIP")
    sip.add_argument(
        "--sip-bind",
        default="",
        help="address the SIP sockets bind to (default: the one that reaches the PBX)",
    )
    sip.add_argument("--sip-port", type=int, default=0, help="local SIP port (default: a free one)")
    sip.add_argument(
        "--sip-log-level", type=int, default=3, help="pjsip log level 0-6 (5 logs every message)"
    )
    acct = parser.add_argument_group(
        "scripted sign-in (the password is read from an environment variable)"
    )
    acct.add_argument(
        "--email",
        help="sign in by e-mail as the sign-in form does (provisioning, else DNS; "
        "docs/provisioning.md); instead of --server/--user",
    )
    acct.add_argument("--server", help="SIP server / domain, optionally host:port")
    acct.add_argument("--user", help="SIP user (extension)")
    acct.add_argument("--auth-user", default="", help="authentication user, if not the extension")
    acct.add_argument("--display-name", default="", help="display name")
    acct.add_argument("--transport", choices=[t.value for t in Transport], default="udp")
    acct.add_argument(
        "--srtp",
        choices=[m.value for m in SrtpMode],
        default="off",
        help="call encryption: off, optional, mandatory (needs --transport tls)",
    )
    acct.add_argument(
        "--password-env",
        default="SOFTPHONE_PASSWORD",
        help="environment variable holding the password",
    )
    parser.add_argument(
        "--provisioning-url",
        default="",
        help="https URL of the provisioning service for e-mail sign-in; may hold {email}, "
        "{user}, {domain} (default: $SOFTPHONE_PROVISIONING_URL, else the DNS of the e-mail's "
        "domain; see docs/provisioning.md)",
    )
    parser.add_argument(
        "--minimized",
        action="store_true",
        help="start hidden in the tray (used by the start-at-login entry)",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    return parser


def _scripted_password(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str:
    password = os.environ.get(args.password_env)
    if not password:
        parser.error(f"the environment variable {args.password_env} holds no password")
    return password


def _scripted_email(
    args: argparse.Namespace, parser: argparse.ArgumentParser
) -> ScriptedEmail | None:
    if not args.email:
        return None
    if args.server or args.user:
        parser.error("--email or --server/--user, not both")
    from softphone.options import ScriptedEmail

    return ScriptedEmail(args.email, _scripted_password(args, parser))


def _scripted_account(
    args: argparse.Namespace, parser: argparse.ArgumentParser
) -> ScriptedAccount | None:
    if not args.server and not args.user:
        return None
    if not (args.server and args.user):
        parser.error("--server and --user go together")
    password = _scripted_password(args, parser)
    try:
        account = AccountConfig(
            server=args.server,
            user=args.user,
            auth_user=args.auth_user,
            display_name=args.display_name,
            transport=Transport(args.transport),
            srtp=SrtpMode(args.srtp),
        )
    except SoftphoneError as exc:
        parser.error(f"invalid account: {exc.field}")
    from softphone.options import ScriptedAccount

    return ScriptedAccount(account, password)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s",
    )
    # Only what the window needs before it opens; the app (Flask, audio, directory... ~1 s
    # of imports and set-up) is imported after, beside the window in window mode.
    from softphone.desktop.single_instance import SingleInstance
    from softphone.engine.config import EngineConfig
    from softphone.options import AppOptions
    from softphone.paths import AppPaths
    from softphone.settings.store import SettingsStore

    paths = AppPaths.for_data_dir(args.data_dir)
    paths.create()

    from softphone.desktop.window import has_display

    instance = SingleInstance(paths.runtime_dir)
    try:
        first = instance.acquire()
    except PermissionError as exc:  # the lock dir or file was made by another user
        print(f"softphone cannot start safely: {exc}", file=sys.stderr)
        return 1
    if not first:
        handed = instance.hand_over(sys.argv[1:] if argv is None else argv)
        print(
            "softphone is already running: handed over to it"
            if handed
            else "softphone is already running"
        )
        return 0 if handed else 1

    options = AppOptions(
        paths=paths,
        engine=EngineConfig(
            bind_address=args.sip_bind,
            sip_port=args.sip_port,
            log_level=args.sip_log_level,
            log_file=paths.log_dir / "engine.log",
        ),
        web_port=args.port,
        scripted_account=_scripted_account(args, parser),
        scripted_email=_scripted_email(args, parser),
        launch_data_dir=args.data_dir,
        provisioning_url=args.provisioning_url,
    )
    settings = SettingsStore(paths.settings_file)  # one store: the window's and the app's
    if not args.browser and has_display():
        return _run_window(options, settings, instance, args)
    app = _build_app(options, settings)
    try:
        app.start()
    except SoftphoneError as exc:
        log.error("cannot start: %s", exc)
        instance.close()
        return 1
    try:
        instance.serve(lambda received: _on_second_launch(app, received, []))
        if args.uri:
            app.links.handle(args.uri)
        print(f"Open {app.url}", flush=True)
        _wait_for_signal()
    finally:
        app.stop()
        instance.close()
    return 0


def _run_window(
    options: AppOptions,
    settings: SettingsStore,
    instance: SingleInstance,
    args: argparse.Namespace,
) -> int:
    """Window mode: the window opens at once (splash page) while the app is imported, built
    and started beside it.

    Qt WebEngine's start (~1 s) and the app's (imports and set-up ~1 s, then the engine
    process, server, sign-in: ~1 s) used to run one after the other; the window now shows
    the UI as soon as the server answers.
    """
    from softphone.desktop.runner import DesktopRunner

    runner = DesktopRunner(settings, options.paths, minimized=args.minimized)
    started: list[SoftphoneApp] = []  # the app, once it has started

    def start() -> None:
        try:
            app = _build_app(options, settings)
        except Exception:  # a bug: nothing to show
            log.exception("cannot start")
            runner.window.close()
            return
        try:
            app.start()
        except Exception as exc:  # SoftphoneError or a bug: either way there is nothing to show
            log.error("cannot start: %s", exc, exc_info=not isinstance(exc, SoftphoneError))
            runner.window.close()
            return
        started.append(app)
        instance.serve(lambda received: _on_second_launch(app, received, [runner.window]))
        if args.uri:
            app.links.handle(args.uri)
        runner.attach(app)

    starter = threading.Thread(target=start, name="app-start", daemon=True)
    starter.start()
    try:
        runner.run()
    finally:
        starter.join()  # closed while starting: let the start finish, then stop what it started
        for app in started:
            app.stop()
        instance.close()
    return 0 if started else 1


def _build_app(options: AppOptions, settings: SettingsStore) -> SoftphoneApp:
    """The engine's process first (~0.3 s to start pjsua2), then the app is imported and
    built (~0.5 s) while it starts: it reads the engine's events once it has subscribed."""
    from softphone.engine_launch import prepare_engine

    launch = prepare_engine(options, settings.settings)
    launch.engine.spawn()
    try:
        from softphone.app import SoftphoneApp

        return SoftphoneApp(options, settings=settings, launch=launch)
    except BaseException:
        launch.engine.stop()
        raise


def _on_second_launch(app: SoftphoneApp, argv: list[str], windows: list[Any]) -> None:
    link = link_in(argv)
    if link is not None:
        app.links.handle(link)  # checked there: refused, offered in the keypad, or called
    for window in windows:
        window.show_and_focus()


def link_in(argv: list[str]) -> str | None:
    """The link a later launch was given: its positional argument, read as the CLI reads it.

    Whatever a local process sends is parsed, never acted on as options (no --data-dir
    switch, no --help printed): only the link is taken, and it is checked later.
    """
    try:
        args, _unknown = build_parser(_QuietParser).parse_known_args(argv)
    except ValueError:
        return None
    uri = args.uri
    return uri if isinstance(uri, str) else None


def _wait_for_signal() -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass


if __name__ == "__main__":
    raise SystemExit(main())
