"""Names vulture (make lint) reports that are used, but by a framework, a library or a test.

A name listed here is used wherever it appears. Add a name only with its reason; remove
code nothing calls instead of listing it.
"""

_ = object()

# Overrides a framework calls: argparse (a quiet parser), Werkzeug's request handler,
# Flask-SocketIO namespace events.
_.exit
_._print_message
_.file  # argument of argparse's _print_message, kept for its signature
_.log_request
_.log_error
_.on_connect
_.on_command

# Attributes a library reads after we set them: pywebview's window events and on_top,
# sqlite3's row_factory, requests' verify/trust_env, dnspython's resolver, vobject's TEL
# type, pjsua2 and ctypes structures (lower-case fields).
_.moved
_.resized
_.closing
_.on_top
_.row_factory
_.verify
_.trust_env
_.nameservers
_.lifetime
_.type_param
_.decor
_.activity
_.note
_.buf
_.sec
_.msec
_.cont
_.prev

# Held only to stay alive: it subscribes to the bus when made.
_.ringing_watch

# Enum members and dataclass fields: read by name (wire encoding with asdict, the frontend,
# the settings file, logs), or decoded from text.
_.CSV
_.LIGHT
_.DARK
_.DIRECTORY_NOT_CONFIGURED
_.KEYRING_UNAVAILABLE
_.upserted
_.deleted
_.remote_target
_.entity
_.unconditional_on
_.unconditional_off
_.busy_on
_.busy_off
_.no_answer_on
_.no_answer_off
_.tx_packets
_.remote_loss_percent
_.local_address
_.remote_address
_.jitter_buffer_ms
_.logical_max
_.not_before
_.not_after
_.self_signed
# Settings only the UI reads: the file, the wire and settings.update go by the field list.
_.theme
_.first_run_done

# Called by tests only (tests/e2e window children, unit tests of the rules).
_.request_close
_.evaluate_ready
_.wait_closed
_.codes_for_change
_.journal_mode
_.in_outage
