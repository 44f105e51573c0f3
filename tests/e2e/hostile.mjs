// Hostile content through every path of the app that shows user text besides the preview of a
// note's body: note titles, tags, notebook names, search snippets, the palette, backlinks, the
// revision list and the history diff. The payloads are the renderer test's
// (tests/data/hostile/payloads.json). Each place must show them as text: no script runs (a
// canary on the window), no request reaches a loopback server, the app does not navigate, no
// element or event handler is created from them, and the text shown is the payload itself.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT, openApp, tempVault, createVault, invoke, listTitles, clickNote, shot, closeApp } from "./harness.mjs";

const PAYLOADS = JSON.parse(readFileSync(path.join(ROOT, "tests/data/hostile/payloads.json"), "utf8")).payloads;

/** The payloads with their placeholders aimed at this machine: script sets `top.__pwned` to
 * the payload's number, URLs point at `base` with the payload's number in the path. */
export function armedPayloads(base) {
  return PAYLOADS.map((p, i) =>
    p
      .replaceAll("{{JS_ENTITY}}", `&#116;op.__pwned=${i + 1}`)
      .replaceAll("{{JS}}", `top.__pwned=${i + 1}`)
      .replaceAll("{{HTTP_URL}}", `${base}/p${i + 1}`)
      .replaceAll("{{URL}}", `${base}/p${i + 1}`),
  );
}

/** A loopback server that records every request it gets. */
export async function canaryServer() {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(req.url);
    res.end("hit");
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { base: `http://127.0.0.1:${server.address().port}`, hits, close: () => server.close() };
}

// What coffer_core does to names (ops.rs clean_title, note.rs clean_tag, ops.rs clean_notebook).
const words = (s) => s.split(/\s+/).filter(Boolean);
const cleanTitle = (s) => words(s).join(" ") || "Untitled";
const cleanTag = (s) => words(s.trim().replace(/^#+/, "")).join("-");
// Notebooks nest by "/": each part is tidied, empty parts dropped; the sidebar shows the last.
const cleanNotebook = (s) => s.split("/").map((part) => words(part).join(" ")).filter(Boolean).join("/");
// Snippets are plain text (note.rs plain_line): emphasis, code and wiki-link marks are left out.
const plain = (s) => ["**", "__", "`", "[[", "]]"].reduce((t, m) => t.split(m).join(""), s);
const notebookLabel = (s) => cleanNotebook(s).split("/").pop();

/** Checks the main window: nothing ran, nothing navigated, and no element or handler came
 * from a payload. Returns a list of problems (empty when all is well). */
async function problems(b, server, where) {
  const s = await b.execute(() => {
    const frame = document.querySelector(".preview iframe");
    const all = [...document.querySelectorAll("*")];
    return {
      pwned: window.__pwned ?? null,
      title: document.title,
      url: location.href,
      // Svelte attaches listeners with addEventListener: an on* attribute can only come from markup.
      handlers: all.flatMap((e) => [...e.attributes].map((a) => `${e.tagName}[${a.name}]`)).filter((n) => /\[on/i.test(n)),
      // Elements the app never makes itself, or makes only in known places.
      foreign: all
        .filter((e) => {
          const t = e.tagName.toLowerCase();
          if (["object", "embed", "base", "video", "audio", "source", "marquee", "details", "frame", "frameset", "math", "picture", "body"].includes(t))
            return e !== document.body;
          if (t === "iframe") return e !== frame;
          if (t === "script" || t === "link" || t === "meta" || t === "style") return e.closest("head") === null && !(e.getAttribute("src") ?? "").startsWith("/assets/");
          if (t === "img") return e.getAttribute("src") !== "/icon.png";
          if (t === "a") return true;
          if (e.closest("svg")) return !["svg", "path", "rect", "circle", "line", "polyline"].includes(t);
          return false;
        })
        .map((e) => e.outerHTML.slice(0, 120)),
      // Frames inside the preview's document (it holds the rendered note).
      frameActive: frame?.contentDocument
        ? [...frame.contentDocument.body.querySelectorAll("script, iframe, object, embed, svg, style, link, meta, form, video, audio, base")].map((e) => e.tagName)
        : [],
    };
  });
  const out = [];
  if (s.pwned !== null) out.push(`a payload's script ran (window.__pwned = ${s.pwned})`);
  if (s.title !== "Coffer") out.push(`the window title changed to ${s.title}`);
  if (!s.url.startsWith("tauri://localhost")) out.push(`the app navigated to ${s.url}`);
  if (s.handlers.length) out.push(`event-handler attributes: ${s.handlers.slice(0, 5).join(", ")}`);
  if (s.foreign.length) out.push(`elements from payloads: ${s.foreign.slice(0, 3).join(" | ")}`);
  if (s.frameActive.length) out.push(`active elements in the preview: ${s.frameActive.join(", ")}`);
  if (server.hits.length) out.push(`the loopback server was hit: ${server.hits.slice(0, 5).join(", ")}`);
  return out.map((p) => `${where}: ${p}`);
}

/** Makes a note, opens it and shows its preview beside the editor. */
async function openInSplit(b, assert, title, body) {
  const r = await invoke(b, "create", { note: { title, body, tags: [], notebook: null, pinned: false } });
  assert(r.ok, `create: ${JSON.stringify(r.err)}`);
  // The list reloads when its view changes.
  await (await b.$("#view-pinned")).click();
  await (await b.$("#view-all")).click();
  await b.waitUntil(async () => (await listTitles(b)).includes(title), { timeout: 30000, timeoutMsg: `${title} is not listed` });
  await clickNote(b, title);
  await (await b.$("#mode-split")).click();
}

export function hostileTests(test, assert) {
  test("a note nested 20,000 deep previews as too complex, and the app still locks at once", async (driver) => {
    const b = await openApp(driver, tempVault());
    try {
      await createVault(b);
      await openInSplit(b, assert, "Deep list", "- ".repeat(20000));
      await b.waitUntil(
        () => b.execute(() => (document.querySelector(".preview iframe")?.contentDocument?.body?.innerText ?? "").includes("too complex to preview")),
        { timeout: 20000, timeoutMsg: "the preview does not say the text is too complex" },
      );
      await shot(b, "too-complex");
      // The preview is rendered outside the session lock: locking answers at once.
      const started = Date.now();
      await (await b.$("#lock")).click();
      await (await b.$("#passphrase")).waitForDisplayed({ timeout: 10000 });
      console.log(`    locked ${Date.now() - started} ms after the click`);
    } finally {
      await closeApp(b);
    }
  });

  test("raw HTML left open cannot hide the rest of the note in the preview", async (driver) => {
    const b = await openApp(driver, tempVault());
    try {
      await createVault(b);
      // Each of these, left open, would fold away, link or drop all that follows it.
      const body = 'Before\n\n<details>\n\nMiddle <a href="https://evil.example">link\n\n<div title="\n\n<!--\n\nAfter **the end**\n';
      await openInSplit(b, assert, "Left open", body);
      const seen = async () =>
        b.execute(() => {
          const doc = document.querySelector(".preview iframe")?.contentDocument;
          const strong = [...(doc?.querySelectorAll("strong") ?? [])].find((e) => e.textContent === "the end");
          return strong
            ? { shown: strong.getClientRects().length > 0, inside: strong.closest("details, a, textarea, template")?.tagName ?? null }
            : null;
        });
      await b.waitUntil(async () => (await seen()) !== null, { timeout: 20000, timeoutMsg: "the end of the note is not in the preview" });
      const s = await seen();
      assert(s.shown && s.inside === null, `the end of the note is hidden: ${JSON.stringify(s)}`);
      await shot(b, "raw-html-left-open");
    } finally {
      await closeApp(b);
    }
  });

  test("hostile titles, tags, notebooks, snippets and diffs render inert", async (driver) => {
    const server = await canaryServer();
    const payloads = armedPayloads(server.base);
    const found = [];
    const check = async (where) => found.push(...(await problems(b, server, where)));
    const b = await openApp(driver, tempVault());
    try {
      await createVault(b);
      // The checker itself sees markup that came from text: an element with a handler, put in
      // the page for a moment.
      await b.execute(() => {
        const d = document.createElement("div");
        d.id = "checker-self-test";
        d.innerHTML = '<img src="nothing.png" onerror="void 0"><a href="#">x</a>';
        document.body.append(d);
      });
      const seen = await problems(b, server, "self-test");
      await b.execute(() => document.querySelector("#checker-self-test").remove());
      assert(seen.some((p) => p.includes("event-handler")) && seen.some((p) => p.includes("elements from payloads")), `the checker missed injected markup: ${seen}`);
      assert((await problems(b, server, "self-test")).length === 0, "the checker reports a clean page");
      // A note every hostile note links to: its backlinks list their (hostile) titles.
      const target = await invoke(b, "create", { note: { title: "Link target", body: "Linked from many.", tags: [], notebook: null, pinned: false } });
      assert(target.ok, `create: ${JSON.stringify(target)}`);
      for (const [i, p] of payloads.entries()) {
        const body = `zqxv ${i + 1} ${p}\n\nSee [[Link target]].`;
        const r = await invoke(b, "create", { note: { title: p, body, tags: [p, `t${i + 1}`], notebook: p, pinned: false } });
        assert(r.ok, `create of payload ${i + 1}: ${JSON.stringify(r)}`);
      }
      // One note whose body is every payload, then changed line by line: its diff shows them all.
      const all = payloads.join("\n");
      const d = await invoke(b, "create", { note: { title: payloads[0], body: all, tags: [], notebook: null, pinned: false } });
      assert(d.ok, `create: ${JSON.stringify(d)}`);
      const changed = all.split("\n").map((l) => `changed ${l}`).join("\n");
      const u = await invoke(b, "update", { id: d.ok, change: { title: "Diff of payloads", body: changed } });
      assert(u.ok, `update: ${JSON.stringify(u)}`);

      // The notes list: every title as text.
      await (await b.$("#view-pinned")).click();
      await (await b.$("#view-all")).click();
      await b.waitUntil(async () => (await listTitles(b)).length === payloads.length + 2, { timeoutMsg: "the notes are not listed", timeout: 30000 });
      const titles = await listTitles(b);
      for (const p of payloads) assert(titles.includes(cleanTitle(p)), `title not shown as text: ${JSON.stringify(cleanTitle(p))}`);
      const excerpts = await b.execute(() => [...document.querySelectorAll(".items .item .snippet")].map((e) => e.textContent));
      assert(excerpts.some((e) => e.includes("zqxv 1 ")), "excerpts not shown");
      await check("notes list");
      await shot(b, "hostile-list");

      // The sidebar: every tag and notebook name as text; open each tag's and notebook's view.
      const side = await b.execute(() => ({
        tags: [...document.querySelectorAll(".sidebar .tag .name")].map((e) => e.textContent),
        notebooks: [...document.querySelectorAll(".sidebar li.notebook")].map((e) => e.dataset.notebook),
        labels: [...document.querySelectorAll(".sidebar li.notebook .name")].map((e) => e.textContent),
      }));
      for (const p of payloads) {
        assert(side.tags.includes(cleanTag(p)), `tag not shown as text: ${JSON.stringify(cleanTag(p))}`);
        assert(side.notebooks.includes(cleanNotebook(p)), `notebook not listed: ${JSON.stringify(cleanNotebook(p))}`);
        assert(side.labels.includes(notebookLabel(p)), `notebook not shown as text: ${JSON.stringify(notebookLabel(p))}`);
      }
      await check("sidebar");
      await shot(b, "hostile-sidebar");
      for (const [i, p] of payloads.entries()) {
        const want = `#${cleanTag(p)}`;
        await b.execute((name) => [...document.querySelectorAll(".sidebar .tag")].find((e) => e.dataset.tag === name)?.click(), cleanTag(p));
        await b.waitUntil(async () => (await b.execute(() => document.querySelector(".list h2")?.textContent)) === want, {
          timeoutMsg: `the view of tag ${i + 1} is not titled ${want}`,
        });
        await b.execute(
          (name) => [...document.querySelectorAll(".sidebar li.notebook")].find((e) => e.dataset.notebook === name)?.querySelector("button")?.click(),
          cleanNotebook(p),
        );
        await b.waitUntil(async () => (await b.execute(() => document.querySelector(".list h2")?.textContent)) === cleanNotebook(p), {
          timeoutMsg: `the view of notebook ${i + 1} is not titled with its name`,
        });
      }
      await check("tag and notebook views");
      await (await b.$("#view-all")).click();
      await b.waitUntil(async () => (await listTitles(b)).length === payloads.length + 2, { timeoutMsg: "all notes are not listed again" });

      // A note: its title field, tag chips and notebook field hold the payload as text.
      await clickNote(b, cleanTitle(payloads[5]));
      // Read without throwing while the note pane is still being built (it may not exist yet).
      await b.waitUntil(async () => (await b.execute(() => document.querySelector("#note-title")?.value ?? null)) === cleanTitle(payloads[5]), { timeoutMsg: "note not opened" });
      const pane = await b.execute(() => ({
        chips: [...document.querySelectorAll(".meta .chip")].map((e) => e.firstChild?.textContent ?? ""),
        notebook: document.querySelector("#note-notebook")?.value,
      }));
      assert(pane.chips.includes(`#${cleanTag(payloads[5])}`), `tag chip: ${JSON.stringify(pane.chips)}`);
      assert(pane.notebook === cleanNotebook(payloads[5]), `notebook field: ${pane.notebook}`);
      await check("note pane");

      // Backlinks: the link target lists every hostile title as text.
      await clickNote(b, "Link target");
      await (await b.$("#backlinks")).waitForDisplayed({ timeoutMsg: "no backlinks" });
      const back = await b.execute(() => [...document.querySelectorAll("#backlinks .link")].map((e) => e.textContent));
      for (const p of payloads) assert(back.includes(cleanTitle(p)), `backlink not shown as text: ${JSON.stringify(cleanTitle(p))}`);
      await check("backlinks");
      await shot(b, "hostile-backlinks");

      // Search: hit titles and snippets with highlighted matches.
      await (await b.$("#search")).setValue("zqxv");
      await b.waitUntil(async () => (await b.$$(".items .item.hit")).length >= 40, { timeoutMsg: "no search hits" });
      const hits = await b.execute(() => [...document.querySelectorAll(".items .item.hit")].map((e) => ({
        title: e.querySelector(".name").textContent,
        snippet: e.querySelector(".snippet").textContent,
        marks: e.querySelectorAll(".snippet mark").length,
      })));
      assert(hits.every((h) => h.marks >= 1), "a snippet has no highlighted match");
      const numbered = new Map(payloads.map((p, i) => [`zqxv ${i + 1} `, p]));
      let snippetsChecked = 0;
      for (const h of hits) {
        const m = /zqxv (\d+) /.exec(h.snippet);
        if (!m) continue;
        const p = numbered.get(`zqxv ${m[1]} `);
        assert(h.title === cleanTitle(p), `hit title ${JSON.stringify(h.title)} for payload ${m[1]}`);
        // The snippet holds the payload's first word as text (snippets are cut to a window).
        assert(h.snippet.includes((words(plain(p))[0] ?? "").slice(0, 20)), `snippet of payload ${m[1]}: ${JSON.stringify(h.snippet)}`);
        snippetsChecked++;
      }
      assert(snippetsChecked >= 40, `only ${snippetsChecked} snippets checked`);
      await check("search results");
      await shot(b, "hostile-search");
      // Matches inside hostile titles are highlighted too.
      await (await b.$("#search")).setValue("script");
      await b.waitUntil(async () => (await b.$$(".items .item.hit .name mark")).length > 0, { timeoutMsg: "no title match highlighted" });
      await check("search in titles");
      // Emptied as a person would (WebDriver's clear sends no input event).
      await b.execute(() => document.querySelector("#search").select());
      await b.keys("Backspace");
      await b.waitUntil(async () => (await b.$$(".items .item.hit")).length === 0, { timeoutMsg: "search not cleared" });

      // The palette lists hostile titles as text.
      await b.keys(["Control", "k"]);
      await (await b.$("#palette-input")).setValue("onerror");
      await b.waitUntil(
        async () => (await b.execute(() => [...document.querySelectorAll('[role="option"] span:first-child')].map((e) => e.textContent))).some((t) => t.includes("<img src=x onerror=")),
        { timeoutMsg: "the palette does not list the hostile titles as text" },
      );
      await check("palette");
      await shot(b, "hostile-palette");
      await b.keys("Escape");

      // History: the revision list and the diff show every payload as text.
      await clickNote(b, "Diff of payloads");
      await (await b.$("#mode-split")).click();
      await b.waitUntil(
        () => b.execute(() => {
          const doc = document.querySelector(".preview iframe")?.contentDocument;
          return !!doc && doc.readyState === "complete" && (doc.body?.innerText ?? "").includes("changed");
        }),
        { timeoutMsg: "the preview never rendered" },
      );
      await check("preview of every payload");
      await (await b.$("#history-note")).click();
      const diff = await b.$("#history-diff");
      await diff.waitForDisplayed();
      await b.waitUntil(async () => (await b.execute(() => document.querySelector("#history-diff")?.textContent ?? "")).includes("changed"), {
        timeoutMsg: "the diff is not shown",
      });
      const shown = await b.execute(() => ({
        diff: [...document.querySelectorAll("#history-diff .line")].map((e) => e.textContent),
        legend: document.querySelector(".legend")?.textContent ?? "",
        revs: [...document.querySelectorAll(".revs .rev")].map((e) => e.textContent),
      }));
      for (const line of all.split("\n")) {
        assert(shown.diff.includes(`− ${line}`), `removed line not shown as text: ${JSON.stringify(line)}`);
        assert(shown.diff.includes(`+ changed ${line}`), `added line not shown as text: ${JSON.stringify(line)}`);
      }
      assert(shown.legend.includes(`Title then: “${cleanTitle(payloads[0])}”`), `old title: ${shown.legend}`);
      assert(shown.revs.some((r) => r.includes(cleanTitle(payloads[0]))), "the old title is not in the revision list");
      await check("history");
      await shot(b, "hostile-history");

      assert(found.length === 0, `\n  ${found.join("\n  ")}`);
    } finally {
      await closeApp(b);
      server.close();
    }
  });
}
