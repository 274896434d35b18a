"""Pixel comparison of two PNG screenshots, decoded by Chromium (no imaging library needed)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from playwright.sync_api import Page

# Decodes both images on canvases and counts pixels whose largest channel difference exceeds
# `tolerance` (anti-aliasing and font hinting move a few levels; a moved box moves many).
_COMPARE = """
async ([a, b, tolerance]) => {
  const load = async (b64) => {
    const blob = await (await fetch('data:image/png;base64,' + b64)).blob();
    return await createImageBitmap(blob);
  };
  const [ia, ib] = await Promise.all([load(a), load(b)]);
  if (ia.width !== ib.width || ia.height !== ib.height)
    return {width: ia.width, height: ia.height, other: [ib.width, ib.height], differing: -1};
  const pixels = (img) => {
    const canvas = new OffscreenCanvas(img.width, img.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    return ctx.getImageData(0, 0, img.width, img.height).data;
  };
  const [pa, pb] = [pixels(ia), pixels(ib)];
  let differing = 0;
  for (let i = 0; i < pa.length; i += 4) {
    const d = Math.max(Math.abs(pa[i] - pb[i]), Math.abs(pa[i + 1] - pb[i + 1]),
                       Math.abs(pa[i + 2] - pb[i + 2]));
    if (d > tolerance) differing++;
  }
  return {width: ia.width, height: ia.height, other: [ib.width, ib.height], differing};
}
"""


@dataclass(frozen=True)
class Difference:
    width: int
    height: int
    differing: int  # pixels beyond the tolerance; -1 when the sizes differ

    @property
    def ratio(self) -> float:
        return 1.0 if self.differing < 0 else self.differing / (self.width * self.height)


def compare_png(page: Page, a: bytes, b: bytes, tolerance: int = 40) -> Difference:
    """How much `b` differs from `a`, decoded in `page` (a page without a CSP, e.g. about:blank)."""
    result = page.evaluate(
        _COMPARE, [base64.b64encode(a).decode(), base64.b64encode(b).decode(), tolerance]
    )
    return Difference(int(result["width"]), int(result["height"]), int(result["differing"]))
