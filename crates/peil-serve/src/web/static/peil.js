// Peil: a little interaction on top of server-rendered pages. Everything works without it.
(function () {
  "use strict";
  var doc = document;

  // Linked highlighting: hovering or focusing any element with data-area inside a linked
  // container (the triptych) highlights every element of that area in map, chart and table.
  function linkAreas(root) {
    var current = null;
    function all(code) {
      return root.querySelectorAll('[data-area="' + (window.CSS && CSS.escape ? CSS.escape(code) : code) + '"]');
    }
    function set(code) {
      if (code === current) return;
      if (current !== null) all(current).forEach(function (el) { el.classList.remove("is-hl"); });
      current = code;
      if (code !== null) all(code).forEach(function (el) { el.classList.add("is-hl"); });
    }
    function areaOf(target) {
      var el = target && target.closest ? target.closest("[data-area]") : null;
      return el && root.contains(el) ? el.getAttribute("data-area") : null;
    }
    root.addEventListener("mouseover", function (e) { set(areaOf(e.target)); });
    root.addEventListener("mouseleave", function () { set(null); });
    root.addEventListener("focusin", function (e) { set(areaOf(e.target)); });
    root.addEventListener("focusout", function () { set(null); });
  }
  doc.querySelectorAll("[data-link]").forEach(linkAreas);

  // Maps of many areas carry no links (to stay small): a click selects the area through the
  // figure's URL template, as the links of smaller maps do.
  doc.querySelectorAll("figure[data-select]").forEach(function (fig) {
    var template = fig.getAttribute("data-select");
    fig.addEventListener("click", function (e) {
      if (e.target.closest && e.target.closest("a")) return;
      var el = e.target.closest ? e.target.closest("[data-area]") : null;
      if (el) window.location.href = template.replace("{code}", encodeURIComponent(el.getAttribute("data-area")));
    });
  });

  // Maps of many areas take their geometry from a sprite the browser keeps (the map is
  // coloured without JavaScript, by custom properties on the <use>). Here the sprite's areas
  // are put into the page, so hovering and clicking an area work as on smaller maps, and on
  // the first hover each area's tooltip gets its value from the page's JSON twin.
  doc.querySelectorAll("svg.map use.geo").forEach(function (use) {
    var svg = use.ownerSVGElement;
    var fig = svg && svg.closest ? svg.closest("figure") : null;
    var url = (use.getAttribute("href") || "").split("#")[0];
    if (!svg || !url || !window.fetch || !window.DOMParser) return;
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (text) {
        var sprite = new DOMParser().parseFromString(text, "image/svg+xml");
        var areas = sprite.getElementById("m");
        if (!areas) return;
        var defs = sprite.querySelector("defs");
        if (defs) svg.insertBefore(doc.importNode(defs, true), use);
        var group = doc.importNode(areas, true);
        group.removeAttribute("id");
        group.setAttribute("style", use.getAttribute("style") || "");
        use.parentNode.replaceChild(group, use);
        var twin = fig && fig.getAttribute("data-twin");
        if (!twin) return;
        svg.addEventListener("mouseover", function once() {
          svg.removeEventListener("mouseover", once);
          fetch(twin, { credentials: "same-origin" })
            .then(function (r) { return r.ok ? r.json() : null; })
            .then(function (data) {
              if (!data || !data.rows) return;
              var tips = {};
              data.rows.forEach(function (row) { tips[row.code] = row.tip; });
              group.querySelectorAll("path[data-area]").forEach(function (p) {
                var tip = tips[p.getAttribute("data-area")];
                var title = p.querySelector("title");
                if (tip != null && title) title.textContent += ": " + tip;
              });
            })
            .catch(function () {});
        });
      })
      .catch(function () {});
  });

  // Controls: a changed choice shows at once (the submit button stays for keyboard users).
  doc.querySelectorAll("form.controls").forEach(function (form) {
    form.querySelectorAll("select:not([multiple])").forEach(function (sel) {
      sel.addEventListener("change", function () { form.requestSubmit ? form.requestSubmit() : form.submit(); });
    });
    var slider = form.querySelector(".period-slider");
    var select = form.querySelector('select[name="period"]');
    if (slider && select) {
      var codes = (slider.getAttribute("data-periods") || "").split(",");
      slider.disabled = false;
      slider.hidden = false;
      slider.addEventListener("input", function () {
        var code = codes[+slider.value];
        if (code) select.value = code;
        slider.setAttribute("aria-valuetext", select.options[select.selectedIndex].text);
      });
      slider.addEventListener("change", function () {
        slider.disabled = true; // the select carries the period
        form.requestSubmit ? form.requestSubmit() : form.submit();
      });
    }
  });

  // Client-side sorting of tables with sort buttons (the server sorts by links without JS).
  doc.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.querySelector("tbody.rows") || table.tBodies[0];
    table.querySelectorAll("th button[data-sort]").forEach(function (btn, col) {
      btn.addEventListener("click", function () {
        var th = btn.parentNode;
        var asc = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var num = btn.getAttribute("data-type") === "num";
        var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.children[idx].getAttribute("data-v") || "";
          var y = b.children[idx].getAttribute("data-v") || "";
          if (num) {
            if (x === "" && y === "") return 0;
            if (x === "") return 1;
            if (y === "") return -1;
            return asc ? x - y : y - x;
          }
          return asc ? x.localeCompare(y, doc.documentElement.lang) : y.localeCompare(x, doc.documentElement.lang);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  // A bulk job's page follows its progress (without JavaScript it refreshes itself).
  doc.querySelectorAll(".job[data-status]").forEach(function (box) {
    if (!box.querySelector(".running")) return;
    var url = box.getAttribute("data-status");
    var timer = setInterval(function () {
      fetch(url, { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (j) {
        box.querySelector(".count").textContent = j.done + " / " + j.total;
        box.querySelector("progress").value = j.done;
        if (j.finished || j.error) { clearInterval(timer); window.location.reload(); }
      }).catch(function () {});
    }, 1000);
  });

  // The back office's upload: files dropped anywhere on the drop zone go into the file
  // field (several at once), and the form is sent with a progress bar. Without JavaScript the
  // field and the submit button do the same.
  doc.querySelectorAll("form[data-upload]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector(".drop-zone") || form;
    var list = form.querySelector(".drop-list");
    var bar = form.querySelector("progress");
    function show() {
      if (!list) return;
      list.textContent = "";
      Array.prototype.forEach.call(input.files, function (f) {
        var li = doc.createElement("li");
        li.textContent = f.name + " (" + Math.ceil(f.size / 1024) + " KB)";
        list.appendChild(li);
      });
    }
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("is-over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      zone.addEventListener(t, function () { zone.classList.remove("is-over"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      input.files = e.dataTransfer.files;
      show();
    });
    form.addEventListener("submit", function (e) {
      if (!window.FormData || !bar || !input.files.length) return;
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      bar.hidden = false;
      bar.removeAttribute("value");
      xhr.upload.addEventListener("progress", function (p) {
        if (p.lengthComputable) { bar.max = p.total; bar.value = p.loaded; }
      });
      xhr.upload.addEventListener("load", function () { bar.removeAttribute("value"); });
      xhr.addEventListener("load", function () {
        doc.open();
        doc.write(xhr.responseText);
        doc.close();
      });
      xhr.addEventListener("error", function () { bar.hidden = true; form.submit(); });
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      xhr.send(new FormData(form));
    });
  });

  // The share box selects itself; a click copies the link where the browser allows.
  doc.querySelectorAll("input.share-url, .embed-code textarea").forEach(function (box) {
    box.addEventListener("focus", function () { box.select(); });
    box.addEventListener("click", function () {
      box.select();
      if (navigator.clipboard) navigator.clipboard.writeText(box.value).catch(function () {});
    });
  });
  // The theme tree's editor (back office): drag a theme or an indicator onto another theme
  // (or a theme onto the tree's heading: the top level). The drop fills in the item's own
  // move form and submits it, so the server does what the form does without JavaScript; the
  // forms stay the keyboard's way. After an edit the page comes back at the node's anchor,
  // which gets the focus.
  var editor = doc.querySelector(".theme-editor");
  if (editor) {
    var target = window.location.hash && doc.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    if (target && editor.contains(target)) target.focus();
    var dragged = null;
    editor.addEventListener("dragstart", function (e) {
      var item = e.target.closest && e.target.closest("[draggable=true]");
      if (!item) return;
      dragged = item;
      item.classList.add("dragging");
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", item.getAttribute("data-code"));
    });
    editor.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
      dragged = null;
      editor.querySelectorAll(".drop-here").forEach(function (z) { z.classList.remove("drop-here"); });
    });
    function zoneOf(e) {
      var z = e.target.closest && e.target.closest("[data-drop]");
      if (!z || !dragged) return null;
      var code = z.getAttribute("data-drop");
      if (dragged.getAttribute("data-kind") === "indicator" && code === "") return null;
      // A theme never goes under itself or its own descendants.
      if (dragged.getAttribute("data-kind") === "theme" && dragged.contains(z)) return null;
      return z;
    }
    editor.addEventListener("dragover", function (e) {
      var z = zoneOf(e);
      if (!z) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      editor.querySelectorAll(".drop-here").forEach(function (o) { if (o !== z) o.classList.remove("drop-here"); });
      z.classList.add("drop-here");
    });
    editor.addEventListener("drop", function (e) {
      var z = zoneOf(e);
      if (!z) return;
      e.preventDefault();
      var code = z.getAttribute("data-drop");
      var kind = dragged.getAttribute("data-kind");
      var form = kind === "theme"
        ? dragged.querySelector("form.move-theme")
        : dragged.querySelector("form.move-indicator");
      if (!form) return;
      form.querySelector(kind === "theme" ? "input[name=parent]" : "input[name=to]").value = code;
      form.submit();
    });
  }
})();
