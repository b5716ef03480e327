// What the end-to-end tests share: a real server on demo data, headless Chromium, the
// axe audit (injected past the pages' Content-Security-Policy, which allows no
// scripts), the mail the registry writes as .eml files, and the reflow check.
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import net from "node:net";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");
export const bin = process.env.REGISTRY_BIN || join(root, "target", "debug", "pledge-registry");
export const shots = join(root, "target", "e2e");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(url) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became ready`);
}

// Starts the registry on `count` demo suppliers, and Chromium.
export async function start(count, extra = {}) {
  mkdirSync(shots, { recursive: true });
  const data = mkdtempSync(join(tmpdir(), "registry-e2e-"));
  const port = await freePort();
  const env = { ...process.env, REGISTRY_DATA_DIR: data, REGISTRY_BIND: `127.0.0.1:${port}`, REGISTRY_PUBLIC_URL: `http://127.0.0.1:${port}`, REGISTRY_CHECK_INTERVAL: "off", REGISTRY_RATE_LIMIT_READS: "off", REGISTRY_MAIL_INTERVAL: "100ms", ...extra };
  execFileSync(bin, ["seed-demo", "--count", String(count)], { env, stdio: "ignore" });
  const server = spawn(bin, ["serve"], { env, stdio: "ignore" });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/readyz`);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return {
    base,
    data,
    browser,
    // The command line, against this registry's settings.
    cli: (args) => execFileSync(bin, args, { env }).toString(),
    // An operator token, as the operator gets one: from the command line.
    adminToken: () => execFileSync(bin, ["token", "issue", "--role", "admin", "--days", "1"], { env }).toString().trim().split("\n").pop(),
    stop: async () => {
      await browser.close();
      server.kill();
    },
  };
}

export async function audit(page, name) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa", "best-practice"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const described = bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ")})`);
  assert.deepEqual(described, [], `${name}: serious or critical accessibility violations`);
  return result;
}

// The page needs no sideways scrolling at its width (WCAG 2.2 1.4.10 Reflow).
export async function reflows(page, name) {
  const wide = await page.evaluate(() => {
    const limit = window.innerWidth + 1;
    const over = [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > limit).slice(0, 3).map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
    return { scroll: document.documentElement.scrollWidth, width: window.innerWidth, over };
  });
  assert.ok(wide.scroll <= wide.width + 1, `${name}: ${wide.scroll}px wide at ${wide.width}px (${wide.over.join(", ")})`);
}

// With no mail server the registry writes each message as an .eml file in the data
// folder (named by its number, so in the order written); the tests read links from
// there, as a developer would.
export function mailsTo(data, address, kind) {
  const dir = join(data, "mail");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith(`-${kind}.eml`))
    .sort()
    .map((name) => readFileSync(join(dir, name), "utf8"))
    .filter((raw) => raw.includes(address))
    .map((raw) => raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))));
}

// The first `kind` mail to `address` after the first `skip` of them, once it is written.
export async function mailTo(data, address, kind, skip = 0) {
  for (let i = 0; i < 600; i++) {
    const mails = mailsTo(data, address, kind);
    if (mails.length > skip) return mails[skip];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${kind} mail to ${address}`);
}

// POSTs JSON to the registry at `base` (with a bearer token if given), and asserts a 2xx.
export function poster(base) {
  return async (path, body, token) => {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
}
