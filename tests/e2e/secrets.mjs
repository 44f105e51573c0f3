// Keys and copied secrets in the real app: the clipboard is cleared after the delay (only if it
// still holds the note), the passphrase is changed from Settings, keys are rotated and the vault
// checked from Settings with progress shown.
import { execFileSync, spawn } from "node:child_process";
import {
  openApp, tempVault, createVault, unlock, newNote, listTitles, clickNote, invoke, shot, closeApp, PASS,
} from "./harness.mjs";

/** The X clipboard's text, or "" when it holds none (xclip exits non-zero then). */
function clipboard() {
  try {
    return execFileSync("xclip", ["-selection", "clipboard", "-o"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 });
  } catch {
    return "";
  }
}

/** Puts `text` on the X clipboard as another application would; the returned function ends
 * that application (xclip serves the text until then). */
async function otherAppCopies(text) {
  const child = spawn("xclip", ["-selection", "clipboard", "-i", "-quiet"], { stdio: ["pipe", "ignore", "ignore"] });
  child.stdin.end(text);
  const end = Date.now() + 10000;
  while (clipboard() !== text) {
    if (Date.now() > end) throw new Error("xclip did not take the clipboard");
    await new Promise((r) => setTimeout(r, 100));
  }
  return () => child.kill("SIGTERM");
}

async function openSettings(b) {
  await (await b.$("#open-settings")).click();
  await (await b.$("#current-passphrase")).waitForDisplayed();
}

async function closeSettings(b) {
  await (await b.$("#close-settings")).click();
  await (await b.$("#current-passphrase")).waitForDisplayed({ reverse: true });
}

async function lockAndUnlock(b, pass) {
  await (await b.$("#lock")).click();
  await (await b.$("#passphrase")).waitForDisplayed();
  await unlock(b, pass);
}

export function secretTests(test, assert) {
  test("copied note text leaves the clipboard after the delay, unless replaced", async (driver) => {
    const DELAY = 5; // seconds, instead of 30 (the app's --clipboard-seconds)
    const b = await openApp(driver, tempVault(), ["--clipboard-seconds", String(DELAY)]);
    let stopOther = null;
    try {
      await createVault(b);
      await newNote(b, "Wifi", "guest network: CLIP-CANARY-7731");
      const copy = async () => {
        // The toast of an earlier copy goes away by itself after 4 s.
        await b.waitUntil(async () => !(await b.execute(() => !!document.querySelector("#toast"))), { timeoutMsg: "a toast stays" });
        await (await b.$("#copy-note")).click();
        await b.waitUntil(async () => ((await b.execute(() => document.querySelector("#toast")?.textContent)) ?? "").includes("Copied"), {
          timeoutMsg: "copy failed",
        });
        const said = await b.execute(() => document.querySelector("#toast")?.textContent ?? "");
        assert(said.includes(`cleared in ${DELAY} seconds`), `the notice does not give the real delay: ${said}`);
      };
      await copy();
      assert(clipboard().includes("CLIP-CANARY-7731"), `the clipboard holds ${JSON.stringify(clipboard())}`);
      // Cleared by Rust once the delay is over (polled: no fixed sleep, no timing assertion).
      await b.waitUntil(async () => !clipboard().includes("CLIP-CANARY-7731"), {
        timeout: 60000,
        interval: 250,
        timeoutMsg: "the copied note was never cleared from the clipboard",
      });
      // Copied again, then something else is copied: that must stay after the delay.
      await copy();
      assert(clipboard().includes("CLIP-CANARY-7731"), "second copy failed");
      stopOther = await otherAppCopies("a shopping list, not Coffer's");
      // Waiting out the delay is the point here (the clear is a timer in Rust).
      await new Promise((r) => setTimeout(r, (DELAY + 3) * 1000));
      assert(clipboard() === "a shopping list, not Coffer's", `another app's clipboard was touched: ${JSON.stringify(clipboard())}`);
    } finally {
      stopOther?.();
      await closeApp(b);
    }
  });

  test("change the passphrase in settings: the old one is refused, the new one works", async (driver) => {
    const NEW = "a longer new passphrase for the diary 42";
    const b = await openApp(driver, tempVault());
    try {
      await createVault(b);
      await newNote(b, "Diary", "Dear diary, nothing happened.");
      await openSettings(b);
      // A wrong current passphrase changes nothing.
      await (await b.$("#current-passphrase")).setValue("not my passphrase");
      await (await b.$("#changed-passphrase")).setValue(NEW);
      await (await b.$("#changed-passphrase-again")).setValue(NEW + "!");
      await (await b.$("#change-passphrase")).click();
      await (await b.$("#passphrase-error")).waitForDisplayed();
      assert((await (await b.$("#passphrase-error")).getText()).includes("differ"), "mismatch not reported");
      await (await b.$("#changed-passphrase-again")).setValue(NEW);
      await (await b.$("#change-passphrase")).click();
      await b.waitUntil(async () => (await (await b.$("#passphrase-error")).getText()).includes("current passphrase is not right"), {
        timeoutMsg: "a wrong current passphrase was not reported",
        timeout: 30000,
      });
      await (await b.$("#current-passphrase")).setValue(PASS);
      await (await b.$("#change-passphrase")).click();
      await (await b.$("#passphrase-msg")).waitForDisplayed({ timeout: 30000, timeoutMsg: "no confirmation" });
      assert((await (await b.$("#passphrase-msg")).getText()).includes("Passphrase changed"), "no confirmation");
      assert((await (await b.$("#current-passphrase")).getValue()) === "", "the passphrase fields were not emptied");
      await shot(b, "passphrase-changed");
      await closeSettings(b);
      // Locked, the old passphrase is refused and the new one opens the vault.
      await lockAndUnlock(b, PASS);
      const err = await b.$("#unlock-error");
      await err.waitForDisplayed({ timeout: 30000, timeoutMsg: "the old passphrase was not refused" });
      assert((await err.getText()).includes("passphrase is not right"), `unlock error: ${await err.getText()}`);
      await unlock(b, NEW);
      await b.waitUntil(async () => (await listTitles(b)).includes("Diary"), { timeout: 30000, timeoutMsg: "the new passphrase did not unlock" });
      await clickNote(b, "Diary");
      await b.waitUntil(async () => (await (await b.$(".cm-content")).getText()).includes("nothing happened"));
    } finally {
      await closeApp(b);
    }
  });

  test("rotate keys and check the vault from settings, with progress", async (driver) => {
    const b = await openApp(driver, tempVault());
    try {
      await createVault(b);
      for (let i = 1; i <= 150; i++) {
        const r = await invoke(b, "create", { note: { title: `Note ${i}`, body: `Body of note ${i}.`, tags: [], notebook: null, pinned: false } });
        assert(r.ok, `create: ${JSON.stringify(r)}`);
      }
      await newNote(b, "Keys", "Rotated, still readable.");
      await openSettings(b);
      // Every progress line the panel shows, however briefly.
      await b.execute(() => {
        window.__progress = [];
        new MutationObserver(() => {
          const t = document.querySelector("#op-progress")?.textContent;
          if (t && window.__progress.at(-1) !== t) window.__progress.push(t);
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      await (await b.$("#verify-vault")).click();
      const result = await b.$("#verify-result");
      await result.waitForDisplayed({ timeout: 60000 });
      assert((await result.getText()).startsWith("All good"), `verify: ${await result.getText()}`);
      const seen = await b.execute(() => window.__progress);
      assert(seen.some((t) => /^verifying \d+ \/ \d+$/.test(t)), `no verify progress shown: ${JSON.stringify(seen)}`);
      // A wrong passphrase rotates nothing (the vault is unlocked, so the app checks it).
      await (await b.$("#rotate-passphrase")).setValue("not my passphrase");
      await (await b.$("#rotate-keys")).click();
      await b.waitUntil(async () => ((await b.execute(() => document.querySelector("#op-error")?.textContent)) ?? "").includes("not right"), {
        timeout: 30000,
        timeoutMsg: "a wrong passphrase was not reported",
      });
      await (await b.$("#rotate-passphrase")).setValue(PASS);
      await (await b.$("#rotate-keys")).click();
      await b.waitUntil(async () => ((await b.execute(() => document.querySelector("#transfer-msg")?.textContent)) ?? "").includes("New vault key made"), {
        timeout: 120000,
        timeoutMsg: "rotation did not finish",
      });
      const msg = await b.execute(() => document.querySelector("#transfer-msg")?.textContent);
      assert(msg.includes("Joining with the passphrase is closed"), `rotation message: ${msg}`);
      await (await b.$("#verify-vault")).click();
      await b.waitUntil(async () => ((await b.execute(() => document.querySelector("#verify-result")?.textContent)) ?? "").startsWith("All good"), {
        timeout: 60000,
        timeoutMsg: "verify after rotation failed",
      });
      await shot(b, "rotated");
      await closeSettings(b);
      // The same passphrase opens the new keys; the notes are there.
      await lockAndUnlock(b, PASS);
      await b.waitUntil(async () => (await listTitles(b)).includes("Keys"), { timeout: 30000, timeoutMsg: "not unlocked after rotation" });
      await clickNote(b, "Keys");
      await b.waitUntil(async () => (await (await b.$(".cm-content")).getText()).includes("Rotated, still readable."));
      const n = await invoke(b, "list", { filter: {} });
      assert(n.ok?.length === 151, `notes after rotation: ${n.ok?.length}`);
    } finally {
      await closeApp(b);
    }
  });
}
