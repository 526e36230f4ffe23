// Sorting and filtering of the findings table. The state lives in the URL fragment
// (#sort=severity&dir=desc&q=text&severity=high&category=...&namespace=...&status=open), so a
// filtered view can be linked to, and tests can load one. Data comes from the JSON blob only;
// nothing from the input is ever parsed as markup or code here.
(() => {
  "use strict";
  const root = document.documentElement;
  const data = JSON.parse(document.getElementById("podgate-data").textContent);
  const css = getComputedStyle(root).getPropertyValue("--pg-css").trim();
  root.setAttribute("data-css", css === "1" ? "applied" : "blocked");
  // where the charts begin on the page as laid out (tests check the readiness stays short)
  const risk = document.getElementById("risk");
  if (risk) root.setAttribute("data-risk-top", String(Math.round(risk.getBoundingClientRect().top)));
  const table = document.getElementById("findings-table");
  const form = document.getElementById("filters");
  if (!table) {
    root.setAttribute("data-js", "ready");
    return;
  }
  const RANK = { critical: 3, high: 2, medium: 1, low: 0 };
  const FILTERS = ["severity", "category", "namespace", "status"];
  const rows = Array.from(table.tBodies[0].rows);
  const heads = Array.from(table.tHead.rows[0].cells);
  const column = {};
  heads.forEach((th, i) => { column[th.dataset.sort] = i; });
  const field = (name) => document.getElementById("f-" + name);
  const finding = (tr) => data.findings[Number(tr.dataset.i)];
  const text = (tr, key) => tr.cells[column[key]].textContent.trim();
  const state = { sort: "", dir: "asc" };
  const count = document.getElementById("f-count");

  function compare(a, b) {
    let d;
    if (state.sort === "severity") {
      d = (RANK[finding(a).severity] ?? -1) - (RANK[finding(b).severity] ?? -1);
    } else {
      d = text(a, state.sort).localeCompare(text(b, state.sort), undefined,
        { numeric: true, sensitivity: "base" });
    }
    return (state.dir === "desc" ? -d : d) || rows.indexOf(a) - rows.indexOf(b);
  }

  function matches(tr, q) {
    const f = finding(tr);
    const want = {
      severity: f.severity,
      category: f.category,
      namespace: f.workload.namespace,
      status: f.accepted ? "accepted" : "open",
    };
    if (FILTERS.some((k) => field(k).value && field(k).value !== want[k])) return false;
    return !q || tr.textContent.toLowerCase().includes(q);
  }

  function apply(writeHash) {
    const q = field("q").value.trim().toLowerCase();
    let shown = 0;
    for (const tr of rows) {
      tr.hidden = !matches(tr, q);
      if (!tr.hidden) shown += 1;
    }
    const order = state.sort in column ? rows.slice().sort(compare) : rows;
    table.tBodies[0].append(...order);
    for (const th of heads) {
      if (th.dataset.sort === state.sort) {
        th.setAttribute("aria-sort", state.dir === "desc" ? "descending" : "ascending");
      } else {
        th.removeAttribute("aria-sort");
      }
    }
    count.textContent = `${shown} of ${rows.length} findings shown`;
    table.setAttribute("data-shown", String(shown));
    if (writeHash) saveHash();
  }

  function saveHash() {
    const p = new URLSearchParams();
    if (state.sort) p.set("sort", state.sort);
    if (state.sort) p.set("dir", state.dir);
    if (field("q").value) p.set("q", field("q").value);
    for (const k of FILTERS) if (field(k).value) p.set(k, field(k).value);
    const hash = p.toString() ? "#" + p.toString() : location.pathname + location.search;
    try {
      history.replaceState(null, "", hash);
    } catch (e) {
      // some viewers refuse history changes for local files; the view still works
    }
  }

  function loadHash() {
    const raw = location.hash.slice(1);
    if (!raw.includes("=")) return false; // a section anchor, not a view
    const p = new URLSearchParams(raw);
    state.sort = p.get("sort") in column ? p.get("sort") : "";
    state.dir = p.get("dir") === "desc" ? "desc" : "asc";
    field("q").value = p.get("q") || "";
    for (const k of FILTERS) {
      const v = p.get(k) || "";
      const known = Array.from(field(k).options).some((o) => o.value === v);
      field(k).value = known ? v : "";
    }
    return true;
  }

  for (const th of heads) {
    const button = document.createElement("button");
    button.type = "button";
    button.append(...th.childNodes);
    th.append(button);
    button.addEventListener("click", () => {
      const key = th.dataset.sort;
      if (state.sort === key) {
        state.dir = state.dir === "asc" ? "desc" : "asc";
      } else {
        state.sort = key;
        state.dir = key === "severity" ? "desc" : "asc";
      }
      apply(true);
    });
  }
  form.addEventListener("input", () => apply(true));
  form.addEventListener("submit", (e) => e.preventDefault());
  window.addEventListener("hashchange", () => { if (loadHash()) apply(false); });
  form.hidden = false;
  loadHash();
  apply(false);
  root.setAttribute("data-js", "ready");
})();
