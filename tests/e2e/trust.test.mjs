// End-to-end: what a care manager sees at a glance, on a desktop, a 390 px phone, at
// 320 px and at 200% zoom, with the axe audit on every page and state, keyboard-only
// search and concern form, and the printed page as Chromium's PDF. Screenshots of each
// state go under target/e2e/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { start, audit, reflows, shots } from "./support.mjs";

let registry, browser, base;

before(async () => {
  // Enough that the suppliers in force (about half, drawn at random) fill more than one
  // page of 25 in any draw.
  registry = await start(100);
  ({ browser, base } = registry);
});

after(async () => {
  await registry?.stop();
});

const desktop = { viewport: { width: 1280, height: 900 } };
const phone = { viewport: { width: 390, height: 844 }, isMobile: true };
// WCAG 2.2 1.4.10: content reflows at 320 CSS px, and at 200% zoom of a 1280 px window.
const narrow = { viewport: { width: 320, height: 640 }, isMobile: true };
const zoomed = { viewport: { width: 640, height: 450 }, deviceScaleFactor: 2 };
const sizes = [["desktop", desktop], ["phone", phone], ["320px", narrow], ["zoom-200", zoomed]];

const api = async (path) => (await fetch(`${base}${path}`)).json();

// One supplier of the demo in each status (the demo's first suppliers take each one).
async function inStatus(status) {
  const list = await api(`/api/v1/suppliers?status=${status}&limit=100`);
  assert.ok(list.items.length > 0, `the demo has a ${status} supplier`);
  return list.items[0];
}

// A PDF's text, its whitespace folded.
async function pdfText(pdf) {
  const doc = await getDocument({ data: new Uint8Array(pdf) }).promise;
  let text = "";
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    // Ligatures ("ffi") come as items of their own: join items as they are, breaking
    // only at the ends of lines.
    text += content.items.map((i) => i.str + (i.hasEOL ? " " : "")).join("") + " ";
  }
  return text.replace(/\s+/g, " ");
}

// Opens `path` at each size: it must reflow, pass axe (desktop and phone) and is
// photographed.
async function everySize(path, name, check) {
  for (const [label, options] of sizes) {
    const page = await browser.newPage({ ...options, bypassCSP: true });
    await page.goto(`${base}${path}`);
    await reflows(page, `${name} (${label})`);
    if (label === "desktop" || label === "phone") await audit(page, `${name} (${label})`);
    if (check) await check(page, label);
    await page.screenshot({ path: join(shots, `${name}-${label}.png`), fullPage: true });
    await page.close();
  }
}

test("the list shows checked signatories, evidence trouble beside the status, counts and pages", async () => {
  await everySize("/", "list", async (page) => {
    const body = await page.locator("main").innerText();
    assert.match(body, /\d+ suppliers: showing 1 to 25, page 1 of \d+\./);
    assert.doesNotMatch(body, /Not yet checked by the registry\n/, "only checked signatories by default");
    assert.match(body, /Signed, but not in force/, "lapsed, suspended and withdrawn are counted apart");
    assert.doesNotMatch(await page.locator("ul.results").innerText(), /Suspended|Withdrawn|Lapsed/, "the signatories are those in force");
  });
  const failing = await api("/api/v1/suppliers?evidence_summary=some_failing&status=active&limit=1");
  const name = failing.items[0].name;
  await everySize(`/?q=${encodeURIComponent(name)}&evidence=some_failing`, "list-evidence-failing", async (page) => {
    const row = page.locator("ul.results li", { hasText: name }).first();
    assert.match(await row.innerText(), /Active[\s\S]*Some evidence failing/);
  });
  await everySize("/?evidence=all_ok", "list-all-working", async (page) => {
    assert.equal(await page.locator(".trouble").count(), 0, "all working: nothing failing listed");
  });
  await everySize("/?q=zzzz-nothing", "list-empty", async (page) => {
    assert.match(await page.locator("main").innerText(), /No suppliers match/);
  });
  await everySize("/?unverified=1", "list-with-unchecked", async (page) => {
    assert.ok((await page.locator(".unchecked").count()) > 0, "unchecked registrations are labelled");
  });
  for (const status of ["active", "pending", "lapsed", "suspended", "withdrawn", "unsigned"]) {
    await everySize(`/?status=${status}`, `list-${status}`);
  }

  // Previous and Next, with the keyboard only.
  const page = await browser.newPage({ ...desktop, bypassCSP: true });
  await page.goto(`${base}/`);
  await page.getByRole("link", { name: "Next page" }).focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/page=2/);
  assert.match(await page.locator("#count").innerText(), /showing 26 to \d+, page 2 of/);
  await page.getByRole("link", { name: "Previous page" }).focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/page=1/);
  await page.close();
});

test("search by name or product with the keyboard only", async () => {
  const page = await browser.newPage({ ...desktop, bypassCSP: true });
  await page.goto(`${base}/`);
  const active = await inStatus("active");
  const record = await api(`/api/v1/suppliers/${active.slug}`);
  for (let i = 0; i < 30 && (await page.evaluate(() => document.activeElement.id)) !== "q"; i++) {
    await page.keyboard.press("Tab");
  }
  assert.equal(await page.evaluate(() => document.activeElement.id), "q", "the search box is reached by Tab");
  await page.keyboard.type(record.products[0]);
  await page.keyboard.press("Enter");
  await page.waitForURL(/\?q=/);
  const names = await page.locator("ul.results a.name").allInnerTexts();
  assert.ok(names.includes(active.name), `a product search finds ${active.name}: ${names}`);
  await page.close();
});

test("every supplier page says where it stands, at every size", async () => {
  const showcase = (await api("/api/v1/suppliers?status=active&evidence_health=redirected&evidence_summary=some_failing&limit=100")).items;
  let shown = null;
  for (const s of showcase) {
    const r = await api(`/api/v1/suppliers/${s.slug}`);
    if (r.evidence.some((e) => e.health.status === "pending" && e.health.consecutive_failures > 0) && r.evidence.some((e) => e.scheme)) {
      shown = r;
      break;
    }
  }
  assert.ok(shown, "the demo has an active supplier with every kind of link");
  const redirect = shown.evidence.find((e) => e.health.status === "redirected");
  const cert = shown.evidence.find((e) => e.scheme);
  await everySize(`/suppliers/${shown.slug}`, "supplier-failing-evidence", async (page) => {
    const body = await page.locator("main").innerText();
    assert.match(body, /Some evidence failing/);
    assert.match(body, /Checking again before flagging it/);
    assert.ok(body.includes(`now leads to ${redirect.health.final_url}`), "a redirect says where");
    assert.ok(body.includes(cert.reference), "the certification's reference is shown");
    assert.match(body, /Record last updated/);
    assert.match(body, /Last checked \d+ \w+ \d{4}/);
    assert.match(body, /For developers/);
    if (shown.company_number) {
      const link = page.getByRole("link", { name: shown.company_number });
      assert.equal(await link.getAttribute("href"), `https://find-and-update.company-information.service.gov.uk/company/${shown.company_number}`);
    }
  });
  for (const status of ["pending", "lapsed", "suspended", "withdrawn", "unsigned"]) {
    const s = await inStatus(status);
    await everySize(`/suppliers/${s.slug}`, `supplier-${status}`, async (page) => {
      const body = await page.locator("main").innerText();
      if (status === "withdrawn") {
        assert.doesNotMatch(body, /reaffirm by/i, "a withdrawn record has no reaffirm date");
        assert.match(body, /Withdrawn on/);
      }
      if (status === "lapsed") assert.match(body, /Was due to reaffirm by/);
      if (status === "pending" || status === "unsigned") assert.match(body, /Not yet checked by the registry/);
    });
  }
});

test("a care manager searching for a registration not yet checked is told it matches, and shown it labelled", async () => {
  // One whose name no signature in force shares.
  let unchecked = null;
  for (const s of (await api("/api/v1/suppliers?status=unsigned&limit=100")).items) {
    const active = await api(`/api/v1/suppliers?status=active&q=${encodeURIComponent(s.name)}`);
    if (active.items.length === 0) {
      unchecked = s;
      break;
    }
  }
  assert.ok(unchecked, "the demo has an unchecked registration of a name of its own");
  const page = await browser.newPage({ ...phone, bypassCSP: true });
  await page.goto(`${base}/`);
  await page.locator("#q").fill(unchecked.name);
  await page.keyboard.press("Enter");
  await page.waitForURL(/\?q=/);
  const said = await page.getByRole("status").innerText();
  assert.match(said, /No signatory matches/);
  assert.match(said, /has not checked yet match/);
  await audit(page, "search unchecked (phone)");
  await page.screenshot({ path: join(shots, "search-unchecked-phone.png"), fullPage: true });
  await page.getByRole("link", { name: /^Show (it|them)$/ }).click();
  await page.waitForURL(/unverified=1/);
  const row = page.locator("ul.results li", { hasText: unchecked.name }).first();
  assert.match(await row.innerText(), /Not yet checked by the registry/);
  await page.close();
});

test("a suspended record sets its statements apart, dates the suspension, and prints so", async () => {
  const s = await inStatus("suspended");
  const history = await api(`/api/v1/suppliers/${s.slug}/history?limit=100`);
  const suspension = history.items.at(-1);
  assert.equal(suspension.event, "suspended", "the suspension is its own event");
  await everySize(`/suppliers/${s.slug}`, "supplier-suspended-apart", async (page) => {
    const body = await page.locator("main").innerText();
    assert.match(body, /Suspended on\s+\d+ \w+ \d{4}/);
    assert.doesNotMatch(body, /Must reaffirm by/, "no date to reaffirm while suspended");
    assert.match(body, new RegExp(`What ${s.name} said before it was suspended`));
    assert.match(body, /These statements are not in force/);
    assert.ok(body.includes(suspension.reason), "the reason is given");
  });
  const page = await browser.newPage({ ...desktop, bypassCSP: true });
  await page.goto(`${base}/suppliers/${s.slug}`);
  await page.emulateMedia({ media: "print" });
  const pdf = await page.pdf({ format: "A4", printBackground: false });
  writeFileSync(join(shots, "supplier-suspended.pdf"), pdf);
  await page.close();
  const flat = await pdfText(pdf);
  for (const want of [s.name, "Suspended", "Suspended on", "said before it was suspended", "not in force", "not an accreditation", "Looked up on"]) {
    assert.ok(flat.includes(want), `the printout has ${want}`);
  }
  assert.ok(!flat.includes("Must reaffirm by"), "the printout gives no date to reaffirm");
});

test("the about page says what verified means and what the pledge is not", async () => {
  await everySize("/about", "about", async (page) => {
    const body = await page.locator("main").innerText();
    assert.match(body, /What “verified” means/);
    assert.match(body, /not an accreditation/);
    const official = page.getByRole("link", { name: "Read the official text of the Tech Pledge" });
    assert.match(await official.getAttribute("href"), /^https:\/\//);
  });
});

test("the pledge, the privacy notice and the accessibility statement read well at every size", async () => {
  for (const [path, name, heading] of [
    ["/pledge", "pledge", /The Tech Pledge/],
    ["/privacy", "privacy", /Privacy notice/],
    ["/accessibility", "accessibility", /Accessibility statement/],
  ]) {
    await everySize(path, name, async (page) => {
      assert.match(await page.locator("h1").innerText(), heading);
      const footer = page.locator("footer");
      await footer.getByRole("link", { name: "Who runs the registry, and how to contact them" }).waitFor();
    });
  }
});

test("a care manager raises a concern with the keyboard only", async () => {
  const s = await inStatus("active");
  const page = await browser.newPage({ ...phone, bypassCSP: true });
  await page.goto(`${base}/suppliers/${s.slug}`);
  await page.getByRole("link", { name: `raise a concern about ${s.name}` }).focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/concerns\?supplier=/);
  await reflows(page, "concern form");
  await audit(page, "concern form");
  await page.getByLabel("What is wrong?").focus();
  await page.keyboard.type("Too short");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Send the concern");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#errors");
  await audit(page, "concern form with an error");
  await page.screenshot({ path: join(shots, "concern-error-phone.png"), fullPage: true });
  await page.getByRole("link", { name: "What is wrong" }).focus();
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.id), "details", "the error leads to the field");
  await page.keyboard.press("End");
  await page.keyboard.type(": the AI policy link shows a cookie notice only.");
  await page.keyboard.press("Tab");
  await page.keyboard.type("care.manager@sunnyside.example");
  await page.keyboard.press("Enter");
  await page.waitForSelector("text=What happens next");
  assert.match(page.url(), /\/concerns\/received\?reference=C-[0-9A-F]{8}/);
  assert.match(await page.locator("main").innerText(), /Its reference is C-[0-9A-F]{8}/);
  // A reload shows the page again and sends nothing more.
  await page.reload();
  await page.waitForSelector("text=What happens next");
  await reflows(page, "concern sent");
  await audit(page, "concern sent");
  await page.screenshot({ path: join(shots, "concern-sent-phone.png"), fullPage: true });
  await page.close();

  const concerns = await (await fetch(`${base}/api/v1/admin/concerns`, { headers: { authorization: `Bearer ${registry.adminToken()}` } })).json();
  assert.equal(concerns.items.filter((c) => c.supplier_id === s.id).length, 1, "one concern, however often the page is reloaded");
  assert.equal(concerns.items[0].supplier_id, s.id);
  assert.match(concerns.items[0].details, /cookie notice only/);
});

test("the supplier page prints onto A4 with what a procurement file needs", async () => {
  const s = await inStatus("active");
  const record = await api(`/api/v1/suppliers/${s.slug}`);
  const page = await browser.newPage({ ...desktop, bypassCSP: true });
  await page.goto(`${base}/suppliers/${s.slug}`);
  await page.emulateMedia({ media: "print" });
  await page.screenshot({ path: join(shots, "supplier-print.png"), fullPage: true });
  const pdf = await page.pdf({ format: "A4", printBackground: false });
  writeFileSync(join(shots, "supplier.pdf"), pdf);
  await page.close();
  const flat = await pdfText(pdf);
  for (const want of [s.name, "Active", "Record last updated", "Must reaffirm by", `What ${s.name} says it does`, "Evidence", "From the Tech Pledge registry", `/suppliers/${s.slug}`, "not an accreditation", "checked who the organisation is", "Looked up on"]) {
    assert.ok(flat.includes(want), `the printout has ${want}`);
  }
  for (const e of record.evidence) assert.ok(flat.replace(/ /g, "").includes(e.url.replace(/ /g, "")), `the printout gives the address of ${e.title}`);
  for (const gone of ["HTML to embed the badge", "For developers", "Skip to main content", "Raise a concern"]) {
    assert.ok(!flat.includes(gone), `the printout leaves out ${gone}`);
  }
  const doc = await getDocument({ data: new Uint8Array(pdf) }).promise;
  const first = await doc.getPage(1);
  const [, , width, height] = first.view;
  assert.ok(Math.abs(width - 595) < 2 && Math.abs(height - 842) < 2, `A4: ${width}x${height}`);
});
