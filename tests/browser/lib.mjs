/*
 * lib.mjs: what every browser scenario shares: Debian's chromium driven by
 * playwright-core, a page whose errors and requests outside the server are
 * problems, screenshots, and the exit status.
 *
 *   const b = await open(url, shots);       b.page, b.step = '...', b.expect(cond, what)
 *   await b.run(async (page) => { ... });   exits non-zero on the first failure
 */
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function log(msg) {
	console.log(`browser: ${msg}`);
}

export async function open(url, shots, viewport = { width: 1280, height: 800 }) {
	fs.mkdirSync(shots, { recursive: true });
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chacc-chromium-'));
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		viewport,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	ctx.setDefaultTimeout(30000);
	const page = ctx.pages()[0] || await ctx.newPage();
	const b = {
		ctx, page, profile, shots, problems: [], step: 'start',
		async expect(cond, what) {
			if (!cond)
				throw new Error(`${b.step}: ${what}`);
		},
		async shot(name) {
			/* the pictures show the page, not the passing notices */
			await page.evaluate(() => document.getElementById('toasts')?.replaceChildren());
			await page.waitForTimeout(250);
			await page.screenshot({ path: path.join(shots, name), fullPage: true });
			log(`screenshot ${name}`);
		},
		async run(steps) {
			try {
				await steps(page);
			} catch (e) {
				/* playwright's own errors do not say which step they stopped */
				b.problems.unshift(e.message.startsWith(b.step + ':') ? e.message : `${b.step}: ${e.message}`);
				try {
					await page.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true });
				} catch (x) {
					/* the page is gone */
				}
			}
			await ctx.close();
			fs.rmSync(profile, { recursive: true, force: true });
			if (b.problems.length) {
				for (const p of b.problems)
					console.error(`browser: FAILED: ${p}`);
				process.exit(1);
			}
			log('all steps passed');
		},
	};
	page.on('pageerror', (e) => b.problems.push(`page error: ${e.message}`));
	page.on('console', (m) => {
		/* the UI shows the API's 4xx replies itself: only other errors count */
		if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()))
			b.problems.push(`console: ${m.text()}`);
	});
	page.on('request', (r) => {
		if (!r.url().startsWith(url) && !r.url().startsWith('data:'))
			b.problems.push(`request outside the server: ${r.url()}`);
	});
	return b;
}
