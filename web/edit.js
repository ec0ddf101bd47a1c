/* edit.js: the recipe at the root and the files under recipes/ and sql/, an editor whose save proposes a review, uploads */
'use strict';

/* an editor in box: CodeMirror when compiled in, else a plain text area */
C.editor = function (box, text, lang) {
	var ed = { marks: [] };

	if (window.CodeMirror) {
		var cm = window.CodeMirror(box, { value: text, mode: C.cmMode(lang), lineNumbers: true, matchBrackets: true,
			styleActiveLine: true, indentWithTabs: lang === 'sql', tabSize: lang === 'sql' ? 8 : 2,
			indentUnit: lang === 'sql' ? 8 : 2, gutters: ['cm-problem-gutter', 'CodeMirror-linenumbers'],
			extraKeys: { Tab: function (c) { c.replaceSelection(lang === 'sql' ? '\t' : '  '); } } });

		ed.get = function () { return cm.getValue(); };
		ed.set = function (v) { cm.setValue(v); };
		ed.focus = function () { cm.focus(); };
		ed.go = function (line, col) {
			cm.focus();
			cm.setCursor({ line: line - 1, ch: Math.max(0, (col || 1) - 1) });
			cm.scrollIntoView(null, 120);
		};
		ed.onChange = function (fn) { cm.on('change', fn); };
		ed.clear = function () {
			ed.marks.forEach(function (m) { m(); });
			ed.marks = [];
		};
		/* problems shown in place: the line tinted, a marker in the gutter, the message under the line */
		ed.mark = function (p) {
			var line = Math.min(Math.max(p.line - 1, 0), cm.lineCount() - 1);
			var h = cm.addLineClass(line, 'background', 'cm-problem-line');
			var w = cm.addLineWidget(line, C.el('div', { class: 'cm-problem-widget' },
				(p.column ? 'column ' + p.column + ': ' : '') + C.diagText(p)), { coverGutter: false, noHScroll: true });

			cm.setGutterMarker(line, 'cm-problem-gutter', C.el('span', { class: 'cm-problem-mark', title: C.diagText(p) }, '●'));
			ed.marks.push(function () {
				cm.removeLineClass(h, 'background', 'cm-problem-line');
				cm.setGutterMarker(line, 'cm-problem-gutter', null);
				w.clear();
			});
		};
		ed.kind = 'codemirror';
		setTimeout(function () { cm.refresh(); });
		return ed;
	}
	var ta = C.el('textarea', { class: 'plain', spellcheck: 'false', 'aria-label': 'file text' });

	ta.value = text;
	box.appendChild(ta);
	ed.get = function () { return ta.value; };
	ed.set = function (v) { ta.value = v; };
	ed.focus = function () { ta.focus(); };
	ed.go = function (line, col) {
		var lines = ta.value.split('\n'), at = 0;

		for (var i = 0; i < line - 1 && i < lines.length; i++)
			at += lines[i].length + 1;
		at += Math.max(0, (col || 1) - 1);
		ta.focus();
		ta.setSelectionRange(at, at + 1);
	};
	ed.onChange = function (fn) { ta.addEventListener('input', fn); };
	ed.clear = function () {};
	ed.mark = function () {};
	ed.kind = 'textarea';
	return ed;
};

function fileLinks(files, current) {
	var groups = {};

	files.forEach(function (f) {
		var dir = f.path.indexOf('/') < 0 ? '' : f.path.replace(/\/[^/]*$/, '');

		(groups[dir] = groups[dir] || []).push(f);
	});
	/* the project root (its chacc.yml) first */
	return Object.keys(groups).sort().map(function (dir) {
		return [C.el('h3', null, dir ? dir + '/' : 'project'), groups[dir].map(function (f) {
			return C.el('a', { href: '#/files/' + f.path, class: f.path === current ? 'active' : null, title: f.path,
				'data-file': f.path }, dir ? f.path.slice(dir.length + 1) : f.path);
		})];
	});
}

/* propose path's new text: problems are shown, a review is opened */
C.propose = async function (path, content, message, check) {
	try {
		var r = await C.api('POST', '/api/files/' + path, { content: content, message: message, check: !!check });

		return { ok: true, review: r.review };
	} catch (e) {
		return { ok: false, error: e.message, problems: (e.data && e.data.problems) || [] };
	}
};

/* the problems of a refused proposal, as a list */
function problemList(r) {
	return C.el('ul', { class: 'problems' }, r.problems.map(function (p) {
		return C.el('li', null, C.el('b', null, C.diagWhere(p)), C.diagText(p));
	}));
}

/*
 * uploads go to a folder under recipes/ or sql/ (those that exist, as the
 * server lists them) with a name: the file's own, or one given; a name with
 * slashes (monthly/report.sql) makes new folders
 */
function uploadCard(dirs, max) {
	var input, dir, name, msg, btn, out = C.el('div');

	input = C.el('input', { type: 'file', accept: '.sql,.yml,.yaml,.json', 'aria-label': 'file to upload', id: 'upload-file',
		onchange: function () {
			if (input.files[0] && !name.dataset.typed)
				name.value = input.files[0].name;
		} });
	dir = C.el('select', { 'aria-label': 'directory', id: 'upload-dir' }, dirs.slice().sort().map(function (d) {
		return C.el('option', { value: d }, d + '/');
	}));
	name = C.el('input', { type: 'text', id: 'upload-name', 'aria-label': 'name', placeholder: 'name (the file\'s own; a/b.sql makes folder a)',
		oninput: function () { name.dataset.typed = name.value ? '1' : ''; } });
	msg = C.el('input', { type: 'text', placeholder: 'why (commit message)', 'aria-label': 'commit message' });
	btn = C.el('button', { type: 'button', id: 'upload', onclick: async function () {
		var f = input.files[0], r, as;

		out.replaceChildren();
		if (!f)
			return C.toast('choose a file first', 'bad');
		as = (name.value || f.name).trim().replace(/^\/+/, '');
		if (!/\.(sql|ya?ml|json)$/.test(as))
			return C.toast('only .sql, .yml, .yaml and .json files', 'bad');
		if (as.split('/').some(function (part) { return !part || part[0] === '.'; }))
			return C.toast(as + ': no empty, hidden, "." or ".." parts', 'bad');
		if (f.size > max)
			return C.toast(f.name + ' is over ' + C.fmtRows(max) + ' bytes', 'bad');
		btn.disabled = true;
		r = await C.propose(dir.value + '/' + as, await f.text(), msg.value || 'upload ' + as);
		btn.disabled = false;
		if (r.ok) {
			location.hash = '#/reviews/' + r.review.id;
			C.toast('proposed as review ' + r.review.id, 'ok');
		} else {
			out.appendChild(C.banner(r.error));
			out.appendChild(problemList(r));
		}
	} }, 'Upload for review');
	C.editorOnly([btn]);
	return C.el('div', { class: 'card upload' }, C.el('h2', null, 'Upload'),
		C.el('span', { class: 'muted' }, '.sql, .yml, .yaml or .json, up to ' + Math.round(max / 1024) + ' KiB; it becomes a review.'),
		input, dir, name, C.el('span', { class: 'muted hint' }, 'a name with a / makes new folders'), msg, btn, out);
}

/* a review whose commit deletes the file; refused, with the problems, while the recipe needs it */
async function proposeDelete(file, message, btn, problems) {
	var r;

	if (!await C.confirm('Delete ' + file.path + '?', 'This proposes a review whose commit deletes the file; '
		+ 'main loses it when the review is approved.', 'Propose deletion', true))
		return;
	btn.disabled = true;
	try {
		r = await C.api('POST', '/api/files/' + file.path, { delete: true, message: message || 'delete ' + file.path });
		location.hash = '#/reviews/' + r.review.id;
		C.toast('deletion proposed as review ' + r.review.id, 'ok');
	} catch (e) {
		problems.replaceChildren();
		if (e.data && e.data.problems && e.data.problems.length)
			problems.appendChild(C.el('li', null, C.el('b', null, 'the file cannot go: '), e.message));
		((e.data && e.data.problems) || []).forEach(function (p) {
			problems.appendChild(C.el('li', null, C.el('b', null, C.diagWhere(p)), C.diagText(p)));
		});
		C.toast(e.message, 'bad');
	} finally {
		btn.disabled = false;
	}
}

C.route(/^\/files(?:\/(.+))?$/, 'files', async function (main, m, current) {
	var path = m[1] || null, list, file = null, side, work;

	list = await C.api('GET', '/api/files');
	if (path)
		file = await C.api('GET', '/api/files/' + path);
	if (!current())
		return;
	side = C.el('div', null, C.el('div', { class: 'card filelist', id: 'filelist' }, fileLinks(list.files, path)),
		uploadCard(list.dirs || [], list.max_upload));
	work = C.el('div');
	main.appendChild(C.el('div', { class: 'pagehead' }, C.el('h1', { class: 'grow' }, 'Files'),
		C.el('span', { class: 'muted' }, 'chacc.yml, recipes/ and sql/: a save becomes a review branch')));
	main.appendChild(C.el('div', { class: 'files' + (file ? ' has-file' : '') }, side, work));
	if (!file) {
		work.appendChild(C.el('div', { class: 'card empty' }, 'Choose a file to edit. Check asks the databases to parse its SQL' +
			' (nothing runs). Saving checks it (the recipe loads,' +
			' the YAML and JSON parse) and commits it to a review branch; main changes when the review is approved.'));
		return;
	}
	var box = C.el('div', { id: 'editor' }), problems = C.el('ul', { class: 'problems', id: 'problems' });
	var status = C.el('span', { class: 'muted' });
	var msg = C.el('input', { type: 'text', class: 'msg', placeholder: 'why (commit message)', 'aria-label': 'commit message', id: 'commit-message' });
	var ed, check, save, original = file.content;

	function show(r) {
		ed.clear();
		problems.replaceChildren();
		if (r.ok)
			return;
		if (!r.problems.length)
			problems.appendChild(C.el('li', null, r.error));
		r.problems.forEach(function (p) {
			var here = !p.file || p.file === file.path;

			if (here && p.line)
				ed.mark(p);
			problems.appendChild(C.el('li', { onclick: function () { if (here && p.line) ed.go(p.line, p.column); } },
				C.el('b', null, C.diagWhere(p)), C.diagText(p)));
		});
	}

	check = C.el('button', { type: 'button', id: 'check', title: 'check the file; the databases parse the recipe\'s SQL, nothing runs',
		onclick: async function () {
		var r;

		status.textContent = 'checking…';
		check.disabled = true;
		r = await C.propose(file.path, ed.get(), '', true);
		check.disabled = false;

		show(r);
		status.textContent = r.ok ? 'no problems' : '';
	} }, 'Check');
	save = C.el('button', { type: 'button', class: 'primary', id: 'propose', onclick: async function () {
		var r;

		save.disabled = true;
		status.textContent = 'checking…';
		r = await C.propose(file.path, ed.get(), msg.value || 'edit ' + file.path);
		save.disabled = false;
		status.textContent = '';
		show(r);
		if (r.ok) {
			location.hash = '#/reviews/' + r.review.id;
			C.toast('proposed as review ' + r.review.id + ' on ' + r.review.branch, 'ok');
		} else
			C.toast(r.error, 'bad');
	} }, 'Propose change');
	/* the served recipe stays: the server refuses to delete it */
	var del = file.recipe ? null : C.el('button', { type: 'button', class: 'danger', id: 'delete',
		title: 'propose a review that deletes this file', onclick: function () {
			proposeDelete(file, msg.value, del, problems);
		} }, 'Delete');
	C.editorOnly([check, save].concat(del ? [del] : []));
	work.appendChild(C.el('div', { class: 'card' },
		C.el('div', { class: 'editor-bar' }, C.el('span', { class: 'path mono' }, file.path),
			C.el('span', { class: 'badge' }, file.language), file.recipe ? C.badge('ok', 'the recipe') : null, status),
		box,
		C.el('div', { class: 'editor-bar', style: 'margin-top:10px' }, msg, check, save, del),
		problems));
	ed = C.editor(box, file.content, file.language);
	C.edit = ed;
	ed.onChange(function () {
		status.textContent = ed.get() === original ? '' : 'edited';
	});
});
