/* runs.js: run history and a run's page with its timeline */
'use strict';

C.runModes = ['incremental', 'full-refresh', 'forced', 'scheduled', 'test'];
C.runResults = ['success', 'failed', 'interrupted', 'nothing to do', 'running'];

/* the history's filter from the page's address: #/runs?mode=&result=&from=&to=&page=&per_page= */
function runsQuery(text) {
	var q = new URLSearchParams(text || ''), f = {};

	['mode', 'result', 'from', 'to'].forEach(function (k) {
		if (q.get(k))
			f[k] = q.get(k);
	});
	f.page = Math.max(1, parseInt(q.get('page'), 10) || 1);
	f.per_page = Math.min(500, Math.max(1, parseInt(q.get('per_page'), 10) || 50));
	return f;
}

function runsAddress(f) {
	var q = new URLSearchParams();

	Object.keys(f).forEach(function (k) {
		if (f[k] && !(k === 'page' && f[k] === 1) && !(k === 'per_page' && f[k] === 50))
			q.set(k, f[k]);
	});
	return '#/runs' + (q.toString() ? '?' + q.toString() : '');
}

/* the filter bar: mode, result, first and last day, runs per page */
function runsFilter(f) {
	function choice(id, label, values, value) {
		return C.el('label', { class: 'field' }, label, C.el('select', { id: id, 'aria-label': label },
			[C.el('option', { value: '' }, 'any')].concat(values.map(function (v) {
				return C.el('option', { value: v, selected: v === value ? '' : null }, v);
			}))));
	}
	function day(id, label, value) {
		return C.el('label', { class: 'field' }, label,
			C.el('input', { type: 'date', id: id, 'aria-label': label, value: value || '' }));
	}
	var form = C.el('form', { class: 'card filters', id: 'runs-filter', onsubmit: function (e) {
		var g = { page: 1 };

		e.preventDefault();
		['mode', 'result', 'from', 'to', 'per_page'].forEach(function (k) {
			g[k] = form.querySelector('#runs-' + k).value;
		});
		g.per_page = +g.per_page;
		location.hash = runsAddress(g);
	} },
	choice('runs-mode', 'mode', C.runModes, f.mode), choice('runs-result', 'result', C.runResults, f.result),
	day('runs-from', 'from', f.from), day('runs-to', 'to', f.to),
	C.el('label', { class: 'field' }, 'per page', C.el('select', { id: 'runs-per_page', 'aria-label': 'runs per page' },
		[20, 50, 100, 200].map(function (n) {
			return C.el('option', { value: n, selected: n === f.per_page ? '' : null }, String(n));
		}))),
	C.el('button', { type: 'submit', class: 'primary', id: 'runs-apply' }, 'Filter'),
	C.el('a', { href: '#/runs', class: 'btn', id: 'runs-clear' }, 'Clear'));
	return form;
}

/* pages: previous, "page P of N", next */
function runsPager(f, d) {
	function go(page, label, id) {
		return page < 1 || page > d.pages ? C.el('span', { class: 'muted', id: id }, label) :
			C.el('a', { href: runsAddress(Object.assign({}, f, { page: page })), id: id }, label);
	}
	return C.el('div', { class: 'pager', id: 'runs-pager' }, go(d.page - 1, '← newer', 'runs-prev'),
		C.el('span', { class: 'muted', id: 'runs-page' }, 'page ' + d.page + ' of ' + Math.max(1, d.pages)),
		go(d.page + 1, 'older →', 'runs-next'));
}

/* the count of matching runs, for the page head */
function runsTotal(f, d) {
	var first = (d.page - 1) * d.per_page;

	return C.el('span', { class: 'muted', id: 'runs-total', 'data-total': d.total },
		d.total === 0 ? 'no runs match' : 'runs ' + (first + 1) + '–' + (first + d.runs.length) + ' of ' + d.total +
		(f.mode || f.result || f.from || f.to ? ' matching' : ''));
}

/* the runs of one page, and the pager */
function runsList(f, d) {
	return C.el('div', { class: 'card flush' }, C.table([
		{ label: 'Run' }, { label: 'Result' }, { label: 'Mode' }, { label: 'Started by' }, { label: 'Started' },
		{ label: 'Duration', cls: 'num' }, { label: 'Config' }, { label: 'Selection' },
	], d.runs.map(function (r) {
		return Object.assign([
			C.el('a', { href: '#/runs/' + r.run_id }, '#' + r.run_id),
			C.badge(r.result),
			r.mode,
			r.started_by || '–',
			C.el('span', { class: 'nowrap' }, C.fmtTs(r.started_at)),
			r.ended_at ? C.fmtDur(r.seconds) : C.el('span', { class: 'muted' }, 'running'),
			r.config_rev ? C.el('span', { class: 'mono', title: r.config_rev }, r.config_rev.slice(0, 8)) : C.el('span', { class: 'muted' }, 'not recorded'),
			r.selection || C.el('span', { class: 'muted' }, 'all'),
		], { attrs: { 'data-run': r.run_id, 'data-result': r.result, 'data-mode': r.mode } });
	}), d.total || f.page > 1 ? 'no runs match' : 'no runs yet: start one from the dashboard'),
	d.pages > 1 ? runsPager(f, d) : null);
}

C.route(/^\/runs(?:\?(.*))?$/, 'runs', async function (main, m, current) {
	var f = runsQuery(m[1]), q = new URLSearchParams(), d, total, list, busy = false, again = false;

	Object.keys(f).forEach(function (k) { q.set(k, f[k]); });
	d = await C.api('GET', '/api/runs?' + q.toString());
	if (!current())
		return;
	total = runsTotal(f, d);
	list = runsList(f, d);
	main.appendChild(C.el('div', { class: 'pagehead' }, C.el('h1', { class: 'grow' }, 'History'), total));
	main.appendChild(runsFilter(f));
	main.appendChild(list);
	/*
	 * a run started or ended, wherever it was started: the list and its
	 * count are read again; the filter bar stays as the user is editing it
	 */
	async function reread() {
		var n;

		do {
			again = false;
			try {
				n = await C.api('GET', '/api/runs?' + q.toString());
			} catch (e) {
				n = null;   /* the next event reads again */
			}
			if (n && current()) {
				total.replaceWith(total = runsTotal(f, n));
				list.replaceWith(list = runsList(f, n));
			}
		} while (again && current());
		busy = false;
	}
	C.listen(function (ev) {
		if (ev.type !== 'run')
			return;
		if (busy) {
			again = true;
			return;
		}
		busy = true;
		reread();
	});
});

/*
 * The run's timeline: one row per target, its name (never cut: it wraps)
 * beside its bar, or above it on a narrow screen, and the bar from its start
 * to its end, coloured by outcome, on a time axis with round ticks. Bars are
 * placed in percent of the row, so they fit any width.
 */
C.tlSteps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900,
	1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/* the width a text takes in the page's font */
C.textWidth = function (text, font) {
	var cv = C.textWidth.canvas = C.textWidth.canvas || document.createElement('canvas');
	var cx = cv.getContext('2d');

	cx.font = font || '12.5px ' + getComputedStyle(document.body).fontFamily;
	return cx.measureText(text).width;
};

/* fn after the window changed its width (a phone turned), until the page is left */
C.onResize = function (fn) {
	var timer = null, width = window.innerWidth;
	var on = function () {
		clearTimeout(timer);
		timer = setTimeout(function () {
			if (window.innerWidth !== width) {
				width = window.innerWidth;
				fn();
			}
		}, 150);
	};

	window.addEventListener('resize', on);
	C.onLeave(function () {
		clearTimeout(timer);
		window.removeEventListener('resize', on);
	});
};

/* a name that wraps after its underscores (and, if it must, anywhere) */
C.breakable = function (name) {
	return name.split('_').map(function (part, i, parts) {
		return i < parts.length - 1 ? [part + '_', C.el('wbr')] : part;
	});
};

C.timeline = function (run) {
	var ts = run.targets.filter(function (t) { return t.started_at; });
	var t0 = C.ts(run.started_at), t1 = C.ts(run.ended_at), span, step, ticks = [], i;
	var main = document.getElementById('main');
	var stacked = window.matchMedia('(max-width: 640px)').matches;
	/* the card's inner width, its padding off */
	var avail = Math.max(240, main.clientWidth - (stacked ? 24 : 40) - 34);
	var longest = 0, labelW, chartW, box, pct, axis;

	ts.forEach(function (t) {
		var a = C.ts(t.started_at), b = C.ts(t.ended_at) || a;

		t0 = t0 === null ? a : Math.min(t0, a);
		t1 = t1 === null ? b : Math.max(t1, b);
		longest = Math.max(longest, C.textWidth(t.target));
	});
	if (t0 === null)
		return C.el('div', { class: 'empty' }, 'no target of this run was started');
	span = Math.max((t1 - t0) / 1000, 0.001);
	labelW = stacked ? 0 : Math.min(Math.ceil(longest) + 6, Math.round(avail * 0.4));
	chartW = stacked ? avail : avail - labelW - 12;
	/* ticks at a round step, as many as fit */
	step = C.tlSteps.filter(function (st) { return span / st <= Math.max(3, Math.floor(chartW / 90)); })[0] ||
		Math.ceil(span / 86400 / 8) * 86400;
	for (i = 0; i * step <= span + 1e-9; i++)
		ticks.push(i * step);
	pct = function (sec) { return (100 * sec / span).toFixed(3) + '%'; };
	axis = C.svg('svg', { class: 'tl-bars tl-ticks', 'aria-hidden': 'true' }, ticks.map(function (st) {
		var p = st / span;

		return C.svg('text', { class: 'axis', x: pct(st), y: 13,
			'text-anchor': p < 0.04 ? 'start' : p > 0.94 ? 'end' : 'middle' }, st ? C.fmtDur(st) : '0');
	}));
	box = C.el('div', { class: 'tl' + (stacked ? ' stacked' : ''), style: '--tl-label:' + labelW + 'px',
		role: 'group', 'aria-label': 'timeline of run ' + run.run_id, 'data-step': step },
	C.el('div', { class: 'tl-row tl-axis' }, C.el('span', { class: 'tl-name muted' },
		'from ' + C.fmtTs(run.started_at).slice(11)), axis));
	ts.forEach(function (t) {
		var a = (C.ts(t.started_at) - t0) / 1000, b = ((C.ts(t.ended_at) || C.ts(t.started_at)) - t0) / 1000;
		var px = chartW * (b - a) / span, w = Math.max(b - a, 3 * span / chartW);
		var dur = C.fmtDur(t.seconds), need = C.textWidth(dur, '600 11px sans-serif') + 12;
		var svg = C.svg('svg', { class: 'tl-bars' },
			C.svg('rect', { class: 'lane', x: 0, y: 2, width: '100%', height: 20, rx: 3 }),
			ticks.map(function (st) { return C.svg('line', { class: 'tick', x1: pct(st), x2: pct(st), y1: 0, y2: 24 }); }),
			C.svg('rect', { class: 'bar-' + C.slug(t.outcome), x: pct(a), y: 4, width: pct(w), height: 16, rx: 3,
				'data-target': t.target },
			C.svg('title', null, t.target + ': ' + t.outcome + ', ' + dur +
				(t.rows !== null ? ', ' + C.fmtRows(t.rows) + ' rows' : '') + '\n' + C.fmtTs(t.started_at) + ' → ' +
				C.fmtTs(t.ended_at) + (t.error ? '\n' + t.error : ''))));

		/* the duration in the bar when it fits, else beside it */
		if (px >= need)
			svg.appendChild(C.svg('text', { class: 'inbar', x: pct(a), dx: 6, y: 16 }, dur));
		else if (chartW * b / span + need <= chartW)
			svg.appendChild(C.svg('text', { class: 'beside', x: pct(a + w), dx: 5, y: 16 }, dur));
		else
			svg.appendChild(C.svg('text', { class: 'beside', x: pct(a), dx: -5, y: 16, 'text-anchor': 'end' }, dur));
		box.appendChild(C.el('div', { class: 'tl-row', 'data-target': t.target },
			C.el('a', { class: 'tl-name', href: '#/target/' + encodeURIComponent(t.target) }, C.breakable(t.target)), svg));
	});
	return box;
};

C.route(/^\/runs\/(\d+)$/, 'runs', async function (main, m, current) {
	var run = await C.api('GET', '/api/runs/' + m[1]);
	var outcomes = {}, cancel = null;

	if (!current())
		return;
	run.targets.forEach(function (t) { outcomes[t.outcome] = (outcomes[t.outcome] || 0) + 1; });
	if (run.result === 'running')
		cancel = C.el('button', { type: 'button', class: 'danger', onclick: async function () {
			try {
				await C.api('POST', '/api/runs/' + run.run_id + '/cancel');
				C.toast('cancelling run ' + run.run_id);
			} catch (e) {
				C.toast(e.message, 'bad');
			}
		} }, 'Cancel');
	main.appendChild(C.el('div', { class: 'pagehead' }, C.el('h1', null, 'Run ' + run.run_id), C.badge(run.result),
		C.el('span', { class: 'grow muted' }, run.mode), cancel));
	main.appendChild(C.el('div', { class: 'card' }, C.el('dl', { class: 'props' },
		C.el('dt', null, 'started by'), C.el('dd', null, (run.started_by || '–') + (run.host ? ' on ' + run.host : '')),
		C.el('dt', null, 'started'), C.el('dd', null, C.fmtTs(run.started_at)),
		C.el('dt', null, 'ended'), C.el('dd', null, run.ended_at ? C.fmtTs(run.ended_at) + ' (' + C.fmtDur(run.seconds) + ')' : 'running'),
		C.el('dt', null, 'config'), C.el('dd', { class: 'mono' }, run.config_rev ? run.config_rev + (run.config_dirty ? ' (with uncommitted changes)' : '') : 'not recorded'),
		C.el('dt', null, 'selection'), C.el('dd', null, run.selection || 'all targets'),
		C.el('dt', null, 'targets'), C.el('dd', null, Object.keys(outcomes).map(function (o) {
			return [C.badge(o, outcomes[o] + ' ' + o), ' '];
		})))));
	main.appendChild(C.el('div', { class: 'card', id: 'timeline' }, C.el('div', { class: 'row', style: 'margin-bottom:8px' },
		C.el('h2', { style: 'margin:0' }, 'Timeline'), C.el('span', { class: 'spacer' }),
		C.legend(['built', 'up to date', 'failed', 'interrupted', 'skipped'], true)), C.timeline(run)));
	C.onResize(function () {
		var box = document.getElementById('timeline');

		if (box)
			box.replaceChild(C.timeline(run), box.lastChild);
	});
	main.appendChild(C.el('div', { class: 'card flush' }, C.el('h2', null, 'Targets'), C.table([
		{ label: 'Target' }, { label: 'Outcome' }, { label: 'Reason' }, { label: 'Mode' }, { label: 'Time', cls: 'num' },
		{ label: 'Rows', cls: 'num' }, { label: 'Attempts', cls: 'num' }, { label: 'Error' },
	], run.targets.map(function (t) {
		return [C.el('a', { href: '#/target/' + encodeURIComponent(t.target) }, t.target), C.badge(t.outcome), t.reason || '–',
			t.mode || '–', C.fmtDur(t.seconds), C.fmtRows(t.rows), String(t.attempts),
			t.error ? C.el('span', { class: 'err' }, t.error) : ''];
	}), 'no targets')));
	if (run.checks && run.checks.length)
		main.appendChild(C.runChecksCard(run.checks));
	if (run.result === 'running')
		C.listen(function (ev) {
			if ((['log', 'target', 'run'].indexOf(ev.type) >= 0 && ev.run_id === run.run_id && ev.event !== 'rows') ||
			    (ev.type === 'job' && ev.state === 'done'))
				C.render();
		});
});
