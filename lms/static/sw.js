/* Tadrib's service worker: see lms/offline/__init__.py. */
"use strict";
const ME = self.location, ROOT = new URL("../", ME).pathname, STATIC = ROOT + "static/", PAGES = "tadrib-pages";
const MISSING = ROOT + "offline/missing", HTML = {"Content-Type": "text/html; charset=utf-8"};
let db;
function idb() {
  return db || (db = new Promise((ok, ko) => {
    const r = indexedDB.open("tadrib-offline", 1);
    r.onupgradeneeded = () => { r.result.createObjectStore("packs", {keyPath: "slug"}); r.result.createObjectStore("state"); };
    r.onsuccess = () => ok(r.result);
    r.onerror = () => { db = null; ko(r.error); };
  }));
}
async function tx(store, mode, fn) {
  const d = await idb();
  return new Promise((ok, ko) => {
    const t = d.transaction(store, mode), r = fn(t.objectStore(store));
    t.oncomplete = () => ok(r.result);
    t.onerror = t.onabort = () => ko(t.error);
  });
}
const packs = () => tx("packs", "readonly", s => s.getAll());
const lang = () => tx("state", "readonly", s => s.get("lang"));
const setLang = l => tx("state", "readwrite", s => s.put(l, "lang"));
const box = slug => caches.open("tadrib-pack-" + slug);
function keyOf(u) { u = new URL(u, ME); u.searchParams.delete("locale"); return u.pathname + u.search; }
const ok = r => r && r.ok && r.type === "basic" && !r.redirected;
const copy = (r, body) => new Response(body, {headers: {"Content-Type": r.headers.get("Content-Type") || "text/html", "X-Stored": new Date().toISOString()}});
const plain = () => new Response("Offline. / Hors ligne. / غير متصل.", {status: 503, headers: {"Content-Type": "text/plain; charset=utf-8"}});
const esc = s => String(s).replace(/[&<>"]/g, c => "&#" + c.charCodeAt(0) + ";");

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", e => e.waitUntil(self.clients.claim()));
self.addEventListener("fetch", e => {
  const r = e.request, u = new URL(r.url);
  if (u.origin !== ME.origin) { return; }
  if (r.mode === "navigate") { e.respondWith(r.method === "GET" ? page(e, u) : post(r, u)); }
  else if (r.method === "GET" && u.pathname.startsWith(STATIC) && u.searchParams.has("v")) { e.respondWith(asset(r, u)); }
});

async function asset(r, u) {
  const c = await caches.open("tadrib-static"), hit = await c.match(r);
  if (hit) { return hit; }
  const res = await fetch(r);
  if (ok(res)) {  // one version per file
    for (const k of await c.keys()) { if (new URL(k.url).pathname === u.pathname) { await c.delete(k); } }
    await c.put(r, res.clone());
  }
  return res;
}

function find(all, key, want) {  // a page's stored entry: the current language first, else any
  let best;
  for (const p of all) {
    for (const e of p.entries) { if (e.key === key && (!best || (e.lang === want && best.e.lang !== want))) { best = {p, e}; } }
  }
  return best;
}

async function page(e, u) {  // a link that hangs (lie-fi): after 10 s, a stored copy if there is one
  const key = keyOf(u), net = fetch(e.request).then(res => {
    if (ok(res)) { e.waitUntil(keep(key, u, res.clone()).catch(() => {})); }
    return res;
  });
  const slow = new Promise(go => setTimeout(go, 1e4)).then(async () => (await stored(await packs(), key, await lang())) ? offline(key, u) : net);
  return Promise.race([net, slow]).catch(() => offline(key, u));
}

async function keep(key, u, res) {  // a stored page opened online: its copy follows
  if (/\/quizzes\/attempts\/\d+$/.test(u.pathname)) {
    return (await caches.open(PAGES)).put(u.pathname + u.search, copy(res, await res.arrayBuffer()));
  }
  const all = await packs();
  if (!find(all, key)) { return; }
  const html = await res.text(), l = (/<html lang="([a-z]+)"/.exec(html) || [])[1], hit = find(all, key, l);
  if (hit.e.lang === l) { await (await box(hit.p.slug)).put(hit.e.url, copy(res, html)); }
}

async function stored(all, key, want) {
  const hit = find(all, key, want), res = hit && await (await box(hit.p.slug)).match(hit.e.url);
  return res && {hit, res};
}

async function offline(key, u) {
  try {
    const all = await packs(), want = await lang();
    let s = await stored(all, key, want);
    if (s) { return rewrite(s, all, true); }
    const kept = await (await caches.open(PAGES)).match(u.pathname + u.search);
    if (kept) {  // a quiz page, with the banner
      const p = all.find(p => p.strings[want]) || all[0];
      return p ? rewrite({hit: {p, e: {key, lang: p.strings[want] ? want : p.languages[0]}}, res: kept}, all, true) : kept;
    }
    s = await stored(all, MISSING, want);
    return s ? rewrite(s, all, false) : plain();
  } catch (err) { return plain(); }
}

async function rewrite({hit, res}, all, banner) {
  if (!(res.headers.get("Content-Type") || "").startsWith("text/html")) { return res; }
  const at = res.headers.get("X-Stored") || hit.p.stored_at, l = hit.e.lang || hit.p.languages[0];
  const s = hit.p.strings[l] || {}, keys = new Set();
  all.forEach(p => p.entries.forEach(e => keys.add(e.key)));
  let html = (await res.text()).replace("<html ", `<html data-offline-copy="${esc(at)}" `);
  if (banner) {
    const date = new Intl.DateTimeFormat(s.intl || l, {dateStyle: "long", timeStyle: "short"}).format(new Date(at));
    html = html.replace(/<main id="main"[^>]*>/, m => `${m}<p class="offline-copy" role="status">${esc(s.copy.replace("{date}", date))}</p>`);
  }
  html = html.replace(/<a ([^>]*?)href="([^"#][^"]*)"/g, (a, attrs, href) => {
    const t = new URL(href.replace(/&amp;/g, "&"), ME.origin + hit.e.key);
    if (t.origin !== ME.origin || t.pathname.startsWith(STATIC) || keys.has(keyOf(t))) { return a; }
    return `<a data-offline-missing="${esc(s.missing)}" ${attrs}href="${href}"`;
  });
  return new Response(html, {headers: HTML});
}

async function post(r, u) {  // a form sent offline: the language switch works; anything else: nothing was sent
  const body = r.clone();
  try { return await fetch(r); } catch (err) { /* offline */ }
  try {
    if (u.pathname === ROOT + "language") {
      const f = await body.formData(), next = String(f.get("next") || "");
      await setLang(f.get("lang"));
      return new Response(null, {status: 303, headers: {Location: /^\/(?!\/)/.test(next) ? keyOf(next) : ROOT}});
    }
    const s = await stored(await packs(), MISSING + "?kind=action", await lang());
    return s ? new Response(await s.res.text(), {status: 503, headers: HTML}) : plain();
  } catch (err) { return plain(); }
}

let queue = Promise.resolve();
const serial = fn => (queue = queue.then(fn, fn));

// Store or refresh a course: entries whose version changed; a 404 manifest (course closed) removes it.
async function sync(url, tell) {
  const res = await fetch(url, {credentials: "same-origin", cache: "no-store"});
  if (res.status === 404) {
    const gone = (await packs()).find(p => p.manifest === url);
    return gone && unpack(gone.slug);
  }
  if (!ok(res)) { throw new Error("manifest " + res.status); }
  const m = await res.json(), before = await tx("packs", "readonly", s => s.get(m.course)), c = await box(m.course);
  const old = new Map(((before || {}).entries || []).map(e => [e.url, e])), entries = [];
  let n = 0, changed = !before;
  for (const e of m.entries) {
    const o = old.get(e.url);
    old.delete(e.url);
    if (o && o.version === e.version && await c.match(e.url)) { e.bytes = o.bytes; entries.push(e); }
    else {
      changed = true;
      const r = await fetch(e.url, {credentials: "same-origin"});
      if (ok(r)) {  // not ok: e.g. a certificate waiting for a survey answer
        const b = await r.arrayBuffer();
        e.bytes = b.byteLength;
        entries.push(e);
        await c.put(e.url, copy(r, b));
      }
    }
    tell(++n, m.entries.length);
  }
  for (const k of old.keys()) { changed = true; await c.delete(k); }
  const st = await caches.open("tadrib-static");
  for (const a of m.assets) { if (!await st.match(a)) { await st.add(a); } }
  const meta = {
    slug: m.course, title: m.title, manifest: url, version: m.version, languages: m.languages, strings: m.strings, entries,
    stored_at: changed ? new Date().toISOString() : before.stored_at,
    bytes: entries.reduce((t, e) => t + e.bytes, 0), count: new Set(entries.map(e => e.key)).size,
  };
  await tx("packs", "readwrite", s => s.put(meta));
  return meta;
}

async function unpack(slug) {
  await caches.delete("tadrib-pack-" + slug);
  await tx("packs", "readwrite", s => s.delete(slug));
}

async function store(urls) {  // pages asked for by a page (a quiz attempt's other pages)
  const c = await caches.open(PAGES);
  for (const url of urls || []) {
    const u = new URL(url, ME), r = u.origin === ME.origin && await fetch(u, {credentials: "same-origin"});
    if (ok(r)) { await c.put(u.pathname + u.search, copy(r, await r.arrayBuffer())); }
  }
}

async function refresh() {
  for (const p of await packs()) { await sync(p.manifest, () => {}).catch(() => {}); }
}

self.addEventListener("message", e => {
  const d = e.data || {}, port = e.ports[0], say = x => port && port.postMessage(x);
  const job = {
    lang: () => setLang(d.lang),
    pack: () => serial(() => sync(d.url, (n, total) => say({n, total}))),
    unpack: () => serial(() => unpack(d.slug)),
    refresh: () => serial(refresh),
    store: () => store(d.urls),
  }[d.type];
  if (job) { e.waitUntil(job().then(meta => say({done: true, meta}), err => say({error: String(err)}))); }
});
