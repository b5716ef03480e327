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

test("a supplier's lead registers, signs, adds a certification, manages a colleague and a token, corrects a statement and reaffirms, all on the pages", async () => {
  for (const [label, viewport] of [["desktop", { width: 1280, height: 900 }], ["phone", { width: 390, height: 844 }]]) {
    const lead = `lead-${label}@e2e-journey.example`;
    const name = `E2E Journey Care ${label}`;
    // Register on the pages: what you need, the form, check the answers, the email.
    const page = await browser.newPage({ viewport, bypassCSP: true });
    await page.goto(`${base}/sign-in`);
    await page.getByRole("link", { name: "Register your organisation" }).click();
    await page.waitForURL("**/register");
    await audit(page, `register start (${label})`);
    await page.getByRole("button", { name: "Start now" }).click();
    await page.waitForURL("**/register/details");
    await page.getByLabel("Organisation name").fill(name);
    await page.getByLabel("Website").fill("not a website");
    await page.getByLabel("What it does").fill("Care records.");
    await page.getByLabel("Its products, one a line").fill("Care records");
    await page.getByLabel("Your name").fill("Lee Lead");
    await page.getByLabel("Your work email address").fill(lead);
    // The browser's own check stops a malformed address; the registry's names it too.
    await page.locator("form").evaluate((f) => f.setAttribute("novalidate", ""));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForSelector("text=There is a problem");
    await audit(page, `register form with an error (${label})`);
    await reflows(page, `register form with an error (${label})`);
    await page.getByLabel("Website").fill("https://e2e-journey.example");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForSelector("text=Check your answers");
    await audit(page, `check your answers (${label})`);
    await reflows(page, `check your answers (${label})`);
    await page.getByRole("button", { name: "Register", exact: true }).click();
    await page.waitForURL("**/register/done");
    const supplier = await (await fetch(`${base}/api/v1/suppliers/${name.toLowerCase().replace(/ /g, "-")}`)).json();
    assert.equal(supplier.name, name);
    const confirm = (await mailTo(lead, "confirm_address")).match(/http:\/\/127\.0\.0\.1:\d+\/sign-in\/confirm\?token=[A-Za-z0-9_-]+/)[0];
    await page.goto(confirm);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL("**/account");

    // Sign, with a statement for every commitment.
    await page.getByLabel("Name of the person signing").fill("Lee Lead");
    await page.getByLabel("Their role").fill("Head of Governance");
    const statements = page.locator('textarea[name^="statement."]');
    for (let i = 0; i < (await statements.count()); i++) {
      await statements.nth(i).fill(`What we do for commitment ${i + 1}: a clear, specific statement.`);
    }
    await page.getByRole("button", { name: "Sign with these statements" }).click();
    await page.waitForURL("**/account?done=statements");

    // A certification with its expiry.
    await page.getByLabel("Link address").fill("https://e2e-journey.example/ce");
    await page.getByLabel("Link title").fill("Cyber Essentials certificate");
    await page.getByLabel("Kind").selectOption("certification");
    await page.getByLabel("Scheme").selectOption("cyber_essentials");
    await page.getByLabel("Certificate reference").fill("CE-2468");
    await page.getByLabel("Expires on").fill("2099-06-30");
    await page.locator('input[name="commitments"]').first().check();
    await page.getByRole("button", { name: "Add the link" }).click();
    await page.waitForURL("**/account?done=evidence");
    assert.match(await page.locator("#evidence + table").innerText(), /Cyber Essentials, reference CE-2468, valid until 30 June 2099/);
    await audit(page, `account after signing (${label})`);
    await reflows(page, `account after signing (${label})`);

    // The link's own page: checked now, once, and not again within the minute.
    await page.getByRole("link", { name: "Change Cyber Essentials certificate" }).click();
    await page.waitForURL(/\/account\/evidence\/[0-9a-f-]+$/);
    assert.match(await page.locator("#health").innerText(), /Never checked/);
    await page.getByRole("button", { name: "Check this link now" }).click();
    await page.waitForURL(/done=checked/);
    assert.match(await page.getByRole("status").innerText(), /Checked just now/);
    assert.match(await page.locator("#health").innerText(), /Last checked/);
    await audit(page, `link checked (${label})`);
    await reflows(page, `link checked (${label})`);
    await page.getByRole("button", { name: "Check this link now" }).click();
    await page.waitForSelector("text=You can check it again in");
    await audit(page, `link checked too soon (${label})`);
    await page.goto(`${base}/account`);

    // A colleague, made an owner.
    await page.getByLabel("Name", { exact: true }).fill("Colin League");
    await page.getByLabel("Email address").fill(`colin-${label}@e2e-journey.example`);
    await page.getByRole("button", { name: "Add the member" }).click();
    await page.waitForURL("**/account?done=member");
    await page.getByLabel("Role of Colin League", { exact: true }).selectOption("owner");
    await page.getByRole("button", { name: "Change the role of Colin League" }).click();
    await page.waitForURL("**/account?done=role");
    assert.equal(await page.getByLabel("Role of Colin League", { exact: true }).inputValue(), "owner");

    // An API token: shown once, works, then revoked after a question.
    await page.getByLabel("What it is for").fill("CRM sync");
    await page.getByLabel("It may").selectOption("read");
    await page.getByRole("button", { name: "Create the token" }).click();
    await page.waitForSelector("text=Copy this token now");
    await audit(page, `new token (${label})`);
    const token = (await page.locator("#token").innerText()).trim();
    const read = () => fetch(`${base}/api/v1/suppliers/${supplier.id}/members`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await read()).status, 200, "the token shown works");
    await page.goto(`${base}/account`);
    await page.getByRole("button", { name: "Revoke CRM sync" }).click();
    await page.waitForSelector("text=Revoke this API token?");
    await audit(page, `revoke question (${label})`);
    await reflows(page, `revoke question (${label})`);
    await page.getByRole("button", { name: "Yes, go ahead" }).click();
    await page.waitForURL("**/account?done=revoked");
    assert.equal((await read()).status, 401, "revoked at once");

    // A statement corrected: saved, reaffirmed, and in the public history.
    const first = page.locator('textarea[name^="statement."]').first();
    await first.fill("We explain each AI feature to the people it affects, in plain English.");
    await page.getByRole("button", { name: "Save corrections and reaffirm" }).click();
    await page.waitForURL("**/account?done=statements");
    await page.getByRole("button", { name: "Reaffirm the pledge" }).click();
    await page.waitForURL("**/account?done=reaffirmed");
    await page.goto(`${base}/suppliers/${supplier.slug}`);
    const body = await page.locator("main").innerText();
    assert.match(body, /We explain each AI feature to the people it affects/);
    assert.match(body, /Corrected a statement/);
    await audit(page, `public record after a correction (${label})`);
    await page.screenshot({ path: join(shots, `journey-${label}.png`), fullPage: true });
    await page.close();
  }
});
