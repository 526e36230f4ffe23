// podgate ui: filter and sort tables in place (the server does the same through the query
// string, so every page works without this script). State is kept in the URL, so a filtered
// view stays a link to share. Nothing from the page is ever parsed as markup or code.
(() => {
  "use strict";
  document.documentElement.classList.add("js");
  const sortValue = (td) => {
    const raw = td.dataset.sort ?? td.textContent.trim();
    const n = Number(raw);
    return raw !== "" && !Number.isNaN(n) ? [0, n] : [1, raw.toLowerCase()];
  };
  const compare = (a, b) => (a[0] - b[0]) || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

  function syncUrl(id, changes) {
    const url = new URL(window.location.href);
    for (const [k, v] of Object.entries(changes)) {
      if (v) url.searchParams.set(`${id}.${k}`, v); else url.searchParams.delete(`${id}.${k}`);
    }
    window.history.replaceState(null, "", url);
  }

  for (const form of document.querySelectorAll("form.filters[data-table]")) {
    const id = form.dataset.table;
    const table = document.getElementById("t-" + id);
    if (!table) continue;
    const rows = Array.from(table.tBodies[0].rows);
    const count = form.querySelector("output.count");
    const total = count ? count.textContent.split(" of ")[1] : "";
    const apply = () => {
      const wanted = {};
      for (const el of form.querySelectorAll("[data-filter]")) wanted[el.dataset.filter] = el.value;
      const q = (wanted.q || "").trim().toLowerCase();
      let shown = 0;
      for (const tr of rows) {
        let ok = !q || tr.textContent.toLowerCase().includes(q);
        for (const [k, v] of Object.entries(wanted)) {
          if (k !== "q" && v && tr.dataset["f" + k.charAt(0).toUpperCase() + k.slice(1)] !== v) ok = false;
        }
        tr.hidden = !ok;
        if (ok) shown += 1;
      }
      if (count) count.textContent = `${shown} of ${total}`;
      syncUrl(id, wanted);
    };
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", (e) => { e.preventDefault(); apply(); });
  }

  for (const table of document.querySelectorAll("table[data-sortable]")) {
    const heads = Array.from(table.tHead.rows[0].cells);
    heads.forEach((th, i) => {
      const link = th.querySelector("a.sort");
      if (!link) return;
      link.setAttribute("role", "button");
      link.addEventListener("click", (e) => {
        e.preventDefault();
        const desc = th.getAttribute("aria-sort") === "ascending";
        heads.forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        rows.sort((a, b) => (desc ? -1 : 1) * compare(sortValue(a.cells[i]), sortValue(b.cells[i])));
        for (const tr of rows) body.appendChild(tr);
        syncUrl(table.dataset.id, { sort: th.dataset.key, dir: desc ? "desc" : "asc" });
      });
    });
  }
  document.documentElement.dataset.js = "ready";
})();
