/* theme.js: dark or light before the page is drawn: the remembered choice, else the system's */
(function () {
	var t = null;

	try {
		t = localStorage.getItem('chacc-theme');
	} catch (e) {
		t = null;
	}
	if (t !== 'dark' && t !== 'light')
		t = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
	document.documentElement.setAttribute('data-theme', t);
})();
