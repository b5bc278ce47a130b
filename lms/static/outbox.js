/* Quiz answers kept on this device until the server has them (the outbox pattern).

   Every change of an answer is first written to IndexedDB "tadrib-answers": an entry of the store "outbox" (its
   idempotency key, the page's save number "seq", the answer's fields, the number each answer was based on) and the
   answer itself in "answers" (id "<attempt>/<question>", sent or not). Then the outbox is sent in order, one entry
   at a time, each with its key: an entry sent twice (the answer lost on the way) is applied once by the server.
   localStorage "tadrib-outbox" holds the number of entries waiting (read synchronously at sign-out).

   window.TadribOutbox: count() -> Promise<n>, flush() -> Promise<n left>, forget() -> Promise; for quiz.js also
   ready(), add(entry, answers), answers(attempt), listen(fn). */
(function () {
  "use strict";
  var NAME = "tadrib-answers";
  var COUNT = "tadrib-outbox";
  var opened = null;
  var listeners = [];
  var running = null;
  var queued = null;

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function done(tx) {
    return new Promise(function (resolve, reject) {
      tx.oncomplete = function () { resolve(); };
      tx.onerror = tx.onabort = function () { reject(tx.error); };
    });
  }
  function open() {
    if (opened) { return opened; }
    opened = new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var req;
      try { req = window.indexedDB.open(NAME, 1); } catch (error) { reject(error); return; }
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("outbox")) { db.createObjectStore("outbox", { autoIncrement: true }); }
        if (!db.objectStoreNames.contains("answers")) { db.createObjectStore("answers", { keyPath: "id" }); }
      };
      req.onsuccess = function () {
        var db = req.result;
        db.onversionchange = function () { db.close(); opened = null; };
        resolve(db);
      };
      req.onerror = function () { reject(req.error); };
      req.onblocked = function () { reject(new Error("blocked")); };
    });
    opened.catch(function () { opened = null; });
    return opened;
  }
  function remember(n) {
    try { window.localStorage.setItem(COUNT, String(n)); } catch (error) { /* storage full or refused */ }
    return n;
  }
  function count() {
    return open().then(function (db) {
      return request(db.transaction("outbox").objectStore("outbox").count());
    }).then(remember);
  }
  function emit(event) {
    listeners.forEach(function (fn) { try { fn(event); } catch (error) { /* a listener's own failure */ } });
  }

  /* Store one change: the outbox entry and the answers it carries ({qid: fields}), in one transaction. */
  function add(entry, answers) {
    // counted at once (a sign-out right after a change sees it), then recounted from the store
    try { remember((parseInt(window.localStorage.getItem(COUNT), 10) || 0) + 1); } catch (error) { /* refused */ }
    return open().then(function (db) {
      var tx = db.transaction(["outbox", "answers"], "readwrite");
      tx.objectStore("outbox").add(entry);
      Object.keys(answers).forEach(function (qid) {
        tx.objectStore("answers").put({ id: entry.attempt + "/" + qid, fields: answers[qid], seq: entry.seq,
                                        sent: false });
      });
      return done(tx);
    }).then(count);
  }
  /* The answers stored for an attempt: {qid: {fields, seq, sent}}. */
  function answersOf(attempt) {
    return open().then(function (db) {
      var prefix = attempt + "/";
      var range = window.IDBKeyRange.bound(prefix, prefix + "\uffff");
      return request(db.transaction("answers").objectStore("answers").getAll(range)).then(function (rows) {
        var found = {};
        rows.forEach(function (row) { found[row.id.slice(prefix.length)] = row; });
        return found;
      });
    });
  }
  function first(db) {
    return new Promise(function (resolve, reject) {
      var req = db.transaction("outbox").objectStore("outbox").openCursor();
      req.onsuccess = function () {
        var cursor = req.result;
        resolve(cursor ? { id: cursor.key, entry: cursor.value } : null);
      };
      req.onerror = function () { reject(req.error); };
    });
  }
  /* The entry is answered: remove it; its answers are sent (or, refused, dropped: the server keeps another). */
  function settle(db, item, body) {
    var tx = db.transaction(["outbox", "answers"], "readwrite");
    tx.objectStore("outbox").delete(item.id);
    var store = tx.objectStore("answers");
    var stored = (body && body.stored) || {};
    var refused = (body && body.refused) || [];
    item.entry.qids.forEach(function (qid) {
      var id = item.entry.attempt + "/" + qid;
      var req = store.get(id);
      req.onsuccess = function () {
        var row = req.result;
        if (!row || row.seq !== item.entry.seq) { return; }  // a newer change of this answer waits behind
        if (refused.indexOf(qid) >= 0 || !(qid in stored)) { store.delete(id); return; }
        row.sent = true;
        store.put(row);
      };
    });
    return done(tx);
  }
  /* Remove every entry of an attempt (the server no longer accepts its answers); how many there were. */
  function dropAttempt(db, attempt) {
    return new Promise(function (resolve, reject) {
      var tx = db.transaction(["outbox", "answers"], "readwrite");
      var dropped = 0;
      var req = tx.objectStore("outbox").openCursor();
      req.onsuccess = function () {
        var cursor = req.result;
        if (!cursor) { return; }
        if (cursor.value.attempt === attempt) {
          dropped += 1;
          cursor.value.qids.forEach(function (qid) {
            tx.objectStore("answers").delete(attempt + "/" + qid);
          });
          cursor.delete();
        }
        cursor.continue();
      };
      tx.oncomplete = function () { resolve(dropped); };
      tx.onerror = tx.onabort = function () { reject(tx.error); };
    });
  }
  function currentToken() {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : null;
  }
  function post(entry, token, remap) {
    var data = new FormData();
    data.append("csrf_token", token);
    data.append("seq", String(entry.seq));
    data.append("key", entry.key);
    entry.qids.forEach(function (qid) {
      data.append("shown", qid);
      var base = entry.bases[qid];
      var moved = remap[entry.attempt + "/" + qid];
      if (moved && moved.from === base) { base = moved.to; }
      if (base !== undefined && base !== null) { data.append("base-" + qid, String(base)); }
    });
    entry.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
    return fetch(entry.url, { method: "POST", body: data, credentials: "same-origin", redirect: "manual",
                              headers: { "Accept": "application/json", "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 0) { return { status: "signin" }; }
        return response.json().then(function (body) {
          return { status: response.status, body: body };
        }, function () { return { status: response.status, body: {} }; });
      });
  }

  /* Send the entries in order until none is left or one cannot be sent now. */
  function run() {
    var report = { left: 0, problem: null };
    var remap = {};  // an answer stored with another number than its entry's: later entries based on it follow
    var tokens = {};  // a page token refused (expired): the current page's token instead, once
    return open().then(function (db) {
      function step() {
        return first(db).then(function (item) {
          if (!item) { return null; }
          var entry = item.entry;
          var token = tokens[entry.csrf] || entry.csrf;
          return post(entry, token, remap).then(function (outcome) {
            if (outcome.status === "signin") { report.problem = "signin"; return null; }
            var body = outcome.body || {};
            if (outcome.status === 400 && body.error === "csrf") {
              var fresh = currentToken();
              // Refused with the current page's token too: the session that issued it has ended.
              if (tokens[entry.csrf] || !fresh || fresh === entry.csrf) { report.problem = "signin"; return null; }
              tokens[entry.csrf] = fresh;
              return step();
            }
            if (outcome.status === 200) {
              Object.keys(body.stored || {}).forEach(function (qid) {
                if (body.stored[qid] !== entry.seq) {
                  remap[entry.attempt + "/" + qid] = { from: entry.seq, to: body.stored[qid] };
                }
              });
              return settle(db, item, body).then(function () {
                emit({ type: "sent", entry: entry, body: body });
                return step();
              });
            }
            if (outcome.status === 409 && body.closed) {
              return dropAttempt(db, entry.attempt).then(function (dropped) {
                emit({ type: "closed", attempt: entry.attempt, dropped: dropped, body: body });
                return step();
              });
            }
            if (outcome.status === 400 || outcome.status === 403 || outcome.status === 404) {
              // never accepted (not this person's attempt, a malformed entry): sending it again would not help
              return settle(db, item, null).then(function () {
                emit({ type: "dropped", entry: entry, body: body });
                return step();
              });
            }
            report.problem = "server";
            return null;
          }, function () { report.problem = "network"; return null; });
        });
      }
      return step();
    }).then(count).then(function (left) {
      report.left = left;
      emit({ type: "done", left: left, problem: report.problem });
      return report;
    });
  }
  function flush() {
    if (queued) { return queued; }
    if (running) {
      queued = running.then(function () { queued = null; return flush(); });
      return queued;
    }
    running = run().then(function (report) { running = null; return report.left; },
                         function (error) { running = null; throw error; });
    return running;
  }
  function forget() {
    try { window.localStorage.removeItem(COUNT); } catch (error) { /* refused */ }
    var closing = opened ? opened.then(function (db) { db.close(); }, function () {}) : Promise.resolve();
    opened = null;
    return closing.then(function () {
      return new Promise(function (resolve) {
        if (!window.indexedDB) { resolve(); return; }
        var req = window.indexedDB.deleteDatabase(NAME);
        req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
      });
    });
  }

  window.TadribOutbox = {
    ready: function () { return open().then(function () { return true; }); },
    count: count,
    flush: flush,
    forget: forget,
    add: add,
    answers: answersOf,
    listen: function (fn) { listeners.push(fn); }
  };
  window.addEventListener("online", function () { if (opened) { flush(); } });
})();
