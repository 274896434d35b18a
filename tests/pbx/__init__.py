"""Real-PBX test harness: Kamailio, baresip peers, a pjsua2 peer and audio analysis."""
