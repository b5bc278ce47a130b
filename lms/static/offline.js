/* The offline UI (issue #22): the course page's "Make available offline" block and the list of the
   /offline page. Every sentence comes from the page (data-strings); the service worker (sw.js) does the
   storing. Without a service worker nothing shows but the page's own explanation. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !document.documentElement.getAttribute("data-sw")) { return; }

  function metas() {  // the stored packs, read from the service worker's database
    return new Promise(function (ok) {
      var r = indexedDB.open("tadrib-offline", 1);
      r.onupgradeneeded = function () { r.result.createObjectStore("packs", {keyPath: "slug"}); r.result.createObjectStore("state"); };
      r.onerror = function () { ok([]); };
      r.onsuccess = function () {
        var get = r.result.transaction("packs").objectStore("packs").getAll();
        get.onsuccess = function () { ok(get.result); r.result.close(); };
        get.onerror = function () { ok([]); r.result.close(); };
      };
    });
  }

  function ask(message, progress) {  // a message to the service worker, answered through a channel
    return navigator.serviceWorker.ready.then(function (reg) {
      return new Promise(function (ok, ko) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (e) {
          if (e.data.error) { ko(new Error(e.data.error)); } else if (e.data.done) { ok(e.data.meta); } else if (progress) { progress(e.data); }
        };
        reg.active.postMessage(message, [channel.port2]);
      });
    });
  }

  function formatter(box) {
    var intl = box.getAttribute("data-intl") || document.documentElement.lang;
    var strings = JSON.parse(box.getAttribute("data-strings"));
    // Arabic's short unit ("م.ب") is little known: the unit's name in full there
    var size = new Intl.NumberFormat(intl, {style: "unit", unit: "megabyte", maximumFractionDigits: 1,
      unitDisplay: intl.slice(0, 2) === "ar" ? "long" : "short"});
    var date = new Intl.DateTimeFormat(intl, {dateStyle: "long"});
    return {
      t: strings,
      size: function (bytes) { return size.format(Math.max(bytes / 1e6, 0.1)); },
      date: function (iso) { return date.format(new Date(iso)); },
      fill: function (text, values) { return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; }); }
    };
  }

  // The course page: make available offline / storing n of N / available · size · date, remove.
  var block = document.querySelector("[data-offline-pack]");
  if (block) {
    var f = formatter(block), slug = block.getAttribute("data-slug"), url = block.getAttribute("data-offline-pack");
    var status = block.querySelector("[data-offline-status]");
    var make = block.querySelector("[data-offline-act=pack]"), remove = block.querySelector("[data-offline-act=unpack]");
    var show = function (meta) {
      status.textContent = meta ? f.fill(f.t.available, {size: f.size(meta.bytes), date: f.date(meta.stored_at)}) : "";
      make.hidden = !!meta;
      remove.hidden = !meta;
    };
    navigator.serviceWorker.ready.then(function () {
      return metas();
    }).then(function (all) {
      block.hidden = false;
      show(all.filter(function (m) { return m.slug === slug; })[0]);
    });
    make.addEventListener("click", function () {
      make.disabled = true;
      status.textContent = f.fill(f.t.storing, {n: 0, total: "…"});
      ask({type: "pack", url: url}, function (p) {
        // a live region: said about every tenth of the way, not at each of fifty pages
        if (p.n === 1 || p.n === p.total || p.n % Math.max(1, Math.round(p.total / 10)) === 0) {
          status.textContent = f.fill(f.t.storing, {n: p.n, total: p.total});
        }
      }).then(show, function () {
        status.textContent = f.t.failed;
      }).then(function () { make.disabled = false; });
    });
    remove.addEventListener("click", function () {
      ask({type: "unpack", slug: slug}).then(function () { show(null); status.textContent = f.t.removed; make.focus(); });
    });
  }

  // The /offline page: what this device stores, with Update and Remove.
  var list = document.querySelector("[data-offline-list]");
  if (list) {
    var g = formatter(list), items = list.querySelector("[data-offline-items]");
    var el = function (tag, text, cls) {
      var node = document.createElement(tag);
      if (text !== undefined) { node.textContent = text; }
      if (cls) { node.className = cls; }
      return node;
    };
    var render = function (all) {
      list.querySelector("[data-offline-needs]").hidden = true;
      list.querySelector("[data-offline-empty]").hidden = all.length > 0;
      items.hidden = !all.length;
      items.textContent = "";
      all.sort(function (a, b) { return a.title.localeCompare(b.title); }).forEach(function (meta) {
        var li = el("li", undefined, "card offline-item");
        var title = el("h2");
        var link = el("a", meta.title);
        link.href = meta.entries[0] ? meta.entries[0].key : meta.manifest;
        link.dir = "auto";
        title.appendChild(link);
        li.appendChild(title);
        var facts = el("dl", undefined, "facts");
        [[g.t.stored_on, g.date(meta.stored_at)], [g.t.size, g.size(meta.bytes)], [g.t.pages, String(meta.count)]].forEach(function (pair) {
          facts.appendChild(el("dt", pair[0]));
          facts.appendChild(el("dd", pair[1]));
        });
        li.appendChild(facts);
        var note = el("p", "", "offline-status");
        note.setAttribute("role", "status");
        var actions = el("p", undefined, "actions");
        var update = el("button", g.t.update, "button");
        var drop = el("button", g.t.remove, "link-button");
        update.type = drop.type = "button";
        update.addEventListener("click", function () {
          update.disabled = true;
          ask({type: "pack", url: meta.manifest}, function (p) {
            note.textContent = g.fill(g.t.storing, {n: p.n, total: p.total});
          }).then(function () { return metas(); }).then(render, function () {
            note.textContent = g.t.failed;
            update.disabled = false;
          });
        });
        drop.addEventListener("click", function () {
          ask({type: "unpack", slug: meta.slug}).then(metas).then(render);
        });
        actions.appendChild(update);
        actions.appendChild(document.createTextNode(" "));
        actions.appendChild(drop);
        li.appendChild(actions);
        li.appendChild(note);
        items.appendChild(li);
      });
    };
    navigator.serviceWorker.ready.then(metas).then(render);
  }
})();
