/**
 * The dashboard's script, run by the browser as it is (no build step): plain ES2017, no template
 * literals (this file is one), data written with textContent only (never parsed as HTML). It
 * reads one Server-Sent Events stream (`api/events`: a snapshot, then a tick a second and each
 * mark as it happens) and draws with uPlot, inlined before it.
 */
// biome-ignore lint/complexity/noUselessStringRaw: raw, so a backslash added later reaches the browser as written
export const PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  var COLORS = { bad: '#cf222e', warn: '#bc4c00', good: '#1a7f37', info: '#0969da' };
  var LABELS = {
    blocked: 'blocked', unblocked: 'unblocked', disconnected: 'disconnected', reconnected: 'reconnected',
    breakerOpen: 'breaker open', breakerHalfOpen: 'half-open', breakerClosed: 'breaker closed',
    limitChanged: 'limit', interrupted: 'channel lost', paused: 'paused', resumed: 'resumed',
    recovering: 'recovering', isolating: 'isolating', stopping: 'stopping', stalled: 'stalled',
    stallCleared: 'stall cleared', downstreamFull: 'downstream full', downstreamRoom: 'downstream room'
  };
  // A shaded span from a mark to the one that ends it: while it lasts, intake or publishing is held back.
  var SPANS = { blocked: 'unblocked', paused: 'resumed', recovering: 'resumed', breakerOpen: 'breakerClosed', disconnected: 'reconnected', stalled: 'stallCleared' };
  var MIN_SPAN_S = 60;
  var MAX_LISTED_MARKS = 100;

  var view = { intervalMs: 1000, historyMs: 300000, depthEveryMs: 2000, samples: [], marks: [], status: null, cards: {}, ended: false };
  var numberFormat = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

  function num(v) { return v === null || v === undefined ? '–' : numberFormat.format(v); }
  function seconds(ms) { return ms === 1000 ? 'second' : num(ms / 1000) + ' s'; }
  function clock(t) { return new Date(t).toLocaleTimeString('en-GB', { hour12: false }); }
  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function setText(root, key, text) {
    var e = root.querySelector('[data-value="' + key + '"]');
    if (e && e.textContent !== text) e.textContent = text;
  }
  function badge(text, tone) { return el('span', 'badge ' + (tone || ''), text); }

  // ---- data ---------------------------------------------------------------------------------

  function load(snapshot) {
    view.intervalMs = snapshot.intervalMs;
    view.historyMs = snapshot.historyMs;
    view.depthEveryMs = snapshot.depthEveryMs;
    setText(document, 'cadence', 'a sample every ' + seconds(view.intervalMs) + ', the last ' + Math.round(view.historyMs / 60000) + ' min');
    view.samples = snapshot.samples;
    view.marks = snapshot.marks;
    view.status = snapshot.status;
    buildCards();
    renderMarks();
    render();
  }
  function addSample(sample) {
    view.samples.push(sample);
    var oldest = sample.t - view.historyMs;
    while (view.samples.length > 0 && view.samples[0].t < oldest) view.samples.shift();
  }
  function addMark(mark) {
    // A mark sent again (a burst of limit moves, updated) replaces the one with its id.
    for (var i = view.marks.length - 1; i >= 0 && i >= view.marks.length - 50; i--) {
      if (view.marks[i].id === mark.id) { view.marks[i] = mark; return; }
    }
    view.marks.push(mark);
    if (view.marks.length > 500) view.marks.shift();
  }
  function concerns(mark, consumer) { return mark.consumers === null || mark.consumers.indexOf(consumer) >= 0; }

  function xRange() {
    var last = view.samples.length > 0 ? view.samples[view.samples.length - 1].t : Date.now();
    var first = view.samples.length > 0 ? view.samples[0].t : last;
    var span = Math.max(MIN_SPAN_S, (last - first) / 1000);
    return [last / 1000 - span, last / 1000];
  }

  // ---- charts -------------------------------------------------------------------------------

  // Vertical lines at each back-pressure mark, with its name, and shaded spans while something holds intake back.
  function marksPlugin(consumer) {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx, b = u.bbox, pr = uPlot.pxRatio, min = u.scales.x.min, max = u.scales.x.max;
          var mine = view.marks.filter(function (m) { return concerns(m, consumer); });
          ctx.save();
          mine.forEach(function (m, i) {
            var end = SPANS[m.kind];
            if (!end) return;
            var until = mine.slice(i + 1).filter(function (n) { return n.kind === end; })[0];
            var from = Math.max(min, m.t / 1000), to = Math.min(max, until ? until.t / 1000 : max);
            if (to <= from) return;
            var x0 = u.valToPos(from, 'x', true), x1 = u.valToPos(to, 'x', true);
            ctx.fillStyle = m.severity === 'bad' ? 'rgba(207,34,46,0.08)' : 'rgba(188,76,0,0.08)';
            ctx.fillRect(x0, b.top, x1 - x0, b.height);
          });
          // Labels too close to the previous one go a row lower (three rows, then they share).
          var rows = [-Infinity, -Infinity, -Infinity];
          ctx.font = Math.round(10 * pr) + 'px system-ui, sans-serif';
          ctx.textBaseline = 'alphabetic'; // uPlot leaves its axes' text settings on the context
          mine.forEach(function (m) {
            var t = m.t / 1000;
            if (t < min || t > max) return;
            var x = Math.round(u.valToPos(t, 'x', true)), color = COLORS[m.severity] || COLORS.info;
            ctx.strokeStyle = color;
            ctx.lineWidth = 1.5 * pr;
            ctx.setLineDash([4 * pr, 3 * pr]);
            ctx.beginPath();
            ctx.moveTo(x, b.top);
            ctx.lineTo(x, b.top + b.height);
            ctx.stroke();
            var row = rows.findIndex(function (last) { return x - last > 80 * pr; });
            if (row >= 0) {
              var label = LABELS[m.kind] || m.kind;
              // Right of the line, or left of it where the plot ends too soon.
              var left = x + 3 * pr + ctx.measureText(label).width > b.left + b.width;
              ctx.textAlign = left ? 'right' : 'left';
              ctx.fillStyle = color;
              ctx.fillText(label, left ? x - 3 * pr : x + 3 * pr, b.top + (11 + 12 * row) * pr);
              rows[row] = x;
            }
          });
          ctx.restore();
        }]
      }
    };
  }

  function chart(target, consumer, series) {
    var axis = { stroke: '#57606a', grid: { stroke: '#eaeef2', width: 1 }, ticks: { stroke: '#d0d7de', width: 1 }, font: '11px system-ui, sans-serif' };
    // Counts of messages: whole-number ticks.
    var counts = { incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8] };
    var opts = {
      width: Math.max(200, target.clientWidth),
      height: 160,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: { time: true, range: function () { return xRange(); } },
        y: { range: function (u, lo, hi) { return [0, Math.max(1, (hi || 0) * 1.15)]; } }
      },
      axes: [Object.assign({ size: 28 }, axis), Object.assign({ size: 50 }, axis, counts)],
      series: [{}].concat(series),
      plugins: [marksPlugin(consumer)]
    };
    var u = new uPlot(opts, [[]].concat(series.map(function () { return []; })), target);
    new ResizeObserver(function () {
      var w = Math.max(200, target.clientWidth);
      if (w !== u.width) u.setSize({ width: w, height: 160 });
    }).observe(target);
    return u;
  }

  var stepped = uPlot.paths.stepped({ align: 1 });
  function line(label, stroke, extra) { return Object.assign({ label: label, stroke: stroke, width: 2, spanGaps: false, points: { show: false } }, extra || {}); }

  function buildCards() {
    var root = document.getElementById('consumers');
    root.textContent = '';
    view.cards = {};
    (view.status ? view.status.consumers : []).forEach(function (c) {
      var card = el('section', 'card');
      card.setAttribute('data-consumer', c.name);
      var head = el('div', 'card-head');
      head.appendChild(el('h2', '', c.name));
      head.appendChild(el('span', 'queue', 'queue ' + c.queue));
      var badges = el('span', 'badges');
      badges.setAttribute('data-value', 'badges');
      head.appendChild(badges);
      card.appendChild(head);
      var grid = el('div', 'panels');
      var panels = [
        ['handled', 'Handled', 'messages settled per second', 'handledNow', 'handledMore'],
        ['inflight', 'In flight vs window', 'unacked messages, prefetch window and concurrency limit', 'inFlightNow', 'inFlightMore'],
        ['depth', 'Queue depth', 'ready messages in ' + c.queue, 'depthNow', 'depthMore']
      ].map(function (p) {
        var panel = el('div', 'panel');
        panel.setAttribute('data-chart', p[0]);
        var title = el('div', 'panel-head');
        title.appendChild(el('h3', '', p[1]));
        var big = el('div', 'big');
        big.setAttribute('data-value', p[3]);
        title.appendChild(big);
        panel.appendChild(title);
        panel.appendChild(el('div', 'unit', p[2]));
        var more = el('div', 'more');
        more.setAttribute('data-value', p[4]);
        panel.appendChild(more);
        var plot = el('div', 'plot');
        panel.appendChild(plot);
        grid.appendChild(panel);
        return plot;
      });
      card.appendChild(grid);
      root.appendChild(card);
      view.cards[c.name] = {
        card: card,
        handled: chart(panels[0], c.name, [line('handled/s', '#0969da', { fill: 'rgba(9,105,218,0.10)' }), line('failed/s', '#cf222e')]),
        inflight: chart(panels[1], c.name, [
          line('in flight', '#8250df', { fill: 'rgba(130,80,223,0.12)', paths: stepped }),
          line('window', '#1a7f37', { paths: stepped }),
          line('limit', '#bc4c00', { dash: [6, 4], paths: stepped })
        ]),
        depth: chart(panels[2], c.name, [line('ready', '#0a3069', { fill: 'rgba(10,48,105,0.08)', spanGaps: true })])
      };
    });
  }

  function series(name, key) {
    return view.samples.map(function (s) { var p = s.consumers[name]; return p ? p[key] : null; });
  }

  // ---- rendering ----------------------------------------------------------------------------

  function render() {
    var s = view.status;
    if (!s) return;
    var known = Object.keys(view.cards).sort().join('|');
    if (known !== s.consumers.map(function (c) { return c.name; }).sort().join('|')) buildCards();
    renderHeader(s);
    var xs = view.samples.map(function (x) { return x.t / 1000; });
    s.consumers.forEach(function (c) {
      var card = view.cards[c.name];
      if (!card) return;
      var points = view.samples.filter(function (x) { return x.consumers[c.name]; }).length;
      card.card.setAttribute('data-points', String(points));
      card.handled.setData([xs, series(c.name, 'handled'), series(c.name, 'failed')]);
      card.inflight.setData([xs, series(c.name, 'inFlight'), series(c.name, 'window'), series(c.name, 'limit')]);
      card.depth.setData([xs, series(c.name, 'depth')]);
      renderNumbers(card.card, c);
    });
  }

  function renderNumbers(root, c) {
    var n = c.now, t = c.totals;
    setText(root, 'handledNow', num(n.handled) + '/s');
    setText(root, 'handledMore', 'failed ' + num(n.failed) + '/s · acked ' + num(t.acked) + ' · retried ' + num(t.retried) +
      ' · dead-lettered ' + num(t.deadLettered + t.dropped) + (t.requeued > 0 ? ' · put back ' + num(t.requeued) : ''));
    setText(root, 'inFlightNow', num(n.inFlight) + ' / ' + num(n.window));
    setText(root, 'inFlightMore', (n.inFlight >= n.window && n.window > 0 ? 'window full: the broker sends nothing more · ' : '') +
      'limit ' + num(n.limit) + ' · prefetch ' + num(c.prefetch));
    setText(root, 'depthNow', num(n.depth));
    setText(root, 'depthMore', n.depth === null ? 'not read yet' : 'ready, read at most every ' + seconds(view.depthEveryMs));
    var badges = root.querySelector('[data-value="badges"]');
    badges.textContent = '';
    badges.appendChild(c.intakeOff === null
      ? badge(c.state, c.state === 'consuming' ? 'ok' : '')
      : badge('intake off: ' + c.intakeOff + (c.pausedBy.length > 0 ? ' by ' + c.pausedBy.join(', ') : ''), 'bad'));
    c.policies.forEach(function (p) { badges.appendChild(badge(p, /open/.test(p) ? 'bad' : /half/.test(p) ? 'warn' : '')); });
    root.classList.toggle('off', c.intakeOff !== null);
  }

  function renderHeader(s) {
    document.title = 'Warren · ' + s.app.name;
    setText(document, 'appName', s.app.name);
    var health = document.getElementById('health');
    health.textContent = s.app.health + ' · ' + s.app.state;
    health.className = 'badge ' + (s.app.health === 'ok' ? 'ok' : s.app.health === 'degraded' ? 'warn' : 'bad');
    var conns = document.getElementById('connections');
    conns.textContent = '';
    s.connections.forEach(function (c) {
      var text = c.role + ': ' + (c.blocked ? 'BLOCKED ' + Math.round(c.blockedForMs / 1000) + ' s' : c.state);
      var b = badge(text, c.blocked || c.state !== 'connected' ? 'bad' : 'ok');
      b.setAttribute('data-connection', c.role);
      conns.appendChild(b);
    });
    var p = s.publisher;
    setText(document, 'publisher', 'publisher ' + p.state + ' · unconfirmed ' + num(p.inFlight) + ' · buffered ' + num(p.buffered) +
      ' (' + num(Math.round(p.bufferedBytes / 1024)) + ' KiB) · held at marks ' + num(p.held));
    setText(document, 'limits', p.limits.map(function (l) {
      return l.queue + ' ' + num(l.ready) + '/' + num(l.mark) + (l.full ? ' FULL' : '') + (l.held > 0 ? ' (' + l.held + ' held)' : '');
    }).join(' · '));
    setText(document, 'updated', (view.ended ? 'app stopped · last data ' : 'updated ') + clock(s.t));
  }

  function renderMarks() {
    var list = document.getElementById('marks');
    list.textContent = '';
    var recent = view.marks.slice(-MAX_LISTED_MARKS).reverse();
    document.getElementById('marks-empty').hidden = recent.length > 0;
    recent.forEach(function (m) {
      var li = el('li', 'mark');
      li.setAttribute('data-kind', m.kind);
      li.setAttribute('data-severity', m.severity);
      li.appendChild(el('time', '', clock(m.t)));
      var kind = badge(LABELS[m.kind] || m.kind, m.severity);
      li.appendChild(kind);
      li.appendChild(el('span', 'scope', m.consumers === null ? 'app' : m.consumers.join(', ')));
      li.appendChild(el('span', 'text', m.text));
      list.appendChild(li);
    });
  }

  function redraw() {
    Object.keys(view.cards).forEach(function (name) {
      var c = view.cards[name];
      c.handled.redraw(false, false);
      c.inflight.redraw(false, false);
      c.depth.redraw(false, false);
    });
  }

  function setLive(live) {
    var dot = document.getElementById('live');
    dot.className = 'live ' + (live ? 'on' : view.ended ? 'ended' : 'off');
    dot.textContent = live ? 'live' : view.ended ? 'app stopped' : 'reconnecting…';
  }

  // ---- the stream ---------------------------------------------------------------------------

  function connect() {
    var es = new EventSource('api/events');
    es.addEventListener('snapshot', function (e) { load(JSON.parse(e.data)); setLive(true); });
    es.addEventListener('tick', function (e) {
      var d = JSON.parse(e.data);
      addSample(d.sample);
      view.status = d.status;
      render();
    });
    es.addEventListener('mark', function (e) { addMark(JSON.parse(e.data)); renderMarks(); redraw(); });
    es.addEventListener('end', function () {
      view.ended = true;
      es.close();
      setLive(false);
      render();
    });
    es.onerror = function () { if (!view.ended) setLive(false); };
  }
  connect();
})();
`;
