// Secret residue of the real desktop app. Starts target/debug/coffer-app (through tauri-driver,
// as the E2E suite does) with its own HOME, XDG folders and TMPDIR under one temp root, creates a
// vault with a canary passphrase, types a canary note, locks; then, while the app still runs,
// counts the canaries in the memory of the app and its WebKit processes (reported, never a
// failure); then exits the app and looks for the canaries (UTF-8 and UTF-16LE) in every file
// under the temp root: vault, web view data and cache (local storage, IndexedDB, caches),
// config, temp. Any find fails. Run under Xvfb by scripts/residue-check.
// Prints "N passed, M failed" last and exits non-zero if any check failed.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const root = mkdtempSync(path.join(os.tmpdir(), "coffer-residue-"));
// Everything the app and its web view may write goes under root; set before anything starts,
// so tauri-driver, WebKitWebDriver, the app and WebKit's processes all inherit it.
const dirs = {
  HOME: "home",
  XDG_DATA_HOME: "data",
  XDG_CACHE_HOME: "cache",
  XDG_CONFIG_HOME: "config",
  XDG_STATE_HOME: "state",
  TMPDIR: "tmp",
};
for (const [k, d] of Object.entries(dirs)) {
  const p = path.join(root, d);
  mkdirSync(p, { recursive: true, mode: 0o700 });
  process.env[k] = p;
}
delete process.env.COFFER_VAULT;
const vault = path.join(root, "vault");

const { startDriver, openApp, newNote, closeApp, APP, ROOT } = await import("../e2e/harness.mjs");

const hex = () => randomBytes(12).toString("hex");
const canaries = {
  passphrase: `canarypass${hex()}`,
  "note title": `canarytitle${hex()}`,
  "note body": `canarybody${hex()}`,
};

const results = [];
function check(name, ok, detail = "") {
  results.push(ok);
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
}

function patterns() {
  const out = [];
  for (const [name, text] of Object.entries(canaries)) {
    out.push({ what: `${name} (UTF-8)`, bytes: Buffer.from(text, "utf8") });
    out.push({ what: `${name} (UTF-16LE)`, bytes: Buffer.from(text, "utf16le") });
  }
  return out;
}

/** Every regular file under dir (symlinks are not followed). */
function filesUnder(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** [{file, what}] for each canary found in a file's bytes or its path. */
function scan(dir) {
  const finds = [];
  for (const f of filesUnder(dir)) {
    let data;
    try {
      data = readFileSync(f);
    } catch {
      continue; // vanished (a lock file) or unreadable
    }
    for (const p of patterns()) {
      if (data.includes(p.bytes) || Buffer.from(f).includes(p.bytes)) finds.push({ file: path.relative(root, f), what: p.what });
    }
  }
  return finds;
}

/** Processes whose parent is pid, recursively. */
function descendants(pid) {
  const children = new Map();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(e));
    } catch {
      // gone
    }
  }
  const out = [];
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** The pid of the app started on our vault. */
function appPid() {
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const args = readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0");
      if (args[0] === APP && args.includes(vault)) return Number(e);
    } catch {
      // gone
    }
  }
  return null;
}

const comm = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
};

async function waitGone(pids, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (pids.some((p) => existsSync(`/proc/${p}`))) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

function coreLimit(pid) {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max core file size"));
  return line.slice("Max core file size".length).trim().split(/\s+/).slice(0, 2).join("/");
}

/** Types into a field until it holds exactly `text` (a busy WebKit now and then drops keys). */
async function typeExactly(b, selector, text) {
  const el = await b.$(selector);
  await el.waitForDisplayed();
  for (let i = 0; i < 5; i++) {
    await el.setValue(text);
    // The UI listens to input events; under load a typed key may update the field without
    // one reaching the page in time, so announce the final value once more.
    await b.execute((sel) => document.querySelector(sel).dispatchEvent(new Event("input", { bubbles: true })), selector);
    if ((await el.getValue()) === text) return;
  }
  throw new Error(`${selector} never took the text typed into it`);
}

/** The first-run form, as the harness's createVault but checking what was typed. */
async function createVault(b, pass) {
  // Keys typed into the second field can land in the first one while focus moves: check both.
  const value = (sel) => b.execute((s) => document.querySelector(s).value, sel);
  for (let i = 0; i < 5; i++) {
    await typeExactly(b, "#new-passphrase", pass);
    await typeExactly(b, "#repeat-passphrase", pass);
    if ((await value("#new-passphrase")) === pass && (await value("#repeat-passphrase")) === pass) break;
  }
  await (await b.$("#understood")).click();
  await (await b.$("#create-vault")).waitForEnabled({ timeoutMsg: "Create vault stays disabled" });
  await (await b.$("#create-vault")).click();
  await (await b.$("#new-note")).waitForDisplayed({ timeout: 60000 });
}

// The scanner finds what is there (UTF-8 and UTF-16LE), so a clean result means something.
const control = path.join(root, "tmp", "control");
writeFileSync(control, Buffer.concat([Buffer.from(canaries["note body"], "utf16le"), Buffer.from(canaries.passphrase)]));
const seen = scan(root).map((f) => f.what);
check("the scanner finds planted canaries", seen.includes("note body (UTF-16LE)") && seen.includes("passphrase (UTF-8)"), seen.join(", "));
rmSync(control);

const memory = [];
let appProcs = [];
const driver = await startDriver();
try {
  const b = await openApp(driver, vault);
  try {
    await session(b);
  } catch (e) {
    check("the session in the app", false, e.message);
  } finally {
    await closeApp(b);
  }
} finally {
  driver.stop();
}

async function session(b) {
  {
    await createVault(b, canaries.passphrase);
    await newNote(b, canaries["note title"], `Secret: ${canaries["note body"]}`);
    await (await b.$("#lock")).click();
    await (await b.$("#passphrase")).waitForDisplayed();
    const text = await b.execute(() => document.body.innerText);
    check("after lock the page shows no canary", !Object.values(canaries).some((c) => text.includes(c)));

    const pid = appPid();
    check("the app process is found", pid !== null);
    if (pid !== null) {
      appProcs = [pid, ...descendants(pid)];
      for (const p of appProcs) {
        check(`core dumps off for ${comm(p)} (${p})`, coreLimit(p) === "0/0", `soft/hard ${coreLimit(p)}`);
      }
      const out = execFileSync("python3", [path.join(import.meta.dirname, "memscan.py"), ...appProcs.map(String)], {
        env: { ...process.env, COFFER_CANARIES: JSON.stringify(canaries) },
        maxBuffer: 1 << 20,
      });
      for (const [p, r] of Object.entries(JSON.parse(out))) memory.push({ pid: p, ...r });
    }
  }
}
const names = memory.map((m) => `${m.comm ?? "?"} (${m.pid})`).join(", ");
check("the app and its web processes exit", await waitGone(appProcs, 20000), names);

console.log("\nmemory after lock (while the app still ran), occurrences:");
const table = ["| process | bytes read | " + Object.keys(canaries).flatMap((c) => [`${c} UTF-8`, `${c} UTF-16LE`]).join(" | ") + " |"];
table.push("|" + " --- |".repeat(2 + 2 * Object.keys(canaries).length));
for (const m of memory) {
  if (m.error) {
    console.log(`  ${m.pid}: cannot read: ${m.error}`);
    continue;
  }
  const counts = Object.keys(canaries).flatMap((c) => [m.counts[`${c} (utf-8)`], m.counts[`${c} (utf-16le)`]]);
  console.log(`  ${m.comm} (${m.pid}), ${(m.bytes / 1048576).toFixed(0)} MiB read: ` +
    Object.keys(canaries).map((c, i) => `${c} ${counts[2 * i]} / ${counts[2 * i + 1]}`).join(", ") + "  (UTF-8 / UTF-16LE)");
  table.push(`| ${m.comm} | ${(m.bytes / 1048576).toFixed(0)} MiB | ${counts.join(" | ")} |`);
}
const report = path.join(ROOT, "target/residue");
mkdirSync(report, { recursive: true });
writeFileSync(path.join(report, "memory.md"), `Measured ${new Date().toISOString().slice(0, 10)} by scripts/residue-check.\n\n${table.join("\n")}\n`);
console.log(`  (table in ${path.relative(ROOT, path.join(report, "memory.md"))})\n`);

// After exit: every file under the root, grouped by the folder it is in.
const areas = readdirSync(root);
const finds = scan(root);
for (const area of areas) {
  const n = lstatSync(path.join(root, area)).isDirectory() ? filesUnder(path.join(root, area)).length : 1;
  const here = finds.filter((f) => f.file === area || f.file.startsWith(area + path.sep));
  check(`no canary in ${area}/ (${n} files)`, here.length === 0, here.map((f) => `${f.what} in ${f.file}`).join("; "));
}
check("the vault was written and scanned", existsSync(path.join(vault, "identity.age")));
const folders = new Map();
for (const f of filesUnder(root)) {
  const d = path.relative(root, f).split(path.sep).slice(0, 2).join("/");
  folders.set(d, (folders.get(d) ?? 0) + 1);
}
console.log(`scanned: ${[...folders].map(([d, n]) => `${d} (${n})`).join(", ")}`);

const failed = results.filter((r) => !r).length;
if (failed === 0) rmSync(root, { recursive: true, force: true });
else console.log(`left for inspection: ${root}`);
console.log(`\n${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
