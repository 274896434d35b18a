"""Stable error keys that cross the wire; the frontend translates them."""

from __future__ import annotations

from enum import StrEnum


class ErrorKey(StrEnum):
    """Why a command failed. Values are part of the wire protocol: never rename."""

    INVALID_COMMAND = "invalid_command"
    INVALID_ARGUMENT = "invalid_argument"
    NO_ACCOUNT = "no_account"
    NOT_REGISTERED = "not_registered"
    NO_VOICEMAIL_NUMBER = "no_voicemail_number"  # neither set nor named by the PBX
    INVALID_NUMBER = "invalid_number"
    CALL_NOT_FOUND = "call_not_found"
    INVALID_STATE = "invalid_state"
    TOO_MANY_CALLS = "too_many_calls"
    AUTH_FAILED = "auth_failed"
    SERVER_UNREACHABLE = "server_unreachable"
    TIMEOUT = "timeout"
    ENGINE_UNAVAILABLE = "engine_unavailable"
    STORAGE_FULL = "storage_full"
    STORAGE_FAILED = "storage_failed"
    DIRECTORY_BAD_RESPONSE = "directory_bad_response"  # the server answered, but nonsense
    DIRECTORY_NOT_CONFIGURED = "directory_not_configured"
    TLS_FAILED = "tls_failed"  # the server's certificate was refused (or TLS could not start)
    TLS_UNTRUSTED = "tls_untrusted"  # the PBX's certificate is not trusted (self-signed...)
    SRTP_NEEDS_TLS = "srtp_needs_tls"  # mandatory SRTP asked for over UDP/TCP signalling
    CERTIFICATE_CHANGED = "certificate_changed"  # not the certificate the user was shown
    TLS_NAME_MISMATCH = "tls_name_mismatch"  # the certificate is for another server name
    CONTACT_NOT_FOUND = "contact_not_found"
    EXPORT_FAILED = "export_failed"  # the log archive could not be built or written
    AUDIO_DEVICE_FAILED = "audio_device_failed"  # a sound device could not be opened
    TOO_LARGE = "too_large"  # an imported file (or a message) over its documented size limit
    BAD_ENCODING = "bad_encoding"  # imported text that is not UTF-8/UTF-16 (or a lone surrogate)
    # A feature code (e.g. *72 forwarding on) got a final error from the PBX: nothing changed.
    FEATURE_CODE_REFUSED = "feature_code_refused"
    # The PBX gave no clear answer to a feature code (no hang-up after its announcement...).
    FEATURE_CODE_UNCONFIRMED = "feature_code_unconfirmed"
    FEATURE_CODE_PENDING = "feature_code_pending"  # the previous codes are still being dialled
    FOREIGN_HOST = "foreign_host"  # not on the account's PBX, and direct calls are not allowed
    FOREIGN_REALM = "foreign_realm"  # credentials asked for by a realm other than the PBX's
    # Sign-in by e-mail (docs/provisioning.md): the provisioning service refused the e-mail
    # and password (401/403), could not be reached, or sent a document that is not valid.
    PROVISIONING_AUTH_FAILED = "provisioning_auth_failed"
    PROVISIONING_UNREACHABLE = "provisioning_unreachable"
    PROVISIONING_INVALID = "provisioning_invalid"
    NO_SIP_SERVER = "no_sip_server"  # no provisioning and no SIP server found in the DNS
    KEYRING_UNAVAILABLE = "keyring_unavailable"  # no OS keyring: the password lives until exit
    SETTING_LOCKED = "setting_locked"  # the provisioning document locks it (field: which)
    INTERNAL_ERROR = "internal_error"


class SoftphoneError(Exception):
    """A refusal with a stable key (and the offending field, for forms)."""

    def __init__(self, key: ErrorKey, field: str | None = None, detail: str = "") -> None:
        super().__init__(
            f"{key.value}{f' ({field})' if field else ''}{f': {detail}' if detail else ''}"
        )
        self.key = key
        self.field = field
