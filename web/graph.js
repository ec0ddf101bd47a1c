/* graph.js: the DAG drawn as a layered picture that zooms, pans and finds, and a target's page */
'use strict';

/*
 * A layered layout (Sugiyama-style): a node's layer is the longest path of
 * needs below it, so edges go left to right. An edge that spans layers runs
 * through a point in each layer between, placed like a node, so that it
 * passes between nodes, never behind one. Nodes in a layer are ordered by
 * the mean place of their neighbours, sweeping both ways a few times to cut
 * crossings; then each layer is centred. Grouped by tag, each tag (a
 * target's first) is a horizontal band of its own across the layers; grouped
 * by layer, each layer is a titled column.
 */
/* the layout's nodes, each in its layer, and its edges through a passing point in each layer between */
function layoutNodes(nodes, by) {
	var byName = {}, all = [], real, edges = [];

	nodes.forEach(function (src, k) {
		var sub = src.kind + ' · ' + src.state + (src.rows !== undefined && src.rows !== null ?
			' · ' + C.fmtRows(src.rows) + ' rows' : '');
		var n = { name: src.name, src: src, order: k, needs: src.needs || [], lneeds: [], lusers: [], h: 50, sub: sub,
			w: Math.max(150, Math.min(340, 28 + Math.max(8.4 * src.name.length, 6.6 * sub.length))),
			group: by === 'tag' && src.tags && src.tags.length ? src.tags[0] : '' };

		byName[n.name] = n;
		all.push(n);
	});
	real = all.slice();
	function depth(n) {
		if (n.layer === undefined) {
			n.layer = -1;    /* a cycle (the server refuses them) stops here */
			n.layer = n.needs.reduce(function (l, d) {
				return byName[d] ? Math.max(l, depth(byName[d]) + 1) : l;
			}, 0);
		}
		return Math.max(n.layer, 0);
	}
	real.forEach(depth);
	real.forEach(function (n) {
		n.needs.forEach(function (d) {
			var a = byName[d], prev = a, chain = [a], k, dm;

			if (!a)
				return;
			for (k = a.layer + 1; k < n.layer; k++) {
				dm = { name: '\u0000' + all.length, dummy: true, layer: k, w: 0, h: 2, order: a.order + 0.5,
					group: n.group, lneeds: [prev.name], lusers: [] };
				prev.lusers.push(dm.name);
				all.push(dm);
				chain.push(dm);
				prev = dm;
			}
			prev.lusers.push(n.name);
			n.lneeds.push(prev.name);
			chain.push(n);
			edges.push({ from: a.name, to: n.name, chain: chain });
		});
	});
	return { real: real, all: all, edges: edges };
}

/* the layers, each in the order of its groups, then by the mean place of neighbours (sweeps both ways) */
function layoutOrder(all, rank) {
	var layers = [], pos = {}, i, sweep, down;

	all.forEach(function (n) {
		(layers[n.layer] = layers[n.layer] || []).push(n);
	});
	layers = layers.filter(Boolean);
	function sortLayer(l, key) {
		l.sort(function (a, b) { return rank[a.group] - rank[b.group] || (key ? a.key - b.key : 0) || a.order - b.order; });
		l.forEach(function (n, k) { pos[n.name] = k; });
	}
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
	layers.forEach(function (l) { sortLayer(l, false); });
	for (sweep = 0; sweep < 8; sweep++) {
		down = sweep % 2 === 0;
		for (i = down ? 1 : layers.length - 2; down ? i < layers.length : i >= 0; i += down ? 1 : -1) {
			layers[i].forEach(function (n) { n.key = bary(n, down ? 'lneeds' : 'lusers'); });
			sortLayer(layers[i], true);
		}
	}
	return layers;
}

/* heights: a node and its gap, a passing edge takes little room */
function layoutGap(a, b) {
	return a.dummy || b.dummy ? 12 : 22;
}

function layoutHeight(l) {
	var h = 0;

	l.forEach(function (n, k) { h += n.h + (k ? layoutGap(l[k - 1], n) : 0); });
	return h;
}

/* x and y of every node: layers are columns; grouped by tag, each tag is a band across them */
function layoutPlace(layers, groups, by, L) {
	var gapX = 80, head = 34, x = 20, y = 20 + (by === 'layer' ? head : 0), columns = [];

	layers.forEach(function (l, k) {
		var colW = Math.max.apply(null, l.map(function (n) { return n.w; }).concat([60]));

		columns.push({ name: 'layer ' + (k + 1), x: x, w: colW, count: l.filter(function (n) { return !n.dummy; }).length });
		/* a passing edge crosses the whole column, level */
		l.forEach(function (n) {
			if (n.dummy)
				n.w = colW;
			n.x = x + (colW - n.w) / 2;
		});
		x += colW + gapX;
	});
	groups.forEach(function (gr) {
		var parts = layers.map(function (l) { return l.filter(function (n) { return n.group === gr; }); });
		var bandH = Math.max.apply(null, parts.map(layoutHeight)), top = y + (by === 'tag' ? head : 0);

		parts.forEach(function (p) {
			var yy = top + (bandH - layoutHeight(p)) / 2;

			p.forEach(function (n, k) {
				if (k)
					yy += layoutGap(p[k - 1], n);
				n.y = yy;
				yy += n.h;
			});
		});
		if (by === 'tag')
			L.bands.push({ name: gr, label: gr || 'no tag', y: y, h: top + bandH + 14 - y,
				count: L.nodes.filter(function (n) { return n.group === gr; }).length });
		y = top + bandH + (by === 'tag' ? 34 : 0);
	});
	y -= by === 'tag' ? 20 : 0;
	columns.forEach(function (c) {
		c.y = 20;
		c.h = y - 20;
	});
	L.columns = by === 'layer' ? columns : [];
	L.width = x - gapX + 20;
	L.height = y + 20;
}

C.layout = function (nodes, by) {
	var a = layoutNodes(nodes, by), rank = {}, groups;
	var L = { nodes: a.real, edges: a.edges, bands: [], by: by || '' };

	/* groups in name order, the untagged last */
	a.real.forEach(function (n) { rank[n.group] = 0; });
	groups = Object.keys(rank).sort(function (x, y) {
		return (x === '') - (y === '') || (x < y ? -1 : x > y ? 1 : 0);
	});
	groups.forEach(function (gr, k) { rank[gr] = k; });
	layoutPlace(layoutOrder(a.all, rank), groups, by, L);
	return L;
};

/* what a drawn graph shows: bands or columns of groups, edges, nodes */
C.drawGraph = function (L) {
	var frame = C.svg('g', { class: 'groups' }), lines = C.svg('g', { class: 'edges' });
	var boxes = C.svg('g', { class: 'nodes' });

	L.bands.forEach(function (b) {
		frame.appendChild(C.svg('g', { class: 'band', 'data-group': b.name },
			C.svg('rect', { x: 6, y: b.y, width: L.width - 12, height: b.h, rx: 12 }),
			C.svg('text', { x: 20, y: b.y + 23 }, b.label + ' · ' + b.count)));
	});
	L.columns.forEach(function (c) {
		frame.appendChild(C.svg('g', { class: 'band', 'data-group': c.name },
			C.svg('rect', { x: c.x - 12, y: c.y - 8, width: c.w + 24, height: c.h + 16, rx: 12 }),
			C.svg('text', { x: c.x, y: c.y + 17 }, c.name + ' · ' + c.count)));
	});
	/* each edge: curves from point to point, level where they meet a node or a passing point */
	L.edges.forEach(function (e) {
		var a = e.chain[0], x1 = a.x + a.w, y1 = a.y + a.h / 2, d = 'M' + x1 + ' ' + y1;

		e.chain.slice(1).forEach(function (q) {
			var x2 = q.dummy ? q.x : q.x - 2, y2 = q.y + q.h / 2, mx = (x1 + x2) / 2;

			d += 'C' + mx + ' ' + y1 + ' ' + mx + ' ' + y2 + ' ' + x2 + ' ' + y2;
			if (q.dummy)
				d += 'L' + (q.x + q.w) + ' ' + y2;
			x1 = q.x + q.w;
			y1 = y2;
		});
		e.el = C.svg('path', { class: 'edge', 'marker-end': 'url(#arrow)', d: d, 'data-from': e.from, 'data-to': e.to });
		lines.appendChild(e.el);
	});
	L.nodes.forEach(function (n) {
		var s = n.src;

		n.el = C.svg('g', { class: 'node st-' + C.slug(s.state), tabindex: 0, role: 'button',
			'data-target': n.name, 'data-layer': n.layer + 1, 'aria-label': n.name + ': ' + s.state },
		C.svg('title', null, n.name + '\n' + n.sub + (s.tags && s.tags.length ? '\ntags: ' + s.tags.join(', ') : '') +
			(s.reason ? '\nwould rebuild: ' + s.reason : '') + '\nclick: its lineage; double-click: its page'),
		C.svg('rect', { x: n.x, y: n.y, width: n.w, height: n.h, rx: 9 }),
		C.svg('text', { x: n.x + 12, y: n.y + 21, class: 'name' }, n.name),
		C.svg('text', { x: n.x + 12, y: n.y + 38, class: 'small' }, n.sub));
		boxes.appendChild(n.el);
	});
	return [frame, lines, boxes];
};

/* the colours of states (nodes) or, solid, of outcomes (timeline bars) */
C.legend = function (states, solid) {
	return C.el('div', { class: 'legend' }, states.map(function (s) {
		return C.el('span', null, C.el('i', { class: (solid ? 'solid-' : '') + C.slug(s) }), s);
	}));
};

/* the names reached from name through next (needs or users), name itself not */
function reach(name, next) {
	var seen = {}, stack = [name], x;

	while (stack.length) {
		x = stack.pop();
		(next[x] || []).forEach(function (y) {
			if (!seen[y]) {
				seen[y] = true;
				stack.push(y);
			}
		});
	}
	delete seen[name];
	return seen;
}

/* the best match of a search: the name itself, else one starting so, else one holding it */
C.graphFind = function (names, q) {
	var lq = q.trim().toLowerCase(), hit;

	if (!lq)
		return null;
	[function (n) { return n.toLowerCase() === lq; }, function (n) { return n.toLowerCase().indexOf(lq) === 0; },
		function (n) { return n.toLowerCase().indexOf(lq) >= 0; }].some(function (f) {
		hit = names.filter(f).sort(function (a, b) { return a.length - b.length || (a < b ? -1 : 1); })[0];
		return hit !== undefined;
	});
	return hit || null;
};

/* zoom and place: (k, tx, ty) maps the graph into the box */
function graphZoom(v) {
	var box = v.box;

	v.apply = function () {
		v.view.setAttribute('transform', 'translate(' + v.tx + ' ' + v.ty + ') scale(' + v.k + ')');
		v.svg.classList.toggle('far', v.k < 0.5);
		v.onZoom(v.k);
	};
	/* zoom to k keeping the point (px, py) of the box where it is */
	v.zoomAt = function (k, px, py) {
		var least = Math.min(0.5, 0.6 * Math.min(box.clientWidth / v.L.width, box.clientHeight / v.L.height));

		k = Math.max(least, Math.min(3, k));
		if (px === undefined) {
			px = box.clientWidth / 2;
			py = box.clientHeight / 2;
		}
		v.tx = px - (px - v.tx) * k / v.k;
		v.ty = py - (py - v.ty) * k / v.k;
		v.k = k;
		v.apply();
	};
	/* show a rectangle of the graph whole, at most at k */
	v.show = function (x, y, w, h, most) {
		var bw = box.clientWidth, bh = box.clientHeight;

		v.k = Math.min((bw - 24) / w, (bh - 24) / h, most);
		v.tx = (bw - w * v.k) / 2 - x * v.k;
		v.ty = (bh - h * v.k) / 2 - y * v.k;
		v.apply();
	};
	v.fit = function () {
		v.show(0, 0, v.L.width, v.L.height, 1);
	};
	/* centre a target, near enough that its name reads */
	v.focus = function (name) {
		var n = v.L.nodes.filter(function (x) { return x.name === name; })[0];

		if (!n)
			return;
		v.k = Math.max(v.k, Math.min(1.2, (box.clientWidth - 16) / n.w));
		v.tx = box.clientWidth / 2 - (n.x + n.w / 2) * v.k;
		v.ty = box.clientHeight / 2 - (n.y + n.h / 2) * v.k;
		v.apply();
	};
}

/* a target's lineage lit, the rest dimmed; what a search matches */
function graphLineage(v, info) {
	v.select = function (name) {
		var up = name ? reach(name, v.needsOf) : {}, down = name ? reach(name, v.usersOf) : {};
		var self = {}, lit = [];

		v.sel = name;
		self[name] = true;
		v.svg.classList.toggle('lineage', !!name);
		v.L.nodes.forEach(function (n) {
			var cl = n.el.classList;

			cl.toggle('selected', n.name === name);
			cl.toggle('up', !!up[n.name]);
			cl.toggle('down', !!down[n.name]);
			cl.toggle('lit', n.name === name || !!up[n.name] || !!down[n.name]);
		});
		/* an edge is lit when it is on a way through the target */
		v.L.edges.forEach(function (e) {
			var on = !!(name && (((up[e.from] || self[e.from]) && (up[e.to] || self[e.to])) ||
				((down[e.from] || self[e.from]) && (down[e.to] || self[e.to]))));

			e.el.classList.toggle('lit', on);
			e.el.setAttribute('marker-end', on ? 'url(#arrow-lit)' : 'url(#arrow)');
			if (on)
				lit.push(e.el);
		});
		/* the lineage drawn over the rest */
		lit.forEach(function (el) { el.parentNode.appendChild(el); });
		info(name && { name: name, up: Object.keys(up).length, down: Object.keys(down).length,
			node: v.g.nodes.filter(function (n) { return n.name === name; })[0] });
	};
	v.mark = function (q) {
		var lq = q.trim().toLowerCase();

		v.L.nodes.forEach(function (n) {
			n.el.classList.toggle('match', !!lq && n.name.toLowerCase().indexOf(lq) >= 0);
		});
	};
	v.find = function (q) {
		var hit = C.graphFind(v.names, q);

		if (hit) {
			v.select(hit);
			v.focus(hit);
		}
		return hit;
	};
}

/* drawn again grouped by tag, by layer or not; a group shown whole */
function graphGroups(v) {
	v.group = function (by) {
		v.by = by || '';
		v.L = C.layout(v.g.nodes, v.by);
		v.view.replaceChildren.apply(v.view, C.drawGraph(v.L));
		v.box.style.height = Math.round(Math.max(260, Math.min(v.L.height + 24, window.innerHeight - 250))) + 'px';
		if (v.sel)
			v.select(v.sel);
	};
	v.groups = function () {
		return v.by === 'tag' ? v.L.bands : v.L.columns;
	};
	v.showGroup = function (name) {
		var b = v.groups().filter(function (x) { return x.name === name; })[0];

		if (b)
			v.show(b.x === undefined ? 0 : b.x - 12, b.y - 8, b.w === undefined ? v.L.width : b.w + 24, b.h + 16, 1.2);
	};
}

/* the target an event is on, or null */
function graphTarget(e) {
	var node = e.target.closest && e.target.closest('g.node');

	return node ? node.getAttribute('data-target') : null;
}

/* wheel and pinch zoom, a drag pans; a click (not a drag) selects, a double click opens */
function graphPointer(v) {
	var box = v.box, pts = {}, press = null, pinch = null, moved = false;

	function at(e) {
		var r = box.getBoundingClientRect();

		return { x: e.clientX - r.left, y: e.clientY - r.top };
	}
	box.addEventListener('wheel', function (e) {
		var p = at(e);

		e.preventDefault();
		v.zoomAt(v.k * Math.exp(-e.deltaY * (e.deltaMode ? 0.05 : 0.002)), p.x, p.y);
	}, { passive: false });
	box.addEventListener('pointerdown', function (e) {
		if (e.pointerType !== 'mouse' || e.button === 0) {
			pts[e.pointerId] = at(e);
			press = { x: e.clientX, y: e.clientY, tx: v.tx, ty: v.ty };
			moved = false;
		}
	});
	box.addEventListener('pointermove', function (e) {
		var ids = Object.keys(pts), a, b, d, mid;

		if (!pts[e.pointerId])
			return;
		pts[e.pointerId] = at(e);
		if (ids.length >= 2) {
			a = pts[ids[0]];
			b = pts[ids[1]];
			d = Math.hypot(a.x - b.x, a.y - b.y);
			mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
			if (pinch && pinch.d > 0) {
				v.tx += mid.x - pinch.mid.x;
				v.ty += mid.y - pinch.mid.y;
				v.zoomAt(v.k * d / pinch.d, mid.x, mid.y);
			}
			pinch = { d: d, mid: mid };
			press = null;
			moved = true;
		} else if (press && (moved || Math.hypot(e.clientX - press.x, e.clientY - press.y) >= 5)) {
			if (!moved)
				box.setPointerCapture(e.pointerId);
			moved = true;
			box.classList.add('panning');
			v.tx = press.tx + e.clientX - press.x;
			v.ty = press.ty + e.clientY - press.y;
			v.apply();
		}
	});
	function up(e) {
		delete pts[e.pointerId];
		pinch = null;
		if (!Object.keys(pts).length) {
			press = null;
			box.classList.remove('panning');
		}
	}
	box.addEventListener('pointerup', up);
	box.addEventListener('pointercancel', up);
	box.addEventListener('click', function (e) {
		if (!moved)
			v.select(graphTarget(e));
		moved = false;
	});
	box.addEventListener('dblclick', function (e) {
		if (graphTarget(e))
			v.open(graphTarget(e));
	});
}

/* Enter opens the focused target, space lights its lineage; + - 0 zoom; Escape lights nothing */
function graphKeys(v) {
	v.box.addEventListener('keydown', function (e) {
		var name = graphTarget(e);

		if (name && e.key === 'Enter')
			v.open(name);
		else if (name && e.key === ' ')
			v.select(name);
		else if (e.key === '+' || e.key === '=')
			v.zoomAt(v.k * 1.25);
		else if (e.key === '-')
			v.zoomAt(v.k / 1.25);
		else if (e.key === '0')
			v.fit();
		else if (e.key === 'Escape')
			v.select(null);
		else
			return;
		e.preventDefault();
	});
	/* a target reached with Tab comes into view */
	v.box.addEventListener('focusin', function (e) {
		var name = graphTarget(e), r = e.target.getBoundingClientRect(), b = v.box.getBoundingClientRect();

		if (name && e.target.matches(':focus-visible') && (r.left < b.left || r.right > b.right || r.top < b.top || r.bottom > b.bottom))
			v.focus(name);
	});
}

/*
 * The graph in a box that zooms (wheel, pinch, buttons, + - 0 keys) and pans
 * (drag); a click on a target lights its lineage, everything upstream and
 * downstream, and dims the rest; a double click or Enter opens its page.
 * info(s) is told what is lit: null or {name, node, up, down}.
 */
C.graphView = function (g, info) {
	var v = { g: g, k: 1, tx: 0, ty: 0, sel: null, L: null, by: '', needsOf: {}, usersOf: {},
		names: g.nodes.map(function (n) { return n.name; }), onZoom: function () {} };

	v.view = C.svg('g', { class: 'view' });
	v.svg = C.svg('svg', { class: 'graph', role: 'group', 'aria-label': 'dependency graph of ' + g.nodes.length + ' targets' },
		C.svg('defs', null, ['arrow', 'arrow-lit'].map(function (id) {
			return C.svg('marker', { id: id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
				orient: 'auto-start-reverse' }, C.svg('path', { d: 'M0 0L10 5L0 10z' }));
		})), v.view);
	v.box = C.el('div', { class: 'graphview', tabindex: -1 }, v.svg);
	v.open = function (name) {
		location.hash = '#/target/' + encodeURIComponent(name);
	};
	g.nodes.forEach(function (n) {
		v.needsOf[n.name] = [];
		v.usersOf[n.name] = [];
	});
	g.nodes.forEach(function (n) {
		(n.needs || []).forEach(function (d) {
			if (v.usersOf[d]) {
				v.needsOf[n.name].push(d);
				v.usersOf[d].push(n.name);
			}
		});
	});
	graphZoom(v);
	graphLineage(v, info);
	graphGroups(v);
	graphPointer(v);
	graphKeys(v);
	v.group('');
	return v;
};

/* the line above the graph: what is lit, or how to use it */
function graphInfo(el, v) {
	return function (s) {
		if (!s) {
			el.replaceChildren(C.el('span', { class: 'muted' }, 'Click a target for its lineage, double-click to open it.' +
				' Drag to move, wheel or pinch to zoom.'));
			return;
		}
		el.replaceChildren(C.el('b', null, s.name), C.badge(s.node.state),
			C.el('span', { class: 'muted' }, s.up + ' upstream, ' + s.down + ' downstream'),
			C.el('span', { class: 'spacer' }),
			C.el('a', { class: 'btn small', href: '#/target/' + encodeURIComponent(s.name), id: 'graph-open' }, 'Open'),
			C.el('button', { type: 'button', class: 'small', id: 'graph-clear', onclick: function () { v().select(null); } },
				'Clear'));
	};
}

/* the chips of the groups: a click shows the group */
function groupChips(el, v) {
	var gs = v.by ? v.groups() : [];

	el.replaceChildren.apply(el, gs.map(function (b) {
		return C.el('button', { type: 'button', class: 'chip', 'data-group': b.name, onclick: function () { v.showGroup(b.name); } },
			(b.label || b.name) + ' ', C.el('span', { class: 'muted' }, String(b.count)));
	}));
	el.hidden = !gs.length;
}

C.route(/^\/graph$/, 'graph', async function (main, m, current) {
	var g = await C.api('GET', '/api/graph'), v = null;
	var infoEl = C.el('div', { class: 'graphinfo row', id: 'graph-info', 'aria-live': 'polite' });
	var chips = C.el('div', { class: 'chips', id: 'graph-groups', hidden: true });
	var level = C.el('span', { class: 'zoomlevel', id: 'zoom-level' }, '100%');
	var search = C.el('input', { type: 'search', id: 'graph-search', placeholder: 'Find a target', list: 'graph-names',
		'aria-label': 'find a target', autocomplete: 'off' });
	var group = C.el('select', { id: 'graph-group', 'aria-label': 'group the targets' },
		C.el('option', { value: '' }, 'no groups'), C.el('option', { value: 'tag' }, 'group by tag'),
		C.el('option', { value: 'layer' }, 'group by layer'));
	var zoom = function (f) { return function () { v.zoomAt(v.k * f); }; };

	if (!current())
		return;
	C.setRecipe(g.recipe);
	main.appendChild(C.el('div', { class: 'pagehead' }, C.el('h1', { class: 'grow' }, 'Graph'),
		C.legend(['ok', 'out of date', 'failed', 'missing'])));
	if (g.error)
		main.appendChild(C.banner('states unknown: ' + g.error));
	if (!g.nodes.length) {
		main.appendChild(C.el('div', { class: 'card' }, C.el('div', { class: 'empty' }, 'the recipe has no targets')));
		return;
	}
	v = C.graphView(g, graphInfo(infoEl, function () { return v; }));
	v.onZoom = function (k) { level.textContent = Math.round(k * 100) + '%'; };
	search.addEventListener('input', function () {
		var exact = g.nodes.some(function (n) { return n.name === search.value; });

		search.classList.remove('nomatch');
		v.mark(search.value);
		if (exact)
			v.find(search.value);
	});
	search.addEventListener('keydown', function (e) {
		if (e.key !== 'Enter')
			return;
		e.preventDefault();
		search.classList.toggle('nomatch', !v.find(search.value));
	});
	group.addEventListener('change', function () {
		v.group(group.value);
		groupChips(chips, v);
		v.fit();
	});
	main.appendChild(C.el('div', { class: 'graphbar row' }, search,
		C.el('datalist', { id: 'graph-names' }, g.nodes.map(function (n) { return C.el('option', { value: n.name }); })),
		group, C.el('span', { class: 'spacer' }),
		C.el('div', { class: 'zoom row', role: 'group', 'aria-label': 'zoom' },
			C.el('button', { type: 'button', id: 'zoom-out', title: 'zoom out (-)', 'aria-label': 'zoom out', onclick: zoom(1 / 1.25) }, '\u2212'),
			level,
			C.el('button', { type: 'button', id: 'zoom-in', title: 'zoom in (+)', 'aria-label': 'zoom in', onclick: zoom(1.25) }, '+'),
			C.el('button', { type: 'button', id: 'zoom-fit', title: 'fit to the screen (0)', onclick: function () { v.fit(); } }, 'Fit'))));
	main.appendChild(chips);
	main.appendChild(infoEl);
	main.appendChild(C.el('div', { class: 'card graphwrap', id: 'graph' }, v.box));
	main.appendChild(C.el('p', { class: 'muted' }, 'Needs on the left, the targets built from them on the right.'));
	v.select(null);
	v.fit();
	C.graph = v;
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
			['tags', (t.tags || []).join(', ') || null],
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
	C.sitesSection(main, t);
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
	C.qualitySections(main, t.name, current);
});
