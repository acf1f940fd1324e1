// Portcullis console: small enhancements on top of pages that work without JavaScript.
// Copy buttons, the queue's keyboard (j/k move, c claim, d mark done, ? lists the keys), a
// review's keyboard (n/p move, k keep, r revoke: type why, then Enter), and "select all" in
// the queue. No inline script anywhere: the page's CSP allows only this file
// and htmx.
(function () {
  "use strict";

  function reviewing() {
    return document.querySelector("table.review") !== null;
  }

  function rows() {
    return Array.prototype.slice.call(
      document.querySelectorAll("table.queue tbody tr, table.review tbody tr"));
  }

  function selected() {
    return document.querySelector(
      "table.queue tbody tr[aria-selected='true'], table.review tbody tr[aria-selected='true']");
  }

  function select(row) {
    rows().forEach(function (r) { r.removeAttribute("aria-selected"); });
    if (row) {
      row.setAttribute("aria-selected", "true");
      var link = row.querySelector("a.task-link, input[name='item'], .person");
      if (link) { link.focus(); }
      row.scrollIntoView({block: "nearest"});
    }
  }

  function move(step) {
    var all = rows();
    if (all.length === 0) { return; }
    var at = all.indexOf(selected());
    var next = at < 0 ? 0 : Math.min(all.length - 1, Math.max(0, at + step));
    select(all[next]);
  }

  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var keys = document.getElementById("keys");
    if (event.key === "?") {
      if (keys) { keys.classList.toggle("shown"); }
      return;
    }
    if (reviewing()) {
      if (event.key === "n") { move(1); return; }
      if (event.key === "p") { move(-1); return; }
      var item = selected();
      if (!item) { return; }
      if (event.key === "k") {
        var keep = item.querySelector("button[data-key='keep']");
        if (keep) { keep.click(); }
        return;
      }
      if (event.key === "r") {
        // Revoking needs a reason: the comment field takes it, and Enter there revokes.
        var why = item.querySelector("form.decide input[name='comment']");
        if (why) {
          event.preventDefault();
          why.setAttribute("data-enter", "revoke");
          why.focus();
        }
      }
      return;
    }
    if (event.key === "j") { move(1); return; }
    if (event.key === "k") { move(-1); return; }
    var row = selected();
    var page = document.querySelector("[data-task-page]");
    var scope = row || page;
    if (!scope) { return; }
    if (event.key === "c") {
      var claim = scope.querySelector("button[data-key='claim']");
      if (claim) { claim.click(); }
      return;
    }
    if (event.key === "d") {
      // In the queue: open the task at its "Mark done" form; on a task: start filling it in.
      var link = row && row.querySelector("a[data-key='done']");
      if (link) { link.click(); return; }
      var note = page && page.querySelector("#done textarea");
      if (note) { event.preventDefault(); note.focus(); }
    }
  });

  // Enter in a comment field opened by "r" revokes (the form's first button is Keep).
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !field || field.getAttribute("data-enter") !== "revoke") { return; }
    var revoke = field.form && field.form.querySelector("button[data-key='revoke']");
    if (revoke) {
      event.preventDefault();
      revoke.click();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (button) {
      event.preventDefault();
      var text = button.getAttribute("data-copy");
      if (navigator.clipboard) {
        navigator.clipboard.writeText(text).then(function () {
          button.textContent = "Copied";
        });
      }
      return;
    }
    var print = event.target.closest ? event.target.closest("button[data-print]") : null;
    if (print) {
      window.print();
      return;
    }
    var all = event.target.closest ? event.target.closest("input[data-select-all]") : null;
    if (all) {
      document.querySelectorAll("input[name='task']").forEach(function (box) { box.checked = all.checked; });
    }
  });
})();
