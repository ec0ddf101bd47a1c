/* runs.js: run history and a run's page with its timeline */
'use strict';

C.route(/^\/runs$/, 'runs', async function (main, m, current) {
	var runs = await C.api('GET', '/api/runs?limit=200');

	if (!current())
		return;
	main.appendChild(C.el('div', { class: 'pagehead' }, C.el('h1', { class: 'grow' }, 'History'),
		C.el('span', { class: 'muted' }, runs.length + ' newest runs')));
	main.appendChild(C.el('div', { class: 'card flush' }, C.table([
		{ label: 'Run' }, { label: 'Result' }, { label: 'Mode' }, { label: 'Started by' }, { label: 'Started' },
		{ label: 'Duration', cls: 'num' }, { label: 'Config' }, { label: 'Selection' },
	], runs.map(function (r) {
		return Object.assign([
			C.el('a', { href: '#/runs/' + r.run_id }, '#' + r.run_id),
			C.badge(r.result),
			r.mode,
			r.started_by || '–',
			C.el('span', { class: 'nowrap' }, C.fmtTs(r.started_at)),
			r.ended_at ? C.fmtDur(r.seconds) : C.el('span', { class: 'muted' }, 'running'),
			r.config_rev ? C.el('span', { class: 'mono', title: r.config_rev }, r.config_rev.slice(0, 8)) : C.el('span', { class: 'muted' }, 'not recorded'),
			r.selection || C.el('span', { class: 'muted' }, 'all'),
		], { attrs: { 'data-run': r.run_id } });
	}), 'no runs yet: start one from the dashboard')));
	/* a run started or ended, wherever it was started */
	C.listen(function (ev) {
		if (ev.type === 'run')
			C.render();
	});
});

/* one bar per target, from its start to its end, coloured by outcome */
C.timeline = function (run) {
	var ts = run.targets.filter(function (t) { return t.started_at; });
	var t0 = C.ts(run.started_at), t1 = C.ts(run.ended_at);
	/* drawn at the width it has: text stays legible on a phone */
	var W = Math.max(320, Math.min(1200, document.getElementById('main').clientWidth - 80));
	var labelW = Math.min(190, Math.round(W * 0.3)), rowH = 26, top = 28, chartW, span, svg, ticks, step, i;
	var maxName = Math.floor(labelW / 7.2);

	ts.forEach(function (t) {
		var a = C.ts(t.started_at), b = C.ts(t.ended_at) || a;

		t0 = t0 === null ? a : Math.min(t0, a);
		t1 = t1 === null ? b : Math.max(t1, b);
	});
	if (t0 === null)
		return C.el('div', { class: 'empty' }, 'no target of this run was started');
	span = Math.max((t1 - t0) / 1000, 0.001);
	chartW = W - labelW - 20;
	svg = C.svg('svg', { class: 'timeline', viewBox: '0 0 ' + W + ' ' + (top + ts.length * rowH + 10),
		role: 'img', 'aria-label': 'timeline of run ' + run.run_id });
	/* ticks at a round step */
	step = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]
		.filter(function (s) { return span / s <= (W < 600 ? 4 : 8); })[0] || 7200;
	ticks = [];
	for (i = 0; i * step <= span + 1e-9; i++)
		ticks.push(i * step);
	ticks.forEach(function (s) {
		var x = labelW + chartW * s / span;

		svg.appendChild(C.svg('line', { class: 'tick', x1: x, x2: x, y1: top - 6, y2: top + ts.length * rowH }));
		svg.appendChild(C.svg('text', { class: 'axis', x: x, y: top - 10, 'text-anchor': 'middle' }, C.fmtDur(s)));
	});
	ts.forEach(function (t, k) {
		var a = (C.ts(t.started_at) - t0) / 1000, b = ((C.ts(t.ended_at) || C.ts(t.started_at)) - t0) / 1000;
		var x = labelW + chartW * a / span, w = Math.max(3, chartW * (b - a) / span), y = top + k * rowH;
		var name = t.target.length > maxName ? t.target.slice(0, maxName - 1) + '…' : t.target;

		svg.appendChild(C.svg('rect', { class: 'lane', x: labelW, y: y + 3, width: chartW, height: rowH - 6, rx: 3 }));
		svg.appendChild(C.svg('a', { href: '#/target/' + encodeURIComponent(t.target) },
			C.svg('text', { x: labelW - 10, y: y + rowH / 2 + 4, 'text-anchor': 'end' }, name)));
		svg.appendChild(C.svg('rect', { class: 'bar-' + C.slug(t.outcome), x: x, y: y + 4, width: w, height: rowH - 8, rx: 3,
			'data-target': t.target },
			C.svg('title', null, t.target + ': ' + t.outcome + ', ' + C.fmtDur(t.seconds) +
				(t.rows !== null ? ', ' + C.fmtRows(t.rows) + ' rows' : '') + '\n' + C.fmtTs(t.started_at) + ' → ' +
				C.fmtTs(t.ended_at) + (t.error ? '\n' + t.error : ''))));
		if (w > 60)
			svg.appendChild(C.svg('text', { class: 'inbar', x: x + 6, y: y + rowH / 2 + 4 }, C.fmtDur(t.seconds)));
	});
	return svg;
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
	main.appendChild(C.el('div', { class: 'card flush' }, C.el('h2', null, 'Targets'), C.table([
		{ label: 'Target' }, { label: 'Outcome' }, { label: 'Reason' }, { label: 'Mode' }, { label: 'Time', cls: 'num' },
		{ label: 'Rows', cls: 'num' }, { label: 'Attempts', cls: 'num' }, { label: 'Error' },
	], run.targets.map(function (t) {
		return [C.el('a', { href: '#/target/' + encodeURIComponent(t.target) }, t.target), C.badge(t.outcome), t.reason || '–',
			t.mode || '–', C.fmtDur(t.seconds), C.fmtRows(t.rows), String(t.attempts),
			t.error ? C.el('span', { class: 'err' }, t.error) : ''];
	}), 'no targets')));
	if (run.result === 'running')
		C.listen(function (ev) {
			if ((['log', 'target', 'run'].indexOf(ev.type) >= 0 && ev.run_id === run.run_id && ev.event !== 'rows') ||
			    (ev.type === 'job' && ev.state === 'done'))
				C.render();
		});
});
