/* report_sites.c: the sites of targets that read a group (etl_sites), as data (JSON, metrics) */
#include "report.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recipe.h"
#include "session.h"
#include "store.h"
#include "util.h"

static json_t *
ts_json(const char *ts)
{
	return *ts ? json_string(ts) : json_null();
}

/* one site as status and the web UI show it */
static json_t *
site_json(const struct store_site *x)
{
	json_t *o = json_object();

	json_object_set_new(o, "site", json_string(x->site));
	json_object_set_new(o, "state", json_string(strcmp(x->status, "ok") == 0 ? "ok" : "failed"));
	json_object_set_new(o, "error", x->error && strcmp(x->status, "ok") != 0 ?
	                    json_string(x->error) : json_null());
	json_object_set_new(o, "watermark", x->watermark ? json_string(x->watermark) : json_null());
	json_object_set_new(o, "last_attempt", ts_json(x->last_attempt));
	json_object_set_new(o, "last_success", ts_json(x->last_success));
	json_object_set_new(o, "lag_seconds", x->lag >= 0 ? json_real(round(x->lag * 1000) / 1000) :
	                    json_null());
	json_object_set_new(o, "rows", x->rows >= 0 ? json_integer(x->rows) : json_null());
	return o;
}

json_t *
report_sites(struct session *s, const char *target, char **err)
{
	struct store_site *v = NULL;
	long n = store_sites_load(s->conns.store, target, &v);
	json_t *all;

	if (n < 0) {
		*err = xasprintf("cannot read the sites: %s", store_error(s->conns.store));
		return NULL;
	}
	all = json_object();
	for (long i = 0; i < n; i++) {
		json_t *list = json_object_get(all, v[i].target);

		if (!list) {
			list = json_array();
			json_object_set_new(all, v[i].target, list);
		}
		json_array_append_new(list, site_json(&v[i]));
	}
	store_sites_free(v, n);
	return all;
}

size_t
report_sites_failed(json_t *sites)
{
	size_t i, n = 0;
	json_t *x;

	json_array_foreach(sites, i, x)
		n += strcmp(json_string_value(json_object_get(x, "state")), "ok") != 0;
	return n;
}

const char *
report_sites_detail(json_t *sites, char *out, size_t size)
{
	size_t failed = report_sites_failed(sites);

	if (!failed)
		return NULL;
	snprintf(out, size, "%zu of %zu site%s failed", failed, json_array_size(sites),
	         json_array_size(sites) == 1 ? "" : "s");
	return out;
}

double
report_age(const char *ts, const char *now)
{
	double a = ts_seconds(ts), b = ts_seconds(now);

	return a < 0 || b < 0 ? -1 : b > a ? b - a : 0;
}

const char *
report_age_words(double secs, char *out, size_t size)
{
	static const struct { double secs; const char *unit; } units[] = {
		{ 86400, "d" }, { 3600, "h" }, { 60, "m" },
	};

	for (size_t i = 0; i < LEN(units); i++)
		if (secs >= units[i].secs) {
			snprintf(out, size, "%.0f%s", floor(secs / units[i].secs), units[i].unit);
			return out;
		}
	snprintf(out, size, "%.0fs", secs < 0 ? 0 : floor(secs));
	return out;
}

/* one sample of a site's metric: recipe, target and site labels */
static void
site_sample(struct buf *out, struct session *s, const char *name, const struct store_site *x)
{
	buf_addf(out, "%s{recipe=\"", name);
	report_label(out, s->r->name);
	buf_adds(out, "\",target=\"");
	report_label(out, x->target);
	buf_adds(out, "\",site=\"");
	report_label(out, x->site);
	buf_adds(out, "\"} ");
}

void
report_sites_metrics(struct session *s, struct buf *out)
{
	struct store_site *v = NULL;
	long n = store_sites_load(s->conns.store, NULL, &v);
	double now = now_seconds();

	buf_adds(out, "# HELP chacc_site_up 1 when the last read of a site of a target succeeded.\n"
	         "# TYPE chacc_site_up gauge\n");
	for (long i = 0; i < n; i++) {
		site_sample(out, s, "chacc_site_up", &v[i]);
		buf_addf(out, "%d\n", strcmp(v[i].status, "ok") == 0);
	}
	buf_adds(out, "# HELP chacc_site_lag_seconds Seconds since a site of a target was last read"
	         " successfully (none: never).\n# TYPE chacc_site_lag_seconds gauge\n");
	for (long i = 0; i < n; i++)
		if (v[i].lag >= 0) {
			site_sample(out, s, "chacc_site_lag_seconds", &v[i]);
			buf_addf(out, "%.3f\n", v[i].lag);
		}
	buf_adds(out, "# HELP chacc_site_last_success_timestamp_seconds When a site of a target was"
	         " last read successfully (Unix time, 0: never).\n"
	         "# TYPE chacc_site_last_success_timestamp_seconds gauge\n");
	for (long i = 0; i < n; i++) {
		site_sample(out, s, "chacc_site_last_success_timestamp_seconds", &v[i]);
		/* the lag is of the target server's clock: no time zone to guess */
		buf_addf(out, "%.3f\n", v[i].lag >= 0 ? now - v[i].lag : 0.0);
	}
	store_sites_free(v, n > 0 ? n : 0);
}
