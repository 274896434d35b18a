"""What pjsua is told about the account: its settings, and the presence status it publishes."""

from __future__ import annotations

import pjsua2 as pj

from softphone.domain import commands as cmd
from softphone.engine.nat import apply_account_nat
from softphone.engine.tls import apply_account_security


def account_config(
    command: cmd.ConfigureAccount, transport_id: int, local_address: str = ""
) -> pj.AccountConfig:
    """pjsua's settings for the account (its credentials are bound apart: AccountAuth).

    `local_address` is where SIP listens (the PBX-facing address, "" for every interface).
    """
    account = command.account
    acfg = pj.AccountConfig()
    name = account.display_name.replace('"', "")
    acfg.idUri = f'"{name}" <{account.aor}>' if name else account.aor
    acfg.regConfig.registrarUri = account.registrar
    acfg.regConfig.timeoutSec = 300
    acfg.regConfig.retryIntervalSec = 30
    acfg.sipConfig.transportId = transport_id
    apply_account_security(acfg, account)
    # Every request goes through the PBX (calls to other servers too, when allowed): its
    # routing and its realm are the only ones we trust with the user's credentials.
    acfg.sipConfig.proxies.append(f"{account.registrar};lr")
    # Our DND reaches colleagues as PIDF presence (Kamailio's presence module keeps it);
    # pjsua sends the first PUBLISH once registered, with the status publish_presence set.
    acfg.presConfig.publishEnabled = True
    # Voicemail indicator: subscribe to our own message-summary (RFC 3842); a PBX that
    # refuses it can still send unsolicited NOTIFYs, which pjsua reports the same way.
    acfg.mwiConfig.enabled = True
    apply_account_nat(acfg, account, command.network, command.turn_password, command.instance_id)
    if local_address:
        # Media beside SIP: the SDP then offers the address the PBX reaches us on (not the
        # default route's, wrong behind a VPN), and no RTP port opens on other networks.
        acfg.mediaConfig.transportConfig.boundAddress = local_address
    return acfg


def presence_status(dnd: bool) -> pj.PresenceStatus:
    """What we publish: online, or RPID activity "busy" plus a note, which other phones show
    as do-not-disturb."""
    status = pj.PresenceStatus()
    status.status = pj.PJSUA_BUDDY_STATUS_ONLINE
    if dnd:
        status.activity = pj.PJRPID_ACTIVITY_BUSY
        status.note = "dnd"
    else:
        status.activity = pj.PJRPID_ACTIVITY_UNKNOWN
        status.note = "online"
    return status
