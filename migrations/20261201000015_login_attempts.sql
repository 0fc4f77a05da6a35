-- Login attempts are counted as they begin, in the statement that reads the count, so that
-- parallel guesses cannot all slip through; `previous_at` is when the one before was, which the
-- wait is measured from. Attempts are also counted per client address.
alter table login_failures add column previous_at timestamptz;

create table login_failures_by_address (
    address inet primary key,
    failures integer not null,
    last_failed_at timestamptz not null,
    previous_at timestamptz
);
