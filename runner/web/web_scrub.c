/*
 * web_scrub.c: text bound for a web client. Every answer and every event
 * passes scrub_json(): passwords, tokens, connection users, hosts and sockets
 * are replaced by the name of the variable they came from ("${DB_PASSWORD}")
 * or "(hidden)", and the user@host and host parts of server messages go too.
 * The command line prints its messages unchanged.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "env.h"
#include "recipe.h"
#include "util.h"
#include "web.h"

extern char **environ;

/* what a value is: a secret is hidden wherever it appears, a name only as a whole word */
enum hclass { H_SECRET, H_NAME };

struct hidden {
	char *value;
	size_t len;
	char *label;                 /* what the client sees instead */
	enum hclass cls;
	bool host;                   /* a ":PORT" after it goes too */
};

static struct {
	pthread_mutex_t mu;
	struct hidden *v;            /* longest value first */
	size_t n;
	char **shown;                /* names the UI shows anyway: recipe, connections, targets */
	size_t nshown;
	unsigned char first[256];    /* some value starts with this byte */
} hid = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, NULL, 0, { 0 } };

static const char hidden_label[] = "(hidden)";

/* names of variables whose values are secrets, and of those that name a user, host or socket */
static const char *const secret_names[] = { "PASS", "SECRET", "TOKEN" };
static const char *const name_names[] = { "USER", "HOST", "SOCK", "ADDR", "BIND" };

static bool
name_has(const char *name, const char *const *parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasestr(name, parts[i]))
			return true;
	return false;
}

/* call with hid.mu held */
static void
add_locked(const char *value, const char *label, enum hclass cls, bool host)
{
	size_t len = value ? strlen(value) : 0, at;

	if (len == 0)
		return;
	for (size_t i = 0; i < hid.n; i++)
		if (hid.v[i].len == len && memcmp(hid.v[i].value, value, len) == 0) {
			if (cls == H_SECRET)
				hid.v[i].cls = H_SECRET;
			hid.v[i].host |= host;
			/* a variable's name says more than "(hidden)" */
			if (strcmp(hid.v[i].label, hidden_label) == 0) {
				free(hid.v[i].label);
				hid.v[i].label = xstrdup(label);
			}
			return;
		}
	for (at = 0; at < hid.n && hid.v[at].len >= len; at++)
		;
	hid.v = xreallocarray(hid.v, hid.n + 1, sizeof(*hid.v));
	memmove(hid.v + at + 1, hid.v + at, (hid.n - at) * sizeof(*hid.v));
	hid.v[at] = (struct hidden){ xstrdup(value), len, xstrdup(label), cls, host };
	hid.n++;
	hid.first[(unsigned char)value[0]] = 1;
}

void
scrub_add(const char *value, const char *label, bool secret)
{
	pthread_mutex_lock(&hid.mu);
	add_locked(value, label ? label : hidden_label, secret ? H_SECRET : H_NAME, false);
	pthread_mutex_unlock(&hid.mu);
}

/* a variable whose name looks secret (secrets) or like a user, host or socket (names too) */
static void
add_var(const char *name, const char *value, bool names)
{
	char *label;
	bool secret = name_has(name, secret_names, LEN(secret_names));

	if (!secret && !(names && name_has(name, name_names, LEN(name_names))))
		return;
	label = xasprintf("${%s}", name);
	pthread_mutex_lock(&hid.mu);
	add_locked(value, label, secret ? H_SECRET : H_NAME, strcasestr(name, "HOST") != NULL);
	pthread_mutex_unlock(&hid.mu);
	free(label);
}

/* a name shown as it is; call with hid.mu held */
static void
add_shown(const char *name)
{
	for (size_t i = 0; i < hid.nshown; i++)
		if (strcmp(hid.shown[i], name) == 0)
			return;
	hid.shown = xreallocarray(hid.shown, hid.nshown + 1, sizeof(*hid.shown));
	hid.shown[hid.nshown++] = xstrdup(name);
}

/* the value of a .env line as written: trimmed, without its quotes */
static char *
raw_value(char *v)
{
	size_t n;

	v = strtrim(v);
	n = strlen(v);
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = '\0';
		v++;
	}
	return v;
}

/* the names and values of one .env file: the value recipes see, and the one written there */
static void
scrub_dotenv(const char *path)
{
	char *text = readfile(path, NULL), *line, *next, *eq;

	for (line = text; line; line = next) {
		char *name;

		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		line = strtrim(line);
		if (strstarts(line, "export ") || strstarts(line, "export\t"))
			line = strtrim(line + 7);
		if (*line == '#' || !(eq = strchr(line, '=')))
			continue;
		*eq = '\0';
		name = strtrim(line);
		/* the value recipes see, and the one written in the file when the environment overrides it */
		add_var(name, env_get(name), true);
		add_var(name, raw_value(eq + 1), true);
	}
	free(text);
}

void
scrub_init(const char *recipedir)
{
	char *eq;

	pthread_mutex_lock(&hid.mu);
	add_shown(argv0);
	pthread_mutex_unlock(&hid.mu);

	/* the process environment: secrets only (USER and HOSTNAME there name this machine's login) */
	for (char **e = environ; e && *e; e++) {
		char *name;

		if (!(eq = strchr(*e, '=')))
			continue;
		name = xstrndup(*e, (size_t)(eq - *e));
		add_var(name, eq + 1, false);
		free(name);
	}
	/* both .env files recipes read (env.h): the working directory's and the recipe's */
	scrub_dotenv(".env");
	if (recipedir && *recipedir && strcmp(recipedir, ".") != 0) {
		char *path = xasprintf("%s/.env", recipedir);

		scrub_dotenv(path);
		free(path);
	}
}

/* a connection's name stays shown, its password, user, host and socket go; call with hid.mu held */
static void
add_conn(const struct conn *c)
{
	add_shown(c->name);
	add_locked(c->password, hidden_label, H_SECRET, false);
	add_locked(c->user, hidden_label, H_NAME, false);
	add_locked(c->host, hidden_label, H_NAME, true);
	add_locked(c->socket, hidden_label, H_NAME, false);
	add_locked(c->bind_address, hidden_label, H_NAME, true);
	/* a cluster's nodes: each host:port, and the host alone (a message may name it so) */
	for (size_t i = 0; i < c->nhosts; i++) {
		char *host;
		unsigned port;

		add_locked(c->hosts[i], hidden_label, H_NAME, false);
		if (!hostport_parse(c->hosts[i], &host, &port)) {
			add_locked(host, hidden_label, H_NAME, true);
			free(host);
		}
	}
}

void
scrub_add_recipe(const struct recipe *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&hid.mu);
	add_shown(r->name);
	for (size_t i = 0; i < r->ntargets; i++)
		add_shown(r->targets[i].name);
	for (size_t i = 0; i < r->nconns; i++)
		add_conn(&r->conns[i]);
	/* the sites of groups too: their errors come from their servers */
	for (size_t g = 0; g < r->nsites; g++) {
		add_shown(r->sites[g].name);
		for (size_t i = 0; i < r->sites[g].nsites; i++)
			add_conn(&r->sites[g].sites[i]);
	}
	pthread_mutex_unlock(&hid.mu);
}

static bool
wordchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* a name the UI shows as an identifier anyway: hiding it as a word would hide a target; call with hid.mu held */
static bool
shown(const struct hidden *h)
{
	for (size_t i = 0; i < hid.nshown; i++)
		if (strcmp(hid.shown[i], h->value) == 0)
			return true;
	return false;
}

/* h matches s at i: whole words for names, and for secrets short enough to be a common word */
static bool
match_at(const struct hidden *h, const char *s, size_t n, size_t i)
{
	bool word = h->cls == H_NAME || h->len < 8;

	if (h->len > n - i || memcmp(s + i, h->value, h->len) != 0)
		return false;
	if (!word)
		return true;
	if (wordchar((unsigned char)h->value[0]) && i > 0 && wordchar((unsigned char)s[i - 1]))
		return false;
	if (wordchar((unsigned char)h->value[h->len - 1]) && i + h->len < n &&
	    wordchar((unsigned char)s[i + h->len]))
		return false;
	/* a word the UI says anyway (a user or password 'chacc', a user named as a target) stays */
	return !shown(h);
}

/* every known value in s[0..n) replaced by its label; call with hid.mu held */
static void
hide_values(struct buf *b, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const struct hidden *h = NULL;

		if (hid.first[(unsigned char)s[i]])
			for (size_t k = 0; k < hid.n && !h; k++)
				if (match_at(&hid.v[k], s, n, i))
					h = &hid.v[k];
		if (!h) {
			buf_addc(b, s[i++]);
			continue;
		}
		buf_adds(b, h->label);
		i += h->len;
		if (h->host && i + 1 < n && s[i] == ':' && s[i + 1] >= '0' && s[i + 1] <= '9')
			for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
				;
	}
}

/* the end of a quoted text starting at s (a quote), on one line, or NULL */
static const char *
quoted_end(const char *s, const char *end)
{
	for (const char *p = s + 1; p < end && *p != '\n'; p++)
		if (*p == *s)
			return p + 1;
	return NULL;
}

static bool
isquote(int c)
{
	return c == '\'' || c == '`' || c == '"';
}

/*
 * the words of server and client messages that name a user, host or socket:
 * "cannot connect to HOST:PORT as 'USER'" (chacc), "'USER'@'HOST'", and the
 * quoted text after "server on", "server host", "through socket", "Host",
 * "user" (MariaDB)
 */
static void
hide_patterns(struct buf *b, const char *s, size_t n)
{
	static const char connect[] = "cannot connect to ";
	static const char *const before[] = {
		"server on ", "server host ", "through socket ", "Host ", "host ", "user ",
	};
	const char *p = s, *end = s + n;

	while (p < end) {
		const char *q, *e;
		size_t k;

		/* "cannot connect to X as 'U'" */
		if ((size_t)(end - p) >= sizeof(connect) - 1 &&
		    memcmp(p, connect, sizeof(connect) - 1) == 0) {
			for (q = p + sizeof(connect) - 1; q + 4 < end && *q != '\n'; q++)
				if (memcmp(q, " as ", 4) == 0 && isquote((unsigned char)q[4]) &&
				    (e = quoted_end(q + 4, end))) {
					buf_adds(b, "cannot connect");
					p = e;
					goto next;
				}
		}
		/* 'U'@'H' */
		if (isquote((unsigned char)*p) && (q = quoted_end(p, end)) && q + 1 < end && *q == '@' &&
		    isquote((unsigned char)q[1]) && (e = quoted_end(q + 1, end))) {
			buf_adds(b, hidden_label);
			p = e;
			goto next;
		}
		for (k = 0; k < LEN(before); k++) {
			size_t len = strlen(before[k]);

			if ((size_t)(end - p) > len && memcmp(p, before[k], len) == 0 &&
			    (p == s || !wordchar((unsigned char)p[-1])) &&
			    isquote((unsigned char)p[len]) && (e = quoted_end(p + len, end))) {
				/* leave "user 'a'@'b'" to the rule above */
				if (e < end && *e == '@')
					continue;
				buf_add(b, p, len);
				buf_adds(b, hidden_label);
				p = e;
				goto next;
			}
		}
		buf_addc(b, *p++);
next:;
	}
}

char *
scrub_textn(const char *s, size_t n, size_t *outlen)
{
	struct buf pat, out;

	buf_init(&pat);
	buf_adds(&pat, "");
	hide_patterns(&pat, s, n);
	buf_init(&out);
	buf_adds(&out, "");
	pthread_mutex_lock(&hid.mu);
	hide_values(&out, pat.s, pat.len);
	pthread_mutex_unlock(&hid.mu);
	buf_release(&pat);
	if (outlen)
		*outlen = out.len;
	return buf_detach(&out);
}

bool
scrub_has_secret(const char *s, size_t n)
{
	bool found = false;

	pthread_mutex_lock(&hid.mu);
	for (size_t i = 0; i < n && !found; i++)
		if (hid.first[(unsigned char)s[i]])
			for (size_t k = 0; k < hid.n && !found; k++)
				found = hid.v[k].cls == H_SECRET && match_at(&hid.v[k], s, n, i);
	pthread_mutex_unlock(&hid.mu);
	return found;
}

static void
scrub_string(json_t *j)
{
	size_t n = json_string_length(j), m;
	char *t = scrub_textn(json_string_value(j), n, &m);

	if (m != n || memcmp(t, json_string_value(j), n) != 0)
		json_string_setn(j, t, m);
	free(t);
}

void
scrub_json(json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_string(j))
		scrub_string(j);
	else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			scrub_json(v);
	} else if (json_is_object(j)) {
		json_object_foreach(j, key, v)
			/* the text of a config file, as the editor saves it back: see web_file_text() */
			if (strcmp(key, "content") != 0 && strcmp(key, "text") != 0)
				scrub_json(v);
	}
}

/* the length of the valid UTF-8 sequence at s (at most n bytes), or 0 */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool
web_utf8(const char *s, size_t n)
{
	for (size_t i = 0, k; i < n; i += k)
		if (!(k = utf8_seq((const unsigned char *)s + i, n - i)))
			return false;
	return true;
}

json_t *
web_jstrn(const char *s, size_t n)
{
	struct buf b;
	json_t *j;

	if (!s)
		return json_null();
	if (web_utf8(s, n))
		return json_stringn(s, n);
	/* each byte that is not UTF-8 becomes U+FFFD */
	buf_init(&b);
	buf_adds(&b, "");
	for (size_t i = 0, k; i < n; i += k) {
		if ((k = utf8_seq((const unsigned char *)s + i, n - i)))
			buf_add(&b, s + i, k);
		else {
			buf_adds(&b, "\xef\xbf\xbd");
			k = 1;
		}
	}
	j = json_stringn(b.s, b.len);
	buf_release(&b);
	return j;
}

json_t *
web_jstr(const char *s)
{
	return s ? web_jstrn(s, strlen(s)) : json_null();
}
