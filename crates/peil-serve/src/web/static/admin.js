// The back office's story editor: the preview follows the text as it is typed (a debounced
// POST to the editor's preview address, at most one in flight, only while the text is within
// the server's bound), and an error's line link selects that line in the text. Without this
// script the "Preview" button does the same by submitting the form.
(function () {
  'use strict';
  var form = document.getElementById('story-editor');
  if (!form || !window.fetch) return;
  var source = form.querySelector('textarea[name=source]');
  var area = form.querySelector('select[name=area]');
  var out = document.getElementById('preview');
  var url = form.getAttribute('data-preview');
  var max = parseInt(form.getAttribute('data-max'), 10) || 65536;
  var timer = null;
  var busy = false;
  var again = false;

  function selectLine(n) {
    var lines = source.value.split('\n');
    var start = 0;
    for (var i = 0; i < n - 1 && i < lines.length; i++) start += lines[i].length + 1;
    var end = start + (lines[n - 1] || '').length;
    source.focus();
    source.setSelectionRange(start, end);
    var lineHeight = source.scrollHeight / Math.max(lines.length, 1);
    source.scrollTop = Math.max(0, (n - 3) * lineHeight);
  }

  function refresh() {
    if (busy) { again = true; return; }
    if (new Blob([source.value]).size > max) return;
    busy = true;
    var body = new URLSearchParams(new FormData(form));
    body.delete('op');
    fetch(url, { method: 'POST', body: body, credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) out.innerHTML = html; })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  }

  source.addEventListener('input', later);
  if (area) area.addEventListener('change', refresh);
  document.addEventListener('click', function (e) {
    var a = e.target.closest ? e.target.closest('a[data-line]') : null;
    if (!a) return;
    e.preventDefault();
    selectLine(parseInt(a.getAttribute('data-line'), 10));
  });
})();
