/*
 * timeline.mjs: a run's timeline on a phone and on a desktop
 *
 *   node timeline.mjs URL SCREENSHOT_DIR PROJECT_DIR
 *
 * URL serves the clinic project with one more target whose name is long
 * (tests/check_browser.c). Builds it from the dashboard on a phone-sized
 * screen, opens the run and checks that every target name on the timeline
 * is shown whole (nothing cut, nothing over a bar, names above the bars),
 * that there is a time axis, and the same beside the bars on a desktop; then
 * draws a long (synthetic) run to check the axis ticks in minutes and hours
 * and that durations read as people say them ("30 min", not "30 min 0 s").
 */
import { log, open } from './lib.mjs';

const [url, shots] = process.argv.slice(2);
if (!url || !shots) {
	console.error('usage: node timeline.mjs URL SCREENSHOT_DIR PROJECT_DIR');
	process.exit(2);
}
const b = await open(url, shots, { width: 390, height: 844 });
const expect = b.expect;

/* every row of the timeline: its name's box and overflow, its bar's box */
const rows = () => b.page.evaluate(() => {
	const r = (el) => {
		const x = el.getBoundingClientRect();
		return { left: x.left, top: x.top, right: x.right, bottom: x.bottom };
	};
	const card = r(document.getElementById('timeline'));

	return [...document.querySelectorAll('#timeline .tl-row[data-target]')].map((row) => {
		const name = row.querySelector('.tl-name'), bar = row.querySelector('rect[data-target]');
		const st = getComputedStyle(name);

		return { target: row.dataset.target, text: name.textContent, name: r(name), bar: r(bar), card,
			scrollWidth: name.scrollWidth, clientWidth: name.clientWidth,
			clipped: st.textOverflow === 'ellipsis' || (st.overflow !== 'visible' && name.scrollHeight > name.clientHeight) };
	});
});
const overlap = (a, c) => a.left < c.right && c.left < a.right && a.top < c.bottom && c.top < a.bottom;

/* every name whole, in the card, off the bars; above them (stacked) or left of them */
async function namesWhole(stacked) {
	const rs = await rows();

	await expect(rs.length === 5, `five rows (${rs.length})`);
	for (const x of rs) {
		await expect(x.text === x.target, `the name is all there: ${x.text}`);
		await expect(x.scrollWidth <= x.clientWidth && !x.clipped, `${x.target} is cut (scroll width ${x.scrollWidth}, width ${x.clientWidth}, clipped ${x.clipped})`);
		await expect(x.name.left >= x.card.left && x.name.right <= x.card.right, `${x.target} stays in its card`);
		await expect(!overlap(x.name, x.bar), `${x.target}: its name is off its bar`);
		if (stacked)
			await expect(x.name.bottom <= x.bar.top + 1, `${x.target}: its name is above its bar`);
		else
			await expect(x.name.right <= x.bar.left + 1, `${x.target}: its name is left of its bar`);
	}
	const all = rs.map((x) => x.name);
	await expect(rs.every((x) => all.every((n) => n === x.name || !overlap(n, x.bar))), 'no name over any bar');
	return rs;
}

const durRe = /^(0|\d+ ms|< 1 ms|\d+(\.\d)? s|\d+ min( \d+ s)?|\d+ h( \d+ min)?|\d+ days?( \d+ h)?)$/;

await b.run(async (page) => {
	await page.emulateMedia({ colorScheme: 'light' });

	b.step = 'build on a phone';
	await page.goto(url);
	await page.waitForSelector('tr[data-target="people"]');
	await page.waitForSelector('#live.on');
	await page.click('button[data-mode="incremental"]');
	await page.waitForSelector('.runbox[data-state="done"]', { timeout: 60000 });
	await page.waitForFunction(() => document.querySelectorAll('tr[data-state="ok"]').length === 5);

	b.step = 'the timeline on a phone';
	await page.click('#nav a[data-page="runs"]');
	await page.waitForSelector('tr[data-run]');
	await page.click('tr[data-run] a');
	await page.waitForSelector('#timeline svg rect[data-target="visit_counts"]');
	await expect(await page.locator('#timeline .tl.stacked').count() === 1, 'names above the bars');
	const rs = await namesWhole(true);
	log(`longest name: ${Math.round(Math.max(...rs.map((x) => x.name.right - x.name.left)))}px wide`);
	const wide = await page.evaluate(() => document.documentElement.scrollWidth);
	await expect(wide <= 392, `no sideways scrolling (page ${wide}px wide)`);
	const ticks = await page.$$eval('#timeline .tl-axis text.axis', (ts) => ts.map((t) => t.textContent));
	await expect(ticks.length >= 2 && ticks.every((t) => durRe.test(t)), `a time axis: ${ticks.join(', ')}`);
	await b.shot('run-phone.png');

	b.step = 'the timeline on a desktop';
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.waitForFunction(() => !document.querySelector('#timeline .tl.stacked'));
	await namesWhole(false);
	await b.shot('run-desktop.png');

	b.step = 'a long run';
	const long = await page.evaluate(() => {
		const run = { run_id: 99, started_at: '2026-01-01 01:00:00', ended_at: '2026-01-01 02:35:00', targets: [
			{ target: 'people', outcome: 'built', started_at: '2026-01-01 01:00:00', ended_at: '2026-01-01 01:30:00', seconds: 1800, rows: 5 },
			{ target: 'visits', outcome: 'built', started_at: '2026-01-01 01:00:00', ended_at: '2026-01-01 01:00:04.2', seconds: 4.2, rows: 5 },
			{ target: 'people_visits', outcome: 'failed', started_at: '2026-01-01 01:30:00', ended_at: '2026-01-01 02:35:00', seconds: 3900, rows: null, error: 'x' },
		] };
		const box = document.getElementById('timeline');

		box.replaceChild(C.timeline(run), box.lastChild);
		return {
			ticks: [...box.querySelectorAll('.tl-axis text.axis')].map((t) => t.textContent),
			durs: [...box.querySelectorAll('text.inbar, text.beside')].map((t) => t.textContent),
			fmt: [1800, 3900, 4.2, 0.85, 125, 86400 + 3 * 3600].map(C.fmtDur),
		};
	});
	log(`long run axis: ${long.ticks.join(', ')}`);
	await expect(long.ticks.length >= 4 && long.ticks.every((t) => durRe.test(t)) && long.ticks.some((t) => / h/.test(t)),
		`ticks in minutes and hours: ${long.ticks.join(', ')}`);
	await expect(JSON.stringify(long.durs.sort()) === JSON.stringify(['1 h 5 min', '30 min', '4.2 s']),
		`bar durations: ${long.durs.join(', ')}`);
	await expect(JSON.stringify(long.fmt) === JSON.stringify(['30 min', '1 h 5 min', '4.2 s', '850 ms', '2 min 5 s', '1 day 3 h']),
		`durations as people say them: ${long.fmt.join(', ')}`);
	await b.shot('run-long.png');
	await page.setViewportSize({ width: 390, height: 844 });
	await page.waitForSelector('#timeline .tl.stacked');
	await expect(!/\d min 0 s|\d h 0 min/.test(await page.textContent('main')), 'no "30 min 0 s" anywhere');
});
