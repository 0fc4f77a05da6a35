-- Login attempts counted per (account, client address), per account (a much higher backstop)
-- and per address, in one table: a stranger's guesses from elsewhere no longer lock out the
-- account's owner at their own desk. The streaks are transient; the old tables go.
create table login_streaks (
    scope text not null constraint login_streaks_scope_known
        check (scope in ('account_address', 'account', 'address')),
    key text not null,
    failures integer not null,
    last_failed_at timestamptz not null,
    previous_at timestamptz,
    primary key (scope, key)
);
drop table login_failures;
drop table login_failures_by_address;
