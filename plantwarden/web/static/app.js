// plantwarden dashboard: the only script the pages load (the Content-Security-Policy allows no other).
// It reads no value into HTML: text goes through textContent only.
"use strict";
(function () {
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  // "select all" on triage tables
  document.querySelectorAll("input.select-all").forEach(function (box) {
    box.addEventListener("change", function () {
      var table = box.closest("table");
      table.querySelectorAll('input[name="ids"]').forEach(function (c) { c.checked = box.checked; });
    });
  });
  // ask before destructive buttons
  document.querySelectorAll("button.danger").forEach(function (b) {
    b.addEventListener("click", function (ev) {
      if (!window.confirm("Really " + b.textContent.toLowerCase() + "?")) { ev.preventDefault(); }
    });
  });
  // progress of queued and running capture analyses
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-job]")).filter(function (r) {
    var s = r.getAttribute("data-state");
    return s === "queued" || s === "running";
  });
  function poll() {
    var pending = [];
    rows.forEach(function (row) {
      var id = row.getAttribute("data-job");
      pending.push(fetch("/api/jobs/" + encodeURIComponent(id), {
        credentials: "same-origin", headers: { "Accept": "application/json", "X-CSRF-Token": csrf() }
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (j) {
        if (!j) { return; }
        row.setAttribute("data-state", j.state);
        row.querySelector(".job-state").textContent = j.state;
        row.querySelector(".job-progress").value = j.percent;
        row.querySelector(".job-percent").textContent = Math.floor(j.percent) + "%";
        var res = row.querySelector(".job-result");
        if (j.error) { res.textContent = j.error; res.className = "job-result bad"; }
        else if (j.summary) {
          res.textContent = j.summary.stored
            ? j.summary.packets + " packets, " + j.summary.assets + " assets, " + j.summary.new_alerts + " new alerts"
            : "already analysed";
        }
      }).catch(function () {}));
    });
    Promise.all(pending).then(function () {
      rows = rows.filter(function (r) {
        var s = r.getAttribute("data-state");
        return s === "queued" || s === "running";
      });
      if (rows.length) { window.setTimeout(poll, 700); }
      else if (pending.length) { document.body.setAttribute("data-jobs-idle", "1"); }
    });
  }
  if (rows.length) { window.setTimeout(poll, 300); } else { document.body.setAttribute("data-jobs-idle", "1"); }
})();
