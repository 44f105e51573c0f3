// The E2E harness: starts tauri-driver on a free port (waiting until it accepts connections),
// opens the real app with its own temporary vault per test, and offers small helpers.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { remote } from "webdriverio";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const APP = process.env.COFFER_APP ?? path.join(ROOT, "target/debug/coffer-app");
export const SHOTS = path.join(ROOT, "target/e2e-screenshots");
export const PASS = "correct horse battery staple";

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port (no fixed sleeps). */
export async function waitForPort(port, child, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tauri-driver exited with ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const sock = net.connect(port, "127.0.0.1");
      sock.once("connect", () => { sock.destroy(); resolve(true); });
      sock.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startDriver() {
  const port = await freePort();
  const nativePort = await freePort();
  const child = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  await waitForPort(port, child);
  return {
    port,
    stop: () => child.kill("SIGTERM"),
    stderr: () => stderr,
  };
}

export function tempVault() {
  return path.join(mkdtempSync(path.join(os.tmpdir(), "coffer-e2e-")), "vault");
}

/** Opens the app on `vault`; extra command-line arguments may follow. */
export async function openApp(driver, vault, extraArgs = []) {
  mkdirSync(SHOTS, { recursive: true });
  const options = {
    hostname: "127.0.0.1",
    port: driver.port,
    logLevel: "error",
    connectionRetryCount: 1,
    waitforTimeout: 15000,
    capabilities: {
      "wdio:enforceWebDriverClassic": true,
      "tauri:options": { application: APP, args: ["--vault", vault, ...extraArgs] },
    },
  };
  // tauri-driver answers on its port before the WebKitWebDriver behind it is ready, and WebKit's
  // first start after a build can take a while: a new-session request then fails with a dropped
  // socket (a CI run lost its first six tests so). Ask again, for up to a minute.
  const deadline = Date.now() + 60000;
  for (;;) {
    try {
      return await remote(options);
    } catch (e) {
      if (Date.now() > deadline || !/UND_ERR_SOCKET|ECONNREFUSED|ECONNRESET|socket hang up/.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

let sessions = 0;

/** Closes the app, keeping a picture of how it ended (the first place to look on a failure). */
export async function closeApp(b) {
  await b.saveScreenshot(path.join(SHOTS, `end-${++sessions}.png`)).catch(() => {});
  await b.deleteSession();
}

export async function shot(b, name) {
  // Let the page paint what it has (two animation frames) before the picture is taken.
  await b.executeAsync((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
  await b.saveScreenshot(path.join(SHOTS, `${name}.png`));
}

/** Fills the first-run form and waits for the main screen. */
export async function createVault(b, pass = PASS) {
  await (await b.$("#new-passphrase")).waitForDisplayed();
  await (await b.$("#new-passphrase")).setValue(pass);
  await (await b.$("#repeat-passphrase")).setValue(pass);
  await (await b.$("#understood")).click();
  await (await b.$("#create-vault")).click();
  await (await b.$("#new-note")).waitForDisplayed({ timeout: 30000 });
}

export async function unlock(b, pass = PASS) {
  const input = await b.$("#passphrase");
  await input.waitForDisplayed();
  await input.setValue(pass);
  await (await b.$("#unlock")).click();
}

/** Text of the whole page as a person would read it. */
export async function pageText(b) {
  return b.execute(() => document.body.innerText);
}

export async function waitSaved(b) {
  await b.waitUntil(async () => (await (await b.$("#save-state")).getText()) === "Saved", {
    timeoutMsg: "the note was never saved",
  });
}

/** Makes a new note with a title and body, and waits until it is saved. */
export async function newNote(b, title, body) {
  await (await b.$("#new-note")).click();
  const t = await b.$("#note-title");
  await t.waitForDisplayed();
  await b.waitUntil(async () => (await t.getValue()) === "Untitled");
  await t.clearValue();
  await t.setValue(title);
  if (body) {
    const cm = await b.$(".cm-content");
    await cm.click();
    // Line by line: a "\n" inside sent text is not an Enter key press for the editor. (Text
    // goes through element send-keys: WebKit's action chains drop repeated letters, "ll".)
    const lines = body.split("\n");
    for (const [i, line] of lines.entries()) {
      if (line) await cm.addValue(line);
      if (i < lines.length - 1) await b.keys("Enter");
    }
  }
  await waitSaved(b);
  await b.waitUntil(async () => (await listTitles(b)).includes(title), { timeoutMsg: `${title} not listed` });
}

export async function listTitles(b) {
  return b.execute(() => [...document.querySelectorAll(".items .item .title .name")].map((e) => e.textContent.trim()));
}

/** Calls a Rust command from the page, as the UI does (for native dialogs and drops, which
 * WebDriver cannot drive). */
export async function invoke(b, cmd, args) {
  return b.executeAsync(
    (cmd, args, done) => {
      window.__TAURI_INTERNALS__.invoke(cmd, args).then(
        (v) => done({ ok: v }),
        (e) => done({ err: e }),
      );
    },
    cmd,
    args,
  );
}

function xdotool(...args) {
  return new Promise((resolve) => {
    execFile("xdotool", args, (err, stdout) => resolve(err ? "" : stdout.trim()));
  });
}

/** Answers the native dialog titled `title` (opened by Rust: WebDriver cannot reach it) the way
 * a person would, with xdotool: types `answer` (a path) into its location field (`open`: a file
 * or folder chooser) or its name field (`save`), then presses Return; `cancel` presses Escape.
 * Waits for the dialog to appear and to close, typing again if the first keys came too early. */
export async function answerDialog(title, answer, mode = "open", shotName = null, timeoutMs = 20000) {
  const end = Date.now() + timeoutMs;
  const find = async () => (await xdotool("search", "--onlyvisible", "--name", title)).split("\n")[0];
  let win = "";
  while (!(win = await find())) {
    if (Date.now() > end) throw new Error(`no dialog titled ${JSON.stringify(title)} appeared`);
    await new Promise((r) => setTimeout(r, 150));
  }
  if (shotName) {
    // The whole screen: the dialog is a window of its own, outside what WebDriver shows.
    await new Promise((r) => setTimeout(r, 500));
    await new Promise((r) => execFile("import", ["-window", "root", path.join(SHOTS, `${shotName}.png`)], () => r()));
  }
  for (;;) {
    await xdotool("windowfocus", "--sync", win);
    if (mode === "cancel") {
      await xdotool("key", "--window", win, "Escape");
    } else {
      await xdotool("key", "--window", win, mode === "save" ? "ctrl+a" : "ctrl+l");
      await xdotool("type", "--window", win, "--delay", "5", answer);
      // GTK completes a typed path inline (".../in" becomes ".../in/Work", the completion
      // selected): give it a moment, then delete any completion before pressing Return.
      await new Promise((r) => setTimeout(r, 400));
      await xdotool("key", "--window", win, "Delete");
      await xdotool("key", "--window", win, "Return");
    }
    const closing = Date.now() + 3000;
    while (Date.now() < closing) {
      if (!(await find())) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (Date.now() > end) throw new Error(`the dialog ${JSON.stringify(title)} did not take ${JSON.stringify(answer)}`);
  }
}

/** Opens Coffer's file dialog for `purpose` through the command the UI calls, answers it with
 * `answer`, and returns the chosen paths. */
export async function pick(b, purpose, title, answer, mode = "open", name = null) {
  const picking = invoke(b, "pick", { purpose, name });
  await answerDialog(title, answer, mode);
  const r = await picking;
  if (!r.ok) throw new Error(`pick ${purpose}: ${JSON.stringify(r.err)}`);
  if (r.ok.at(-1) !== answer) throw new Error(`pick ${purpose} chose ${JSON.stringify(r.ok)}, not ${answer}`);
  return r.ok;
}

/** Clicks the note with this title in the notes list and waits until it is the open note. The list
 * reuses its rows when it changes (rows are keyed by position), so a row found just before a
 * re-render can hold another note by the time it is clicked: then it clicks again. */
export async function clickNote(b, title) {
  const row = `//section[@aria-label="Notes"]//button[contains(@class,"item")][.//span[@class="name" and normalize-space()="${title}"]]`;
  const open = `//section[@aria-label="Notes"]//button[contains(@class,"item") and contains(@class,"current")][.//span[@class="name" and normalize-space()="${title}"]]`;
  await b.waitUntil(
    async () => {
      const el = await b.$(row);
      if (!(await el.isClickable().catch(() => false))) return false;
      await el.click().catch(() => {});
      return b
        .waitUntil(async () => (await b.$(open)).isExisting(), { timeout: 3000, interval: 100 })
        .then(() => true, () => false);
    },
    { timeout: 30000, interval: 200, timeoutMsg: `the note ${JSON.stringify(title)} did not open` },
  );
}

/** Replaces the body of the open note through the app's `update` command (for long Markdown
 * that typing would mangle: the editor continues lists and completes `[[`), then reopens it. */
export async function setBody(b, title, body) {
  const id = await b.execute(() => document.querySelector(".items .item.current")?.getAttribute("data-id"));
  const r = await invoke(b, "update", { id, change: { body } });
  if (!r.ok) throw new Error(`update failed: ${JSON.stringify(r.err)}`);
  await clickNote(b, title);
  await b.waitUntil(async () => (await (await b.$(".cm-content")).getText()).includes(body.split("\n")[0]), {
    timeoutMsg: "the new body is not shown",
  });
  return id;
}

/** Clicks, with the real pointer, the first element matching `selector` in the preview frame. */
export async function clickInPreview(b, selector) {
  const p = await b.execute((sel) => {
    const f = document.querySelector(".preview iframe");
    const el = f?.contentDocument?.querySelector(sel);
    if (!f || !el) return null;
    el.scrollIntoView({ block: "center" });
    const fr = f.getBoundingClientRect();
    const r = el.getClientRects()[0];
    return { x: Math.round(fr.left + r.left + Math.min(r.width / 2, 20)), y: Math.round(fr.top + r.top + r.height / 2) };
  }, selector);
  if (!p) throw new Error(`nothing matches ${selector} in the preview`);
  await b.action("pointer").move({ x: p.x, y: p.y, origin: "viewport" }).down().up().perform();
}

const AXE = readFileSync(path.join(import.meta.dirname, "node_modules/axe-core/axe.min.js"), "utf8");

/** The accessibility audit (axe-core, WCAG 2.x A and AA rules) of what the window shows now:
 * its violations, each as "rule: what (how many nodes): the first node". The preview's frame
 * (a sandbox without scripts) is not entered. */
export async function audit(b) {
  // What a person sees once it has settled: a button clicked a moment ago is still fading
  // between its colours, and axe would judge a colour no one reads.
  await b.executeAsync((done) => {
    // A spinner runs forever: a second at most.
    const settled = Promise.all(document.getAnimations().map((a) => a.finished.catch(() => null)));
    Promise.race([settled, new Promise((r) => setTimeout(r, 1000))]).then(() => done(true));
  });
  await b.execute(`${AXE}\nreturn true;`);
  const found = await b.executeAsync((done) => {
    window.axe
      .run(document, { iframes: false, resultTypes: ["violations"], runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
      .then(
        (r) => done(r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length}): ${v.nodes[0]?.target?.join(" ")} ${v.nodes[0]?.failureSummary?.split("\n")[1] ?? ""}`)),
        (e) => done([`axe failed: ${e}`]),
      );
  });
  return found;
}
