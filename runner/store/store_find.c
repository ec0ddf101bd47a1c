/* store_find.c: the history's filter (modes, results, a date range, a page), as the command line and the web take it */
#include "store_impl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

static const char *const modes[] = { "incremental", "full-refresh", "forced", "scheduled", "test" };
static const char *const results[] = {
	"success", "failed", "interrupted", RUN_NOTHING_TO_DO, "running",
};

static bool
one_of(const char *v, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, list[i]) == 0)
			return true;
	return false;
}

/*
 * "YYYY-MM-DD" or "YYYY-MM-DD HH:MM[:SS]" (or a T for the space) into out
 * (TS_LEN) as "YYYY-MM-DD HH:MM:SS"; a date alone that ends a range is the
 * start of the next day. 0, or -1 when it is no such date (2024-02-30 too)
 */
static int
bound(const char *in, bool end, char *out)
{
	int y, mo, d, h = 0, mi = 0, s = 0, n = -1, k = -1;
	struct tm tm = { 0 }, back;
	time_t t;

	if (sscanf(in, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	if (in[n] == ' ' || in[n] == 'T') {
		const char *p = in + n + 1;

		if (sscanf(p, "%2d:%2d%n", &h, &mi, &k) != 2 || k != 5)
			return -1;
		if (p[k] == ':' && (sscanf(p + k + 1, "%2d%n", &s, &n) != 1 || n != 2 ||
		                    p[k + 3] != '\0'))
			return -1;
		if (p[k] != ':' && p[k] != '\0')
			return -1;
		end = false;
	} else if (in[n] != '\0')
		return -1;
	if (y < 1000 || h > 23 || mi > 59 || s > 59 || h < 0 || mi < 0 || s < 0)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	if (!gmtime_r(&t, &back) || back.tm_year != y - 1900 || back.tm_mon != mo - 1 ||
	    back.tm_mday != d)
		return -1;
	if (end)
		t += 24 * 60 * 60;
	gmtime_r(&t, &back);
	strftime(out, TS_LEN, "%Y-%m-%d %H:%M:%S", &back);
	return 0;
}

int
store_runs_filter_parse(struct store_runs_filter *f, const char *const names[4],
                        const char *mode, const char *result, const char *from,
                        const char *until, char *from_ts, char *until_ts, char **err)
{
	static const char dates[] = "expected YYYY-MM-DD (the whole day) or 'YYYY-MM-DD HH:MM[:SS]'";

	*err = NULL;
	f->mode = mode && *mode ? mode : NULL;
	f->result = result && *result ? result : NULL;
	f->from = f->until = NULL;
	if (f->mode && !one_of(f->mode, modes, LEN(modes)))
		*err = xasprintf("invalid %s '%s': a run's mode is " STORE_RUN_MODES, names[0], mode);
	else if (f->result && !one_of(f->result, results, LEN(results)))
		*err = xasprintf("invalid %s '%s': a run's result is " STORE_RUN_RESULTS, names[1],
		                 result);
	else if (from && *from && bound(from, false, from_ts) < 0)
		*err = xasprintf("invalid %s '%s': %s", names[2], from, dates);
	else if (until && *until && bound(until, true, until_ts) < 0)
		*err = xasprintf("invalid %s '%s': %s", names[3], until, dates);
	else {
		f->from = from && *from ? from_ts : NULL;
		f->until = until && *until ? until_ts : NULL;
		if (f->from && f->until && strcmp(f->from, f->until) >= 0)
			*err = xasprintf("invalid %s '%s': it is not after %s '%s'", names[3], until,
			                 names[2], from);
	}
	return *err ? -1 : 0;
}

struct store_rows *
store_runs_find(struct store *st, const struct store_runs_filter *f, long long *total)
{
	*total = 0;
	return st->ops->runs_find(st, f, total);
}
