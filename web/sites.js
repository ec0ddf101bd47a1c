/* sites.js: the sites of a target that reads a group: a badge on the dashboard, a card on the target page */
'use strict';

/* how many of a target's sites (status's "sites") failed, as a badge; null when none failed */
C.sitesBadge = function (sites) {
	var failed;

	if (!sites || !sites.length)
		return null;
	failed = sites.filter(function (x) { return x.state !== 'ok'; });
	if (!failed.length)
		return null;
	return C.el('span', { class: 'qbadge bad', 'data-sites': 'failed',
		title: failed.map(function (x) { return x.site; }).join(', ') },
	failed.length + ' of ' + sites.length + ' sites failed');
};

/* the target page's Sites card: each site with its state, lag, last success, watermark and error */
C.sitesSection = function (main, t) {
	var rows;

	if (!t.sites)
		return;
	rows = t.sites.map(function (x) {
		return Object.assign([
			C.el('span', { class: 'mono' }, x.site),
			C.badge(x.state),
			C.el('span', { class: 'num nowrap', 'data-lag': x.lag_seconds === null ? '' : x.lag_seconds },
				x.lag_seconds === null ? 'never read' : C.fmtDur(x.lag_seconds)),
			C.el('span', { class: 'nowrap' }, x.last_success ? C.fmtTs(x.last_success) : 'never'),
			C.fmtRows(x.rows),
			C.el('span', { class: 'mono' }, x.watermark || '–'),
			x.error ? C.el('span', { class: 'err' }, (x.last_attempt ? C.fmtTs(x.last_attempt) + ': ' : '') + x.error) : '',
		], { attrs: { 'data-site': x.site, 'data-state': x.state } });
	});
	main.appendChild(C.el('div', { class: 'card flush', id: 'sites', style: 'margin-top:16px' },
		C.el('h2', null, 'Sites', C.sitesBadge(t.sites)),
		C.table([{ label: 'Site' }, { label: 'State' }, { label: 'Lag', cls: 'num' }, { label: 'Last success' },
			{ label: 'Rows', cls: 'num' }, { label: 'Watermark' }, { label: 'Error' }], rows, 'no site read yet')));
};
