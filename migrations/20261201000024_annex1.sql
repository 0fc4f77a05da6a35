-- Annex 1 of the notice (救助管理服务质量大提升专项行动情况汇总表): filed by each county, each
-- functional zone (功能区) and the city station, three times a year. Cells the product cannot
-- compute are typed by the unit (history kept); a filing freezes the unit's row for its date.

-- Functional zones (高新区, 旅游经济开发区 …) registered by operators; counties and the city
-- station are filing units by themselves.
create table functional_zones (
    code text primary key constraint functional_zones_code_format check (code ~ '^fz[0-9]+$'),
    name text not null constraint functional_zones_name_unique unique,
    created_at timestamptz not null
);
create sequence functional_zones_seq;

create table annex1_entries (
    id bigserial primary key,
    unit text not null,
    as_of date not null,
    key text not null,
    value jsonb not null,
    entered_by uuid not null constraint annex1_entries_user_fk references users (id),
    entered_at timestamptz not null
);
create index annex1_entries_unit_idx on annex1_entries (unit, as_of, key, id);

create table annex1_filings (
    unit text not null,
    as_of date not null,
    filed_by_name text not null,
    filed_by uuid not null constraint annex1_filings_user_fk references users (id),
    filed_at timestamptz not null,
    -- The row as it stood when filed: later changes to records do not move it.
    row jsonb not null,
    primary key (unit, as_of)
);

-- Reminders pushed before a due date, once a unit and date.
create table annex1_reminders (
    unit text not null,
    due date not null,
    pushed_at timestamptz not null,
    primary key (unit, due)
);
