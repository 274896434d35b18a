"""A private PulseAudio server with null sinks: the real device path of the audio tests."""
