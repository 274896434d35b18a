"""Wire commands of the headset's sound card: headset_audio.use, headset_audio.decline."""

from __future__ import annotations

from softphone.audio.headset_audio import HeadsetAudioPolicy
from softphone.web.commands import CommandHandler
from softphone.web.wire import Wire, arg_str, headset_audio_state


def headset_audio_commands(policy: HeadsetAudioPolicy) -> dict[str, CommandHandler]:
    def state(_args: Wire) -> Wire:
        return headset_audio_state(policy.offered, sorted(policy.candidates()))

    def use(args: Wire) -> None:
        policy.use(arg_str(args, "key", max_len=160))

    def decline(args: Wire) -> None:
        policy.decline(arg_str(args, "key", max_len=160))

    return {
        "headset_audio.state": state,
        "headset_audio.use": use,
        "headset_audio.decline": decline,
    }
