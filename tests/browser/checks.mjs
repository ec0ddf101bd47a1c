/*
 * checks.mjs: a failed check on the dashboard and the target page, and a profile
 *
 *   node checks.mjs URL SCREENSHOT_DIR PROJECT_DIR [CHACC_BIN]
 *
 * URL is a 'chacc serve' of a clinic project in PROJECT_DIR (tests/
 * check_browser.c makes one) built once, whose visit_counts has a check
 * that failed (at_most_one_visit: ada visited twice) and one that passed.
 * The dashboard shows a red badge for visit_counts and none for people
 * (no checks); its page lists the failed check with its failing row count
 * and sample key, and no profile; the run page lists the run's checks. After 'chacc profile people_visits' from
 * the command line, the page of people_visits shows a table of its columns
 * with an SVG histogram of each number. CHACC_BIN defaults to $CHACC_BIN
 * (tests/run sets it). Exits non-zero on the first failed step.
 */
import { execFileSync } from 'node:child_process';
import { open } from './lib.mjs';

const [url, shots, project, chacc = process.env.CHACC_BIN] = process.argv.slice(2);
if (!url || !shots || !project || !chacc) {
	console.error('usage: node checks.mjs URL SCREENSHOT_DIR PROJECT_DIR [CHACC_BIN]');
	process.exit(2);
}
const b = await open(url, shots);
const expect = b.expect;

await b.run(async (page) => {
	b.step = 'the dashboard: a red badge for the failed check';
	await page.goto(url);
	const badge = page.locator('tr[data-target="visit_counts"] .qbadge');
	await badge.waitFor();
	await expect(await badge.getAttribute('data-checks') === 'fail', 'the badge says fail');
	await expect((await badge.textContent()) === '1 failed', `the badge: ${await badge.textContent()}`);
	await expect(/\bbad\b/.test(await badge.getAttribute('class')), 'the badge is red');
	await expect(await page.locator('tr[data-target="people"] .qbadge').count() === 0,
		'a target without checks has no badge');
	await b.shot('checks-dashboard.png');

	b.step = 'the target page: the failed check with its sample key';
	await page.click('tr[data-target="visit_counts"] a[href="#/target/visit_counts"]');
	const failed = page.locator('#checks tr[data-check="at_most_one_visit"]');
	await failed.waitFor();
	await expect(await failed.getAttribute('data-status') === 'fail', 'its status is fail');
	const cells = await failed.locator('td').allTextContents();
	await expect(cells[1] === 'error' && cells[2] === 'fail' && cells[3] === '1', `severity, status, rows: ${cells}`);
	await expect(cells[5] === 'ada', `the sample failing key: ${cells[5]}`);
	await expect(await page.locator('#checks tr[data-status="pass"]').count() === 1, 'the other check passed');

	b.step = 'no profile before chacc profile';
	await page.waitForFunction(() => /no profile yet/.test(document.getElementById('profile').textContent));
	await expect(await page.locator('#profile svg').count() === 0, 'no histogram yet');
	await b.shot('checks-target.png');

	b.step = 'the run page: the checks of the run';
	await failed.locator('a[href^="#/runs/"]').click();
	const inRun = page.locator('#run-checks tr[data-check="at_most_one_visit"]');
	await inRun.waitFor();
	await expect(await inRun.getAttribute('data-status') === 'fail', 'fail on the run page');
	const runCells = await inRun.locator('td').allTextContents();
	await expect(runCells[0] === 'visit_counts' && runCells[4] === '1' && runCells[6] === 'ada',
		`target, failing rows, sample key: ${runCells}`);

	/* visit_counts was never published (its check failed): people_visits has a table */
	b.step = 'the profile after chacc profile';
	execFileSync(chacc, ['-f', 'recipes/clinic.yml', 'profile', 'people_visits'], { cwd: project, stdio: 'pipe' });
	await page.goto(url + '#/target/people_visits');
	const id = page.locator('#profile tr[data-column="visit_id"]');
	await id.waitFor();
	const cols = await id.locator('td').allTextContents();
	/* visit_id: 10, 11, 12 */
	await expect(cols[2] === '0%' && cols[3] === '3' && cols[4] === '10' && cols[5] === '12',
		`nulls, distinct, min, max of visit_id: ${cols}`);
	await expect(cols[6] === '11', `the mean of visit_id: ${cols[6]}`);
	const bars = await id.locator('svg.hist rect').evaluateAll((rs) => rs.map((r) => +r.getAttribute('height')));
	await expect(bars.length === 20, `20 buckets: ${bars.length}`);
	await expect(bars[0] > 0 && bars[19] > 0 && bars.filter((h) => h > 0).length === 3,
		`the lowest, the middle and the highest value: ${bars}`);
	await expect(await id.locator('svg.hist').getAttribute('viewBox') === '0 0 100 20', 'a 100x20 box');
	await expect(await page.locator('#profile tr[data-column="name"] svg').count() === 0, 'no histogram for text');
	const top = await page.textContent('#profile tr[data-column="name"]');
	await expect(top.includes('ada (2), bob (1)'), `the most common names, most first: ${top}`);
	await expect(/no checks/.test(await page.textContent('#checks .empty')), 'people_visits has no checks');
	await b.shot('checks-profile.png');
});
