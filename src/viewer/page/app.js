// ams viewer. Session content is untrusted: it reaches the page through textContent and
// CSSOM only (never parsed as markup), under a CSP that allows no inline code.
(function () {
  'use strict';

  var PAGE = 50;
  var CUT = 4000;
  var main = document.getElementById('main');
  var state = { listTimer: 0, seq: 0 };

  // ---- small helpers ------------------------------------------------------------------------
  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'text') node.textContent = String(v);
        else if (k === 'className') node.className = v;
        else if (k === 'onclick') node.addEventListener('click', v);
        else if (k === 'oninput') node.addEventListener('input', v);
        else if (k === 'onchange') node.addEventListener('change', v);
        else if (k === 'value') node.value = v;
        else node.setAttribute(k, String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === undefined || c === null || c === false) return;
      node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return node;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }
  function fmtDuration(ms) {
    if (typeof ms !== 'number' || !isFinite(ms)) return '-';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    var m = Math.floor(ms / 60000);
    return m + 'm' + String(Math.round((ms % 60000) / 1000)).padStart(2, '0') + 's';
  }
  // Unknown cost (null: no producer gave one) is '-', never '$0'; a partial sum (cost_partial) gets a '+'.
  function fmtCost(usd, partial) {
    if (typeof usd !== 'number' || !isFinite(usd)) return '-';
    var more = partial ? '+' : '';
    if (usd === 0) return '$0' + more;
    return (usd < 1 ? '$' + Number(usd.toPrecision(3)) : '$' + usd.toFixed(2)) + more;
  }
  function fmtTokens(n) {
    if (typeof n !== 'number' || !isFinite(n)) return '-';
    if (n < 1000) return String(n);
    if (n < 1000000) return (n / 1000).toFixed(n < 10000 ? 1 : 0) + 'k';
    return (n / 1000000).toFixed(1) + 'M';
  }
  // Unknown token counts stay unknown ('-'), never 0: a sum needs at least one known part.
  function knownSum(a, b) {
    var known = [a, b].filter(function (n) { return typeof n === 'number' && isFinite(n); });
    return known.length ? known.reduce(function (x, y) { return x + y; }, 0) : undefined;
  }
  // A count the document does not have is '-', not 0.
  function fmtCount(n) {
    return typeof n === 'number' && isFinite(n) ? n.toLocaleString() : '-';
  }
  function fmtTime(iso) {
    var t = Date.parse(iso);
    if (isNaN(t)) return String(iso || '-');
    return new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }
  function badge(status) {
    return el('span', { className: 'badge st-' + String(status).replace(/[^a-z]/g, ''), text: status });
  }
  function stringify(v) {
    if (v === undefined) return '';
    if (typeof v === 'string') return v;
    try {
      return JSON.stringify(v, null, 2);
    } catch {
      return String(v);
    }
  }
  // A pre block that shows the first CUT characters of a large payload, with a button for the rest.
  function payload(label, value, cls) {
    var text = stringify(value);
    var pre = el('pre', { className: 'payload' + (cls ? ' ' + cls : '') });
    var box = el('div', { className: 'payload-box' }, [label ? el('div', { className: 'payload-label', text: label }) : null, pre]);
    if (text.length > CUT) {
      pre.textContent = text.slice(0, CUT) + '…';
      var more = el('button', { type: 'button', className: 'more', text: 'show more (all ' + text.length.toLocaleString() + ' characters)' });
      more.addEventListener('click', function () {
        pre.textContent = text;
        more.remove();
      });
      box.appendChild(more);
    } else {
      pre.textContent = text;
    }
    return box;
  }
  function api(path) {
    return fetch(path, { headers: { Accept: 'application/json' }, credentials: 'same-origin' }).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) throw new Error(body && body.error ? body.error : 'HTTP ' + res.status);
        return body;
      });
    });
  }

  // ---- routing: #/?filters (list) and #/s/<id> (one session) ---------------------------------
  function route() {
    var h = location.hash.replace(/^#/, '');
    // #/s/<session> or #/s/<session>/<event key> (both parts URI-encoded).
    var m = /^\/s\/([^/]+)(?:\/([^/]*))?$/.exec(h) || /^\/s\/(.+)$/.exec(h);
    if (m) {
      var id = decodePart(m[1]);
      var key = m[2] ? decodePart(m[2]) : '';
      var cur = state.cur;
      if (cur && (cur.id === id || cur.ref === id)) {
        // Same session: only the selected event changed (a pasted link, back / forward).
        if (key) selectKey(key);
        else if (cur.sel) closePanel(cur);
        return;
      }
      return showSession(id, key);
    }
    state.cur = null;
    var q = h.indexOf('?') >= 0 ? h.slice(h.indexOf('?') + 1) : '';
    return showList(new URLSearchParams(q));
  }
  function decodePart(p) {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  }
  window.addEventListener('hashchange', route);

  // ---- list ---------------------------------------------------------------------------------
  var FILTERS = ['q', 'agent', 'env', 'tag', 'status', 'model', 'since', 'min_cost', 'has_errors'];

  function listHash(params) {
    var p = new URLSearchParams();
    FILTERS.concat(['offset']).forEach(function (k) {
      var v = params.get(k);
      if (v) p.set(k, v);
    });
    var s = p.toString();
    return '#/' + (s ? '?' + s : '');
  }

  function select(id, label, current, options, onchange) {
    var s = el('select', { id: id, 'aria-label': label, onchange: onchange }, [el('option', { value: '', text: label + ': any' })]);
    options.forEach(function (o) {
      var opt = el('option', { value: o.value, text: o.label });
      if (o.value === current) opt.selected = true;
      s.appendChild(opt);
    });
    if (current && !options.some(function (o) { return o.value === current; })) {
      var extra = el('option', { value: current, text: current });
      extra.selected = true;
      s.appendChild(extra);
    }
    return s;
  }
  function plain(list) {
    return (list || []).map(function (v) { return { value: v, label: v }; });
  }

  function showList(params) {
    var seq = ++state.seq;
    document.title = 'ams sessions';
    var apiParams = new URLSearchParams();
    FILTERS.concat(['offset']).forEach(function (k) {
      var v = params.get(k);
      if (v) apiParams.set(k, v);
    });
    apiParams.set('limit', String(PAGE));
    return api('api/sessions?' + apiParams.toString()).then(function (data) {
      if (seq !== state.seq) return;
      renderList(params, data);
    }, function (err) {
      if (seq !== state.seq) return;
      clear(main);
      main.appendChild(el('p', { className: 'error', text: 'Could not load sessions: ' + err.message }));
    });
  }

  function renderList(params, data) {
    var focused = document.activeElement && document.activeElement.id;
    clear(main);
    var set = function (k, v) {
      var p = new URLSearchParams(params.toString());
      if (v) p.set(k, v);
      else p.delete(k);
      p.delete('offset');
      location.hash = listHash(p);
    };
    var search = el('input', { id: 'search', type: 'search', placeholder: 'Search prompts, ids, agents, tags…', value: params.get('q') || '', 'aria-label': 'search' });
    search.addEventListener('input', function () {
      clearTimeout(state.listTimer);
      state.listTimer = setTimeout(function () { set('q', search.value.trim()); }, 250);
    });
    var f = data.facets || {};
    var minCost = el('input', { id: 'filter-min-cost', type: 'number', min: '0', step: '0.01', placeholder: 'min $', value: params.get('min_cost') || '', 'aria-label': 'minimum cost' });
    minCost.addEventListener('change', function () { set('min_cost', minCost.value); });
    var onlyErrors = params.get('has_errors') === '1';
    var errorsOnly = el('button', { type: 'button', id: 'filter-errors', className: 'btn toggle-errors' + (onlyErrors ? ' on' : ''), 'aria-pressed': String(onlyErrors), title: 'only sessions with at least one error', text: onlyErrors ? '✓ with errors' : 'with errors' });
    errorsOnly.addEventListener('click', function () { set('has_errors', onlyErrors ? '' : '1'); });
    var bar = el('div', { className: 'filters' }, [
      search,
      select('filter-agent', 'agent', params.get('agent'), plain(f.agents), function (e) { set('agent', e.target.value); }),
      select('filter-env', 'env', params.get('env'), plain(f.environments), function (e) { set('env', e.target.value); }),
      select('filter-status', 'status', params.get('status'), plain(['ok', 'error', 'incomplete']), function (e) { set('status', e.target.value); }),
      select('filter-model', 'model', params.get('model'), plain(f.models), function (e) { set('model', e.target.value); }),
      select('filter-tag', 'tag', params.get('tag'), plain(f.tags), function (e) { set('tag', e.target.value); }),
      select('filter-since', 'since', params.get('since'), [
        { value: '1h', label: 'last hour' }, { value: '24h', label: 'last 24 hours' },
        { value: '7d', label: 'last 7 days' }, { value: '30d', label: 'last 30 days' }
      ], function (e) { set('since', e.target.value); }),
      minCost,
      errorsOnly,
      FILTERS.some(function (k) { return params.get(k); }) ? el('a', { className: 'reset', href: '#/', text: 'clear filters' }) : null
    ]);
    main.appendChild(bar);

    var s = data.summary;
    main.appendChild(el('div', { className: 'cards summary', id: 'summary' }, [
      card('sessions', s.sessions.toLocaleString(), data.total !== data.indexed ? 'of ' + data.indexed.toLocaleString() : ''),
      card('cost', fmtCost(s.cost_usd, s.cost_partial), s.cost_usd === null ? 'unknown' : s.cost_partial ? 'some costs unknown' : ''),
      card('tokens', fmtTokens(s.input_tokens) + ' / ' + fmtTokens(s.output_tokens), 'in / out'),
      card('tool calls', s.tool_calls.toLocaleString()),
      errorsCard(s)
    ]));
    main.appendChild(el('div', { id: 'stats-slot' }));
    loadStats(state.seq);

    if (data.sessions.length === 0) {
      main.appendChild(el('p', { className: 'muted empty', id: 'empty', text: data.indexed ? 'No session matches these filters.' : 'No sessions yet. Run an instrumented agent (or npm run demo), then reload.' }));
    } else {
      var tbody = el('tbody');
      data.sessions.forEach(function (e) {
        var t = e.totals || {};
        // Filtered to sessions with errors: one click lands on the first failing call.
        var href = '#/s/' + encodeURIComponent(e.id) + (onlyErrors && t.errors > 0 ? '/' + FIRST_ERROR : '');
        var row = el('tr', { 'data-id': e.id, className: 'row' }, [
          el('td', { className: 'nowrap' }, [el('a', { href: href, text: fmtTime(e.started_at) })]),
          el('td', null, [badge(e.status)]),
          el('td', { className: 'num errs' + (t.errors > 0 ? ' has-errors' : ''), text: fmtCount(t.errors) }),
          el('td', { className: 'agent', title: e.agent && e.agent.name }, [el('div', { className: 'clip', text: e.agent && e.agent.name })]),
          el('td', { className: 'c-wide', text: e.environment || '-' }),
          el('td', { className: 'c-wide', text: e.model || '-' }),
          el('td', { className: 'num c-wide', text: fmtDuration(t.duration_ms) }),
          el('td', { className: 'num c-wide', text: fmtTokens(knownSum(t.input_tokens, t.output_tokens)) }),
          el('td', { className: 'num', text: fmtCost(t.cost_usd, t.cost_partial) }),
          el('td', { className: 'num c-wide', text: fmtCount(t.tool_calls) }),
          el('td', { className: 'prompt', title: e.prompt_preview || '' }, [el('div', { className: 'clip', text: e.prompt_preview || '' })])
        ]);
        row.addEventListener('click', function (ev) {
          if (ev.target && ev.target.tagName === 'A') return;
          location.hash = href;
        });
        tbody.appendChild(row);
      });
      main.appendChild(el('div', { className: 'table-wrap' }, [el('table', { className: 'sessions', id: 'sessions' }, [
        el('thead', null, [el('tr', null, ['started', 'status', 'errors', 'agent', 'env', 'model', 'time', 'tokens', 'cost', 'tools', 'prompt'].map(function (h) {
          return el('th', { text: h, className: ['env', 'model', 'time', 'tokens', 'tools'].indexOf(h) >= 0 ? 'c-wide' : null });
        }))]),
        tbody
      ])]));
      var nav = el('div', { className: 'pager' }, [
        el('span', { className: 'muted', text: (data.offset + 1) + '–' + (data.offset + data.sessions.length) + ' of ' + data.total.toLocaleString() })
      ]);
      if (data.offset > 0) {
        var prev = new URLSearchParams(params.toString());
        prev.set('offset', String(Math.max(0, data.offset - PAGE)));
        nav.appendChild(el('a', { href: listHash(prev), text: '← newer', id: 'prev' }));
      }
      if (data.next_offset !== null) {
        var next = new URLSearchParams(params.toString());
        next.set('offset', String(data.next_offset));
        nav.appendChild(el('a', { href: listHash(next), text: 'older →', id: 'next' }));
      }
      main.appendChild(nav);
    }
    if (focused === 'search') {
      search.focus();
      search.setSelectionRange(search.value.length, search.value.length);
    }
  }

  // The Errors card leads to the sessions it counts: the list with only sessions that had errors.
  function errorsCard(s) {
    var c = el('a', { className: 'card card-link', id: 'errors-card', href: '#/?has_errors=1', title: 'show the sessions with errors' }, [
      el('div', { className: 'card-label', text: 'errors' }),
      el('div', { className: 'card-value', text: s.errors.toLocaleString() }),
      el('div', { className: 'card-sub', text: 'in ' + s.by_status.error + ' failed, ' + s.by_status.incomplete + ' incomplete sessions · show →' })
    ]);
    return c;
  }

  // ---- stats by agent version (GET api/stats?group_by=agent.version; hidden when absent) -------
  function loadStats(seq) {
    api('api/stats?group_by=agent.version').then(function (data) {
      var slot = document.getElementById('stats-slot');
      if (seq !== state.seq || !slot || !data || !Array.isArray(data.groups) || !data.groups.length) return;
      slot.appendChild(statsChart(data));
    }, function () {
      // No stats endpoint (an older server) or an error: the list does without the chart.
    });
  }

  function pct(r) {
    return typeof r === 'number' && isFinite(r) ? (r * 100).toFixed(r > 0 && r < 0.1 ? 1 : 0) + '%' : '-';
  }

  function statsChart(data) {
    var groups = data.groups.slice(0, 12);
    var p95s = groups.map(function (g) { return g.duration_ms && typeof g.duration_ms.p95 === 'number' ? g.duration_ms.p95 : 0; });
    var maxP95 = Math.max.apply(null, p95s.concat([1]));
    var metric = function (cls, frac, text) {
      var fill = el('div', { className: 'st-fill ' + cls });
      fill.style.width = (Math.max(0, Math.min(1, frac)) * 100).toFixed(2) + '%';
      return el('div', { className: 'st-metric m-' + cls }, [el('div', { className: 'st-track' }, [fill]), el('span', { className: 'st-val', text: text })]);
    };
    var rows = groups.map(function (g) {
      var d = g.duration_ms || {};
      var name = g.key === null || g.key === undefined || g.key === '' ? '(no version)' : String(g.key);
      return el('div', { className: 'st-row', 'data-key': name }, [
        el('div', { className: 'st-key', title: name, text: name }),
        el('div', { className: 'st-n', text: fmtCount(g.sessions) + (g.sessions === 1 ? ' session' : ' sessions') }),
        metric('st-err', typeof g.error_rate === 'number' ? g.error_rate : 0, pct(g.error_rate) + ' with errors'),
        metric('st-dur', typeof d.p95 === 'number' ? d.p95 / maxP95 : 0, 'p50 ' + fmtDuration(d.p50) + ' · p95 ' + fmtDuration(d.p95)),
        el('div', { className: 'st-cost', text: fmtCost(g.cost_usd, g.cost_partial) })
      ]);
    });
    var more = data.groups.length > groups.length ? el('p', { className: 'muted small', text: (data.groups.length - groups.length) + ' more versions not shown (ams stats lists all)' }) : null;
    return el('section', { className: 'stats', id: 'stats' }, [
      el('h2', { text: 'By agent version' + (data.since ? ' since ' + fmtTime(data.since) : '') }),
      el('div', { className: 'st-head muted small' }, [el('span', { text: 'version' }), el('span', { text: 'sessions' }), el('span', { text: 'error rate' }), el('span', { text: 'duration' }), el('span', { text: 'cost' })]),
      el('div', { className: 'st-rows' }, rows),
      more
    ]);
  }

  function card(label, value, sub) {
    return el('div', { className: 'card' }, [el('div', { className: 'card-label', text: label }), el('div', { className: 'card-value', text: value }), sub ? el('div', { className: 'card-sub', text: sub }) : null]);
  }

  // ---- one session --------------------------------------------------------------------------
  // Deep links: #/s/<session>/<event key>. The key of an event is its span_id when no other event
  // of the session carries the same span_id, else `e<N>`: N is the event's position in a
  // depth-first walk of the events (0-based, a subagent's or step's own events right after it).
  // `first-error` opens the session at its first error (the error-filtered list links there).
  // Keys: n or ] next error, p or [ previous error, / search, + / - zoom, 0 reset zoom, Esc close.
  var ZOOMS = [1, 2, 4, 8, 16, 32];
  // The key that opens a session at its first error (no event's key: span ids are hex, positions e<N>).
  var FIRST_ERROR = 'first-error';

  function showSession(id, key) {
    var seq = ++state.seq;
    state.cur = null;
    clear(main);
    main.appendChild(el('p', { className: 'muted', text: 'Loading session…' }));
    return api('api/sessions/' + encodeURIComponent(id)).then(function (s) {
      if (seq !== state.seq) return;
      renderSession(s, id);
      if (key) selectKey(key);
    }, function (err) {
      if (seq !== state.seq) return;
      clear(main);
      main.appendChild(el('p', null, [el('a', { href: '#/', text: '← all sessions' })]));
      main.appendChild(el('p', { className: 'error', id: 'not-found', text: err.message }));
    });
  }

  function ms(iso) {
    var t = Date.parse(iso);
    return isNaN(t) ? undefined : t;
  }

  function isError(e) {
    if (e.type === 'failure') return true;
    if (e.status === 'error') return true;
    return typeof e.error === 'string' && e.error !== '';
  }

  // A short, one-line preview of a tool's arguments: the argument that names what the call works
  // on for the common tools, else the first short string argument.
  var PREVIEW_KEYS = ['command', 'file_path', 'path', 'notebook_path', 'pattern', 'url', 'query', 'description', 'prompt', 'skill'];
  function oneLine(s, max) {
    var t = String(s).replace(/\s+/g, ' ').trim();
    return t.length > max ? t.slice(0, max - 1) + '…' : t;
  }
  function argPreview(input) {
    if (typeof input === 'string') return input ? oneLine(input, 80) : '';
    if (!input || typeof input !== 'object' || Array.isArray(input)) return '';
    for (var i = 0; i < PREVIEW_KEYS.length; i++) {
      var v = input[PREVIEW_KEYS[i]];
      if (typeof v === 'string' && v.trim()) return oneLine(v, 80);
    }
    var keys = Object.keys(input);
    for (var j = 0; j < keys.length; j++) {
      var w = input[keys[j]];
      if (typeof w === 'string' && w.trim() && w.length <= 200) return oneLine(w, 80);
    }
    return '';
  }

  function eventLabel(e) {
    if (e.type === 'llm_message') return (e.model || 'model') + ' turn';
    if (e.type === 'tool_call') {
      var p = argPreview(e.input);
      return p ? e.name + ': ' + p : e.name;
    }
    if (e.type === 'subagent') return 'subagent ' + (e.agent_type || e.name || '') + (e.description ? ': ' + oneLine(e.description, 60) : '');
    if (e.type === 'step') return e.name;
    if (e.type === 'user_prompt') return 'prompt';
    if (e.type === 'notification') return 'notification';
    if (e.type === 'failure') return 'failure ' + e.category + '/' + e.code;
    return String(e.type);
  }

  // Every string in an event (its nested events excepted), lower-cased: what search looks in.
  function haystack(e) {
    var out = [];
    (function walk(v, depth) {
      if (depth > 12 || v === null || v === undefined) return;
      if (typeof v === 'string') out.push(v);
      else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
      else if (Array.isArray(v)) v.forEach(function (x) { walk(x, depth + 1); });
      else if (typeof v === 'object') Object.keys(v).forEach(function (k) { if (!(depth === 0 && k === 'events')) walk(v[k], depth + 1); });
    })(e, 0);
    return (eventLabel(e) + '\n' + out.join('\n')).toLowerCase();
  }

  // The session's events in one depth-first list, each with its key, label and place in the tree.
  function flatten(events) {
    var flat = [];
    (function walk(list, depth, parent) {
      list.forEach(function (e) {
        var item = { e: e, idx: flat.length, depth: depth, parent: parent, label: eventLabel(e), kids: 0, children: [], collapsed: false };
        flat.push(item);
        if (parent) {
          parent.kids++;
          parent.children.push(item);
        }
        if ((e.type === 'subagent' || e.type === 'step') && e.events && e.events.length) walk(e.events, depth + 1, item);
      });
    })(events || [], 0, null);
    var seen = Object.create(null);
    flat.forEach(function (it) { var id = it.e.span_id; if (id) seen[id] = Object.prototype.hasOwnProperty.call(seen, id) ? seen[id] + 1 : 1; });
    flat.forEach(function (it) {
      it.key = it.e.span_id && seen[it.e.span_id] === 1 ? String(it.e.span_id) : 'e' + it.idx;
      it.domId = 'ev-' + it.idx;
      it.error = isError(it.e);
    });
    return flat;
  }

  function sessionHash(cur, item) {
    return '#/s/' + encodeURIComponent(cur.id) + (item ? '/' + encodeURIComponent(item.key) : '');
  }

  function renderSession(s, ref) {
    clear(main);
    document.title = (s.agent && s.agent.name ? s.agent.name + ' · ' : '') + s.id + ' · ams';
    var t = s.totals || {};
    var flat = flatten(s.events);
    var cur = { id: s.id, ref: ref, s: s, flat: flat, errors: flat.filter(function (it) { return it.error; }), matches: [], sel: null, zoom: 0, query: '' };
    state.cur = cur;
    var copy = el('button', { type: 'button', className: 'btn', text: 'copy link' });
    copy.addEventListener('click', function () {
      var done = function () { copy.textContent = 'copied'; };
      var here = location.href.split('#')[0] + sessionHash(cur, cur.sel);
      if (navigator.clipboard) navigator.clipboard.writeText(here).then(done, function () { prompt('Link to this session', here); });
      else prompt('Link to this session', here);
    });
    main.appendChild(el('div', { className: 'crumbs' }, [el('a', { href: '#/', text: '← all sessions' })]));
    main.appendChild(el('section', { className: 'head', id: 'detail', 'data-id': s.id }, [
      el('h1', null, [el('span', { className: 'agent', text: (s.agent && s.agent.name) || 'session' }), ' ', badge(s.status), s.revision > 1 ? el('span', { className: 'muted small', text: ' rev ' + s.revision }) : null]),
      s.status_reason ? el('p', { className: 'error', text: s.status_reason }) : null,
      el('dl', { className: 'meta' }, [
        meta('session', s.id), meta('trace', s.trace_id), s.conversation_id ? meta('conversation', s.conversation_id) : null,
        meta('started', fmtTime(s.started_at)), s.environment ? meta('env', s.environment) : null,
        s.model ? meta('model', s.model) : null, s.agent && s.agent.version ? meta('version', s.agent.version) : null,
        s.service ? meta('service', s.service) : null,
        (s.tags || []).length ? meta('tags', s.tags.join(', ')) : null,
        Object.keys(s.metadata || {}).length ? meta('metadata', Object.keys(s.metadata).map(function (k) { return k + '=' + s.metadata[k]; }).join('  ')) : null
      ]),
      el('div', { className: 'actions' }, [
        el('a', { className: 'btn', id: 'download', href: 'api/sessions/' + encodeURIComponent(s.id) + '?download=1', download: 'ams-session-' + s.id + '.json', text: 'download JSON' }),
        copy
      ])
    ]));
    if (ref !== s.id) main.appendChild(el('p', { className: 'muted small', text: 'Opened from ' + ref + ' (a trace or conversation id).' }));

    var errCard = card('errors', fmtCount(t.errors), cur.errors.length ? 'jump to the first (n)' : '');
    if (cur.errors.length) {
      errCard.classList.add('card-link');
      errCard.id = 'session-errors';
      errCard.addEventListener('click', function () { go(cur.errors[0]); });
    }
    main.appendChild(el('div', { className: 'cards' }, [
      card('duration', fmtDuration(t.duration_ms), t.api_duration_ms ? 'API ' + fmtDuration(t.api_duration_ms) : ''),
      card('turns', fmtCount(t.turns)),
      card('tool calls', fmtCount(t.tool_calls)),
      card('subagents', fmtCount(t.subagents)),
      errCard,
      card('tokens', fmtTokens(t.input_tokens) + ' / ' + fmtTokens(t.output_tokens), 'in / out' + (t.cache_read_input_tokens ? ' · ' + fmtTokens(t.cache_read_input_tokens) + ' cache read' : '')),
      card('cost', fmtCost(t.cost_usd, t.cost_partial), t.cost_usd === null ? 'unknown' : t.cost_partial ? 'some costs unknown' : t.sources && t.sources.cost_usd && t.sources.cost_usd !== 'events' ? 'from ' + t.sources.cost_usd : '')
    ]));

    main.appendChild(toolbar(cur));

    var models = Object.keys(s.models || {});
    var modelsTable = null;
    if (models.length) {
      modelsTable = el('div', null, [el('h2', { text: 'Tokens and cost by model' }), el('div', { className: 'table-wrap' }, [el('table', { className: 'models', id: 'models' }, [
        el('thead', null, [el('tr', null, ['model', 'input', 'output', 'cache read', 'cache write', 'cost'].map(function (h) { return el('th', { text: h }); }))]),
        el('tbody', null, models.map(function (m) {
          var u = s.models[m];
          return el('tr', null, [el('td', { text: m }), el('td', { className: 'num', text: fmtTokens(u.input_tokens) }), el('td', { className: 'num', text: fmtTokens(u.output_tokens) }),
            el('td', { className: 'num', text: fmtTokens(u.cache_read_input_tokens) }), el('td', { className: 'num', text: fmtTokens(u.cache_creation_input_tokens) }), el('td', { className: 'num', text: fmtCost(u.cost_usd, u.cost_partial) })]);
        }))
      ])])]);
    }

    cur.panel = el('aside', { className: 'panel', id: 'panel', hidden: 'hidden', 'aria-label': 'event details' });
    cur.eventsBox = el('div', { className: 'events', id: 'events' }, flat.filter(function (it) { return !it.parent; }).map(function (it) { return renderEvent(it, cur); }));
    main.appendChild(el('div', { className: 'session-body' }, [
      el('div', { className: 'sb-timeline' }, [el('h2', { text: 'Timeline' }), waterfall(s, cur)]),
      cur.panel,
      el('div', { className: 'sb-events' }, [modelsTable, el('h2', { text: 'What happened' }), cur.eventsBox])
    ]));
    drawAxis(cur);
    // Redraw the axis whenever its width changes (window, panel opened or closed, zoom).
    if (typeof ResizeObserver === 'function') {
      var width = 0;
      new ResizeObserver(function (entries) {
        var w = Math.round(entries[0].contentRect.width);
        if (w !== width && state.cur === cur) {
          width = w;
          drawAxis(cur);
        }
      }).observe(cur.axis);
    }
  }

  function meta(k, v) {
    return el('div', { className: 'meta-item' }, [el('dt', { text: k }), el('dd', { text: v })]);
  }

  // ---- toolbar: errors, search, zoom ---------------------------------------------------------
  function toolbar(cur) {
    var n = cur.errors.length;
    cur.errInfo = el('span', { className: 'muted small', id: 'error-info', text: n ? n + (n === 1 ? ' error' : ' errors') : 'no errors' });
    var prevErr = el('button', { type: 'button', className: 'btn', id: 'prev-error', title: 'previous error (p or [)', text: '◀ previous error', disabled: n ? null : 'disabled' });
    var nextErr = el('button', { type: 'button', className: 'btn', id: 'next-error', title: 'next error (n or ])', text: 'next error ▶', disabled: n ? null : 'disabled' });
    prevErr.addEventListener('click', function () { jumpError(-1); });
    nextErr.addEventListener('click', function () { jumpError(1); });
    var box = el('input', { id: 'session-search', type: 'search', placeholder: 'Search this session…', 'aria-label': 'search this session' });
    cur.matchInfo = el('span', { className: 'muted small', id: 'match-info' });
    box.addEventListener('input', function () {
      clearTimeout(state.searchTimer);
      state.searchTimer = setTimeout(function () { runSearch(cur, box.value); }, 120);
    });
    box.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        clearTimeout(state.searchTimer);
        if (box.value !== cur.query) runSearch(cur, box.value);
        jumpMatch(cur, ev.shiftKey ? -1 : 1);
      } else if (ev.key === 'Escape') {
        box.blur();
      }
    });
    cur.searchBox = box;
    var zoomOut = el('button', { type: 'button', className: 'btn', id: 'zoom-out', title: 'zoom out (-)', text: '−' });
    var zoomIn = el('button', { type: 'button', className: 'btn', id: 'zoom-in', title: 'zoom in (+)', text: '+' });
    var zoomReset = el('button', { type: 'button', className: 'btn', id: 'zoom-reset', title: 'reset zoom (0)', text: '1×' });
    zoomOut.addEventListener('click', function () { zoom(cur, cur.zoom - 1); });
    zoomIn.addEventListener('click', function () { zoom(cur, cur.zoom + 1); });
    zoomReset.addEventListener('click', function () { zoom(cur, 0); });
    cur.zoomReset = zoomReset;
    return el('div', { className: 'toolbar', id: 'toolbar' }, [
      el('div', { className: 'tb-group' }, [prevErr, nextErr, cur.errInfo]),
      el('div', { className: 'tb-group tb-search' }, [box, cur.matchInfo]),
      el('div', { className: 'tb-group' }, [el('span', { className: 'muted small', text: 'zoom' }), zoomOut, zoomIn, zoomReset]),
      el('div', { className: 'muted small keys', id: 'keys-hint', text: 'keys: n / ] next error · p / [ previous · / search · Enter next match · + / − zoom · 0 reset · Esc close' })
    ]);
  }

  function jumpError(dir) {
    var cur = state.cur;
    if (!cur || !cur.errors.length) return;
    var at = cur.sel ? cur.sel.idx : (dir > 0 ? -1 : cur.flat.length);
    var list = cur.errors;
    var target;
    if (dir > 0) target = list.filter(function (it) { return it.idx > at; })[0] || list[0];
    else target = list.filter(function (it) { return it.idx < at; }).pop() || list[list.length - 1];
    go(target);
    var pos = list.indexOf(target) + 1;
    cur.errInfo.textContent = 'error ' + pos + ' of ' + list.length;
  }

  function unmark(root) {
    var marks = root.querySelectorAll('mark.hit');
    Array.prototype.forEach.call(marks, function (m) {
      var parent = m.parentNode;
      parent.replaceChild(document.createTextNode(m.textContent), m);
      parent.normalize();
    });
  }

  // Wraps every occurrence of needle (lower-case) in the text under root in <mark class="hit">,
  // splitting text nodes: the text is never parsed.
  function markText(root, needle) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      var text = node.nodeValue;
      var low = text.toLowerCase();
      var i = low.indexOf(needle);
      if (i < 0 || (node.parentNode && node.parentNode.closest && node.parentNode.closest('button'))) return;
      var frag = document.createDocumentFragment();
      var from = 0;
      while (i >= 0) {
        if (i > from) frag.appendChild(document.createTextNode(text.slice(from, i)));
        frag.appendChild(el('mark', { className: 'hit', text: text.slice(i, i + needle.length) }));
        from = i + needle.length;
        i = low.indexOf(needle, from);
      }
      if (from < text.length) frag.appendChild(document.createTextNode(text.slice(from)));
      node.parentNode.replaceChild(frag, node);
    });
  }

  function runSearch(cur, q) {
    var needle = q.trim().toLowerCase();
    cur.query = q;
    unmark(cur.eventsBox);
    unmark(cur.wf);
    unmark(cur.panel);
    cur.flat.forEach(function (it) {
      if (it.node) it.node.classList.remove('match');
      if (it.row) it.row.classList.remove('match');
    });
    cur.matches = [];
    cur.matchPos = -1;
    if (!needle) {
      cur.matchInfo.textContent = '';
      return;
    }
    cur.flat.forEach(function (it) {
      if (it.hay === undefined) it.hay = haystack(it.e);
      if (it.hay.indexOf(needle) >= 0) {
        cur.matches.push(it);
        if (it.node) it.node.classList.add('match');
        if (it.row) it.row.classList.add('match');
      }
    });
    markText(cur.eventsBox, needle);
    markText(cur.wf, needle);
    markText(cur.panel, needle);
    cur.matchInfo.textContent = cur.matches.length ? cur.matches.length + (cur.matches.length === 1 ? ' match' : ' matches') + ' · Enter for the next' : 'no match';
  }

  function jumpMatch(cur, dir) {
    var list = cur.matches;
    if (!list.length) return;
    var at = cur.sel ? cur.sel.idx : (dir > 0 ? -1 : cur.flat.length);
    var target = dir > 0 ? list.filter(function (it) { return it.idx > at; })[0] || list[0] : list.filter(function (it) { return it.idx < at; }).pop() || list[list.length - 1];
    go(target);
    cur.matchInfo.textContent = 'match ' + (list.indexOf(target) + 1) + ' of ' + list.length;
    Array.prototype.forEach.call(document.querySelectorAll('mark.current'), function (m) { m.classList.remove('current'); });
    // The first mark in the event's own row, else in the panel (which shows every field).
    var own = target.node ? Array.prototype.filter.call(target.node.querySelectorAll('mark.hit'), function (m) { return m.closest('.ev') === target.node; }) : [];
    if (!own.length) own = Array.prototype.slice.call(cur.panel.querySelectorAll('mark.hit'));
    if (own.length) {
      own[0].classList.add('current');
      var d = own[0].closest('details');
      while (d) {
        d.open = true;
        d = d.parentNode && d.parentNode.closest ? d.parentNode.closest('details') : null;
      }
      own[0].scrollIntoView({ block: 'center' });
    }
  }

  // ---- selection and deep links --------------------------------------------------------------
  // Selects an event and puts its link in the address bar (replacing, so Back still leaves the
  // session). quiet: a click on the timeline or on the event itself, which does not scroll the page.
  function go(item, quiet) {
    var cur = state.cur;
    if (!cur || !item) return;
    history.replaceState(null, '', sessionHash(cur, item));
    selectItem(item, quiet);
  }

  function selectKey(key) {
    var cur = state.cur;
    if (!cur) return;
    // #/s/<id>/first-error: the list's links when it shows only sessions with errors.
    if (key === FIRST_ERROR) {
      if (cur.errors.length) jumpError(1);
      return;
    }
    var item = null;
    cur.flat.forEach(function (it) { if (!item && it.key === key) item = it; });
    if (!item) cur.flat.forEach(function (it) { if (!item && it.e.span_id === key) item = it; });
    if (!item) {
      var m = /^e(\d+)$/.exec(key);
      if (m) item = cur.flat[Number(m[1])] || null;
    }
    if (item) selectItem(item);
    else {
      cur.panel.hidden = false;
      clear(cur.panel);
      cur.panel.appendChild(el('p', { className: 'error', id: 'no-event', text: 'No event "' + key + '" in this session.' }));
    }
  }

  function selectItem(item, quiet) {
    var cur = state.cur;
    if (cur.sel) {
      if (cur.sel.node) cur.sel.node.classList.remove('sel');
      if (cur.sel.row) cur.sel.row.classList.remove('sel');
    }
    for (var p = item.parent; p; p = p.parent) if (p.collapsed) setCollapsed(cur, p, false);
    cur.sel = item;
    if (item.node) item.node.classList.add('sel');
    if (item.row) {
      item.row.classList.add('sel');
      revealBar(cur, item);
    }
    renderPanel(cur, item);
    if (item.node && !quiet) item.node.scrollIntoView({ block: 'center' });
  }

  function closePanel(cur) {
    if (cur.sel) {
      if (cur.sel.node) cur.sel.node.classList.remove('sel');
      if (cur.sel.row) cur.sel.row.classList.remove('sel');
    }
    cur.sel = null;
    cur.panel.hidden = true;
    clear(cur.panel);
    history.replaceState(null, '', sessionHash(cur, null));
  }

  // ---- detail panel: every field of the selected event ---------------------------------------
  var PANEL_SHOWN = { type: 1, events: 1, input: 1, result: 1, error: 1, why: 1, description: 1, prompt: 1, text: 1, thinking: 1, message: 1, attributes: 1, tool_uses: 1, usage: 1, truncated: 1 };

  function renderPanel(cur, item) {
    var e = item.e;
    var p = cur.panel;
    clear(p);
    p.hidden = false;
    var close = el('button', { type: 'button', className: 'btn close', id: 'panel-close', title: 'close (Esc)', text: '×' });
    close.addEventListener('click', function () { closePanel(cur); });
    p.appendChild(el('div', { className: 'panel-head' }, [
      el('span', { className: 'kind', text: String(e.type).replace('_', ' ') }),
      el('span', { className: 'name', id: 'panel-title', text: item.label }),
      e.status ? badge(e.status) : item.error ? badge('error') : null,
      close
    ]));
    var rows = [];
    var add = function (k, v) { if (v !== undefined && v !== null && v !== '') rows.push(el('div', { className: 'meta-item' }, [el('dt', { text: k }), el('dd', { text: v })])); };
    add('key', item.key);
    var start = e.started_at || e.at;
    add('started', start ? fmtTime(start) : undefined);
    add('ended', e.ended_at ? fmtTime(e.ended_at) : undefined);
    add('duration', typeof e.duration_ms === 'number' ? fmtDuration(e.duration_ms) : undefined);
    var s0 = ms(cur.s.started_at);
    if (s0 !== undefined && ms(start) !== undefined) add('offset', '+' + fmtDuration(ms(start) - s0));
    add('time to first token', typeof e.ttft_ms === 'number' ? fmtDuration(e.ttft_ms) : undefined);
    if (e.type === 'llm_message') {
      var u = e.usage;
      add('tokens', u ? fmtTokens(u.input_tokens) + ' in / ' + fmtTokens(u.output_tokens) + ' out' : 'unknown');
      if (u && (u.cache_read_input_tokens || u.cache_creation_input_tokens)) add('cache', fmtTokens(u.cache_read_input_tokens) + ' read / ' + fmtTokens(u.cache_creation_input_tokens) + ' write');
      add('cost', e.cost_usd !== undefined ? fmtCost(e.cost_usd) : 'unknown');
    }
    Object.keys(e).forEach(function (k) {
      if (PANEL_SHOWN[k] || k === 'started_at' || k === 'ended_at' || k === 'at' || k === 'duration_ms' || k === 'ttft_ms' || k === 'cost_usd') return;
      var v = e[k];
      if (v === null || v === undefined) return;
      add(k.replace(/_/g, ' '), typeof v === 'object' ? JSON.stringify(v) : String(v));
    });
    if (item.kids) add('events inside', String(item.kids));
    p.appendChild(el('dl', { className: 'meta panel-meta' }, rows));
    if (e.why || e.description) p.appendChild(el('div', { className: 'why' }, [el('span', { className: 'why-label', text: 'why ' }), el('span', { className: 'why-text', id: 'panel-why', text: e.why || e.description })]));
    if (e.why && e.description) p.appendChild(el('p', { className: 'muted', text: e.description }));
    if (e.error) p.appendChild(el('p', { className: 'error', id: 'panel-error', text: (e.error_type ? e.error_type + ': ' : '') + e.error }));
    if (e.type === 'failure' && e.message) p.appendChild(el('p', { className: 'error', id: 'panel-error', text: e.message }));
    if (e.type === 'notification' && e.message) p.appendChild(el('p', { className: 'note', text: e.message }));
    if (e.prompt !== undefined) p.appendChild(payload('prompt', e.prompt, 'prompt-text'));
    if (e.input !== undefined) p.appendChild(value('input', e.input, 'input', true));
    if (e.type === 'tool_call') p.appendChild(e.result !== undefined && e.result !== null ? value('output', e.result, 'result', true) : el('p', { className: 'muted small', text: 'no output captured' }));
    if (e.thinking) p.appendChild(payload('thinking', e.thinking));
    if (e.text) p.appendChild(payload('text', e.text, 'text'));
    if (e.tool_uses && e.tool_uses.length) p.appendChild(value('tool uses', e.tool_uses, 'tool-uses', true));
    if (e.attributes && Object.keys(e.attributes).length) p.appendChild(value('attributes', e.attributes, 'attributes', true));
    if (e.truncated) p.appendChild(el('p', { className: 'muted small', text: 'cut at capture: ' + Object.keys(e.truncated).map(function (k) { return k + ' (' + e.truncated[k] + ' chars)'; }).join(', ') }));
    if (item.kids) {
      var toggle = el('button', { type: 'button', className: 'btn', text: item.collapsed ? 'expand its ' + item.kids + ' events' : 'collapse its ' + item.kids + ' events' });
      toggle.addEventListener('click', function () { setCollapsed(cur, item, !item.collapsed); renderPanel(cur, item); });
      p.appendChild(el('div', { className: 'actions' }, [toggle]));
    }
    var needle = cur.query.trim().toLowerCase();
    if (needle) markText(p, needle);
  }

  // ---- values rendered by type: command output as text, JSON folded, long text cut -----------
  function isPlainObject(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  }
  function parsedJson(s) {
    var t = s.trim();
    if (!(t.charAt(0) === '{' && t.charAt(t.length - 1) === '}') && !(t.charAt(0) === '[' && t.charAt(t.length - 1) === ']')) return undefined;
    try {
      return JSON.parse(t);
    } catch {
      return undefined;
    }
  }
  function folded(label, v, cls, open) {
    var text = stringify(v);
    var summary = (label ? label + ' · ' : '') + (Array.isArray(v) ? 'JSON, ' + v.length + (v.length === 1 ? ' item' : ' items') : 'JSON, ' + Object.keys(v).length + (Object.keys(v).length === 1 ? ' key' : ' keys')) + ': ' + oneLine(JSON.stringify(v), 70);
    var d = el('details', { className: 'json' + (cls ? ' json-' + cls : '') }, [el('summary', { text: summary })]);
    if (open) d.open = true;
    d.appendChild(payload('', text, (cls ? cls + ' ' : '') + 'json-body'));
    return el('div', { className: 'payload-box' }, [d]);
  }
  var STREAMS = ['stdout', 'stderr', 'output'];
  function value(label, v, cls, small) {
    if (typeof v === 'string') {
      var j = parsedJson(v);
      if (j !== undefined && typeof j === 'object' && j !== null) return folded(label, j, cls, false);
      return payload(label, v, cls);
    }
    if (isPlainObject(v) && STREAMS.some(function (k) { return typeof v[k] === 'string'; })) {
      // Command output ({stdout, stderr, exit code...}): the streams as text, the rest on one line.
      var rest = Object.keys(v).filter(function (k) { return STREAMS.indexOf(k) < 0 || typeof v[k] !== 'string'; });
      var parts = [label ? el('div', { className: 'payload-label', text: label }) : null];
      if (rest.length) parts.push(el('div', { className: 'stream-meta small' }, rest.map(function (k) {
        return el('span', { className: 'kv' }, [el('span', { className: 'muted', text: k + ' ' }), el('span', { className: 'kv-v', text: typeof v[k] === 'string' ? v[k] : JSON.stringify(v[k]) })]);
      })));
      STREAMS.forEach(function (k) {
        if (typeof v[k] !== 'string') return;
        if (v[k] === '' && k !== 'stdout') return;
        parts.push(payload(k, v[k] === '' ? '(empty)' : v[k], cls + ' ' + k));
      });
      return el('div', { className: 'payload-box streams' }, parts);
    }
    if (isPlainObject(v) && Array.isArray(v.content) && v.content.length && v.content.every(function (c) { return c && c.type === 'text' && typeof c.text === 'string'; })) {
      // MCP-style content blocks: their text.
      return payload(label, v.content.map(function (c) { return c.text; }).join('\n'), cls);
    }
    if (v !== null && typeof v === 'object') {
      var short = JSON.stringify(v).length <= 120;
      return folded(label, v, cls, small && short);
    }
    return payload(label, v, cls);
  }

  // ---- timeline -------------------------------------------------------------------------------
  // One row per timed event, bars placed by CSSOM (style attributes are blocked by the CSP). The
  // rows sit in a box that scrolls sideways when zoomed; labels and durations stay in view.
  function waterfall(s, cur) {
    var start = ms(s.started_at);
    var end = ms(s.ended_at);
    var rows = [];
    cur.flat.forEach(function (it) {
      var e = it.e, a, b, cls;
      if (e.type === 'llm_message') { a = ms(e.at); b = ms(e.ended_at); cls = 'llm' + (e.error ? ' bad' : ''); }
      else if (e.type === 'tool_call') { a = ms(e.started_at); b = ms(e.ended_at); cls = 'tool ' + (e.status === 'ok' ? 'good' : 'bad'); }
      else if (e.type === 'subagent') { a = ms(e.started_at); b = ms(e.ended_at); cls = 'sub' + (e.status === 'ok' ? '' : ' bad'); }
      else if (e.type === 'step') { a = ms(e.started_at); b = ms(e.ended_at); cls = 'step' + (e.status === 'ok' ? '' : ' bad'); }
      else if (e.type === 'user_prompt' || e.type === 'notification') { a = ms(e.at); b = a; cls = 'mark'; }
      else if (e.type === 'failure') { a = ms(e.at); b = a; cls = 'mark bad'; }
      if (a !== undefined) rows.push({ it: it, a: a, b: b === undefined ? a : b, cls: cls });
    });
    // The scale covers the session and every event, even ones stamped outside it (clock skew).
    var lows = rows.map(function (r) { return r.a; });
    var highs = rows.map(function (r) { return r.b; });
    if (start !== undefined) lows.push(start);
    if (end !== undefined) highs.push(end);
    start = lows.length ? Math.min.apply(null, lows) : 0;
    end = highs.length ? Math.max.apply(null, highs) : start + 1;
    var span = Math.max(1, end - start);
    cur.span = span;
    var inner = el('div', { className: 'wf-inner' });
    var box = el('div', { className: 'waterfall', id: 'waterfall' }, [inner]);
    cur.wf = box;
    cur.wfInner = inner;
    cur.axis = el('div', { className: 'wf-track' });
    inner.appendChild(el('div', { className: 'wf-row wf-axis' }, [el('div', { className: 'wf-label' }), cur.axis, el('div', { className: 'wf-dur' })]));
    rows.forEach(function (r) {
      var it = r.it;
      var bar = el('div', { className: 'wf-bar ' + r.cls, title: it.label + ' · ' + fmtDuration(r.b - r.a) });
      bar.style.left = ((r.a - start) / span * 100).toFixed(3) + '%';
      bar.style.width = Math.max(0.4, (r.b - r.a) / span * 100).toFixed(3) + '%';
      var label = el('div', { className: 'wf-label', title: it.label });
      label.style.paddingLeft = (4 + it.depth * 14) + 'px';
      if (it.kids) {
        var tg = el('button', { type: 'button', className: 'toggle', 'aria-expanded': 'true', title: 'collapse / expand', text: '▾' });
        tg.addEventListener('click', function (ev) {
          ev.stopPropagation();
          setCollapsed(cur, it, !it.collapsed);
        });
        it.rowToggle = tg;
        label.appendChild(tg);
      }
      label.appendChild(el('span', { className: 'wf-text', text: it.label }));
      var row = el('div', { className: 'wf-row' + (it.error ? ' has-error' : ''), 'data-target': it.domId, 'data-key': it.key }, [label, el('div', { className: 'wf-track' }, [bar]), el('div', { className: 'wf-dur', text: r.b > r.a ? fmtDuration(r.b - r.a) : '' })]);
      row.addEventListener('click', function () { go(it, true); });
      it.row = row;
      it.bar = bar;
      inner.appendChild(row);
    });
    if (!rows.length) inner.appendChild(el('p', { className: 'muted', text: 'No timed events.' }));
    return box;
  }

  // Axis ticks: as many as the track's width holds (one per ~90 px), so labels never overlap.
  function drawAxis(cur) {
    if (!cur || !cur.axis) return;
    clear(cur.axis);
    var w = cur.axis.getBoundingClientRect().width;
    var n = Math.max(2, Math.min(41, Math.floor(w / 90) + 1));
    for (var i = 0; i < n; i++) {
      var f = i / (n - 1);
      var tick = el('span', { className: 'wf-tick', text: fmtDuration(cur.span * f) });
      tick.style.left = (f * 100) + '%';
      cur.axis.appendChild(tick);
    }
  }

  function zoom(cur, level) {
    cur.zoom = Math.max(0, Math.min(ZOOMS.length - 1, level));
    // The bars' column (its 16 px of margins aside) gets ZOOMS[zoom] times its width.
    cur.wfInner.style.width = cur.zoom ? 'calc(' + ZOOMS[cur.zoom] + ' * (100% - var(--label-w) - var(--dur-w) - 16px) + var(--label-w) + var(--dur-w) + 16px)' : '';
    cur.zoomReset.textContent = ZOOMS[cur.zoom] + '×';
    cur.wf.setAttribute('data-zoom', String(ZOOMS[cur.zoom]));
    drawAxis(cur);
    if (cur.sel) revealBar(cur, cur.sel);
  }

  function revealBar(cur, item) {
    if (!item.bar || !cur.zoom) return;
    var box = cur.wf.getBoundingClientRect();
    var bar = item.bar.getBoundingClientRect();
    var label = item.row.firstChild.getBoundingClientRect().width;
    if (bar.left < box.left + label || bar.right > box.right - 80) cur.wf.scrollLeft += bar.left - box.left - label - 20;
  }

  function setCollapsed(cur, item, collapsed) {
    item.collapsed = collapsed;
    if (item.rowToggle) {
      item.rowToggle.textContent = collapsed ? '▸' : '▾';
      item.rowToggle.setAttribute('aria-expanded', String(!collapsed));
    }
    if (item.nodeToggle) {
      item.nodeToggle.textContent = collapsed ? '▸ show ' + item.kids + ' events' : '▾ hide';
      item.nodeToggle.setAttribute('aria-expanded', String(!collapsed));
    }
    if (item.node) item.node.classList.toggle('collapsed', collapsed);
    cur.flat.forEach(function (it) {
      if (!it.row) return;
      var hidden = false;
      for (var p = it.parent; p; p = p.parent) if (p.collapsed) hidden = true;
      it.row.classList.toggle('hidden', hidden);
    });
  }

  // ---- the event list -------------------------------------------------------------------------
  function renderEvent(item, cur) {
    var e = item.e;
    var head, body = [];
    var kids = item.children;
    var children = function () { return el('div', { className: 'children' }, kids.map(function (it) { return renderEvent(it, cur); })); };
    if (e.type === 'user_prompt') {
      head = [el('span', { className: 'kind', text: e.synthetic ? 'prompt (synthetic)' : 'prompt' })];
      body.push(payload('', e.prompt, 'prompt-text'));
    } else if (e.type === 'llm_message') {
      var u = e.usage || {};
      head = [el('span', { className: 'kind', text: 'model' }), el('span', { className: 'name', text: e.model || '' }), el('span', { className: 'dur', text: fmtDuration(e.duration_ms) }),
        el('span', { className: 'muted', text: (e.usage ? fmtTokens(u.input_tokens) + ' in / ' + fmtTokens(u.output_tokens) + ' out' : 'tokens unknown') + (e.cost_usd !== undefined ? ' · ' + fmtCost(e.cost_usd) : '') })];
      if (e.error) body.push(el('p', { className: 'error', text: e.error }));
      if (e.thinking) {
        var th = el('details', { className: 'thinking' }, [el('summary', { text: 'thinking (' + e.thinking.length.toLocaleString() + ' characters)' })]);
        th.appendChild(payload('', e.thinking));
        body.push(th);
      } else if (e.thinking_redacted) body.push(el('p', { className: 'muted small', text: 'thinking withheld by the producer' }));
      if (e.text) body.push(payload('', e.text, 'text'));
      if (e.tool_uses && e.tool_uses.length) body.push(el('div', { className: 'chips' }, [el('span', { className: 'muted', text: 'calls ' })].concat(e.tool_uses.map(function (t) { return el('span', { className: 'chip', text: t.name }); }))));
    } else if (e.type === 'tool_call') {
      var preview = argPreview(e.input);
      head = [el('span', { className: 'kind', text: 'tool' }), el('span', { className: 'name', text: e.name }), preview ? el('span', { className: 'arg', text: preview }) : null, badge(e.status), el('span', { className: 'dur', text: fmtDuration(e.duration_ms) }), e.mcp_server ? el('span', { className: 'muted', text: 'mcp ' + e.mcp_server }) : null,
        e.permission_decision ? el('span', { className: 'muted', text: e.permission_decision + (e.permission_source ? ' by ' + e.permission_source : '') + (typeof e.blocked_ms === 'number' ? ' · waited ' + fmtDuration(e.blocked_ms) : '') }) : null];
      if (e.error) body.push(el('p', { className: 'error', text: e.error }));
      if (e.input !== undefined) body.push(value('input', e.input, 'input', true));
      if (e.result !== undefined && e.result !== null) body.push(value('output', e.result, 'result', false));
      if (e.truncated) body.push(el('p', { className: 'muted small', text: 'cut at capture: ' + Object.keys(e.truncated).map(function (k) { return k + ' (' + e.truncated[k] + ' chars)'; }).join(', ') }));
    } else if (e.type === 'subagent') {
      head = [el('span', { className: 'kind', text: 'subagent' }), el('span', { className: 'name', text: e.agent_type || e.name || 'agent' }), badge(e.status), el('span', { className: 'dur', text: fmtDuration(e.duration_ms) }), e.agent_id ? el('span', { className: 'muted', text: e.agent_id }) : null];
      if (e.why || e.description) body.push(el('div', { className: 'why' }, [el('span', { className: 'why-label', text: 'why ' }), el('span', { className: 'why-text', text: e.why || e.description })]));
      if (e.error) body.push(el('p', { className: 'error', text: e.error }));
      body.push(children());
    } else if (e.type === 'notification') {
      head = [el('span', { className: 'kind', text: 'notification' }), e.kind ? el('span', { className: 'muted', text: e.kind }) : null];
      body.push(el('p', { className: 'note', text: e.message }));
    } else if (e.type === 'failure') {
      head = [el('span', { className: 'kind', text: 'failure' }), el('span', { className: 'name', text: e.category + '/' + e.code }), badge('error'), e.step ? el('span', { className: 'muted', text: 'in ' + e.step + (e.attempt !== undefined ? ' (attempt ' + e.attempt + ')' : '') }) : null];
      if (e.message) body.push(el('p', { className: 'error', text: e.message }));
    } else if (e.type === 'step') {
      head = [el('span', { className: 'kind', text: 'step' }), el('span', { className: 'name', text: e.name }), badge(e.status), el('span', { className: 'dur', text: fmtDuration(e.duration_ms) })];
      if (e.error) body.push(el('p', { className: 'error', text: e.error }));
      if (e.attributes && Object.keys(e.attributes).length) body.push(value('attributes', e.attributes, 'attributes', true));
      if (kids.length) body.push(children());
    } else {
      head = [el('span', { className: 'kind', text: String(e.type) })];
      body.push(payload('', e));
    }
    if (item.kids) {
      var tg = el('button', { type: 'button', className: 'btn toggle-children', 'aria-expanded': 'true', text: '▾ hide' });
      tg.addEventListener('click', function (ev) {
        ev.stopPropagation();
        setCollapsed(cur, item, !item.collapsed);
      });
      item.nodeToggle = tg;
      head.push(tg);
    }
    var link = el('a', { className: 'ev-link', href: sessionHash(cur, item), title: 'link to this event', text: '#' });
    link.addEventListener('click', function (ev) {
      ev.preventDefault();
      ev.stopPropagation();
      go(item);
    });
    head.push(link);
    var headNode = el('div', { className: 'ev-head' }, head);
    headNode.addEventListener('click', function (ev) {
      if (ev.target && ev.target.closest && ev.target.closest('button, a, summary')) return;
      go(item, true);
    });
    var node = el('div', { className: 'ev ev-' + String(e.type).replace(/[^a-z_]/g, '') + (item.error ? ' has-error' : ''), id: item.domId, 'data-key': item.key, 'data-type': e.type, 'data-name': e.name || e.agent_type || '' }, [headNode].concat(body));
    item.node = node;
    return node;
  }

  // ---- keys -----------------------------------------------------------------------------------
  document.addEventListener('keydown', function (ev) {
    var cur = state.cur;
    if (!cur || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var tag = ev.target && ev.target.tagName;
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return;
    var k = ev.key;
    if (k === 'n' || k === ']') jumpError(1);
    else if (k === 'p' || k === '[') jumpError(-1);
    else if (k === '/') cur.searchBox.focus();
    else if (k === '+' || k === '=') zoom(cur, cur.zoom + 1);
    else if (k === '-' || k === '_') zoom(cur, cur.zoom - 1);
    else if (k === '0') zoom(cur, 0);
    else if (k === 'Escape') { if (cur.sel) closePanel(cur); }
    else return;
    ev.preventDefault();
  });

  route();
})();
