// orbit UI: loads each page's content with the session's ACL token, keeps it
// live with blocking requests, sends writes to the public API and draws
// charts. Plain JavaScript, no build step.
"use strict";
(function () {
  var TOKEN_KEY = "orbit-token";
  var content, live, flash;
  var ctrl = null;      // aborts the running live loop
  var index = 0;        // view index of the content shown
  var pending = null;   // content held back while the user edits a field
  var gen = 0;          // live loop generation

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }
  function headers(extra) {
    var h = extra || {};
    var t = token();
    if (t) { h["X-Consul-Token"] = t; }
    return h;
  }
  // api sends a request to the public API with the token.
  function api(method, url, body, ctype) {
    var h = headers({});
    if (ctype) { h["Content-Type"] = ctype; }
    return fetch(url, { method: method, headers: h, body: body });
  }
  window.orbit = { api: api, token: token, refresh: function () { restart(); } };

  function setLive(on, text) {
    live.textContent = text;
    live.className = "live " + (on ? "on" : "off");
  }
  function showFlash(ok, text) {
    flash.hidden = false;
    flash.className = "flash " + (ok ? "good" : "bad");
    flash.textContent = text;
  }
  function editing() {
    var a = document.activeElement;
    return a && content.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName) || content.querySelector("[data-dirty]");
  }
  // swap replaces the content, keeping elements marked data-keep (charts,
  // log streams) so they go on across updates.
  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";
  // focusKey describes the focused element of the content so the same
  // control can take the focus back after a swap: a keyboard user keeps
  // their place while the page updates live.
  function focusKey() {
    var a = document.activeElement;
    if (!a || a === content || !content.contains(a)) { return null; }
    var all = Array.prototype.slice.call(content.querySelectorAll(FOCUSABLE));
    return { id: a.id, tag: a.tagName, href: a.getAttribute("href"), api: a.getAttribute("data-api"),
      text: a.textContent, index: all.indexOf(a) };
  }
  function refocus(k) {
    if (!k) { return; }
    var all = Array.prototype.slice.call(content.querySelectorAll(FOCUSABLE));
    var same = function (e) {
      return e.tagName === k.tag && e.getAttribute("href") === k.href && e.getAttribute("data-api") === k.api;
    };
    var e = (k.id && document.getElementById(k.id)) ||
      all.filter(function (x) { return same(x) && x.textContent === k.text; })[0] ||
      all.filter(same)[0] || all[Math.min(k.index, all.length - 1)] || content;
    if (e === content) { content.setAttribute("tabindex", "-1"); }
    e.focus({ preventScroll: true });
  }
  function swap(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    tpl.content.querySelectorAll("[data-keep][id]").forEach(function (n) {
      var old = document.getElementById(n.id);
      if (old && content.contains(old)) { n.replaceWith(old); }
    });
    var k = focusKey();
    content.replaceChildren(tpl.content);
    refocus(k);
    document.body.dataset.loaded = "1";
    start(content);
  }
  function fragURL(idx) {
    var u = new URL(location.href);
    if (idx) { u.searchParams.set("index", idx); u.searchParams.set("wait", "30s"); }
    return u.toString();
  }
  async function loop(my) {
    var first = true, delay = 500;
    while (my === gen) {
      ctrl = new AbortController();
      try {
        var r = await fetch(fragURL(first ? 0 : index), { headers: headers({ "X-Orbit-Fragment": "1" }), signal: ctrl.signal });
        var html = await r.text();
        if (my !== gen) { return; }
        var next = parseInt(r.headers.get("X-Orbit-Index") || "0", 10);
        if (first || next !== index || pending !== null) {
          if (editing()) { pending = html; } else { pending = null; swap(html); }
        }
        index = next;
        first = false;
        delay = 500;
        setLive(r.ok, r.ok ? "live" : "live (" + r.status + ")");
        if (!r.ok && r.status !== 403 && r.status !== 404) { await sleep(2000); }
      } catch (e) {
        if (my !== gen) { return; }
        setLive(false, "reconnecting…");
        await sleep(delay);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function restart() {
    gen++;
    if (ctrl) { ctrl.abort(); }
    pending = null;
    loop(gen);
  }

  // Writes: buttons and forms with data-api.
  function fill(tpl, form) {
    return tpl.replace(/\{(\w+)\}/g, function (_, k) {
      var f = form && form.elements[k];
      var v = f ? f.value : "";
      return k === "key" ? v.split("/").map(encodeURIComponent).join("/") : encodeURIComponent(v);
    });
  }
  async function send(el, form) {
    if (el.dataset.confirm && el.dataset.armed !== "1") {
      el.dataset.armed = "1";
      el.dataset.label = el.textContent;
      el.textContent = el.dataset.confirm;
      setTimeout(function () { if (el.dataset.armed === "1") { el.dataset.armed = ""; el.textContent = el.dataset.label; } }, 5000);
      return;
    }
    el.dataset.armed = "";
    if (el.dataset.label) { el.textContent = el.dataset.label; }
    var method = el.dataset.method || "POST";
    var url = fill(el.dataset.api, form);
    var body = null, ctype = null;
    if (el.dataset.body && form) {
      body = form.elements[el.dataset.body].value;
    } else if (el.dataset.json) {
      body = fill(el.dataset.json, form);
      ctype = "application/json";
      if (el.dataset.jsonFields && form) {
        var o = JSON.parse(body);
        el.dataset.jsonFields.split(" ").forEach(function (k) {
          var f = form.elements[k];
          if (!f) { return; }
          o[k] = f.type === "number" ? Number(f.value) : f.value;
        });
        body = JSON.stringify(o);
      }
    }
    try {
      var r = await api(method, url, body, ctype);
      var text = (await r.text()).trim();
      if (!r.ok) { showFlash(false, "Refused (" + r.status + "): " + text); return; }
      if (text === "false") { showFlash(false, el.dataset.casFail || "Refused: the server did not apply the write."); return; }
      if (form) { delete form.dataset.dirty; }
      showFlash(true, el.dataset.ok || "Done.");
      if (el.dataset.next) { location.href = fill(el.dataset.next, form); return; }
      restart();
    } catch (e) {
      showFlash(false, "Request failed: " + e.message);
    }
  }

  // Charts: <svg data-chart="system.cpu" data-after="-60"> drawn from the
  // Netdata API each second.
  var SVGNS = "http://www.w3.org/2000/svg";
  var COLORS = ["#3b82f6", "#ef4444", "#10b981", "#f59e0b", "#8b5cf6", "#ec4899", "#14b8a6", "#84cc16"];
  async function drawChart(svg) {
    var u = (svg.dataset.host || "") + "/api/v1/data?chart=" + encodeURIComponent(svg.dataset.chart) +
      "&after=" + (svg.dataset.after || "-60") + "&format=json&options=seconds";
    if (svg.dataset.dims) { u += "&dimensions=" + encodeURIComponent(svg.dataset.dims); }
    var r;
    try { r = await fetch(u, { headers: headers({}) }); } catch (e) { return; }
    if (!r.ok) { svg.dataset.error = r.status; return; }
    var d = await r.json();
    var labels = d.labels || [], rows = (d.data || []).slice().reverse();
    var W = 300, H = 100, lo = 0, hi = 0;
    rows.forEach(function (row) { for (var i = 1; i < row.length; i++) { var v = row[i]; if (v != null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } } });
    if (hi === lo) { hi = lo + 1; }
    var t0 = rows.length ? rows[0][0] : 0, t1 = rows.length ? rows[rows.length - 1][0] : 1;
    if (t1 === t0) { t1 = t0 + 1; }
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.replaceChildren();
    [0.25, 0.5, 0.75].forEach(function (f) {
      var l = document.createElementNS(SVGNS, "line");
      l.setAttribute("x1", 0); l.setAttribute("x2", W); l.setAttribute("y1", H * f); l.setAttribute("y2", H * f);
      l.setAttribute("class", "grid");
      svg.appendChild(l);
    });
    var legend = [];
    for (var c = 1; c < labels.length; c++) {
      var pts = [];
      rows.forEach(function (row) {
        if (row[c] == null) { return; }
        pts.push(((row[0] - t0) / (t1 - t0) * W).toFixed(1) + "," + (H - (row[c] - lo) / (hi - lo) * H).toFixed(1));
      });
      var p = document.createElementNS(SVGNS, "polyline");
      p.setAttribute("points", pts.join(" "));
      p.setAttribute("fill", "none");
      p.setAttribute("stroke", COLORS[(c - 1) % COLORS.length]);
      p.setAttribute("stroke-width", "1.5");
      p.setAttribute("vector-effect", "non-scaling-stroke");
      svg.appendChild(p);
      var last = rows.length ? rows[rows.length - 1][c] : null;
      legend.push(labels[c] + " " + (last == null ? "–" : Math.round(last * 100) / 100));
    }
    var lg = svg.nextElementSibling;
    if (lg && lg.classList.contains("legend")) {
      lg.textContent = legend.join(" · ") + (d.units ? " " + d.units : "") + " (max " + Math.round(hi * 100) / 100 + ")";
    }
  }
  function tickCharts() {
    document.querySelectorAll("svg[data-chart]").forEach(function (svg) {
      if (svg.dataset.busy === "1") { return; }
      svg.dataset.busy = "1";
      drawChart(svg).finally(function () { svg.dataset.busy = ""; });
    });
  }

  // Logs: <pre data-logs="/v1/client/fs/logs/ID?task=t&type=stdout"> follows
  // the task's log as it grows.
  async function follow(pre) {
    if (pre.dataset.started) { return; }
    pre.dataset.started = "1";
    var dec = new TextDecoder();
    try {
      var r = await fetch(pre.dataset.logs + "&follow=true&plain=true&origin=start", { headers: headers({}) });
      if (!r.ok) { pre.textContent = "Refused (" + r.status + "): " + (await r.text()); return; }
      var rd = r.body.getReader();
      for (;;) {
        var x = await rd.read();
        if (x.done || !document.body.contains(pre)) { return; }
        var atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.textContent += dec.decode(x.value, { stream: true });
        if (pre.textContent.length > 200000) { pre.textContent = pre.textContent.slice(-150000); }
        if (atEnd) { pre.scrollTop = pre.scrollHeight; }
      }
    } catch (e) {
      pre.dataset.started = "";
    }
  }

  // Actions that need more than one request.
  var planned = null; // the job the last plan checked
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text != null) { e.textContent = text; }
    return e;
  }
  async function jsonCall(method, url, obj) {
    var r = await api(method, url, obj == null ? null : JSON.stringify(obj), "application/json");
    var t = await r.text();
    if (!r.ok) { throw new Error("Refused (" + r.status + "): " + t.trim()); }
    return t ? JSON.parse(t) : null;
  }
  var actions = {
    jobPlan: async function (btn, form) {
      var out = document.getElementById("plan-out");
      var submit = document.getElementById("job-submit");
      submit.disabled = true;
      planned = null;
      out.className = "muted";
      out.textContent = "Checking…";
      try {
        var job = await jsonCall("POST", "/v1/jobs/parse", { JobHCL: form.elements.hcl.value, Canonicalize: true });
        var plan = await jsonCall("POST", "/v1/job/" + encodeURIComponent(job.ID) + "/plan", { Job: job, Diff: true });
        out.className = "";
        out.replaceChildren();
        var ws = (plan.Warnings || "").split("\n").filter(Boolean);
        out.appendChild(el("h3", "", ws.length ? "Policy findings (" + ws.length + ")" : "No policy findings"));
        if (ws.length) {
          var ul = el("ul", "", null);
          ws.forEach(function (w) { ul.appendChild(el("li", "warn", w)); });
          out.appendChild(ul);
        }
        out.appendChild(el("h3", "", "Plan for job " + job.ID));
        var d = plan.Diff || {};
        var pl = el("ul", "plain mono", null);
        pl.appendChild(el("li", "", "job: " + (d.Type || "None")));
        (d.TaskGroups || []).forEach(function (tg) {
          var u = Object.keys(tg.Updates || {}).map(function (k) { return tg.Updates[k] + " " + k; }).join(", ");
          pl.appendChild(el("li", "", "group " + tg.Name + ": " + (tg.Type || "") + (u ? " (" + u + ")" : "")));
        });
        Object.keys(plan.FailedTGAllocs || {}).forEach(function (g) { pl.appendChild(el("li", "crit", "group " + g + " cannot be placed")); });
        out.appendChild(pl);
        planned = job;
        out.dataset.planned = job.ID;
        submit.disabled = false;
      } catch (e) {
        out.className = "error";
        out.textContent = e.message;
      }
    },
    jobRun: async function () {
      if (!planned) { return; }
      try {
        var res = await jsonCall("POST", "/v1/jobs", { Job: planned });
        showFlash(true, "Submitted (evaluation " + (res && res.EvalID || "") + ").");
        location.href = "/ui/jobs/" + encodeURIComponent(planned.ID);
      } catch (e) { showFlash(false, e.message); }
    },
    jobScale: async function (btn, form) {
      var id = form.dataset.job;
      try {
        var job = await jsonCall("GET", "/v1/job/" + encodeURIComponent(id));
        (job.TaskGroups || []).forEach(function (tg) {
          var f = form.elements["count:" + tg.Name];
          if (f) { tg.Count = Number(f.value); }
        });
        await jsonCall("POST", "/v1/jobs", { Job: job });
        delete form.dataset.dirty;
        showFlash(true, "Scaled.");
        restart();
      } catch (e) { showFlash(false, e.message); }
    },
    // aclSave creates (PUT /v1/acl/<kind>) or updates (PUT
    // /v1/acl/<kind>/<id>) a token, policy or role from the form.
    aclSave: async function (btn, form) {
      var kind = form.dataset.kind, id = form.dataset.id;
      var names = function (f) {
        return f ? f.value.split(/[\s,]+/).filter(Boolean).map(function (n) { return { Name: n }; }) : undefined;
      };
      var val = function (k) { var f = form.elements[k]; return f ? f.value : undefined; };
      var body = { Name: val("Name"), Description: val("Description"), Rules: val("Rules"),
        Policies: names(form.elements.Policies), Roles: names(form.elements.Roles) };
      if (kind === "token") {
        body.Local = form.elements.Local.checked;
        if (id) { body.AccessorID = id; }
      } else if (id) { body.ID = id; }
      try {
        var res = await jsonCall("PUT", "/v1/acl/" + kind + (id ? "/" + encodeURIComponent(id) : ""), body);
        delete form.dataset.dirty;
        if (kind === "token" && !id) {
          flash.hidden = false;
          flash.className = "flash good";
          flash.replaceChildren(el("span", "", "Token created (accessor " + res.AccessorID + "). Its secret, shown only now: "),
            el("code", "", res.SecretID));
          flash.lastChild.id = "acl-secret";
          form.reset();
          return;
        }
        showFlash(true, "Saved.");
        if (!id) { location.href = "/ui/acl/" + kind + "/" + encodeURIComponent(res.ID); return; }
        restart();
      } catch (e) { showFlash(false, e.message); }
    },
    rrset: async function (btn, form) {
      var recs = form.elements.records.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
      try {
        await jsonCall("PUT", "/v1/dns/zones/" + encodeURIComponent(form.dataset.zone) + "/records",
          [{ Name: form.elements.name.value, Type: form.elements.type.value, TTL: Number(form.elements.ttl.value), Records: recs }]);
        delete form.dataset.dirty;
        showFlash(true, "Saved.");
        restart();
      } catch (e) { showFlash(false, e.message); }
    }
  };

  // start wires what a fresh content needs.
  function start(root) {
    root.querySelectorAll("pre[data-logs]").forEach(follow);
    var file = root.querySelector("#job-file");
    if (file) {
      file.addEventListener("change", function () {
        if (file.files[0]) { file.files[0].text().then(function (t) { document.getElementById("job-hcl").value = t; }); }
      });
    }
    tickCharts();
  }

  document.addEventListener("DOMContentLoaded", function () {
    content = document.getElementById("content");
    live = document.getElementById("live");
    flash = document.getElementById("flash");
    var login = document.getElementById("login");
    var tokenIn = document.getElementById("token");
    var logout = document.getElementById("logout");
    logout.hidden = !token();
    login.addEventListener("submit", function (ev) {
      ev.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, tokenIn.value.trim());
      tokenIn.value = "";
      logout.hidden = !token();
      showFlash(true, "Token set for this browser session.");
      restart();
    });
    logout.addEventListener("click", function () {
      sessionStorage.removeItem(TOKEN_KEY);
      logout.hidden = true;
      restart();
    });
    var filter = document.getElementById("q");
    if (filter) {
      var t = null;
      document.getElementById("filter").addEventListener("submit", function (ev) { ev.preventDefault(); });
      filter.addEventListener("input", function () {
        clearTimeout(t);
        t = setTimeout(function () {
          var u = new URL(location.href);
          if (filter.value) { u.searchParams.set("q", filter.value); } else { u.searchParams.delete("q"); }
          u.searchParams.delete("page");
          history.replaceState(null, "", u);
          restart();
        }, 250);
      });
    }
    content.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[data-api]");
      if (b && b.type === "button") { ev.preventDefault(); send(b, b.form); }
      var x = ev.target.closest("button[data-do]");
      if (x) { ev.preventDefault(); actions[x.dataset.do](x, x.form); }
    });
    content.addEventListener("submit", function (ev) {
      var f = ev.target;
      var b = ev.submitter && ev.submitter.dataset.api ? ev.submitter : f;
      if (!b.dataset.api) { return; }
      ev.preventDefault();
      send(b, f);
    });
    content.addEventListener("input", function (ev) {
      var f = ev.target.form;
      if (f && f.dataset.api !== undefined || f && f.querySelector("[data-api], [data-do]")) { f.dataset.dirty = "1"; }
    });
    content.addEventListener("focusout", function () {
      setTimeout(function () { if (pending !== null && !editing()) { var h = pending; pending = null; swap(h); } }, 0);
    });
    setInterval(tickCharts, 1000);
    restart();
  });
})();
