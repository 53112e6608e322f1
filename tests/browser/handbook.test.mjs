// Opens the generated handbook in real headless Chromium (Debian's, driven by playwright-core):
// searches from the index without a server, follows a link, reads a KPI page, takes a screenshot.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { launch } from "./chromium.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const handbook = join(root, "docs", "handbook");
const shots = join(root, "target", "handbook");

async function withBrowser(fn) {
  const browser = await launch(["--disable-quic", "--disable-component-update", "--disable-sync"]);
  try {
    return await fn(await browser.newPage());
  } finally {
    await browser.close();
  }
}

test("search the French index, open a KPI page, screenshot it", async () => {
  await withBrowser(async (page) => {
    await page.goto(pathToFileURL(join(handbook, "fr", "index.html")).href);
    assert.equal(await page.locator("h1").textContent(), "Manuel des KPI omnikpi");
    await page.fill("#q", "panier");
    const visible = await page.locator("li[data-search]:visible a").allTextContents();
    assert.deepEqual(visible.sort(), ["Panier moyen", "Surplus du panier multicanal"]);
    await page.click("text=Panier moyen");
    assert.match(page.url(), /basket\.average\.html$/);
    assert.equal(await page.locator("h1").textContent(), "Panier moyen");
    const headings = await page.locator("h2").allTextContents();
    for (const h of ["Formule", "Paramètres", "Cas limites", "Codes d'erreur", "Exemple commenté"]) {
      assert.ok(headings.includes(h), `missing section ${h}: ${headings}`);
    }
    const example = JSON.parse(await page.locator("pre code").last().textContent());
    assert.equal(example.overall.average, "13.75");
    mkdirSync(shots, { recursive: true });
    const file = join(shots, "basket.average.fr.png");
    await page.screenshot({ path: file, fullPage: true });
    assert.ok(statSync(file).size > 20000, "screenshot is suspiciously small");
  });
});

test("the English page links its French translation", async () => {
  await withBrowser(async (page) => {
    await page.goto(pathToFileURL(join(handbook, "en", "conversion.rate.html")).href);
    assert.equal(await page.locator("h1").textContent(), "Conversion rate");
    await page.click("text=Français");
    assert.equal(await page.locator("h1").textContent(), "Taux de conversion");
  });
});
