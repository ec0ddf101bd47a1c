/*
 * run.mjs: chacc's web UI in headless Chromium (Debian's chromium, driven by playwright-core)
 *
 *   node run.mjs URL SCREENSHOT_DIR PROJECT_DIR
 *
 * URL is a 'chacc serve' of a fresh clinic project (tests/check_web.c makes
 * one) whose files live in PROJECT_DIR. Builds from the dashboard and watches
 * the run finish, opens the graph and a target, the run's timeline, shows a
 * recipe problem in place, edits a SQL file and approves its review, uploads
 * a file and rejects its review, toggles dark mode, asks before a full
 * refresh, keeps notices off the page's content and drops them on navigation,
 * and disables "Approve and merge" for a conflicting review; writes screenshots of the
 * dashboard, graph and timeline in light and dark to SCREENSHOT_DIR. Exits
 * non-zero on the first failed step, any error in the page, or any request
 * that leaves the server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log, open } from './lib.mjs';

const [url, shots, project] = process.argv.slice(2);
if (!url || !shots || !project) {
	console.error('usage: node run.mjs URL SCREENSHOT_DIR PROJECT_DIR');
	process.exit(2);
}
const b = await open(url, shots);
const expect = b.expect;
const shot = (name) => b.shot(name);

await b.run(async (page) => {
	await page.emulateMedia({ colorScheme: 'light' });

	b.step = 'dashboard';
	await page.goto(url);
	await page.waitForSelector('tr[data-target="people"]');
	await expect(await page.locator('tr[data-state="missing"]').count() === 4, 'four targets, never built');
	await page.waitForSelector('#live.on');

	b.step = 'build from the dashboard';
	await page.click('button[data-mode="incremental"]');
	await page.waitForSelector('.runbox[data-state="done"]', { timeout: 60000 });
	await page.waitForFunction(() => document.querySelectorAll('tr[data-state="ok"]').length === 4);
	await expect(await page.locator('.steps li[data-state="built"]').count() === 4, 'four targets built live');
	const runLink = await page.locator('.runbox a').first().getAttribute('href');
	log(`built: ${runLink}`);
	await shot('dashboard-light.png');

	b.step = 'graph';
	await page.click('#nav a[data-page="graph"]');
	await page.waitForSelector('svg.graph g.node[data-target="visit_counts"]');
	await expect(await page.locator('svg.graph g.node').count() === 4, 'four nodes');
	await expect(await page.locator('svg.graph path.edge').count() === 3, 'three edges');
	await expect(await page.locator('svg.graph g.st-ok').count() === 4, 'every node ok');
	await shot('graph-light.png');
	await page.dblclick('svg.graph g.node[data-target="people_visits"]');
	await page.waitForFunction(() => location.hash === '#/target/people_visits');
	await page.waitForSelector('text=Why it would rebuild');
	await expect((await page.textContent('main')).includes('JOIN people'), 'the target page shows its SQL');

	b.step = 'run timeline';
	await page.click('#nav a[data-page="runs"]');
	await page.waitForSelector('tr[data-run]');
	await page.click('tr[data-run] a');
	await page.waitForSelector('#timeline svg rect[data-target="visit_counts"]');
	await expect(await page.locator('#timeline rect.bar-built').count() === 4, 'four bars');
	await shot('run-light.png');

	b.step = 'problems shown in place';
	await page.goto(url + '#/files/recipes/clinic.yml');
	await page.waitForSelector('#editor');
	const cm = await page.locator('#editor .CodeMirror').count() > 0;
	log(cm ? 'editor: CodeMirror' : 'editor: plain text area');
	if (cm) {
		await page.click('#editor .CodeMirror-code');
		await page.keyboard.press('Control+End');
		await page.keyboard.type('bogus_key: 1\n');
	} else {
		await page.click('#editor textarea');
		await page.keyboard.press('Control+End');
		await page.keyboard.type('bogus_key: 1\n');
	}
	await page.click('#check');
	await page.waitForSelector('#problems li');
	await expect((await page.textContent('#problems')).includes('bogus_key'), 'the unknown key is named');
	if (cm)
		await page.waitForSelector('.cm-problem-widget');

	b.step = 'edit a SQL file';
	await page.click('a[data-file="sql/visits.sql"]');
	await page.waitForFunction(() => location.hash === '#/files/sql/visits.sql');
	await page.waitForSelector('#editor');
	if (cm) {
		await page.click('#editor .CodeMirror-code');
	} else {
		await page.click('#editor textarea');
	}
	await page.keyboard.press('Control+A');
	await page.keyboard.type('SELECT id, person_id, at, 2 AS two FROM visits\n');
	await page.fill('#commit-message', 'visits: a second column from the browser');
	await page.click('#propose');
	await page.waitForFunction(() => /^#\/reviews\/\d+$/.test(location.hash));
	await page.waitForSelector('#impact');
	await expect((await page.textContent('#impact')).includes('visit_counts'), 'the impact names visit_counts');
	const before = fs.readFileSync(path.join(project, 'sql/visits.sql'), 'utf8');
	await expect(!before.includes('2 AS two'), 'the working tree waits for the approval');

	b.step = 'approve the review';
	await page.click('#approve');
	await page.waitForSelector('.pagehead .badge.s-approved');
	const after = fs.readFileSync(path.join(project, 'sql/visits.sql'), 'utf8');
	await expect(after === 'SELECT id, person_id, at, 2 AS two FROM visits\n', `main has the edit: ${after}`);
	await page.click('#nav a[data-page="reviews"]');
	await page.waitForSelector('tr[data-state="approved"]');

	b.step = 'upload a file, then reject its review';
	const upload = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'chacc-upload-')), 'visit_total.sql');
	fs.writeFileSync(upload, 'SELECT COUNT(*) AS n FROM visits\n');
	await page.click('#nav a[data-page="files"]');
	await page.waitForSelector('#upload-file');
	await page.setInputFiles('#upload-file', upload);
	await page.selectOption('#upload-dir', 'sql');
	await page.click('#upload');
	await page.waitForFunction(() => /^#\/reviews\/\d+$/.test(location.hash));
	await page.waitForSelector('#reject');
	await expect((await page.textContent('main')).includes('upload visit_total.sql'), 'the review of the upload');
	await page.click('#reject');
	await page.waitForSelector('.pagehead .badge.s-rejected');
	await expect(!fs.existsSync(path.join(project, 'sql/visit_total.sql')), 'a rejected upload stays out');
	fs.rmSync(path.dirname(upload), { recursive: true, force: true });

	b.step = 'the dashboard sees the change';
	await page.click('#nav a[data-page="dash"]');
	await page.waitForSelector('tr[data-target="visits"][data-state="out of date"]');

	b.step = 'dark mode';
	await expect(await page.getAttribute('html', 'data-theme') === 'light', 'light at first, as the system');
	await page.click('#theme');
	await expect(await page.getAttribute('html', 'data-theme') === 'dark', 'dark after the toggle');
	await page.reload();
	await page.waitForSelector('tr[data-target="people"]');
	await expect(await page.getAttribute('html', 'data-theme') === 'dark', 'still dark after a reload');
	const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
	await expect(bg !== 'rgb(245, 246, 248)', `a dark background: ${bg}`);
	await page.click('button[data-mode="incremental"]');
	await page.waitForSelector('.runbox[data-state="done"]', { timeout: 60000 });
	await page.waitForFunction(() => document.querySelectorAll('tr[data-state="ok"]').length === 4);
	await shot('dashboard-dark.png');
	await page.goto(url + '#/graph');
	await page.waitForSelector('svg.graph g.node');
	await shot('graph-dark.png');
	await page.goto(url + '#' + runLink.slice(1));
	await page.waitForSelector('#timeline svg rect');
	await shot('run-dark.png');
	await page.click('#theme');
	await page.reload();
	await page.waitForSelector('#timeline svg rect');
	await expect(await page.getAttribute('html', 'data-theme') === 'light', 'light again, remembered');

	b.step = 'the system setting when nothing is remembered';
	await page.evaluate(() => localStorage.removeItem('chacc-theme'));
	await page.emulateMedia({ colorScheme: 'dark' });
	await page.reload();
	await page.waitForSelector('#timeline svg rect');
	await expect(await page.getAttribute('html', 'data-theme') === 'dark', 'dark as the system');
	await page.emulateMedia({ colorScheme: 'light' });

	b.step = 'a phone';
	await page.setViewportSize({ width: 390, height: 844 });
	await page.goto(url + '#/');
	await page.waitForSelector('tr[data-target="people"]');
	const wide = await page.evaluate(() => document.documentElement.scrollWidth);
	await expect(wide <= 392, `no sideways scrolling on a phone (page ${wide}px wide)`);
	await shot('dashboard-phone.png');

	b.step = 'full refresh asks first';
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.goto(url + '#/');
	await page.waitForSelector('tr[data-target="people"]');
	let starts = 0;
	page.on('request', (r) => {
		if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/runs')
			starts++;
	});
	await page.click('button[data-mode="full-refresh"]');
	await page.waitForSelector('dialog#confirm[open]');
	await expect((await page.textContent('dialog#confirm')).includes('from scratch'), 'the dialog says what it does');
	await page.click('#confirm-cancel');
	await page.waitForSelector('dialog#confirm', { state: 'detached' });
	await page.click('button[data-mode="full-refresh"]');
	await page.waitForSelector('dialog#confirm[open]');
	await page.keyboard.press('Escape');
	await page.waitForSelector('dialog#confirm', { state: 'detached' });
	await page.waitForTimeout(300);
	await expect(starts === 0, `Cancel and Escape start nothing (${starts} started)`);
	await page.click('button[data-mode="full-refresh"]');
	await page.click('#confirm-ok');
	await page.waitForSelector('.runbox[data-state="done"]:has-text("full-refresh")', { timeout: 60000 });
	await expect(starts === 1, `one full refresh started (${starts})`);

	b.step = 'toasts cover nothing and go away on navigation';
	await page.click('button[data-build="visits"]');
	await page.waitForSelector('#toasts .toast');
	const covered = await page.evaluate(() => {
		const out = [];

		document.querySelectorAll('#toasts .toast').forEach((t) => {
			const r = t.getBoundingClientRect();

			for (const [x, y] of [[r.left + 2, r.top + 2], [r.left + r.width / 2, r.top + r.height / 2], [r.right - 2, r.bottom - 2]])
				for (const el of document.elementsFromPoint(x, y))
					if (document.getElementById('main').contains(el))
						out.push(el.tagName + (el.className ? '.' + el.className : ''));
		});
		return out;
	});
	await expect(covered.length === 0, `a toast covers the page: ${covered.join(', ')}`);
	// the toasts of this page go; one a later event raises (the build ending
	// on a slow machine) may come on the next
	await page.evaluate(() => document.querySelectorAll('#toasts .toast').forEach((t) => { t.dataset.before = '1'; }));
	await page.click('#nav a[data-page="graph"]');
	await page.waitForSelector('svg.graph g.node');
	await expect(await page.locator('#toasts .toast[data-before]').count() === 0, 'the toast went with its page');

	b.step = 'a conflicting review cannot be approved';
	const [ra, rb] = await page.evaluate(async () => [
		await C.propose('sql/people.sql', 'SELECT id, name, updated_at, voided, 1 AS a FROM people\n', 'people: a'),
		await C.propose('sql/people.sql', 'SELECT id, name, updated_at, voided, 2 AS b FROM people\n', 'people: b'),
	]);
	await expect(ra.ok && rb.ok, `two proposals: ${ra.error || ''} ${rb.error || ''}`);
	await page.goto(url + '#/reviews/' + rb.review.id);
	await page.waitForSelector('#approve');
	await expect(!await page.isDisabled('#approve'), 'approvable before the other is merged');
	await page.goto(url + '#/reviews/' + ra.review.id);
	await page.waitForSelector('#approve:not([disabled])');
	await page.click('#approve');
	await page.waitForSelector('.pagehead .badge.s-approved');
	await page.goto(url + '#/reviews/' + rb.review.id);
	await page.waitForSelector('#approve');
	await expect((await page.textContent('main')).includes('conflict'), 'the conflict is shown');
	await expect(await page.isDisabled('#approve'), 'Approve and merge is disabled while the review conflicts');
	await expect(!await page.isDisabled('#reject'), 'Reject stays possible');
});
