/*
 * sites.mjs: a target that reads a group of sites, one of them failed, on
 * the dashboard and the target page
 *
 *   node sites.mjs URL SCREENSHOT_DIR PROJECT_DIR
 *
 * URL is a 'chacc serve' of a clinic project in PROJECT_DIR (tests/
 * check_browser.c makes one) whose extract obs reads the group facilities:
 * eldoret read, kisumu failed after a first read (its error names its host
 * 10.9.8.7 and user kisumu_reader). The dashboard shows the badge
 * "1 of 2 sites failed" on obs, none on people; the page of obs lists both
 * sites with their state, lag and last success, and kisumu's error without
 * its host or user. Exits non-zero on the first failed step.
 */
import { open } from './lib.mjs';

const [url, shots] = process.argv.slice(2);
if (!url || !shots) {
	console.error('usage: node sites.mjs URL SCREENSHOT_DIR PROJECT_DIR');
	process.exit(2);
}
const b = await open(url, shots);
const expect = b.expect;

await b.run(async (page) => {
	b.step = 'the dashboard: a badge on the target with a failed site';
	await page.goto(url);
	const badge = page.locator('tr[data-target="obs"] [data-sites]');
	await badge.waitFor();
	await expect((await badge.textContent()) === '1 of 2 sites failed', `the badge: ${await badge.textContent()}`);
	await expect(/\bbad\b/.test(await badge.getAttribute('class')), 'the badge is red');
	await expect(await badge.getAttribute('title') === 'kisumu', `its title names the site: ${await badge.getAttribute('title')}`);
	await expect(await page.locator('tr[data-target="obs"]').getAttribute('data-state') !== 'failed',
		'the target itself has not failed');
	await expect(await page.locator('tr[data-target="people"] [data-sites]').count() === 0,
		'a target without sites has no badge');
	await b.shot('sites-dashboard.png');

	b.step = 'the target page: its sites with state and lag';
	await page.click('tr[data-target="obs"] a[href="#/target/obs"]');
	const kisumu = page.locator('#sites tr[data-site="kisumu"]');
	await kisumu.waitFor();
	await expect(await page.locator('#sites tr[data-site]').count() === 2, 'two sites');
	await expect(await kisumu.getAttribute('data-state') === 'failed', 'kisumu failed');
	await expect(await page.locator('#sites tr[data-site="eldoret"]').getAttribute('data-state') === 'ok', 'eldoret ok');
	const cells = await kisumu.locator('td').allTextContents();
	await expect(cells[0] === 'kisumu' && cells[1] === 'failed', `site and state: ${cells}`);
	const lag = await kisumu.locator('[data-lag]').getAttribute('data-lag');
	await expect(lag !== '' && +lag >= 0 && cells[2] !== 'never read', `a lag: ${lag} (${cells[2]})`);
	await expect(/^\d{4}-\d\d-\d\d/.test(cells[3]), `its last success: ${cells[3]}`);
	await expect(cells[5] === '2026-12-01 10:00:00', `its watermark: ${cells[5]}`);
	await expect(/Access denied for user/.test(cells[6]), `its error: ${cells[6]}`);
	await expect(/1 of 2 sites failed/.test(await page.textContent('#sites h2')), 'the card says how many failed');

	b.step = 'no host, user or password of a site on the page';
	const text = await page.textContent('body');
	for (const word of ['10.9.8.7', 'kisumu_reader', 'Kx7-site-Secret-pw'])
		await expect(!text.includes(word), `the page shows '${word}'`);
	await b.shot('sites-target.png');
});
