// Debian's Chromium, headless, as every browser test launches it (driven by playwright-core;
// CHROMIUM overrides the path). `extra` adds flags for one test.
import { chromium } from "playwright-core";

export function launch(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", ...extra],
  });
}
