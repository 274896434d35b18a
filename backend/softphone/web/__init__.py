"""The local web adapter: Flask + Socket.IO on 127.0.0.1, guarded by a per-launch token."""
