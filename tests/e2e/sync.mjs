// End-to-end tests of sync in the real app: two app instances (two tauri-driver sessions) on
// two vaults of one person sharing a folder remote. Device B is set up in the app's first run
// from the existing vault; a third device joins with the CLI and A removes it in the app.
// Registered by run.mjs through `registerSyncTests`.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import {
  ROOT, PASS, startDriver, openApp, tempVault, createVault, unlock, newNote, listTitles, pageText,
  shot, invoke, clickNote, closeApp, setBody, waitSaved, answerDialog, audit,
} from "./harness.mjs";

const CLI = process.env.COFFER_CLI ?? path.join(ROOT, "target/debug/coffer");

/** A TCP port on 127.0.0.1 where nothing listens (bound, then closed). */
function deadPort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function cli(args, env = {}) {
  return execFileSync(CLI, args, {
    env: { ...process.env, COFFER_PASSPHRASE: PASS, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  }).toString();
}

async function syncText(b) {
  return b.execute(() => document.querySelector("#sync-text")?.textContent?.trim() ?? "");
}

/** Waits until every remote of the app's vault has synced after `since` (ms). */
async function syncedSince(b, since, what) {
  await b.waitUntil(
    async () => {
      const r = await invoke(b, "remotes", {});
      return Array.isArray(r.ok) && r.ok.length > 0 && r.ok.every((x) => (x.last_sync ?? 0) > since);
    },
    { timeout: 30000, timeoutMsg: `${what}: no sync after ${since} (${await syncText(b)})` },
  );
}

/** Fills the add-remote form; a folder (a local path) is chosen in Coffer's folder dialog, as a
 * person does (a typed path is refused), unless `typed`. */
async function fillRemote(b, name, url, user = "", secret = "", typed = false) {
  await (await b.$("#remote-name")).setValue(name);
  if (url.startsWith("/") && !typed) {
    mkdirSync(url, { recursive: true });
    await (await b.$("#choose-folder")).click();
    await answerDialog("Choose a folder to sync through", url);
    await b.waitUntil(async () => (await (await b.$("#remote-url")).getValue()) === url,
      { timeoutMsg: `the chosen folder is not in the form: ${url}` });
    return;
  }
  await (await b.$("#remote-url")).setValue(url);
  if (user || secret) {
    await (await b.$("#remote-user")).setValue(user);
    await (await b.$("#remote-secret")).setValue(secret);
  }
}

/** "Test and add" must fail with a message containing `expected`; nothing is saved. */
async function addFails(b, name, url, expected, user = "", secret = "", typed = false) {
  await fillRemote(b, name, url, user, secret, typed);
  await (await b.$("#add-remote")).click();
  const err = await b.$("#remote-error");
  await err.waitForDisplayed({ timeout: 45000, timeoutMsg: `no error for ${url}` });
  await b.waitUntil(async () => (await err.getText()).includes(expected), {
    timeout: 45000,
    timeoutMsg: `error for ${url} does not say "${expected}": ${await err.getText()}`,
  });
  const listed = await invoke(b, "remotes", {});
  if (listed.ok?.length !== 0) throw new Error(`a failed remote was saved: ${JSON.stringify(listed)}`);
}

async function noteText(b, title) {
  await clickNote(b, title);
  await (await b.$(".cm-content")).waitForDisplayed();
  return (await b.$(".cm-content")).getText();
}

export function registerSyncTests(test, assert) {
  test("sync: two app instances share a remote (notes, edits, conflict, alarm)", async (driver) => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), "coffer-e2e-sync-"));
    const remote = path.join(tmp, "remote");
    const vaultA = tempVault();
    const vaultB = tempVault();
    const driverB = await startDriver();
    let a;
    let b;
    try {
      a = await openApp(driver, vaultA);
      await createVault(a);
      await newNote(a, "Trip to Lisbon", "Flight at 9:40.");
      assert((await syncText(a)) === "Sync is off", `sync status without a remote: ${await syncText(a)}`);

      // Settings, Sync: a remote is tested before it is saved, with specific errors.
      await (await a.$("#open-settings")).click();
      await (await a.$("#sync-settings")).waitForDisplayed();
      await addFails(a, "home", "ftp://example.org/notes", "unknown scheme");
      const port = await deadPort();
      await addFails(a, "home", `s3://coffer/notes?endpoint=http://127.0.0.1:${port}`, "cannot be reached",
        "AKIDEXAMPLE", "not-a-real-secret");
      // A place that holds another vault is refused.
      const other = path.join(tmp, "other-vault");
      const otherRemote = path.join(tmp, "other-remote");
      cli(["--vault", other, "init"]);
      cli(["--vault", other, "remote", "add", "r", otherRemote]);
      cli(["--vault", other, "sync"]);
      await addFails(a, "home", otherRemote, "holds another vault");
      // A folder typed (or put there by a script) rather than chosen in the dialog is refused.
      await addFails(a, "home", remote, "was not chosen", "", "", true);
      await (await a.$("#no-remotes")).waitForDisplayed();

      await fillRemote(a, "home", remote);
      await (await a.$("#test-remote")).click();
      await waitText(a, "#remote-ok", "Connected. It is empty");
      const beforeAdd = Date.now();
      await (await a.$("#add-remote")).click();
      await (await a.$('#remote-list li[data-remote="home"]')).waitForDisplayed({ timeout: 30000 });
      // The secret-free listing is all the UI ever gets back.
      await syncedSince(a, beforeAdd, "A's first sync");
      await shot(a, "sync-settings");
      // Asked whether to remove it, the remote's address stays readable (not one letter a line).
      await (await a.$('#remote-list li[data-remote="home"] button.danger')).click();
      await (await a.$("#confirm-remove-remote")).waitForDisplayed();
      const urlBox = await a.execute(() => {
        const r = document.querySelector('#remote-list li[data-remote="home"] .url').getBoundingClientRect();
        return { w: r.width, h: r.height };
      });
      assert(urlBox.h < 40 && urlBox.w > 150, `the address is squeezed while asking: ${JSON.stringify(urlBox)}`);
      await shot(a, "remove-remote-question");
      // The device list shown beside it knows of the sync that just ended.
      await a.waitUntil(async () => {
        const t = await (await a.$('#device-list tr[data-this="true"]')).getText().catch(() => "");
        return t.includes("last sync") && !t.includes("never");
      }, { timeoutMsg: "Devices still says this device never synced" });
      await (await a.$('//li[@data-remote="home"]//button[normalize-space()="Cancel"]')).click();
      await (await a.$("#close-settings")).click();
      await a.waitUntil(async () => (await syncText(a)).startsWith("Synced"), {
        timeoutMsg: `A's status: ${await syncText(a)}`,
      });

      // Device B: a second app instance whose first run sets it up from the existing vault
      // (the remote chosen in the folder dialog, the vault's passphrase, a name).
      b = await openApp(driverB, vaultB);
      const existing = await b.$("#set-up-existing");
      await existing.waitForDisplayed();
      await existing.click();
      await (await b.$("#join-choose-folder")).click();
      await answerDialog("Choose a folder to sync through", remote);
      await b.waitUntil(async () => (await (await b.$("#join-url")).getValue()) === remote,
        { timeoutMsg: "the chosen folder is not in the setup form" });
      await (await b.$("#join-passphrase")).setValue("not the passphrase");
      await (await b.$("#join-vault")).click();
      await waitText(b, "#join-error", "passphrase");
      await (await b.$("#join-passphrase")).setValue(PASS);
      await (await b.$("#join-device-name")).setValue("work laptop");
      await shot(b, "join-existing-vault");
      await (await b.$("#join-vault")).click();
      await (await b.$("#new-note")).waitForDisplayed({ timeout: 60000, timeoutMsg: "B's setup never finished" });
      await b.waitUntil(async () => (await listTitles(b)).includes("Trip to Lisbon"), {
        timeout: 30000,
        timeoutMsg: "B does not show A's note after its setup",
      });

      // A note written in A appears in B after a sync (A syncs by itself after the change;
      // B syncs when its status line is clicked).
      const beforeNote = Date.now();
      await newNote(a, "Packing list", "passport");
      await syncedSince(a, beforeNote, "A's sync after a new note");
      await (await b.$("#sync-status")).click();
      await b.waitUntil(async () => (await listTitles(b)).includes("Packing list"), {
        timeout: 30000,
        timeoutMsg: `B never showed A's new note (${await syncText(b)})`,
      });

      // An edit in B comes back to A ("Sync now" from A's command palette).
      const beforeEdit = Date.now();
      await clickNote(b, "Packing list");
      const cm = await b.$(".cm-content");
      await cm.click();
      await b.keys("End");
      await cm.addValue(" and sunscreen");
      await waitSaved(b);
      await syncedSince(b, beforeEdit, "B's sync after an edit");
      await a.keys(["Control", "k"]);
      await (await a.$("#palette-input")).setValue("Sync now");
      await a.keys("Enter");
      await a.waitUntil(async () => (await noteText(a, "Packing list")).includes("passport and sunscreen"), {
        timeout: 30000,
        timeoutMsg: "A never showed B's edit",
      });

      // The device list: both devices, this one marked.
      await (await a.$("#open-settings")).click();
      const devices = await a.$("#device-list");
      await devices.waitForDisplayed();
      await a.waitUntil(async () => (await a.$$("#device-list tbody tr")).length === 2, {
        timeoutMsg: "the device list does not show two devices",
      });
      assert((await (await a.$('#device-list tr[data-this="true"]')).getText()).includes("this device"),
        "this device is not marked");
      const listed = await devices.getText();
      assert(listed.includes("work laptop") && listed.includes("joined with the passphrase"),
        `the device list does not name B and how it joined: ${listed}`);
      await (await a.$("#close-settings")).click();

      // A conflict: both change the same line before syncing. Both versions are kept and shown.
      for (const x of [a, b]) {
        const r = await invoke(x, "set_sync_settings", { settings: { auto_sync: false, interval_minutes: 60 } });
        assert(!r.err, `set_sync_settings: ${JSON.stringify(r)}`);
      }
      await clickNote(a, "Packing list");
      await setBody(a, "Packing list", "passport, sunscreen and a hat");
      await clickNote(b, "Packing list");
      await setBody(b, "Packing list", "passport, sunscreen and a towel");
      const beforeConflict = Date.now();
      await (await a.$("#sync-status")).click();
      await syncedSince(a, beforeConflict, "A's sync before the conflict");
      await (await b.$("#sync-status")).click();
      const banner = await b.$("#sync-conflict-banner");
      await banner.waitForDisplayed({ timeout: 30000, timeoutMsg: "no conflict shown in B" });
      assert((await banner.getText()).includes("Packing list"), `conflict banner: ${await banner.getText()}`);
      await (await b.$("#sync-conflict-banner button.link")).click();
      await (await b.$("#conflict-versions")).waitForDisplayed();
      const versions = await b.$('[role="dialog"]');
      await b.waitUntil(async () => {
        const t = await versions.getText();
        return t.includes("a hat") && t.includes("a towel");
      }, { timeoutMsg: "both versions are not shown" });
      // The one place that differs was changed on both: B takes both lines, then edits the
      // result into one line.
      const part = await b.$('#conflict-parts li.differs[data-change="both"]');
      await part.waitForDisplayed({ timeoutMsg: "the changed line is not shown as changed on both" });
      await shot(b, "sync-conflict");
      const conflictA11y = await audit(b);
      assert(conflictA11y.length === 0, `accessibility violations in the conflict dialog:\n${conflictA11y.join("\n")}`);
      await (await part.$('input[value="both"]')).click();
      await b.waitUntil(async () => {
        const t = await (await b.$("#conflict-result")).getText();
        return t.includes("a hat") && t.includes("a towel");
      }, { timeoutMsg: "taking both does not put both lines in the result" });
      await (await b.$("#conflict-edit-result")).click();
      const edit = await b.$("#conflict-edit");
      await edit.waitForDisplayed();
      await edit.clearValue();
      await edit.setValue("passport, sunscreen, a hat and a towel");
      await (await b.$("#conflict-save")).click();
      await b.waitUntil(async () => (await (await b.$(".cm-content")).getText()).includes("a hat and a towel"), {
        timeoutMsg: "the settled text is not shown",
      });
      // The history keeps both versions, and says the result brought them together.
      const hist = await invoke(b, "history", { id: await b.execute(() => document.querySelector(".items .item.current")?.getAttribute("data-id")) });
      assert(hist.ok.some((r) => r.current && r.parents.length === 2), `history: ${JSON.stringify(hist.ok)}`);
      const beforeResolve = Date.now();
      await (await b.$("#sync-status")).click();
      await syncedSince(b, beforeResolve, "B's sync after resolving");
      await b.waitUntil(async () => !(await (await b.$("#sync-conflict-banner")).isExisting()), {
        timeoutMsg: "the conflict banner stays after resolving",
      });
      await (await a.$("#sync-status")).click();
      await a.waitUntil(async () => (await noteText(a, "Packing list")).includes("a hat and a towel"), {
        timeout: 30000,
        timeoutMsg: "A never got the settled text",
      });

      // A second conflict, kept as two notes: nothing to choose, nothing lost.
      await setBody(a, "Packing list", "passport, sunscreen, a hat, a towel and a map");
      await clickNote(b, "Packing list");
      await setBody(b, "Packing list", "passport, sunscreen, a hat, a towel and a book");
      const beforeSecond = Date.now();
      await (await a.$("#sync-status")).click();
      await syncedSince(a, beforeSecond, "A's sync before the second conflict");
      await (await b.$("#sync-status")).click();
      await (await b.$("#sync-conflict-banner")).waitForDisplayed({ timeout: 30000, timeoutMsg: "no second conflict in B" });
      // Pinning the note meanwhile changes the version shown; the other stays to be settled.
      await clickNote(b, "Packing list");
      await (await b.$("#pin-note")).click();
      await b.waitUntil(async () => (await (await b.$("#pin-note")).getAttribute("aria-pressed")) === "true", { timeoutMsg: "not pinned" });
      const stillTwo = await invoke(b, "note", { id: await b.execute(() => document.querySelector(".items .item.current")?.getAttribute("data-id")) });
      assert(stillTwo.ok?.conflicts.length === 1, `pinning settled the conflict by itself: ${JSON.stringify(stillTwo.ok?.conflicts)}`);
      await (await b.$("#sync-conflict-banner button.link")).click();
      await (await b.$("#conflict-keep-both")).waitForClickable();
      await (await b.$("#conflict-keep-both")).click();
      await b.waitUntil(async () => !(await (await b.$("#sync-conflict-banner")).isExisting()), {
        timeoutMsg: "the conflict banner stays after keeping both",
      });
      const bodies = [await noteText(b, "Packing list"), await noteText(b, "Packing list (other version)")];
      assert(bodies.some((t) => t.includes("a map")) && bodies.some((t) => t.includes("a book")),
        `keeping both lost a version: ${JSON.stringify(bodies)}`);
      const beforeBoth = Date.now();
      await (await b.$("#sync-status")).click();
      await syncedSince(b, beforeBoth, "B's sync after keeping both");
      await (await a.$("#sync-status")).click();
      await a.waitUntil(async () => (await noteText(a, "Packing list (other version)")).includes("a "), {
        timeout: 30000,
        timeoutMsg: "A never got the note kept from the other version",
      });

      // An alarm: the remote rolls back B's last change. A notices, says so, changes nothing.
      await (await a.$("#sync-status")).click();
      await a.waitUntil(async () => (await noteText(a, "Packing list")).includes("a hat"), {
        timeout: 30000,
        timeoutMsg: "A never got the resolution",
      });
      const devB = readFileSync(path.join(vaultB, "local", "device"), "utf8").trim();
      const logB = path.join(remote, "log", devB);
      const last = readdirSync(logB).sort().at(-1);
      rmSync(path.join(logB, last));
      await (await a.$("#sync-status")).click();
      const alarm = await a.$("#sync-alarm-banner");
      await alarm.waitForDisplayed({ timeout: 30000, timeoutMsg: "no alarm after a rollback" });
      await (await a.$("#show-alarms")).click();
      const list = await a.$("#alarm-list");
      await list.waitForDisplayed();
      assert((await list.getText()).includes("went back to an older state"), `alarms: ${await list.getText()}`);
      await shot(a, "sync-alarm");
      await (await a.$("#alarms-understood")).click();
      await a.waitUntil(async () => !(await (await a.$("#sync-alarm-banner")).isExisting()), {
        timeoutMsg: "the alarm banner stays after it was read",
      });
      // Nothing local was lost.
      assert((await noteText(a, "Packing list")).includes("a hat"), "A lost the note after the rollback");
      assert((await pageText(a)).includes("Trip to Lisbon"), "A lost a note after the rollback");

      // A third device joins with the CLI and is lost: A removes it in Devices. What it
      // writes later never shows, and it cannot read what A writes after the removal.
      const vaultC = path.join(tmp, "phone");
      cli(["join", remote, vaultC, "--name", "old phone"]);
      const beforeC = Date.now();
      await (await a.$("#sync-status")).click();
      await syncedSince(a, beforeC, "A's sync after C joined");
      // Joining with the passphrase is never silent: A is told, and can go to Devices.
      const newsBanner = await a.$("#device-news-banner");
      await newsBanner.waitForDisplayed({ timeout: 30000, timeoutMsg: "A was not told that a device joined" });
      await (await a.$("#show-device-news")).click();
      await waitText(a, "#device-news-list", "'old phone' joined");
      await shot(a, "device-news");
      await (await a.$("#device-news-understood")).click();
      await a.waitUntil(async () => !(await (await a.$("#device-news-banner")).isExisting()), {
        timeoutMsg: "the news banner stays after it was read",
      });
      await (await a.$("#open-settings")).click();
      await a.waitUntil(async () => (await a.$$("#device-list tbody tr")).length === 3, {
        timeoutMsg: "the device list does not show the third device",
      });
      const rowC = '//table[@id="device-list"]//tr[.//span[contains(@class,"name") and contains(., "old phone")]]';
      await (await a.$(`${rowC}//button[contains(@class,"remove-device")]`)).click();
      const confirm = await a.$("#remove-device-confirm");
      await confirm.waitForDisplayed();
      assert((await confirm.getText()).includes("It keeps what it had until now"),
        `the confirmation does not say what the device keeps: ${await confirm.getText()}`);
      await shot(a, "remove-device");
      await (await a.$("#confirm-remove-device")).click();
      await waitText(a, "#device-message", "was removed");
      await a.waitUntil(async () => (await (await a.$(rowC)).getText()).includes("removed"), {
        timeoutMsg: "the removed device is not marked removed",
      });
      await shot(a, "device-removed");
      await (await a.$("#close-settings")).click();
      const beforeSecret = Date.now();
      await newNote(a, "After the phone was lost", "only my remaining devices read this");
      await (await a.$("#sync-status")).click();
      await syncedSince(a, beforeSecret, "A's sync after the removal");
      // The removed device syncs (with alarms, so its exit status is not 0) and lists nothing new.
      try { cli(["--vault", vaultC, "sync"]); } catch { /* alarms: it was removed */ }
      const onC = cli(["--vault", vaultC, "list"]);
      assert(!onC.includes("After the phone was lost"), `the removed device reads the new note: ${onC}`);
      assert(onC.includes("Trip to Lisbon"), `the removed device's list is not what it had: ${onC}`);

      // A fourth device pairs with A in the app (joining with the passphrase is closed now):
      // its code goes to A's "Add a device", both show one number, A's answer comes back.
      await closeApp(b);
      b = await openApp(driverB, tempVault());
      await (await b.$("#pair-with-device")).waitForDisplayed();
      await (await b.$("#pair-with-device")).click();
      await (await b.$("#pair-device-name")).setValue("tablet");
      await (await b.$("#pair-start")).click();
      const codeBox = await b.$("#pair-code");
      await codeBox.waitForDisplayed();
      const code = await codeBox.getValue();
      const numberB = (await (await b.$("#pair-number")).getText()).trim();
      assert(code.startsWith("coffer-pair-1:") && /^\d{4} \d{4}$/.test(numberB), `code ${code}, number ${numberB}`);
      await shot(b, "pair-new-device");
      const a11y = (await audit(b)).map((v) => `pairing, the new device: ${v}`);
      const paste = (x, selector, text) => x.execute((sel, v) => {
        const t = document.querySelector(sel);
        t.value = v;
        t.dispatchEvent(new Event("input", { bubbles: true }));
      }, selector, text);
      await (await a.$("#open-settings")).click();
      await (await a.$("#add-device")).waitForDisplayed();
      await (await a.$("#add-device")).click();
      await paste(a, "#add-device-code", code.slice(0, -4));
      await (await a.$("#add-device-read")).click();
      await waitText(a, "#add-device-error", "pairing code");
      await paste(a, "#add-device-code", code);
      await (await a.$("#add-device-read")).click();
      const numberA = (await (await a.$("#add-device-number")).getText()).trim();
      assert(numberA === numberB, `the numbers differ: ${numberA} and ${numberB}`);
      await shot(a, "add-device-number");
      a11y.push(...(await audit(a)).map((v) => `adding a device, the numbers: ${v}`));
      await (await a.$("#add-device-confirm")).click();
      const answerBox = await a.$("#add-device-answer");
      await answerBox.waitForDisplayed({ timeout: 30000 });
      const answer = await answerBox.getValue();
      assert(answer.startsWith("-----BEGIN AGE ENCRYPTED FILE-----"), `answer: ${answer.slice(0, 60)}`);
      const checkA = (await (await a.$("#add-device-check")).getText()).trim();
      await shot(a, "add-device-answer");
      a11y.push(...(await audit(a)).map((v) => `adding a device, the answer: ${v}`));
      assert(a11y.length === 0, `accessibility violations:\n${a11y.join("\n")}`);
      await (await a.$("#add-device-done")).click();
      await (await a.$("#close-settings")).click();
      await paste(b, "#pair-answer", answer);
      await (await b.$("#pair-open")).click();
      const checkB = (await (await b.$("#pair-check")).getText()).trim();
      assert(/^\d{4} \d{4}$/.test(checkB) && checkA === checkB, `the answer checks differ: ${checkA} and ${checkB}`);
      await (await b.$("#pair-passphrase")).setValue("the tablet's own passphrase");
      await (await b.$("#pair-repeat")).setValue("the tablet's own passphrase");
      assert(!(await (await b.$("#pair-finish")).isEnabled()), "set up is offered before the check was confirmed");
      await (await b.$("#pair-check-match")).click();
      await shot(b, "pair-answer-check");
      await (await b.$("#pair-finish")).click();
      await (await b.$("#new-note")).waitForDisplayed({ timeout: 60000, timeoutMsg: "the paired device never opened" });
      await b.waitUntil(async () => {
        const t = await listTitles(b);
        return t.includes("After the phone was lost") && t.includes("Trip to Lisbon");
      }, { timeout: 30000, timeoutMsg: `the paired device does not show every note: ${await listTitles(b)}` });
      await shot(b, "paired-device");
      // A lists it as paired, added by A.
      await (await a.$("#sync-status")).click();
      await (await a.$("#open-settings")).click();
      await a.waitUntil(async () => (await (await a.$("#device-list")).getText()).includes("tablet"),
        { timeoutMsg: "A does not list the paired device" });
      const rowD = '//table[@id="device-list"]//tr[.//span[contains(@class,"name") and contains(., "tablet")]]';
      assert((await (await a.$(rowD)).getText()).includes("added by"), "the paired device is not shown as added by A");
      await (await a.$("#close-settings")).click();
    } finally {
      if (a) await closeApp(a);
      if (b) await closeApp(b);
      driverB.stop();
    }
  });

  test("integrity: a damaged file is an alarm soon after unlock, and Repair puts it back from the remote", async (driver) => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), "coffer-e2e-scrub-"));
    const vault = path.join(tmp, "vault");
    const remote = path.join(tmp, "remote");
    cli(["--vault", vault, "init"]);
    writeFileSync(path.join(tmp, "body.md"), "Deductions: 1,240\n");
    const id = cli(["--vault", vault, "add", "--title", "Tax return 2026", "--file", path.join(tmp, "body.md")]).trim();
    cli(["--vault", vault, "remote", "add", "home", remote]);
    cli(["--vault", vault, "sync"]);
    const rev = JSON.parse(cli(["--vault", vault, "--json", "show", id])).revision;
    const object = path.join(vault, "objects", rev.slice(0, 2), `${rev}.age`);
    const good = readFileSync(object);
    const bad = Buffer.from(good);
    bad[80] ^= 0x10;
    writeFileSync(object, bad);
    let a;
    try {
      a = await openApp(driver, vault);
      await unlock(a);
      // No verify: the check after unlock finds it and says so within seconds.
      const banner = await a.$("#sync-alarm-banner");
      await banner.waitForDisplayed({ timeout: 10000, timeoutMsg: "no alarm for a damaged file after unlock" });
      assert((await banner.getText()).includes("A file of this vault is damaged"), `banner: ${await banner.getText()}`);
      await shot(a, "damage-banner");
      await (await a.$("#show-alarms")).click();
      const list = await a.$("#alarm-list");
      await list.waitForDisplayed();
      const text = await list.getText();
      assert(text.includes("damaged or missing") && text.includes("Tax return 2026"),
        `the alarm does not say what is damaged: ${text}`);
      await (await a.$("#repair-damage")).click();
      const result = await a.$("#repair-result");
      await result.waitForDisplayed({ timeout: 20000, timeoutMsg: "Repair showed no result" });
      assert((await result.getText()).includes("put back from remote “home”"), `repair: ${await result.getText()}`);
      await shot(a, "damage-repaired");
      await audit(a);
      assert(readFileSync(object).equals(good), "the object is not the signed copy again");
      await (await a.$("#alarms-understood")).click();
      await a.waitUntil(async () => !(await (await a.$("#sync-alarm-banner")).isExisting()), {
        timeoutMsg: "the banner stays after the repair was read",
      });
      assert((await pageText(a)).includes("Tax return 2026"), "the note is gone from the list");
    } finally {
      if (a) await closeApp(a);
    }
  });
}

/** Waits until `selector` shows text containing `text`. */
async function waitText(b, selector, text) {
  const el = await b.$(selector);
  await el.waitForDisplayed({ timeout: 30000, timeoutMsg: `${selector} never shown` });
  await b.waitUntil(async () => (await el.getText()).includes(text), {
    timeout: 30000,
    timeoutMsg: `${selector} does not say "${text}": ${await el.getText()}`,
  });
}
