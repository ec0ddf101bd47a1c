/* graph.js: the DAG drawn as a layered picture, and a target's page */
'use strict';

/*
 * A layered layout (Sugiyama-style): a node's layer is the longest path of
 * needs below it, so edges go left to right. An edge that spans layers runs
 * through a point in each layer between, placed like a node, so that it
 * passes between nodes, never behind one. Nodes in a layer are ordered by
 * the mean place of their neighbours, sweeping both ways a few times to cut
 * crossings; then each layer is centred.
 */
C.layout = function (nodes) {
	var byName = {}, layers = [], pos = {}, all, edges = [], i, sweep, dummies = 0;
	var gapX = 80, gapY = 22, nodeH = 50, H, x = 20;

	nodes.forEach(function (n, k) {
		byName[n.name] = n;
		n.order = k;
		n.lneeds = [];
		n.lusers = [];
		n.h = nodeH;
		n.sub = n.kind + ' · ' + n.state + (n.rows !== undefined ? ' · ' + C.fmtRows(n.rows) + ' rows' : '');
		n.w = Math.max(150, Math.min(340, 28 + Math.max(8.4 * n.name.length, 6.6 * n.sub.length)));
	});
	function depth(n, seen) {
		if (n.layer !== undefined)
			return n.layer;
		if (seen[n.name])
			return 0;
		seen[n.name] = true;
		var l = 0;

		n.needs.forEach(function (d) {
			if (byName[d])
				l = Math.max(l, depth(byName[d], seen) + 1);
		});
		n.layer = l;
		return l;
	}
	nodes.forEach(function (n) { depth(n, {}); });
	all = nodes.slice();
	nodes.forEach(function (n) {
		n.needs.forEach(function (d) {
			var a = byName[d], prev = a, chain = [a];

			if (!a)
				return;
			for (var k = a.layer + 1; k < n.layer; k++) {
				var dm = { name: '\u0000' + dummies++, dummy: true, layer: k, w: 0, h: 2, order: a.order + 0.5,
					lneeds: [prev.name], lusers: [] };

				byName[dm.name] = dm;
				prev.lusers.push(dm.name);
				all.push(dm);
				chain.push(dm);
				prev = dm;
			}
			prev.lusers.push(n.name);
			n.lneeds.push(prev.name);
			chain.push(n);
			edges.push(chain);
		});
	});
	all.forEach(function (n) {
		(layers[n.layer] = layers[n.layer] || []).push(n);
	});
	layers = layers.filter(Boolean);
	layers.forEach(function (l) {
		l.sort(function (a, b) { return a.order - b.order; });
		l.forEach(function (n, k) { pos[n.name] = k; });
	});
	function bary(n, side) {
		var s = 0, c = 0;

		n[side].forEach(function (v) {
			if (pos[v] !== undefined) {
				s += pos[v];
				c++;
			}
		});
		return c ? s / c : pos[n.name];
	}
	for (sweep = 0; sweep < 8; sweep++) {
		var down = sweep % 2 === 0;

		for (i = down ? 1 : layers.length - 2; down ? i < layers.length : i >= 0; i += down ? 1 : -1) {
			layers[i].forEach(function (n) { n.key = bary(n, down ? 'lneeds' : 'lusers'); });
			layers[i].sort(function (a, b) { return a.key - b.key || a.order - b.order; });
			layers[i].forEach(function (n, k) { pos[n.name] = k; });
		}
	}
	/* heights: a node and its gap, a passing edge takes little room */
	function gap(a, b) {
		return a.dummy || b.dummy ? 12 : gapY;
	}
	function height(l) {
		var h = 0;

		l.forEach(function (n, k) { h += n.h + (k ? gap(l[k - 1], n) : 0); });
		return h;
	}
	H = Math.max.apply(null, layers.map(height)) + 40;
	layers.forEach(function (l) {
		var colW = Math.max.apply(null, l.map(function (n) { return n.w; }));
		var y = 20 + (H - 40 - height(l)) / 2;

		l.forEach(function (n, k) {
			if (k)
				y += gap(l[k - 1], n);
			/* a passing edge crosses the whole column, level */
			if (n.dummy)
				n.w = colW;
			n.x = x + (colW - n.w) / 2;
			n.y = y;
			y += n.h;
		});
		x += colW + gapX;
	});
	return { nodes: nodes, edges: edges, width: x - gapX + 20, height: H };
};

C.drawGraph = function (g) {
	var L = C.layout(g.nodes);
	var svg = C.svg('svg', { class: 'graph', viewBox: '0 0 ' + L.width + ' ' + L.height, width: L.width,
		height: L.height, role: 'img', 'aria-label': 'dependency graph of ' + g.nodes.length + ' targets' });
	var defs = C.svg('defs', null, C.svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5,
		markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
		C.svg('path', { d: 'M0 0L10 5L0 10z', style: 'fill: var(--muted)' })));

	svg.appendChild(defs);
	/* each edge: curves from point to point, level where they meet a node or a passing point */
	L.edges.forEach(function (chain) {
		var a = chain[0], x1 = a.x + a.w, y1 = a.y + a.h / 2, d = 'M' + x1 + ' ' + y1;

		chain.slice(1).forEach(function (q) {
			var x2 = q.dummy ? q.x : q.x - 2, y2 = q.y + q.h / 2, mx = (x1 + x2) / 2;

			d += 'C' + mx + ' ' + y1 + ' ' + mx + ' ' + y2 + ' ' + x2 + ' ' + y2;
			if (q.dummy)
				d += 'L' + (q.x + q.w) + ' ' + y2;
			x1 = q.x + q.w;
			y1 = y2;
		});
		svg.appendChild(C.svg('path', { class: 'edge', 'marker-end': 'url(#arrow)', d: d }));
	});
	L.nodes.forEach(function (n) {
		var go = function () { location.hash = '#/target/' + encodeURIComponent(n.name); };
		var sub = n.sub;

		svg.appendChild(C.svg('g', { class: 'node st-' + C.slug(n.state), tabindex: 0, role: 'link',
			'data-target': n.name, 'aria-label': n.name + ': ' + n.state, onclick: go,
			onkeydown: function (e) { if (e.key === 'Enter') go(); } },
			C.svg('title', null, n.name + '\n' + sub + (n.reason ? '\nwould rebuild: ' + n.reason : '')),
			C.svg('rect', { x: n.x, y: n.y, width: n.w, height: n.h, rx: 9 }),
			C.svg('text', { x: n.x + 12, y: n.y + 21, 'font-weight': 600 }, n.name),
			C.svg('text', { x: n.x + 12, y: n.y + 38, class: 'small' }, sub)));
	});
	return svg;
};

/* the colours of states (nodes) or, solid, of outcomes (timeline bars) */
C.legend = function (states, solid) {
	return C.el('div', { class: 'legend' }, states.map(function (s) {
		return C.el('span', null, C.el('i', { class: (solid ? 'solid-' : '') + C.slug(s) }), s);
	}));
};

C.route(/^\/graph$/, 'graph', async function (main, m, current) {
	var g = await C.api('GET', '/api/graph');

	if (!current())
		return;
	C.setRecipe(g.recipe);
	main.appendChild(C.el('div', { class: 'pagehead' }, C.el('h1', { class: 'grow' }, 'Graph'),
		C.legend(['ok', 'out of date', 'failed', 'missing'])));
	if (g.error)
		main.appendChild(C.banner('states unknown: ' + g.error));
	main.appendChild(C.el('div', { class: 'card graphwrap', id: 'graph' }, g.nodes.length ? C.drawGraph(g) :
		C.el('div', { class: 'empty' }, 'the recipe has no targets')));
	main.appendChild(C.el('p', { class: 'muted' }, 'Needs on the left, the targets built from them on the right.' +
		' Click a target for its definition, SQL and runs.'));
});

function props(pairs) {
	return C.el('dl', { class: 'props' }, pairs.filter(function (p) { return p[1] !== null && p[1] !== undefined && p[1] !== ''; })
		.map(function (p) { return [C.el('dt', null, p[0]), C.el('dd', null, p[1])]; }));
}

function links(names) {
	if (!names || !names.length)
		return C.el('span', { class: 'muted' }, 'none');
	return names.map(function (n, i) {
		return [i ? ', ' : '', C.el('a', { href: '#/target/' + encodeURIComponent(n) }, n)];
	});
}

/* read-only code with highlighting where CodeMirror is there */
C.codeView = function (text, lang) {
	var box = C.el('div', { class: 'cm-view' });

	if (window.CodeMirror) {
		setTimeout(function () {
			window.CodeMirror(box, { value: text, mode: C.cmMode(lang), readOnly: true, lineNumbers: true,
				viewportMargin: Infinity });
		});
		return box;
	}
	return C.el('pre', { class: 'code' }, text);
};

C.cmMode = function (lang) {
	return lang === 'sql' ? 'text/x-mariadb' : lang === 'json' ? 'application/json' : 'yaml';
};

C.route(/^\/target\/(.+)$/, 'graph', async function (main, m, current) {
	var name = decodeURIComponent(m[1]);
	var t = await C.api('GET', '/api/targets/' + encodeURIComponent(name));
	var build = C.el('button', { type: 'button', class: 'primary', 'data-test': 'build-target', onclick: function () {
		C.startRun({ targets: [t.name], force: true }, build);
	} }, 'Build ' + t.name);
	var inc = t.incremental;

	if (!current())
		return;
	main.appendChild(C.el('div', { class: 'pagehead' },
		C.el('h1', null, t.name), C.el('span', { class: 'kind' }, t.kind), C.badge(t.state),
		C.el('span', { class: 'grow' }), build));
	main.appendChild(C.el('div', { class: 'card' }, C.el('h2', null, 'Why it would rebuild'),
		t.reason ? C.el('p', null, C.el('b', null, t.reason), ': the next build would rebuild it ', C.el('b', null, t.mode),
			'.') : C.el('p', null, 'It is up to date: a build would skip it.'),
		t.error ? C.banner(t.error) : null));
	main.appendChild(C.el('div', { class: 'grid2' },
		C.el('div', { class: 'card' }, C.el('h2', null, 'Definition'), props([
			['kind', t.kind], ['from', t.from], ['needs', links(t.needs)], ['used by', links(t.users)],
			['key', (t.key || []).join(', ') || 'none'],
			['indexes', (t.indexes || []).map(function (i) { return '(' + i.join(', ') + ')'; }).join(' ') || 'none'],
			['incremental', inc ? [inc.column ? 'column ' + inc.column : 'yes', inc.deleted ? ', deleted ' + inc.deleted : '',
				inc.lookback !== undefined ? ', lookback ' + C.fmtDur(inc.lookback) : ''].join('') : 'no'],
			['call', t.call ? C.el('code', null, t.call) : null],
			['retries', t.retries + ' (every ' + C.fmtDur(t.retry_delay) + ')'],
			['timeout', t.timeout ? C.fmtDur(t.timeout) : 'none'],
			['defined in', C.el('span', { class: 'mono' }, t.file + ':' + t.line)],
		])),
		C.el('div', { class: 'card' }, C.el('h2', null, 'State'), props([
			['state', C.badge(t.state)], ['built', C.fmtTs(t.built_at)], ['changed', C.fmtTs(t.changed_at)],
			['rows', C.fmtRows(t.rows)], ['watermark', t.watermark ? C.el('span', { class: 'mono' }, t.watermark) : null],
			['last build', t.duration !== undefined ? C.fmtDur(t.duration) : null],
			['last run', t.last_run_id ? C.el('a', { href: '#/runs/' + t.last_run_id }, 'run ' + t.last_run_id) : null],
		]))));
	(t.files || []).forEach(function (f) {
		main.appendChild(C.el('div', { class: 'card', style: 'margin-top:16px' },
			C.el('div', { class: 'row', style: 'margin-bottom:10px' }, C.el('h2', { style: 'margin:0' }, f.role),
				C.el('span', { class: 'mono muted' }, f.path), C.el('span', { class: 'spacer' }),
				f.editable ? C.el('a', { class: 'btn', href: '#/files/' + f.path }, 'Edit') : null),
			f.text !== undefined ? C.codeView(f.text, 'sql') : C.el('p', { class: 'muted' }, f.note || '')));
	});
	main.appendChild(C.el('div', { class: 'card flush', style: 'margin-top:16px' }, C.el('h2', null, 'Last runs'),
		C.table([{ label: 'Run' }, { label: 'Outcome' }, { label: 'Reason' }, { label: 'Mode' }, { label: 'Started' },
			{ label: 'Time', cls: 'num' }, { label: 'Rows', cls: 'num' }, { label: 'Error' }],
		t.runs.map(function (r) {
			return [C.el('a', { href: '#/runs/' + r.run_id }, '#' + r.run_id), C.badge(r.outcome), r.reason || '–',
				r.mode || '–', C.fmtTs(r.started_at), C.fmtDur(r.seconds), C.fmtRows(r.rows),
				r.error ? C.el('span', { class: 'err' }, r.error) : ''];
		}), 'never built')));
});
