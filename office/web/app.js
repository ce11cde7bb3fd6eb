// jejak-office: small enhancements; every page also works without them.
'use strict';
document.addEventListener('DOMContentLoaded', function () {
  // Date fields: a picker beside the dd/mm/yyyy text.
  document.querySelectorAll('input[data-date]').forEach(function (text) {
    var pick = document.createElement('input');
    pick.type = 'date';
    pick.setAttribute('aria-label', (text.labels[0] ? text.labels[0].textContent : '') + ' (kalender)');
    pick.addEventListener('change', function () {
      var p = pick.value.split('-');
      if (p.length === 3) text.value = p[2] + '/' + p[1] + '/' + p[0];
    });
    text.parentNode.appendChild(pick);
  });
  // Units: one more row.
  document.querySelectorAll('fieldset[data-repeat] .add-row').forEach(function (b) {
    b.addEventListener('click', function () {
      var body = b.parentNode.querySelector('tbody');
      var row = body.lastElementChild.cloneNode(true);
      row.querySelectorAll('input').forEach(function (i) { i.value = ''; });
      body.appendChild(row);
      row.querySelector('input').focus();
    });
  });
  // Pick lists that reload the page when changed.
  document.querySelectorAll('select[data-autosubmit]').forEach(function (s) {
    s.addEventListener('change', function () {
      if (s.id === 'batch') { var n = document.getElementById('session'); if (n) n.value = ''; }
      s.form.submit();
    });
  });
  var print = document.getElementById('print');
  if (print) print.addEventListener('click', function () { window.print(); });
  // An entry still on its way: look again.
  var entry = document.querySelector('[data-refresh]');
  if (entry) setTimeout(function () { location.reload(); }, +entry.getAttribute('data-refresh'));
  // The box's clock against this computer's.
  var strip = document.getElementById('strip');
  if (strip) {
    var off = Math.round((+strip.getAttribute('data-now') - Date.now()) / 60000);
    var clock = document.getElementById('clock');
    if (Math.abs(off) >= 5) {
      clock.textContent = clock.getAttribute('data-text').replace('%s', String(off));
      clock.hidden = false;
    }
  }
});
