# chacc: keeps analytics tables up to date the way make keeps files up to date

PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
DATADIR = $(PREFIX)/share
BASHCOMPDIR = $(DATADIR)/bash-completion/completions
ZSHCOMPDIR = $(DATADIR)/zsh/site-functions
CC = cc
PKGS = libmariadb libpq libcyaml yaml-0.1 libgit2 jansson libmicrohttpd libcrypto zlib
PKG_CFLAGS = $$(pkg-config --cflags $(PKGS))
PKG_LIBS = $$(pkg-config --libs $(PKGS))
WARN = -Wall -Wextra -Wshadow -Wpedantic -Wmissing-prototypes -Wno-unused-parameter
OPT = -O2 -g
SAN_1 = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_thread = -fsanitize=thread -fno-omit-frame-pointer
SAN = $(SAN_$(SANITIZE))
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(INC) $(OPT) $(WARN) $(SAN) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lpthread -lm

# the layers of runner/, from the bottom; each includes only its own headers
# and those below it (tests/lint-layers)
LAYERS = base engine recipe import git store build web cli
INC = $(LAYERS:%=-iquote runner/%)

OBJ = \
	runner/base/util.o \
	runner/base/strset.o \
	runner/base/diag.o \
	runner/base/sqlsplit.o \
	runner/base/sqlsplit_postgres.o \
	runner/base/env.o \
	runner/base/datafile_csv.o \
	runner/base/datafile_json.o \
	runner/recipe/recipe.o \
	runner/recipe/recipe_yaml.o \
	runner/recipe/recipe_walk.o \
	runner/recipe/recipe_node.o \
	runner/recipe/recipe_files.o \
	runner/recipe/recipe_check.o \
	runner/recipe/recipe_checks.o \
	runner/recipe/recipe_checkrefs.o \
	runner/recipe/recipe_pivot.o runner/recipe/recipe_pivotmap.o \
	runner/recipe/recipe_env.o \
	runner/recipe/recipe_sites.o \
	runner/recipe/recipe_changes.o \
	runner/recipe/recipe_hosts.o \
	runner/recipe/seed.o \
	runner/recipe/seed_value.o \
	runner/engine/db.o \
	runner/engine/db_copy.o \
	runner/engine/db_common.o \
	runner/engine/db_mariadb.o \
	runner/engine/db_mariadb_connect.o \
	runner/engine/db_mariadb_copy.o \
	runner/engine/db_mariadb_ddl.o \
	runner/engine/db_mariadb_table.o \
	runner/engine/db_mariadb_privs.o \
	runner/engine/db_mariadb_check.o \
	runner/engine/db_mariadb_types.o \
	runner/engine/db_mariadb_cross.o \
	runner/engine/db_mariadb_binlog.o \
	runner/engine/db_mariadb_rowimg.o \
	runner/engine/db_log.o \
	runner/engine/db_postgres.o \
	runner/engine/db_postgres_result.o \
	runner/engine/db_postgres_copy.o \
	runner/engine/db_postgres_table.o \
	runner/engine/db_postgres_ddl.o \
	runner/engine/db_postgres_rows.o \
	runner/engine/db_postgres_privs.o \
	runner/engine/db_postgres_check.o \
	runner/engine/db_postgres_types.o \
	runner/recipe/graph.o \
	runner/recipe/select.o \
	runner/recipe/plan.o \
	runner/recipe/marker.o \
	runner/store/store.o \
	runner/store/store_sql.o \
	runner/store/store_lease.o \
	runner/store/store_sql_runs.o \
	runner/store/store_sql_history.o \
	runner/store/store_sql_live.o \
	runner/store/store_sql_checks.o \
	runner/store/store_sql_sites.o \
	runner/store/store_sql_schema.o \
	runner/store/store_mariadb.o \
	runner/store/store_find.o \
	runner/store/store_mariadb_schema.o \
	runner/store/store_live.o \
	runner/store/store_postgres.o \
	runner/store/store_postgres_schema.o \
	runner/build/build_conns.o \
	runner/build/build_ops.o \
	runner/build/build_table.o \
	runner/build/build_pivot.o \
	runner/build/build_checks.o \
	runner/build/quality.o \
	runner/build/report_checks.o \
	runner/build/build_script.o \
	runner/build/build_extract.o \
	runner/build/build_changes.o \
	runner/build/build_share.o \
	runner/build/build_file.o \
	runner/build/build.o \
	runner/build/sched.o \
	runner/build/sched_pool.o \
	runner/build/sched_store.o \
	runner/base/log.o \
	runner/build/session.o \
	runner/build/run.o \
	runner/build/report.o \
	runner/build/report_sites.o \
	runner/build/leftovers.o \
	runner/build/sqlcheck.o \
	runner/build/profile.o \
	runner/build/profile_json.o \
	runner/build/profile_drift.o \
	runner/build/checks_sql.o \
	runner/build/checks_run.o \
	runner/build/build_sites.o \
	runner/build/sites_read.o \
	runner/git/vcs.o \
	runner/git/vcs_diff.o \
	runner/git/vcs_log.o \
	runner/git/vcs_review.o \
	runner/git/vcs_tree.o \
	runner/git/vcs_propose.o \
	runner/git/vcs_follow.o \
	runner/git/vcs_src.o \
	runner/import/luigi.o \
	runner/import/luigi_lex.o \
	runner/import/luigi_sql_mariadb.o \
	runner/import/luigi_conv.o \
	runner/import/luigi_proc.o \
	runner/import/luigi_write.o \
	runner/import/luigi_files.o \
	runner/import/luigi_postgres.o
CLI_OBJ = runner/cli/main.o runner/cli/opts.o runner/cli/cmd_config.o runner/cli/cmd_prune.o \
	runner/cli/cmd_status.o runner/cli/cmd_history.o runner/cli/cmd_clean.o \
	runner/cli/table.o runner/cli/cmd_import.o runner/cli/cmd_test.o
WEB_OBJ = runner/web/web.o runner/web/web_api.o runner/web/web_jobs.o runner/web/web_files.o \
	runner/web/web_review.o runner/cli/cmd_serve.o web/assets.o \
	runner/web/web_conn.o runner/web/web_events.o runner/web/web_scrub.o \
	runner/web/web_users.o runner/web/web_live.o runner/web/web_quality.o \
	runner/web/web_sites.o
# the web UI's files, compiled into chacc (web/vendor: CodeMirror, fetched by npm)
WEB_FILES = web/index.html web/login.html web/theme.js web/app.css web/favicon.svg \
	web/app.js web/dash.js web/graph.js web/runs.js web/edit.js web/review.js \
	web/quality.js web/sites.js
HDR = runner/*/*.h

UNIT_TESTS = \
	tests/check_util \
	tests/check_sqlsplit \
	tests/check_sqlnormal \
	tests/check_sqlsplit_postgres \
	tests/check_csv \
	tests/check_recipe \
	tests/check_recipe_errors \
	tests/check_recipe_hostile \
	tests/check_recipe_checks \
	tests/check_recipe_pivot \
	tests/check_recipe_sites \
	tests/check_graph \
	tests/check_plan \
	tests/check_sched \
	tests/check_report
# the slowest first: tests/run runs them in lanes (one more than the cores)
INTEGRATION_TESTS = \
	tests/check_browser \
	tests/check_extract \
	tests/check_sites \
	tests/check_galera \
	tests/check_changes \
	tests/check_store \
	tests/check_store_upgrade \
	tests/check_openmrs \
	tests/check_openmrs_checks \
	tests/check_openmrs_forms \
	tests/check_openmrs_sites \
	tests/check_web_live \
	tests/check_db \
	tests/check_db_table \
	tests/check_profile \
	tests/check_pg \
	tests/check_db_copy \
	tests/check_pg_copy \
	tests/check_build \
	tests/check_build_stop \
	tests/check_file \
	tests/check_pivot \
	tests/check_share \
	tests/check_build_checks \
	tests/check_vcs \
	tests/check_review \
	tests/check_web \
	tests/check_web_security \
	tests/check_web_secrets \
	tests/check_web_files \
	tests/check_web_history \
	tests/check_users \
	tests/check_cli \
	tests/check_cli_usage \
	tests/check_sqlcheck \
	tests/check_checks \
	tests/check_cli_read \
	tests/check_storeapi \
	tests/check_storeapi_pg \
	tests/check_luigi_run \
	tests/check_import

# fuzz targets (clang's libFuzzer): make fuzz [FUZZ_SECONDS=60]
FUZZ_CC = clang
FUZZ_SECONDS = 60
FUZZ_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -g -O1 $(INC) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	$$(pkg-config --cflags libcyaml yaml-0.1 libmariadb libpq jansson)
FUZZ_LIBS = $$(pkg-config --libs libcyaml yaml-0.1 libcrypto libmariadb libpq jansson zlib) -lpthread -lm
FUZZ_SRC = runner/base/util.c runner/base/diag.c runner/base/env.c runner/base/sqlsplit*.c runner/recipe/recipe.c \
	runner/recipe/recipe_yaml.c runner/recipe/recipe_walk.c runner/recipe/recipe_node.c \
	runner/recipe/recipe_files.c runner/recipe/recipe_check.c runner/recipe/recipe_env.c \
	runner/recipe/recipe_checks.c runner/recipe/recipe_checkrefs.c runner/recipe/recipe_pivot.c runner/recipe/recipe_pivotmap.c \
	runner/recipe/recipe_sites.c runner/recipe/recipe_changes.c runner/recipe/recipe_hosts.c runner/recipe/seed.c runner/recipe/seed_value.c runner/base/datafile_csv.c \
	runner/base/datafile_json.c runner/base/log.c runner/engine/db.c runner/engine/db_common.c runner/engine/db_copy.c runner/engine/db_mariadb*.c \
	runner/engine/db_postgres*.c
FUZZ_TARGETS = tests/fuzz/fuzz_recipe tests/fuzz/fuzz_sqlsplit tests/fuzz/fuzz_env

all: chacc

# make check, demo, bench and fuzz install the Debian packages they need
# (contrib/install-deps: only what is missing) before anything is compiled
ifneq ($(filter check demo bench fuzz,$(MAKECMDGOALS)),)
$(OBJ) $(CLI_OBJ) $(WEB_OBJ) web/embed web/vendor/files \
	tests/browser/node_modules/playwright-core/package.json: | deps
endif

deps:
	contrib/install-deps

chacc: $(OBJ) $(CLI_OBJ) $(WEB_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(WEB_OBJ) $(OBJ) $(LIBS)

.SUFFIXES: .c .o
.c.o:
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# each object's headers (-MMD): a changed header rebuilds what includes it
-include $(OBJ:.o=.d)

$(OBJ) $(CLI_OBJ) $(WEB_OBJ): $(HDR)

web/embed: web/embed.c
	$(CC) -O2 -o $@ web/embed.c

web/vendor/files: web/fetch-vendor
	web/fetch-vendor

web/assets.c: web/embed web/vendor/files $(WEB_FILES)
	web/embed $(WEB_FILES) $$(cat web/vendor/files) >$@.tmp && mv $@.tmp $@

tests/browser/node_modules/playwright-core/package.json: tests/browser/package.json
	cd tests/browser && npm install --no-audit --no-fund --loglevel=error

# the helpers the suites share
TEST_HDR = tests/testutil.h tests/itest.h tests/webtest.h tests/recipetest.h tests/vcstest.h tests/pgtest.h \
	tests/splittest.h tests/storetest.h \
	tests/dbtest.h tests/tabletest.h tests/buildtest.h tests/clitest.h tests/omtest.h \
	tests/pausetest.h tests/omequal.h

tests/check_%: tests/check_%.c $(TEST_HDR) $(OBJ)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(OBJ) $$(pkg-config --cflags --libs check) $(LIBS)

# the store in memory (tests/fake_store.h), for suites that need no server
FAKE_STORE = tests/fake_store.c tests/fake_store_runs.c tests/fake_store_live.c \
	tests/fake_store_checks.c tests/fake_store_sites.c
FAKE_STORE_HDR = tests/fake_store.h tests/fake_store_impl.h

# the store's contract (its cases: STOREAPI_CASES), on the fake store and MariaDB
STOREAPI_CASES = tests/storeapi_cases.h tests/storeapi_cases_live.h tests/storeapi_cases_checks.h \
	tests/storeapi_cases_sites.h
tests/check_storeapi: tests/check_storeapi.c $(FAKE_STORE) $(FAKE_STORE_HDR) tests/testutil.h \
		tests/itest.h $(STOREAPI_CASES) $(OBJ)
	$(CC) $(ALL_CFLAGS) -iquote tests $(ALL_LDFLAGS) -o $@ tests/check_storeapi.c \
		$(FAKE_STORE) $(OBJ) $$(pkg-config --cflags --libs check) $(LIBS)

# and on PostgreSQL
tests/check_storeapi_pg: $(STOREAPI_CASES)

# what status, the web UI and /metrics show of the store (sites), on the fake store
tests/check_report: tests/check_report.c $(FAKE_STORE) $(FAKE_STORE_HDR) tests/testutil.h $(OBJ)
	$(CC) $(ALL_CFLAGS) -iquote tests $(ALL_LDFLAGS) -o $@ tests/check_report.c \
		$(FAKE_STORE) $(OBJ) $$(pkg-config --cflags --libs check) $(LIBS)

tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRC) $(HDR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRC) $(FUZZ_LIBS)

fuzz: $(FUZZ_TARGETS)
	tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

check: lint chacc $(UNIT_TESTS) $(INTEGRATION_TESTS) tests/browser/node_modules/playwright-core/package.json
	tests/run $(UNIT_TESTS) -- $(INTEGRATION_TESTS)

# engine SQL only in the engines' files; each layer uses only those below it
lint:
	tests/lint-dialect
	tests/lint-layers

unit: $(UNIT_TESTS)
	tests/run $(UNIT_TESTS)

demo: chacc
	contrib/demo

bench: chacc
	tests/bench/run
	tests/bench/openmrs
	tests/bench/galera
	tests/bench/postgres
	tests/bench/checks
	tests/bench/sites

install: chacc
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	cp chacc $(DESTDIR)$(BINDIR)/chacc
	cp doc/chacc.1 $(DESTDIR)$(MANDIR)/man1/chacc.1
	mkdir -p $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	cp contrib/completion/chacc.bash $(DESTDIR)$(BASHCOMPDIR)/chacc
	cp contrib/completion/_chacc $(DESTDIR)$(ZSHCOMPDIR)/_chacc

# the Debian package chacc_VERSION-1_ARCH.deb in DEBDIR (contrib/debian/build-deb;
# checked by tests/deb-check)
DEBDIR = .
deb: chacc
	contrib/debian/build-deb $(DEBDIR)

clean:
	rm -f chacc_*.deb
	rm -f chacc runner/*/*.o runner/*/*.d $(UNIT_TESTS) $(INTEGRATION_TESTS) web/embed web/assets.c web/assets.o web/assets.d
	rm -f $(FUZZ_TARGETS)

.PHONY: all deps check lint unit demo bench install clean fuzz deb
