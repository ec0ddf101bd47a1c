/* review.js: proposed config changes: the list, a review's diff and impact, approve and reject */
'use strict';

function when(c) {
	return c && c.time ? new Date(c.time * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '–';
}

C.route(/^\/reviews$/, 'reviews', async function (main, m, current) {
	var list = await C.api('GET', '/api/reviews');

	if (!current())
		return;
	main.appendChild(C.el('div', { class: 'pagehead' }, C.el('h1', { class: 'grow' }, 'Reviews'),
		C.el('span', { class: 'muted' }, list.filter(function (r) { return r.state === 'open'; }).length + ' open')));
	main.appendChild(C.el('div', { class: 'card flush' }, C.table([
		{ label: 'Review' }, { label: 'State' }, { label: 'Change' }, { label: 'Proposed by' }, { label: 'When' },
		{ label: 'Decided by' }, { label: 'Branch' },
	], list.map(function (r) {
		return Object.assign([
			C.el('a', { href: '#/reviews/' + r.id }, '#' + r.id), C.badge(r.state),
			C.el('a', { href: '#/reviews/' + r.id }, r.commit.summary || '(no message)'),
			r.commit.author || '–', C.el('span', { class: 'nowrap' }, when(r.commit)),
			C.el('span', { class: 'decider' }, r.decided ? r.decided.name : '–'),
			C.el('span', { class: 'mono' }, r.branch || ''),
		], { attrs: { 'data-review': r.id, 'data-state': r.state } });
	}), 'no reviews: edit or upload a file to propose one')));
});

/* a unified diff, line by line */
C.diffView = function (text) {
	return C.el('pre', { class: 'code diff' }, text.replace(/\n$/, '').split('\n').map(function (l) {
		var cls = /^(\+\+\+|---|diff |index )/.test(l) ? 'file' : l[0] === '+' ? 'add' : l[0] === '-' ? 'del' :
			l.slice(0, 2) === '@@' ? 'hunk' : '';

		return C.el('div', { class: cls || null }, l || ' ');
	}));
};

/* "Name <email>" */
function who(name, email) {
	return (name || '–') + (email ? ' <' + email + '>' : '');
}

C.route(/^\/reviews\/(.+)$/, 'reviews', async function (main, m, current) {
	var rv = await C.api('GET', '/api/reviews/' + m[1]), d = rv.diff || {}, me = await C.me();
	var buttons = null, why = null, decided = rv.decided;

	if (!current())
		return;
	async function decide(what, btn) {
		btn.disabled = true;
		try {
			var r = await C.api('POST', '/api/reviews/' + rv.id + '/' + what);

			C.toast(what === 'approve' ? 'approved: main is at ' + r.commit.slice(0, 8) + (r.note ? ' (' + r.note + ')' : '') :
				'rejected review ' + rv.id, 'ok');
			C.render();
		} catch (e) {
			btn.disabled = false;
			C.toast(e.message, 'bad');
		}
	}
	if (rv.state === 'open') {
		var conflicts = (d.conflicts || []).length > 0, approver = me.role === 'approver';

		why = conflicts ? 'conflicts with main: propose the change again on the current main' :
			rv.can_approve === false ? rv.cannot_approve : null;
		var approve = C.el('button', { type: 'button', class: 'primary', id: 'approve', disabled: why ? true : null,
			title: why || 'merge into main',
			onclick: function () { decide('approve', approve); } }, 'Approve and merge');
		var reject = C.el('button', { type: 'button', class: 'danger', id: 'reject', disabled: approver ? null : true,
			title: approver ? 'close it unmerged' : 'rejecting needs the role approver',
			onclick: function () { decide('reject', reject); } }, 'Reject');

		buttons = [reject, approve];
	}
	main.appendChild(C.el('div', { class: 'pagehead' }, C.el('h1', null, 'Review ' + rv.id), C.badge(rv.state),
		C.el('span', { class: 'grow muted mono' }, rv.branch || ''), buttons));
	main.appendChild(C.el('div', { class: 'card' }, C.el('h2', null, rv.commit.summary || '(no message)'),
		C.el('dl', { class: 'props' },
			C.el('dt', null, 'proposed by'), C.el('dd', { id: 'proposer' }, who(rv.commit.author, rv.commit.email)),
			C.el('dt', null, 'proposed'), C.el('dd', null, when(rv.commit)),
			decided ? [C.el('dt', null, rv.state + ' by'), C.el('dd', { id: 'decider' }, who(decided.name, decided.email)),
				C.el('dt', null, rv.state), C.el('dd', null, when(decided))] : null,
			me.named ? [C.el('dt', null, 'you'), C.el('dd', { id: 'me' }, who(me.user, me.email) + ', ' + me.role)] : null,
			C.el('dt', null, 'commit'), C.el('dd', { class: 'mono' }, rv.commit.id),
			C.el('dt', null, 'compared'), C.el('dd', null, (d.old_name || 'main') + ' → ' + (d.new_name || rv.branch)),
			C.el('dt', null, 'files'), C.el('dd', { class: 'mono', id: 'files' }, (d.files || []).map(function (f) {
				return /^D /.test(f) ? f.slice(2) + ' (deleted)' : f;
			}).join(', ') || 'none'))));
	if (why && !conflicts)
		main.appendChild(C.el('p', { class: 'muted', id: 'why-not' }, 'You cannot approve this review: ' + why));
	if (d.new_error)
		main.appendChild(C.banner('with this change the recipe does not load:\n' + d.new_error));
	if (d.conflicts && d.conflicts.length)
		main.appendChild(C.banner('approving would conflict with main in: ' + d.conflicts.join(', ')));
	main.appendChild(C.el('div', { class: 'card flush', id: 'impact' }, C.el('h2', null, 'Impact: what the next build would rebuild'),
		C.table([{ label: 'Target' }, { label: 'Reason' }, { label: 'Mode' }], (d.impact || []).map(function (i) {
			return [C.el('a', { href: '#/target/' + encodeURIComponent(i.target) }, i.target), i.reason, C.badge(i.mode === 'full' ? 'out of date' : 'ok', i.mode)];
		}), 'no target would rebuild')));
	(d.changes || []).forEach(function (c) {
		main.appendChild(C.el('div', { class: 'card' }, C.el('h2', null, 'target ', C.el('span', { class: 'mono' }, c.target),
			' ', C.badge(c.change === 'removed' ? 'failed' : 'open', c.change)), c.diff ? C.diffView(c.diff) : null));
	});
	if (d.patch)
		main.appendChild(C.el('div', { class: 'card', id: 'diff' }, C.el('h2', null, 'Diff'), C.diffView(d.patch)));
});
