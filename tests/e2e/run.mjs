// End-to-end tests of the real Coffer app (target/debug/coffer-app) through tauri-driver and
// WebKitWebDriver. Run under Xvfb by scripts/e2e. Each test has its own temporary vault.
// Prints "N passed, M failed" last and exits non-zero if any test failed.
import { createServer } from "node:http";
import { readFileSync, writeFileSync, mkdtempSync, mkdirSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  startDriver, openApp, tempVault, createVault, unlock, newNote, waitSaved, listTitles,
  pageText, shot, invoke, clickNote, setBody, closeApp, clickInPreview, PASS, answerDialog, pick, APP, audit,
} from "./harness.mjs";
import { spawn, spawnSync } from "node:child_process";
import { registerSyncTests } from "./sync.mjs";
import { registerMessagesTests } from "./messages.mjs";
import { hostileTests } from "./hostile.mjs";
import { secretTests } from "./secrets.mjs";

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

test("create a vault on first run", async (driver) => {
  const b = await openApp(driver, tempVault());
  try {
    await (await b.$("#new-passphrase")).waitForDisplayed();
    assert((await pageText(b)).includes("no way to recover a lost passphrase"), "no warning about lost passphrases");
    await (await b.$("#new-passphrase")).setValue("abc");
    await b.waitUntil(async () => (await (await b.$("#strength-label")).getText()) === "Weak");
    // A dictionary word twice is weak too (zxcvbn, in Rust); unrelated words are not.
    await (await b.$("#new-passphrase")).setValue("passwordpassword");
    await b.waitUntil(async () => (await (await b.$("#strength-label")).getText()) === "Weak", {
      timeoutMsg: "passwordpassword is not rated weak",
    });
    await (await b.$("#new-passphrase")).setValue("violet tundra pickle harbour 19 kettle");
    await b.waitUntil(async () => (await (await b.$("#strength-label")).getText()) === "Strong", {
      timeoutMsg: "unrelated words are not rated strong",
    });
    await (await b.$("#new-passphrase")).setValue("abc");
    await (await b.$("#repeat-passphrase")).setValue("abd");
    assert((await pageText(b)).includes("The two passphrases differ"), "mismatch not shown");
    assert(!(await (await b.$("#create-vault")).isEnabled()), "create enabled with a mismatch");
    await shot(b, "first-run");
    await (await b.$("#new-passphrase")).setValue(PASS);
    await (await b.$("#repeat-passphrase")).setValue(PASS);
    await (await b.$("#understood")).click();
    await (await b.$("#create-vault")).click();
    await (await b.$("#new-note")).waitForDisplayed({ timeout: 30000 });
    assert((await pageText(b)).includes("No notes here yet"), "empty vault not shown");
  } finally {
    await closeApp(b);
  }
});

test("lock, wrong passphrase, unlock", async (driver) => {
  const b = await openApp(driver, tempVault());
  try {
    await createVault(b);
    await newNote(b, "Bank codes", "PIN 4711");
    await (await b.$("#lock")).click();
    await (await b.$("#passphrase")).waitForDisplayed();
    assert(!(await pageText(b)).includes("Bank codes"), "plaintext visible after lock");
    await unlock(b, "not the passphrase");
    const err = await b.$("#unlock-error");
    await err.waitForDisplayed({ timeout: 30000 });
    assert((await err.getText()).includes("passphrase is not right"), "unclear wrong-passphrase message");
    await shot(b, "wrong-passphrase");
    await unlock(b);
    await b.waitUntil(async () => (await listTitles(b)).includes("Bank codes"), { timeout: 30000 });
  } finally {
    await closeApp(b);
  }
});

test("create, edit, tag, pin, search", async (driver) => {
  const b = await openApp(driver, tempVault());
  try {
    await createVault(b);
    await newNote(b, "Garden plan", "Plant **tomatoes** in May.\n\nSee [[Seeds]].");
    await newNote(b, "Seeds", "Buy basil and tomato seeds.");
    // `[[` completes note titles.
    await (await b.$(".cm-content")).addValue(" Plan: [[Gar");
    const option = await b.$(".cm-tooltip-autocomplete li");
    await option.waitForDisplayed({ timeoutMsg: "no [[ completion" });
    assert((await option.getText()).includes("Garden plan"), `completion offers ${await option.getText()}`);
    // Click rather than Enter: CodeMirror ignores Enter for 75 ms after the list opens (so a
    // fast typist's newline is not taken as a choice), which made Enter racy on a loaded machine.
    await option.click();
    await b.waitUntil(async () => (await (await b.$(".cm-content")).getText()).includes("Plan: [[Garden plan]]"), {
      timeoutMsg: "completion not applied",
    });
    await waitSaved(b);
    // Back to the first note: tag and pin it.
    await clickNote(b, "Garden plan");
    await b.waitUntil(async () => (await (await b.$("#note-title")).getValue()) === "Garden plan");
    await (await b.$("#tag-input")).setValue("outdoors");
    await b.keys("Enter");
    await (await b.$('.sidebar .tag[data-tag="outdoors"]')).waitForDisplayed();
    await (await b.$("#pin-note")).click();
    await b.waitUntil(async () => (await (await b.$("#pin-note")).getAttribute("aria-pressed")) === "true", {
      timeoutMsg: "pin not shown",
    });
    await (await b.$("#view-pinned")).click();
    await b.waitUntil(async () => JSON.stringify(await listTitles(b)) === JSON.stringify(["Garden plan"]), {
      timeoutMsg: "pinned view",
    });
    await (await b.$('.sidebar .tag[data-tag="outdoors"]')).click();
    await b.waitUntil(async () => JSON.stringify(await listTitles(b)) === JSON.stringify(["Garden plan"]), {
      timeoutMsg: "tag view",
    });
    await (await b.$("#view-all")).click();
    // The Seeds note has a backlink from Garden plan.
    await clickNote(b, "Seeds");
    await (await b.$("#backlinks")).waitForDisplayed();
    assert((await (await b.$("#backlinks")).getText()).includes("Garden plan"), "backlink missing");
    // A [[link]] clicked in the preview opens that note.
    await clickNote(b, "Garden plan");
    await b.waitUntil(
      () =>
        b.execute(() => {
          const a = document.querySelector("iframe")?.contentDocument?.querySelector('a[href^="coffer:note/"]');
          return a?.textContent === "Seeds";
        }),
      { timeoutMsg: "no link to Seeds in the preview" },
    );
    await clickInPreview(b, 'a[href^="coffer:note/"]');
    await b.waitUntil(async () => (await (await b.$("#note-title")).getValue()) === "Seeds", {
      timeoutMsg: "the note link did not open Seeds",
    });
    // Search as you type, with highlighted matches.
    await (await b.$("#search")).setValue("tomat");
    await b.waitUntil(async () => (await b.$$(".items .item.hit")).length === 2, { timeoutMsg: "search hits" });
    const marks = await b.execute(() => [...document.querySelectorAll(".items mark")].map((m) => m.textContent));
    assert(marks.some((m) => m.toLowerCase().startsWith("tomat")), `no highlighted match: ${marks}`);
    await shot(b, "search");
    // A Chinese note is found by a word inside its sentence, and the word is highlighted; an
    // accented word by its plain spelling.
    const zh = await invoke(b, "create", { note: { title: "会议记录", body: "我们明天下午三点在会议室开会讨论预算。", tags: [], notebook: null, pinned: false } });
    assert(zh.ok, `create: ${JSON.stringify(zh)}`);
    await (await b.$("#search")).setValue("讨论预算");
    await b.waitUntil(async () => JSON.stringify(await listTitles(b)) === JSON.stringify(["会议记录"]), {
      timeoutMsg: `a Chinese word inside a sentence is not found: ${JSON.stringify(await listTitles(b))}`,
    });
    const zhMarks = await b.execute(() => [...document.querySelectorAll(".items mark")].map((m) => m.textContent));
    assert(zhMarks.includes("讨论预算"), `the Chinese match is not highlighted: ${zhMarks}`);
    await shot(b, "search-chinese");
    // Opened from the search, the note's preview highlights the word found.
    await clickNote(b, "会议记录");
    await b.waitUntil(
      () => b.execute(() => [...(document.querySelector("iframe")?.contentDocument?.querySelectorAll("mark") ?? [])].map((m) => m.textContent).join("|")).then((t) => t === "讨论预算"),
      { timeoutMsg: "the Chinese match is not highlighted in the preview" },
    );
    await shot(b, "search-chinese-preview");
    const fr = await invoke(b, "create", { note: { title: "Réunion", body: "Au café, à côté de l'hôtel.", tags: [], notebook: null, pinned: false } });
    assert(fr.ok, `create: ${JSON.stringify(fr)}`);
    await (await b.$("#search")).setValue("cafe cote");
    await b.waitUntil(async () => JSON.stringify(await listTitles(b)) === JSON.stringify(["Réunion"]), {
      timeoutMsg: `an accented word is not found by its plain spelling: ${JSON.stringify(await listTitles(b))}`,
    });
    const frMarks = await b.execute(() => [...document.querySelectorAll(".items mark")].map((m) => m.textContent));
    assert(frMarks.includes("café") && frMarks.includes("côté"), `the accented matches are not highlighted: ${frMarks}`);
    // The palette matches under the same rules: "reunion" finds "Réunion", "会议" the Chinese note
    // (the list is read again first: those notes were made through IPC, not in the window).
    await (await b.$("#search")).clearValue();
    await (await b.$("#view-all")).click();
    await b.waitUntil(async () => (await listTitles(b)).includes("Réunion"), { timeoutMsg: "the list was not read again" });
    await b.keys(["Control", "k"]);
    const paletteHas = async (typed, title) => {
      await (await b.$("#palette-input")).setValue(typed);
      await b.waitUntil(
        async () => (await b.execute(() => [...document.querySelectorAll('[role="option"] span:first-child')].map((e) => e.textContent))).includes(title),
        { timeoutMsg: `the palette does not offer ${title} for ${typed}` },
      );
    };
    await paletteHas("reunion", "Réunion");
    await paletteHas("会议", "会议记录");
    await b.keys("Escape");
    await (await b.$("#search")).setValue("zzzqqq");
    await b.waitUntil(async () => (await pageText(b)).includes("No note matches"));
    // Ctrl+N makes a new note and puts the cursor in its title.
    await (await b.$("#search")).clearValue();
    await b.keys(["Control", "n"]);
    await b.waitUntil(
      () => b.execute(() => document.activeElement?.id === "note-title" && document.activeElement.value === "Untitled"),
      { timeoutMsg: "Ctrl+N did not open a new note" },
    );
  } finally {
    await closeApp(b);
  }
});

test("find in the note: Ctrl+F, count, next and previous, in the editor and the preview", async (driver) => {
  const b = await openApp(driver, tempVault());
  try {
    await createVault(b);
    // Made through IPC (typing Chinese through WebDriver is not what is tested here).
    const made = await invoke(b, "create", {
      note: { title: "Trip", body: "Café at nine.\n\nThen the CAFE by the station, and one more cafe.\n\n会议在会议室。", tags: [], notebook: null, pinned: false },
    });
    assert(made.ok, `create: ${JSON.stringify(made)}`);
    await (await b.$("#view-all")).click();
    await b.waitUntil(async () => (await listTitles(b)).includes("Trip"), { timeoutMsg: "the list was not read again" });
    await clickNote(b, "Trip");
    const count = async () => (await (await b.$("#find-count")).getText()).trim();
    const waitCount = (want, why) => b.waitUntil(async () => (await count()) === want, { timeoutMsg: `${why}: ${want} wanted` });
    // Ctrl+F in the editor opens find in the note (not the search of all notes).
    await (await b.$(".cm-content")).click();
    await b.keys(["Control", "f"]);
    await b.waitUntil(() => b.execute(() => document.activeElement?.id === "find-input"), { timeoutMsg: "Ctrl+F did not open find" });
    await (await b.$("#find-input")).setValue("cafe");
    await waitCount("1 of 3", "matches under the search's folding rules");
    assert((await b.$$(".cm-find-match")).length === 3, "the matches are not all marked in the editor");
    const current = () => b.execute(() => document.querySelector(".cm-find-current")?.textContent);
    assert((await current()) === "Café", `the first match is not the current one: ${await current()}`);
    await b.keys("Enter");
    await waitCount("2 of 3", "Enter steps to the next match");
    assert((await current()) === "CAFE", `the second match is not current: ${await current()}`);
    await b.keys(["Shift", "Enter"]);
    await waitCount("1 of 3", "Shift+Enter steps back");
    await (await b.$("#find-prev")).click();
    await waitCount("3 of 3", "previous wraps around");
    await shot(b, "find-in-note");
    // A run of Chinese characters inside a sentence; nothing found says so.
    await (await b.$("#find-input")).setValue("会议");
    await waitCount("1 of 2", "Chinese inside a sentence");
    await (await b.$("#find-input")).setValue("zzz");
    await waitCount("No matches", "no match");
    // The preview alone counts and marks its own text.
    await (await b.$("#find-input")).setValue("cafe");
    await (await b.$("#mode-preview")).click();
    await waitCount("1 of 3", "the preview's matches");
    await (await b.$("#find-next")).click();
    await waitCount("2 of 3", "next in the preview");
    const frameMarks = await b.execute(() => {
      const d = document.querySelector("iframe")?.contentDocument;
      return { all: d?.querySelectorAll("mark").length ?? 0, current: d?.querySelector("mark.current")?.textContent ?? "" };
    });
    assert(frameMarks.all === 3 && frameMarks.current === "CAFE", `the preview's marks: ${JSON.stringify(frameMarks)}`);
    await shot(b, "find-in-preview");
    // Escape closes find and takes the marks away; Ctrl+Shift+F goes to the search of all notes.
    await (await b.$("#find-input")).click();
    await b.keys("Escape");
    await b.waitUntil(async () => !(await (await b.$("#find-input")).isExisting()), { timeoutMsg: "Escape did not close find" });
    await b.waitUntil(() => b.execute(() => document.querySelector("iframe")?.contentDocument?.querySelectorAll("mark").length === 0), {
      timeoutMsg: "the preview keeps its marks after find closed",
    });
    await b.keys(["Control", "Shift", "f"]);
    await b.waitUntil(() => b.execute(() => document.activeElement?.id === "search"), { timeoutMsg: "Ctrl+Shift+F did not go to the search" });

    // Ctrl+H: find and replace, one match then all of them, as edits that are saved.
    await (await b.$("#mode-edit")).click();
    await (await b.$(".cm-content")).click();
    await b.keys(["Control", "h"]);
    await (await b.$("#replace-input")).waitForDisplayed({ timeoutMsg: "Ctrl+H shows no replace field" });
    await (await b.$("#find-input")).setValue("cafe");
    await waitCount("1 of 3", "find before replacing");
    await (await b.$("#replace-input")).setValue("tea");
    await (await b.$("#replace-one")).click();
    await waitCount("1 of 2", "one replaced, two left");
    const editorText = async () => (await (await b.$(".cm-content")).getText());
    assert((await editorText()).startsWith("tea at nine."), `after one replace: ${await editorText()}`);
    await (await b.$("#replace-all")).click();
    await waitCount("No matches", "all replaced");
    assert((await (await b.$("#replace-status")).getText()).includes("Replaced 2"), "the replace-all count is not said");
    await waitSaved(b);
    const id = await b.execute(() => document.querySelector(".items .item.current")?.getAttribute("data-id"));
    const saved = await invoke(b, "note", { id });
    assert(saved.ok?.body.startsWith("tea at nine.\n\nThen the tea by the station, and one more tea."), `saved: ${JSON.stringify(saved.ok?.body)}`);
    // One undo takes the whole replace-all back.
    await (await b.$(".cm-content")).click();
    await b.keys(["Control", "z"]);
    await b.waitUntil(async () => (await editorText()).includes("the CAFE by the station"), { timeoutMsg: "undo did not bring the replaced words back" });
    await shot(b, "find-replace");
  } finally {
    await closeApp(b);
  }
});

test("format with shortcuts and the toolbar, tick a task in the preview", async (driver) => {
  const b = await openApp(driver, tempVault());
  try {
    await createVault(b);
    await newNote(b, "Shop", "milk");
    const text = async () => (await (await b.$(".cm-content")).getText()).trim();
    const waitText = (want, why) => b.waitUntil(async () => (await text()) === want, { timeoutMsg: `${why}: ${JSON.stringify(want)} wanted` });
    await (await b.$(".cm-content")).click();
    await b.keys(["Control", "a"]);
    await b.keys(["Control", "b"]);
    await waitText("**milk**", "Ctrl+B makes the selection bold");
    await b.keys(["Control", "b"]);
    await waitText("milk", "Ctrl+B again takes the bold off");
    await (await b.$('.toolbar [data-format="task"]')).click();
    await waitText("- [ ] milk", "the toolbar's Task button");
    await shot(b, "format-toolbar");
    // The preview's checkbox ticks the task in the text, and the note is saved so.
    await b.waitUntil(() => b.execute(() => !!document.querySelector(".preview iframe")?.contentDocument?.querySelector("input.task")), {
      timeoutMsg: "no task checkbox in the preview",
    });
    await clickInPreview(b, "input.task");
    await waitText("- [x] milk", "clicking the preview's checkbox");
    await b.waitUntil(() => b.execute(() => document.querySelector(".preview iframe")?.contentDocument?.querySelector("input.task")?.checked === true), {
      timeoutMsg: "the preview does not show the task ticked",
    });
    await waitSaved(b);
    const id = await b.execute(() => document.querySelector(".items .item.current")?.getAttribute("data-id"));
    const saved = await invoke(b, "note", { id });
    assert(saved.ok?.body.trim() === "- [x] milk", `saved: ${JSON.stringify(saved)}`);
    await clickInPreview(b, "input.task");
    await waitText("- [ ] milk", "clicking it again unticks it");

    // Fenced code is highlighted (in Rust, no script in the preview) and a table keeps its
    // columns' alignment.
    await waitSaved(b);
    await setBody(b, "Shop", "```rust\nfn total() -> u32 { 42 } // sum\n```\n\n| item | price |\n|:--|--:|\n| milk | 1.20 |\n");
    const look = () => b.execute(() => {
      const doc = document.querySelector(".preview iframe")?.contentDocument;
      const kw = doc?.querySelector("code.language-rust span.hl-keyword");
      const td = doc?.querySelector("td.align-right");
      if (!kw || !td) return null;
      const view = doc.defaultView;
      return { kw: kw.textContent, kwColor: view.getComputedStyle(kw).color, text: view.getComputedStyle(doc.body).color,
        comment: doc.querySelector("span.hl-comment")?.textContent, align: view.getComputedStyle(td).textAlign };
    });
    await b.waitUntil(async () => (await look()) !== null, { timeoutMsg: "no highlighted code or aligned cell in the preview" });
    const seen = await look();
    assert(seen.kw === "fn" && seen.comment === "// sum" && seen.kwColor !== seen.text && seen.align === "right",
      `the preview's code and table: ${JSON.stringify(seen)}`);
    await shot(b, "preview-code-table");
  } finally {
    await closeApp(b);
  }
});

test("notebooks: nest, drag a note in, move from the palette, rename, delete; pinned first", async (driver) => {
  const b = await openApp(driver, tempVault());
  const row = (name) => b.$(`.sidebar li.notebook[data-notebook="${name}"] > button`);
  const inNotebook = async (title, name) => {
    await (await b.$("#note-notebook")).setValue(name);
    await b.keys("Tab");
    await (await row(name)).waitForDisplayed({ timeoutMsg: `no notebook ${name} in the sidebar` });
  };
  try {
    await createVault(b);
    await newNote(b, "Plan", "the plan");
    await inNotebook("Plan", "Work/Plans");
    await newNote(b, "Memo", "a memo");
    await inNotebook("Memo", "Work");
    await newNote(b, "Loose", "no notebook");
    await newNote(b, "Stray", "no notebook either");
    // Work holds Work/Plans: the tree shows Plans inside it, and counts both.
    assert((await (await row("Work")).getText()).includes("2"), `Work's count: ${await (await row("Work")).getText()}`);
    const label = await b.execute(() => document.querySelector('.sidebar li.notebook[data-notebook="Work/Plans"] .name')?.textContent);
    assert(label === "Plans", `Work/Plans is shown as ${JSON.stringify(label)}`);

    // A note dragged from the list onto a notebook is filed in it.
    await b.execute((id) => {
      const item = [...document.querySelectorAll(".items .item")].find((e) => e.querySelector(".name")?.textContent.trim() === id);
      const target = document.querySelector('.sidebar li.notebook[data-notebook="Work/Plans"]');
      const dt = new DataTransfer();
      item.dispatchEvent(new DragEvent("dragstart", { bubbles: true, dataTransfer: dt }));
      target.dispatchEvent(new DragEvent("dragover", { bubbles: true, cancelable: true, dataTransfer: dt }));
      target.dispatchEvent(new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: dt }));
    }, "Loose");
    await b.waitUntil(async () => (await (await row("Work/Plans")).getText()).includes("2"), {
      timeoutMsg: "the dragged note is not in Work/Plans",
    });
    // And from the palette.
    await clickNote(b, "Stray");
    await b.keys(["Control", "k"]);
    await (await b.$("#palette-input")).setValue("Move this note");
    await b.keys("Enter");
    await (await b.$("#notebook-name")).waitForDisplayed();
    await (await b.$("#notebook-name")).setValue("Work");
    await (await b.$("#notebook-confirm")).click();
    await b.waitUntil(async () => (await (await row("Work")).getText()).includes("4"), {
      timeoutMsg: "the note moved from the palette is not in Work",
    });

    // Renamed: the notebooks inside follow, and so does the view.
    await (await row("Work")).click();
    await (await b.$("#rename-notebook")).click();
    await (await b.$("#notebook-name")).waitForDisplayed();
    await (await b.$("#notebook-name")).clearValue();
    await (await b.$("#notebook-name")).setValue("Job");
    await (await b.$("#notebook-confirm")).click();
    await (await row("Job/Plans")).waitForDisplayed({ timeoutMsg: "Work/Plans did not follow the rename" });
    assert(!(await (await row("Work")).isExisting()), "the old name stays in the sidebar");
    await b.waitUntil(async () => (await listTitles(b)).length === 4, { timeoutMsg: "the renamed notebook's view lost notes" });
    await shot(b, "notebooks");

    // Pinned first in every list: pin the oldest note.
    await clickNote(b, "Plan");
    await (await b.$("#pin-note")).click();
    await (await b.$("#view-all")).click();
    await b.waitUntil(async () => (await listTitles(b))[0] === "Plan", { timeoutMsg: "the pinned note is not first" });

    // Deleted: after saying how many, its notes (and those inside it) go to the trash.
    await (await row("Job/Plans")).click();
    await (await b.$("#remove-notebook")).click();
    const q = await b.$("#remove-notebook-question");
    await b.waitUntil(async () => (await q.getText()).includes("the 2 notes"), { timeoutMsg: `the count: ${await q.getText()}` });
    await (await b.$("#notebook-confirm")).click();
    await b.waitUntil(async () => !(await (await row("Job/Plans")).isExisting()), { timeoutMsg: "the deleted notebook stays" });
    await (await b.$("#view-trash")).click();
    await b.waitUntil(async () => {
      const t = await listTitles(b);
      return t.includes("Plan") && t.includes("Loose");
    }, { timeoutMsg: "the deleted notebook's notes are not in the trash" });
  } finally {
    await closeApp(b);
  }
});

test("keyboard: focus shows on list rows and the view buttons; Escape closes Settings after a click in it", async (driver) => {
  const b = await openApp(driver, tempVault());
  try {
    await createVault(b);
    await newNote(b, "Focus me", "text");
    await b.keys("Escape");
    // Focus moved by the keyboard (a key press first), then onto a list row and the chosen
    // view button: each shows a ring, inside the row (the list clips outside it), and on the
    // chosen button in a colour other than its own.
    const ring = async (selector) => {
      await (await b.$("#search")).click();
      for (let i = 0; i < 40; i++) {
        await b.keys("Tab");
        if (await b.execute((sel) => document.activeElement?.matches(sel) ?? false, selector)) break;
      }
      return b.execute((sel) => {
        const el = document.activeElement;
        const st = getComputedStyle(el);
        return { on: el.matches(sel), visible: el.matches(":focus-visible"), style: st.outlineStyle, offset: parseFloat(st.outlineOffset),
          color: st.outlineColor, background: st.backgroundColor };
      }, selector);
    };
    const row = await ring(".items .item");
    assert(row.on && row.visible && row.style === "solid" && row.offset < 0, `the list row's focus: ${JSON.stringify(row)}`);
    const on = await ring(".seg button.on");
    assert(on.on && on.visible && on.style === "solid" && on.color !== on.background, `the chosen view button's focus: ${JSON.stringify(on)}`);
    await shot(b, "focus-ring");

    // The shortcut list, from the palette.
    await b.keys(["Control", "k"]);
    await (await b.$("#palette-input")).setValue("Keyboard shortcuts");
    await b.keys("Enter");
    const keys = await b.$("#shortcut-list");
    await keys.waitForDisplayed({ timeoutMsg: "no shortcut list" });
    const listed = await keys.getText();
    for (const k of ["Ctrl+K", "Ctrl+H", "Ctrl+Shift+D", "Ctrl+B"]) assert(listed.includes(k), `the shortcut list lacks ${k}: ${listed}`);
    await b.keys("Escape");
    await keys.waitForExist({ reverse: true, timeoutMsg: "Escape does not close the shortcut list" });

    await (await b.$("#open-settings")).click();
    const dialog = await b.$('[role="dialog"][aria-label="Settings"]');
    await dialog.waitForDisplayed();
    await (await dialog.$("h2")).click();
    await b.keys("Escape");
    await dialog.waitForExist({ reverse: true, timeoutMsg: "Escape does not close Settings after a click in it" });
  } finally {
    await closeApp(b);
  }
});

test("layout: usable 600 px wide, the sidebar and the list fold away, no word cut in two", async (driver) => {
  const b = await openApp(driver, tempVault());
  try {
    await createVault(b);
    await newNote(b, "Meeting with the planning committee", "Agenda for the meeting.");
    await b.setWindowSize(600, 760);
    await b.waitUntil(() => b.execute(() => window.innerWidth <= 620), { timeoutMsg: "the window did not narrow" });
    const box = (sel) => b.execute((s) => {
      const r = document.querySelector(s)?.getBoundingClientRect();
      return r ? { left: r.left, right: r.right, width: r.width } : null;
    }, sel);
    // Narrow: the sidebar folds away by itself; the list and the editor share the width.
    await b.waitUntil(async () => (await box("nav.sidebar")) === null, { timeoutMsg: "the sidebar stays in a 600 px window" });
    const list = await box("section.list");
    const editor = await box(".cm-editor");
    assert(list && list.width >= 190 && editor && editor.width >= 200 && editor.right <= 602,
      `list ${JSON.stringify(list)}, editor ${JSON.stringify(editor)}`);
    const overflow = await b.execute(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `the page is ${overflow} px wider than the window`);
    const paneOverflow = await b.execute(() => {
      const p = document.querySelector("section.pane");
      return p.scrollWidth - p.clientWidth;
    });
    assert(paneOverflow <= 1, `the note pane scrolls sideways by ${paneOverflow} px`);
    const title = await box("#note-title");
    assert(title && title.width >= 200, `the title field: ${JSON.stringify(title)}`);
    // No word is broken inside: each list title's words fit on their lines.
    const broken = await b.execute(() => [...document.querySelectorAll(".items .item .name")].filter((e) => {
      const style = getComputedStyle(e);
      return style.wordBreak === "break-all" || style.overflowWrap === "anywhere";
    }).length);
    assert(broken === 0, "list titles may break inside words");
    await shot(b, "narrow-600");
    // The list folds away too, for the editor alone; and both come back.
    await (await b.$("#toggle-list")).click();
    await b.waitUntil(async () => (await box("section.list")) === null, { timeoutMsg: "the list does not fold away" });
    const alone = await box(".cm-editor");
    assert(alone && alone.width >= 500, `the editor alone: ${JSON.stringify(alone)}`);
    await shot(b, "narrow-600-editor");
    await (await b.$("#toggle-list")).click();
    await (await b.$("#toggle-sidebar")).waitForClickable();
    await (await b.$("#toggle-sidebar")).click();
    await (await b.$("nav.sidebar")).waitForDisplayed({ timeoutMsg: "the sidebar does not come back" });
    // Narrow, it lies over the list as a drawer: the note keeps its width; a view closes it.
    const under = await box(".cm-editor");
    assert(under && under.width >= 200, `the editor under the drawer: ${JSON.stringify(under)}`);
    await shot(b, "narrow-600-sidebar");
    await (await b.$("#view-pinned")).click();
    await b.waitUntil(async () => (await box("nav.sidebar")) === null, { timeoutMsg: "choosing a view does not close the drawer" });
  } finally {
    await b.setWindowSize(1200, 780).catch(() => {});
    await closeApp(b);
  }
});

test("layout: at 200% zoom (Ctrl+=) the list and the editor stay usable", async (driver) => {
  const b = await openApp(driver, tempVault());
  try {
    await createVault(b);
    await newNote(b, "Zoomed in", "Large text for tired eyes.");
    await (await b.$(".cm-content")).click();
    for (let i = 0; i < 5; i++) await b.keys(["Control", "="]);
    await b.waitUntil(() => b.execute(() => window.innerWidth <= 620), {
      timeoutMsg: "Ctrl+= five times did not zoom the page to 200%",
    });
    const box = (sel) => b.execute((s) => {
      const r = document.querySelector(s)?.getBoundingClientRect();
      return r ? { left: r.left, right: r.right, width: r.width, height: r.height } : null;
    }, sel);
    const list = await box("section.list");
    const editor = await box(".cm-editor");
    // The text keeps room to write in (the window is 390 px high at 200%).
    assert(list && list.width >= 190 && editor && editor.width >= 200 && editor.height >= 120,
      `list ${JSON.stringify(list)}, editor ${JSON.stringify(editor)}`);
    const overflow = await b.execute(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `the page is ${overflow} px wider than the window at 200%`);
    const toolbar = await b.execute(() => {
      const bar = document.querySelector("[aria-label='Formatting']") ?? document.querySelector(".toolbar");
      return bar ? bar.scrollWidth - bar.clientWidth : 0;
    });
    assert(toolbar <= 1, `the toolbar is cut by ${toolbar} px`);
    await shot(b, "zoom-200");
    // Ctrl+0: back to the actual size.
    await b.keys(["Control", "0"]);
    await b.waitUntil(() => b.execute(() => window.innerWidth >= 1100), { timeoutMsg: "Ctrl+0 did not reset the zoom" });
  } finally {
    await closeApp(b);
  }
});

test("a second window: the note opens beside the first, edits in one show in the other, closing saves", async (driver) => {
  const b = await openApp(driver, tempVault());
  try {
    await createVault(b);
    await newNote(b, "Left note", "left text");
    await newNote(b, "Right note", "right text");
    const main = await b.getWindowHandle();
    await b.keys(["Control", "Shift", "n"]);
    await b.waitUntil(async () => (await b.getWindowHandles()).length === 2, { timeoutMsg: "Ctrl+Shift+N opened no window" });
    const second = (await b.getWindowHandles()).find((h) => h !== main);
    await b.switchToWindow(second);
    // The same unlocked vault: no passphrase asked, the note open at once.
    const title = await b.$("#note-title");
    await title.waitForDisplayed({ timeout: 30000 });
    await b.waitUntil(async () => (await title.getValue()) === "Right note", { timeoutMsg: "the new window does not show the note" });
    assert(!(await (await b.$("#passphrase")).isExisting()), "the second window asks for the passphrase");
    // The note alone, to sit beside the first window; the list comes back with its toggle.
    assert(!(await (await b.$("section.list")).isExisting()) && !(await (await b.$("nav.sidebar")).isExisting()),
      "the note's window shows the sidebar or the list");
    await shot(b, "second-window");
    const cm = await b.$(".cm-content");
    await cm.click();
    await b.keys(["Control", "End"]);
    await cm.addValue(" and more");
    await waitSaved(b);
    // The first window shows the edit (it had no unsaved edits of its own).
    await b.switchToWindow(main);
    await b.waitUntil(async () => (await (await b.$(".cm-content")).getText()).includes("right text and more"), {
      timeoutMsg: "the first window does not show the second one's edit",
    });
    // A title changed in the first window is in the second one's list.
    await clickNote(b, "Left note");
    const t1 = await b.$("#note-title");
    await t1.click();
    await b.keys(["End"]);
    await t1.addValue(" renamed");
    await waitSaved(b);
    await b.switchToWindow(second);
    await (await b.$("#toggle-list")).click();
    await b.waitUntil(async () => (await listTitles(b)).includes("Left note renamed"), {
      timeoutMsg: "the second window's list does not follow the first",
    });
    // Closing the window right after typing: what was typed is saved, not lost.
    await (await b.$(".cm-content")).click();
    await b.keys(["Control", "End"]);
    await (await b.$(".cm-content")).addValue(" last words");
    const id = await b.execute(() => document.querySelector(".items .item.current")?.getAttribute("data-id"));
    // Ctrl+W, at once: the window is asked to close, as by the window manager's button.
    await b.keys(["Control", "w"]);
    await b.switchToWindow(main);
    await b.waitUntil(async () => (await b.getWindowHandles()).length === 1, { timeoutMsg: "the second window did not close" });
    const saved = await invoke(b, "note", { id });
    assert(saved.ok && saved.ok.body.endsWith("right text and more last words"), `after closing: ${JSON.stringify(saved)}`);
  } finally {
    await closeApp(b);
  }
});

test("one app per vault: a second one started on the same vault brings the first forward and exits", async (driver) => {
  const vault = tempVault();
  const b = await openApp(driver, vault);
  try {
    await createVault(b);
    await newNote(b, "Only here", "one writer");
    const second = spawnSync(APP, ["--vault", vault], { env: process.env, timeout: 30000, encoding: "utf8" });
    assert(second.status === 0, `the second app: status ${second.status}, signal ${second.signal}, stderr ${second.stderr}`);
    assert(second.stderr.includes("already open on"), `the second app says: ${second.stderr}`);
    // The first goes on as before, alone on the vault.
    await newNote(b, "Still here", "after the second one left");
    await waitSaved(b);
    const listed = await listTitles(b);
    assert(listed.includes("Only here") && listed.includes("Still here"), `listed: ${listed}`);
    // Another vault opens in an app of its own (it is still running after a while).
    const other = spawn(APP, ["--vault", tempVault()], { env: process.env, stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 4000));
    const running = other.exitCode === null;
    other.kill();
    assert(running, `an app on another vault exited: ${other.exitCode}`);
  } finally {
    await closeApp(b);
  }
});

test("templates: a note from a template fills in its placeholders; today's note is made once", async (driver) => {
  const b = await openApp(driver, tempVault());
  try {
    await createVault(b);
    const made = await invoke(b, "create", {
      note: { title: "Meeting {{date}}", body: "# {{title}}\n\nAttendees:", tags: ["work"], notebook: "Templates", pinned: false },
    });
    assert(made.ok, `create: ${JSON.stringify(made)}`);
    await (await b.$("#view-all")).click();
    const today = await b.execute(() => {
      const d = new Date();
      const pad = (n) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    });
    const palette = async (text) => {
      await b.keys(["Control", "k"]);
      await (await b.$("#palette-input")).setValue(text);
      await b.keys("Enter");
    };
    await palette("from template: Meeting");
    await b.waitUntil(async () => (await (await b.$("#note-title")).getValue()) === `Meeting ${today}`, {
      timeoutMsg: "the note from the template is not titled with today's date",
    });
    await b.waitUntil(async () => (await (await b.$(".cm-content")).getText()).startsWith(`# Meeting ${today}`), {
      timeoutMsg: "the template's {{title}} is not filled in",
    });
    await shot(b, "from-template");
    // Today's note: made in "Daily" the first time, the same note after.
    await b.keys(["Control", "Shift", "d"]);
    await b.waitUntil(async () => (await (await b.$("#note-title")).getValue()) === today, { timeoutMsg: "Ctrl+Shift+D does not open today's note" });
    const first = await b.execute(() => document.querySelector(".items .item.current")?.getAttribute("data-id"));
    await palette("Today's note");
    await b.waitUntil(async () => (await b.execute(() => document.querySelector(".items .item.current")?.getAttribute("data-id"))) === first, {
      timeoutMsg: "today's note is not the same note the second time",
    });
    const daily = await invoke(b, "list", { filter: { tag: null, notebook: "Daily", pinned: false, trash: false } });
    assert(daily.ok?.length === 1, `notes in Daily: ${JSON.stringify(daily)}`);
  } finally {
    await closeApp(b);
  }
});

/** After a reload of the page: the vault stays unlocked in Rust, so the page goes straight in;
 * if it was locked meanwhile, it is unlocked. */
async function unlockIfAsked(b) {
  await b.waitUntil(() => b.execute(() => !!document.querySelector("#new-note, #passphrase")), { timeout: 30000 });
  if (await (await b.$("#passphrase")).isExisting()) await unlock(b);
}

test("accessibility: axe-core finds no violation on each screen, in both themes", async (driver) => {
  const b = await openApp(driver, tempVault());
  const failures = [];
  const check = async (screen) => {
    for (const v of await audit(b)) failures.push(`${screen}: ${v}`);
  };
  try {
    await (await b.$("#new-passphrase")).waitForDisplayed();
    await check("first run");
    await createVault(b);
    await check("empty vault");
    await newNote(b, "Groceries", "- [ ] milk\n- [x] eggs");
    await invoke(b, "update", { id: await b.execute(() => document.querySelector(".items .item.current")?.getAttribute("data-id")), change: { tags: ["home"], notebook: "Home/Shop" } });
    await (await b.$("#view-all")).click();
    await clickNote(b, "Groceries");
    await check("a note, split view");
    await (await b.$("#mode-preview")).click();
    await check("a note, preview");
    await (await b.$("#mode-edit")).click();
    await (await b.$(".cm-content")).click();
    await b.keys(["Control", "h"]);
    await (await b.$("#replace-input")).waitForDisplayed();
    await check("find and replace");
    await b.keys("Escape");
    await b.keys(["Control", "k"]);
    await (await b.$("#palette-input")).waitForDisplayed();
    await check("the palette");
    await b.keys("Escape");
    const modal = async (open, name) => {
      await open();
      await (await b.$('[role="dialog"]')).waitForDisplayed();
      await check(name);
      await b.keys("Escape");
      await (await b.$('[role="dialog"]')).waitForExist({ reverse: true });
    };
    await modal(() => b.$("#open-settings").then((e) => e.click()), "settings");
    await modal(() => b.$("#history-note").then((e) => e.click()), "history");
    await modal(async () => {
      await b.keys(["Control", "k"]);
      await (await b.$("#palette-input")).setValue("Keyboard shortcuts");
      await b.keys("Enter");
    }, "shortcuts");
    await (await b.$('.sidebar li.notebook[data-notebook="Home"] > button')).click();
    await modal(() => b.$("#rename-notebook").then((e) => e.click()), "rename a notebook");
    await (await b.$("#view-conversations")).click();
    await b.pause(300);
    await check("conversations");
    await (await b.$("#view-contacts")).click();
    await b.pause(300);
    await check("contacts");
    await (await b.$("#view-trash")).click();
    await check("the trash");
    // Two versions saved at once (as two windows can): the note says so, and the dialog.
    const made = await invoke(b, "create", { note: { title: "Plans", body: "one line", tags: [], notebook: null, pinned: false } });
    const base = (await invoke(b, "note", { id: made.ok })).ok.revision;
    await invoke(b, "update", { id: made.ok, change: { base, body: "one line, from here" } });
    await invoke(b, "update", { id: made.ok, change: { base, body: "one line, from there" } });
    await (await b.$("#view-all")).click();
    await clickNote(b, "Plans");
    await (await b.$("#note-conflict")).waitForDisplayed({ timeoutMsg: "the note does not say it has two versions" });
    await check("a note with two versions");
    await modal(() => b.$("#open-conflict").then((e) => e.click()), "the conflict dialog");
    // The dark theme: the same screens again.
    await invoke(b, "set_settings", { settings: { auto_lock_minutes: 5, theme: "dark" } });
    await b.execute(() => window.location.reload());
    await unlockIfAsked(b);
    await (await b.$("#new-note")).waitForDisplayed({ timeout: 30000 });
    await b.waitUntil(() => b.execute(() => document.documentElement.dataset.theme === "dark"), { timeoutMsg: "the dark theme is not applied" });
    await check("dark: empty note pane");
    await clickNote(b, "Groceries");
    await check("dark: a note, split view");
    await (await b.$("#mode-preview")).click();
    await check("dark: a note, preview");
    await (await b.$("#mode-split")).click();
    await clickNote(b, "Plans");
    await modal(() => b.$("#open-conflict").then((e) => e.click()), "dark: the conflict dialog");
    await modal(() => b.$("#open-settings").then((e) => e.click()), "dark: settings");
    await b.keys(["Control", "k"]);
    await (await b.$("#palette-input")).waitForDisplayed();
    await check("dark: the palette");
    await b.keys("Escape");
    await (await b.$("#view-conversations")).click();
    await b.pause(300);
    await check("dark: conversations");
    await (await b.$("#lock")).click();
    await (await b.$("#passphrase")).waitForDisplayed();
    await check("unlock");
    assert(failures.length === 0, `accessibility violations:\n${failures.join("\n")}`);
  } finally {
    await closeApp(b);
  }
});

test("delete to trash and restore", async (driver) => {
  const b = await openApp(driver, tempVault());
  try {
    await createVault(b);
    await newNote(b, "Old receipts", "Scanned.");
    await (await b.$("#trash-note")).click();
    await b.waitUntil(async () => !(await listTitles(b)).includes("Old receipts"));
    await (await b.$("#view-trash")).click();
    await b.waitUntil(async () => (await listTitles(b)).includes("Old receipts"));
    await clickNote(b, "Old receipts");
    await (await b.$("#restore-note")).click();
    await (await b.$("#view-all")).click();
    await b.waitUntil(async () => (await listTitles(b)).includes("Old receipts"));
    // Delete forever asks first, then the note is gone from everywhere.
    await (await b.$("#trash-note")).click();
    await (await b.$("#view-trash")).click();
    await clickNote(b, "Old receipts");
    await (await b.$("#purge-note")).click();
    await (await b.$("#purge-confirm")).click();
    await b.waitUntil(async () => (await pageText(b)).includes("The trash is empty."), { timeoutMsg: "not purged" });
    await (await b.$("#view-all")).click();
    await b.waitUntil(async () => (await pageText(b)).includes("No notes here yet"), { timeoutMsg: "purged note listed" });
  } finally {
    await closeApp(b);
  }
});

test("restore an older revision from history", async (driver) => {
  const b = await openApp(driver, tempVault());
  try {
    await createVault(b);
    await newNote(b, "Draft", "first version");
    const cm = await b.$(".cm-content");
    await cm.click();
    await b.keys(["Control", "a"]);
    await b.keys("second version");
    await b.waitUntil(async () => (await cm.getText()).includes("second version"));
    await waitSaved(b);
    await (await b.$("#history-note")).click();
    const diff = await b.$("#history-diff");
    await diff.waitForDisplayed();
    await b.waitUntil(async () => (await diff.getText()).includes("first version"));
    await shot(b, "history");
    await (await b.$("#restore-revision")).click();
    await b.waitUntil(async () => (await (await b.$(".cm-content")).getText()).includes("first version"), {
      timeoutMsg: "the old text did not come back",
    });
  } finally {
    await closeApp(b);
  }
});

/** A one-page PDF showing `line` in Helvetica (ASCII), with its cross-reference table. */
function onePagePdf(line) {
  const content = `BT /F1 14 Tf 72 720 Td (${line}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
  ];
  let out = "%PDF-1.4\n";
  const offsets = objects.map((o, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return out;
}

test("attach a file and get it back", async (driver) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "coffer-e2e-files-"));
  const src = path.join(dir, "scan.txt");
  writeFileSync(src, "attachment bytes \u00e9\nThe boiler was serviced in March.\n");
  const b = await openApp(driver, tempVault());
  try {
    await createVault(b);
    await newNote(b, "With file", "See the scan.");
    const id = await b.execute(() => document.querySelector(".items .item.current")?.getAttribute("data-id"));
    assert(id, "no current note id");
    // The web view cannot name a file of its own: a path nobody chose in Coffer's dialog is
    // refused, for reading and for writing.
    const unchosen = await invoke(b, "attach", { id, path: src });
    assert(unchosen.err?.code === "not_chosen", `attach of an unchosen file: ${JSON.stringify(unchosen)}`);
    const unchosenOut = await invoke(b, "extract", { id, name: "scan.txt", to: path.join(dir, "x") });
    assert(unchosenOut.err?.code === "not_chosen", `extract to an unchosen path: ${JSON.stringify(unchosenOut)}`);
    // As a person does it: the button, then Coffer's own file dialog.
    await (await b.$("#add-attachment")).click();
    await answerDialog("Attach files", src, "open", "attach-dialog");
    await (await b.$('.file[data-name="scan.txt"]')).waitForDisplayed({ timeoutMsg: "the attached file is not listed" });
    const out = path.join(dir, "back.txt");
    await (await b.$('.file[data-name="scan.txt"]')).click();
    await answerDialog("Save the attachment as", out, "save");
    await b.waitUntil(() => { try { return readFileSync(out, "utf8") === "attachment bytes \u00e9\nThe boiler was serviced in March.\n"; } catch { return false; } },
      { timeoutMsg: "the saved attachment never matched" });
    // A place chosen to write is used once: writing there again needs the dialog again.
    const again = await invoke(b, "extract", { id, name: "scan.txt", to: out });
    assert(again.err?.code === "not_chosen", `a second write to a chosen file: ${JSON.stringify(again)}`);
    // The search box finds the attachment's text, and the hit names the file.
    await (await b.$("#search")).setValue("boiler");
    await b.waitUntil(async () => (await b.$$(".items .item.hit .in-file")).length === 1, { timeoutMsg: "the attachment's text is not found" }).catch(async (e) => {
      await shot(b, "search-attachment-failed");
      throw new Error(`${e.message}: ${JSON.stringify(await invoke(b, "search", { query: "boiler" }))}`);
    });
    const inFile = (await (await b.$(".items .item.hit .in-file")).getText()).trim();
    assert(inFile === "scan.txt", `the hit names ${inFile}`);
    const marked = await b.execute(() => [...document.querySelectorAll(".items .item.hit mark")].map((m) => m.textContent));
    assert(marked.includes("boiler"), `the attachment's match is not highlighted: ${marked}`);
    await shot(b, "search-attachment");
    // A PDF's text is read too (in a child process of the app, with limits on its memory and
    // time) and found once read, without typing again.
    const pdf = path.join(dir, "statement.pdf");
    writeFileSync(pdf, onePagePdf("Quarterly statement for the gutter repair"), "latin1");
    await (await b.$("#search")).setValue("gutter");
    await b.waitUntil(async () => (await b.$$(".items .item.hit")).length === 0 || (await b.$(".items .empty")).isExisting(),
      { timeoutMsg: "a search for a word no note has still shows hits" });
    await (await b.$("#add-attachment")).click();
    await answerDialog("Attach files", pdf, "open", "attach-dialog");
    await (await b.$('.file[data-name="statement.pdf"]')).waitForDisplayed({ timeoutMsg: "the attached PDF is not listed" });
    await b.waitUntil(async () => {
      const names = await b.execute(() => [...document.querySelectorAll(".items .item.hit .in-file")].map((e) => e.textContent.trim()));
      return names.includes("statement.pdf");
    }, { timeoutMsg: "the PDF's text is not found" }).catch(async (e) => {
      await shot(b, "search-pdf-failed");
      throw new Error(`${e.message}: ${JSON.stringify(await invoke(b, "search", { query: "gutter" }))}`);
    });
  } finally {
    await closeApp(b);
  }
});

test("settings: dark theme and auto-lock delay are kept", async (driver) => {
  const vault = tempVault();
  const b = await openApp(driver, vault);
  try {
    await createVault(b);
    await newNote(b, "Travel log", "Lisbon, May 2026. Back on the 14th.");
    await newNote(b, "Recovery codes", "");
    await setBody(b, "Recovery codes", "Keep these **offline**.\n\n```\n4F2K-99QX-PL3M\n7HHP-2MZA-QW8E\n```\n");
    await newNote(b, "Trip to Lisbon", "");
    await setBody(
      b,
      "Trip to Lisbon",
      [
        "## Packing",
        "",
        "- [x] passport",
        "- [x] charger",
        "- [ ] plug adapter",
        "",
        "Flights and hotel are in [[Travel log]]. The hotel is on *Rua das Flores*, near the river.",
        "",
        "> Remember: the museum is closed on Mondays.",
        "",
        "| Day | Plan |",
        "| --- | --- |",
        "| Fri | Alfama, tram 28 |",
        "| Sat | Belém |",
      ].join("\n"),
    );
    await (await b.$("#tag-input")).setValue("travel");
    await b.keys("Enter");
    await (await b.$('.sidebar .tag[data-tag="travel"]')).waitForDisplayed();
    await (await b.$("#note-notebook")).setValue("Personal");
    await b.keys("Tab");
    await (await b.$("//nav//button[.//span[normalize-space()='Personal']]")).waitForDisplayed();
    await (await b.$("#pin-note")).click();
    await b.waitUntil(async () => (await (await b.$("#pin-note")).getAttribute("aria-pressed")) === "true", {
      timeoutMsg: "pin not shown",
    });
    await clickNote(b, "Trip to Lisbon");
    await b.waitUntil(
      () => b.execute(() => (document.querySelector("iframe")?.contentDocument?.body?.innerText ?? "").includes("Packing")),
      { timeoutMsg: "preview never rendered" },
    );
    await shot(b, "light");
    await (await b.$("#open-settings")).click();
    await (await b.$("#autolock-minutes")).setValue("12");
    await (await b.$('input[name="theme"][value="dark"]')).click();
    await (await b.$("#save-settings")).click();
    await (await b.$("#settings-msg")).waitForDisplayed();
    assert((await (await b.$("#settings-msg")).getText()) === "Saved.", "settings not saved");
    await (await b.$("#close-settings")).click();
    await b.waitUntil(() => b.execute(() => document.documentElement.dataset.theme === "dark"), {
      timeoutMsg: "dark theme not applied",
    });
    await b.waitUntil(
      () => b.execute(() => (document.querySelector("iframe")?.contentDocument?.body?.innerText ?? "").includes("Packing")),
      { timeoutMsg: "preview never rendered" },
    );
    await shot(b, "dark");
    const s = await invoke(b, "get_settings", {});
    assert(s.ok?.auto_lock_minutes === 12 && s.ok?.theme === "dark", `settings: ${JSON.stringify(s)}`);
    const bad = await invoke(b, "set_settings", { settings: { auto_lock_minutes: 0, theme: "dark" } });
    assert(bad.err?.code === "invalid_input", `0 minutes accepted: ${JSON.stringify(bad)}`);
    // Ctrl+K palette jumps to a note.
    await b.keys(["Control", "k"]);
    await (await b.$("#palette-input")).setValue("Recovery");
    await shot(b, "palette");
    await b.keys("Enter");
    await b.waitUntil(async () => (await (await b.$("#note-title")).getValue()) === "Recovery codes", {
      timeoutMsg: "palette did not open the note",
    });
  } finally {
    await closeApp(b);
  }
});

test("import a Markdown folder, export it again", async (driver) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "coffer-e2e-import-"));
  mkdirSync(path.join(dir, "in", "Work"), { recursive: true });
  writeFileSync(path.join(dir, "in", "Groceries.md"), "---\ntags: [home]\n---\nMilk, eggs, *bread*.\n");
  writeFileSync(path.join(dir, "in", "Work", "Standup.md"), "# Standup\n\nShip the importer.\n");
  const b = await openApp(driver, tempVault());
  try {
    await createVault(b);
    // The calls the Settings buttons make, after Coffer's own folder dialogs.
    const unchosen = await invoke(b, "import_dir", { path: path.join(dir, "in") });
    assert(unchosen.err?.code === "not_chosen", `import of an unchosen folder: ${JSON.stringify(unchosen)}`);
    await pick(b, "import_folder", "Import a folder of notes", path.join(dir, "in"));
    const r = await invoke(b, "import_dir", { path: path.join(dir, "in") });
    assert(r.ok?.notes === 2, `import: ${JSON.stringify(r)}`);
    await (await b.$("#view-pinned")).click();
    await (await b.$("#view-all")).click();
    await b.waitUntil(async () => (await listTitles(b)).length === 2, { timeoutMsg: "imported notes not listed" });
    await clickNote(b, "Groceries");
    await b.waitUntil(async () => (await (await b.$(".cm-content")).getText()).includes("Milk, eggs"));
    const out = path.join(dir, "out");
    await pick(b, "export_folder", "Export all notes into a new folder", out, "save");
    const e = await invoke(b, "export_dir", { path: out });
    assert(e.ok?.notes === 2, `export: ${JSON.stringify(e)}`);
    const again = await invoke(b, "export_dir", { path: out });
    assert(again.err?.code, `export into a non-empty folder was accepted: ${JSON.stringify(again)}`);
  } finally {
    await closeApp(b);
  }
});

test("a note survives closing and reopening the app", async (driver) => {
  const vault = tempVault();
  let b = await openApp(driver, vault);
  try {
    await createVault(b);
    await newNote(b, "Persistent", "Still here after a restart.");
    // Saved first to the vault's journal (local/journal), then written out as the usual age
    // files once the app has been idle for 2 seconds.
    const ageFiles = (dir) =>
      readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith(".age")).length;
    await b.waitUntil(() => ageFiles(path.join(vault, "objects")) >= 1 && ageFiles(path.join(vault, "log")) >= 1, {
      timeout: 15000,
      timeoutMsg: "the save was not written out as files while the app was idle",
    });
  } finally {
    await closeApp(b);
  }
  b = await openApp(driver, vault);
  try {
    await unlock(b);
    await b.waitUntil(async () => (await listTitles(b)).includes("Persistent"), { timeout: 30000 });
    await clickNote(b, "Persistent");
    await b.waitUntil(async () => (await (await b.$(".cm-content")).getText()).includes("Still here after a restart."));
    await shot(b, "main");
    // Copying works (the clipboard is cleared after 30 s by Rust; not waited for here).
    await (await b.$("#copy-note")).click();
    await b.waitUntil(async () => (await (await b.$("#toast")).getText()).includes("Copied"), {
      timeoutMsg: "copy failed",
    });
  } finally {
    await closeApp(b);
  }
});

test("auto-lock fires and leaves no plaintext in the page", async (driver) => {
  const b = await openApp(driver, tempVault(), ["--autolock-seconds", "3"]);
  try {
    await createVault(b);
    await newNote(b, "AUTOLOCK-TITLE", "AUTOLOCK-BODY secret words");
    await (await b.$("#passphrase")).waitForDisplayed({ timeout: 30000, timeoutMsg: "auto-lock never fired" });
    const html = await b.execute(() => document.documentElement.outerHTML + document.title);
    const text = await pageText(b);
    for (const s of ["AUTOLOCK-TITLE", "AUTOLOCK-BODY", "secret words"]) {
      assert(!html.includes(s) && !text.includes(s), `"${s}" still in the page after auto-lock`);
    }
    assert((await (await b.$("#lock-reason")).getText()).includes("Locked automatically"), "no reason shown");
    // Nothing was ever kept in web storage.
    const stored = await b.executeAsync((done) => {
      const dbs = indexedDB.databases ? indexedDB.databases() : Promise.resolve([]);
      dbs.then((d) => done({ local: localStorage.length, session: sessionStorage.length, idb: d.length }));
    });
    assert(stored.local === 0 && stored.session === 0 && stored.idb === 0, `web storage used: ${JSON.stringify(stored)}`);
    await shot(b, "auto-locked");
    // Rust dropped the keys: commands are refused until unlocked.
    const r = await invoke(b, "list", { filter: {} });
    assert(r.err?.code === "locked", `list after auto-lock: ${JSON.stringify(r)}`);
  } finally {
    await closeApp(b);
  }
});

test("hostile note content renders inert", async (driver) => {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(req.url);
    res.end("hit");
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const payload = [
    "# Hostile",
    `<script>document.title='pwned';window.parent.__pwned=1;fetch('${base}/script')</script>`,
    `<img src="x" onerror="document.title='pwned';window.parent.__pwned=2;fetch('${base}/onerror')">`,
    `![remote](${base}/remote-image.png)`,
    `<img src="${base}/img-tag.png">`,
    `[click me](javascript:window.parent.__pwned=3)`,
    `<a href="javascript:window.parent.__pwned=4" id="jslink">js link</a>`,
    `<svg onload="window.parent.__pwned=5"><script>window.parent.__pwned=6</script><image href="${base}/svg-image"/></svg>`,
    `<iframe src="${base}/iframe"></iframe>`,
    `<iframe srcdoc="<script>parent.parent.__pwned=7</script>"></iframe>`,
    `<object data="${base}/object"></object><embed src="${base}/embed">`,
    `<style>@import url(${base}/css); body{background:url(${base}/bg)}</style>`,
    `<link rel="stylesheet" href="${base}/link-css">`,
    `<meta http-equiv="refresh" content="0;url=${base}/meta">`,
    `<form action="${base}/form"><button id="submit">go</button></form>`,
    `<details open ontoggle="window.parent.__pwned=8">x</details>`,
    `<video src="x" onerror="window.parent.__pwned=9"></video>`,
    `[loopback](${base}/link)`,
    `[your bank](https://bank.example.com@evil.example.net/login)`,
    "The end.",
  ].join("\n\n");
  const b = await openApp(driver, tempVault());
  try {
    await createVault(b);
    await newNote(b, "Hostile", "");
    await setBody(b, "Hostile", payload);
    await (await b.$("#mode-split")).click();
    // Wait until the preview shows the note and has finished loading everything it would load.
    await b.waitUntil(
      () =>
        b.execute(() => {
          const d = document.querySelector("iframe")?.contentDocument;
          return !!d && d.readyState === "complete" && (d.body?.innerText ?? "").includes("The end.");
        }),
      { timeoutMsg: "the preview never rendered" },
    );
    // Click every link in the preview: none may navigate or run anything.
    await b.execute(() => {
      const d = document.querySelector("iframe").contentDocument;
      d.querySelectorAll("a, button").forEach((a) => a.click());
    });
    await shot(b, "hostile");
    // The link that hides its host behind a user name is refused outright, with a reason.
    await clickInPreview(b, 'a[href^="https:"]');
    const toast = await b.$("#toast");
    await toast.waitForDisplayed({ timeoutMsg: "no word on the refused link" });
    assert((await toast.getText()).includes("names a user before its host"), `toast: ${await toast.getText()}`);
    // An https link asks first, in Coffer's own dialog (not one the page draws), naming the
    // real host; cancelled, nothing opens.
    const asking = invoke(b, "open_link", { url: "https://evil.example.net/login?next=/" });
    await answerDialog("Open evil.example.net?", "", "cancel", "link-dialog");
    const asked = await asking;
    assert(asked.ok === false, `a cancelled link: ${JSON.stringify(asked)}`);
    const state = await b.execute(() => {
      const d = document.querySelector("iframe").contentDocument;
      return {
        title: document.title,
        pwned: window.__pwned ?? null,
        frameTitle: d.title,
        // The head is the app's own (charset and style); the note is the body.
        active: [...d.body.querySelectorAll("script, iframe, object, embed, svg, style, link, meta, form, video")].map((e) => e.tagName),
        handlers: [...d.body.querySelectorAll("*")].flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith("on")),
        jsHrefs: [...d.querySelectorAll("a")].map((a) => a.getAttribute("href") ?? "").filter((h) => /^javascript:/i.test(h)),
        url: location.href,
      };
    });
    assert(state.title === "Coffer", `title changed to ${state.title}`);
    assert(state.pwned === null, `window.__pwned was set to ${state.pwned}`);
    assert(state.active.length === 0, `active elements survived: ${state.active}`);
    assert(state.handlers.length === 0, `event handlers survived: ${state.handlers}`);
    assert(state.jsHrefs.length === 0, `javascript: links survived: ${state.jsHrefs}`);
    assert(state.url.startsWith("tauri://localhost"), `the app navigated to ${state.url}`);
    assert(hits.length === 0, `the loopback server was hit: ${hits.join(", ")}`);
    // The window's CSP is in force: no eval, no inline scripts, no loads from elsewhere.
    const csp = await b.executeAsync((base, done) => {
      const out = {};
      try {
        out.eval = String((0, eval)("1+1"));
      } catch {
        out.eval = "blocked";
      }
      const s = document.createElement("script");
      s.textContent = "window.__inline = 1";
      document.head.appendChild(s);
      out.inline = window.__inline ? "ran" : "blocked";
      fetch(`${base}/csp-fetch`).then(() => done({ ...out, fetch: "sent" }), () => done({ ...out, fetch: "blocked" }));
    }, base);
    assert(csp.eval === "blocked" && csp.inline === "blocked" && csp.fetch === "blocked", `CSP: ${JSON.stringify(csp)}`);
    assert(hits.length === 0, `the loopback server was hit: ${hits.join(", ")}`);
    // The editor shows the payload as text.
    assert((await (await b.$(".cm-content")).getText()).includes("<script>"), "payload not shown as text");
  } finally {
    await closeApp(b);
    server.close();
  }
});

secretTests(test, assert);
hostileTests(test, assert);

registerSyncTests(test, assert);
registerMessagesTests(test, assert);

const only = process.env.E2E_ONLY;
const driver = await startDriver();
let passed = 0;
let failed = 0;
try {
  for (const t of tests) {
    if (only && !only.split("|").some((o) => t.name.includes(o))) continue;
    const started = Date.now();
    try {
      await t.fn(driver);
      passed++;
      console.log(`ok   ${t.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${t.name}\n     ${String(e?.stack ?? e).split("\n").slice(0, 6).join("\n     ")}`);
    }
  }
} finally {
  driver.stop();
}
if (failed) console.log(`tauri-driver said:\n${driver.stderr().slice(-3000)}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
