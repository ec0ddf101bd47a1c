-- PostgreSQL's quoting: dollar quotes, E strings, standard strings, nested comments
CREATE OR REPLACE FUNCTION f(t text) RETURNS void LANGUAGE plpgsql AS $body$
BEGIN
  EXECUTE format('DELETE FROM %I WHERE a = $1', t) USING E'it\'s';
END;
$body$;
SELECT '\', "a""b", x$y$ FROM t /* a /* b */ c */ WHERE v = $$;$$;
CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; END;
CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b);
