/*
 * history.mjs: what the Luigi pipeline's web UI had, in headless Chromium
 *
 *   node history.mjs URL SCREENSHOT_DIR PROJECT_DIR
 *
 * URL is a 'chacc serve' of a clinic project (tests/check_browser.c) whose
 * history holds 1 run of today and 25 of March 2024 (scheduled ones, every
 * fifth failed), an unused sql/unused.sql, and a people_visits that takes
 * seconds to build. The history is filtered by mode, result and dates and
 * paged, with its totals; sql/unused.sql is deleted through a review that is
 * approved; a file is uploaded under a chosen name into a new folder and
 * approved; "Rebuild now" cancels the running build and starts a new one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { log, open } from './lib.mjs';

const [url, shots, project] = process.argv.slice(2);
if (!url || !shots || !project) {
	console.error('usage: node history.mjs URL SCREENSHOT_DIR PROJECT_DIR');
	process.exit(2);
}
const b = await open(url, shots);
const expect = b.expect;

/* the history page's total and the runs it shows */
async function shown(page) {
	await page.waitForSelector('#runs-total');
	return {
		total: +await page.getAttribute('#runs-total', 'data-total'),
		rows: await page.locator('tr[data-run]').count(),
		text: await page.textContent('#runs-total'),
	};
}

/* approve the review the page shows, and wait until it says so */
async function approve(page) {
	await page.click('#approve');
	await page.waitForFunction(() => document.querySelector('.pagehead .badge')?.textContent === 'approved');
}

await b.run(async (page) => {
	b.step = 'the history: every run, a page at a time';
	await page.goto(url + '#/runs');
	let s = await shown(page);
	await expect(s.total === 26 && s.rows === 26, `26 runs on one page of 50: ${JSON.stringify(s)}`);
	await page.selectOption('#runs-per_page', '20');
	await page.click('#runs-apply');
	await page.waitForSelector('#runs-pager');
	s = await shown(page);
	await expect(s.total === 26 && s.rows === 20 && s.text.includes('1–20 of 26'), `page 1 of 20: ${JSON.stringify(s)}`);
	await expect((await page.textContent('#runs-page')) === 'page 1 of 2', 'page 1 of 2');
	await page.click('#runs-next');
	await page.waitForFunction(() => document.getElementById('runs-page')?.textContent === 'page 2 of 2');
	s = await shown(page);
	await expect(s.rows === 6 && s.text.includes('21–26 of 26'), `page 2: ${JSON.stringify(s)}`);

	b.step = 'the history filtered by mode, result and dates';
	await page.goto(url + '#/runs');
	await page.waitForSelector('#runs-filter');
	await page.selectOption('#runs-mode', 'scheduled');
	await page.selectOption('#runs-result', 'failed');
	await page.click('#runs-apply');
	await page.waitForFunction(() => location.hash.includes('result=failed'));
	s = await shown(page);
	await expect(s.total === 5 && s.rows === 5 && s.text.includes('matching'), `5 failed scheduled runs: ${JSON.stringify(s)}`);
	await expect(await page.locator('tr[data-run][data-result="failed"][data-mode="scheduled"]').count() === 5, 'only those');
	await page.fill('#runs-from', '2024-03-02');
	await page.fill('#runs-to', '2024-03-03');
	/* a run ends meanwhile, anywhere: the list is read again, the filter being edited stays */
	await page.evaluate(() => C.deliver({ type: 'run', run_id: 1, state: 'success', mode: 'incremental' }));
	await page.waitForTimeout(500);
	await expect(await page.inputValue('#runs-from') === '2024-03-02', 'a live event keeps the day being typed');
	await page.click('#runs-apply');
	await page.waitForFunction(() => location.hash.includes('from=2024-03-02'));
	s = await shown(page);
	await expect(s.total === 2, `2 of them on March 2 and 3: ${JSON.stringify(s)}`);
	await b.shot('history-filtered.png');
	await page.click('#runs-clear');
	await page.waitForFunction(() => location.hash === '#/runs');
	s = await shown(page);
	await expect(s.total === 26, 'cleared');

	b.step = 'delete a file through a review';
	await page.goto(url + '#/files/sql/unused.sql');
	await page.waitForSelector('#editor');
	await page.click('#delete');
	await page.waitForSelector('dialog#confirm[open]');
	await page.click('#confirm-ok');
	await page.waitForFunction(() => /^#\/reviews\/\d+$/.test(location.hash));
	await page.waitForSelector('#files');
	await expect((await page.textContent('#files')).includes('sql/unused.sql (deleted)'), 'the review shows the file deleted');
	await expect(fs.existsSync(path.join(project, 'sql/unused.sql')), 'the working tree keeps it until approved');
	await approve(page);
	await expect(!fs.existsSync(path.join(project, 'sql/unused.sql')), 'approved: the file is gone');

	b.step = 'a file the recipe needs cannot be deleted';
	await page.goto(url + '#/files/sql/visits.sql');
	await page.waitForSelector('#editor');
	await page.click('#delete');
	await page.click('#confirm-ok');
	await page.waitForSelector('#problems li');
	await expect((await page.textContent('#problems')).includes('visits.sql'), 'the problems name the file');
	await expect(/#\/files\//.test(page.url()), 'the editor stays open');

	b.step = 'upload under a chosen name into a new folder';
	await page.goto(url + '#/files');
	await page.waitForSelector('#upload-file');
	await page.setInputFiles('#upload-file', { name: 'counts.sql', mimeType: 'text/plain', buffer: Buffer.from('SELECT 7 AS seven\n') });
	await expect((await page.inputValue('#upload-name')) === 'counts.sql', 'the name is the file\'s own at first');
	await page.selectOption('#upload-dir', 'sql');
	await page.fill('#upload-name', 'reports/monthly.sql');
	await page.click('#upload');
	await page.waitForFunction(() => /^#\/reviews\/\d+$/.test(location.hash));
	await page.waitForSelector('#files');
	await expect((await page.textContent('#files')).includes('A sql/reports/monthly.sql'), 'the review adds it under its name');
	await expect(!fs.existsSync(path.join(project, 'sql/reports')), 'the proposal wrote nothing');
	await approve(page);
	await expect(fs.readFileSync(path.join(project, 'sql/reports/monthly.sql'), 'utf8') === 'SELECT 7 AS seven\n', 'approved: the file is there');

	b.step = 'rebuild now cancels the running build first';
	await page.goto(url);
	await page.waitForSelector('tr[data-target="people"]');
	await page.waitForSelector('#live.on');
	await page.click('button[data-mode="incremental"]');
	await page.waitForSelector('.runbox[data-state="running"] [data-test="rebuild-now"]');
	const first = await page.getAttribute('.runbox[data-state="running"]', 'data-run');
	await page.click('[data-test="rebuild-now"]');
	await page.waitForSelector('dialog#confirm[open]');
	await page.click('#confirm-ok');
	await page.waitForSelector(`.runbox[data-run="${first}"][data-state="cancelled"]`);
	await page.waitForFunction((old) => [...document.querySelectorAll('.runbox[data-state="running"]')]
		.some((e) => e.dataset.run && e.dataset.run !== old), first);
	const second = await page.getAttribute('.runbox[data-state="running"]', 'data-run');
	log(`run ${first} cancelled, run ${second} started`);
	await expect(+second > +first, 'a new run');
	await b.shot('rebuild-now.png');
	await page.click(`.runbox[data-run="${second}"] [data-test="cancel"]`);
	await page.waitForSelector(`.runbox[data-run="${second}"][data-state="cancelled"]`, { timeout: 60000 });
});
