// smelt docs: the whole front end, plain JavaScript run from file:// or `smelt docs serve`.
// Rules that keep it safe and fast:
// - user text (names, descriptions, SQL) only ever reaches the page through textContent or
//   setAttribute, never innerHTML; highlight.js output is the one innerHTML and it escapes;
// - data arrives as scripts (data/*.js call window.__smelt*), since file:// pages cannot fetch;
// - the graph never draws more than MAX_NODES: big projects get folder overviews and focus views.
(function () {
  'use strict';

  var MAX_NODES = 300;
  var SVGNS = 'http://www.w3.org/2000/svg';
  var LAYER_COLORS = { source: '#2b8a9e', bronze: '#b87333', silver: '#8a94a6', gold: '#c9a227', test: '#7c6bb0', other: '#6b7280' };
  var EXTRA_COLORS = ['#4e79a7', '#59a14f', '#e15759', '#76b7b2', '#af7aa1', '#ff9da7', '#9c755f', '#edc948'];
  var STATUS_COLORS = { success: '#2e9d57', pass: '#2e9d57', error: '#d64541', fail: '#d64541', warn: '#d99a1e', skipped: '#d99a1e', 'not run': '#9aa3af' };
  var LAYER_SEQUENCE = ['source', 'bronze', 'silver', 'gold'];
  var TYPE_ORDER = ['source', 'cdc source', 'seed', 'snapshot', 'model', 'test'];
  var TYPE_TITLES = { source: 'Sources', 'cdc source': 'CDC sources', seed: 'Seeds', snapshot: 'Snapshots', model: 'Models', test: 'Tests' };

  var INDEX = null;
  var NODES = [];
  var BY_ID = new Map();
  var TESTS_OF = new Map(); // node index -> test indices
  var shardWaiters = new Map();
  var shards = new Map();
  var LINEAGE = null;
  var lineagePromise = null;
  var UPSTREAM_OF = null; // "node\0column" -> [[node, column, transform]] (downstream readers)
  var STAR_READERS = null; // node -> [[reader node, transform]] for `select *` with unknown columns
  var searchIndex = null;
  var graphState = null;

  // ---------------------------------------------------------------- data loading
  window.__smeltIndex = function (data) {
    INDEX = data;
    NODES = data.nodes;
    NODES.forEach(function (n, i) {
      BY_ID.set(n.id, i);
      if (n.tested !== undefined) {
        if (!TESTS_OF.has(n.tested)) TESTS_OF.set(n.tested, []);
        TESTS_OF.get(n.tested).push(i);
      }
    });
  };
  window.__smeltDetails = function (shard, data) {
    shards.set(shard, data);
    var waiter = shardWaiters.get(shard);
    if (waiter) waiter.resolve(data);
  };
  window.__smeltLineage = function (data) {
    LINEAGE = data;
  };

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = src;
      s.onload = function () { resolve(); };
      s.onerror = function () { reject(new Error('could not load ' + src)); };
      document.body.appendChild(s);
    });
  }

  function details(i) {
    var shard = NODES[i].shard;
    if (shards.has(shard)) return Promise.resolve(shards.get(shard)[NODES[i].id]);
    if (!shardWaiters.has(shard)) {
      var waiter = {};
      waiter.promise = new Promise(function (resolve, reject) { waiter.resolve = resolve; waiter.reject = reject; });
      shardWaiters.set(shard, waiter);
      loadScript('data/details/' + shard + '.js').catch(waiter.reject);
    }
    return shardWaiters.get(shard).promise.then(function (data) { return data[NODES[i].id]; });
  }

  function lineage() {
    if (!lineagePromise) {
      lineagePromise = loadScript('data/lineage.js').then(function () {
        UPSTREAM_OF = new Map();
        STAR_READERS = new Map();
        Object.keys(LINEAGE).forEach(function (key) {
          var reader = Number(key);
          LINEAGE[key].columns.forEach(function (col) {
            col[2].forEach(function (src) {
              if (src[1] === '*') {
                if (!STAR_READERS.has(src[0])) STAR_READERS.set(src[0], []);
                STAR_READERS.get(src[0]).push([reader, col[1]]);
                return;
              }
              var k = src[0] + '\u0000' + src[1].toLowerCase();
              if (!UPSTREAM_OF.has(k)) UPSTREAM_OF.set(k, []);
              UPSTREAM_OF.get(k).push([reader, col[0], col[1]]);
            });
          });
        });
        return LINEAGE;
      });
    }
    return lineagePromise;
  }

  var hljsPromise = null;
  function highlighter() {
    if (!hljsPromise) hljsPromise = loadScript('assets/highlight.min.js').then(function () { return window.hljs; }, function () { return null; });
    return hljsPromise;
  }

  // ---------------------------------------------------------------- DOM helpers
  function h(tag, props) {
    var el = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'class') el.className = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v);
      });
    }
    for (var a = 2; a < arguments.length; a++) append(el, arguments[a]);
    return el;
  }
  function append(el, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  function s(tag, attrs) {
    var el = document.createElementNS(SVGNS, tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { if (attrs[k] !== undefined) el.setAttribute(k, attrs[k]); });
    return el;
  }
  function nodeHref(i, column) {
    return '#/node/' + encodeURIComponent(NODES[i].id) + (column ? '?column=' + encodeURIComponent(column) : '');
  }
  function lineageHref(params) {
    var q = Object.keys(params).filter(function (k) { return params[k] !== undefined && params[k] !== '' && params[k] !== null; })
      .map(function (k) { return k + '=' + encodeURIComponent(params[k]); }).join('&');
    return '#/lineage' + (q ? '?' + q : '');
  }
  function nodeLink(i, column, text) {
    return h('a', { href: nodeHref(i, column), title: NODES[i].id }, text || (NODES[i].name + (column ? '.' + column : '')));
  }
  function badge(text, cls) { return h('span', { class: 'badge' + (cls ? ' ' + cls : '') }, text); }
  function statusBadge(status) { return badge(status || 'not run', 'status-' + (status || 'none')); }
  function layerColor(layer) {
    if (LAYER_COLORS[layer]) return LAYER_COLORS[layer];
    var hash = 0;
    for (var i = 0; i < layer.length; i++) hash = (hash * 31 + layer.charCodeAt(i)) | 0;
    return EXTRA_COLORS[Math.abs(hash) % EXTRA_COLORS.length];
  }
  function tint(hex, amount) {
    var n = parseInt(hex.slice(1), 16);
    var r = n >> 16, g = (n >> 8) & 255, b = n & 255;
    var mix = function (c) { return Math.round(c + (255 - c) * amount); };
    return 'rgb(' + mix(r) + ',' + mix(g) + ',' + mix(b) + ')';
  }
  function nodeColor(n, colorBy) {
    return colorBy === 'status' ? STATUS_COLORS[n.status || 'not run'] || STATUS_COLORS['not run'] : layerColor(n.layer);
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  function ready(view) { document.body.setAttribute('data-ready', view); }

  // ---------------------------------------------------------------- routing
  function parseRoute() {
    var hash = location.hash.replace(/^#!?/, '') || '/';
    var q = hash.indexOf('?');
    var path = q >= 0 ? hash.slice(0, q) : hash;
    var params = {};
    if (q >= 0) {
      hash.slice(q + 1).split('&').forEach(function (pair) {
        if (!pair) return;
        var eq = pair.indexOf('=');
        var key = eq >= 0 ? pair.slice(0, eq) : pair;
        try { params[key] = eq >= 0 ? decodeURIComponent(pair.slice(eq + 1)) : ''; } catch (e) { params[key] = ''; }
      });
    }
    var parts = path.split('/').filter(Boolean);
    var arg = parts.slice(1).join('/');
    try { arg = decodeURIComponent(arg); } catch (e) { /* keep as is */ }
    return { view: parts[0] || 'overview', arg: arg, params: params };
  }

  var renderToken = 0;
  function render() {
    var route = parseRoute();
    var token = ++renderToken;
    document.body.removeAttribute('data-ready');
    document.body.setAttribute('data-view', route.view);
    var main = document.getElementById('main');
    main.className = 'main';
    document.querySelectorAll('[data-nav]').forEach(function (a) { a.classList.toggle('active', a.getAttribute('data-nav') === route.view); });
    closeSearch();
    var view;
    if (route.view === 'node') view = renderNode(main, route, token);
    else if (route.view === 'lineage') view = renderLineage(main, route, token);
    else if (route.view === 'search') view = renderSearchPage(main, route);
    else view = renderOverview(main);
    Promise.resolve(view).catch(function (error) {
      clear(main);
      append(main, h('p', { class: 'notes' }, 'Something went wrong: ' + (error && error.message)));
    });
    markSidebar(route.view === 'node' ? BY_ID.get(route.arg) : undefined);
  }
  function stale(token) { return token !== renderToken; }

  // ---------------------------------------------------------------- sidebar
  var sidebarItems = new Map();
  function buildSidebar() {
    var side = document.getElementById('sidebar');
    var groups = new Map();
    NODES.forEach(function (n, i) {
      if (!groups.has(n.type)) groups.set(n.type, new Map());
      var key = n.type === 'source' || n.type === 'cdc source' ? n.id.split('.').slice(2, -1).join('.') || n.folder : n.folder || '(root)';
      var folders = groups.get(n.type);
      if (!folders.has(key)) folders.set(key, []);
      folders.get(key).push(i);
    });
    TYPE_ORDER.forEach(function (type) {
      var folders = groups.get(type);
      if (!folders) return;
      var total = 0;
      folders.forEach(function (list) { total += list.length; });
      var group = h('details', { open: type === 'model' || type === 'seed' || type === 'source' ? '' : null },
        h('summary', null, TYPE_TITLES[type] + ' ', h('span', { class: 'count' }, '(' + total + ')')));
      Array.from(folders.keys()).sort().forEach(function (folder) {
        var list = folders.get(folder);
        var sub = h('details', { open: total <= 60 ? '' : null }, h('summary', null, folder + ' ', h('span', { class: 'count' }, '(' + list.length + ')')));
        var filled = false;
        var fill = function () {
          if (filled || !sub.open) return;
          filled = true;
          var shown = list.slice(0, 500);
          shown.forEach(function (i) {
            var a = h('a', { class: 'item', href: nodeHref(i), title: NODES[i].id }, NODES[i].name);
            sidebarItems.set(i, a);
            sub.appendChild(a);
          });
          if (list.length > shown.length) sub.appendChild(h('div', { class: 'item muted' }, (list.length - shown.length) + ' more: use search'));
        };
        sub.addEventListener('toggle', fill);
        group.appendChild(sub);
        if (sub.open) fill();
      });
      side.appendChild(group);
    });
  }
  var currentItem = null;
  function markSidebar(i) {
    if (currentItem) currentItem.classList.remove('current');
    currentItem = i !== undefined ? sidebarItems.get(i) || null : null;
    if (currentItem) currentItem.classList.add('current');
  }

  // ---------------------------------------------------------------- overview
  function renderOverview(main) {
    clear(main);
    var p = INDEX.project;
    var counts = {};
    var statuses = {};
    NODES.forEach(function (n) {
      counts[n.type] = (counts[n.type] || 0) + 1;
      if (n.status) statuses[n.status] = (statuses[n.status] || 0) + 1;
    });
    append(main, [
      h('h1', null, p.name),
      h('p', { class: 'muted' }, 'Target ' + p.targetName + ' (' + p.adapterType + '), generated ' + new Date(p.generatedAt).toLocaleString() + ' by smelt ' + p.smeltVersion +
        (p.warehouse ? '; column types from the warehouse.' : '; column types not read from the warehouse.')),
      h('div', { class: 'cards' }, TYPE_ORDER.filter(function (t) { return counts[t]; }).map(function (t) {
        return h('div', { class: 'card' }, h('div', { class: 'n' }, String(counts[t])), TYPE_TITLES[t]);
      })),
      h('p', null, h('a', { class: 'button', href: '#/lineage' }, 'Open the lineage graph')),
    ]);
    if (p.lastRun) {
      append(main, [
        h('h2', null, 'Last run'),
        h('p', null, 'smelt ' + p.lastRun.command + ' at ' + (p.lastRun.generatedAt ? new Date(p.lastRun.generatedAt).toLocaleString() : '?') + ': ',
          Object.keys(statuses).map(function (st) { return [statusBadge(st), ' ' + statuses[st] + ' ']; })),
      ]);
      var failed = [];
      NODES.forEach(function (n, i) { if (n.status === 'error' || n.status === 'fail') failed.push(i); });
      if (failed.length) append(main, h('ul', null, failed.slice(0, 50).map(function (i) { return h('li', null, nodeLink(i), ' ', statusBadge(NODES[i].status)); })));
    } else {
      append(main, h('p', { class: 'muted' }, 'No run results yet (target/run_results.json): statuses appear after smelt run or build.'));
    }
    ready('overview');
  }

  // ---------------------------------------------------------------- node page
  function renderNode(main, route, token) {
    var i = BY_ID.get(route.arg);
    clear(main);
    if (i === undefined) {
      append(main, [h('h1', null, 'Not found'), h('p', null, 'No node ', h('code', null, route.arg), ' in this project.')]);
      ready('node');
      return;
    }
    var n = NODES[i];
    document.title = n.name + ' · smelt docs';
    append(main, h('p', { class: 'muted' }, 'Loading ' + n.name + '…'));
    return details(i).then(function (d) {
      if (stale(token)) return;
      drawNodePage(main, i, d || {}, route.params.column);
    });
  }

  function drawNodePage(main, i, d, column) {
    var n = NODES[i];
    clear(main);
    var header = [
      h('h1', null, n.name),
      h('div', { class: 'badges' }, [
        badge(n.type),
        n.materialized && n.materialized !== n.type ? badge(n.materialized) : null,
        badge(n.layer, 'layer-' + n.layer),
        statusBadge(n.status),
      ]),
    ];
    append(main, header);
    append(main, n.description ? h('div', { class: 'description' }, n.description) : h('p', { class: 'muted' }, 'No description.'));
    append(main, h('p', null, h('a', { class: 'button', href: lineageHref({ focus: n.id }) }, 'Show in the lineage graph')));

    var facts = h('dl', { class: 'facts' });
    var fact = function (label, value) {
      if (value === undefined || value === null || value === '') return;
      facts.appendChild(h('dt', null, label));
      facts.appendChild(h('dd', null, value));
    };
    fact('Unique id', h('code', null, n.id));
    fact('Path', h('code', null, d.path || ''));
    if (d.relation) fact('Relation', h('code', null, d.relation));
    if (n.materialized) fact('Materialization', n.materialized);
    if (n.tags.length) fact('Tags', h('span', { class: 'links' }, n.tags.map(function (t) { return h('a', { href: lineageHref({ tag: t }) }, t); })));
    if (d.source) {
      fact('Source', d.source.sourceName);
      fact('Loader', d.source.loader);
      fact('Loaded-at field', d.source.loadedAtField);
      if (d.source.cdc !== undefined) fact('CDC', h('code', { class: 'pre' }, JSON.stringify(d.source.cdc, null, 1)));
    }
    if (n.tested !== undefined) {
      fact('Tests', [nodeLink(n.tested, n.testedColumn)]);
      fact('Test', n.testName);
    }
    if (d.patchPath) fact('Documented in', h('code', null, d.patchPath));
    if (d.result) {
      var r = d.result;
      fact('Last result', [statusBadge(r.status), r.completedAt ? ' at ' + new Date(r.completedAt).toLocaleString() : '', r.executionTime !== undefined ? ' in ' + r.executionTime.toFixed(2) + 's' : '',
        r.rowsAffected !== undefined ? ', ' + r.rowsAffected + ' rows' : '', r.failures !== undefined ? ', ' + r.failures + ' failing rows' : '']);
      if (r.message) fact('Message', h('span', { class: 'pre' }, r.message + (r.where ? '\n' + r.where : '')));
    }
    append(main, facts);

    drawColumns(main, i, column, d.lineage);

    var tests = TESTS_OF.get(i) || [];
    var tableTests = tests.filter(function (t) { return !NODES[t].testedColumn; });
    if (tableTests.length) {
      append(main, [h('h2', null, 'Tests on the whole ' + n.type), h('ul', null, tableTests.map(function (t) { return h('li', null, nodeLink(t), ' ', statusBadge(NODES[t].status)); }))]);
    }

    var up = n.up.filter(function (j) { return NODES[j].type !== 'test'; });
    var down = n.down.filter(function (j) { return NODES[j].type !== 'test'; });
    append(main, [
      h('h2', null, 'Upstream (' + up.length + ')'),
      up.length ? h('div', { class: 'links' }, up.map(function (j) { return nodeLink(j); })) : h('p', { class: 'muted' }, 'Reads no other node.'),
      h('h2', null, 'Downstream (' + down.length + ')'),
      down.length ? h('div', { class: 'links' }, down.map(function (j) { return nodeLink(j); })) : h('p', { class: 'muted' }, 'Nothing reads it.'),
    ]);

    if (d.rawSql || d.compiledSql) drawCode(main, n, d);
    ready('node');
    if (column) {
      var row = main.querySelector('tr[data-column="' + cssEscape(column.toLowerCase()) + '"]');
      if (row) row.scrollIntoView({ block: 'center' });
    }
  }

  function cssEscape(value) { return window.CSS && CSS.escape ? CSS.escape(value) : value.replace(/["\\]/g, '\\$&'); }

  function drawColumns(main, i, highlight, lin) {
    var n = NODES[i];
    var usedBy = lin ? lin.usedBy : {};
    var byName = new Map();
    if (lin) lin.columns.forEach(function (c) { byName.set(c[0].toLowerCase(), c); });
    var star = byName.get('*');
    var testsByColumn = new Map();
    (TESTS_OF.get(i) || []).forEach(function (t) {
      var col = NODES[t].testedColumn;
      if (!col) return;
      var key = col.toLowerCase();
      if (!testsByColumn.has(key)) testsByColumn.set(key, []);
      testsByColumn.get(key).push(t);
    });
    append(main, h('h2', null, 'Columns (' + n.columns.length + ')'));
    if (!n.columns.length && !star) {
      append(main, h('p', { class: 'muted' }, 'No columns known: build it, or list them in a YAML properties file.'));
    } else {
      var rows = n.columns.map(function (c) {
        var key = c[0].toLowerCase();
        var entry = byName.get(key);
        var from = entry ? entry[2] : star ? star[2].map(function (s) { return [s[0], s[1] === '*' ? c[0] : s[1]]; }) : [];
        var readers = (usedBy[key] || []).concat((usedBy['*'] || []).map(function (r) { return [r[0], r[1] === '*' ? c[0] : r[1], r[2]]; }));
        return h('tr', { 'data-column': key, class: highlight && highlight.toLowerCase() === key ? 'highlight' : null },
          h('td', null, h('code', null, c[0]), ' ', h('a', { href: lineageHref({ focus: n.id, column: c[0] }), title: 'Trace this column in the graph', class: 'kind' }, 'trace')),
          h('td', null, h('code', null, c[1])),
          h('td', { class: 'pre' }, c[2]),
          h('td', null, (testsByColumn.get(key) || []).map(function (t) {
            var label = (NODES[t].testName || NODES[t].name) + (NODES[t].status ? ': ' + NODES[t].status : '');
            return h('a', { href: nodeHref(t), title: NODES[t].name }, badge(label, 'status-' + (NODES[t].status || 'none')));
          })),
          h('td', { class: 'links' }, from.map(function (src) { return h('span', null, nodeLink(src[0], src[1])); }), entry ? h('span', { class: 'kind' }, entry[1]) : null),
          h('td', { class: 'links' }, readers.slice(0, 30).map(function (rd) { return nodeLink(rd[0], rd[1]); }), readers.length > 30 ? ' +' + (readers.length - 30) : null));
      });
      append(main, h('table', { class: 'grid' }, h('thead', null, h('tr', null, ['Column', 'Type', 'Description', 'Tests', 'Comes from', 'Used by'].map(function (t) { return h('th', null, t); }))), h('tbody', null, rows)));
    }
    if (lin && (lin.error || lin.unresolved.length)) {
      append(main, h('div', { class: 'notes' },
        lin.error ? h('div', null, 'Column lineage: the SQL did not parse: ' + lin.error) : h('div', null, 'Column lineage could not resolve everything:'),
        h('ul', null, lin.unresolved.map(function (u) { return h('li', null, u); }))));
    }
  }

  /** Columns of downstream nodes computed from column `column` of node i. */
  function downstreamOf(i, column) {
    if (!UPSTREAM_OF) return [];
    var out = (UPSTREAM_OF.get(i + '\u0000' + column.toLowerCase()) || []).map(function (r) { return [r[0], r[1], r[2]]; });
    (STAR_READERS.get(i) || []).forEach(function (r) { out.push([r[0], column, r[1]]); });
    return out;
  }
  function upstreamOf(i, column) {
    var lin = LINEAGE && LINEAGE[i];
    if (!lin) return [];
    var key = column.toLowerCase();
    var found = null;
    var star = null;
    lin.columns.forEach(function (c) { if (c[0].toLowerCase() === key) found = c; else if (c[0] === '*') star = c; });
    if (found) return found[2].map(function (s) { return [s[0], s[1], found[1]]; });
    if (star) return star[2].map(function (s) { return [s[0], s[1] === '*' ? column : s[1], 'direct']; });
    return [];
  }

  function drawCode(main, n, d) {
    var tabs = [];
    if (d.compiledSql) tabs.push(['Compiled SQL', d.compiledSql]);
    if (d.rawSql && d.rawSql !== d.compiledSql) tabs.push(['Source', d.rawSql]);
    var code = h('code', { class: 'language-sql' });
    var pre = h('pre', { class: 'code' }, code);
    var buttons = tabs.map(function (tab, k) {
      return h('button', { type: 'button', class: k === 0 ? 'active' : null, onclick: function () { show(k); } }, tab[0]);
    });
    function show(k) {
      buttons.forEach(function (b, j) { b.classList.toggle('active', j === k); });
      var text = tabs[k][1];
      code.textContent = text;
      highlighter().then(function (hljs) {
        if (!hljs || code.textContent !== text) return;
        // highlight.js escapes the text it is given; its output is the only HTML this page sets.
        code.innerHTML = hljs.highlight(text, { language: 'sql', ignoreIllegals: true }).value;
        code.classList.add('hljs');
      });
    }
    append(main, [h('h2', null, 'Code'), h('div', { class: 'tabs' }, buttons), pre]);
    show(0);
  }

  // ---------------------------------------------------------------- search
  function buildSearchIndex() {
    var entries = [];
    NODES.forEach(function (n, i) {
      entries.push({ i: i, kind: 'name', text: n.name.toLowerCase() });
      if (n.description) entries.push({ i: i, kind: 'description', text: n.description.toLowerCase() });
      n.columns.forEach(function (c) {
        entries.push({ i: i, kind: 'column', text: c[0].toLowerCase(), column: c[0] });
        if (c[2]) entries.push({ i: i, kind: 'column description', text: c[2].toLowerCase(), column: c[0] });
      });
    });
    return entries;
  }
  var KIND_WEIGHT = { name: 100, column: 60, description: 20, 'column description': 10 };
  function search(query, limit) {
    var q = query.trim().toLowerCase();
    if (!q) return [];
    if (!searchIndex) searchIndex = buildSearchIndex();
    var hits = [];
    for (var k = 0; k < searchIndex.length; k++) {
      var e = searchIndex[k];
      var at = e.text.indexOf(q);
      if (at < 0) continue;
      var score = KIND_WEIGHT[e.kind] + (at === 0 ? 15 : 0) + (e.text.length === q.length ? 30 : 0) - (NODES[e.i].type === 'test' ? 40 : 0);
      hits.push({ e: e, score: score, at: at });
    }
    hits.sort(function (a, b) { return b.score - a.score || NODES[a.e.i].name.localeCompare(NODES[b.e.i].name); });
    var seen = new Set();
    var out = [];
    for (var j = 0; j < hits.length && out.length < limit; j++) {
      var key = hits[j].e.i + '|' + (hits[j].e.column || '');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(hits[j]);
    }
    return out;
  }
  function resultRow(hit, cls) {
    var e = hit.e;
    var n = NODES[e.i];
    var why;
    if (e.kind === 'name') why = n.id;
    else if (e.kind === 'column') why = 'column ' + e.column;
    else {
      var source = e.kind === 'description' ? n.description : (n.columns.find(function (c) { return c[0] === e.column; }) || ['', '', ''])[2];
      why = (e.kind === 'column description' ? 'column ' + e.column + ': ' : '') + snippet(source, hit.at);
    }
    return h('a', { class: 'result' + (cls ? ' ' + cls : ''), href: nodeHref(e.i, e.column), 'data-kind': e.kind },
      h('strong', null, n.name), ' ', badge(n.type), h('span', { class: 'why' }, why));
  }
  function snippet(text, at) {
    var start = Math.max(0, at - 30);
    return (start > 0 ? '…' : '') + text.slice(start, start + 110).replace(/\s+/g, ' ');
  }

  var selected = -1;
  function setupSearch() {
    var input = document.getElementById('search');
    var box = document.getElementById('search-results');
    var timer = 0;
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { showResults(input.value); }, 60);
    });
    input.addEventListener('focus', function () { if (input.value) showResults(input.value); });
    input.addEventListener('keydown', function (ev) {
      var items = box.querySelectorAll('.result');
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        selected = Math.max(0, Math.min(items.length - 1, selected + (ev.key === 'ArrowDown' ? 1 : -1)));
        items.forEach(function (it, k) { it.classList.toggle('selected', k === selected); });
      } else if (ev.key === 'Enter') {
        if (selected >= 0 && items[selected]) location.hash = items[selected].getAttribute('href');
        else if (input.value.trim()) location.hash = '#/search?q=' + encodeURIComponent(input.value.trim());
        closeSearch();
      } else if (ev.key === 'Escape') {
        closeSearch();
        input.blur();
      }
    });
    document.addEventListener('keydown', function (ev) {
      if (ev.key === '/' && document.activeElement !== input && !(document.activeElement && /INPUT|SELECT|TEXTAREA/.test(document.activeElement.tagName))) {
        ev.preventDefault();
        input.focus();
      }
    });
    document.addEventListener('click', function (ev) {
      if (!box.contains(ev.target) && ev.target !== input) closeSearch();
    });
    function showResults(value) {
      var hits = search(value, 20);
      selected = -1;
      clear(box);
      if (!value.trim()) { box.hidden = true; return; }
      if (!hits.length) append(box, h('div', { class: 'result muted' }, 'Nothing matches.'));
      hits.forEach(function (hit) { box.appendChild(resultRow(hit)); });
      box.hidden = false;
    }
  }
  function closeSearch() {
    var box = document.getElementById('search-results');
    if (box) box.hidden = true;
  }

  function renderSearchPage(main, route) {
    clear(main);
    var q = route.params.q || '';
    var hits = search(q, 300);
    append(main, [h('h1', null, 'Search: ' + q), h('p', { class: 'muted' }, hits.length + (hits.length === 300 ? '+' : '') + ' results')]);
    append(main, h('div', null, hits.map(function (hit) { return resultRow(hit); })));
    ready('search');
  }

  // ---------------------------------------------------------------- lineage graph
  function renderLineage(main, route, token) {
    var p = route.params;
    var focus = p.focus !== undefined ? BY_ID.get(p.focus) : undefined;
    main.className = 'main full';
    clear(main);
    document.title = (focus !== undefined ? NODES[focus].name + ' · ' : '') + 'lineage · smelt docs';
    var toolbar = buildToolbar(p, focus);
    var banner = h('div', { class: 'banner', hidden: '' });
    var wrap = h('div', { class: 'graph-wrap' });
    append(main, [toolbar, banner, wrap]);
    if (focus !== undefined && p.column) {
      return lineage().then(function () {
        if (stale(token)) return;
        drawColumnGraph(wrap, banner, focus, p.column);
      });
    }
    drawNodeGraph(wrap, banner, p, focus);
  }

  function options(values, current, emptyLabel) {
    return [h('option', { value: '' }, emptyLabel)].concat(values.map(function (v) {
      return h('option', { value: v, selected: v === current ? '' : null }, v);
    }));
  }

  function buildToolbar(p, focus) {
    var tags = new Set(), folders = new Set(), mats = new Set();
    NODES.forEach(function (n) {
      n.tags.forEach(function (t) { tags.add(t); });
      if (n.folder) folders.add(n.folder);
      if (n.materialized && n.type !== 'test') mats.add(n.materialized);
    });
    var go = function (changes) {
      var next = Object.assign({}, p, changes);
      location.hash = lineageHref(next);
    };
    var hops = ['1', '2', '3', '5', '10', 'all'];
    var hopSelect = function (key) {
      return h('select', { 'aria-label': key, onchange: function (ev) { var o = {}; o[key] = ev.target.value; go(o); } },
        hops.map(function (v) { return h('option', { value: v, selected: (p[key] || 'all') === v ? '' : null }, v); }));
    };
    var focusInput = h('input', { type: 'search', placeholder: 'node name', value: focus !== undefined ? NODES[focus].name : '', size: '18', 'aria-label': 'Focus on node' });
    focusInput.addEventListener('change', function () {
      var name = focusInput.value.trim().toLowerCase();
      if (!name) { go({ focus: '', column: '' }); return; }
      var found = NODES.findIndex(function (n) { return n.name.toLowerCase() === name && n.type !== 'test'; });
      if (found < 0) { var hit = search(name, 1)[0]; found = hit ? hit.e.i : -1; }
      if (found >= 0) go({ focus: NODES[found].id, column: '' });
    });
    return h('div', { class: 'toolbar' },
      h('label', null, 'Focus', focusInput),
      focus !== undefined ? [h('label', null, 'Upstream', hopSelect('up')), h('label', null, 'Downstream', hopSelect('down')),
        h('button', { type: 'button', class: 'button', onclick: function () { go({ focus: '', column: '', up: '', down: '' }); } }, 'Whole project')] : null,
      focus !== undefined && NODES[focus].columns.length ? h('label', null, 'Column', h('select', { onchange: function (ev) { go({ column: ev.target.value }); } },
        options(NODES[focus].columns.map(function (c) { return c[0]; }), p.column, 'none: whole nodes'))) : null,
      h('label', null, 'Tag', h('select', { onchange: function (ev) { go({ tag: ev.target.value }); } }, options(Array.from(tags).sort(), p.tag, 'any'))),
      h('label', null, 'Folder', h('select', { onchange: function (ev) { go({ folder: ev.target.value }); } }, options(Array.from(folders).sort(), p.folder, 'any'))),
      h('label', null, 'Materialization', h('select', { onchange: function (ev) { go({ mat: ev.target.value }); } }, options(Array.from(mats).sort(), p.mat, 'any'))),
      h('label', null, h('input', { type: 'checkbox', checked: p.tests === '1' ? '' : null, onchange: function (ev) { go({ tests: ev.target.checked ? '1' : '' }); } }), 'tests'),
      h('label', null, 'Color', h('select', { onchange: function (ev) { go({ color: ev.target.value }); } },
        h('option', { value: 'layer', selected: p.color !== 'status' ? '' : null }, 'by layer'),
        h('option', { value: 'status', selected: p.color === 'status' ? '' : null }, 'by last run'))));
  }

  function passes(n, p) {
    if (n.type === 'test' && p.tests !== '1') return false;
    if (p.tag && n.tags.indexOf(p.tag) < 0) return false;
    if (p.folder && n.folder !== p.folder && n.folder.indexOf(p.folder + '/') !== 0) return false;
    if (p.mat && n.materialized !== p.mat) return false;
    return true;
  }

  /** Breadth-first from the focus, up and down separately: [index, hops], nearest first. */
  function neighbourhood(focus, up, down) {
    var dist = new Map([[focus, 0]]);
    [['up', up], ['down', down]].forEach(function (direction) {
      var seen = new Set([focus]);
      var frontier = [focus];
      for (var depth = 1; depth <= direction[1] && frontier.length; depth++) {
        var next = [];
        frontier.forEach(function (i) {
          NODES[i][direction[0]].forEach(function (j) {
            if (seen.has(j)) return;
            seen.add(j);
            next.push(j);
            if (!dist.has(j) || dist.get(j) > depth) dist.set(j, depth);
          });
        });
        frontier = next;
      }
    });
    return Array.from(dist.entries()).sort(function (a, b) { return a[1] - b[1]; });
  }

  function hopsOf(value) { return !value || value === 'all' ? Infinity : Math.max(0, parseInt(value, 10) || 0); }

  function drawNodeGraph(wrap, banner, p, focus) {
    var colorBy = p.color === 'status' ? 'status' : 'layer';
    var ids;
    var notice = '';
    if (focus !== undefined) {
      var near = neighbourhood(focus, hopsOf(p.up), hopsOf(p.down)).filter(function (e) { return e[0] === focus || passes(NODES[e[0]], p); });
      ids = near.map(function (e) { return e[0]; });
      if (ids.length > MAX_NODES) {
        notice = 'Showing the ' + MAX_NODES + ' nearest of ' + ids.length + ' nodes around ' + NODES[focus].name + ': lower the hops or filter to see the rest.';
        ids = ids.slice(0, MAX_NODES);
      }
    } else {
      ids = [];
      NODES.forEach(function (n, i) { if (passes(n, p)) ids.push(i); });
      if (ids.length > MAX_NODES) {
        banner.hidden = false;
        banner.textContent = ids.length + ' nodes match: showing folders. Click a folder to filter it, or search and focus on a node to see its neighbourhood.';
        drawFolderGraph(wrap, ids, p);
        return;
      }
    }
    if (notice) { banner.hidden = false; banner.textContent = notice; }
    var shown = new Set(ids);
    var edges = [];
    ids.forEach(function (i) { NODES[i].up.forEach(function (j) { if (shown.has(j)) edges.push([j, i]); }); });
    if (!ids.length) {
      append(wrap, h('p', { class: 'hint' }, 'No node matches these filters.'));
      ready('lineage');
      return;
    }
    var g = new dagre.graphlib.Graph();
    // Network simplex ranks best but costs most: big focus views use dagre's cheaper ranker.
    g.setGraph({ rankdir: 'LR', nodesep: 12, ranksep: 36, marginx: 30, marginy: 40, ranker: ids.length > 150 ? 'tight-tree' : 'network-simplex' });
    g.setDefaultEdgeLabel(function () { return {}; });
    ids.forEach(function (i) { g.setNode(String(i), { width: nodeWidth(NODES[i].name), height: 34 }); });
    edges.forEach(function (e) { g.setEdge(String(e[0]), String(e[1])); });
    var layers = anchorLayers(g, ids, edges);
    var t0 = performance.now();
    dagre.layout(g);
    var t1 = performance.now();

    var view = makeView(wrap);
    drawLayerBands(view, g, layers);
    var edgeEls = [];
    edges.forEach(function (e) {
      var path = s('path', { class: 'edge', d: edgePath(g.edge(String(e[0]), String(e[1])).points), 'marker-end': 'url(#arrow)' });
      path.__ends = e;
      edgeEls.push(path);
      view.edges.appendChild(path);
    });
    ids.forEach(function (i) {
      var n = NODES[i];
      var box = g.node(String(i));
      var color = nodeColor(n, colorBy);
      var el = s('g', { class: 'node' + (i === focus ? ' focus' : ''), transform: 'translate(' + (box.x - box.width / 2) + ',' + (box.y - box.height / 2) + ')', 'data-id': n.id });
      el.appendChild(s('rect', { class: 'box', width: box.width, height: box.height, rx: 7, fill: tint(color, 0.82), stroke: color, 'stroke-width': 1.5 }));
      el.appendChild(s('rect', { x: 0, y: 0, width: 6, height: box.height, rx: 3, fill: color }));
      var label = s('text', { x: 14, y: 15 });
      label.textContent = n.name;
      var sub = s('text', { x: 14, y: 28, class: 'sub' });
      sub.textContent = n.type === 'model' ? n.materialized : n.type;
      var title = s('title');
      title.textContent = n.name + ' (' + n.type + (n.status ? ', ' + n.status : '') + ')' + (n.description ? '\n' + n.description.slice(0, 300) : '') + '\nClick: open its page. ◎: focus the graph on it.';
      var btn = s('g', { class: 'focus-btn', transform: 'translate(' + (box.width - 14) + ',' + (box.height / 2) + ')' });
      btn.appendChild(s('circle', { r: 7 }));
      btn.appendChild(s('circle', { r: 2.5, fill: '#667085', stroke: 'none' }));
      var btnTitle = s('title');
      btnTitle.textContent = 'Focus on ' + n.name;
      btn.appendChild(btnTitle);
      btn.setAttribute('data-focus', n.id);
      el.appendChild(label);
      el.appendChild(sub);
      el.appendChild(title);
      el.appendChild(btn);
      el.addEventListener('mouseenter', function () { edgeEls.forEach(function (p2) { if (p2.__ends[0] === i || p2.__ends[1] === i) p2.classList.add('hot'); }); });
      el.addEventListener('mouseleave', function () { edgeEls.forEach(function (p2) { p2.classList.remove('hot'); }); });
      el.addEventListener('click', function (ev) {
        if (view.dragged()) return;
        if (ev.target.closest && ev.target.closest('.focus-btn')) location.hash = lineageHref(Object.assign({}, p, { focus: n.id, column: '' }));
        else location.hash = nodeHref(i);
      });
      view.nodes.appendChild(el);
    });
    view.fit(g.graph().width, g.graph().height, focus !== undefined ? g.node(String(focus)) : null);
    legend(wrap, colorBy, ids);
    view.svg.setAttribute('data-nodes', String(ids.length));
    // For bench/docs: where the time of the last graph went.
    window.__smeltGraphTimings = { nodes: ids.length, edges: edges.length, layoutMs: t1 - t0, drawMs: performance.now() - t1 };
    ready('lineage');
  }

  function drawFolderGraph(wrap, ids, p) {
    var folders = new Map();
    var folderOf = new Map();
    ids.forEach(function (i) {
      var n = NODES[i];
      var key = n.folder || '(root)';
      folderOf.set(i, key);
      if (!folders.has(key)) folders.set(key, { count: 0, layers: new Map() });
      var f = folders.get(key);
      f.count++;
      f.layers.set(n.layer, (f.layers.get(n.layer) || 0) + 1);
    });
    var edgeCounts = new Map();
    ids.forEach(function (i) {
      NODES[i].up.forEach(function (j) {
        var a = folderOf.get(j), b = folderOf.get(i);
        if (a === undefined || a === b) return;
        var k = a + '\u0000' + b;
        edgeCounts.set(k, (edgeCounts.get(k) || 0) + 1);
      });
    });
    var names = Array.from(folders.keys());
    var g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: 'LR', nodesep: 16, ranksep: 90, marginx: 30, marginy: 30 });
    g.setDefaultEdgeLabel(function () { return {}; });
    names.forEach(function (f) { g.setNode(f, { width: nodeWidth(f) + 30, height: 46 }); });
    edgeCounts.forEach(function (count, k) { var ab = k.split('\u0000'); g.setEdge(ab[0], ab[1], { count: count }); });
    dagre.layout(g);
    var view = makeView(wrap);
    edgeCounts.forEach(function (count, k) {
      var ab = k.split('\u0000');
      var path = s('path', { class: 'edge', d: edgePath(g.edge(ab[0], ab[1]).points), 'marker-end': 'url(#arrow)', 'stroke-width': Math.min(6, 1 + Math.log(count)) });
      var t = s('title');
      t.textContent = count + ' edges';
      path.appendChild(t);
      view.edges.appendChild(path);
    });
    names.forEach(function (f) {
      var info = folders.get(f);
      var layer = Array.from(info.layers.keys()).sort(function (a, b) { return info.layers.get(b) - info.layers.get(a); })[0];
      var color = layerColor(layer);
      var box = g.node(f);
      var el = s('g', { class: 'node folder', transform: 'translate(' + (box.x - box.width / 2) + ',' + (box.y - box.height / 2) + ')', 'data-folder': f });
      el.appendChild(s('rect', { class: 'box', width: box.width, height: box.height, rx: 9, fill: tint(color, 0.8), stroke: color, 'stroke-width': 1.5 }));
      var label = s('text', { x: 12, y: 19 });
      label.textContent = f;
      var sub = s('text', { x: 12, y: 35, class: 'sub' });
      sub.textContent = info.count + ' nodes';
      el.appendChild(label);
      el.appendChild(sub);
      el.addEventListener('click', function () {
        if (view.dragged()) return;
        location.hash = lineageHref(Object.assign({}, p, { folder: f === '(root)' ? '' : f }));
      });
      view.nodes.appendChild(el);
    });
    view.fit(g.graph().width, g.graph().height, null);
    legend(wrap, 'layer', ids);
    if (names.length === 1) {
      // One folder with too many nodes to draw: list them to pick a focus.
      var list = h('div', { class: 'hint' }, 'Pick a node to focus: ', ids.slice(0, 40).map(function (i) {
        return [h('a', { href: lineageHref(Object.assign({}, p, { focus: NODES[i].id })) }, NODES[i].name), ' '];
      }), ids.length > 40 ? '… or search for one.' : '');
      wrap.appendChild(list);
    }
    view.svg.setAttribute('data-nodes', '0');
    view.svg.setAttribute('data-folders', String(names.length));
    ready('lineage');
  }

  /** Column mode: the column and every column it comes from and feeds, as rows in node boxes. */
  function drawColumnGraph(wrap, banner, focus, column) {
    var key = function (i, c) { return i + '\u0000' + c.toLowerCase(); };
    var columnsOf = new Map();
    var edges = [];
    var seen = new Set();
    var add = function (i, c) {
      if (!columnsOf.has(i)) columnsOf.set(i, new Map());
      if (!columnsOf.get(i).has(c.toLowerCase())) columnsOf.get(i).set(c.toLowerCase(), c);
    };
    var queue = [[focus, column, 'up'], [focus, column, 'down']];
    add(focus, column);
    var truncated = false;
    while (queue.length) {
      var item = queue.shift();
      var k = key(item[0], item[1]) + item[2];
      if (seen.has(k)) continue;
      seen.add(k);
      if (columnsOf.size >= MAX_NODES) { truncated = true; break; }
      var next = item[2] === 'up' ? upstreamOf(item[0], item[1]) : downstreamOf(item[0], item[1]);
      next.forEach(function (rel) {
        add(rel[0], rel[1]);
        edges.push(item[2] === 'up' ? [rel[0], rel[1], item[0], item[1], rel[2]] : [item[0], item[1], rel[0], rel[1], rel[2]]);
        queue.push([rel[0], rel[1], item[2]]);
      });
    }
    if (truncated) { banner.hidden = false; banner.textContent = 'This column reaches more than ' + MAX_NODES + ' nodes: showing the nearest.'; }
    var rowH = 20, headH = 28;
    var g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 110, marginx: 30, marginy: 30 });
    g.setDefaultEdgeLabel(function () { return {}; });
    var rowsOf = new Map();
    columnsOf.forEach(function (cols, i) {
      var order = NODES[i].columns.map(function (c) { return c[0].toLowerCase(); });
      var rows = Array.from(cols.values()).sort(function (a, b) { return order.indexOf(a.toLowerCase()) - order.indexOf(b.toLowerCase()); });
      rowsOf.set(i, rows);
      var width = Math.max(nodeWidth(NODES[i].name), rows.reduce(function (w, r) { return Math.max(w, nodeWidth(r)); }, 0));
      g.setNode(String(i), { width: width, height: headH + rows.length * rowH + 6 });
    });
    edges.forEach(function (e) { if (e[0] !== e[2]) g.setEdge(String(e[0]), String(e[2])); });
    dagre.layout(g);
    var view = makeView(wrap);
    var anchor = function (i, c, side) {
      var box = g.node(String(i));
      var row = rowsOf.get(i).findIndex(function (r) { return r.toLowerCase() === c.toLowerCase(); });
      return { x: box.x + (side === 'out' ? box.width / 2 : -box.width / 2), y: box.y - box.height / 2 + headH + row * rowH + rowH / 2 };
    };
    var drawn = new Set();
    edges.forEach(function (e) {
      var id = e.slice(0, 4).join('\u0000');
      if (drawn.has(id)) return;
      drawn.add(id);
      var a = anchor(e[0], e[1], 'out'), b = anchor(e[2], e[3], 'in');
      var dx = Math.max(40, (b.x - a.x) / 2);
      view.edges.appendChild(s('path', { class: 'edge' + (e[4] === 'derived' ? ' derived' : ''), d: 'M' + a.x + ',' + a.y + ' C' + (a.x + dx) + ',' + a.y + ' ' + (b.x - dx) + ',' + b.y + ' ' + b.x + ',' + b.y, 'marker-end': 'url(#arrow)' }));
    });
    columnsOf.forEach(function (cols, i) {
      var n = NODES[i];
      var box = g.node(String(i));
      var color = layerColor(n.layer);
      var el = s('g', { class: 'node' + (i === focus ? ' focus' : ''), transform: 'translate(' + (box.x - box.width / 2) + ',' + (box.y - box.height / 2) + ')', 'data-id': n.id });
      el.appendChild(s('rect', { class: 'box', width: box.width, height: box.height, rx: 7, fill: '#fff', stroke: color, 'stroke-width': 1.5 }));
      el.appendChild(s('rect', { width: box.width, height: headH - 4, rx: 7, fill: tint(color, 0.75) }));
      var label = s('text', { x: 10, y: 17 });
      label.textContent = n.name;
      el.appendChild(label);
      var header = s('rect', { width: box.width, height: headH - 4, fill: 'transparent' });
      header.addEventListener('click', function () { if (!view.dragged()) location.hash = nodeHref(i); });
      el.appendChild(header);
      rowsOf.get(i).forEach(function (c, r) {
        var row = s('g', { class: 'row' + (i === focus && c.toLowerCase() === column.toLowerCase() ? ' current' : ''), transform: 'translate(0,' + (headH + r * rowH) + ')', 'data-column': c });
        row.appendChild(s('rect', { x: 3, width: box.width - 6, height: rowH - 2, rx: 3, fill: 'transparent' }));
        var t = s('text', { x: 10, y: 14 });
        t.textContent = c;
        row.appendChild(t);
        row.addEventListener('click', function (ev) {
          ev.stopPropagation();
          if (!view.dragged()) location.hash = lineageHref({ focus: n.id, column: c });
        });
        el.appendChild(row);
      });
      view.nodes.appendChild(el);
    });
    view.fit(g.graph().width, g.graph().height, g.node(String(focus)));
    var hint = h('div', { class: 'hint' }, 'Column ' + column + ' of ' + NODES[focus].name + ': where it comes from and where it goes. Dashed: computed by an expression. Click a column to follow it.');
    wrap.appendChild(hint);
    view.svg.setAttribute('data-nodes', String(columnsOf.size));
    ready('lineage');
  }

  /**
   * Medallion layers in columns, left to right: each node sits between an invisible anchor for
   * its layer and the next layer's anchor (weight 0: the anchors order, they do not pull).
   * A node whose parent is in a later layer is left free, so odd projects still lay out.
   */
  function anchorLayers(g, ids, edges) {
    var present = LAYER_SEQUENCE.filter(function (l) { return ids.some(function (i) { return NODES[i].layer === l; }); });
    if (present.length < 2) return [];
    var rank = function (i) { return present.indexOf(NODES[i].layer); };
    var odd = new Set();
    edges.forEach(function (e) { if (rank(e[0]) > rank(e[1]) && rank(e[1]) >= 0) odd.add(e[1]); });
    present.forEach(function (l, k) {
      g.setNode('layer:' + k, { width: 1, height: 1 });
      if (k > 0) g.setEdge('layer:' + (k - 1), 'layer:' + k, { weight: 0, minlen: 1 });
    });
    ids.forEach(function (i) {
      var k = rank(i);
      if (k < 0 || odd.has(i)) return;
      g.setEdge('layer:' + k, String(i), { weight: 0, minlen: 1 });
      if (k + 1 < present.length) g.setEdge(String(i), 'layer:' + (k + 1), { weight: 0, minlen: 1 });
    });
    return present.map(function (l) { return { layer: l, ids: ids.filter(function (i) { return NODES[i].layer === l; }) }; });
  }

  function drawLayerBands(view, g, layers) {
    if (!layers.length) return;
    var top = Infinity, bottom = -Infinity;
    g.nodes().forEach(function (v) {
      if (v.indexOf('layer:') === 0) return;
      var b = g.node(v);
      top = Math.min(top, b.y - b.height / 2);
      bottom = Math.max(bottom, b.y + b.height / 2);
    });
    layers.forEach(function (entry) {
      if (!entry.ids.length) return;
      var left = Infinity, right = -Infinity;
      entry.ids.forEach(function (i) { var b = g.node(String(i)); left = Math.min(left, b.x - b.width / 2); right = Math.max(right, b.x + b.width / 2); });
      var color = layerColor(entry.layer);
      view.bands.appendChild(s('rect', { x: left - 12, y: top - 30, width: right - left + 24, height: bottom - top + 42, rx: 10, fill: tint(color, 0.93), stroke: tint(color, 0.7), 'stroke-dasharray': '4 4' }));
      var label = s('text', { x: left - 4, y: top - 14, class: 'band-label', fill: color });
      label.textContent = entry.layer;
      view.bands.appendChild(label);
    });
  }

  function nodeWidth(text) { return Math.max(110, Math.min(360, text.length * 7.4 + 44)); }

  function edgePath(points) {
    var d = 'M' + points[0].x + ',' + points[0].y;
    for (var k = 1; k < points.length - 1; k++) {
      var mx = (points[k].x + points[k + 1].x) / 2, my = (points[k].y + points[k + 1].y) / 2;
      d += ' Q' + points[k].x + ',' + points[k].y + ' ' + mx + ',' + my;
    }
    var last = points[points.length - 1];
    return d + ' L' + last.x + ',' + last.y;
  }

  /** An SVG with zoom (wheel, buttons) and pan (drag); a drag never counts as a click. */
  function makeView(wrap) {
    var svg = s('svg', { class: 'graph', role: 'img', 'aria-label': 'Lineage graph' });
    var defs = s('defs');
    var marker = s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' });
    marker.appendChild(s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#98a2b3' }));
    defs.appendChild(marker);
    svg.appendChild(defs);
    var viewport = s('g', { class: 'viewport' });
    var bands = s('g', { class: 'bands' });
    viewport.appendChild(bands);
    var edges = s('g', { class: 'edges' });
    var nodes = s('g', { class: 'nodes' });
    viewport.appendChild(edges);
    viewport.appendChild(nodes);
    svg.appendChild(viewport);
    wrap.appendChild(svg);
    var t = { x: 0, y: 0, k: 1 };
    var apply = function () { viewport.setAttribute('transform', 'translate(' + t.x + ',' + t.y + ') scale(' + t.k + ')'); };
    var zoomAt = function (factor, cx, cy) {
      var k = Math.max(0.05, Math.min(4, t.k * factor));
      t.x = cx - (cx - t.x) * (k / t.k);
      t.y = cy - (cy - t.y) * (k / t.k);
      t.k = k;
      apply();
    };
    svg.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var r = svg.getBoundingClientRect();
      zoomAt(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    var drag = null;
    var moved = false;
    svg.addEventListener('pointerdown', function (ev) {
      if (ev.button !== 0) return;
      drag = { x: ev.clientX, y: ev.clientY, tx: t.x, ty: t.y };
      moved = false;
    });
    window.addEventListener('pointermove', function (ev) {
      if (!drag) return;
      var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (!moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      moved = true;
      svg.classList.add('panning');
      t.x = drag.tx + dx;
      t.y = drag.ty + dy;
      apply();
    });
    window.addEventListener('pointerup', function () { drag = null; svg.classList.remove('panning'); });
    var size = { w: 0, h: 0 };
    var fit = function (w, h2, center) {
      var r = svg.getBoundingClientRect();
      size = { w: w, h: h2 };
      var k = Math.min(1.2, Math.max(0.05, Math.min(r.width / (w || 1), r.height / (h2 || 1)) * 0.95));
      if (center && k < 0.45) {
        // Too small to read: zoom to the focus instead, the rest stays a drag away.
        k = 0.8;
        t = { k: k, x: r.width / 2 - center.x * k, y: r.height / 2 - center.y * k };
      } else {
        t = { k: k, x: (r.width - w * k) / 2, y: (r.height - h2 * k) / 2 };
      }
      apply();
    };
    var controls = h('div', { class: 'zoom' },
      h('button', { type: 'button', title: 'Zoom in', onclick: function () { var r = svg.getBoundingClientRect(); zoomAt(1.25, r.width / 2, r.height / 2); } }, '+'),
      h('button', { type: 'button', title: 'Zoom out', onclick: function () { var r = svg.getBoundingClientRect(); zoomAt(0.8, r.width / 2, r.height / 2); } }, '−'),
      h('button', { type: 'button', title: 'Fit to screen', onclick: function () { fit(size.w, size.h, null); } }, '⤢'));
    wrap.appendChild(controls);
    return { svg: svg, bands: bands, edges: edges, nodes: nodes, fit: fit, dragged: function () { return moved; } };
  }

  function legend(wrap, colorBy, ids) {
    var present = new Set();
    ids.forEach(function (i) { present.add(colorBy === 'status' ? NODES[i].status || 'not run' : NODES[i].layer); });
    var el = h('div', { class: 'legend' }, colorBy === 'status' ? 'Last run:' : 'Layer:');
    Array.from(present).sort().forEach(function (v) {
      var sw = h('span', { class: 'swatch' });
      sw.style.background = colorBy === 'status' ? STATUS_COLORS[v] || STATUS_COLORS['not run'] : layerColor(v);
      el.appendChild(sw);
      el.appendChild(document.createTextNode(v));
    });
    wrap.appendChild(el);
  }

  // ---------------------------------------------------------------- start
  function start() {
    if (!INDEX) {
      document.getElementById('main').textContent = 'The docs data (data/index.js) is missing: run smelt docs generate.';
      return;
    }
    document.getElementById('project-name').textContent = INDEX.project.name;
    document.title = INDEX.project.name + ' · smelt docs';
    buildSidebar();
    setupSearch();
    window.addEventListener('hashchange', render);
    render();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
