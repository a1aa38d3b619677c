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
      var more = el('button', { type: 'button', className: 'more', text: 'show all ' + text.length.toLocaleString() + ' characters' });
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
    var m = /^\/s\/(.+)$/.exec(h);
    if (m) {
      var id;
      try {
        id = decodeURIComponent(m[1]);
      } catch {
        id = m[1];
      }
      return showSession(id);
    }
    var q = h.indexOf('?') >= 0 ? h.slice(h.indexOf('?') + 1) : '';
    return showList(new URLSearchParams(q));
  }
  window.addEventListener('hashchange', route);

  // ---- list ---------------------------------------------------------------------------------
  var FILTERS = ['q', 'agent', 'env', 'tag', 'status', 'model', 'since', 'min_cost'];

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
      FILTERS.some(function (k) { return params.get(k); }) ? el('a', { className: 'reset', href: '#/', text: 'clear filters' }) : null
    ]);
    main.appendChild(bar);

    var s = data.summary;
    main.appendChild(el('div', { className: 'cards summary', id: 'summary' }, [
      card('sessions', s.sessions.toLocaleString(), data.total !== data.indexed ? 'of ' + data.indexed.toLocaleString() : ''),
      card('cost', fmtCost(s.cost_usd, s.cost_partial), s.cost_usd === null ? 'unknown' : s.cost_partial ? 'some costs unknown' : ''),
      card('tokens', fmtTokens(s.input_tokens) + ' / ' + fmtTokens(s.output_tokens), 'in / out'),
      card('tool calls', s.tool_calls.toLocaleString()),
      card('errors', s.errors.toLocaleString(), 'in ' + s.by_status.error + ' failed, ' + s.by_status.incomplete + ' incomplete sessions')
    ]));

    if (data.sessions.length === 0) {
      main.appendChild(el('p', { className: 'muted empty', id: 'empty', text: data.indexed ? 'No session matches these filters.' : 'No sessions yet. Run an instrumented agent (or npm run demo), then reload.' }));
    } else {
      var tbody = el('tbody');
      data.sessions.forEach(function (e) {
        var t = e.totals || {};
        var href = '#/s/' + encodeURIComponent(e.id);
        var row = el('tr', { 'data-id': e.id, className: 'row' }, [
          el('td', { className: 'nowrap' }, [el('a', { href: href, text: fmtTime(e.started_at) })]),
          el('td', null, [badge(e.status)]),
          el('td', { className: 'agent', title: e.agent && e.agent.name }, [el('div', { className: 'clip', text: e.agent && e.agent.name })]),
          el('td', { text: e.environment || '-' }),
          el('td', { text: e.model || '-' }),
          el('td', { className: 'num', text: fmtDuration(t.duration_ms) }),
          el('td', { className: 'num', text: fmtTokens(knownSum(t.input_tokens, t.output_tokens)) }),
          el('td', { className: 'num', text: fmtCost(t.cost_usd, t.cost_partial) }),
          el('td', { className: 'num', text: fmtCount(t.tool_calls) }),
          el('td', { className: 'prompt', title: e.prompt_preview || '' }, [el('div', { className: 'clip', text: e.prompt_preview || '' })])
        ]);
        row.addEventListener('click', function (ev) {
          if (ev.target && ev.target.tagName === 'A') return;
          location.hash = href;
        });
        tbody.appendChild(row);
      });
      main.appendChild(el('div', { className: 'table-wrap' }, [el('table', { className: 'sessions', id: 'sessions' }, [
        el('thead', null, [el('tr', null, ['started', 'status', 'agent', 'env', 'model', 'time', 'tokens', 'cost', 'tools', 'prompt'].map(function (h) {
          return el('th', { text: h });
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

  function card(label, value, sub) {
    return el('div', { className: 'card' }, [el('div', { className: 'card-label', text: label }), el('div', { className: 'card-value', text: value }), sub ? el('div', { className: 'card-sub', text: sub }) : null]);
  }

  // ---- one session --------------------------------------------------------------------------
  function showSession(id) {
    var seq = ++state.seq;
    clear(main);
    main.appendChild(el('p', { className: 'muted', text: 'Loading session…' }));
    return api('api/sessions/' + encodeURIComponent(id)).then(function (s) {
      if (seq !== state.seq) return;
      renderSession(s, id);
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

  function renderSession(s, ref) {
    clear(main);
    document.title = (s.agent && s.agent.name ? s.agent.name + ' · ' : '') + s.id + ' · ams';
    var t = s.totals || {};
    var link = location.href.split('#')[0] + '#/s/' + encodeURIComponent(s.id);
    var copy = el('button', { type: 'button', className: 'btn', text: 'copy link' });
    copy.addEventListener('click', function () {
      var done = function () { copy.textContent = 'copied'; };
      if (navigator.clipboard) navigator.clipboard.writeText(link).then(done, function () { prompt('Link to this session', link); });
      else prompt('Link to this session', link);
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

    main.appendChild(el('div', { className: 'cards' }, [
      card('duration', fmtDuration(t.duration_ms), t.api_duration_ms ? 'API ' + fmtDuration(t.api_duration_ms) : ''),
      card('turns', fmtCount(t.turns)),
      card('tool calls', fmtCount(t.tool_calls)),
      card('subagents', fmtCount(t.subagents)),
      card('errors', fmtCount(t.errors)),
      card('tokens', fmtTokens(t.input_tokens) + ' / ' + fmtTokens(t.output_tokens), 'in / out' + (t.cache_read_input_tokens ? ' · ' + fmtTokens(t.cache_read_input_tokens) + ' cache read' : '')),
      card('cost', fmtCost(t.cost_usd, t.cost_partial), t.cost_usd === null ? 'unknown' : t.cost_partial ? 'some model calls had no cost' : t.sources && t.sources.cost_usd && t.sources.cost_usd !== 'events' ? 'from ' + t.sources.cost_usd : '')
    ]));

    main.appendChild(el('h2', { text: 'Timeline' }));
    main.appendChild(waterfall(s));

    var models = Object.keys(s.models || {});
    if (models.length) {
      main.appendChild(el('h2', { text: 'Tokens and cost by model' }));
      main.appendChild(el('table', { className: 'models', id: 'models' }, [
        el('thead', null, [el('tr', null, ['model', 'input', 'output', 'cache read', 'cache write', 'cost'].map(function (h) { return el('th', { text: h }); }))]),
        el('tbody', null, models.map(function (m) {
          var u = s.models[m];
          return el('tr', null, [el('td', { text: m }), el('td', { className: 'num', text: fmtTokens(u.input_tokens) }), el('td', { className: 'num', text: fmtTokens(u.output_tokens) }),
            el('td', { className: 'num', text: fmtTokens(u.cache_read_input_tokens) }), el('td', { className: 'num', text: fmtTokens(u.cache_creation_input_tokens) }), el('td', { className: 'num', text: fmtCost(u.cost_usd, u.cost_partial) })]);
        }))
      ]));
    }

    main.appendChild(el('h2', { text: 'What happened' }));
    var counter = { n: 0 };
    main.appendChild(el('div', { className: 'events', id: 'events' }, renderEvents(s.events || [], counter)));
  }

  function meta(k, v) {
    return el('div', { className: 'meta-item' }, [el('dt', { text: k }), el('dd', { text: v })]);
  }

  // Waterfall: one row per timed event, bars placed by CSSOM (style attributes are blocked by the CSP).
  function waterfall(s) {
    var start = ms(s.started_at);
    var end = ms(s.ended_at);
    var rows = [];
    var n = { n: 0 };
    (function walk(events, depth) {
      events.forEach(function (e) {
        var id = 'ev-' + (n.n++);
        var a, b, label, cls;
        if (e.type === 'llm_message') { a = ms(e.at); b = ms(e.ended_at); label = (e.model || 'model') + ' turn'; cls = 'llm' + (e.error ? ' bad' : ''); }
        else if (e.type === 'tool_call') { a = ms(e.started_at); b = ms(e.ended_at); label = e.name; cls = 'tool ' + (e.status === 'ok' ? 'good' : 'bad'); }
        else if (e.type === 'subagent') { a = ms(e.started_at); b = ms(e.ended_at); label = 'subagent ' + (e.agent_type || e.name || ''); cls = 'sub' + (e.status === 'ok' ? '' : ' bad'); }
        else if (e.type === 'step') { a = ms(e.started_at); b = ms(e.ended_at); label = e.name; cls = 'step' + (e.status === 'ok' ? '' : ' bad'); }
        else if (e.type === 'user_prompt' || e.type === 'notification') { a = ms(e.at); b = a; label = e.type === 'user_prompt' ? 'prompt' : 'notification'; cls = 'mark'; }
        if (a !== undefined) rows.push({ id: id, a: a, b: b === undefined ? a : b, label: label, cls: cls, depth: depth });
        if (e.type === 'subagent' || (e.type === 'step' && e.events)) walk(e.events || [], depth + 1);
      });
    })(s.events || [], 0);
    // The scale covers the session and every event, even ones stamped outside it (clock skew).
    var lows = rows.map(function (r) { return r.a; });
    var highs = rows.map(function (r) { return r.b; });
    if (start !== undefined) lows.push(start);
    if (end !== undefined) highs.push(end);
    start = lows.length ? Math.min.apply(null, lows) : 0;
    end = highs.length ? Math.max.apply(null, highs) : start + 1;
    var span = Math.max(1, end - start);
    var box = el('div', { className: 'waterfall', id: 'waterfall' });
    var axis = el('div', { className: 'wf-row wf-axis' }, [el('div', { className: 'wf-label' }), el('div', { className: 'wf-track' }, [0, 0.25, 0.5, 0.75, 1].map(function (f) {
      var tick = el('span', { className: 'wf-tick', text: fmtDuration(span * f) });
      tick.style.left = (f * 100) + '%';
      return tick;
    }))]);
    box.appendChild(axis);
    rows.forEach(function (r) {
      var bar = el('div', { className: 'wf-bar ' + r.cls, title: r.label + ' · ' + fmtDuration(r.b - r.a) });
      bar.style.left = ((r.a - start) / span * 100).toFixed(3) + '%';
      bar.style.width = Math.max(0.4, (r.b - r.a) / span * 100).toFixed(3) + '%';
      var label = el('div', { className: 'wf-label', text: r.label });
      label.style.paddingLeft = (4 + r.depth * 14) + 'px';
      var row = el('div', { className: 'wf-row', 'data-target': r.id }, [label, el('div', { className: 'wf-track' }, [bar]), el('div', { className: 'wf-dur', text: r.b > r.a ? fmtDuration(r.b - r.a) : '' })]);
      row.addEventListener('click', function () {
        var target = document.getElementById(r.id);
        if (target) {
          target.scrollIntoView({ behavior: 'smooth', block: 'center' });
          target.classList.add('flash');
          setTimeout(function () { target.classList.remove('flash'); }, 1200);
        }
      });
      box.appendChild(row);
    });
    if (!rows.length) box.appendChild(el('p', { className: 'muted', text: 'No timed events.' }));
    return box;
  }

  function renderEvents(events, counter) {
    return events.map(function (e) { return renderEvent(e, counter); });
  }

  function renderEvent(e, counter) {
    var id = 'ev-' + (counter.n++);
    var head, body = [];
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
      head = [el('span', { className: 'kind', text: 'tool' }), el('span', { className: 'name', text: e.name }), badge(e.status), el('span', { className: 'dur', text: fmtDuration(e.duration_ms) }), e.mcp_server ? el('span', { className: 'muted', text: 'mcp ' + e.mcp_server }) : null,
        e.permission_decision ? el('span', { className: 'muted', text: e.permission_decision + (e.permission_source ? ' by ' + e.permission_source : '') + (typeof e.blocked_ms === 'number' ? ' · waited ' + fmtDuration(e.blocked_ms) : '') }) : null];
      if (e.error) body.push(el('p', { className: 'error', text: e.error }));
      if (e.input !== undefined) body.push(payload('input', e.input, 'input'));
      if (e.result !== undefined && e.result !== null) body.push(payload('output', e.result, 'result'));
      if (e.truncated) body.push(el('p', { className: 'muted small', text: 'cut at capture: ' + Object.keys(e.truncated).map(function (k) { return k + ' (' + e.truncated[k] + ' chars)'; }).join(', ') }));
    } else if (e.type === 'subagent') {
      head = [el('span', { className: 'kind', text: 'subagent' }), el('span', { className: 'name', text: e.agent_type || e.name || 'agent' }), badge(e.status), el('span', { className: 'dur', text: fmtDuration(e.duration_ms) }), e.agent_id ? el('span', { className: 'muted', text: e.agent_id }) : null];
      if (e.why || e.description) body.push(el('div', { className: 'why' }, [el('span', { className: 'why-label', text: 'why ' }), el('span', { className: 'why-text', text: e.why || e.description })]));
      if (e.error) body.push(el('p', { className: 'error', text: e.error }));
      body.push(el('div', { className: 'children' }, renderEvents(e.events || [], counter)));
    } else if (e.type === 'notification') {
      head = [el('span', { className: 'kind', text: 'notification' }), e.kind ? el('span', { className: 'muted', text: e.kind }) : null];
      body.push(el('p', { className: 'note', text: e.message }));
    } else if (e.type === 'failure') {
      head = [el('span', { className: 'kind', text: 'failure' }), el('span', { className: 'name', text: e.category + '/' + e.code }), badge('error'), e.step ? el('span', { className: 'muted', text: 'in ' + e.step + (e.attempt !== undefined ? ' (attempt ' + e.attempt + ')' : '') }) : null];
      if (e.message) body.push(el('p', { className: 'error', text: e.message }));
    } else if (e.type === 'step') {
      head = [el('span', { className: 'kind', text: 'step' }), el('span', { className: 'name', text: e.name }), badge(e.status), el('span', { className: 'dur', text: fmtDuration(e.duration_ms) })];
      if (e.error) body.push(el('p', { className: 'error', text: e.error }));
      if (e.attributes && Object.keys(e.attributes).length) body.push(payload('attributes', e.attributes));
      if (e.events && e.events.length) body.push(el('div', { className: 'children' }, renderEvents(e.events, counter)));
    } else {
      head = [el('span', { className: 'kind', text: String(e.type) })];
      body.push(payload('', e));
    }
    var node = el('div', { className: 'ev ev-' + String(e.type).replace(/[^a-z_]/g, ''), id: id, 'data-type': e.type, 'data-name': e.name || e.agent_type || '' }, [el('div', { className: 'ev-head' }, head)].concat(body));
    return node;
  }

  route();
})();
