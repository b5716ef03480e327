// End-to-end: the real server with demo data, driven in headless Chromium. Searches for
// a supplier, opens its page, checks what a care provider sees, audits both pages with
// axe-core (injected past the pages' Content-Security-Policy, which allows no scripts), and
// saves screenshots under target/e2e/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { start, audit, reflows, mailTo as mailIn, shots } from "./support.mjs";

let registry, browser, base, data;

before(async () => {
  registry = await start(40);
  ({ browser, base, data } = registry);
});

after(async () => {
  await registry?.stop();
});

const mailTo = (address, kind) => mailIn(data, address, kind);

test("a care provider searches for a supplier and reads its page", async () => {
  const list = await (await fetch(`${base}/api/v1/suppliers?status=active&limit=1`)).json();
  const supplier = list.items[0];
  assert.ok(supplier, "demo data has an active supplier");

  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, bypassCSP: true });
  await page.goto(`${base}/`);
  assert.equal(await page.locator("h1").textContent(), "Who has signed the Tech Pledge");
  await page.screenshot({ path: join(shots, "home.png"), fullPage: true });
  await audit(page, "home");

  await page.getByLabel("Name, product or company number").fill(supplier.name);
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/\?q=/);
  const result = page.getByRole("link", { name: supplier.name, exact: true });
  assert.equal(await result.count(), 1, "the supplier is found");

  await result.click();
  await page.waitForURL(`**/suppliers/${supplier.slug}`);
  assert.equal(await page.locator("h1").textContent(), supplier.name);
  const body = await page.locator("main").innerText();
  assert.match(body, /Active/);
  assert.match(body, /Has signed the Tech Pledge/);
  assert.match(body, /Must reaffirm by/);
  assert.match(body, /What .* says it does/);
  assert.match(body, /Link health/);
  await page.screenshot({ path: join(shots, "supplier.png"), fullPage: true });
  await audit(page, "supplier");

  await page.goto(`${base}/badge/${supplier.slug}.svg`);
  await page.screenshot({ path: join(shots, "badge.png") });
  assert.match(await page.content(), /Tech Pledge/);
  await page.close();
});

test("the pages work on a phone and with the keyboard", async () => {
  const page = await browser.newPage({ viewport: { width: 375, height: 740 }, isMobile: true, bypassCSP: true });
  await page.goto(`${base}/`);
  await reflows(page, "home on a phone");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to main content");
  await page.screenshot({ path: join(shots, "home-phone.png"), fullPage: true });
  await audit(page, "home on a phone");
  await page.goto(`${base}/suppliers/no-such-supplier`);
  assert.match(await page.locator("h1").textContent(), /could not find/);
  await page.close();
});

test("a supplier's office manager signs in from the email and edits the record", async () => {
  const email = "office.manager@e2e-care.example";
  const registered = await fetch(`${base}/api/v1/registrations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "E2E Care Systems", website: "https://e2e-care.example", description: "Care planning.", products: ["Care planning"], contact_name: "Olive Manager", contact_email: email }),
  });
  assert.equal(registered.status, 201);
  const mail = await mailTo(email, "confirm_address");
  const link = mail.match(/http:\/\/127\.0\.0\.1:\d+\/sign-in\/confirm\?token=[A-Za-z0-9_-]+/)[0];

  for (const [label, viewport] of [["desktop", { width: 1280, height: 900 }], ["phone", { width: 390, height: 844 }]]) {
    const page = await browser.newPage({ viewport, bypassCSP: true });
    if (label === "desktop") {
      await page.goto(link);
      await audit(page, "sign-in button");
      await page.getByRole("button", { name: "Sign in" }).click();
    } else {
      // A link works once: on the phone, ask for another from the sign-in page.
      await page.goto(`${base}/sign-in`);
      await audit(page, "sign-in page");
      await page.getByLabel("Email address").fill(email);
      await page.keyboard.press("Enter");
      await page.waitForSelector("text=Check your email");
      const again = await mailTo(email, "sign_in");
      await page.goto(again.match(/http:\/\/127\.0\.0\.1:\d+\/sign-in\/confirm\?token=[A-Za-z0-9_-]+/)[0]);
      await page.getByRole("button", { name: "Sign in" }).click();
    }
    await page.waitForURL("**/account");
    assert.match(await page.locator("h1").textContent(), /E2E Care Systems/);
    await reflows(page, `account page (${label})`);
    await page.screenshot({ path: join(shots, `account-${label}.png`), fullPage: true });
    await audit(page, `account page (${label})`);

    if (label === "desktop") {
      await page.getByLabel("What you do").fill("Care planning for home care, edited in the browser.");
      await page.getByRole("button", { name: "Save the profile" }).click();
      await page.waitForURL("**/account?done=profile");
      assert.match(await page.getByRole("status").innerText(), /Your profile is saved/);
      // A link the registry refuses comes back named, on an accessible page.
      await page.getByLabel("Link address").fill("ftp://files.e2e-care.example/policy.pdf");
      await page.getByLabel("Link title").fill("AI policy");
      await page.getByRole("button", { name: "Add the link" }).click();
      await page.waitForSelector("#errors");
      assert.match(await page.locator("#errors").innerText(), /url/);
      await page.screenshot({ path: join(shots, "account-error.png"), fullPage: true });
      await audit(page, "account page with an error");
      const record = await (await fetch(`${base}/api/v1/suppliers/e2e-care-systems`)).json();
      assert.equal(record.description, "Care planning for home care, edited in the browser.");
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(`${base}/`);
      await page.goto(`${base}/account`);
      await page.waitForURL("**/sign-in");
    }
    await page.close();
  }
});

test("a procurement tool's developer signs up for webhooks and gets the token from the email", async () => {
  const email = "hooks@e2e-council.example";
  const asked = await fetch(`${base}/api/v1/webhooks/subscribers`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "E2E Council assurance", email }),
  });
  assert.equal(asked.status, 202);
  const mail = await mailTo(email, "confirm_subscriber");
  const link = mail.match(/http:\/\/127\.0\.0\.1:\d+\/webhooks\/confirm\?token=[A-Za-z0-9_-]+/)[0];

  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  await page.goto(link);
  await audit(page, "webhook confirmation button");
  await page.getByRole("button", { name: "Confirm and show the token" }).click();
  await page.waitForSelector("text=Your webhook account is ready");
  const token = (await page.locator("#token").innerText()).trim();
  await reflows(page, "webhook token page");
  await page.screenshot({ path: join(shots, "webhook-token-phone.png"), fullPage: true });
  await audit(page, "webhook token page");
  const subs = await fetch(`${base}/api/v1/webhooks/subscriptions`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(subs.status, 200, "the token shown works");
  await page.goBack();
  await page.getByRole("button", { name: "Confirm and show the token" }).click();
  await page.waitForSelector("text=This link does not work");
  await page.close();
});

test("an owner invites a colleague on the page; the colleague accepts from the email, moves between suppliers, and can leave", async () => {
  const owner = "owner@e2e-team.example";
  const colleague = "colleague@e2e-team.example";
  const registered = await fetch(`${base}/api/v1/registrations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "E2E Team Care", website: "https://e2e-team.example", description: "Rostering.", products: ["Rostering"], contact_name: "Owen Owner", contact_email: owner }),
  });
  assert.equal(registered.status, 201);
  const confirm = (await mailTo(owner, "confirm_address")).match(/http:\/\/127\.0\.0\.1:\d+\/sign-in\/confirm\?token=[A-Za-z0-9_-]+/)[0];
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  await page.goto(confirm);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/account");
  await page.getByLabel("Name", { exact: true }).fill("Colin League");
  await page.getByLabel("Email address").fill(colleague);
  await page.getByRole("button", { name: "Add the member" }).click();
  await page.waitForURL("**/account?done=member");
  assert.match(await page.getByRole("status").innerText(), /invitation is sent/);
  assert.match(await page.locator("#members + table").innerText(), /invited, not accepted yet/);
  await audit(page, "account page with an invitation sent");

  // The colleague, on a phone, opens the invitation: accept or decline, nothing else.
  const invitation = (await mailTo(colleague, "invited")).match(/http:\/\/127\.0\.0\.1:\d+\/sign-in\/confirm\?token=[A-Za-z0-9_-]+/)[0];
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  await phone.goto(invitation);
  assert.match(await phone.locator("h1").textContent(), /Join E2E Team Care/);
  await reflows(phone, "invitation page");
  await phone.screenshot({ path: join(shots, "invitation-phone.png"), fullPage: true });
  await audit(phone, "invitation page");
  await phone.getByRole("button", { name: "Accept and sign in" }).click();
  await phone.waitForURL("**/account");
  assert.match(await phone.locator("h1").textContent(), /E2E Team Care/);
  await audit(phone, "account page of an editor");

  // The owner sees the colleague as a member now.
  await page.reload();
  assert.doesNotMatch(await page.locator("#members + table").innerText(), /not accepted yet/);

  // A second supplier invites the colleague too: the account page offers it, and the
  // colleague moves between the two.
  const second = await fetch(`${base}/api/v1/registrations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "E2E Second Care", website: "https://e2e-second.example", description: "Care notes.", products: ["Care notes"], contact_name: "Sue Second", contact_email: "owner@e2e-second.example" }),
  });
  assert.equal(second.status, 201);
  const { supplier, token } = await second.json();
  const invited = await fetch(`${base}/api/v1/suppliers/${supplier.id}/members`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token.token}` },
    body: JSON.stringify({ email: colleague, name: "Colin League", role: "editor" }),
  });
  assert.equal(invited.status, 201);
  await phone.reload();
  await reflows(phone, "account page with another supplier's invitation");
  await audit(phone, "account page with another supplier's invitation");
  await phone.getByRole("button", { name: "Accept and switch to E2E Second Care" }).click();
  await phone.waitForURL("**/account?done=switched");
  assert.match(await phone.locator("h1").textContent(), /E2E Second Care/);
  await phone.screenshot({ path: join(shots, "account-switch-phone.png"), fullPage: true });
  await phone.getByRole("button", { name: "Switch to E2E Team Care" }).click();
  await phone.waitForURL("**/account?done=switched");
  assert.match(await phone.locator("h1").textContent(), /E2E Team Care/);

  // The colleague leaves: signed out, and no longer a member.
  await phone.getByRole("button", { name: "Leave E2E Team Care" }).click();
  // Leaving asks first, on a page of its own.
  assert.match(await phone.locator("main").innerText(), /Leave this supplier\?/);
  await audit(phone, "confirm-leave");
  await phone.getByRole("button", { name: "Yes, go ahead" }).click();
  await phone.waitForURL(`${base}/`);
  await phone.goto(`${base}/account`);
  await phone.waitForURL("**/sign-in");
  await page.reload();
  assert.doesNotMatch(await page.locator("#members + table").innerText(), /colleague@e2e-team\.example/);
  await phone.close();
  await page.close();
});
