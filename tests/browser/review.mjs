/*
 * review.mjs: who proposed, who approved: the four-eyes rule of
 * 'chacc serve --users' in headless Chromium
 *
 *   node review.mjs URL SCREENSHOT_DIR PROJECT_DIR
 *
 * URL is a 'chacc serve --users' of a fresh clinic project whose users are
 * Ed Editor (token ed-token-0002), Ada Approver (ada-token-0003) and Bo
 * Approver (bo-token-0004). An editor proposes from the editor and may not
 * approve; an approver may not approve her own proposal; another approver
 * approves both; the pages show who proposed and who approved. Vi Viewer
 * (vi-token-0001) finds every button that would change something disabled.
 */
import fs from 'node:fs';
import path from 'node:path';
import { log, open } from './lib.mjs';

const [url, shots, project] = process.argv.slice(2);
if (!url || !shots || !project) {
	console.error('usage: node review.mjs URL SCREENSHOT_DIR PROJECT_DIR');
	process.exit(2);
}
const b = await open(url, shots);
const expect = b.expect;

/* sign in as a user: the login sets the cookie, the page is the dashboard */
async function signIn(page, token) {
	await page.goto(url + '?token=' + token);
	await page.waitForSelector('tr[data-target="people"]');
}

await b.run(async (page) => {
	b.step = 'the login page asks for your own token';
	await page.goto(url);
	await expect((await page.textContent('main')).includes('give your own token'), 'the login page of named users');

	b.step = 'an editor proposes from the editor';
	await signIn(page, 'ed-token-0002');
	await page.goto(url + '#/files/sql/visits.sql');
	await page.waitForSelector('#editor');
	if (await page.locator('#editor .CodeMirror').count() > 0)
		await page.click('#editor .CodeMirror-code');
	else
		await page.click('#editor textarea');
	await page.keyboard.press('Control+A');
	await page.keyboard.type('SELECT id, person_id, at, 3 AS three FROM visits\n');
	await page.fill('#commit-message', 'visits: a third column');
	await page.click('#propose');
	await page.waitForFunction(() => /^#\/reviews\/\d+$/.test(location.hash));
	const edReview = await page.evaluate(() => location.hash.split('/')[2]);
	await page.waitForSelector('#proposer');
	await expect((await page.textContent('#proposer')).includes('Ed Editor <ed@example.org>'), 'the review names its author');
	await expect((await page.textContent('#me')).includes('editor'), 'the page says who is signed in');
	await expect(await page.isDisabled('#approve'), 'an editor cannot approve');
	await expect(await page.isDisabled('#reject'), 'an editor cannot reject');
	await expect((await page.textContent('#why-not')).includes('role approver'), 'the page says why');

	b.step = 'an approver cannot approve her own proposal';
	await signIn(page, 'ada-token-0003');
	const own = await page.evaluate(async () =>
		await C.propose('sql/people.sql', 'SELECT id, name, updated_at, voided, 1 AS one FROM people\n', 'people: one'));
	await expect(own.ok, `Ada proposes: ${own.error || ''}`);
	await page.goto(url + '#/reviews/' + own.review.id);
	await page.waitForSelector('#approve');
	await expect((await page.textContent('#proposer')).includes('Ada Approver'), 'Ada proposed it');
	await expect(await page.isDisabled('#approve'), 'four eyes: Ada cannot approve her own proposal');
	await expect((await page.textContent('#why-not')).includes('four eyes'), 'the page says four eyes');
	/* the API refuses it too, whatever the page shows */
	const forced = await page.evaluate(async (id) => {
		try {
			await C.api('POST', '/api/reviews/' + id + '/approve');
			return 'approved';
		} catch (e) {
			return e.message;
		}
	}, own.review.id);
	await expect(forced.includes('may not approve'), `the server refuses: ${forced}`);

	b.step = 'the approver approves the editor\'s proposal';
	await page.goto(url + '#/reviews/' + edReview);
	await page.waitForSelector('#approve:not([disabled])');
	await page.click('#approve');
	await page.waitForSelector('.pagehead .badge.s-approved');
	await page.waitForSelector('#decider');
	await expect((await page.textContent('#decider')).includes('Ada Approver'), 'the page says who approved');
	await expect((await page.textContent('#proposer')).includes('Ed Editor'), 'and who proposed');
	const after = fs.readFileSync(path.join(project, 'sql/visits.sql'), 'utf8');
	await expect(after.includes('3 AS three'), `main has the edit: ${after}`);
	await b.shot('review-approved.png');

	b.step = 'another approver approves Ada\'s proposal';
	await signIn(page, 'bo-token-0004');
	await page.goto(url + '#/reviews/' + own.review.id);
	await page.waitForSelector('#approve:not([disabled])');
	await page.click('#approve');
	await page.waitForSelector('.pagehead .badge.s-approved');
	await expect((await page.textContent('#decider')).includes('Bo Approver'), 'Bo approved it');

	b.step = 'the list says who proposed and who decided';
	await page.goto(url + '#/reviews');
	await page.waitForSelector('tr[data-state="approved"]');
	const rows = await page.locator('tr[data-review]').allTextContents();
	log(`reviews: ${rows.join(' | ')}`);
	await expect(rows.some((r) => r.includes('Ed Editor') && r.includes('Ada Approver')), 'Ed proposed, Ada approved');
	await expect(rows.some((r) => r.includes('Ada Approver') && r.includes('Bo Approver')), 'Ada proposed, Bo approved');
	await b.shot('reviews-who.png');

	b.step = 'a viewer finds the buttons that change something disabled';
	await signIn(page, 'vi-token-0001');
	await page.waitForSelector('button[data-mode="incremental"][disabled]');
	await expect(await page.isDisabled('button[data-build="people"]'), 'Build of one target disabled');
	await expect((await page.getAttribute('button[data-mode="incremental"]', 'title')).includes('viewer'),
		'the button says why');
	await page.goto(url + '#/files/sql/visits.sql');
	await page.waitForSelector('#propose[disabled]');
	await expect(await page.isDisabled('#check'), 'Check disabled');
	await expect(await page.isDisabled('#upload'), 'Upload disabled');
	await page.goto(url + '#/reviews');
	await page.waitForSelector('tr[data-review]');
});
