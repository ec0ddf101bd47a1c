/* app.js: the chacc web UI's core: API calls, DOM helpers, router, live events, theme */
'use strict';

var C = window.C = {};

C.csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';

/* call the REST API; resolves to the JSON reply, rejects with .status and .data */
C.api = async function (method, path, body) {
	var opt = { method: method, headers: {}, credentials: 'same-origin' };
	var r, text, data = null, err;

	if (method !== 'GET')
		opt.headers['X-CSRF-Token'] = C.csrf;
	if (body !== undefined) {
		opt.headers['Content-Type'] = 'application/json';
		opt.body = JSON.stringify(body);
	}
	r = await fetch(path, opt);
	text = await r.text();
	try {
		data = text ? JSON.parse(text) : null;
	} catch (e) {
		data = { error: text };
	}
	if (!r.ok) {
		err = new Error((data && data.error) || r.status + ' ' + r.statusText);
		err.status = r.status;
		err.data = data;
		throw err;
	}
	return data;
};

/* a diagnostic of the API ({file, line, column, target, message, severity}): where, and what */
C.diagWhere = function (p) {
	return (p.file || '') + (p.line ? ':' + p.line : '') + (p.column ? ':' + p.column : '');
};
C.diagText = function (p) {
	return (p.target ? "target '" + p.target + "': " : '') + p.message;
};

function append(node, kids) {
	kids.forEach(function (k) {
		if (k === null || k === undefined || k === false)
			return;
		if (Array.isArray(k))
			append(node, k);
		else if (k instanceof Node)
			node.appendChild(k);
		else
			node.appendChild(document.createTextNode(String(k)));
	});
	return node;
}

function setattrs(node, attrs) {
	Object.keys(attrs || {}).forEach(function (k) {
		var v = attrs[k];

		if (v === null || v === undefined || v === false)
			return;
		if (k.slice(0, 2) === 'on')
			node.addEventListener(k.slice(2), v);
		else if (k === 'class')
			node.setAttribute('class', v);
		else if (k === 'text')
			node.textContent = v;
		else if (k === 'dataset')
			Object.assign(node.dataset, v);
		else
			node.setAttribute(k, v === true ? '' : v);
	});
}

/* an element: C.el('a', {href: '#/'}, 'text', child, [more]) */
C.el = function (tag, attrs) {
	var node = document.createElement(tag);

	setattrs(node, attrs);
	return append(node, Array.prototype.slice.call(arguments, 2));
};

C.svg = function (tag, attrs) {
	var node = document.createElementNS('http://www.w3.org/2000/svg', tag);

	setattrs(node, attrs);
	return append(node, Array.prototype.slice.call(arguments, 2));
};

C.slug = function (s) {
	return String(s || 'unknown').toLowerCase().replace(/[^a-z0-9]+/g, '-');
};

C.badge = function (state, text) {
	return C.el('span', { class: 'badge s-' + C.slug(state) }, text || state);
};

/* "2025-01-02 03:04:05.123456" of the target server's clock, in ms (its own zone, as UTC) */
C.ts = function (s) {
	var m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?/.exec(s || '');

	if (!m)
		return null;
	return Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +m[6], m[7] ? Math.round(+('0.' + m[7]) * 1000) : 0);
};

C.fmtTs = function (s) {
	return s ? String(s).replace(/\.\d+$/, '') : '–';
};

/*
 * a duration in seconds as people say it, the one format of every duration
 * shown: "850 ms", "4.2 s", "42 s", "2 min 5 s", "30 min", "1 h 5 min",
 * "2 days 3 h"; the smaller unit only where it still matters
 */
C.fmtDur = function (sec) {
	var s, m, h, d;

	if (sec === null || sec === undefined || sec === '' || isNaN(sec))
		return '–';
	sec = Math.abs(+sec);
	if (sec === 0)
		return '0 s';
	if (sec < 0.0005)
		return '< 1 ms';
	if (Math.round(sec * 1000) < 1000)
		return Math.round(sec * 1000) + ' ms';
	if (Math.round(sec * 10) < 100)
		return String(Math.round(sec * 10) / 10) + ' s';
	s = Math.round(sec);
	if (s < 60)
		return s + ' s';
	if (s < 600)
		return Math.floor(s / 60) + ' min' + (s % 60 ? ' ' + s % 60 + ' s' : '');
	m = Math.round(s / 60);
	if (m < 60)
		return m + ' min';
	h = Math.floor(m / 60);
	m %= 60;
	if (h < 24)
		return h + ' h' + (m ? ' ' + m + ' min' : '');
	h = Math.round(s / 3600);
	d = Math.floor(h / 24);
	h %= 24;
	return d + (d === 1 ? ' day' : ' days') + (h ? ' ' + h + ' h' : '');
};

C.fmtAge = function (ts, now) {
	var a = C.ts(ts), b = C.ts(now), s;

	if (a === null || b === null)
		return '';
	s = Math.max(0, (b - a) / 1000);
	if (s < 60)
		return 'just now';
	if (s < 3600)
		return Math.round(s / 60) + ' min ago';
	if (s < 86400 * 2)
		return Math.round(s / 3600) + ' h ago';
	return Math.round(s / 86400) + ' days ago';
};

C.fmtRows = function (n) {
	return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US');
};

/*
 * a passing notice about the page shown now: in the page's flow above its
 * content (never over a result), closed by its button, after a while, or
 * when another page is opened
 */
C.toast = function (msg, kind) {
	var t = C.el('div', { class: 'toast ' + (kind || ''), role: kind === 'bad' ? 'alert' : 'status' },
		C.el('span', { class: 'grow' }, msg),
		C.el('button', { type: 'button', class: 'icon close', 'aria-label': 'dismiss', title: 'dismiss',
			onclick: function () { t.remove(); } }, '\u00d7'));

	t.dataset.page = location.hash || '#/';
	document.getElementById('toasts').appendChild(t);
	setTimeout(function () { t.remove(); }, kind === 'bad' ? 9000 : 5000);
	return t;
};

/* on navigation: the notices of the page left go */
C.clearToasts = function () {
	var here = location.hash || '#/';

	document.querySelectorAll('#toasts .toast').forEach(function (t) {
		if (t.dataset.page !== here)
			t.remove();
	});
};

/*
 * ask before something that cannot be taken back: a modal dialog; resolves
 * true for ok, false for Cancel, Escape or a click outside
 */
C.confirm = function (title, text, okLabel, danger) {
	return new Promise(function (resolve) {
		var ok = C.el('button', { type: 'button', class: danger ? 'danger' : 'primary', id: 'confirm-ok' }, okLabel);
		var cancel = C.el('button', { type: 'button', id: 'confirm-cancel' }, 'Cancel');
		var dlg = C.el('dialog', { id: 'confirm', class: 'confirm', 'aria-labelledby': 'confirm-title' },
			C.el('h2', { id: 'confirm-title' }, title), C.el('p', null, text),
			C.el('div', { class: 'actions' }, C.el('span', { class: 'spacer' }), cancel, ok));
		var done = false;

		function end(yes) {
			if (done)
				return;
			done = true;
			if (dlg.open)
				dlg.close();
			dlg.remove();
			resolve(yes);
		}
		ok.onclick = function () { end(true); };
		cancel.onclick = function () { end(false); };
		dlg.addEventListener('close', function () { end(false); });
		dlg.addEventListener('click', function (e) {
			if (e.target === dlg)
				end(false);
		});
		document.body.appendChild(dlg);
		dlg.showModal();
		cancel.focus();
		C.onLeave(function () { end(false); });
	});
};

C.banner = function (msg, info) {
	return C.el('div', { class: 'banner' + (info ? ' info' : '') }, msg);
};

/* a table: cols [{label, cls}], rows of cells; cards on a phone */
C.table = function (cols, rows, empty) {
	var head = C.el('tr', null, cols.map(function (c) {
		return C.el('th', { class: c.cls || null }, c.label);
	}));
	var body = C.el('tbody');

	rows.forEach(function (cells) {
		var tr = C.el('tr', cells.attrs || null);

		cells.forEach(function (cell, i) {
			tr.appendChild(C.el('td', { class: ((i === 0 ? 'first ' : '') + (cols[i].cls || '')).trim() || null,
				'data-label': cols[i].label }, cell));
		});
		body.appendChild(tr);
	});
	if (!rows.length)
		body.appendChild(C.el('tr', null, C.el('td', { colspan: cols.length, class: 'empty' }, empty || 'nothing yet')));
	return C.el('div', { class: 'tablewrap' }, C.el('table', { class: 'cards' }, C.el('thead', null, head), body));
};

/* pages: C.route(/^\/runs\/(\d+)$/, function (main, match) {...}) */
C.routes = [];
/* who asks: {named, user, email, role} */
C.me = async function () {
	if (!C.meCache)
		C.meCache = await C.api('GET', '/api/me');
	return C.meCache;
};

/* buttons that change something: disabled, with the reason, for a viewer (chacc serve --users) */
C.editorOnly = function (buttons) {
	C.me().then(function (me) {
		if (!me.named || me.role !== 'viewer')
			return;
		buttons.forEach(function (b) {
			b.disabled = true;
			b.title = 'needs the role editor: ' + me.user + ' is a viewer';
		});
	}).catch(function () { /* the server says why when the button is used */ });
	return buttons;
};

C.route = function (re, page, fn) {
	C.routes.push({ re: re, page: page, fn: fn });
};

/* run when the page is left: timers, subscriptions */
C.cleanups = [];
C.onLeave = function (fn) {
	C.cleanups.push(fn);
};

C.seq = 0;
C.render = async function () {
	var path = decodeURI(location.hash.replace(/^#/, '')) || '/';
	var main = document.getElementById('main'), seq = ++C.seq;

	C.cleanups.splice(0).forEach(function (fn) { fn(); });
	for (var i = 0; i < C.routes.length; i++) {
		var m = C.routes[i].re.exec(path);

		if (!m)
			continue;
		document.querySelectorAll('#nav a').forEach(function (a) {
			a.classList.toggle('active', a.dataset.page === C.routes[i].page);
		});
		main.replaceChildren();
		try {
			await C.routes[i].fn(main, m, function () { return seq === C.seq; });
		} catch (e) {
			if (seq === C.seq)
				main.replaceChildren(C.banner(e.message));
		}
		return;
	}
	main.replaceChildren(C.banner('no page ' + path));
};

/* the live event stream: C.listen(fn) until the page is left */
C.listeners = [];
C.listen = function (fn) {
	C.listeners.push(fn);
	C.onLeave(function () {
		C.listeners = C.listeners.filter(function (f) { return f !== fn; });
	});
};

C.connect = function () {
	var live = document.getElementById('live');
	var es = new EventSource('/api/events');

	es.onopen = function () {
		live.classList.add('on');
		live.title = 'live updates: connected';
		C.runs.snapshot();
	};
	es.onerror = function () {
		live.classList.remove('on');
		live.title = 'live updates: reconnecting';
	};
	es.onmessage = function (m) {
		var ev;

		try {
			ev = JSON.parse(m.data);
		} catch (e) {
			return;
		}
		C.deliver(ev);
	};
	C.events = es;
};

/* an event to the live state, then to the page's listeners */
C.deliver = function (ev) {
	var live = document.getElementById('live');

	if (ev.type === 'live') {
		/* the server follows the runs in the target database: it says when that stops */
		live.classList.toggle('down', ev.state === 'down');
		live.title = ev.state === 'down' ? 'live updates: runs started elsewhere are not seen: ' + (ev.error || '')
			: 'live updates: connected';
	}
	C.runs.feed(ev);
	C.liveGraph(ev);
	C.listeners.slice().forEach(function (fn) { fn(ev); });
};

/* a target's step states: those a run cannot leave, and what the graph shows for each */
C.FINAL = ['built', 'up to date', 'failed', 'interrupted', 'skipped', 'pruned'];
C.NODE_STATE = { building: 'building', built: 'ok', 'up to date': 'ok', failed: 'failed', interrupted: 'interrupted' };

/* the graph on the page follows the targets' builds (events "target") */
C.liveGraph = function (ev) {
	var state = ev.type === 'target' && C.NODE_STATE[ev.state], node, sub, parts;

	if (!state)
		return;
	node = document.querySelector('svg.graph g.node[data-target="' + CSS.escape(ev.target) + '"]');
	if (!node)
		return;
	/* its state's colour; what else it shows (a selection, a lineage) stays */
	Array.prototype.slice.call(node.classList).forEach(function (c) {
		if (c.slice(0, 3) === 'st-')
			node.classList.remove(c);
	});
	node.classList.add('st-' + C.slug(state));
	node.dataset.state = state;
	node.setAttribute('aria-label', ev.target + ': ' + state);
	sub = node.querySelector('text.small');
	if (sub) {
		parts = sub.textContent.split(' · ');
		sub.textContent = [parts[0], state].concat(ev.rows !== null && ev.rows !== undefined && state !== 'building' ?
			[C.fmtRows(ev.rows) + ' rows'] : parts.slice(2)).join(' · ');
	}
};

/*
 * builds followed in this browser, whoever started them: fed by the event
 * stream (this server's jobs and log lines; every run's changes as the
 * server reads them in the target database), drawn by the dashboard
 */
C.runs = {
	list: [],                    /* newest first: {job, run_id, mode, state, exit, message, total, steps: {}, order: []} */
	find: function (ev) {
		var r = null;

		this.list.forEach(function (x) {
			if ((ev.job && x.job === ev.job) || (ev.run_id && x.run_id === ev.run_id))
				r = r || x;
		});
		/*
		 * the first log lines of a run of this server come before its job
		 * knows the run id: the newest job waiting for one
		 */
		if (!r && ev.type === 'log' && ev.run_id)
			this.list.forEach(function (x) {
				if (!r && x.job && !x.run_id && x.state === 'running')
					r = x;
			});
		if (r && ev.run_id)
			r.run_id = ev.run_id;
		return r;
	},
	/* one entry per job: fold a run's entry into its job's once both are known */
	merge: function (r) {
		var self = this;

		this.list.slice().forEach(function (x) {
			if (x === r || !r.run_id || x.run_id !== r.run_id)
				return;
			x.order.forEach(function (t) {
				if (!r.steps[t]) {
					r.steps[t] = x.steps[t];
					r.order.push(t);
				}
			});
			r.total = r.total || x.total;
			r.mode = r.mode || x.mode;
			r.started_by = r.started_by || x.started_by;
			if (!r.job && x.state !== 'running')
				r.state = x.state;
			self.list.splice(self.list.indexOf(x), 1);
		});
	},
	get: function (ev) {
		var r = this.find(ev);

		if (!r) {
			r = { job: ev.job || null, run_id: ev.run_id || null, state: 'running', total: 0, steps: {}, order: [] };
			this.list.unshift(r);
			this.list.sort(function (a, b) { return (b.run_id || Infinity) - (a.run_id || Infinity); });
			this.list.splice(6);
		}
		return r;
	},
	step: function (r, target) {
		var s = r.steps[target];

		if (!s) {
			s = r.steps[target] = { target: target, state: 'waiting', rows: null, read: null, message: '' };
			r.order.push(target);
		}
		return s;
	},
	/* a step's new state: a run's late read does not undo what a target came to */
	move: function (s, state) {
		if (C.FINAL.indexOf(s.state) < 0 || C.FINAL.indexOf(state) >= 0)
			s.state = state;
		if (C.FINAL.indexOf(s.state) >= 0)
			s.read = null;
	},
	/* a run read in the target database (event "run"): for runs without a job here, its end */
	fromRun: function (ev) {
		var r = this.get(ev);

		r.mode = r.mode || ev.mode;
		r.started_by = r.started_by || ev.started_by;
		if (!r.job && ev.state !== 'running') {
			r.state = ev.state === 'success' || ev.state === 'nothing to do' ? 'done' : ev.state;
			r.message = ev.state === 'nothing to do' ? 'nothing to do' : r.message;
		}
	},
	/* a target read in the target database (event "target"): its state, rows, time, error */
	fromTarget: function (ev) {
		var s = this.step(this.get(ev), ev.target), bits = [];

		this.move(s, ev.state);
		/* the rows of its table once built (a target up to date or failed records none) */
		if (ev.state === 'built' && ev.rows !== null && ev.rows !== undefined)
			s.rows = ev.rows;
		if (ev.state === 'built')
			bits = [ev.changed === false ? 'unchanged' : ev.changed ? 'changed' : null,
				ev.seconds !== null && ev.seconds !== undefined ? C.fmtDur(ev.seconds) : null];
		else if (ev.state === 'building' && ev.attempts > 1)
			bits = ['attempt ' + ev.attempts];
		s.message = ev.error || bits.filter(Boolean).join(' · ') || (ev.state === s.state ? '' : s.message);
	},
	feed: function (ev) {
		var r, s, m;

		if (ev.type === 'job') {
			r = this.get(ev);
			r.job = ev.job;
			r.run_id = ev.run_id || r.run_id;
			r.mode = ev.mode;
			r.targets = ev.targets;
			r.started_by = ev.started_by;
			if (ev.state === 'done') {
				r.state = ev.exit === 0 ? 'done' : ev.exit === 130 ? 'cancelled' : 'failed';
				r.exit = ev.exit;
				r.message = ev.message;
			}
			this.merge(r);
			return;
		}
		if (ev.type === 'run' && ev.run_id)
			return this.fromRun(ev);
		if (ev.type === 'target' && ev.run_id)
			return this.fromTarget(ev);
		if (ev.type !== 'log' || !ev.run_id)
			return;
		r = this.get(ev);
		if (ev.event === 'run') {
			m = /(\d+) of (\d+) targets/.exec(ev.message || '');
			r.total = m ? +m[1] : r.total;
			m = /\(([a-z-]+)\)\s*$/.exec(ev.message || '');
			r.mode = r.mode || (m && m[1]);
			return;
		}
		if (ev.event === 'end') {
			r.summary = ev.message;
			return;
		}
		if (!ev.target)
			return;
		s = this.step(r, ev.target);
		switch (ev.event) {
		/* the rows read so far: not the rows of its table (those come with its end) */
		case 'rows': s.read = s.state === 'building' && ev.rows > 0 ? ev.rows : null; return;
		case 'start': this.move(s, 'building'); break;
		case 'wait': case 'retry': this.move(s, 'waiting'); break;
		case 'done': this.move(s, 'built'); break;
		case 'failed': case 'interrupted': case 'skipped': case 'pruned': this.move(s, ev.event); break;
		}
		s.message = ev.message || s.message;
	},
	finished: function (r) {
		var n = 0;

		Object.keys(r.steps).forEach(function (k) {
			if (C.FINAL.indexOf(r.steps[k].state) >= 0)
				n++;
		});
		return n;
	},
	/* the runs going on now, wherever started, as the history has them (a page opened mid-run) */
	snapshot: async function () {
		var runs;

		try {
			runs = await C.api('GET', '/api/runs?limit=5');
		} catch (e) {
			return;         /* the dashboard says why */
		}
		for (var i = runs.length - 1; i >= 0; i--) {
			var run;

			if (runs[i].result !== 'running')
				continue;
			try {
				run = await C.api('GET', '/api/runs/' + runs[i].run_id);
			} catch (e) {
				continue;
			}
			C.deliver({ type: 'run', run_id: run.run_id, state: run.result, mode: run.mode, started_by: run.started_by });
			run.targets.forEach(function (t) {
				C.deliver({ type: 'target', run_id: run.run_id, target: t.target, state: t.outcome, rows: t.rows,
					seconds: t.seconds, attempts: t.attempts, error: t.error });
			});
		}
	},
};

/* start a build; opts as POST /api/runs takes */
C.startRun = async function (opts, button) {
	if (button)
		button.disabled = true;
	try {
		var j = await C.api('POST', '/api/runs', opts);

		C.runs.feed(Object.assign({ type: 'job' }, j));
		if (j.state === 'done')
			C.toast(j.message, j.exit === 0 ? 'ok' : 'bad');
		else
			C.toast('run ' + (j.run_id || '') + ' started (' + j.mode + ')', 'ok');
		C.listeners.slice().forEach(function (fn) { fn({ type: 'started', job: j.job }); });
		return j;
	} catch (e) {
		C.toast(e.message, 'bad');
		return null;
	} finally {
		if (button)
			button.disabled = false;
	}
};

/* theme toggle: remembered in localStorage; the system's until the first click */
C.theme = {
	icons: {
		dark: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"><path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z"/></svg>',
		light: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"><circle cx="12" cy="12" r="4.5"/><path d="M12 1.5v2.5M12 20v2.5M4.2 4.2l1.8 1.8M18 18l1.8 1.8M1.5 12H4M20 12h2.5M4.2 19.8 6 18M18 6l1.8-1.8"/></svg>',
	},
	current: function () {
		return document.documentElement.getAttribute('data-theme') === 'dark' ? 'dark' : 'light';
	},
	set: function (t, remember) {
		document.documentElement.setAttribute('data-theme', t);
		if (remember) {
			try {
				localStorage.setItem('chacc-theme', t);
			} catch (e) { /* private mode: not remembered */ }
		}
		this.draw();
	},
	draw: function () {
		var b = document.getElementById('theme'), next = this.current() === 'dark' ? 'light' : 'dark';

		/* the icon of the mode a click switches to; a fixed SVG, no data in it */
		b.innerHTML = this.icons[next];
		b.title = 'switch to ' + next + ' mode';
		b.setAttribute('aria-label', b.title);
		b.dataset.theme = this.current();
	},
	init: function () {
		var self = this, mq = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

		document.getElementById('theme').addEventListener('click', function () {
			self.set(self.current() === 'dark' ? 'light' : 'dark', true);
		});
		if (mq && mq.addEventListener)
			mq.addEventListener('change', function (e) {
				var saved = null;

				try {
					saved = localStorage.getItem('chacc-theme');
				} catch (x) { saved = null; }
				if (!saved)
					self.set(e.matches ? 'dark' : 'light', false);
			});
		this.draw();
	},
};

document.addEventListener('DOMContentLoaded', function () {
	C.theme.init();
	C.connect();
	window.addEventListener('hashchange', function () {
		C.clearToasts();
		C.render();
	});
	C.render().then(function () {
		/* pages that do not load the recipe's name: ask once */
		if (!document.getElementById('recipe').textContent)
			C.api('GET', '/api/graph').then(function (g) { C.setRecipe(g.recipe); }, function () {});
	});
});
