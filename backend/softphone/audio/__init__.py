"""Sound devices: listing and choosing them by name, call audio streams, ringer and tones."""
