/* check_util.c: durations, strings, hashing */
#include <string.h>
#include <time.h>

#include "diag.h"
#include "run.h"
#include "strset.h"
#include "testutil.h"
#include "util.h"

START_TEST(test_durations)
{
	double s;

	ck_assert_int_eq(parse_duration("10s", &s), 0);
	ck_assert_double_eq(s, 10);
	ck_assert_int_eq(parse_duration("5m", &s), 0);
	ck_assert_double_eq(s, 300);
	ck_assert_int_eq(parse_duration("1.5h", &s), 0);
	ck_assert_double_eq(s, 5400);
	ck_assert_int_eq(parse_duration("2d", &s), 0);
	ck_assert_double_eq(s, 172800);
	ck_assert_int_eq(parse_duration("250ms", &s), 0);
	ck_assert_double_eq_tol(s, 0.25, 1e-9);
	ck_assert_int_eq(parse_duration("42", &s), 0);
	ck_assert_double_eq(s, 42);
	ck_assert_int_eq(parse_duration("", &s), -1);
	ck_assert_int_eq(parse_duration("10 parsecs", &s), -1);
	ck_assert_int_eq(parse_duration("-3s", &s), -1);
	ck_assert_int_eq(parse_duration("m", &s), -1);
	/* one spelling: a unit right after the number, no words, signs or exponents */
	ck_assert_int_eq(parse_duration("0", &s), 0);
	ck_assert_double_eq(s, 0);
	ck_assert_int_eq(parse_duration("0.5s", &s), 0);
	ck_assert_double_eq(s, 0.5);
	ck_assert_int_eq(parse_duration("1 sec", &s), -1);
	ck_assert_int_eq(parse_duration("1sec", &s), -1);
	ck_assert_int_eq(parse_duration("5 minutes", &s), -1);
	ck_assert_int_eq(parse_duration("5min", &s), -1);
	ck_assert_int_eq(parse_duration("5 m", &s), -1);
	ck_assert_int_eq(parse_duration(" 5m", &s), -1);
	ck_assert_int_eq(parse_duration("+5m", &s), -1);
	ck_assert_int_eq(parse_duration("1e3", &s), -1);
	ck_assert_int_eq(parse_duration("0x10", &s), -1);
	ck_assert_int_eq(parse_duration("inf", &s), -1);
	ck_assert_int_eq(parse_duration(".", &s), -1);
	ck_assert_int_eq(parse_duration("1.2.3s", &s), -1);
	ck_assert_int_eq(parse_duration("5ms5", &s), -1);
	ck_assert_int_eq(parse_duration("5M", &s), -1);
}
END_TEST

START_TEST(test_buf_grows_and_detaches)
{
	struct buf b;
	char *s;

	buf_init(&b);
	for (int i = 0; i < 1000; i++)
		buf_addf(&b, "%d,", i);
	ck_assert(strstarts(b.s, "0,1,2,"));
	ck_assert_uint_eq(b.len, strlen(b.s));
	s = buf_detach(&b);
	ck_assert_ptr_null(b.s);
	ck_assert(strstr(s, "999,") != NULL);
	free(s);
	s = buf_detach(&b);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_sha256_and_trim)
{
	char hex[65], t[] = "  \tword \n";

	sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_str_eq(strtrim(t), "word");
}
END_TEST

/* --since: a date or a date and time, not in the future, with a message that says which */
START_TEST(test_since_dates)
{
	struct diags ds;
	char future[32];
	time_t t = time(NULL) + 2 * 86400;
	struct tm tm;

	diags_init(&ds);
	ck_assert_int_eq(run_check_since(NULL, &ds), 0);
	ck_assert_int_eq(run_check_since("2024-02-29", &ds), 0);
	ck_assert_int_eq(run_check_since("2024-02-29 23:59:59", &ds), 0);
	ck_assert_uint_eq(ds.n, 0);
	localtime_r(&t, &tm);
	strftime(future, sizeof(future), "%Y-%m-%d", &tm);
	ck_assert_int_eq(run_check_since(future, &ds), -1);
	ck_assert_uint_eq(ds.n, 1);
	ck_assert(strstr(ds.v[0].message, "it is in the future") != NULL);
	ck_assert(strstr(ds.v[0].message, future) != NULL);
	diags_release(&ds);
	ck_assert_int_eq(run_check_since("2999-01-01 00:00:00", &ds), -1);
	diags_release(&ds);
	static const char *bad[] = { "yesterday", "2024-13-01", "2024-01-32", "2024-01-01x",
	                             "2024-01-01 10:11", "2024-01-01 25:00:00", "2024-01-01 ",
	                             "24-01-01", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_msg(run_check_since(bad[i], &ds) == -1, "'%s' taken", bad[i]);
		ck_assert(strstr(ds.v[0].message, "expected YYYY-MM-DD") != NULL);
		diags_release(&ds);
	}
}
END_TEST

/* a set of strings: each once, in the order added, through its growth, NUL bytes and all */
START_TEST(test_hostport)
{
	static const struct {
		const char *in, *host;
		unsigned port;
		const char *why;
	} cases[] = {
		{ "db1", "db1", 0, NULL },
		{ "db1:3306", "db1", 3306, NULL },
		{ "10.0.0.2:1", "10.0.0.2", 1, NULL },
		{ "[::1]", "::1", 0, NULL },
		{ "[fe80::1]:3307", "fe80::1", 3307, NULL },
		{ "db1:0", NULL, 0, "the port is a whole number from 1 to 65535" },
		{ "db1:65536", NULL, 0, "the port is a whole number from 1 to 65535" },
		{ "db1:", NULL, 0, "the port is a whole number from 1 to 65535" },
		{ "db1:33a", NULL, 0, "the port is a whole number from 1 to 65535" },
		{ ":3306", NULL, 0, "no host before the port" },
		{ "", NULL, 0, "no host before the port" },
		{ "::1", NULL, 0, "an IPv6 address goes in brackets: [ADDRESS]:PORT" },
		{ "[::1", NULL, 0, "an IPv6 address in brackets needs its closing ']'" },
		{ "[]:1", NULL, 0, "an IPv6 address in brackets needs its closing ']'" },
		{ "[::1]3306", NULL, 0, "expected ':PORT' after ']'" },
		{ "a b:1", NULL, 0, "a host name has no spaces, commas, slashes or '@'" },
		{ "u@db:1", NULL, 0, "a host name has no spaces, commas, slashes or '@'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *host;
		unsigned port;
		const char *why = hostport_parse(cases[i].in, &host, &port);

		if (cases[i].why) {
			ck_assert_msg(why && strcmp(why, cases[i].why) == 0, "'%s': %s", cases[i].in,
			              why ? why : "accepted");
			ck_assert_ptr_null(host);
			continue;
		}
		ck_assert_msg(!why, "'%s': %s", cases[i].in, why);
		ck_assert_str_eq(host, cases[i].host);
		ck_assert_uint_eq(port, cases[i].port);
		free(host);
	}
}
END_TEST

START_TEST(test_strset)
{
	struct strset set = { 0 };
	char key[32];

	for (int i = 0; i < 5000; i++) {
		int n = snprintf(key, sizeof(key), "k%d", i);

		ck_assert(strset_add(&set, key, (size_t)n));
		ck_assert(!strset_add(&set, key, (size_t)n));
	}
	ck_assert_uint_eq(set.n, 5000);
	ck_assert_str_eq(set.v[0], "k0");
	ck_assert_str_eq(set.v[4999], "k4999");
	ck_assert(strset_has(&set, "k1234", 5));
	ck_assert(!strset_has(&set, "k12345", 6));
	/* "a\0b" and "a\0c" differ after the NUL; "a" is a third */
	ck_assert(strset_add(&set, "a\0b", 3));
	ck_assert(strset_add(&set, "a\0c", 3));
	ck_assert(strset_add(&set, "a", 1));
	ck_assert(!strset_add(&set, "a\0b", 3));
	ck_assert(strset_add(&set, "", 0));
	ck_assert(!strset_add(&set, "", 0));
	ck_assert_uint_eq(set.n, 5004);
	strset_release(&set);
	ck_assert_uint_eq(set.n, 0);
	ck_assert(!strset_has(&set, "k1", 2));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_buf_grows_and_detaches);
	tcase_add_test(tc, test_sha256_and_trim);
	tcase_add_test(tc, test_since_dates);
	tcase_add_test(tc, test_strset);
	tcase_add_test(tc, test_hostport);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
