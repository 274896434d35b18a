"""The wire protocol between frontend and backend (schema 1): ONE encoder for every event.

Transport
    Socket.IO v4 over websocket on http://127.0.0.1:PORT/ (the page's own origin). The page is
    opened as ``/#token=SECRET``; the client connects with ``auth: {"token": SECRET}``. A
    missing or wrong token, a foreign Origin or Host is refused before any event flows.
    One message is at most 64 KiB (a bigger one closes the connection unanswered): files
    come as ``POST /import/contacts?format=`` with ``Authorization: Bearer SECRET``, up to
    10 MiB, answered with the contacts.import ack as JSON (web/uploads.py).

Version
    SCHEMA_VERSION (an int, 1 now) goes out as the snapshot's ``schema``, the first message
    after every connect. It changes with anything a frontend of the previous version would
    misread: an event, field or command renamed, removed or given another meaning. The
    frontend compares it once per connect with the version it was built for (SCHEMA_VERSION
    in frontend/src/api/protocol.ts); on a mismatch it closes the connection without sending
    a command and asks the user to restart the app (status ``incompatible``).

Server -> client: Socket.IO event ``event`` with ``{"type": ..., **fields}``
    snapshot              schema, account, registration, calls[], settings, missed_count,
                          headsets[], pending_link, voicemail
                          (on connect, and again after an engine restart: replaces all
                          client state)
    account_changed       account (object or null)
    registration_changed  registration
    call_changed          call
    call_removed          call_id
    settings_changed      settings
    history_changed       entry  (a HistoryEntry was created or updated)
    history_cleared       (no fields: every entry was deleted)
    missed_count          count  (missed calls not looked at yet: the History tab badge)
    history_write_failed  error: storage_full|storage_failed  (the entry is retried later)
    line_state            line: LineState  (a monitored colleague's BLF dot changed)
    headsets_changed      headsets: Headset[]  (also in the snapshot as headsets)
    directory_changed     (no fields: contacts changed; re-run a shown search)
    directory_status      sources: SourceStatus[]  (a sync started, ended or failed)
    audio_devices         devices: AudioDevice[], route: AudioRoute, fallbacks: AudioFallback[]
                          (plug/unplug, or the route changed)
    audio_status          status: AudioStatus  (engine call-audio diagnostics)
    mic_level             rms, peak (linear 0..1; ~15/s while the microphone test runs)
    mic_test_stopped      error (str|null)
    headset_audio_offer   key (str|null: null withdraws the offer), name  ("ask" mode: a
                          telephony headset's own sound card was plugged in; offer it)
    call_quality          quality: CallQuality  (about once a second per connected call)
    network_changed       reregistered_ms (int: the address changed and the registrar
                          accepted the new one, this long after the change was noticed)
    dial_requested        id (int), number, scheme: tel|sip|sips|callto  (a call link: show
                          number in the keypad with Call focused; nothing was dialled unless
                          the setting call_links_at_once is on, then no event at all)
    provision_requested   id (int), url (a checked https URL, placeholders kept: a
                          softphone://provision link; show the sign-in form with it filled in,
                          sign in only with the password the user types; link.dismiss it)
    provisioning_status   fetched_at (Unix s of the last good document), error (ErrorKey|null:
                          a re-fetch failed, the last good copy stays in force; show quietly)
    link_refused          id (int), reason: unsupported_scheme|hidden_characters|too_long|
                          uri_parameters|not_a_number|bad_provisioning_url  (a call link was
                          not offered; the link's text is not sent)
    (the snapshot's pending_link: the newest of both not yet dismissed, or null)
    feature_code          call_id, code (the digits dialled, e.g. "*721004"), purpose:
                          forwarding_on|forwarding_off|pickup, rule: unconditional|busy|
                          no_answer|"", outcome: dialling|accepted|refused|unconfirmed|
                          not_dialled, sip_code (int|null: the PBX's final response), error
                          (feature_code_refused|feature_code_unconfirmed|the dial's ErrorKey|
                          null). In PBX forwarding mode settings.forwarding changes only
                          after "accepted"; settings.update answers feature_code_pending
                          while earlier codes are still being dialled.
    voicemail             voicemail: Voicemail  (also in the snapshot; the PBX's message
                          summary for the signed-in account, RFC 3842)

    Account      {server, user, auth_user, display_name, transport: udp|tcp|tls,
                  srtp: off|optional|mandatory, dtmf_method: rfc4733|sip_info,
                  realm (str: credentials answer only it; "" = the one the registrar names),
                  allow_direct_calls (bool: URIs on other servers may be dialled, still via
                  the PBX)}  (no password)
    Account also: accept_direct_calls (bool: requests from other addresses than the PBX's
                  are accepted; false: they get 403 and never ring)
    Registration {state: unconfigured|registering|registered|unregistered|failed,
                  error: ErrorKey|null, code: int|null}  (unregistered + server_unreachable:
                  the PBX went away after sign-in; the app retries with backoff)
    Call         {id, direction: incoming|outgoing,
                  state: dialing|ringing_out|ringing_in|connecting|connected|held|ended,
                  number, display_name, remote_uri (untrusted SIP text: render as text),
                  created_at, connected_at, ended_at (epoch ms or null),
                  muted, held, conference (bool: mixed in the local conference),
                  end_reason (EndReason|null), sip_code (int|null),
                  transferred_by (number of the party whose transfer made this call, or ""),
                  retry_after_s (int|null: a refusal's Retry-After), reason_text (a refusal's
                  RFC 3326 Reason text, untrusted: render as text; max 80 chars, or ""),
                  actions: [hold|resume|mute|transfer|dtmf] (the controls allowed now: the
                  UI enables exactly these; others answer invalid_state)}
    Settings     {language: en|fr|de|it|null, theme: system|light|dark, call_waiting: bool,
                  dnd: bool (new calls refused with 486, end_reason refused_dnd),
                  forwarding: Forwarding, blf_users: [{extension, name}] (max 200),
                  headset_integration: bool (telephony headsets ring/answer/mute),
                  busylight_blink: bool (the on-call light blinks while ringing),
                  busylight: auto|busylight|relay|none (which on-call light is driven),
                  notifications: bool (OS notifications of incoming and missed calls),
                  directory_order: first_last|last_first, home_country: ISO region ("CH"),
                  logs: bool (rotating log file; off at start: the engine writes none
                  either), close_to_tray: bool (closing the window hides it to the tray),
                  autostart: bool (XDG autostart entry, starts --minimized),
                  first_run_done: bool (the guided check was finished or skipped),
                  call_links_at_once: bool (tel:/sip: links are called without a click),
                  directory: {carddav: {url, user, verify_tls}|null, ldap: {url, base,
                  bind_dn, filter, start_tls, verify_tls, ca_file, mapping}|null,
                  sync_minutes: int >= 5}  (passwords only in the keyring)}
    Contact      {id (int), source: personal|carddav|ldap, name (in directory_order), given,
                  family, display, org, email, internal (bool), extension,
                  numbers: [{label: mobile|office|home|fax|other, number (as stored),
                  e164 ("" when not a phone number)}]}  (server text: render as text)
    SourceStatus {source, configured, syncing (bool), synced_at (epoch ms|null),
                  error (ErrorKey|null: the copy stays searchable), count, skipped}
    Headset      {name, vendor_id, product_id (int), telephony: bool,
                  reason_key: no_telephony|permission_denied|open_failed|disabled|null
                  (why its buttons do nothing)}
    AudioDevice  {id, name (OS text), direction: input|output, is_default}
    AudioRoute   {input, output, ringer: device id|null (null: system default)}
    AudioFallback {role: input|output|ringer, device_id, name}  (chosen, not connected)
    AudioStatus  {running, input, output, echo_cancellation, underruns, overruns, frames,
                  error (str|null)}
    Settings also: audio_input, audio_output, audio_ringer (id|null), ring_volume (0..100),
                  echo_cancellation, auto_gain (bool)
    Settings also: feature_codes: FeatureCodes, network: NetworkSettings,
                  headset_audio: ask|always|never, headset_calls (headset key|null)
    FeatureCodes {forwarding_mode: app|pbx, unconditional_on, unconditional_off, busy_on,
                  busy_off, no_answer_on, no_answer_off, pickup_prefix, voicemail}
                  (digit templates)
    NetworkSettings {sip_port, rtp_port_min, rtp_port_max, stun_server, ice: bool,
                  turn_server, turn_user, keepalive_seconds, outbound_proxy,
                  sip_outbound: bool}  (the TURN password only in the keyring)
    CallQuality  {call_id, codec, rx_packets, tx_packets, loss_percent, jitter_ms,
                  rtt_ms (null before the first RTCP report), remote_loss_percent,
                  no_media_seconds, local_address, remote_address, jitter_buffer_ms,
                  level: good|fair|poor}
    Voicemail    {waiting: bool, new, old (int: voice messages), account (str: the number
                  the PBX named in Message-Account, digits * # + only, or "")}
    LineState    {extension, state: unknown|free|ringing|busy, dnd: bool,
                  pickup: bool (ringing, and its dialog is named or a pickup code
                  is configured: blf.pickup works)}
    Certificate  {server, subject, issuer, sha256 ("AB:CD:..."), not_before, not_after (ISO),
                  self_signed, name_matches, trusted: bool}  (subject/issuer: untrusted text)
    Forwarding   {unconditional, busy, no_answer: bool; unconditional_to, busy_to,
                  no_answer_to: str (number as typed); no_answer_s: 5..120}
                  (client-side 302, only while the app runs; end_reason "forwarded")
    HistoryEntry {id (int), call_id, direction: incoming|outgoing, number, display_name,
                  remote_uri (untrusted SIP text: render as text), started_at, answered_at,
                  ended_at (epoch ms or null), duration_s (int),
                  outcome: answered|missed|rejected|refused_dnd|busy|failed|cancelled_by_me
                  |answered_elsewhere (incoming, taken by another phone: not missed)
                  or null while the call runs, internal (bool: a short extension), seen,
                  end_reason: EndReason|null (why it ended, e.g. encryption_refused)}

Client -> server: Socket.IO event ``command`` with ``{"name": ..., "args": {...}}`` and an ack
(commands of one connection run concurrently: a client that needs an order waits for the ack)
    account.setup     {server, user, auth_user?, password, display_name?, transport, srtp?,
                       dtmf_method?: rfc4733 (default) | sip_info,
                       realm?: str (default ""), allow_direct_calls?: bool (default false)}
                      (error tls_untrusted: the PBX certificate is not trusted; see below)
    account.server_certificate {server}  -> Certificate (read without verifying it)
    account.trust_certificate  {server, sha256} -> Certificate (error certificate_changed)
    account.trusted_certificates {server} -> {certificates: Certificate[]} (trusted by the user)
    account.untrust_certificate  {server, sha256} -> {} (error invalid_argument: not trusted)
    account.sign_out  {}
    account.retry     {}  (registers the saved account again now; error no_account)
    account.refresh_provisioning {} -> {changed: bool, reregistered: bool} | {provisioned: false}
                       (fetch the provisioning document again now; errors as account.sign_in)
    account.provisioning_status {} -> {provisioned: bool, email, fetched_at, error}
    settings.recovered_from {} -> {path: str|null, reprovisioned: bool} (a corrupt settings
                       file was moved aside at start to `path`; tell the user once;
                       reprovisioned: the account came back from the provisioning service)
    account.sign_in   {email, password, provisioning_url?} -> {method: provisioning | dns,
                       password_saved: bool}  (docs/provisioning.md; errors
                       provisioning_auth_failed, provisioning_unreachable, provisioning_invalid
                       (+field), tls_untrusted, no_sip_server, and those of account.setup)
    call.dial         {number}             -> {call_id}
    call.answer       {call_id}
    call.reject       {call_id}
    call.hangup       {call_id}
    call.dtmf         {call_id, digits}
    call.hold         {call_id}            (connected -> held)
    call.resume       {call_id}            (held -> connected; the call talking goes on hold)
    call.mute         {call_id, muted: bool}  (stops/starts sending the microphone)
    call.transfer     {call_id, target}    (blind; the call ends: end_reason "transferred")
    call.transfer_attended {call_id, to_call_id}  (connects both peers; both calls end)
    call.conference   {}                   (mixes every connected/held call: conference true)
    settings.update   {language?, theme?, call_waiting?, dnd?, forwarding?: partial Forwarding,
                       feature_codes?: partial FeatureCodes, blf_users?,
                       headset_integration?, busylight_blink?, busylight?, notifications?,
                       directory_order?,
                       home_country?, logs?, close_to_tray?, autostart?, first_run_done?,
                       call_links_at_once?}  (the settings domain/settings.py marks editable)
    blf.states        {}                   -> {states: LineState[]}  (after a snapshot)
    blf.pickup        {extension}          -> {call_id}  (directed pickup of the call ringing
                                              for that colleague: INVITE with Replaces, or
                                              the pickup code when the dialog is not named)
    history.list      {filter?: all|missed, before?: cursor, limit?: 1..200 (50)}
                      -> {entries: HistoryEntry[] (newest first), next_cursor: str|null}
    history.delete_all {}
    history.mark_seen {}                   (every missed call counts as seen: badge to 0)
    directory.search  {query (<=100; names by word prefix, accents/case ignored, or a number
                      in any format), limit?: 1..200 (50)} -> {query, contacts: Contact[]}
    directory.status  {}                   -> {sources: SourceStatus[]}
    directory.refresh {}                   (sync every configured source now, in background)
    directory.configure {carddav?, ldap?, sync_minutes?, carddav_password?, ldap_password?}
    directory.colleagues {}                -> {users: [{extension, name}]}  (internal entries)
    directory.test    {source: carddav|ldap, carddav?|ldap?, password?} -> {entries: int}
                      (tries the source as typed, saves nothing; errors as a sync's)
    contacts.create   {given?, family?, display?, org?, email?, numbers: [{label, number}]}
                      -> {contact}  (personal; a name is required: invalid_argument "name")
    contacts.update   {id, ...as create}   -> {contact}  (personal only: contact_not_found)
    contacts.delete   {id}
    contacts.import   {format: vcard|csv, data}  (one message <=64 KiB; files up to 10 MiB
                      go as POST /import/contacts, web/uploads.py: too_large, bad_encoding)
                      -> {imported, rejected: [{line, reason}] (first 200), rejected_count}
    contacts.export   {format: vcard|csv}  -> {format, filename, data}
    app.info          {}  -> {version, window: bool, tray: bool}  (what shows the UI)
    link.dismiss      {id}  (the UI took the call link outcome id: later snapshots omit it)
    voicemail.call    {}  -> {call_id}  (dials feature_codes.voicemail, else the PBX's
                      Message-Account number; no_voicemail_number when neither)
    logs.export       {}  -> window: {saved: path} | {cancelled: true} (native save dialog,
                      waits for the user); browser: {url: "/download/<ticket>", filename}
                      (one-time link, 120 s); a zip of logs, redacted settings.json and
                      system.txt without passwords, tokens or digest values (export_failed)
    notifications.test {} -> {shown: bool}  (false: notifications off or no server)
    audio.devices     {}  -> {devices, route, fallbacks, status: AudioStatus|null, mic_test}
    audio.configure   {input?, output?, ringer? (id|null), ring_volume?, echo_cancellation?,
                       auto_gain?}
                      (a device not present: invalid_argument + field)
    audio.mic_test    {on: bool}  (mic_level events until off; audio_device_failed)
    audio.speaker_test {target: output|ringer} -> {duration_ms}  (audio_device_failed)
    headset_audio.state {} -> {offered: {key, name}|null, candidates: [key]}
    headset_audio.use {key}  (input, output and ringer on that headset's sound card)
    headset_audio.decline {key}  ("Not now": the offer is withdrawn)
    network.update    {...NetworkSettings fields?, turn_password?}  (saved, then the account
                      registers again; invalid_state during a call)
    network.check     {}  -> {overall, results: [{check, status, problem, params}],
                      firewall: [{what, protocol, local_port, remote}]}  (no_account)

    Ack: {"ok": true, "result": {...}} or {"ok": false, "error": ErrorKey, "field": str|null}.
    ErrorKey values: softphone.domain.errors.ErrorKey. Errors are keys, never prose.
    EndReason values: softphone.domain.calls.EndReason; busy_refused = an incoming call refused
    with 486 because call_waiting is off (reported once, already ended), transferred = we
    handed the call over, answered_elsewhere = an incoming call cancelled because another
    phone took it (CANCEL with Reason SIP cause 200 or Q.850 cause 26). Call policy: dial,
    answer and resume first hold the connected calls; at most 4 calls (too_many_calls). held
    is what the SIP stack reports, not what was asked.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from softphone.audio.devices import AudioDevice
from softphone.audio.events import (
    AudioDevicesChanged,
    HeadsetAudioOffered,
    MicLevelMeasured,
    MicTestStopped,
)
from softphone.audio.selection import AudioRoute, Fallback
from softphone.domain.account import AccountConfig, Registration
from softphone.domain.calls import CallSnapshot, allowed_actions
from softphone.domain.directory import (
    Contact,
    DirectoryChanged,
    DirectoryStatusChanged,
    DisplayOrder,
    SourceStatus,
)
from softphone.domain.directory_sources import DirectorySources, sources_to_json
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.events import (
    AccountChanged,
    AudioStatusReported,
    CallChanged,
    CallRemoved,
    Event,
    LineStateReported,
    ProvisioningStatusChanged,
    RegistrationChanged,
    SettingsChanged,
)
from softphone.domain.feature_code_outcome import FeatureCodeReported
from softphone.domain.headset import DetectedHeadset, HeadsetsChanged
from softphone.domain.history import (
    HistoryChanged,
    HistoryCleared,
    HistoryEntry,
    HistoryWriteFailed,
    MissedCountChanged,
)
from softphone.domain.links import DialRequested, LinkRefused, ProvisionRequested
from softphone.domain.network import CallQualityReported, ReregisteredAfterAddressChange
from softphone.domain.settings import WIRE_SETTINGS, Settings
from softphone.domain.voicemail import VoicemailChanged, VoicemailSummary

if TYPE_CHECKING:  # types only: the app imports these modules elsewhere, when it needs them
    from softphone.diagnostics.netcheck import CheckResult
    from softphone.directory.importexport import ImportResult
    from softphone.settings.trust import CertificateInfo

# The protocol version (the module docstring's Version): the snapshot's schema.
SCHEMA_VERSION = 1

Wire = dict[str, Any]


def account(value: AccountConfig | None) -> Wire | None:
    if value is None:
        return None
    return {
        "server": value.server,
        "user": value.user,
        "auth_user": value.auth_user,
        "display_name": value.display_name,
        "transport": value.transport.value,
        "srtp": value.srtp.value,
        "dtmf_method": value.dtmf_method.value,
        "realm": value.realm,
        "allow_direct_calls": value.allow_direct_calls,
        "accept_direct_calls": value.accept_direct_calls,
    }


def registration(value: Registration) -> Wire:
    return {
        "state": value.state.value,
        "error": value.error.value if value.error else None,
        "code": value.code,
    }


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def call(value: CallSnapshot) -> Wire:
    return {
        "id": value.id,
        "direction": value.direction.value,
        "state": value.state.value,
        "number": value.number,
        "display_name": value.display_name,
        "remote_uri": value.remote_uri,
        "created_at": _ms(value.created_at),
        "connected_at": _ms(value.connected_at),
        "ended_at": _ms(value.ended_at),
        "muted": value.muted,
        "held": value.held,
        "end_reason": value.end_reason.value if value.end_reason else None,
        "sip_code": value.sip_code,
        "transferred_by": value.transferred_by,
        "retry_after_s": value.retry_after_s,
        "reason_text": value.reason_text,
        "conference": value.conference,
        "actions": [a.value for a in allowed_actions(value.state)],
    }


def settings(value: Settings) -> Wire:
    """The Settings object of the wire: every setting `Access.wire` marks, by its type."""
    return {name: _setting(getattr(value, name)) for name in WIRE_SETTINGS}


def _setting(value: object) -> object:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, DirectorySources):
        return sources_to_json(value)
    if isinstance(value, tuple):
        return [_setting(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)  # a StrEnum field in it (feature_codes.forwarding_mode) is a str
    return value


def contact(value: Contact, order: DisplayOrder) -> Wire:
    return {
        "id": value.id,
        "source": value.source.value,
        "name": value.name(order),
        "given": value.given,
        "family": value.family,
        "display": value.display,
        "org": value.org,
        "email": value.email,
        "internal": value.internal,
        "extension": value.extension,
        "numbers": [{"label": n.label, "number": n.number, "e164": n.e164} for n in value.numbers],
    }


def source_status(value: SourceStatus) -> Wire:
    return {
        "source": value.source.value,
        "configured": value.configured,
        "syncing": value.syncing,
        "synced_at": _ms(value.synced_at),
        "error": value.error.value if value.error else None,
        "count": value.count,
        "skipped": value.skipped,
    }


def headset(value: DetectedHeadset) -> Wire:
    return {
        "name": value.name,
        "vendor_id": value.vendor_id,
        "product_id": value.product_id,
        "telephony": value.telephony,
        "reason_key": value.reason.value if value.reason else None,
        "key": value.key,
    }


def line_state(value: LineStateReported) -> Wire:
    return {
        "extension": value.extension,
        "state": value.state,
        "dnd": value.dnd,
        "pickup": value.pickup,
    }


def history_entry(value: HistoryEntry) -> Wire:
    return {
        "id": value.id,
        "call_id": value.call_id,
        "direction": value.direction.value,
        "number": value.number,
        "display_name": value.display_name,
        "remote_uri": value.remote_uri,
        "started_at": _ms(value.started_at),
        "answered_at": _ms(value.answered_at),
        "ended_at": _ms(value.ended_at),
        "duration_s": value.duration_s,
        "outcome": value.outcome.value if value.outcome else None,
        "internal": value.internal,
        "seen": value.seen,
        "end_reason": value.end_reason,
    }


def voicemail(value: VoicemailSummary) -> Wire:
    return {"waiting": value.waiting, "new": value.new, "old": value.old, "account": value.account}


def snapshot(
    acct: AccountConfig | None,
    reg: Registration,
    calls: list[CallSnapshot],
    prefs: Settings,
    missed_count: int = 0,
    *,
    headsets: tuple[DetectedHeadset, ...] = (),
    pending_link: DialRequested | LinkRefused | ProvisionRequested | None = None,
    voicemail_summary: VoicemailSummary | None = None,
) -> Wire:
    return {
        "type": "snapshot",
        "schema": SCHEMA_VERSION,
        "account": account(acct),
        "registration": registration(reg),
        "calls": [call(c) for c in calls],
        "settings": settings(prefs),
        "missed_count": missed_count,
        "headsets": [headset(h) for h in headsets],
        "pending_link": to_wire(pending_link) if pending_link is not None else None,
        "voicemail": voicemail(voicemail_summary or VoicemailSummary()),
    }


def to_wire(event: Event) -> Wire | None:
    """Encode an app event for the frontend; None for events the frontend does not see."""
    match event:
        case AccountChanged(account=acct):
            return {"type": "account_changed", "account": account(acct)}
        case RegistrationChanged(registration=reg):
            return {"type": "registration_changed", "registration": registration(reg)}
        case CallChanged(call=snap):
            return {"type": "call_changed", "call": call(snap)}
        case CallRemoved(call_id=call_id):
            return {"type": "call_removed", "call_id": call_id}
        case SettingsChanged(settings=prefs):
            return {"type": "settings_changed", "settings": settings(prefs)}
        case HistoryChanged(entry=entry):
            return {"type": "history_changed", "entry": history_entry(entry)}
        case LineStateReported():
            return {"type": "line_state", "line": line_state(event)}
        case HistoryCleared():
            return {"type": "history_cleared"}
        case MissedCountChanged(count=count):
            return {"type": "missed_count", "count": count}
        case HistoryWriteFailed(disk_full=full):
            key = ErrorKey.STORAGE_FULL if full else ErrorKey.STORAGE_FAILED
            return {"type": "history_write_failed", "error": key.value}
        case HeadsetsChanged(headsets=found):
            return {"type": "headsets_changed", "headsets": [headset(h) for h in found]}
        case VoicemailChanged(summary=summary):
            return {"type": "voicemail", "voicemail": voicemail(summary)}
        case DirectoryChanged():
            return {"type": "directory_changed"}
        case CallQualityReported(quality=q):
            return {"type": "call_quality", "quality": {**asdict(q), "level": q.level}}
        case ReregisteredAfterAddressChange(elapsed_ms=ms):
            return {"type": "network_changed", "reregistered_ms": ms}
        case DirectoryStatusChanged(statuses=statuses):
            return {"type": "directory_status", "sources": [source_status(x) for x in statuses]}
        case AudioDevicesChanged(devices=found, route=route, fallbacks=fallbacks):
            return {"type": "audio_devices", **audio_devices_payload(found, route, fallbacks)}
        case MicLevelMeasured(rms=rms, peak=peak):
            return {"type": "mic_level", "rms": rms, "peak": peak}
        case MicTestStopped(error=error):
            return {"type": "mic_test_stopped", "error": error}
        case AudioStatusReported():
            return {"type": "audio_status", "status": audio_status(event)}
        case HeadsetAudioOffered(key=key, name=name):
            return {"type": "headset_audio_offer", "key": key, "name": name}
        case DialRequested(id=request_id, number=number, scheme=scheme):
            return {
                "type": "dial_requested",
                "id": request_id,
                "number": number,
                "scheme": scheme,
            }
        case LinkRefused(id=request_id, reason=reason):
            return {"type": "link_refused", "id": request_id, "reason": reason.value}
        case ProvisionRequested(id=request_id, url=url):
            return {"type": "provision_requested", "id": request_id, "url": url}
        case FeatureCodeReported():
            return {"type": "feature_code", **feature_code(event)}
        case ProvisioningStatusChanged(fetched_at=fetched_at, error=error):
            return {
                "type": "provisioning_status",
                "fetched_at": int(fetched_at),
                "error": error.value if error else None,
            }
    return None


def feature_code(value: FeatureCodeReported) -> Wire:
    return {
        "call_id": value.call_id,
        "code": value.code,
        "purpose": value.purpose.value,
        "rule": value.rule,
        "outcome": value.outcome.value,
        "sip_code": value.sip_code,
        "error": value.error.value if value.error else None,
    }


def audio_device(value: AudioDevice) -> Wire:
    return {
        "id": value.id,
        "name": value.name,
        "direction": value.direction,
        "is_default": value.is_default,
    }


def audio_route(value: AudioRoute) -> Wire:
    return {"input": value.input, "output": value.output, "ringer": value.ringer}


def audio_fallback(value: Fallback) -> Wire:
    return {"role": value.role, "device_id": value.device_id, "name": value.name}


def audio_devices_payload(
    devices: tuple[AudioDevice, ...], value: AudioRoute, fallbacks: tuple[Fallback, ...]
) -> Wire:
    return {
        "devices": [audio_device(d) for d in devices],
        "route": audio_route(value),
        "fallbacks": [audio_fallback(f) for f in fallbacks],
    }


def audio_status(value: AudioStatusReported | None) -> Wire | None:
    if value is None:
        return None
    return {
        "running": value.running,
        "input": value.input,
        "output": value.output,
        "echo_cancellation": value.echo_cancellation,
        "underruns": value.underruns,
        "overruns": value.overruns,
        "frames": value.frames,
        "error": value.error,
        "underrun_burst": value.underrun_burst,
    }


def certificate(server: str, info: CertificateInfo, trusted: bool) -> Wire:
    return {"server": server, **asdict(info), "trusted": trusted}


def headset_audio_state(offered: DetectedHeadset | None, candidates: list[str]) -> Wire:
    return {
        "offered": {"key": offered.key, "name": offered.name} if offered else None,
        "candidates": candidates,
    }


def colleague(extension: str, name: str) -> Wire:
    return {"extension": extension, "name": name}


def import_report(value: ImportResult) -> Wire:
    return {
        "imported": len(value.contacts),
        "rejected": [{"line": r.line, "reason": r.reason} for r in value.rejected],
        "rejected_count": value.rejected_count,
    }


def check_result(value: CheckResult) -> Wire:
    return {
        "check": value.check,
        "status": value.status.value,
        "problem": value.problem,
        "params": dict(value.params),
    }


def ok(result: Wire | None = None) -> Wire:
    return {"ok": True, "result": result or {}}


def error(exc: SoftphoneError) -> Wire:
    return {"ok": False, "error": exc.key.value, "field": exc.field}


def error_key(key: ErrorKey, field: str | None = None) -> Wire:
    return {"ok": False, "error": key.value, "field": field}


def arg_bool(args: Wire, name: str) -> bool:
    """A required boolean argument (JSON true/false, not 0/1), or invalid_argument."""
    value = args.get(name)
    if not isinstance(value, bool):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, name)
    return value


def arg_str(args: Wire, name: str, *, required: bool = True, max_len: int = 256) -> str:
    """A string argument, or SoftphoneError(invalid_argument, name)."""
    value = args.get(name, None if required else "")
    if value is None and not required:
        value = ""
    if not isinstance(value, str) or len(value) > max_len or (required and not value.strip()):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, name)
    if not value.isascii() and not is_unicode(value):
        raise SoftphoneError(ErrorKey.INVALID_ARGUMENT, name)  # else SQLite fails far away
    return value


def is_unicode(text: str) -> bool:
    """False for a lone UTF-16 surrogate (JSON "\\ud800" decodes to one), which no UTF-8
    writer (SQLite, files, pjsip) accepts."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
