/* seed_value.c: the values of a file target: their types inferred, and checked against declared ones */
#include "seed_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* characters (not bytes) of UTF-8 text */
static unsigned
chars(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static bool
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* a plain decimal number: [-]digits[.digits]; its digits before and after the point */
static bool
plain_number(const char *s, unsigned *intd, unsigned *frac, bool leading_zeros)
{
	const char *dot;
	size_t n;

	if (*s == '-' || *s == '+')
		s++;
	dot = strchr(s, '.');
	n = dot ? (size_t)(dot - s) : strlen(s);
	if (!digits(s, n) || (dot && !digits(dot + 1, strlen(dot + 1))))
		return false;
	/* "007" is a code, not a number (unless a declared type says so) */
	if (!leading_zeros && n > 1 && s[0] == '0')
		return false;
	while (n > 1 && *s == '0') {
		s++;
		n--;
	}
	*intd = (unsigned)n - (n == 1 && *s == '0');
	*frac = dot ? (unsigned)strlen(dot + 1) : 0;
	return true;
}

/* a whole number in the range of 64 bits */
static bool
whole(const char *s, bool leading_zeros)
{
	unsigned intd, frac;
	char *end;

	if (!plain_number(s, &intd, &frac, leading_zeros) || strchr(s, '.'))
		return false;
	errno = 0;
	(void)strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* any number with digits, a point and an exponent, finite */
static bool
floating(const char *s)
{
	char *end;
	double v;

	if (!*s || strspn(s, "0123456789+-.eE") != strlen(s) || !strpbrk(s, "0123456789"))
		return false;
	errno = 0;
	v = strtod(s, &end);
	return *end == '\0' && errno != ERANGE && isfinite(v);
}

/* "007", "-01.5": a leading zero before more digits */
static bool
leading_zero(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	return s[0] == '0' && s[1] >= '0' && s[1] <= '9';
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* YYYY-MM-DD, a day of the calendar */
static bool
date(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (strlen(s) < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2))
		return false;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap(y)))
		return false;
	return true;
}

/* a date with a time of day (YYYY-MM-DD HH:MM[:SS[.ffffff]], or T between); its fraction digits */
static bool
datetime(const char *s, unsigned *frac)
{
	const char *t = s + 10;

	*frac = 0;
	if (!date(s) || (*t != ' ' && *t != 'T') || !digits(t + 1, 2) || t[3] != ':' ||
	    !digits(t + 4, 2) || atoi(t + 1) > 23 || atoi(t + 4) > 59)
		return false;
	t += 6;
	if (!*t)
		return true;
	if (*t != ':' || !digits(t + 1, 2) || atoi(t + 1) > 59)
		return false;
	t += 3;
	if (!*t)
		return true;
	if (*t != '.' || !digits(t + 1, strlen(t + 1)) || strlen(t + 1) > 6)
		return false;
	*frac = (unsigned)strlen(t + 1);
	return true;
}

static bool
boolword(const char *s)
{
	return !strcasecmp(s, "true") || !strcasecmp(s, "false");
}

void
infer_init(struct infer *in)
{
	memset(in, 0, sizeof(*in));
	in->ints = in->decs = in->floats = in->dates = in->datetimes = in->bools = true;
}

void
infer_add(struct infer *in, const struct dcell *c, bool json)
{
	/* numbers in JSON are numbers, its strings are text; CSV has text only */
	bool number = c->kind == DCELL_NUMBER || (c->kind == DCELL_TEXT && !json);
	bool text = c->kind == DCELL_TEXT;
	unsigned intd, frac, n;

	if (c->kind == DCELL_NULL)
		return;
	in->any = true;
	if ((n = chars(c->text)) > in->maxlen)
		in->maxlen = n;
	in->bools &= c->kind == DCELL_BOOL || (text && !json && boolword(c->text));
	in->ints &= number && whole(c->text, false);
	if (number && plain_number(c->text, &intd, &frac, false)) {
		in->intd = intd > in->intd ? intd : in->intd;
		in->frac = frac > in->frac ? frac : in->frac;
	} else {
		in->decs = false;
	}
	in->floats &= number && floating(c->text) && !leading_zero(c->text);
	in->dates &= text && date(c->text) && strlen(c->text) == 10;
	if (text && (datetime(c->text, &frac) || (date(c->text) && strlen(c->text) == 10)))
		in->dtfrac = frac > in->dtfrac ? frac : in->dtfrac;
	else
		in->datetimes = false;
}

void
infer_type(const struct infer *in, struct db_type *t)
{
	memset(t, 0, sizeof(*t));
	if (!in->any) {
		t->kind = DB_T_STRING;
		t->len = 255;
	} else if (in->bools) {
		t->kind = DB_T_BOOL;
	} else if (in->ints) {
		t->kind = DB_T_INT;
		t->bits = 64;
	} else if (in->decs && in->intd + in->frac <= 65 && in->frac <= 30) {
		t->kind = DB_T_DECIMAL;
		t->prec = (in->intd ? in->intd : 1) + in->frac;
		t->scale = in->frac;
	} else if (in->floats || in->decs) {
		t->kind = DB_T_FLOAT;
	} else if (in->dates) {
		t->kind = DB_T_DATE;
	} else if (in->datetimes) {
		t->kind = DB_T_DATETIME;
		t->scale = in->dtfrac;
	} else {
		t->kind = DB_T_STRING;
		t->len = in->maxlen > 255 ? 0 : in->maxlen ? in->maxlen : 1;
	}
}

/* whether whole number s is in the range of an integer of bits, maybe unsigned */
static bool
int_range(const char *s, unsigned bits, bool is_unsigned)
{
	long long v;

	errno = 0;
	if (is_unsigned) {
		unsigned long long u;

		if (*s == '-')
			return strspn(s + 1, "0") == strlen(s + 1);
		u = strtoull(s, NULL, 10);
		return errno == 0 && (bits >= 64 || u < 1ULL << bits);
	}
	v = strtoll(s, NULL, 10);
	if (errno)
		return false;
	return bits >= 64 || (v >= -(1LL << (bits - 1)) && v < 1LL << (bits - 1));
}

const char *
value_fits(const struct db_type *t, const struct dcell *c)
{
	unsigned intd, frac;

	if (c->kind == DCELL_NULL)
		return NULL;
	switch (t->kind) {
	case DB_T_INT:
		if (c->kind == DCELL_BOOL)
			return NULL;
		if (!whole(c->text, true) && !(plain_number(c->text, &intd, &frac, true) &&
		    !strchr(c->text, '.')))
			return "not a whole number";
		return int_range(c->text, t->bits, t->is_unsigned) ? NULL : "out of range";
	case DB_T_BOOL:
		if (c->kind == DCELL_BOOL || boolword(c->text) || !strcmp(c->text, "0") ||
		    !strcmp(c->text, "1"))
			return NULL;
		return "not true, false, 1 or 0";
	case DB_T_DECIMAL:
		if (plain_number(c->text, &intd, &frac, true))
			return intd <= t->prec - t->scale ? NULL : "too many digits before the point";
		return floating(c->text) ? NULL : "not a number";
	case DB_T_FLOAT:
		return floating(c->text) ? NULL : "not a number";
	case DB_T_DATE:
		return date(c->text) && strlen(c->text) == 10 ? NULL : "not a date (YYYY-MM-DD)";
	case DB_T_DATETIME:
		if ((date(c->text) && strlen(c->text) == 10) || datetime(c->text, &frac))
			return NULL;
		return "not a date and time (YYYY-MM-DD HH:MM:SS)";
	case DB_T_STRING:
		if (c->kind == DCELL_BOOL || !t->len || chars(c->text) <= t->len)
			return NULL;
		return "too long";
	default: /* DB_T_OTHER; the kinds of result columns are never a file's */
		break;
	}
	return NULL;
}

char *
value_text(const struct db_type *t, const struct dcell *c)
{
	if (c->kind == DCELL_NULL)
		return NULL;
	if (t->kind == DB_T_BOOL || t->kind == DB_T_INT) {
		if (!strcasecmp(c->text, "true"))
			return xstrdup("1");
		if (!strcasecmp(c->text, "false"))
			return xstrdup("0");
	}
	/* a JSON boolean in a column of text keeps its word */
	if (c->kind == DCELL_BOOL && (t->kind == DB_T_STRING || t->kind == DB_T_OTHER))
		return xstrdup(strcmp(c->text, "1") ? "false" : "true");
	return xstrdup(c->text);
}
