// End-to-end: the operator's console in headless Chromium, with the keyboard alone. An
// operator added on the command line signs in with the emailed link, verifies a
// registration from the queue, and answers and closes a concern a care manager raised
// on the pages; each page of the console passes axe at 1280 and 390 px and reflows.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { start, poster, audit, reflows, mailTo as mailIn, mailsTo, shots } from "./support.mjs";

let registry, browser, base, data;

before(async () => {
  registry = await start(10);
  ({ browser, base, data } = registry);
  registry.cli(["operator", "add", "ops@registry.example", "--name", "Sam Operator"]);
});

after(async () => {
  await registry?.stop();
});

const mailTo = (address, kind, skip = 0) => mailIn(data, address, kind, skip);
const desktop = { viewport: { width: 1280, height: 900 }, bypassCSP: true };
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, bypassCSP: true };

const post = (path, body, token) => poster(base)(path, body, token);

// A supplier that registered and signed, waiting for the operator.
async function waiting(name) {
  const made = await post("/api/v1/registrations", {
    name,
    website: "https://example.org",
    company_number: "09446231",
    description: "Care planning software.",
    products: ["Care plans"],
    contact_name: "Jo Bloggs",
    contact_email: "jo@example.org",
  });
  const pledge = await (await fetch(`${base}/api/v1/pledge`)).json();
  const statements = Object.fromEntries(pledge.commitments.map((c) => [c.code, `What we do for ${c.code}: a clear, specific statement.`]));
  await post(`/api/v1/suppliers/${made.supplier.id}/signature`, { signatory_name: "Sam Patel", signatory_role: "Chief Executive", statements }, made.token.token);
  return made.supplier;
}

// Tabs to the element `locator` names and presses Enter on it: the keyboard alone.
async function tabTo(page, locator, key = "Enter") {
  const target = await locator.elementHandle();
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press("Tab");
    if (await target.evaluate((e) => e === document.activeElement)) {
      if (key) await page.keyboard.press(key);
      return;
    }
  }
  throw new Error("never reached by Tab");
}

// Audits the console page at `path` on a desktop and a phone, photographed.
async function checkSizes(context, path, name) {
  for (const [label, options] of [["desktop", desktop], ["phone", phone]]) {
    const page = await context.newPage();
    await page.setViewportSize(options.viewport);
    await page.goto(`${base}${path}`);
    await reflows(page, `${name} (${label})`);
    await audit(page, `${name} (${label})`);
    await page.screenshot({ path: join(shots, `console-${name}-${label}.png`), fullPage: true });
    await page.close();
  }
}

async function signIn() {
  const context = await browser.newContext(desktop);
  const page = await context.newPage();
  await page.goto(`${base}/operator`);
  await page.waitForURL("**/operator/sign-in");
  await audit(page, "console sign-in");
  const sent = mailsTo(data, "ops@registry.example", "operator_sign_in").length;
  await tabTo(page, page.getByLabel("Email address"), null);
  await page.keyboard.type("ops@registry.example");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Check your email" }).waitFor();
  const mail = await mailTo("ops@registry.example", "operator_sign_in", sent);
  const link = mail.match(/http:\/\/127\.0\.0\.1:\d+\/operator\/sign-in\/confirm\?token=[A-Za-z0-9_-]+/)[0];
  await page.goto(link);
  await tabTo(page, page.getByRole("button", { name: "Sign in" }));
  await page.waitForURL(`${base}/operator`);
  assert.match(await page.locator("main").innerText(), /Signed in as Sam Operator/);
  return { context, page };
}

test("an operator verifies a registration from the queue, with the keyboard", async () => {
  const supplier = await waiting("Queue Care Ltd");
  const { context, page } = await signIn();
  await checkSizes(context, "/operator", "queues");
  const queue = page.locator("table", { has: page.getByRole("link", { name: "Queue Care Ltd" }) });
  const row = await queue.locator("tr", { hasText: "Queue Care Ltd" }).innerText();
  assert.match(row, /09446231/, "the company number to check");
  assert.match(row, /jo@example\.org/, "the contact to check");
  await tabTo(page, page.getByRole("link", { name: "Queue Care Ltd" }));
  await page.waitForURL(`**/operator/suppliers/${supplier.id}`);
  await checkSizes(context, `/operator/suppliers/${supplier.id}`, "supplier");
  assert.match(await page.locator("main").innerText(), /Identity not verified/);
  await tabTo(page, page.getByRole("button", { name: "Verify Queue Care Ltd" }));
  await page.waitForURL(`**/operator/suppliers/${supplier.id}?done=verify`);
  assert.match(await page.getByRole("status").innerText(), /Verified/);
  const record = await (await fetch(`${base}/api/v1/suppliers/${supplier.id}`)).json();
  assert.equal(record.status, "active");
  assert.equal(record.identity_verified, true);
  // The queue no longer holds it.
  await page.goto(`${base}/operator`);
  assert.equal(await page.getByRole("link", { name: "Queue Care Ltd" }).count(), 0);
  await context.close();
});

test("a concern raised on the pages is answered and closed on the console", async () => {
  const list = await (await fetch(`${base}/api/v1/suppliers?status=active&limit=1`)).json();
  const supplier = list.items[0];
  // A care manager raises it, from the supplier's page.
  const visitor = await browser.newPage(desktop);
  await visitor.goto(`${base}/concerns?supplier=${supplier.slug}`);
  await visitor.getByLabel("What is wrong").fill("Their AI policy link leads to a page about cookies.");
  await visitor.getByLabel(/email address/i).fill("care.manager@sunnyside.example");
  await visitor.getByRole("button", { name: /send|raise/i }).click();
  await visitor.waitForURL(/\/concerns\/received/);
  await visitor.close();

  const { context, page } = await signIn();
  const open = page.getByRole("link", { name: new RegExp(`C-[0-9A-F]{8}: ${supplier.name}`) });
  await tabTo(page, open);
  await page.waitForURL(/\/operator\/concerns\//);
  const path = new URL(page.url()).pathname;
  await checkSizes(context, path, "concern");
  assert.match(await page.locator("main").innerText(), /page about cookies/);

  await tabTo(page, page.getByLabel(/Your reply/), null);
  await page.keyboard.type("Thank you. We have asked the supplier to mend the link.");
  await tabTo(page, page.getByRole("button", { name: "Send the reply" }));
  await page.waitForURL(/done=reply/);
  const reply = await mailTo("care.manager@sunnyside.example", "concern_reply");
  assert.match(reply, /asked the supplier to mend the link/);

  await tabTo(page, page.getByLabel(/What you found and did/), null);
  await page.keyboard.type("The supplier mended the link.");
  await tabTo(page, page.getByRole("button", { name: "Close the concern" }));
  await page.waitForURL(/done=close/);
  const body = await page.locator("main").innerText();
  assert.match(body, /Closed/);
  assert.match(body, /The supplier mended the link\./);
  await audit(page, "concern closed");
  const closed = await mailTo("care.manager@sunnyside.example", "concern_closed");
  assert.match(closed, /The supplier mended the link\./);
  await context.close();
});

test("the subscribers and keys pages pass the audit, and the key is replaced only after the question", async () => {
  const { context, page } = await signIn();
  await checkSizes(context, "/operator/subscribers", "subscribers");
  await checkSizes(context, "/operator/keys", "keys");
  await page.goto(`${base}/operator/keys`);
  const before = await page.locator("#current-kid").innerText();
  await tabTo(page, page.getByRole("button", { name: /Replace the key/ }));
  await page.getByRole("heading", { name: "Are you sure?" }).waitFor();
  await audit(page, "key question");
  await tabTo(page, page.getByRole("button", { name: "Yes, go ahead" }));
  await page.waitForURL(/done=rotate/);
  const after = await page.locator("#current-kid").innerText();
  assert.notEqual(after, before);
  await context.close();
});
