"""The page the window shows while the app starts: the logo and "Starting…", themed like the UI."""

from __future__ import annotations

import html
import logging

from softphone import i18n
from softphone.resources import assets_dir

log = logging.getLogger(__name__)

# The UI's own tokens (frontend/src/styles/tokens.css): --bg-app, --text-muted and their dark
# values, so the switch from this page to the UI does not flash another colour.
_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  :root {{ color-scheme: light dark; }}
  html, body {{ height: 100%; margin: 0; }}
  body {{
    display: flex; flex-direction: column; align-items: center; justify-content: center;
    gap: 16px; background: #f5f6f8; color: #535a67; cursor: progress;
    font: 0.875rem system-ui, -apple-system, "Segoe UI", "Cantarell", "Noto Sans", sans-serif;
  }}
  svg {{ width: 72px; height: 72px; }}
  @media (prefers-color-scheme: dark) {{ body {{ background: #0f1114; color: #a7adb8; }} }}
</style>
</head>
<body role="status" aria-live="polite">
{logo}
<p>{starting}</p>
</body>
</html>
"""


def _logo_svg() -> str:
    path = assets_dir() / "icons" / "softphone.svg"
    try:
        svg = path.read_text(encoding="utf-8")
    except OSError:
        log.warning("app icon not found at %s", path)
        return ""
    # Inline: the XML declaration is not allowed inside an HTML body.
    return svg[svg.index("<svg") :] if "<svg" in svg else ""


def splash_html(language: str) -> str:
    """The whole page, in `language` (one of i18n.LANGUAGES); no script, no network."""
    return _PAGE.format(
        lang=html.escape(language),
        title=html.escape(i18n.text("app_name", language)),
        starting=html.escape(i18n.text("window_starting", language)),
        logo=_logo_svg(),
    )
