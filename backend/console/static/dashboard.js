// Refreshes the operator dashboard from dashboard.json every few seconds. Builds cells with
// textContent only (never innerHTML), so nothing in the figures can become markup.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root) return;
  var source = root.getAttribute("data-source");
  var every = Number(root.getAttribute("data-refresh")) * 1000;
  var state = document.getElementById("refresh-state");

  function cell(tag, text, cls) {
    var el = document.createElement(tag);
    el.textContent = text === null || text === undefined ? "" : String(text);
    if (cls) el.className = cls;
    return el;
  }

  function render(section) {
    var panel = document.getElementById(section.id);
    if (!panel) return;
    panel.querySelector("h2").textContent = section.title;
    var body = panel.querySelector("tbody");
    var rows = document.createDocumentFragment();
    section.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      row.forEach(function (value, i) {
        var col = section.columns[i];
        tr.appendChild(cell("td", value, col === "status" || col === "severity" ? "st-" + value : ""));
      });
      rows.appendChild(tr);
    });
    if (!section.rows.length) {
      var empty = cell("td", section.empty, "empty");
      empty.colSpan = section.columns.length;
      var tr = document.createElement("tr");
      tr.appendChild(empty);
      rows.appendChild(tr);
    }
    body.replaceChildren(rows);
  }

  function refresh() {
    fetch(source, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.status === 401) {
          window.location.assign(root.getAttribute("data-login"));
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (figures) {
        if (!figures) return;
        document.getElementById("generated-at").textContent = figures.generated_at;
        Object.keys(figures.summary).forEach(function (key) {
          var el = document.querySelector('[data-key="' + key + '"]');
          if (el) el.textContent = String(figures.summary[key]);
        });
        figures.sections.forEach(render);
        state.textContent = "";
        root.setAttribute("data-refreshed", figures.generated_at);
      })
      .catch(function (err) { state.textContent = "(refresh failed: " + err.message + ")"; });
  }

  window.setInterval(refresh, every);
  refresh();
})();
