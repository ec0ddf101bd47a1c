/* dash.js: the dashboard: every target, why it would rebuild, buttons to build, live progress */
'use strict';

C.setRecipe = function (name) {
	document.getElementById('recipe').textContent = name || '';
	document.title = name ? 'chacc: ' + name : 'chacc';
};

/* the live panel of the builds this browser follows */
C.drawRuns = function (box) {
	box.replaceChildren();
	C.runs.list.forEach(function (r) {
		var done = C.runs.finished(r), total = Math.max(r.total, r.order.length, 1);
		var pct = r.state === 'running' ? Math.min(100, Math.round(100 * done / total)) : 100;
		var title = r.run_id ? C.el('a', { href: '#/runs/' + r.run_id }, 'Run ' + r.run_id) : C.el('span', null, 'Build');
		var cancel = null, again = null, note = null;

		/* only this server's builds can be cancelled here */
		if (r.state === 'running' && r.run_id && r.job)
			cancel = C.el('button', { class: 'small danger', type: 'button', 'data-test': 'cancel',
				onclick: async function (e) {
					e.target.disabled = true;
					try {
						await C.api('POST', '/api/runs/' + r.run_id + '/cancel');
						C.toast('cancelling run ' + r.run_id);
					} catch (x) {
						C.toast(x.message, 'bad');
					}
				} }, 'Cancel');
		/* rebuild now: cancel this server's build, wait until it ended, start it again */
		if (cancel)
			again = C.el('button', { class: 'small', type: 'button', 'data-test': 'rebuild-now',
				title: 'cancel this build and start it again from the start', onclick: async function (e) {
					var btn = e.target;

					if (!await C.confirm('Rebuild now?', 'Run ' + r.run_id + ' is cancelled first; the new build starts when it has ended.',
						'Cancel and rebuild', true))
						return;
					C.startRun({ mode: r.mode || 'incremental', targets: r.targets || [], replace: true }, btn);
				} }, 'Rebuild now');
		else if (r.state === 'running' && r.run_id)
			note = C.el('div', { class: 'muted note', 'data-test': 'elsewhere' }, 'started elsewhere' +
				(r.started_by ? ' (' + r.started_by + ')' : '') + ': it cannot be cancelled or replaced from the web UI');
		if (cancel)
			C.editorOnly([cancel, again]);
		box.appendChild(C.el('div', { class: 'runbox ' + r.state, 'data-test': 'run', 'data-state': r.state,
			'data-run': r.run_id || '' },
			C.el('div', { class: 'head' }, C.el('b', null, title), C.badge(r.state),
				C.el('span', { class: 'muted' }, [r.mode, r.targets && r.targets.length ? r.targets.join(', ') : null,
					r.job ? null : r.started_by].filter(Boolean).join(' · ')),
				C.el('span', { class: 'spacer' }),
				r.state === 'running' ? C.el('span', { class: 'muted nowrap' },
					r.total ? done + ' of ' + r.total + ' targets' : done + ' done') : null,
				cancel, again),
			note,
			C.el('div', { class: 'progress' }, C.el('div', { style: 'width:' + pct + '%' })),
			r.message && r.message !== 'done' ? C.el('div', { class: r.state === 'failed' ? 'err' : 'muted' }, r.message) : null,
			r.order.length ? C.el('ul', { class: 'steps' }, r.order.map(function (t) {
				var s = r.steps[t];

				return C.el('li', { class: C.slug(s.state), 'data-target': t, 'data-state': s.state },
					C.el('span', { class: 'dot ' + C.slug(s.state), title: s.state }),
					C.el('a', { href: '#/target/' + encodeURIComponent(t) }, t),
					/* the rows of its table once built; while it builds, the rows read so far */
					C.el('span', { class: 'num muted nowrap', 'data-rows': s.rows !== null ? s.rows : '' },
						s.rows !== null && s.state !== 'building' ? C.fmtRows(s.rows) + ' rows' :
						s.read ? C.fmtRows(s.read) + ' rows read' : s.state),
					C.el('span', { class: 'msg', title: s.message || '' }, s.message || ''));
			})) : null));
	});
};

function reasonCell(t, now) {
	if (t.state === 'building')
		return C.el('span', { class: 'why', title: t.since ? 'since ' + C.fmtTs(t.since) : '' },
			'building', t.run_id ? [' in ', C.el('a', { href: '#/runs/' + t.run_id }, 'run ' + t.run_id)] : null,
			t.since ? C.el('span', { class: 'muted' }, ' · started ' + C.fmtAge(t.since, now)) : null);
	if (!t.reason)
		return C.el('span', { class: 'muted' }, 'up to date');
	return C.el('span', { class: 'why' }, t.reason, C.el('span', { class: 'muted' }, ' · ' + t.mode));
}

function tile(n, label, cls) {
	return C.el('div', { class: 'tile ' + cls }, C.el('b', null, String(n)), C.el('span', null, label));
}

C.route(/^\/$/, 'dash', async function (main, m, current) {
	var workers = C.el('select', { 'aria-label': 'workers', title: 'targets built at once' },
		[1, 2, 4, 8].map(function (n) { return C.el('option', { value: n }, n + (n === 1 ? ' worker' : ' workers')); }));
	var keep = C.el('input', { type: 'checkbox', id: 'keep-going' });
	var runsBox = C.el('div', { id: 'live-runs' });
	var tiles = C.el('div', { class: 'tiles' });
	var tableBox = C.el('div', { class: 'card flush' }, C.el('h2', null, 'Targets'), C.el('div', { class: 'empty' }, 'loading…'));
	var errBox = C.el('div');
	var loading = false, again = false, timer = null, pending = null;

	async function start(mode, btn) {
		if (mode === 'full-refresh' && !await C.confirm('Full refresh?',
			'Every target is rebuilt from scratch: extracts read their sources in full again, '
			+ 'which can take long and load the source databases.', 'Rebuild everything', true))
			return null;
		return C.startRun({ mode: mode, jobs: +workers.value, keep_going: keep.checked }, btn);
	}

	function button(label, mode, cls, title) {
		var b = C.el('button', { type: 'button', class: cls || null, title: title, 'data-mode': mode,
			onclick: function () { start(mode, b); } }, label);

		C.editorOnly([b]);
		return b;
	}

	async function load() {
		var d;

		if (loading) {
			again = true;
			return;
		}
		loading = true;
		try {
			d = await C.api('GET', '/api/targets');
			errBox.replaceChildren();
		} catch (e) {
			if (current())
				errBox.replaceChildren(C.banner(e.message));
			return;
		} finally {
			loading = false;
		}
		if (!current())
			return;
		C.setRecipe(d.recipe);
		draw(d);
		if (again) {
			again = false;
			load();
		}
	}

	function draw(d) {
		var count = { ok: 0, 'out of date': 0, building: 0, failed: 0, interrupted: 0, missing: 0 };
		var rows = d.targets.map(function (t) {
			var b = C.el('button', { type: 'button', class: 'small', title: 'build ' + t.target + ' (and what it needs, when out of date)',
				'data-build': t.target, onclick: function () {
					C.startRun({ targets: [t.target], force: true, jobs: +workers.value }, b);
				} }, 'Build');
			C.editorOnly([b]);

			count[t.state] = (count[t.state] || 0) + 1;
			return Object.assign([
				C.el('span', null, C.el('a', { href: '#/target/' + encodeURIComponent(t.target) }, t.target), ' ',
					C.el('span', { class: 'kind' }, t.kind), C.checksBadge(t.checks), C.sitesBadge(t.sites)),
				/* building has the colour of a running build */
				C.badge(t.state === 'building' ? 'running' : t.state, t.state),
				reasonCell(t, d.now),
				C.el('span', { class: 'nowrap', title: C.fmtTs(t.built_at) }, t.built_at ? C.fmtAge(t.built_at, d.now) : 'never'),
				C.el('span', { class: 'nowrap', title: C.fmtTs(t.changed_at) }, t.changed_at ? C.fmtAge(t.changed_at, d.now) : '–'),
				C.fmtRows(t.rows),
				C.el('span', { class: 'mono' }, t.watermark || '–'),
				b,
			], { attrs: { 'data-target': t.target, 'data-state': t.state } });
		});

		tiles.replaceChildren.apply(tiles, [tile(d.targets.length, 'targets', ''), tile(count.ok, 'up to date', 'ok'),
			tile(count['out of date'], 'out of date', 'stale'),
			count.building ? tile(count.building, 'building', 'stale') : null,
			tile(count.failed, 'failed', 'bad'),
			count.interrupted ? tile(count.interrupted, 'interrupted', 'stale') : null,
			tile(count.missing, 'never built', 'missing')].filter(Boolean));
		tableBox.replaceChildren(C.el('h2', null, 'Targets'), C.table([
			{ label: 'Target' }, { label: 'State' }, { label: 'Would rebuild' }, { label: 'Built' },
			{ label: 'Changed' }, { label: 'Rows', cls: 'num' }, { label: 'Watermark' }, { label: '' },
		], rows, 'the recipe has no targets'));
		d.targets.forEach(function (t) {
			if (t.error)
				tableBox.appendChild(C.el('div', { class: 'banner', style: 'margin: 8px 12px' }, t.target + ': ' + t.error));
		});
	}

	/* the table again, at most twice a second */
	function soon() {
		if (pending)
			return;
		pending = setTimeout(function () {
			pending = null;
			if (current())
				load();
		}, 400);
	}

	function redraw() {
		if (timer)
			return;
		timer = requestAnimationFrame(function () {
			timer = null;
			C.drawRuns(runsBox);
		});
	}

	main.appendChild(C.el('div', { class: 'pagehead' }, C.el('h1', { class: 'grow' }, 'Dashboard')));
	main.appendChild(errBox);
	main.appendChild(tiles);
	main.appendChild(C.el('div', { class: 'card' },
		C.el('h2', null, 'Build'),
		C.el('div', { class: 'actions' },
			button('Incremental', 'incremental', 'primary', 'build what is out of date, incrementally where possible'),
			button('Full refresh', 'full-refresh', null, 'rebuild every target from scratch'),
			button('Scheduled', 'scheduled', null, 'as cron runs it: from the reviewed revision, one at a time'),
			C.el('span', { class: 'spacer' }), workers,
			C.el('label', { class: 'check', for: 'keep-going' }, keep, 'keep going')),
		runsBox));
	main.appendChild(tableBox);
	C.drawRuns(runsBox);
	C.onLeave(function () {
		clearTimeout(pending);
	});
	/* the table follows every run, wherever started: what the server reads of it in the database */
	C.listen(function (ev) {
		redraw();
		if (ev.type === 'target' || ev.type === 'run' || (ev.type === 'job' && ev.state === 'done'))
			soon();
	});
	await load();
});
