/*
 * live.mjs: the web UI follows builds started elsewhere, without a reload
 *
 *   node live.mjs URL SCREENSHOT_DIR PROJECT_DIR [CHACC_BIN]
 *
 * URL is a 'chacc serve' of a fresh clinic project in PROJECT_DIR (tests/
 * check_browser.c makes one) whose people_visits takes a few seconds. With
 * the dashboard open, 'chacc build' runs from the command line: the page
 * shows people_visits building (and visit_counts, which needs it, not yet),
 * then every target built with the rows of its table, in the live panel and
 * the table alike; a forced incremental extract that reads no new rows still
 * shows the rows of its table. The graph and the history follow later command
 * line builds too. CHACC_BIN defaults to $CHACC_BIN (tests/run sets it).
 * Exits non-zero on the first failed step.
 */
import { spawn } from 'node:child_process';
import { log, open } from './lib.mjs';

const [url, shots, project, chacc = process.env.CHACC_BIN] = process.argv.slice(2);
if (!url || !shots || !project || !chacc) {
	console.error('usage: node live.mjs URL SCREENSHOT_DIR PROJECT_DIR [CHACC_BIN]');
	process.exit(2);
}
const b = await open(url, shots);
const expect = b.expect;

/* chacc ARGS in the project, as cron or a user would run it; resolves to its exit status and output */
function cli(...args) {
	const p = spawn(chacc, ['-f', 'recipes/clinic.yml', ...args], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';

	p.stdout.on('data', (d) => { out += d; });
	p.stderr.on('data', (d) => { out += d; });
	return new Promise((resolve) => p.on('close', (code) => resolve({ code, out })));
}

/* the rows the live panel and the table show for a target */
async function rows(page, sel, target) {
	return page.evaluate(([s, t]) => {
		const li = document.querySelector(`${s} .steps li[data-target="${t}"] .num`);
		const td = document.querySelector(`tr[data-target="${t}"] td[data-label="Rows"]`);
		return [li ? li.textContent : null, td ? td.textContent : null];
	}, [sel, target]);
}

await b.run(async (page) => {
	b.step = 'dashboard';
	await page.goto(url);
	await page.waitForSelector('tr[data-target="people"]');
	await page.waitForSelector('#live.on');
	await page.evaluate(() => { window.notReloaded = true; });

	b.step = 'a build from the command line, seen building';
	const first = cli('build');
	await page.waitForSelector('.runbox[data-state="running"]', { timeout: 30000 });
	await page.waitForSelector('.steps li[data-target="people_visits"][data-state="building"]', { timeout: 30000 });
	await expect(await page.locator('.steps li[data-target="visit_counts"][data-state="building"]').count() === 0,
		'visit_counts is not building while it waits for people_visits');
	await page.waitForSelector('tr[data-target="people_visits"][data-state="building"]', { timeout: 10000 });
	await expect(await page.locator('tr[data-target="visit_counts"][data-state="building"]').count() === 0,
		'the table does not show visit_counts building while it waits');
	await b.shot('live-building.png');
	const r1 = await first;
	await expect(r1.code === 0, `chacc build: exit ${r1.code}\n${r1.out}`);

	b.step = 'built, with the rows of each table';
	await page.waitForSelector('.runbox[data-state="done"]', { timeout: 30000 });
	const run1 = await page.getAttribute('.runbox[data-state="done"]', 'data-run');
	const box1 = `.runbox[data-run="${run1}"]`;
	await page.waitForFunction((s) => document.querySelectorAll(`${s} .steps li[data-state="built"]`).length === 4, box1);
	await page.waitForFunction(() => document.querySelectorAll('tr[data-state="ok"]').length === 4);
	for (const [t, n] of [['people', '3'], ['visits', '3'], ['people_visits', '3'], ['visit_counts', '2']]) {
		await page.waitForFunction(([s, x]) => document.querySelector(`${s} .steps li[data-target="${x}"] .num`)
			?.dataset.rows !== '', [box1, t]);
		const [panel, table] = await rows(page, box1, t);
		await expect(panel === `${n} rows` && table === n, `${t}: the live panel says '${panel}', the table '${table}'`);
	}
	await expect((await page.textContent(box1)).includes(r1.out.match(/run (\d+)/)?.[1] ?? run1), 'the run is named');
	await b.shot('live-built.png');

	b.step = 'an incremental extract that reads no new row';
	const again = await cli('build', '-B', 'people');
	await expect(again.code === 0, `chacc build -B people: exit ${again.code}\n${again.out}`);
	await page.waitForFunction((old) => [...document.querySelectorAll('.runbox[data-state="done"]')]
		.some((e) => e.dataset.run !== old), run1, { timeout: 30000 });
	const run2 = await page.evaluate((old) => [...document.querySelectorAll('.runbox[data-state="done"]')]
		.find((e) => e.dataset.run !== old).dataset.run, run1);
	await page.waitForSelector(`.runbox[data-run="${run2}"] .steps li[data-target="people"][data-state="built"] .num[data-rows="3"]`);
	const [panel, table] = await rows(page, `.runbox[data-run="${run2}"]`, 'people');
	await expect(panel === '3 rows' && table === '3', `people: the live panel says '${panel}', the table '${table}'`);

	b.step = 'the graph follows';
	await page.click('#nav a[data-page="graph"]');
	await page.waitForSelector('svg.graph g.node[data-target="people_visits"].st-ok');
	const graphRun = cli('build', '-B', 'people_visits');
	await page.waitForSelector('svg.graph g.node[data-target="people_visits"].st-building', { timeout: 30000 });
	await expect((await page.getAttribute('svg.graph g.node[data-target="people_visits"]', 'aria-label')).includes('building'),
		'the node says building');
	await expect((await graphRun).code === 0, 'chacc build -B people_visits');
	await page.waitForSelector('svg.graph g.node[data-target="people_visits"].st-ok', { timeout: 30000 });

	b.step = 'the history follows';
	await page.click('#nav a[data-page="runs"]');
	await page.waitForSelector('tr[data-run]');
	const before = await page.locator('tr[data-run]').count();
	await expect((await cli('build', '-B', 'visits')).code === 0, 'chacc build -B visits');
	await page.waitForFunction((n) => document.querySelectorAll('tr[data-run]').length === n + 1, before, { timeout: 30000 });
	await page.waitForFunction(() => !document.querySelector('tr[data-run] td[data-label="Duration"] .muted'),
		null, { timeout: 30000 });
	await expect(await page.evaluate(() => window.notReloaded === true), 'the page was never reloaded');
	log('the dashboard, graph and history followed four command line builds');
});
