// End-to-end test of contacts and messages in the real app: two app instances (two tauri-driver
// sessions) on two vaults of two people. They exchange cards, see the same safety number, mark
// each other verified; Alice sends a message and shares a note as armored text, Bob pastes them,
// reads the message and saves the note. Hostile names and bodies (the renderer test's payloads)
// must render inert everywhere: no script runs, no request reaches a loopback server, no element
// or handler comes from them. Registered by run.mjs through `registerMessagesTests`.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  ROOT, PASS, startDriver, openApp, tempVault, createVault, newNote, listTitles, shot, closeApp, invoke,
  answerDialog, pick, pageText, audit,
} from "./harness.mjs";

const CLI = process.env.COFFER_CLI ?? path.join(ROOT, "target/debug/coffer");

function cli(args, input) {
  return execFileSync(CLI, args, {
    env: { ...process.env, COFFER_PASSPHRASE: PASS },
    input,
    stdio: ["pipe", "pipe", "pipe"],
  }).toString().trim();
}
import { armedPayloads, canaryServer } from "./hostile.mjs";

/** Sets a textarea's or input's value as a paste would (one input event), for long text. */
async function paste(b, selector, text) {
  const el = await b.$(selector);
  await el.waitForDisplayed();
  await b.execute(
    (sel, t) => {
      const e = document.querySelector(sel);
      e.value = t;
      e.dispatchEvent(new Event("input", { bubbles: true }));
    },
    selector,
    text,
  );
}

async function click(b, selector) {
  const el = await b.$(selector);
  await el.waitForClickable({ timeout: 20000, timeoutMsg: `${selector} is not clickable` });
  await el.click();
}

async function myCard(b) {
  await click(b, "#view-contacts");
  await click(b, "#my-card");
  const t = await b.$("#my-card-text");
  await b.waitUntil(async () => (await t.getValue()).startsWith("coffer-card1:"), { timeoutMsg: "no card shown" });
  return t.getValue();
}

/** Adds a contact through the form; returns the safety number shown on their verify screen. */
async function addContact(b, card, name) {
  await click(b, "#view-contacts");
  await click(b, "#add-contact");
  await paste(b, "#contact-card", card);
  await paste(b, "#contact-name", name);
  await click(b, "#add-contact-save");
  const sn = await b.$("#safety-number");
  await sn.waitForDisplayed({ timeoutMsg: `no verify screen after adding ${name}` });
  return (await sn.getText()).replace(/\s+/g, "");
}

/** Everything that could show a payload ran or became markup, in the page and in every message
 * frame; an empty list when all is well. */
async function problems(b, server, where) {
  const s = await b.execute(() => {
    const docs = [document, ...[...document.querySelectorAll("iframe")].map((f) => f.contentDocument).filter(Boolean)];
    const all = docs.flatMap((d) => [...d.querySelectorAll("*")]);
    return {
      pwned: window.__pwned ?? null,
      title: document.title,
      url: location.href,
      handlers: all.flatMap((e) => [...e.attributes].map((a) => `${e.tagName}[${a.name}]`)).filter((n) => /\[on/i.test(n)),
      active: docs
        .slice(1)
        .flatMap((d) => [...d.body.querySelectorAll("script, iframe, object, embed, svg, style, link, meta, form, video, audio, base")])
        .map((e) => e.tagName),
      jsLinks: docs.flatMap((d) => [...d.querySelectorAll("a")]).map((a) => a.getAttribute("href") ?? "").filter((h) => /^\s*(javascript|vbscript|data):/i.test(h)),
      images: [...document.querySelectorAll("img")].map((i) => i.getAttribute("src")).filter((s) => s !== "/icon.png"),
    };
  });
  const out = [];
  if (s.pwned !== null) out.push(`a payload's script ran (window.__pwned = ${s.pwned})`);
  if (s.title !== "Coffer") out.push(`the window title changed to ${s.title}`);
  if (!s.url.startsWith("tauri://localhost")) out.push(`the app navigated to ${s.url}`);
  if (s.handlers.length) out.push(`event-handler attributes: ${s.handlers.slice(0, 5).join(", ")}`);
  if (s.active.length) out.push(`active elements in a message: ${s.active.slice(0, 5).join(", ")}`);
  if (s.jsLinks.length) out.push(`script links: ${s.jsLinks.slice(0, 3).join(", ")}`);
  if (s.images.length) out.push(`images from payloads: ${s.images.slice(0, 3).join(", ")}`);
  if (server.hits.length) out.push(`the loopback server was hit: ${server.hits.slice(0, 5).join(", ")}`);
  return out.map((p) => `${where}: ${p}`);
}

/** A command's result, or an error naming `what` failed. */
function ok(r, what) {
  if (!r.ok && r.ok !== null) throw new Error(`${what}: ${JSON.stringify(r.err)}`);
  return r.ok;
}

/** Alice's and Bob's apps on new vaults, each the other's verified contact (through the
 * commands the UI calls). `apps` gets each app as it opens, so the caller can close them
 * even if a later step fails. */
async function aliceAndBob(driver, driverB, apps) {
  apps.a = await openApp(driver, tempVault());
  await createVault(apps.a);
  apps.b = await openApp(driverB, tempVault());
  await createVault(apps.b);
  const { a, b } = apps;
  ok(await invoke(a, "set_display_name", { name: "Alice" }), "name");
  ok(await invoke(b, "set_display_name", { name: "Bob" }), "name");
  const cardA = ok(await invoke(a, "my_card", {}), "card").card;
  const cardB = ok(await invoke(b, "my_card", {}), "card").card;
  const bob = ok(await invoke(a, "add_contact", { card: cardB, name: "Bob" }), "add");
  const alice = ok(await invoke(b, "add_contact", { card: cardA, name: "Alice" }), "add");
  ok(await invoke(a, "verify_contact", { contact: bob.id }), "verify");
  ok(await invoke(b, "verify_contact", { contact: alice.id }), "verify");
  return { a, b, alice, bob, cardA, cardB };
}

export function registerMessagesTests(test, assert) {
  test("messages: two people exchange cards, verify, send and read (hostile names and bodies inert)", async (driver) => {
    const server = await canaryServer();
    const payloads = armedPayloads(server.base);
    // Names: 1 to 64 bytes, no control characters (what coffer_core accepts for a name).
    const names = payloads.filter((p) => Buffer.byteLength(p) <= 64 && !/[\u0000-\u001f]/.test(p));
    const [aliceShown, aliceOwn, bobShown, noteTitle] = [names[5], names[0], names[9], names[1]];
    const driverB = await startDriver();
    let a;
    let b;
    try {
      a = await openApp(driver, tempVault());
      await createVault(a);
      b = await openApp(driverB, tempVault());
      await createVault(b);
      // The checker sees markup that came from text: an element with a handler, for a moment.
      await a.execute(() => {
        const d = document.createElement("div");
        d.id = "checker-self-test";
        d.innerHTML = '<img src="nothing.png" onerror="void 0">';
        document.body.append(d);
      });
      const self = await problems(a, server, "self-test");
      await a.execute(() => document.querySelector("#checker-self-test").remove());
      assert(self.some((p) => p.includes("event-handler")) && self.some((p) => p.includes("images")), `the checker missed injected markup: ${self}`);
      assert((await problems(a, server, "self-test")).length === 0, "the checker reports a clean page");

      // Alice's own name in her card is hostile too: Bob sees it as "calls themselves".
      await myCard(a);
      await paste(a, "#display-name", aliceOwn);
      await click(a, "#save-display-name");
      await a.waitUntil(async () => (await (await a.$("#my-card-text")).getValue()) !== "", { timeoutMsg: "card gone" });
      const aliceCard = await myCard(a);
      const bobCard = await myCard(b);
      assert(aliceCard !== bobCard, "two vaults have the same card");
      await shot(b, "messages-my-card");

      // A malformed and a truncated card: a clear error, nothing added.
      await click(a, "#view-contacts");
      await click(a, "#add-contact");
      await paste(a, "#contact-card", "coffer-card1:not-base64!");
      await paste(a, "#contact-name", "Mallory");
      await click(a, "#add-contact-save");
      const err = await a.$("#add-contact-error");
      await err.waitForDisplayed({ timeoutMsg: "no error for a malformed card" });
      const malformed = await err.getText();
      assert(/card/i.test(malformed), `the error does not speak of the card: ${malformed}`);
      await paste(a, "#contact-card", bobCard.slice(0, bobCard.length - 9));
      await click(a, "#add-contact-save");
      await a.waitUntil(async () => (await err.getText()) !== malformed || /card/i.test(await err.getText()), { timeoutMsg: "no error for a truncated card" });
      const truncated = await err.getText();
      assert(/card/i.test(truncated), `the error does not speak of the card: ${truncated}`);
      const none = await invoke(a, "contacts", {});
      assert(Array.isArray(none.ok) && none.ok.length === 0, `a bad card was added: ${JSON.stringify(none)}`);
      await shot(a, "messages-bad-card");

      // Each adds the other; both see the same safety number.
      const snA = await addContact(a, bobCard, bobShown);
      const snB = await addContact(b, aliceCard, aliceShown);
      assert(/^\d{60}$/.test(snA), `Alice's safety number is not 60 digits: ${snA}`);
      assert(snA === snB, `the safety numbers differ: ${snA} / ${snB}`);
      assert(await (await a.$("#contact-unverified")).isDisplayed(), "a new contact is shown verified");
      for (const x of [a, b]) {
        await click(x, "#mark-verified");
        await click(x, "#confirm-verified");
        await (await x.$("#contact-verified")).waitForDisplayed({ timeoutMsg: "the verified mark is not shown" });
      }
      // The contact list shows the hostile names as text, with the verified mark.
      const listed = await b.execute(() => [...document.querySelectorAll("#contact-list .cname")].map((e) => e.textContent));
      assert(listed.length === 1 && listed[0] === aliceShown, `contact name not shown as text: ${JSON.stringify(listed)}`);
      const bobPage = await b.execute(() => document.body.innerText);
      assert(bobPage.includes(`They call themselves “${aliceOwn}”`), "the card's own name is not shown as text");
      await shot(b, "messages-verified");

      // Alice writes to Bob: every payload in the body, sent as armored text.
      await click(a, "#write-to-contact");
      const body = `Hello Bob, the keys are under the mat.\n\n${payloads.join("\n\n")}`;
      await paste(a, "#compose-body", body);
      await click(a, "#send-armored");
      const out = await a.$("#armored-out");
      await out.waitForDisplayed({ timeoutMsg: "no armored block after sending" });
      const armored = await out.getValue();
      assert(armored.startsWith("-----BEGIN AGE ENCRYPTED FILE-----"), `not an armored block: ${armored.slice(0, 60)}`);
      assert(!armored.includes("keys are under the mat"), "the armored block holds the plaintext");
      await a.waitUntil(async () => (await a.$$("#thread-messages .msg")).length === 1, { timeoutMsg: "the sent message is not in Alice's thread" });

      // A damaged block is refused with a clear error, nothing stored.
      await click(b, "#view-conversations");
      await click(b, "#paste-armored");
      const lines = armored.trim().split("\n");
      lines[2] = lines[2].replace(/[A-Za-z]/, (c) => (c === "A" ? "B" : "A"));
      await paste(b, "#armored-in", lines.join("\n"));
      await click(b, "#open-armored");
      const aerr = await b.$("#armored-error");
      await aerr.waitForDisplayed({ timeoutMsg: "no error for a damaged armored block" });
      const damaged = await aerr.getText();
      assert(damaged.length > 10, `unclear error: ${damaged}`);
      const noConv = await invoke(b, "conversations", {});
      assert(noConv.ok?.length === 0, `a damaged message was stored: ${JSON.stringify(noConv)}`);

      // Bob pastes the real block and reads the message, from Alice (verified).
      await paste(b, "#armored-in", armored);
      await click(b, "#open-armored");
      await b.waitUntil(async () => (await b.$$("#thread-messages .msg")).length === 1, { timeoutMsg: "Bob does not see the message" });
      const shown = await b.execute(() => {
        const m = document.querySelector("#thread-messages .msg");
        return { from: m.querySelector(".meta .party").textContent, body: m.querySelector("iframe").contentDocument.body.innerText };
      });
      assert(shown.from.startsWith(aliceShown) && shown.from.includes("✓"), `sender not shown as the verified contact: ${shown.from}`);
      assert(shown.body.includes("the keys are under the mat"), `body not shown: ${shown.body.slice(0, 80)}`);
      const conv = await b.execute(() => document.querySelector("#conversation-list .who")?.textContent);
      assert(conv?.startsWith(aliceShown), `conversation list does not name the sender as text: ${conv}`);
      await shot(b, "messages-thread");
      const a11y = (await audit(b)).map((v) => `a message thread: ${v}`);
      assert(a11y.length === 0, `accessibility violations:\n${a11y.join("\n")}`);
      const seen = [...(await problems(b, server, "Bob's thread")), ...(await problems(a, server, "Alice's thread"))];
      assert(seen.length === 0, seen.join("\n"));

      // Pasting the same block again is a replay: refused.
      await click(b, "#paste-armored");
      await paste(b, "#armored-in", armored);
      await click(b, "#open-armored");
      await (await b.$("#armored-error")).waitForDisplayed({ timeoutMsg: "a replayed message was not refused" });
      const replay = await (await b.$("#armored-error")).getText();
      assert(/already/i.test(replay), `replay error unclear: ${replay}`);

      // A small attachment, chosen in Coffer's file dialog and sent with the command the compose
      // form calls; Bob sees the file in the thread and saves it.
      const tmp = mkdtempSync(path.join(os.tmpdir(), "coffer-e2e-msg-"));
      const plan = path.join(tmp, "plan.txt");
      writeFileSync(plan, "Meet at noon by the fountain.\n");
      const big = path.join(tmp, "big.bin");
      writeFileSync(big, Buffer.alloc(2 << 20));
      const bobId = (await invoke(a, "contacts", {})).ok[0].id;
      const convA = (await invoke(a, "conversations", {})).ok[0].id;
      const outgoing = (attachments) => ({ outgoing: { to: [bobId], body: "The plan is attached.", attachments, conversation: convA, remote: null } });
      const unchosen = await invoke(a, "send_message", outgoing([plan]));
      assert(unchosen.err?.code === "not_chosen", `sending an unchosen file: ${JSON.stringify(unchosen)}`);
      await pick(a, "send_files", "Send files", big);
      await pick(a, "send_files", "Send files", plan);
      const tooBig = await invoke(a, "send_message", outgoing([big]));
      assert(tooBig.err?.code === "message_too_large", `a 2 MiB attachment: ${JSON.stringify(tooBig)}`);
      const withFile = await invoke(a, "send_message", outgoing([plan]));
      assert(withFile.ok?.armored, `send with an attachment: ${JSON.stringify(withFile).slice(0, 200)}`);
      await click(b, "#paste-armored");
      await paste(b, "#armored-in", withFile.ok.armored);
      await click(b, "#open-armored");
      await b.waitUntil(async () => (await b.$$("#thread-messages .msg")).length === 2, { timeoutMsg: "Bob does not see the second message" });
      const att = await b.execute(() => [...document.querySelectorAll("#thread-messages .att-name")].map((e) => e.textContent));
      assert(att.includes("plan.txt"), `attachment not listed: ${JSON.stringify(att)}`);
      const saved = path.join(tmp, "saved.txt");
      await pick(b, "save_file", "Save the attachment as", saved, "save", "plan.txt");
      const sv = await invoke(b, "save_message_attachment", { message: withFile.ok.message.id, name: "plan.txt", to: saved });
      assert(!sv.err, `save attachment: ${JSON.stringify(sv)}`);
      assert(readFileSync(saved, "utf8") === "Meet at noon by the fountain.\n", "the saved attachment differs");
      // The attachment's text is searched too (read in the background once the message came):
      // the hit is in the messages' group and names the file.
      await click(b, "#view-all");
      await (await b.$("#search")).setValue("fountain");
      await b.waitUntil(
        async () => (await b.execute(() => document.querySelector(".items .item.message .in-file")?.textContent.trim())) === "plan.txt",
        { timeoutMsg: "the text of a message's attachment is not found by the search box" },
      );
      await shot(b, "search-message-attachment");
      await b.execute(() => document.querySelector("#search").select());
      await b.keys("Backspace");
      await b.waitUntil(async () => (await b.$$(".items .item.hit")).length === 0, { timeoutMsg: "emptying the search box left its results" });

      // Unread counts: a message Bob's app took in without showing it (as an inbox check does).
      const later = await invoke(a, "send_message", { outgoing: { to: [bobId], body: "Are you there?", attachments: [], conversation: convA, remote: null } });
      const took = await invoke(b, "open_armored", { text: later.ok.armored });
      assert(took.ok?.body === "Are you there?", `open_armored: ${JSON.stringify(took).slice(0, 200)}`);
      await click(b, "#view-contacts");
      await click(b, "#view-conversations");
      await (await b.$("#unread-total")).waitForDisplayed({ timeoutMsg: "no unread count in the sidebar" });
      assert((await (await b.$("#unread-total")).getText()) === "1", "the sidebar's unread count is not 1");
      assert((await (await b.$("#conversation-list .unread")).getText()) === "1", "the conversation's unread count is not 1");
      await shot(b, "messages-unread");
      await click(b, "#conversation-list .item");
      await b.waitUntil(async () => (await b.$$("#thread-messages .msg")).length === 3, { timeoutMsg: "the third message is not shown" });
      await b.waitUntil(async () => !(await (await b.$("#unread-total")).isExisting()), { timeoutMsg: "opening the conversation did not clear the unread count" });

      // Alice shares a note (hostile title) as armored text; Bob saves it as a note.
      await click(a, "#view-all");
      await newNote(a, noteTitle, "Shared grocery list");
      await a.keys(["Control", "k"]);
      const pal = await a.$("#palette-input");
      await pal.waitForDisplayed();
      await pal.setValue("Share this note");
      await a.keys("Enter");
      await click(a, "#share-armored");
      const sharedOut = await a.$("#share-armored-out");
      await sharedOut.waitForDisplayed({ timeoutMsg: "no armored block for the shared note" });
      const sharedBlock = await sharedOut.getValue();
      await a.keys("Escape");
      await click(b, "#view-conversations");
      await click(b, "#paste-armored");
      await paste(b, "#armored-in", sharedBlock);
      await click(b, "#open-armored");
      await b.waitUntil(async () => (await b.$$("#thread-messages .msg")).length === 4, { timeoutMsg: "Bob does not see the shared note" });
      const sharedTitle = await b.execute(() => [...document.querySelectorAll(".shared-title")].map((e) => e.textContent));
      assert(sharedTitle.includes(noteTitle), `shared note title not shown as text: ${JSON.stringify(sharedTitle)}`);
      const seen2 = await problems(b, server, "Bob's thread with a shared note");
      assert(seen2.length === 0, seen2.join("\n"));
      await click(b, ".save-note");
      await b.waitUntil(async () => (await listTitles(b)).includes(noteTitle), { timeoutMsg: "the shared note was not saved as a note" });
      assert(server.hits.length === 0, `the loopback server was hit: ${server.hits}`);
    } finally {
      if (a) await closeApp(a);
      if (b) await closeApp(b);
      driverB.stop();
      server.close();
    }
  });

  test("messages: a conversation both ways, as a person sees it", async (driver) => {
    const driverB = await startDriver();
    const apps = {};
    try {
      const { a, b, alice, bob, cardB } = await aliceAndBob(driver, driverB, apps);
      const say = async (from, to, who, body) => {
        const sent = ok(await invoke(from, "send_message", { outgoing: { to: [who], body, attachments: [], conversation: null, remote: null } }), "send");
        ok(await invoke(to, "open_armored", { text: sent.armored }), "open");
      };
      await say(a, b, bob.id, "Hi Bob! Did the **lawyer** send the contract back?");
      await say(b, a, alice.id, "Yes, this morning. Two changes:\n\n1. the notice period is *three* months\n2. no non-compete clause");
      await say(a, b, bob.id, "Perfect. I'll sign it tonight and share my notes with you.");
      await click(b, "#view-conversations");
      await click(b, "#conversation-list .item");
      await b.waitUntil(async () => (await b.$$("#thread-messages .msg")).length === 3, { timeoutMsg: "the conversation is not shown" });
      const sides = await b.execute(() => [...document.querySelectorAll("#thread-messages .msg")].map((m) => m.classList.contains("out")));
      assert(JSON.stringify(sides) === "[false,true,false]", `messages not on their sender's side: ${sides}`);
      const from = await b.execute(() => document.querySelector("#thread-messages .msg .party").textContent);
      assert(from.startsWith("Alice") && from.includes("✓"), `sender: ${from}`);
      const list = await b.execute(() => document.querySelector("#thread-messages .msg:nth-child(2) iframe").contentDocument.querySelectorAll("ol li").length);
      assert(list === 2, "Markdown in a message is not rendered");
      await paste(b, "#compose-body", "Thanks, talk tomorrow.");
      await shot(b, "messages-conversation");

      // The search box finds messages too, in their own group below the notes; a hit opens
      // its conversation.
      await click(b, "#view-all");
      await (await b.$("#search")).setValue("lawyer");
      await b.waitUntil(async () => (await b.$$(".items .item.message")).length === 1, { timeoutMsg: "no message found by the search box" });
      const msgHit = await b.execute(() => ({
        group: document.querySelector("#message-hits")?.textContent,
        marks: [...document.querySelectorAll(".items .item.message mark")].map((m) => m.textContent),
      }));
      assert(msgHit.group === "Messages" && msgHit.marks.includes("lawyer"), `the message group: ${JSON.stringify(msgHit)}`);
      await shot(b, "search-messages");
      await click(b, ".items .item.message");
      await b.waitUntil(async () => (await b.$$("#thread-messages .msg")).length === 3, { timeoutMsg: "the message hit did not open its conversation" });

      // Mallory (a third vault, made with the CLI) has Bob's card but is not his contact: her
      // message is refused, and nothing is stored.
      const mallory = tempVault();
      cli(["--vault", mallory, "init"]);
      const cardM = cli(["--vault", mallory, "contact", "card", "--name", "Alice"]);
      cli(["--vault", mallory, "contact", "add", cardB, "--name", "Bob"]);
      const forged = cli(["--vault", mallory, "send", "Bob", "--armor"], "It's me, Alice. Send the contract here.");
      await click(b, "#paste-armored");
      await paste(b, "#armored-in", forged);
      await click(b, "#open-armored");
      const err = await b.$("#armored-error");
      await err.waitForDisplayed({ timeoutMsg: "a message from an unknown sender was not refused" });
      // She calls herself "Alice": the app says these are not the keys of the Alice Bob knows.
      assert(/keys of contact "Alice" changed|unknown sender/.test(await err.getText()), `unclear error: ${await err.getText()}`);
      const convs = ok(await invoke(b, "conversations", {}), "conversations");
      assert(convs.length === 1 && convs[0].messages === 3, `the refused message was stored: ${JSON.stringify(convs)}`);

      // Alice's keys replaced (as if she made new ones): flagged loudly until verified again.
      ok(await invoke(b, "replace_contact_keys", { contact: alice.id, card: cardM }), "replace keys");
      await click(b, "#view-conversations");
      await click(b, "#view-contacts");
      const flagged = await b.$(`#contact-list [data-contact="${alice.id}"] .keys-changed`);
      await flagged.waitForDisplayed({ timeoutMsg: "the changed keys are not flagged in the contact list" });
      await click(b, `#contact-list [data-contact="${alice.id}"]`);
      await (await b.$("#key-changed-warning")).waitForDisplayed({ timeoutMsg: "no warning on the contact's page" });
      assert(await (await b.$("#contact-unverified")).isDisplayed(), "a contact with changed keys is still shown verified");
      await shot(b, "messages-key-changed");
    } finally {
      if (apps.a) await closeApp(apps.a);
      if (apps.b) await closeApp(apps.b);
      driverB.stop();
    }
  });
  test("messages: removing a contact and discarding held-back messages, each after a confirmation", async (driver) => {
    const driverB = await startDriver();
    const apps = {};
    try {
      const { a, b, alice, bob } = await aliceAndBob(driver, driverB, apps);
      const shared = path.join(mkdtempSync(path.join(os.tmpdir(), "coffer-e2e-shared-")), "team");
      mkdirSync(shared);
      for (const x of [a, b]) {
        await pick(x, "remote_folder", "Choose a folder to sync through", shared);
        ok(await invoke(x, "add_remote", { remote: { name: "team", url: shared, user: "", secret: "", purpose: "messages" } }), "remote");
      }
      const send = async (body) =>
        ok(await invoke(a, "send_message", { outgoing: { to: [bob.id], body, attachments: [], conversation: null, remote: "team" } }), "send");
      const files = () => execFileSync("find", [shared, "-type", "f"]).toString().trim().split("\n").filter(Boolean);
      const status = async () => (await (await b.$("#inbox-status")).getText());
      await send("Before you remove me.");
      await click(b, "#view-conversations");
      await click(b, "#check-inbox");
      await b.waitUntil(async () => /1 new message/.test(await status()), { timeoutMsg: "the first message did not arrive" });

      // Bob removes Alice: the page asks first, naming her.
      await click(b, "#view-contacts");
      await click(b, `#contact-list [data-contact="${alice.id}"]`);
      await click(b, "#remove-contact");
      const confirm = await b.$("#confirm-remove");
      await confirm.waitForDisplayed({ timeoutMsg: "no confirmation before removing" });
      const asked = await confirm.getText();
      assert(asked.includes("Remove Alice?"), `the confirmation does not name the contact: ${asked}`);
      await shot(b, "messages-remove-contact");
      await click(b, "#cancel-remove-contact");
      assert(ok(await invoke(b, "contacts", {}), "contacts").length === 1, "cancelling removed the contact");
      await click(b, "#remove-contact");
      await click(b, "#confirm-remove-contact");
      await b.waitUntil(async () => (await b.$$("#contact-list [data-contact]")).length === 0, { timeoutMsg: "Alice is still listed" });
      const convs = ok(await invoke(b, "conversations", {}), "conversations");
      assert(convs.length === 1 && convs[0].messages === 1, `the conversation did not stay: ${JSON.stringify(convs)}`);

      // Her next messages are held back; Discard deletes them from Bob's inbox after asking.
      await send("Are you still there?");
      await send("Hello?");
      await click(b, "#view-conversations");
      await click(b, "#check-inbox");
      const count = await b.$("#held-count");
      await count.waitForDisplayed({ timeoutMsg: "no held-back count" });
      await b.waitUntil(async () => /^2 messages from unknown or changed keys held back/.test(await count.getText()), {
        timeoutMsg: `held-back count: ${await count.getText()}`,
      });
      assert(files().length === 2, `the held messages are not on the remote: ${files()}`);
      await click(b, "#discard-held");
      const sure = await b.$("#confirm-discard-held");
      await sure.waitForDisplayed({ timeoutMsg: "no confirmation before discarding" });
      const question = await (await b.$("#held-back")).getText();
      assert(question.includes("Delete 2 held-back messages from your inbox?"), `the confirmation: ${question}`);
      await shot(b, "messages-discard-held");
      await click(b, "#confirm-discard-held");
      await b.waitUntil(async () => !(await (await b.$("#held-back")).isExisting()), { timeoutMsg: "the held-back count stayed" });
      await b.waitUntil(async () => files().length === 0, { timeoutMsg: `files left on the remote: ${files()}` });
      const again = ok(await invoke(b, "check_inbox", {}), "check");
      assert(again.report.held.length === 0 && again.report.received.length === 0, `after discarding: ${JSON.stringify(again.report)}`);
    } finally {
      if (apps.a) await closeApp(apps.a);
      if (apps.b) await closeApp(apps.b);
      driverB.stop();
    }
  });
  test("messages: delivered through a remote shared for messages, set up in Settings", async (driver) => {
    const driverB = await startDriver();
    const apps = {};
    try {
      const { a, b, bob } = await aliceAndBob(driver, driverB, apps);

      // Alice starts writing to Bob: no shared place yet, so only armored text.
      await click(a, "#view-contacts");
      await click(a, `#contact-list [data-contact="${bob.id}"]`);
      await click(a, "#write-to-contact");
      await a.waitUntil(async () => (await pageText(a)).includes("No remote shared for messages"), {
        timeoutMsg: "the compose box does not say there is no shared remote",
      });

      // Alice adds the shared place in Settings, Sync, as "Messages with contacts".
      const shared = path.join(mkdtempSync(path.join(os.tmpdir(), "coffer-e2e-shared-")), "team");
      await click(a, "#open-settings");
      await (await a.$("#sync-settings")).waitForDisplayed();
      await click(a, "#purpose-messages");
      await (await a.$("#remote-name")).setValue("team");
      mkdirSync(shared);
      await click(a, "#choose-folder");
      await answerDialog("Choose a folder to sync through", shared);
      await a.waitUntil(async () => (await (await a.$("#remote-url")).getValue()) === shared, { timeoutMsg: "the chosen folder is not in the form" });
      await click(a, "#add-remote");
      await (await a.$('#remote-list li[data-remote="team"]')).waitForDisplayed({ timeout: 30000 });
      const okText = await (await a.$("#remote-ok")).getText();
      assert(/for messages/.test(okText), `the form does not say the remote is for messages: ${okText}`);
      await shot(a, "messages-shared-remote");
      await click(a, "#close-settings");
      const status = await a.execute(() => document.querySelector("#sync-text")?.textContent?.trim() ?? "");
      assert(status === "Sync is off", `a messages remote turned sync on: ${status}`);
      // Bob adds the same place through the command the form calls, after the folder dialog.
      await pick(b, "remote_folder", "Choose a folder to sync through", shared);
      ok(await invoke(b, "add_remote", { remote: { name: "team", url: shared, user: "", secret: "", purpose: "messages" } }), "Bob's remote");

      // The compose box left open knows of the shared place at once; Alice sends through it.
      await a.waitUntil(async () => !(await pageText(a)).includes("No remote shared for messages"), {
        timeoutMsg: "the compose box still says there is no shared remote",
      });
      await paste(a, "#compose-body", "The keys are with the concierge.");
      await click(a, "#send-message");
      await a.waitUntil(async () => (await a.$$("#thread-messages .msg")).length === 1, { timeoutMsg: "the sent message is not in Alice's thread" });
      // The shared place holds one message file in one inbox, and nothing of Alice's vault.
      const files = execFileSync("find", [shared, "-type", "f"]).toString().trim().split("\n").map((f) => path.relative(shared, f));
      assert(files.length === 1 && /^inbox\/[0-9a-f]{64}\/[0-9a-f]{32}\.age$/.test(files[0]), `the shared place holds: ${files}`);
      assert(!readFileSync(path.join(shared, files[0])).toString("latin1").includes("concierge"), "the message file holds plaintext");

      // Bob checks his inbox and reads it, from Alice (verified).
      await click(b, "#view-conversations");
      await click(b, "#check-inbox");
      await (await b.$("#inbox-status")).waitForDisplayed({ timeoutMsg: "no inbox status" });
      await b.waitUntil(async () => /1 new message/.test(await (await b.$("#inbox-status")).getText()), {
        timeoutMsg: `inbox status: ${await (await b.$("#inbox-status")).getText()}`,
      });
      await click(b, "#conversation-list .item");
      await b.waitUntil(async () => (await b.$$("#thread-messages .msg")).length === 1, { timeoutMsg: "Bob does not see the message" });
      // The body's frame fills in after the message row appears: wait for its text.
      const frameText = () => b.execute(() => document.querySelector("#thread-messages .msg iframe")?.contentDocument?.body?.innerText ?? "");
      await b.waitUntil(async () => (await frameText()).includes("concierge"), { timeoutMsg: `body: ${await frameText()}` });
      const from = await b.execute(() => document.querySelector("#thread-messages .msg .meta .party").textContent);
      assert(from.startsWith("Alice") && from.includes("✓"), `sender: ${from}`);
      await shot(b, "messages-remote-inbox");
      // The inbox is emptied once the message is stored.
      const left = execFileSync("find", [shared, "-type", "f"]).toString().trim();
      assert(left === "", `files left in the shared place: ${left}`);

      // From the messages section, Ctrl+N shows the new note, and the palette opens a note.
      await b.keys(["Control", "n"]);
      const title = await b.$("#note-title");
      await title.waitForDisplayed({ timeoutMsg: "Ctrl+N in the messages section shows no note" });
      await title.clearValue();
      await title.setValue("Written after reading");
      await b.waitUntil(async () => (await listTitles(b)).includes("Written after reading"), { timeoutMsg: "the new note is not listed" });
      await click(b, "#view-conversations");
      await (await b.$("#note-title")).waitForExist({ reverse: true, timeoutMsg: "the conversations do not show" });
      await b.keys(["Control", "k"]);
      await (await b.$("#palette-input")).setValue("Written after reading");
      await b.keys("Enter");
      await b.waitUntil(async () => (await (await b.$("#note-title")).getValue().catch(() => "")) === "Written after reading", {
        timeoutMsg: "the palette did not open the note from the messages section",
      });
    } finally {
      if (apps.a) await closeApp(apps.a);
      if (apps.b) await closeApp(apps.b);
      driverB.stop();
    }
  });
}
