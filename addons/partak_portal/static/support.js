// Support pages: the rich-text editor of tickets and answers, and a gentle
// note when the text has no Persian letters.  Without this file the forms
// post their plain textarea; the server cleans whatever HTML it receives.
(function () {
  'use strict';
  // Arabic-script letters, as the server counts them (routes_support.py).
  var PERSIAN = /[\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc\ufb50-\ufdff\ufe70-\ufefc]/;

  function setUp(root) {
    var textarea = document.getElementById(root.dataset.target);
    var area = root.querySelector('.editor-area');
    var toolbar = root.querySelector('.editor-toolbar');
    if (!textarea || !area || typeof document.execCommand !== 'function') { return; }
    // The value came back from the server, already cleaned.
    area.innerHTML = textarea.value;
    textarea.classList.add('d-none');
    textarea.setAttribute('aria-hidden', 'true');
    textarea.tabIndex = -1;
    area.classList.remove('d-none');
    toolbar.classList.remove('d-none');
    var label = document.querySelector('label[for="' + textarea.id + '"]');
    if (label) {
      label.addEventListener('click', function () { area.focus(); });
    }

    function run(command, value) {
      area.focus();
      // Tags (<b>, <font size>) rather than inline styles: the portal's
      // CSP forbids style attributes and the server would drop them.
      document.execCommand('styleWithCSS', false, false);
      document.execCommand(command, false, value);
      sync();
    }
    function sync() {
      textarea.value = area.innerHTML;
      textarea.dispatchEvent(new Event('input', {bubbles: true}));
    }
    toolbar.querySelectorAll('button[data-command]').forEach(function (button) {
      // mousedown would move the focus and lose the selection.
      button.addEventListener('mousedown', function (event) { event.preventDefault(); });
      button.addEventListener('click', function () { run(button.dataset.command); });
    });
    toolbar.querySelectorAll('select[data-command]').forEach(function (select) {
      select.addEventListener('change', function () {
        if (select.value) { run(select.dataset.command, select.value); }
        select.value = '';
      });
    });
    area.addEventListener('input', sync);
    area.addEventListener('blur', sync);
    if (textarea.form) {
      textarea.form.addEventListener('submit', sync);
    }
  }

  document.querySelectorAll('[data-editor]').forEach(setUp);

  // The manual asks for Persian script: remind, never refuse.
  document.querySelectorAll('form.support-form').forEach(function (form) {
    var warning = form.querySelector('#latin-warning');
    if (!warning) { return; }
    var fields = ['title', 'body'].map(function (name) {
      return form.elements[name];
    }).filter(Boolean);
    function words(field) {
      if (field.name !== 'body') { return field.value; }
      var tmp = document.createElement('div');
      tmp.innerHTML = field.value;
      return tmp.textContent;
    }
    function check() {
      var latin = fields.some(function (field) {
        var text = words(field).trim();
        return text.length > 2 && !PERSIAN.test(text);
      });
      warning.classList.toggle('d-none', !latin);
    }
    fields.forEach(function (field) {
      field.addEventListener('input', check);
      field.addEventListener('change', check);
    });
  });
}());
