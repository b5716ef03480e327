// End-to-end: a care manager finds that a supplier's policy no longer says what it said
// when the supplier signed. The policy is a page on 127.0.0.1 that the test rewords;
// the registry's own checker (the command line, as the operator runs it) reads it before
// and after. The supplier's page says so, and the diff page shows the words, with the
// keyboard alone, passing axe and reflowing on a phone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { start, poster, audit, reflows, shots } from "./support.mjs";

let registry, browser, base, site, port, policy;

const SIGNED = "<html><body><h1>Our AI policy</h1><p>We never use care records to train models.</p><p>Every suggestion can be overridden by a carer.</p></body></html>";
const REWORDED = "<html><body><h1>Our AI policy</h1><p>We rarely use care records to train models.</p><p>Every suggestion can be overridden by a carer.</p></body></html>";

// The supplier's website: a process of its own (the command line that checks it blocks
// this one), serving the file `policy` as it is at each request.
const SERVE = `require("http").createServer((q, s) => {
  s.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  s.end(require("fs").readFileSync(process.argv[1]));
}).listen(0, "127.0.0.1", function () { console.log(this.address().port); });`;

before(async () => {
  policy = join(mkdtempSync(join(tmpdir(), "registry-site-")), "policy.html");
  writeFileSync(policy, SIGNED);
  site = spawn(process.execPath, ["-e", SERVE, policy], { stdio: ["ignore", "pipe", "inherit"] });
  port = await new Promise((done) => site.stdout.once("data", (d) => done(Number(String(d).trim()))));
  registry = await start(3, { REGISTRY_CHECKER_ALLOW_LOOPBACK: "true" });
  ({ browser, base } = registry);
});

after(async () => {
  await registry?.stop();
  site?.kill();
});

const post = (path, body, token) => poster(base)(path, body, token);

// Tabs to the element `locator` names and presses Enter on it.
async function tabTo(page, locator) {
  const target = await locator.elementHandle();
  for (let i = 0; i < 120; i++) {
    await page.keyboard.press("Tab");
    if (await target.evaluate((e) => e === document.activeElement)) {
      await page.keyboard.press("Enter");
      return;
    }
  }
  assert.fail("the link is never reached with Tab");
}

// Reloads until the page says `words` (another process wrote the change).
async function until(page, url, words) {
  for (let i = 0; i < 200; i++) {
    await page.goto(url);
    if ((await page.locator("main").innerText()).includes(words)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${url} never said "${words}"`);
}

test("a care manager sees that a policy changed since it was signed, and what changed", async () => {
  const made = await post("/api/v1/registrations", {
    name: "Reworded Policies Ltd",
    website: "https://example.org",
    description: "Care planning software.",
    products: ["Care plans"],
    contact_name: "Jo Bloggs",
    contact_email: "jo@reworded.example",
  });
  const { id, slug } = made.supplier;
  const token = made.token.token;
  const url = `http://127.0.0.1:${port}/ai-policy`;
  await post(`/api/v1/suppliers/${id}/evidence`, { url, title: "Our AI policy", kind: "policy", commitments: ["safety"] }, token);
  registry.cli(["check-evidence", "--supplier", slug]);
  const pledge = await (await fetch(`${base}/api/v1/pledge`)).json();
  const statements = Object.fromEntries(pledge.commitments.map((c) => [c.code, `What we do for ${c.code}: a clear, specific statement.`]));
  await post(`/api/v1/suppliers/${id}/signature`, { signatory_name: "Sam Patel", signatory_role: "Chief Executive", statements }, token);

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  await until(page, `${base}/suppliers/${slug}`, "Document unchanged since signed on");

  writeFileSync(policy, REWORDED);
  registry.cli(["check-evidence", "--supplier", slug]);
  await until(page, `${base}/suppliers/${slug}`, "Document changed since signed on");
  // The summary at the top says so too, beside the links' health.
  assert.match(await page.locator("main").innerText(), /All evidence working; 1 document changed since signed/);
  await page.screenshot({ path: join(shots, "supplier-content-changed.png"), fullPage: true });
  await audit(page, "supplier page, a document changed");

  await tabTo(page, page.getByRole("link", { name: "See what changed in Our AI policy" }));
  await page.waitForURL(`**/suppliers/${slug}/evidence/*/changes`);
  assert.equal(await page.locator("h1").textContent(), "Our AI policy");
  assert.equal(await page.locator(".diff del").first().textContent(), "never");
  assert.equal(await page.locator(".diff ins").first().textContent(), "rarely");
  assert.match(await page.locator("main").innerText(), /1 word added, 1 word removed/);
  await page.screenshot({ path: join(shots, "evidence-changes.png"), fullPage: true });
  await audit(page, "evidence changes");
  const changes = page.url();
  await page.close();

  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, bypassCSP: true });
  await phone.goto(changes);
  await reflows(phone, "evidence changes on a phone");
  await audit(phone, "evidence changes on a phone");
  await phone.screenshot({ path: join(shots, "evidence-changes-phone.png"), fullPage: true });
  await phone.close();
});
