/*
 * graph.mjs: the graph page with a recipe of 300 targets in layers, with tags
 *
 *   node graph.mjs URL SCREENSHOT_DIR PROJECT_DIR
 *
 * PROJECT_DIR's recipes/clinic.yml is the recipe 'chacc serve' at URL
 * serves (tests/webtest.h writes it: proj_many_targets). Checks that every
 * target is drawn and the layout is quick, that Fit shows every target,
 * that the search finds a target deep in the graph and brings it into view
 * legibly, that a click lights exactly the target's upstream and
 * downstream (compared with the recipe's needs) and dims the rest, that a
 * drag pans without changing the selection, that the wheel zooms, that
 * grouping by tag and by layer puts every target in its group, that the
 * keyboard lights and opens a target, and that a phone finds one legibly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { log, open } from './lib.mjs';

const [url, shots, project] = process.argv.slice(2);
if (!url || !shots || !project) {
	console.error('usage: node graph.mjs URL SCREENSHOT_DIR PROJECT_DIR');
	process.exit(2);
}

/* the recipe's targets: name -> {needs, tags}, in the order written */
function recipeTargets(file) {
	const t = new Map();
	let cur = null, within = false;

	for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
		let m = /^ {2}- name: (\S+)$/.exec(line);

		within = /^\S/.test(line) ? line === 'targets:' : within;
		if (!within)
			continue;
		if (m) {
			cur = { name: m[1], needs: [], tags: [] };
			t.set(cur.name, cur);
			continue;
		}
		m = /^ {4}(needs|tags): \[(.*)\]$/.exec(line);
		if (m && cur)
			cur[m[1]] = m[2].split(',').map((s) => s.trim()).filter(Boolean);
	}
	return t;
}

function closure(start, next) {
	const seen = new Set(), stack = [start];

	while (stack.length)
		for (const y of next(stack.pop()) || [])
			if (!seen.has(y)) {
				seen.add(y);
				stack.push(y);
			}
	return seen;
}

const targets = recipeTargets(path.join(project, 'recipes/clinic.yml'));
const users = new Map([...targets.keys()].map((n) => [n, []]));
for (const t of targets.values())
	for (const d of t.needs)
		users.get(d).push(t.name);
const nedges = [...targets.values()].reduce((s, t) => s + t.needs.length, 0);
/* the layer of a target: its longest chain of needs */
const layerOf = new Map();
const layer = (n) => layerOf.get(n) ?? (layerOf.set(n, Math.max(0, ...targets.get(n).needs.map((d) => layer(d) + 1))),
	layerOf.get(n));
for (const n of targets.keys())
	layer(n);

const b = await open(url, shots);
const expect = b.expect;

/* the on-screen boxes of the nodes, the view and a few labels */
const geometry = () => b.page.evaluate(() => {
	const r = (el) => {
		const x = el.getBoundingClientRect();
		return { left: x.left, top: x.top, right: x.right, bottom: x.bottom, width: x.width, height: x.height };
	};
	const nodes = {};

	document.querySelectorAll('svg.graph g.node').forEach((g) => {
		nodes[g.dataset.target] = { rect: r(g.querySelector('rect')), label: r(g.querySelector('text')),
			cls: g.getAttribute('class'), opacity: +getComputedStyle(g).opacity };
	});
	return { view: r(document.querySelector('.graphview')), nodes };
});
const inside = (a, v, slack = 1) => a.left >= v.left - slack && a.right <= v.right + slack &&
	a.top >= v.top - slack && a.bottom <= v.bottom + slack;

await b.run(async (page) => {
	b.step = 'every target drawn';
	await expect(targets.size === 300, `the recipe has 300 targets (${targets.size})`);
	const t0 = Date.now();
	await page.goto(url + '#/graph');
	await page.waitForSelector('svg.graph g.node');
	log(`graph page drawn in ${Date.now() - t0} ms`);
	await expect(await page.locator('svg.graph g.node').count() === 300, 'three hundred nodes');
	await expect(await page.locator('svg.graph path.edge').count() === nedges, `${nedges} edges`);
	const ms = await page.evaluate(async () => {
		const g = await C.api('GET', '/api/graph'), t = performance.now();

		C.layout(g.nodes, '');
		C.layout(g.nodes, 'tag');
		C.layout(g.nodes, 'layer');
		return performance.now() - t;
	});
	log(`three layouts in ${Math.round(ms)} ms`);
	await expect(ms < 1500, `the layout takes ${Math.round(ms)} ms for three`);
	const tags = await page.evaluate(async () => (await C.api('GET', '/api/graph')).nodes.map((n) => [n.name, n.tags]));
	await expect(tags.every(([n, t]) => JSON.stringify(t) === JSON.stringify(targets.get(n)?.tags ?? null)) || false,
		'the API gives every target its tags');

	b.step = 'fit shows everything';
	await page.click('#zoom-in');
	await page.click('#zoom-in');
	await page.click('#zoom-fit');
	let geo = await geometry();
	const out = Object.keys(geo.nodes).filter((n) => !inside(geo.nodes[n].rect, geo.view));
	await expect(out.length === 0, `after Fit, ${out.length} targets are outside the view: ${out.slice(0, 3)}`);
	await expect(geo.nodes[targets.keys().next().value].label.height < 11, 'fit zooms out (labels small)');
	await b.shot('graph300-fit.png');

	b.step = 'the wheel zooms';
	const level = async () => parseInt(await page.textContent('#zoom-level'), 10);
	const before = await level();
	await page.mouse.move(geo.view.left + geo.view.width / 2, geo.view.top + geo.view.height / 2);
	await page.mouse.wheel(0, -300);
	await page.waitForFunction((l) => parseInt(document.querySelector('#zoom-level').textContent, 10) > l, before);
	await page.click('#zoom-fit');

	b.step = 'search finds a target deep in the graph';
	const deep = [...targets.keys()].filter((n) => layer(n) === 11)[17];
	await page.fill('#graph-search', deep.slice(0, -1));
	await expect(await page.locator('svg.graph g.node.match').count() >= 1, 'typing marks the matches');
	await page.fill('#graph-search', deep);
	await page.press('#graph-search', 'Enter');
	await page.waitForSelector(`svg.graph g.node.selected[data-target="${deep}"]`);
	geo = await geometry();
	await expect(inside(geo.nodes[deep].rect, geo.view), 'the found target is in view');
	await expect(geo.nodes[deep].label.height >= 11, `its label is legible (${geo.nodes[deep].label.height}px tall)`);
	await expect((await page.textContent('#graph-info')).includes(deep), 'the line above names it');
	await page.fill('#graph-search', 'no_such_target_anywhere');
	await page.press('#graph-search', 'Enter');
	await page.waitForSelector('#graph-search.nomatch');

	b.step = 'a click lights the lineage';
	const mid = [...targets.keys()].filter((n) => layer(n) === 5)[3];
	const up = closure(mid, (n) => targets.get(n).needs), down = closure(mid, (n) => users.get(n));
	await page.fill('#graph-search', mid);
	await page.press('#graph-search', 'Enter');
	await page.click('#zoom-fit');
	await page.click('#graph-clear');
	await expect(await page.locator('svg.graph g.node.lit').count() === 0, 'Clear lights nothing');
	await page.locator(`svg.graph g.node[data-target="${mid}"]`).click();
	await page.waitForSelector(`svg.graph g.node.selected[data-target="${mid}"]`);
	geo = await geometry();
	const lit = new Set(Object.keys(geo.nodes).filter((n) => /\blit\b/.test(geo.nodes[n].cls)));
	const want = new Set([mid, ...up, ...down]);
	const extra = [...lit].filter((n) => !want.has(n)), missing = [...want].filter((n) => !lit.has(n));
	await expect(!extra.length && !missing.length, `lit: ${extra.length} too many (${extra.slice(0, 3)}),` +
		` ${missing.length} missing (${missing.slice(0, 3)})`);
	await expect([...up].every((n) => /\bup\b/.test(geo.nodes[n].cls)) &&
		[...down].every((n) => /\bdown\b/.test(geo.nodes[n].cls)), 'upstream and downstream told apart');
	const dim = Object.keys(geo.nodes).filter((n) => !want.has(n));
	await expect(dim.every((n) => geo.nodes[n].opacity < 0.5), 'the rest is dimmed');
	await expect(geo.nodes[mid].opacity === 1, 'the lineage is not');
	const litEdges = await page.locator('svg.graph path.edge.lit').count();
	const upS = new Set([mid, ...up]), downS = new Set([mid, ...down]);
	let wantEdges = 0;
	for (const t of targets.values())
		for (const d of t.needs)
			if ((upS.has(d) && upS.has(t.name)) || (downS.has(d) && downS.has(t.name)))
				wantEdges++;
	await expect(litEdges === wantEdges, `${litEdges} edges lit, want ${wantEdges}`);
	await expect((await page.textContent('#graph-info')).includes(`${up.size} upstream, ${down.size} downstream`),
		'the line above counts them');
	await b.shot('graph300-lineage.png');

	b.step = 'a drag pans and keeps the selection';
	const tf = () => page.getAttribute('svg.graph g.view', 'transform');
	const t1 = await tf();
	geo = await geometry();
	await page.mouse.move(geo.view.left + 30, geo.view.top + 30);
	await page.mouse.down();
	await page.mouse.move(geo.view.left + 90, geo.view.top + 70, { steps: 5 });
	await page.mouse.up();
	const t2 = await tf();
	const tr = (s) => /translate\(([-\d.e]+)[ ,]+([-\d.e]+)\)/.exec(s).slice(1).map(Number);
	await expect(Math.abs(tr(t2)[0] - tr(t1)[0] - 60) < 2 && Math.abs(tr(t2)[1] - tr(t1)[1] - 40) < 2,
		`moved with the mouse: ${t1} -> ${t2}`);
	await expect(await page.locator(`svg.graph g.node.selected[data-target="${mid}"]`).count() === 1,
		'a drag is no click');
	await page.keyboard.press('Escape');
	await expect(await page.locator('svg.graph.lineage').count() === 0, 'Escape clears the lineage');

	b.step = 'grouped by tag';
	await page.selectOption('#graph-group', 'tag');
	await page.waitForSelector('svg.graph g.band');
	const firstTags = new Set([...targets.values()].map((t) => t.tags[0]));
	await expect(await page.locator('svg.graph g.band').count() === firstTags.size, `${firstTags.size} tag bands`);
	await expect(await page.locator('#graph-groups button.chip').count() === firstTags.size, 'a chip per tag');
	const placed = await page.evaluate(() => {
		const box = (el) => ['x', 'y', 'width', 'height'].map((a) => +el.getAttribute(a));
		const bands = {};

		document.querySelectorAll('svg.graph g.band').forEach((g) => { bands[g.dataset.group] = box(g.querySelector('rect')); });
		return { bands, nodes: [...document.querySelectorAll('svg.graph g.node')].map((g) =>
			[g.dataset.target, g.dataset.layer, box(g.querySelector('rect'))]) };
	});
	const within = ([x, y, w, h], [bx, by, bw, bh]) => x >= bx && y >= by && x + w <= bx + bw && y + h <= by + bh;
	const astray = placed.nodes.filter(([n, , r]) => !within(r, placed.bands[targets.get(n).tags[0]] || [0, 0, 0, 0]));
	await expect(placed.nodes.length === 300 && astray.length === 0,
		`every target in its tag's band (${astray.length} astray: ${astray.slice(0, 3).map((a) => a[0])})`);
	await page.click('#zoom-fit');
	geo = await geometry();
	await expect(Object.values(geo.nodes).every((n) => inside(n.rect, geo.view)), 'Fit shows every band');
	await b.shot('graph300-tags.png');
	await page.click('#graph-groups button.chip[data-group="lab"]');
	geo = await geometry();
	const labs = [...targets.values()].filter((t) => t.tags[0] === 'lab').map((t) => t.name);
	await expect(labs.every((n) => inside(geo.nodes[n].rect, geo.view)), 'a chip shows its group whole');

	b.step = 'grouped by layer';
	await page.selectOption('#graph-group', 'layer');
	await page.waitForSelector('svg.graph g.band[data-group="layer 12"]');
	const cols = await page.evaluate(() => {
		const box = (el) => ['x', 'y', 'width', 'height'].map((a) => +el.getAttribute(a));
		const bands = {};

		document.querySelectorAll('svg.graph g.band').forEach((g) => { bands[g.dataset.group] = box(g.querySelector('rect')); });
		return { bands, nodes: [...document.querySelectorAll('svg.graph g.node')].map((g) =>
			[g.dataset.target, g.dataset.layer, box(g.querySelector('rect'))]) };
	});
	await expect(Object.keys(cols.bands).length === 12, `twelve layers (${Object.keys(cols.bands).length})`);
	const wrong = cols.nodes.filter(([n, l, r]) => +l !== layer(n) + 1 || !within(r, cols.bands['layer ' + l]));
	await expect(wrong.length === 0, `every target in its layer's column (${wrong.length} not)`);
	await page.selectOption('#graph-group', '');
	await expect(await page.locator('svg.graph g.band').count() === 0, 'no groups again');

	b.step = 'the keyboard';
	await page.focus(`svg.graph g.node[data-target="${mid}"]`);
	await page.keyboard.press(' ');
	await page.waitForSelector(`svg.graph g.node.selected[data-target="${mid}"]`);
	await page.keyboard.press('Enter');
	await page.waitForFunction((n) => location.hash === '#/target/' + n, mid);
	await page.waitForSelector('text=Why it would rebuild');
	await expect((await page.textContent('main')).includes(targets.get(mid).tags.join(', ')), 'its page shows its tags');

	b.step = 'a phone';
	await page.setViewportSize({ width: 390, height: 844 });
	await page.goto(url + '#/graph');
	await page.waitForSelector('svg.graph g.node');
	const wide = await page.evaluate(() => document.documentElement.scrollWidth);
	await expect(wide <= 392, `no sideways scrolling on a phone (page ${wide}px wide)`);
	await page.fill('#graph-search', deep);
	await page.press('#graph-search', 'Enter');
	geo = await geometry();
	await expect(inside(geo.nodes[deep].rect, geo.view) && geo.nodes[deep].label.height >= 11,
		'found and legible on a phone');
	await b.shot('graph300-phone.png');
});
