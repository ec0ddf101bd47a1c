/*
 * sqlcheck.mjs: the editor edits what users have and Check checks SQL
 *
 *   node sqlcheck.mjs URL SCREENSHOT_DIR PROJECT_DIR
 *
 * URL is a 'chacc serve' of a fresh clinic project with a chacc.yml at its
 * root and an empty folder sql/empty (tests/check_browser.c makes one). The
 * root recipe is listed, opens and is proposed like any file; the upload box
 * offers the folders that exist; a typo'd column in a SQL file is shown by
 * Check at its file:line, in place in the editor. Nothing is built.
 */
import fs from 'node:fs';
import path from 'node:path';
import { open } from './lib.mjs';

const [url, shots, project] = process.argv.slice(2);
if (!url || !shots || !project) {
	console.error('usage: node sqlcheck.mjs URL SCREENSHOT_DIR PROJECT_DIR');
	process.exit(2);
}
const b = await open(url, shots);
const expect = b.expect;

/* replace the editor's text by typing, as a user does */
async function retype(page, cm, text) {
	/* the first line: a problem's note under a line is not text to click into */
	await page.click(cm ? '#editor .CodeMirror-line >> nth=0' : '#editor textarea');
	await page.keyboard.press('Control+A');
	await page.keyboard.press('Delete');
	/* CodeMirror indents after a newline: type line by line from the start of each */
	const lines = text.split('\n');
	for (let i = 0; i < lines.length; i++) {
		if (i > 0) {
			await page.keyboard.press('Enter');
			await page.keyboard.press('Home');
			await page.keyboard.press('Shift+End');
			await page.keyboard.press('Delete');
		}
		await page.keyboard.type(lines[i]);
	}
}

await b.run(async (page) => {
	b.step = 'the root recipe is listed';
	await page.goto(url + '#/files');
	await page.waitForSelector('#filelist a[data-file="chacc.yml"]');
	await expect((await page.textContent('#filelist')).includes('project'), 'the root has its heading');
	const dirs = await page.locator('#upload-dir option').evaluateAll((os) => os.map((o) => o.value));
	await expect(JSON.stringify(dirs) === JSON.stringify(['recipes', 'sql', 'sql/empty']),
		`the upload box offers the folders that exist: ${dirs}`);

	b.step = 'the root recipe is editable';
	await page.click('#filelist a[data-file="chacc.yml"]');
	await page.waitForFunction(() => location.hash === '#/files/chacc.yml');
	await page.waitForSelector('#editor');
	const cm = await page.locator('#editor .CodeMirror').count() > 0;
	const text = await page.evaluate(() => C.edit.get());
	await expect(text.includes('# the recipe at the root'), 'the editor has the root recipe');
	if (cm)
		await page.click('#editor .CodeMirror-code');
	else
		await page.click('#editor textarea');
	await page.keyboard.press('Control+End');
	await page.keyboard.type('# edited in the browser\n');
	await page.fill('#commit-message', 'the root recipe from the browser');
	await page.click('#propose');
	await page.waitForFunction(() => /^#\/reviews\/\d+$/.test(location.hash));
	await page.waitForFunction(() => /chacc\.yml/.test(document.querySelector('main').textContent));

	b.step = 'Check shows a typo\'d column at file:line';
	await page.goto(url + '#/files/sql/people_visits.sql');
	await page.waitForSelector('#editor');
	await retype(page, cm, 'SELECT v.id AS visit_id,\n  p.nme, v.at\nFROM visits v JOIN people p ON p.id = v.person_id');
	await page.click('#check');
	await page.waitForSelector('#problems li');
	const shown = await page.textContent('#problems');
	await expect(shown.includes('sql/people_visits.sql:2'), `the problem at file:line: ${shown}`);
	await expect(shown.includes("Unknown column 'p.nme'"), `the server's message: ${shown}`);
	await expect(!shown.includes('webu'), 'no database user in the message');
	if (cm) {
		await page.waitForSelector('.cm-problem-widget');
		const marked = await page.evaluate(() => {
			const lines = [...document.querySelectorAll('#editor .CodeMirror-code > div')];
			return lines.map((l, i) => (l.querySelector('.cm-problem-line') ? i + 1 : 0)).filter((i) => i);
		});
		await expect(JSON.stringify(marked) === '[2]', `line 2 is marked in the editor: ${marked}`);
	}
	await b.shot('sqlcheck-problem.png');

	b.step = 'the fix checks clean';
	await retype(page, cm, 'SELECT v.id AS visit_id,\n  p.name, v.at\nFROM visits v JOIN people p ON p.id = v.person_id');
	await page.click('#check');
	await page.waitForFunction(() => document.querySelector('#problems').children.length === 0 &&
		/no problems/.test(document.querySelector('.editor-bar').textContent));
	const file = fs.readFileSync(path.join(project, 'sql/people_visits.sql'), 'utf8');
	await expect(!file.includes('nme'), 'Check writes nothing');
});
