/* quality.js: a target's data quality: the dashboard's checks badge, the target page's checks and profile */
'use strict';

/* a target's badge from its "checks" counts ({pass, warn, fail, error}), or null when it has none */
C.checksBadge = function (c) {
	var bad, title;

	if (!c)
		return null;
	bad = (c.fail || 0) + (c.error || 0);
	title = ['pass', 'warn', 'fail', 'error'].map(function (k) { return (c[k] || 0) + ' ' + k; }).join(', ');
	if (bad)
		return C.el('span', { class: 'qbadge bad', 'data-checks': 'fail', title: title }, bad + ' failed');
	if (c.warn)
		return C.el('span', { class: 'qbadge warn', 'data-checks': 'warn', title: title }, c.warn + ' warn');
	return C.el('span', { class: 'qbadge ok', 'data-checks': 'ok', title: title }, 'checks ok');
};

/* a sample key ([1] or [1, "a"]) as text */
function sampleKey(k) {
	var show = function (v) { return v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v); };

	if (!Array.isArray(k))
		return show(k);
	return k.length === 1 ? show(k[0]) : '(' + k.map(show).join(', ') + ')';
}

function checksCard(d) {
	var rows = (d.checks || []).map(function (c) {
		var samples = c.samples || [];

		return Object.assign([
			C.el('span', { class: 'mono' }, c.check),
			c.severity,
			C.el('span', { class: 'qbadge ' + (c.status === 'pass' ? 'ok' : c.status === 'warn' ? 'warn' : 'bad') }, c.status),
			C.el('span', { class: 'num' }, c.failing === null || c.failing === undefined || c.failing < 0 ? '–' :
				C.fmtRows(c.failing)),
			c.detail ? C.el('span', { class: c.status === 'pass' ? 'muted' : 'err' }, c.detail) : '',
			samples.length ? C.el('span', { class: 'mono samples' }, samples.map(sampleKey).join(' · ')) : '',
			C.el('span', { class: 'nowrap', title: c.run_id ? 'run ' + c.run_id : '' }, c.run_id ?
				C.el('a', { href: '#/runs/' + c.run_id }, C.fmtTs(c.checked_at)) : C.fmtTs(c.checked_at)),
		], { attrs: { 'data-check': c.check, 'data-status': c.status } });
	});

	return C.table([{ label: 'Check' }, { label: 'Severity' }, { label: 'Status' }, { label: 'Failing', cls: 'num' },
		{ label: 'Detail' }, { label: 'Sample failing keys' }, { label: 'Checked' }], rows,
	d.defined ? 'no results yet: a build or chacc test runs its checks' : 'no checks: a target has them under checks: in the recipe');
}

/* the checks of a run (GET /api/runs/ID's "checks"), by target, for the run page */
C.runChecksCard = function (checks) {
	var rows = checks.map(function (c) {
		return Object.assign([
			C.el('a', { href: '#/target/' + encodeURIComponent(c.target) }, c.target),
			C.el('span', { class: 'mono' }, c.check),
			c.severity,
			C.el('span', { class: 'qbadge ' + (c.status === 'pass' ? 'ok' : c.status === 'warn' ? 'warn' : 'bad') }, c.status),
			C.el('span', { class: 'num' }, typeof c.failing === 'number' && c.failing >= 0 ? C.fmtRows(c.failing) : '–'),
			c.detail && c.status !== 'pass' ? C.el('span', { class: 'err' }, c.detail) : '',
			(c.samples || []).length && c.status !== 'pass' ?
				C.el('span', { class: 'mono samples' }, c.samples.map(sampleKey).join(' · ')) : '',
		], { attrs: { 'data-check': c.check, 'data-status': c.status } });
	});

	return C.el('div', { class: 'card flush', id: 'run-checks' }, C.el('h2', null, 'Checks'),
		C.table([{ label: 'Target' }, { label: 'Check' }, { label: 'Severity' }, { label: 'Status' },
			{ label: 'Failing', cls: 'num' }, { label: 'Detail' }, { label: 'Sample failing keys' }], rows, 'no checks'));
};

/* a histogram of counts as an inline SVG: one bar per bucket in a 100x20 box */
C.histogram = function (counts, label) {
	var most = Math.max.apply(null, counts.concat([1])), w = 100 / counts.length;
	var svg = C.svg('svg', { class: 'hist', viewBox: '0 0 100 20', preserveAspectRatio: 'none', role: 'img',
		'aria-label': label });

	counts.forEach(function (n, i) {
		var h = n ? Math.max(1, 20 * n / most) : 0;

		svg.appendChild(C.svg('rect', { x: (i * w + 0.15).toFixed(2), y: (20 - h).toFixed(2),
			width: (w - 0.3).toFixed(2), height: h.toFixed(2) }, C.svg('title', null, String(n))));
	});
	return svg;
};

function pct(f) {
	if (f === null || f === undefined)
		return '–';
	return (Math.round(f * 1000) / 10) + '%';
}

function profileCard(p) {
	var rows = (p.columns || []).map(function (c) {
		var top = (c.top || []).map(function (v) {
			return (v.value === null ? 'NULL' : v.value) + ' (' + C.fmtRows(v.count) + ')';
		}).join(', ');

		return Object.assign([
			C.el('span', { class: 'mono' }, c.name),
			c.type,
			C.el('span', { class: 'num' }, pct(c.null_fraction)),
			C.el('span', { class: 'num', title: c.distinct_approx ? 'estimated' : '' },
				(c.distinct_approx ? '≈' : '') + C.fmtRows(c.distinct)),
			C.el('span', { class: 'mono' }, c.min === null || c.min === undefined ? '–' : c.min),
			C.el('span', { class: 'mono' }, c.max === null || c.max === undefined ? '–' : c.max),
			C.el('span', { class: 'num' }, typeof c.mean === 'number' ? String(Math.round(c.mean * 1000) / 1000) : '–'),
			C.el('span', { class: 'commonvals' }, top || '–'),
			Array.isArray(c.histogram) ? C.histogram(c.histogram, 'histogram of ' + c.name) : '',
		], { attrs: { 'data-column': c.name } });
	});

	return C.table([{ label: 'Column' }, { label: 'Type' }, { label: 'Nulls', cls: 'num' },
		{ label: 'Distinct', cls: 'num' }, { label: 'Min' }, { label: 'Max' }, { label: 'Mean', cls: 'num' },
		{ label: 'Most common' }, { label: 'Histogram' }], rows, 'no columns');
}

/* the target page's Checks and Profile cards, appended to main and filled when their data comes */
C.qualitySections = function (main, name, current) {
	var base = '/api/targets/' + encodeURIComponent(name);
	var checks = C.el('div', { class: 'card flush', id: 'checks', style: 'margin-top:16px' }, C.el('h2', null, 'Checks'),
		C.el('div', { class: 'empty' }, 'loading…'));
	var profile = C.el('div', { class: 'card flush', id: 'profile', style: 'margin-top:16px' }, C.el('h2', null, 'Profile'),
		C.el('div', { class: 'empty' }, 'loading…'));

	main.appendChild(checks);
	main.appendChild(profile);
	C.api('GET', base + '/checks').then(function (d) {
		if (current())
			checks.replaceChildren(C.el('h2', null, 'Checks'), checksCard(d));
	}, function (e) {
		if (current())
			checks.replaceChildren(C.el('h2', null, 'Checks'), C.banner(e.message));
	});
	C.api('GET', base + '/profile').then(function (p) {
		if (!current())
			return;
		profile.replaceChildren(C.el('h2', null, 'Profile'),
			C.el('p', { class: 'muted profnote' }, C.fmtRows(p.rows) + ' rows, profiled ' + C.fmtTs(p.profiled_at),
				p.run_id ? [' in ', C.el('a', { href: '#/runs/' + p.run_id }, 'run ' + p.run_id)] : null),
			profileCard(p));
	}, function (e) {
		if (current())
			profile.replaceChildren(C.el('h2', null, 'Profile'), C.el('div', { class: 'empty' },
				e.status === 404 ? 'no profile yet: chacc profile ' + name + ' makes one (or profile: true in the recipe)' :
					e.message));
	});
};
