/* app.js - the web board: reads the board document (/snapshot.json, then
   the /events stream), and draws totals, tables and SVG charts. Read-only:
   it never sends anything but GET requests. */
'use strict';

const LABELS = {
  id: {
    title: 'Papan status Jejak', pos: 'Posisi log', asof: 'Per tanggal',
    cooperatives: 'Koperasi', active: 'Aktif', people: 'Orang',
    enrolled: 'Peserta', assessed: 'Diuji', competent: 'Kompeten',
    certificates: 'Sertifikat', certificates_valid: 'Sertifikat berlaku',
    rejections: 'Ditolak', chart_kec: 'Koperasi terdaftar vs aktif per kecamatan',
    chart_batch: 'Kehadiran % per angkatan pelatihan', per_kec: 'Per kecamatan',
    code: 'Kode', kecamatan: 'Kecamatan', batches: 'Angkatan pelatihan',
    batch: 'Angkatan', dates: 'Tanggal', present_today: 'Hadir hari ini',
    attendance: 'Kehadiran %', offices: 'Kantor', source: 'Sumber',
    last_seen: 'Terakhir terlihat', outbox: 'Outbox', seq: 'Seq',
    accepted: 'Diterima', rejected: 'Ditolak',
    readonly: 'Papan hanya-baca. NIK selalu disamarkan.',
    live: 'langsung', catching: 'mengejar…', offline: 'offline (menyambung ulang)',
    registered: 'Terdaftar', none: 'tidak ada', ago: 'lalu', never: '–',
    no_batches: 'Tidak ada angkatan berjalan', no_offices: 'Belum ada kantor',
    batch_unknown: 'Angkatan {batch} belum tercatat', closed: 'ditutup',
    batches_title: 'Angkatan pelatihan terbuka, dan yang ditutup dalam 90 hari terakhir',
    batches_one_title: 'Angkatan {batch} saja (--batch)',
    pct_active: '% Aktif', rank: 'Peringkat', unit_s: 'dtk', unit_min: 'mnt',
    unit_h: 'jam', unit_d: 'hari', rule: 'Aturan aktif',
    verified: 'Checkpoint terverifikasi',
    links: 'Tautan', area: 'Wilayah', link_state: 'Status', link_pos: 'Posisi',
    lag: 'Tertinggal', lag_time: 'Tertinggal (waktu)', up: 'tersambung',
    down: 'putus', records: 'catatan', pick: 'Pilih tanggal',
    today: 'Hari ini', past: 'per tanggal', past_error: 'gagal memuat tanggal',
    behind_title: 'Kantor mencatat lebih banyak dari log: data hilang dari basis data? jalankan jejak-replay verify',
    quality: 'Kualitas data', q_open: 'terbuka', q_resolved: 'selesai dikoreksi',
    /* The board's notes by code (docs/STATUS.md, "Notes"): {name} is an
       argument of note_args; recovered's {after} is itself a code. */
    note_feed_silent: 'feed terputus {seconds} dtk (broker mati?): berlangganan ulang, mengejar dari store',
    note_feed_back: 'feed tersambung kembali',
    note_store_silent: 'store tidak menjawab (dimulai ulang?): menyambung ulang',
    note_store_back: 'store menjawab kembali',
    note_recovered: 'pulih pukul {time} WIB setelah: {after}',
    note_head_backwards: 'head log mundur: memuat ulang dari posisi 0',
    note_hash_differs: 'hash log berbeda di posisi papan: memuat ulang dari posisi 0',
    note_log_shorter: 'log store lebih pendek dari log papan: memuat ulang dari posisi 0',
    note_state_failed: 'salinan data store tidak dapat dimuat: memuat ulang dari posisi 0',
    note_replica_failed: 'replika papan gagal: memuat ulang dari posisi 0',
    note_region_differs: '--region {region} berbeda dengan wilayah store {store_region}',
    note_region_unknown: 'wilayah store {store_region} tidak dapat dimuat (lihat log): memakai wilayah {region}',
    note_months_differs: '--rat-deadline-months {months} berbeda dengan batas RAT store {store_months} bulan',
    note_region_months_differ: '--region {region} berbeda dengan wilayah store {store_region}; --rat-deadline-months {months} berbeda dengan batas RAT store {store_months} bulan',
    note_region_unknown_months_differ: 'wilayah store {store_region} tidak dapat dimuat (lihat log): memakai wilayah {region}; --rat-deadline-months {months} berbeda dengan batas RAT store {store_months} bulan'
  },
  en: {
    title: 'Jejak status board', pos: 'Log position', asof: 'As of',
    cooperatives: 'Cooperatives', active: 'Active', people: 'People',
    enrolled: 'Enrolled', assessed: 'Assessed', competent: 'Competent',
    certificates: 'Certificates', certificates_valid: 'Valid certificates',
    rejections: 'Rejected', chart_kec: 'Registered vs active cooperatives per kecamatan',
    chart_batch: 'Attendance % per training batch', per_kec: 'Per kecamatan',
    code: 'Code', kecamatan: 'Kecamatan', batches: 'Training batches',
    batch: 'Batch', dates: 'Dates', present_today: 'Present today',
    attendance: 'Attendance %', offices: 'Offices', source: 'Source',
    last_seen: 'Last seen', outbox: 'Outbox', seq: 'Seq',
    accepted: 'Accepted', rejected: 'Rejected',
    readonly: 'Read-only board. NIKs are always masked.',
    live: 'live', catching: 'catching up…', offline: 'offline (reconnecting)',
    registered: 'Registered', none: 'none', ago: 'ago', never: '–',
    no_batches: 'No running batches', no_offices: 'No offices yet',
    batch_unknown: 'Batch {batch} is not recorded (yet)', closed: 'closed',
    batches_title: 'Open training batches, and those closed in the last 90 days',
    batches_one_title: 'Batch {batch} only (--batch)',
    pct_active: '% Active', rank: 'Rank', unit_s: 's', unit_min: 'min',
    unit_h: 'h', unit_d: 'd', rule: 'Active rule',
    verified: 'Checkpoint verified',
    links: 'Links', area: 'Area', link_state: 'State', link_pos: 'Position',
    lag: 'Behind', lag_time: 'Behind (time)', up: 'up', down: 'down',
    records: 'records', pick: 'Pick a date', today: 'Today',
    past: 'as of a date', past_error: 'could not load the date',
    behind_title: 'The office holds receipts the log does not have: data lost from the database? run jejak-replay verify',
    quality: 'Data quality', q_open: 'open', q_resolved: 'resolved by a correction',
    note_feed_silent: 'no feed for {seconds} s (broker down?): re-subscribed, catching up from the store',
    note_feed_back: 'feed back',
    note_store_silent: 'store not answering (restart?): reconnecting',
    note_store_back: 'store back',
    note_recovered: 'recovered {time} WIB after: {after}',
    note_head_backwards: 'the log head went backwards: reloading from position 0',
    note_hash_differs: 'the log\'s hash differs at our position: reloading from position 0',
    note_log_shorter: 'the store\'s log is shorter than ours: reloading from position 0',
    note_state_failed: 'the store\'s state could not be loaded: reloading from position 0',
    note_replica_failed: 'the board\'s replica failed: reloading from position 0',
    note_region_differs: '--region {region} is not the store\'s region {store_region}',
    note_region_unknown: 'the store\'s region {store_region} could not be loaded (see the log): applying with region {region}',
    note_months_differs: '--rat-deadline-months {months} is not the store\'s {store_months}',
    note_region_months_differ: '--region {region} is not the store\'s region {store_region}; --rat-deadline-months {months} is not the store\'s {store_months}',
    note_region_unknown_months_differ: 'the store\'s region {store_region} could not be loaded (see the log): applying with region {region}; --rat-deadline-months {months} is not the store\'s {store_months}'
  }
};

let lang = 'id';
let doc = null;         /* the latest board document */
let connected = false;  /* the event stream is open */
let source = null;      /* the event stream, closed while a date is picked */
let picked = '';        /* YYYY-MM-DD chosen in the date picker, or '' */
let sortKey = 'code';
let sortDir = 1;
const SVG = 'http://www.w3.org/2000/svg';

function t (key) { return LABELS[lang][key] || LABELS.en[key] || key; }
function $ (id) { return document.getElementById(id); }
function num (v) { return typeof v === 'number' ? v : 0; }
/* One number format on every page, in either language: Indonesian
   (1.503; 92,4 %). */
function fmt (v) { return num(v).toLocaleString('id-ID'); }
function fmtPct (v) {
  return num(v).toLocaleString('id-ID', { minimumFractionDigits: 1,
                                          maximumFractionDigits: 1 }) + ' %';
}
function dateId (iso) {
  return /^\d{4}-\d\d-\d\d$/.test(iso || '') ? iso.slice(8) + '/' + iso.slice(5, 7) + '/' + iso.slice(0, 4) : (iso || '');
}

function el (tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function svgEl (tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  return e;
}

/* The connection badge: the board's own state when the stream is open. */
function drawState () {
  const badge = $('state');
  let state = 'offline';
  let text = t('offline');
  if (picked && doc) {
    state = 'as-of'; text = t('past') + ' ' + dateId(picked);
  } else if (connected && doc) {
    if (doc.state === 'live') { state = 'live'; text = t('live'); }
    else if (/^(starting|catching)/.test(doc.state)) {
      state = 'catching-up'; text = t('catching') + ' ' + fmt(doc.pos) + '/' + fmt(doc.head);
    } else { text = doc.state; }
  }
  badge.dataset.state = state;
  badge.textContent = text;
  badge.title = 'Connection state: ' +
    (state === 'live' ? 'live' : state === 'catching-up' ? 'catching up' : 'offline (reconnecting)');
}

/* The board's note in the page's language: its code through the
   dictionaries (note_CODE, each {name} replaced by its argument; a
   recovered note's {after} names the note it recovered from), else, for
   a code this page does not know, the text as the board sent it. */
function noteText () {
  const key = 'note_' + (doc.note_code || '');
  if (!doc.note_code || !LABELS.id[key] || !LABELS.en[key]) return doc.note || '';
  const args = doc.note_args || {};
  return t(key).replace(/\{(\w+)\}/g, function (all, name) {
    const value = args[name] === undefined ? '' : String(args[name]);
    return name === 'after' && LABELS.id['note_' + value] ? t('note_' + value) : value;
  });
}

function drawHead () {
  $('log-pos').textContent = fmt(doc.pos);
  $('log-head').textContent = fmt(doc.head);
  $('log-hash').textContent = (doc.hash || '').slice(0, 16);
  $('as-of').textContent = dateId(doc.snapshot.as_of) || '–';
  const note = $('note');
  const text = noteText();
  note.hidden = !text;
  note.textContent = text;
  note.dataset.code = text ? doc.note_code || '' : '';
  /* The fork alarm: loud, never hidden while the board runs. */
  const cp = doc.checkpoint || {};
  const alarm = $('alarm');
  alarm.hidden = !cp.alarm;
  alarm.textContent = cp.alarm ? '!!! ' + cp.alarm + ' !!!' : '';
  const verified = $('checkpoint');
  verified.hidden = !cp.verified || !!cp.alarm;
  verified.textContent = cp.verified ? t('verified') + ': ' + fmt(cp.verified) : '';
}

function drawTotals () {
  const totals = doc.snapshot.totals || {};
  document.querySelectorAll('[data-total]').forEach(function (e) {
    const v = totals[e.dataset.total];
    e.textContent = fmt(v);
    e.dataset.value = num(v);
  });
  const rule = doc.snapshot.active_rule || {};
  $('active-rule').textContent = t('rule') + ': ' + (rule.text || '–') +
    (rule.spec ? ' [' + rule.spec + ']' : '');
  /* Data-quality warnings: open, and resolved by a correction. */
  const quality = $('quality');
  quality.dataset.open = num(totals.quality_open);
  quality.dataset.resolved = num(totals.quality_resolved);
  quality.textContent = t('quality') + ': ' + fmt(totals.quality_open) + ' ' +
    t('q_open') + ', ' + fmt(totals.quality_resolved) + ' ' + t('q_resolved');
  checkTiles();
}

/* The number tiles must not overflow at the window's size: each tile must
   have room for a five-digit figure ("88.888") in its own font, show its
   own number whole, and no two tiles may overlap. The result is kept in
   data-tiles ("fit" or "overflow") for the browser test. */
function checkTiles () {
  const tiles = Array.prototype.slice.call(document.querySelectorAll('.totals > div'));
  let fit = true;
  tiles.forEach(function (tile) {
    const b = tile.querySelector('b');
    const probe = document.createElement('b');
    probe.textContent = '88.888';
    probe.style.cssText = 'position:absolute;visibility:hidden;display:inline-block';
    tile.appendChild(probe);
    const need = probe.getBoundingClientRect().width;
    tile.removeChild(probe);
    const cs = getComputedStyle(tile);
    const room = tile.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    if (need > room || b.scrollWidth > b.clientWidth + 1) {
      fit = false;
      tile.parentNode.dataset.tilesWhy = b.dataset.total + ': needs ' +
        Math.round(need) + ' px, has ' + Math.round(room) + ' px';
    }
  });
  const rects = tiles.map(function (d) { return d.getBoundingClientRect(); });
  for (let i = 0; i < rects.length; i++)
    for (let j = i + 1; j < rects.length; j++)
      if (rects[i].left < rects[j].right && rects[j].left < rects[i].right &&
          rects[i].top < rects[j].bottom && rects[j].top < rects[i].bottom)
        fit = false, tiles[0].parentNode.dataset.tilesWhy = 'tiles overlap';
  if (tiles.length) tiles[0].parentNode.dataset.tiles = fit ? 'fit' : 'overflow';
}

/* Kecamatan rows shown: all of a regency; with more than 40 (a province)
   only those with cooperatives or people, as the terminal board does. */
function kecamatanRows () {
  let rows = (doc.snapshot.kecamatan || []).slice();
  if (rows.length > 40)
    rows = rows.filter(function (k) { return num(k.cooperatives) || num(k.people); });
  return rows;
}

/* % active and the rank by it (equal shares share a rank). */
function rankKecamatan (rows) {
  rows.forEach(function (k) {
    k.pct_active = num(k.cooperatives) ? Math.round(1000 * num(k.active) / num(k.cooperatives)) / 10 : 0;
  });
  const order = rows.slice().sort(function (a, b) { return b.pct_active - a.pct_active; });
  order.forEach(function (k, i) {
    k.rank = i > 0 && order[i - 1].pct_active === k.pct_active ? order[i - 1].rank : i + 1;
  });
}

function drawKecamatan () {
  const rows = kecamatanRows();
  rankKecamatan(rows);
  rows.sort(function (a, b) {
    const x = a[sortKey], y = b[sortKey];
    if (typeof x === 'number' || typeof y === 'number')
      return sortDir * (num(x) - num(y)) || (a.code < b.code ? -1 : 1);
    return sortDir * String(x).localeCompare(String(y));
  });
  const body = $('kecamatan').tBodies[0];
  body.replaceChildren();
  const keys = ['rank', 'code', 'name', 'cooperatives', 'active', 'pct_active',
                'people', 'enrolled', 'assessed', 'competent', 'certificates'];
  rows.forEach(function (k) {
    const tr = el('tr');
    tr.dataset.kecamatan = k.code;
    keys.forEach(function (key) {
      const v = k[key];
      const td = el('td', key === 'pct_active' ? fmtPct(v)
                          : typeof v === 'number' ? fmt(v) : (v || ''));
      if (typeof v === 'number') {
        td.dataset.field = key;
        if (!v) td.className = 'zero';
      }
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
  document.querySelectorAll('#kecamatan th').forEach(function (th) {
    if (th.dataset.key === sortKey) th.dataset.sort = sortDir > 0 ? 'asc' : 'desc';
    else delete th.dataset.sort;
  });
}

/* Horizontal bars: registered and active cooperatives per kecamatan. */
function drawKecamatanChart () {
  const rows = kecamatanRows();
  const box = $('chart-kecamatan');
  const rowH = 20, labelW = 150, width = 760, barW = width - labelW - 60;
  const max = Math.max(1, ...rows.map(function (k) { return num(k.cooperatives); }));
  const svg = svgEl('svg', { viewBox: '0 0 ' + width + ' ' + (rows.length * rowH + 24),
                             role: 'img', 'aria-label': t('chart_kec') });
  const legend = [['reg', t('registered')], ['act', t('active')]];
  legend.forEach(function (l, i) {
    svg.appendChild(svgEl('rect', { x: labelW + i * 140, y: 4, width: 14, height: 14, class: l[0] }));
    const text = svgEl('text', { x: labelW + i * 140 + 20, y: 16 });
    text.textContent = l[1];
    svg.appendChild(text);
  });
  rows.forEach(function (k, i) {
    const y = 24 + i * rowH;
    const label = svgEl('text', { x: labelW - 6, y: y + 14, 'text-anchor': 'end' });
    label.textContent = k.name;
    svg.appendChild(label);
    const reg = num(k.cooperatives), act = num(k.active);
    svg.appendChild(svgEl('rect', { x: labelW, y: y + 2, height: 8,
                                    width: Math.max(reg ? 2 : 0, barW * reg / max), class: 'reg' }));
    svg.appendChild(svgEl('rect', { x: labelW, y: y + 10, height: 8,
                                    width: Math.max(act ? 2 : 0, barW * act / max), class: 'act' }));
    if (reg) {
      const v = svgEl('text', { x: labelW + barW * reg / max + 6, y: y + 14 });
      v.textContent = reg + ' / ' + act;
      svg.appendChild(v);
    }
  });
  box.replaceChildren(svg);
}

function drawBatches () {
  const batches = doc.snapshot.batches || [];
  /* The heading's tooltip says what the table holds, in the page's
     language: every batch of the snapshot, or the one --batch names. */
  $('batches-title').title = doc.batch
    ? t('batches_one_title').replace('{batch}', doc.batch.code) : t('batches_title');
  const body = $('batches').tBodies[0];
  body.replaceChildren();
  /* No batch to show: the one --batch names is not recorded (yet), or
     none runs. */
  const empty = doc.batch && !doc.batch.recorded
    ? t('batch_unknown').replace('{batch}', doc.batch.code) : t('no_batches');
  if (!batches.length) {
    const tr = el('tr');
    tr.id = 'batches-empty';
    const td = el('td', empty);
    td.colSpan = 5;
    tr.appendChild(td);
    body.appendChild(tr);
  }
  batches.forEach(function (b) {
    const tr = el('tr');
    tr.dataset.batch = b.batch;
    tr.dataset.closed = b.closed ? '1' : '0';
    tr.appendChild(el('td', b.batch + (b.title ? ' — ' + b.title : '') +
                            (b.closed ? ' (' + t('closed') + ')' : '')));
    tr.appendChild(el('td', dateId(b.start_date) + ' … ' + dateId(b.end_date)));
    tr.appendChild(el('td', fmt(b.enrolled)));
    tr.appendChild(el('td', fmt(b.present_today)));
    const pct = el('td', fmtPct(b.attendance_pct));
    pct.dataset.field = 'attendance_pct';
    tr.appendChild(pct);
    body.appendChild(tr);
  });
  /* The chart: one bar per batch, 0-100 %. */
  const box = $('chart-batches');
  const rowH = 26, labelW = 170, width = 520, barW = width - labelW - 60;
  const svg = svgEl('svg', { viewBox: '0 0 ' + width + ' ' + Math.max(40, batches.length * rowH + 10),
                             role: 'img', 'aria-label': t('chart_batch') });
  if (!batches.length) {
    const text = svgEl('text', { x: 10, y: 24 });
    text.textContent = empty;
    svg.appendChild(text);
  }
  batches.forEach(function (b, i) {
    const y = 5 + i * rowH;
    const pct = Math.min(100, Math.max(0, num(b.attendance_pct)));
    const label = svgEl('text', { x: labelW - 6, y: y + 17, 'text-anchor': 'end' });
    label.textContent = b.batch;
    svg.appendChild(label);
    svg.appendChild(svgEl('rect', { x: labelW, y: y + 4, width: barW, height: 16, class: 'axis', fill: 'none' }));
    svg.appendChild(svgEl('rect', { x: labelW, y: y + 4, width: barW * pct / 100, height: 16, class: 'att' }));
    const v = svgEl('text', { x: labelW + barW + 6, y: y + 17 });
    v.textContent = fmtPct(pct);
    svg.appendChild(v);
  });
  box.replaceChildren(svg);
}

function ago (ms) {
  if (!ms) return t('never');
  const s = Math.max(0, Math.floor((Date.now() - ms) / 1000));
  /* Every word in the page's language: "4 mnt lalu" / "4 min ago". The
     terminal board's rule (render_term.c, s_age): whole units, rounded
     down, seconds under 2 minutes, minutes under 2 hours, hours under 2
     days, then days. */
  const text = s < 120 ? s + ' ' + t('unit_s')
    : s < 7200 ? Math.floor(s / 60) + ' ' + t('unit_min')
    : s < 172800 ? Math.floor(s / 3600) + ' ' + t('unit_h')
    : Math.floor(s / 86400) + ' ' + t('unit_d');
  return text + ' ' + t('ago');
}

/* One row per source: the store's counts, the agent's heartbeat. */
function drawOffices () {
  const bySource = {};
  (doc.snapshot.sources || []).forEach(function (s) {
    bySource[s.source] = { source: s.source, seq: num(s.next_seq) - 1, accepted: s.accepted,
                           rejected: s.rejected, seen: num(s.last_recorded_at) };
  });
  (doc.offices || []).forEach(function (o) {
    const row = bySource[o.source] || (bySource[o.source] = { source: o.source, seq: 0,
                                                              accepted: 0, rejected: 0, seen: 0 });
    row.outbox = o.outbox;
    row.seen = Math.max(row.seen, num(o.last_seen_ms));
    /* The office holds receipts the log does not have (caught up only:
       while catching up it is the board that is behind). */
    if (doc.pos >= doc.head && num(o.stored_seq) > row.seq)
      row.behind = num(o.stored_seq) - row.seq;
  });
  const body = $('offices').tBodies[0];
  body.replaceChildren();
  const rows = Object.keys(bySource).sort().map(function (k) { return bySource[k]; });
  if (!rows.length) {
    const tr = el('tr');
    const td = el('td', t('no_offices'));
    td.colSpan = 6;
    tr.appendChild(td);
    body.appendChild(tr);
  }
  rows.forEach(function (r) {
    const tr = el('tr');
    tr.dataset.source = r.source;
    tr.appendChild(el('td', r.source));
    tr.appendChild(el('td', ago(r.seen)));
    tr.appendChild(el('td', r.outbox === undefined ? '–' : fmt(r.outbox)));
    const seq = el('td', fmt(r.seq) + (r.behind ? ' (−' + fmt(r.behind) + ')' : ''));
    if (r.behind) {
      seq.className = 'bad';
      seq.title = t('behind_title');
      tr.dataset.behind = r.behind;
    }
    tr.appendChild(seq);
    tr.appendChild(el('td', fmt(r.accepted)));
    const rej = el('td', fmt(r.rejected));
    if (num(r.rejected)) rej.className = 'bad';
    tr.appendChild(rej);
    body.appendChild(tr);
  });
}

/* The federation links (jejak-status --link), when there are any. */
function drawLinks () {
  const links = doc.links || [];
  $('links-section').hidden = !links.length;
  const body = $('links').tBodies[0];
  body.replaceChildren();
  links.forEach(function (l) {
    const tr = el('tr');
    tr.dataset.area = l.area;
    tr.appendChild(el('td', l.area));
    tr.appendChild(el('td', t(l.up ? 'up' : 'down')));
    tr.appendChild(el('td', fmt(l.cursor) + ' / ' + fmt(l.head)));
    tr.appendChild(el('td', fmt(l.lag) + ' ' + t('records')));
    tr.appendChild(el('td', (num(l.lag_ms) / 1000).toLocaleString(lang === 'id' ? 'id-ID' : 'en-GB',
                                                            { maximumFractionDigits: 1 }) + ' ' + t('unit_s')));
    body.appendChild(tr);
  });
}

function draw () {
  drawState();
  if (!doc || !doc.snapshot) return;
  drawHead();
  drawTotals();
  drawKecamatan();
  drawKecamatanChart();
  drawBatches();
  drawOffices();
  drawLinks();
  document.body.dataset.pos = doc.pos;
}

function translate () {
  document.documentElement.lang = lang;
  document.querySelectorAll('[data-i18n]').forEach(function (e) {
    e.textContent = t(e.dataset.i18n);
  });
  document.title = t('title');
  $('lang').textContent = lang === 'id' ? 'EN' : 'ID';
  draw();
}

function accept (text) {
  try {
    const next = JSON.parse(text);
    if (next && next.snapshot) { doc = next; draw(); }
  } catch (e) { /* a broken document: keep the last good one */ }
}

function connect () {
  source = new EventSource('/events');
  source.onopen = function () { connected = true; drawState(); };
  source.onmessage = function (ev) { connected = true; accept(ev.data); };
  /* EventSource reconnects by itself; meanwhile say so. */
  source.onerror = function () { connected = false; drawState(); };
}

/* The date picker: the board as of a chosen day, computed by the
   server from the store (/snapshot.json?as_of=YYYY-MM-DD); the live stream
   pauses meanwhile and "Hari ini" resumes it. */
function pick (day) {
  picked = day;
  if (!day) {
    $('as-of-pick').value = '';
    if (!source) connect();
    draw();
    return;
  }
  if (source) { source.close(); source = null; connected = false; }
  fetch('/snapshot.json?as_of=' + encodeURIComponent(day))
    .then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    })
    .then(function (text) { if (picked === day) accept(text); })
    .catch(function () {
      const note = $('note');
      note.hidden = false;
      note.textContent = t('past_error') + ' ' + dateId(day);
    });
}

document.addEventListener('DOMContentLoaded', function () {
  $('as-of-pick').addEventListener('change', function () {
    pick($('as-of-pick').value);
  });
  $('as-of-today').addEventListener('click', function () { pick(''); });
  document.querySelectorAll('#kecamatan th').forEach(function (th) {
    th.addEventListener('click', function () {
      if (sortKey === th.dataset.key) sortDir = -sortDir;
      else { sortKey = th.dataset.key; sortDir = th.dataset.key === 'code' || th.dataset.key === 'name' ? 1 : -1; }
      draw();
    });
  });
  $('lang').addEventListener('click', function () {
    lang = lang === 'id' ? 'en' : 'id';
    translate();
  });
  /* The server puts the document of the moment into the page itself, so
     the first paint already has the numbers; the stream keeps them live. */
  const initial = $('board-data');
  if (initial) { connected = true; accept(initial.textContent); }
  else drawState();
  connect();
  setInterval(function () { if (doc) drawOffices(); }, 5000);
});
