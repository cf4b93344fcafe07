# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The SQL that FreeRADIUS runs: PostgreSQL functions and views owned by
partak_usage, (re)created by `create(cursor)` at each update of the module.

Hot path, no Python:
- `partak_radius_policy()` — one row per internet account: password, the
  line's current service period, remaining traffic, speeds, static IP and
  the reason to refuse a login (NULL = accept).  A LANGUAGE sql set-returning
  function: PostgreSQL inlines it, so `WHERE username = ...` reaches the
  unique index of partak_internet_account (about 0.1 ms a login).  Its body
  is bound at run time, so the other modules can alter their tables.
- `partak_radius_authorize(username)` — the check items of a login, read
  by rlm_sql's authorize_check_query: Cleartext-Password, Simultaneous-Use,
  Partak-Policy (the reason to refuse) and the reply values carried as
  Partak-* control attributes that the site copies into the Access-Accept.
  One evaluation of the policy per login and a PL/pgSQL function, so that
  PostgreSQL plans it once per connection (planning the inlined view costs
  ~2 ms, executing it ~0.2 ms).
- `partak_radius_online(username, stale seconds)` — Simultaneous-Use count.
- `partak_radius_check` / `partak_radius_reply` — the same as radcheck /
  radreply views, for people and for stock rlm_sql queries.
- `partak_radius_reject(...)` — stores a refused login (post-auth).
- `partak_radius_acct(...)` — one call per Accounting-Request: stores the
  session once however often the NAS repeats a packet (unique
  Acct-Unique-Session-Id, cumulative counters with Gigawords, deltas never
  negative), deducts the new download bytes from the period's counter in
  the same transaction and queues a Disconnect/CoA job when the traffic
  runs out.

Remaining traffic of a period = sum of the live bucket balances
(partak_radius_balance, a copy of the traffic ledger kept by
partak.traffic.move's hooks) - the counter's bytes not yet booked on the
ledger (partak_radius_counter.unbooked, booked by a cron through
Period.consume).

FreeRADIUS may connect with a role of its own (`grant`, and
`radius_config --grant-role`): the entry points are SECURITY DEFINER, so
that role runs them and reads nothing else but the NAS list."""

NOW_UTC = "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')"

DROP = """
DROP VIEW IF EXISTS partak_radius_check;
DROP VIEW IF EXISTS partak_radius_reply;
DROP VIEW IF EXISTS partak_radius_policy_v;
DROP FUNCTION IF EXISTS partak_radius_authorize(text);
DROP FUNCTION IF EXISTS partak_radius_online(text, integer);
DROP FUNCTION IF EXISTS partak_radius_policy();
DROP FUNCTION IF EXISTS partak_radius_period(integer, timestamp);
DROP FUNCTION IF EXISTS partak_radius_acct(text, text, text, text, text,
    text, text, text, text, text, text, text, text, text, text, text, text);
DROP FUNCTION IF EXISTS partak_radius_reject(text, text, text, text, text);
"""

# The line's current period at a moment: the active one, else a reserve
# whose time has come (the period cron may not have started it yet).
PERIOD = """
CREATE FUNCTION partak_radius_period(p_line integer, p_at timestamp)
RETURNS TABLE(period integer, period_end timestamp, limited boolean,
    up_kbps integer, down_kbps integer, fair_kbps integer)
LANGUAGE sql STABLE AS $$
    SELECT sp.id, sp."end"::timestamp,
        (t.volume_bytes IS NOT NULL
            OR COALESCE(t.campaign_monthly_bytes, 0) > 0),
        t.speed_up_kbps, t.speed_down_kbps, t.fair_use_kbps
    FROM partak_service_period sp
    JOIN product_product pp ON pp.id = sp.product
    JOIN product_template t ON t.id = pp.template
    WHERE sp.line = p_line
        AND sp.state IN ('active', 'reserve')
        AND sp.start <= p_at AND sp."end" > p_at
    ORDER BY (sp.state = 'active') DESC, sp.start, sp.id
    LIMIT 1
$$;
"""

STATIC_IP_JOIN = """
    LEFT JOIN LATERAL (
        SELECT s.address::text AS address, s.route::text AS route
        FROM partak_static_ip s
        WHERE s.line = l.id AND s.start <= {now} AND s."end" > {now}
        ORDER BY s."end" DESC, s.id DESC LIMIT 1) ip ON true
""".format(now=NOW_UTC)
NO_STATIC_IP_JOIN = """
    LEFT JOIN LATERAL (
        SELECT NULL::text AS address, NULL::text AS route) ip ON true
"""

POLICY = """
CREATE FUNCTION partak_radius_policy()
RETURNS TABLE(account integer, username text, password text, line integer,
    line_status text, subscriber integer, period integer,
    period_end timestamp, limited boolean, remaining_bytes bigint,
    fair_use boolean, up_kbps integer, down_kbps integer,
    session_timeout bigint, rate_limit text, framed_ip text,
    framed_route text, reject_reason text)
LANGUAGE sql STABLE AS $$
SELECT x.account, x.username, x.password, x.line, x.line_status,
    x.subscriber, x.period, x.period_end, x.limited, x.remaining_bytes,
    x.fair_use, x.up_kbps, x.down_kbps,
    CASE WHEN x.period IS NOT NULL THEN GREATEST(1, CEIL(EXTRACT(EPOCH FROM
        (x.period_end - {now}))))::bigint END,
    CASE WHEN x.up_kbps > 0 AND x.down_kbps > 0
        THEN x.up_kbps || 'k/' || x.down_kbps || 'k' END,
    x.framed_ip, x.framed_route,
    CASE
        WHEN NOT x.active OR x.disabled THEN 'account_disabled'
        WHEN x.line_status <> 'in_service' THEN 'line_' || x.line_status
        WHEN x.internet_cut THEN 'documents_overdue'
        WHEN x.period IS NULL THEN 'expired'
        WHEN x.remaining_bytes <= 0 AND NOT x.fair_use THEN 'no_traffic'
    END
FROM (
    SELECT a.id AS account, a.username::text AS username,
        a.password::text AS password, COALESCE(a.active, false) AS active,
        COALESCE(a.disabled, false) AS disabled,
        l.id AS line, l.status::text AS line_status,
        l.subscriber AS subscriber,
        COALESCE(p.internet_cut, false) AS internet_cut,
        cp.period, cp.period_end, cp.limited,
        rem.bytes AS remaining_bytes,
        COALESCE(rem.bytes <= 0 AND cp.fair_kbps > 0, false) AS fair_use,
        CASE WHEN rem.bytes <= 0 AND cp.fair_kbps > 0 THEN cp.fair_kbps
            ELSE cp.up_kbps END AS up_kbps,
        CASE WHEN rem.bytes <= 0 AND cp.fair_kbps > 0 THEN cp.fair_kbps
            ELSE cp.down_kbps END AS down_kbps,
        ip.address AS framed_ip,
        CASE WHEN ip.route IS NOT NULL THEN
            ip.route || ' ' || COALESCE(ip.address, '0.0.0.0') || ' 1'
            END AS framed_route
    FROM partak_internet_account a
    JOIN partak_line l ON l.id = a.line
    JOIN party_party p ON p.id = l.subscriber
    LEFT JOIN LATERAL partak_radius_period(l.id, {now}) cp ON true
    LEFT JOIN LATERAL (
        SELECT COALESCE((
                SELECT SUM(b.bytes) FROM partak_radius_balance b
                WHERE b.period = cp.period
                    AND (b.expires IS NULL OR b.expires > {now})), 0)
            - COALESCE((
                SELECT c.unbooked FROM partak_radius_counter c
                WHERE c.period = cp.period), 0) AS bytes
        ) rem ON cp.limited
    {static_ip}
    ) x
$$;
"""

VIEWS = """
CREATE VIEW partak_radius_policy_v AS
SELECT pol.account AS id, pol.*,
    NULL::integer AS create_uid, NULL::timestamp AS create_date,
    NULL::integer AS write_uid, NULL::timestamp AS write_date
FROM partak_radius_policy() pol;

CREATE VIEW partak_radius_check AS
SELECT v.n AS id, pol.username, v.attribute, v.value, v.op
FROM partak_radius_policy() pol
CROSS JOIN LATERAL (VALUES
    (1, 'Cleartext-Password', pol.password, ':='),
    (2, 'Simultaneous-Use',
        CASE WHEN pol.reject_reason IS NULL THEN '1' END, ':='),
    (3, 'Partak-Policy', pol.reject_reason, ':=')
    ) AS v(n, attribute, value, op)
WHERE v.value IS NOT NULL;

CREATE VIEW partak_radius_reply AS
SELECT v.n AS id, pol.username, v.attribute, v.value, v.op
FROM partak_radius_policy() pol
CROSS JOIN LATERAL (VALUES
    (1, 'Mikrotik-Rate-Limit', pol.rate_limit, ':='),
    (2, 'WISPr-Bandwidth-Max-Up', (pol.up_kbps::bigint * 1000)::text, ':='),
    (3, 'WISPr-Bandwidth-Max-Down', (pol.down_kbps::bigint * 1000)::text,
        ':='),
    (4, 'Session-Timeout', pol.session_timeout::text, ':='),
    (5, 'Framed-IP-Address', pol.framed_ip, ':='),
    (6, 'Framed-Route', pol.framed_route, '+=')
    ) AS v(n, attribute, value, op)
WHERE pol.reject_reason IS NULL AND v.value IS NOT NULL;

CREATE FUNCTION partak_radius_authorize(p_username text)
RETURNS TABLE(id integer, username text, attribute text, value text,
    op text)
LANGUAGE plpgsql STABLE {definer} AS $$
BEGIN
    RETURN QUERY
    SELECT v.n, pol.username, v.a, v.v, ':='::text
    FROM partak_radius_policy() pol
    CROSS JOIN LATERAL (VALUES
        (1, 'Cleartext-Password', pol.password),
        (2, 'Simultaneous-Use',
            CASE WHEN pol.reject_reason IS NULL THEN '1' END),
        (3, 'Partak-Policy', pol.reject_reason),
        (4, 'Partak-Rate-Limit', pol.rate_limit),
        (5, 'Partak-Up-Bps', (pol.up_kbps::bigint * 1000)::text),
        (6, 'Partak-Down-Bps', (pol.down_kbps::bigint * 1000)::text),
        (7, 'Partak-Session-Timeout', pol.session_timeout::text),
        (8, 'Partak-Framed-IP', pol.framed_ip),
        (9, 'Partak-Framed-Route', pol.framed_route)
        ) AS v(n, a, v)
    WHERE pol.username = p_username AND v.v IS NOT NULL
        AND (v.n <= 3 OR pol.reject_reason IS NULL)
    ORDER BY v.n;
END
$$;

CREATE FUNCTION partak_radius_online(p_username text, p_stale integer)
RETURNS bigint LANGUAGE plpgsql STABLE {definer} AS $$
BEGIN
    RETURN (SELECT COUNT(*) FROM partak_radius_session s
        WHERE s.username = p_username AND s.state = 'open'
            AND s.update_time > {now} - make_interval(secs => p_stale));
END
$$;
"""

# Arguments are the xlat strings of FreeRADIUS (empty when the attribute is
# missing): status, unique id, session id, user, NAS IP, NAS port, framed IP,
# calling station, input octets, input gigawords, output octets, output
# gigawords, session time, terminate cause, Event-Timestamp, request time
# (%l), Acct-Delay-Time.
ACCT = """
CREATE FUNCTION partak_radius_acct(
    p_status text, p_unique text, p_session text, p_username text,
    p_nas_ip text, p_nas_port text, p_framed_ip text, p_calling text,
    p_in text, p_in_giga text, p_out text, p_out_giga text,
    p_session_time text, p_cause text, p_event text, p_now text,
    p_delay text)
RETURNS integer LANGUAGE plpgsql {definer} AS $$
DECLARE
    v_now timestamp := {now};
    v_ts timestamp;
    v_up bigint;
    v_down bigint;
    v_time bigint;
    v_d_up bigint;
    v_d_down bigint;
    v_deduct bigint := 0;
    v_remaining bigint;
    v_unbooked bigint;
    v_closing boolean := p_status = 'Stop';
    v_state text;
    v_period integer;
    s partak_radius_session%ROWTYPE;
    cp record;
BEGIN
    -- The moment of the event: Event-Timestamp, else the time the server
    -- got the packet less the NAS's (and the spool's) delay.
    IF COALESCE(NULLIF(p_event, ''), '0')::bigint > 0 THEN
        v_ts := to_timestamp(p_event::bigint) AT TIME ZONE 'UTC';
    ELSE
        v_ts := to_timestamp(COALESCE(NULLIF(p_now, ''),
                    EXTRACT(EPOCH FROM CURRENT_TIMESTAMP)::bigint::text
                    )::bigint
                - COALESCE(NULLIF(p_delay, ''), '0')::bigint)
            AT TIME ZONE 'UTC';
    END IF;

    IF p_status IN ('Accounting-On', 'Accounting-Off') THEN
        -- The NAS (re)started: none of its sessions is alive.
        UPDATE partak_radius_session SET state = 'closed',
                closed_by = 'nas_reboot', stop_time = v_ts,
                terminate_cause = 'NAS-Reboot',
                write_date = v_now, write_uid = 0
            WHERE state = 'open' AND nas_ip = p_nas_ip
                AND start_time <= v_ts;
        RETURN 1;
    END IF;
    IF p_status NOT IN ('Start', 'Interim-Update', 'Alive', 'Stop') THEN
        RETURN 1;
    END IF;
    IF COALESCE(p_unique, '') = '' THEN
        RETURN 1;
    END IF;

    v_up := COALESCE(NULLIF(p_in_giga, ''), '0')::bigint * 4294967296
        + COALESCE(NULLIF(p_in, ''), '0')::bigint;
    v_down := COALESCE(NULLIF(p_out_giga, ''), '0')::bigint * 4294967296
        + COALESCE(NULLIF(p_out, ''), '0')::bigint;
    v_time := COALESCE(NULLIF(p_session_time, ''), '0')::bigint;

    -- Once per session: the first packet seen (Start, or an Interim/Stop
    -- whose Start was lost) creates the row with zero counters.
    SELECT * INTO s FROM partak_radius_session
        WHERE unique_id = p_unique FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO partak_radius_session (unique_id, session_id, username,
                account, line, nas_ip, nas_port, framed_ip, calling_station,
                start_time, update_time, state, upload_bytes,
                download_bytes, deducted_bytes, session_time, rate_limit,
                create_date, create_uid)
            SELECT p_unique, p_session, p_username, a.id, a.line, p_nas_ip,
                NULLIF(p_nas_port, ''), NULLIF(p_framed_ip, ''),
                NULLIF(p_calling, ''),
                v_ts - make_interval(secs => v_time), v_ts, 'open', 0, 0, 0,
                0,
                (SELECT pol.rate_limit FROM partak_radius_policy() pol
                    WHERE pol.username = p_username),
                v_now, 0
            FROM (SELECT 1) AS one
            LEFT JOIN partak_internet_account a ON a.username = p_username
            ON CONFLICT (unique_id) DO NOTHING;
        SELECT * INTO s FROM partak_radius_session
            WHERE unique_id = p_unique FOR UPDATE;
    END IF;

    -- Counters are cumulative: only what is new since the stored figure
    -- counts, so a repeated or late packet adds nothing.
    v_d_up := GREATEST(v_up - s.upload_bytes, 0);
    v_d_down := GREATEST(v_down - s.download_bytes, 0);

    IF v_d_down > 0 AND s.line IS NOT NULL THEN
        SELECT * INTO cp FROM partak_radius_period(s.line, v_ts);
        v_period := cp.period;
        IF cp.period IS NOT NULL AND cp.limited THEN
            v_deduct := v_d_down;
            INSERT INTO partak_radius_counter (period, unbooked, used,
                    booked, overuse, create_date, create_uid)
                VALUES (cp.period, v_deduct, v_deduct, 0, 0, v_now, 0)
                ON CONFLICT (period) DO UPDATE
                SET unbooked = partak_radius_counter.unbooked
                        + EXCLUDED.unbooked,
                    used = partak_radius_counter.used + EXCLUDED.used,
                    write_date = v_now, write_uid = 0
                RETURNING unbooked INTO v_unbooked;
            v_remaining := COALESCE((SELECT SUM(b.bytes)
                    FROM partak_radius_balance b WHERE b.period = cp.period
                        AND (b.expires IS NULL OR b.expires > v_ts)), 0)
                - v_unbooked;
            -- The traffic ran out with this packet: cut the session, or
            -- slow it down to the plan's fair-use speed.
            IF v_remaining <= 0 AND v_remaining + v_deduct > 0
                    AND NOT v_closing AND s.state = 'open' THEN
                INSERT INTO partak_radius_job (session, line, username,
                        nas_ip, kind, reason, rate_limit, state, attempts,
                        create_date, create_uid)
                    VALUES (s.id, s.line, s.username, s.nas_ip,
                        CASE WHEN cp.fair_kbps > 0 THEN 'coa'
                            ELSE 'disconnect' END,
                        CASE WHEN cp.fair_kbps > 0 THEN 'fair_use'
                            ELSE 'no_traffic' END,
                        CASE WHEN cp.fair_kbps > 0 THEN
                            cp.fair_kbps || 'k/' || cp.fair_kbps || 'k'
                            END,
                        'pending', 0, v_now, 0);
                PERFORM pg_notify('partak_radius_job', s.id::text);
            END IF;
        END IF;
    END IF;

    IF v_closing THEN
        v_state := 'closed';
    ELSIF s.state = 'closed' AND s.closed_by = 'stale' THEN
        v_state := 'open';  -- the NAS was late, not gone
    ELSE
        v_state := s.state;
    END IF;

    UPDATE partak_radius_session SET
        upload_bytes = s.upload_bytes + v_d_up,
        download_bytes = s.download_bytes + v_d_down,
        deducted_bytes = s.deducted_bytes + v_deduct,
        session_time = GREATEST(s.session_time, v_time),
        start_time = CASE WHEN p_status = 'Start'
            THEN LEAST(s.start_time, v_ts) ELSE s.start_time END,
        update_time = GREATEST(s.update_time, v_ts),
        state = v_state,
        stop_time = CASE
            WHEN v_closing THEN COALESCE(s.stop_time, v_ts)
            WHEN v_state = 'open' THEN NULL
            ELSE s.stop_time END,
        closed_by = CASE
            WHEN v_closing THEN COALESCE(s.closed_by, 'stop')
            WHEN v_state = 'open' THEN NULL
            ELSE s.closed_by END,
        terminate_cause = CASE WHEN v_closing
            THEN COALESCE(s.terminate_cause, NULLIF(p_cause, ''))
            ELSE s.terminate_cause END,
        framed_ip = COALESCE(NULLIF(p_framed_ip, ''), s.framed_ip),
        period = COALESCE(s.period, v_period),
        write_date = v_now, write_uid = 0
    WHERE id = s.id;
    RETURN 1;
END
$$;
"""


def table_exists(cursor, name):
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
    return cursor.fetchone()[0]


# The only doors of FreeRADIUS's own database role (see grant): functions
# that run with the rights of their owner, the database user of trytond, on
# a fixed search_path so that a caller cannot slip its own tables in.
ENTRY_POINTS = [
    'partak_radius_authorize(text)',
    'partak_radius_online(text, integer)',
    'partak_radius_acct(text, text, text, text, text, text, text, text, '
    'text, text, text, text, text, text, text, text, text)',
    'partak_radius_reject(text, text, text, text, text)',
    ]

# A refused login (post-auth REJECT), with the reason staff read.
REJECT = """
CREATE FUNCTION partak_radius_reject(p_username text, p_reason text,
    p_nas_ip text, p_calling text, p_message text)
RETURNS integer LANGUAGE plpgsql {definer} AS $$
BEGIN
    INSERT INTO partak_radius_reject (date, username, account, line, reason,
        nas_ip, calling_station, message, create_date, create_uid)
    SELECT {now}, p_username, a.id, a.line,
        COALESCE(NULLIF(p_reason, ''), 'other'), p_nas_ip,
        NULLIF(p_calling, ''), NULLIF(p_message, ''), {now}, 0
    FROM (SELECT 1) AS one
    LEFT JOIN partak_internet_account a ON a.username = p_username;
    RETURN 1;
END
$$;
"""

# What FreeRADIUS reads directly: its clients (render writes clients.conf).
NAS_COLUMNS = 'name, address, secret, nas_type, active'


def radius_roles(cursor):
    "The roles granted the entry points (kept when they are recreated)."
    cursor.execute("SELECT DISTINCT r.rolname FROM pg_proc p "
        "CROSS JOIN LATERAL aclexplode(p.proacl) a "
        "JOIN pg_roles r ON r.oid = a.grantee "
        "WHERE p.proname = 'partak_radius_authorize' "
        "AND a.grantee <> p.proowner AND a.privilege_type = 'EXECUTE'")
    return [r for r, in cursor.fetchall()]


def quote_ident(name):
    return '"%s"' % name.replace('"', '""')


def grant(cursor, role):
    """Gives the PostgreSQL role of FreeRADIUS what it needs and nothing
    more: connect, run the entry points, read the NAS list.  No table of
    subscribers, passwords of the portal or money is readable by it."""
    role = quote_ident(role)
    cursor.execute("SELECT current_database(), current_schema()")
    database, schema = cursor.fetchone()
    cursor.execute('GRANT CONNECT ON DATABASE %s TO %s'
        % (quote_ident(database), role))
    cursor.execute('GRANT USAGE ON SCHEMA %s TO %s'
        % (quote_ident(schema), role))
    for function in ENTRY_POINTS:
        cursor.execute('GRANT EXECUTE ON FUNCTION %s TO %s' % (function, role))
    cursor.execute('GRANT SELECT (%s) ON partak_nas TO %s'
        % (NAS_COLUMNS, role))


def create(cursor):
    """(Re)creates the functions and views.  Runs after the tables of
    partak_usage exist (the accounting function names their row type).
    The roles that could run the entry points keep their grant."""
    static_ip = (STATIC_IP_JOIN if table_exists(cursor, 'partak_static_ip')
        else NO_STATIC_IP_JOIN)
    roles = radius_roles(cursor)
    cursor.execute("SELECT current_schema()")
    schema, = cursor.fetchone()
    definer = 'SECURITY DEFINER SET search_path = %s, pg_temp' % (
        quote_ident(schema))
    cursor.execute(DROP)
    cursor.execute(PERIOD)
    cursor.execute(POLICY.format(now=NOW_UTC, static_ip=static_ip))
    cursor.execute(VIEWS.replace('{now}', NOW_UTC).replace(
            '{definer}', definer))
    cursor.execute(ACCT.format(now=NOW_UTC, definer=definer))
    cursor.execute(REJECT.format(now=NOW_UTC, definer=definer))
    for function in ENTRY_POINTS:
        cursor.execute('REVOKE ALL ON FUNCTION %s FROM PUBLIC' % function)
    for role in roles:
        grant(cursor, role)
