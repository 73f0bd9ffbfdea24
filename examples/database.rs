//! The scenario behind Python's awaitlet, SQLAlchemy's asyncio layer, in Rust: a repository and a
//! business layer written once against a blocking database API, run unchanged over an async
//! driver.
//!
//! - `db` is the blocking API the layers see: the shape of a sync database API (`execute`,
//!   `query`, transactions), as in PEP 249 or JDBC.
//! - `repository` (the SQL) and `bank` (the rules: accounts, transfers in transactions, errors
//!   the caller can act on) are plain sync code over `db::Connection`, and `scenario` drives them.
//!   None of them changes between the two runs below.
//! - The original program runs them on OS threads over `rusqlite`, a blocking SQLite driver.
//! - The port runs them on one thread, on a current-thread tokio runtime, over `sqlx`'s async
//!   SQLite driver: `SqlxConnection` implements `db::Connection` by awaiting each sqlx future
//!   with `awaitlet!`, and every worker is an `#[async_def]` fn.
//!
//! Both run against a real SQLite file in a temporary directory: concurrent transfers (each a
//! transaction, several workers at once), a UNIQUE constraint violation surfaced as an error, and
//! transfers rolled back (an overdraft refused by a CHECK constraint, an unknown account), whose
//! ledger rows disappear with them. The two runs must end in the same state.
//!
//! rusqlite 0.39 and sqlx 0.9 link the same `libsqlite3-sys` (0.37, bundled), so both drivers
//! share one SQLite library in this binary.
//!
//! Run it with `cargo run --example database`.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many workers transfer money at once.
const WORKERS: usize = 8;
/// Transfers per worker.
const TRANSFERS: usize = 25;
/// What each account starts with.
const OPENING_BALANCE: i64 = 1_000;

/// The blocking database API the layers are written against.
mod db {
    use std::fmt;

    /// A parameter or a column value.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Value {
        Null,
        Integer(i64),
        Text(String),
    }

    impl From<i64> for Value {
        fn from(value: i64) -> Self {
            Value::Integer(value)
        }
    }

    impl From<&str> for Value {
        fn from(value: &str) -> Self {
            Value::Text(value.to_string())
        }
    }

    pub type Row = Vec<Value>;

    /// What a driver reports, in terms the layers above can act on.
    #[derive(Debug, Clone, PartialEq)]
    pub enum DbError {
        /// A constraint (`UNIQUE`, `CHECK`, `NOT NULL`, a foreign key) refused the statement; the
        /// database's own message.
        Constraint(String),
        /// A value of a type this API does not carry (`REAL`, `BLOB`).
        UnsupportedType(String),
        /// Anything else the driver reported.
        Driver(String),
    }

    impl fmt::Display for DbError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                DbError::Constraint(message) => write!(f, "constraint violated: {message}"),
                DbError::UnsupportedType(name) => write!(f, "unsupported column type `{name}`"),
                DbError::Driver(message) => write!(f, "database error: {message}"),
            }
        }
    }

    impl std::error::Error for DbError {}

    /// A blocking database connection.
    pub trait Connection {
        /// Runs a statement; returns the number of rows it changed.
        fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError>;

        /// Runs a query; returns every row.
        fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;

        /// Starts a transaction that takes the write lock at once, so that concurrent
        /// transactions queue up here rather than fail later on a lock upgrade.
        fn begin(&mut self) -> Result<(), DbError> {
            self.execute("BEGIN IMMEDIATE", &[]).map(drop)
        }

        fn commit(&mut self) -> Result<(), DbError> {
            self.execute("COMMIT", &[]).map(drop)
        }

        fn rollback(&mut self) -> Result<(), DbError> {
            self.execute("ROLLBACK", &[]).map(drop)
        }
    }
}

/// The SQL, and nothing else.
mod repository {
    use crate::db::{Connection, DbError, Value};

    pub fn create_schema(db: &mut impl Connection) -> Result<(), DbError> {
        db.execute(
            "CREATE TABLE accounts (
                 owner TEXT PRIMARY KEY,
                 balance INTEGER NOT NULL CHECK (balance >= 0)
             )",
            &[],
        )?;
        db.execute(
            "CREATE TABLE ledger (
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 worker INTEGER NOT NULL,
                 payer TEXT NOT NULL,
                 payee TEXT NOT NULL,
                 amount INTEGER NOT NULL
             )",
            &[],
        )?;
        Ok(())
    }

    pub fn insert_account(
        db: &mut impl Connection,
        owner: &str,
        balance: i64,
    ) -> Result<(), DbError> {
        db.execute(
            "INSERT INTO accounts (owner, balance) VALUES (?1, ?2)",
            &[owner.into(), balance.into()],
        )
        .map(drop)
    }

    /// Adds `delta` to the balance; `false` when there is no such account.
    pub fn add_to_balance(
        db: &mut impl Connection,
        owner: &str,
        delta: i64,
    ) -> Result<bool, DbError> {
        let changed = db.execute(
            "UPDATE accounts SET balance = balance + ?1 WHERE owner = ?2",
            &[delta.into(), owner.into()],
        )?;
        Ok(changed == 1)
    }

    pub fn record_transfer(
        db: &mut impl Connection,
        worker: i64,
        payer: &str,
        payee: &str,
        amount: i64,
    ) -> Result<(), DbError> {
        db.execute(
            "INSERT INTO ledger (worker, payer, payee, amount) VALUES (?1, ?2, ?3, ?4)",
            &[worker.into(), payer.into(), payee.into(), amount.into()],
        )
        .map(drop)
    }

    pub fn balances(db: &mut impl Connection) -> Result<Vec<(String, i64)>, DbError> {
        db.query("SELECT owner, balance FROM accounts ORDER BY owner", &[])?
            .into_iter()
            .map(|row| match &row[..] {
                [Value::Text(owner), Value::Integer(balance)] => Ok((owner.clone(), *balance)),
                other => Err(DbError::Driver(format!("unexpected account row {other:?}"))),
            })
            .collect()
    }

    /// The worker of every ledger row, in the order the rows were committed.
    pub fn ledger_workers(db: &mut impl Connection) -> Result<Vec<i64>, DbError> {
        db.query("SELECT worker FROM ledger ORDER BY id", &[])?
            .into_iter()
            .map(|row| match &row[..] {
                [Value::Integer(worker)] => Ok(*worker),
                other => Err(DbError::Driver(format!("unexpected ledger row {other:?}"))),
            })
            .collect()
    }
}

/// The business rules.
mod bank {
    use std::fmt;

    use crate::db::{Connection, DbError};
    use crate::repository;

    #[derive(Debug, Clone, PartialEq)]
    pub enum BankError {
        AccountExists(String),
        UnknownAccount(String),
        InsufficientFunds { owner: String, amount: i64 },
        Db(DbError),
    }

    impl From<DbError> for BankError {
        fn from(error: DbError) -> Self {
            BankError::Db(error)
        }
    }

    impl fmt::Display for BankError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                BankError::AccountExists(owner) => write!(f, "account {owner:?} already exists"),
                BankError::UnknownAccount(owner) => write!(f, "no account {owner:?}"),
                BankError::InsufficientFunds { owner, amount } => {
                    write!(f, "{owner:?} cannot pay {amount}")
                }
                BankError::Db(error) => error.fmt(f),
            }
        }
    }

    impl std::error::Error for BankError {}

    /// Runs `work` in a transaction: committed if it succeeds, rolled back if it fails.
    pub fn in_transaction<C: Connection, T>(
        db: &mut C,
        work: impl FnOnce(&mut C) -> Result<T, BankError>,
    ) -> Result<T, BankError> {
        db.begin()?;
        match work(db) {
            Ok(value) => {
                db.commit()?;
                Ok(value)
            }
            Err(error) => {
                db.rollback()?;
                Err(error)
            }
        }
    }

    pub fn open_account(
        db: &mut impl Connection,
        owner: &str,
        deposit: i64,
    ) -> Result<(), BankError> {
        match repository::insert_account(db, owner, deposit) {
            Err(DbError::Constraint(_)) => Err(BankError::AccountExists(owner.to_string())),
            other => Ok(other?),
        }
    }

    /// Moves `amount` from `payer` to `payee` and records it in the ledger, all or nothing.
    pub fn transfer(
        db: &mut impl Connection,
        worker: usize,
        payer: &str,
        payee: &str,
        amount: i64,
    ) -> Result<(), BankError> {
        in_transaction(db, |db| {
            // The ledger row first: a failure below must take it away again.
            repository::record_transfer(db, worker as i64, payer, payee, amount)?;
            if !repository::add_to_balance(db, payee, amount)? {
                return Err(BankError::UnknownAccount(payee.to_string()));
            }
            match repository::add_to_balance(db, payer, -amount) {
                Ok(true) => Ok(()),
                Ok(false) => Err(BankError::UnknownAccount(payer.to_string())),
                // The `CHECK (balance >= 0)` constraint refused the overdraft.
                Err(DbError::Constraint(_)) => Err(BankError::InsufficientFunds {
                    owner: payer.to_string(),
                    amount,
                }),
                Err(error) => Err(error.into()),
            }
        })
    }
}

/// The program both front ends run, in phases: plain sync code over `db::Connection`.
mod scenario {
    use crate::bank::{self, BankError};
    use crate::db::Connection;
    use crate::{Gauge, OPENING_BALANCE, TRANSFERS, WORKERS, repository};

    pub fn account(index: usize) -> String {
        format!("account-{index}")
    }

    /// What the setup's deliberate mistakes came to.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Setup {
        pub duplicate: BankError,
        pub to_unknown: BankError,
        pub ledger_after_rollback: usize,
    }

    /// The schema, one account per worker, and two mistakes: a second account with a taken name
    /// (the UNIQUE constraint), and a transfer to an account that does not exist (rolled back).
    pub fn setup(db: &mut impl Connection) -> Result<Setup, BankError> {
        repository::create_schema(db)?;
        for index in 0..WORKERS {
            bank::open_account(db, &account(index), OPENING_BALANCE)?;
        }
        let duplicate = bank::open_account(db, &account(0), 5).unwrap_err();
        let to_unknown = bank::transfer(db, 0, &account(0), "nobody", 10).unwrap_err();
        Ok(Setup {
            duplicate,
            to_unknown,
            ledger_after_rollback: repository::ledger_workers(db)?.len(),
        })
    }

    /// What one worker's transfers came to.
    #[derive(Debug, Clone, PartialEq)]
    pub struct WorkerOutcome {
        pub committed: usize,
        pub refused: Vec<BankError>,
    }

    /// `TRANSFERS` transfers from this worker's account to the next one; every fifth asks for
    /// more than there is in the whole bank, so it is rolled back whatever the interleaving.
    pub fn worker(
        db: &mut impl Connection,
        worker: usize,
        gauge: &Gauge,
    ) -> Result<WorkerOutcome, BankError> {
        let payer = account(worker);
        let payee = account((worker + 1) % WORKERS);
        let mut outcome = WorkerOutcome {
            committed: 0,
            refused: Vec::new(),
        };
        for i in 0..TRANSFERS {
            let amount = if i % 5 == 4 {
                1_000_000
            } else {
                (worker as i64 + 1) * 3
            };
            let transfer = gauge.during(|| bank::transfer(db, worker, &payer, &payee, amount));
            match transfer {
                Ok(()) => outcome.committed += 1,
                Err(error @ BankError::InsufficientFunds { .. }) => outcome.refused.push(error),
                Err(error) => return Err(error),
            }
        }
        Ok(outcome)
    }

    /// Where it all ended.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Report {
        pub setup: Setup,
        pub workers: Vec<WorkerOutcome>,
        pub balances: Vec<(String, i64)>,
        pub ledger_rows: usize,
    }

    pub fn report(
        db: &mut impl Connection,
        setup: Setup,
        workers: Vec<WorkerOutcome>,
    ) -> Result<Report, BankError> {
        Ok(Report {
            setup,
            workers,
            balances: repository::balances(db)?,
            ledger_rows: repository::ledger_workers(db)?.len(),
        })
    }
}

/// How many transfers are in flight at once (in a transaction, or waiting for the write lock),
/// and the most there were: the proof that the transactions ran concurrently.
#[derive(Debug, Default)]
pub struct Gauge {
    live: AtomicUsize,
    peak: AtomicUsize,
}

impl Gauge {
    fn during<T>(&self, work: impl FnOnce() -> T) -> T {
        let live = self.live.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(live, Ordering::SeqCst);
        let result = work();
        self.live.fetch_sub(1, Ordering::SeqCst);
        result
    }

    fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// The original: rusqlite, a blocking driver, and a thread per worker.
mod threaded {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    use rusqlite::types::{ToSqlOutput, ValueRef};

    use crate::bank::BankError;
    use crate::db::{Connection, DbError, Row, Value};
    use crate::{Gauge, WORKERS, scenario};

    pub struct RusqliteConnection(rusqlite::Connection);

    impl RusqliteConnection {
        pub fn open(path: &Path) -> Result<Self, DbError> {
            let connection = rusqlite::Connection::open(path).map_err(db_error)?;
            connection
                .busy_timeout(Duration::from_secs(10))
                .map_err(db_error)?;
            connection
                .pragma_update(None, "journal_mode", "WAL")
                .map_err(db_error)?;
            Ok(RusqliteConnection(connection))
        }
    }

    fn db_error(error: rusqlite::Error) -> DbError {
        match error {
            rusqlite::Error::SqliteFailure(failure, message)
                if failure.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                DbError::Constraint(message.unwrap_or_else(|| failure.to_string()))
            }
            other => DbError::Driver(other.to_string()),
        }
    }

    impl rusqlite::ToSql for Value {
        fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
            Ok(match self {
                Value::Null => ToSqlOutput::Owned(rusqlite::types::Value::Null),
                Value::Integer(value) => ToSqlOutput::from(*value),
                Value::Text(value) => ToSqlOutput::from(value.as_str()),
            })
        }
    }

    impl Connection for RusqliteConnection {
        fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
            let mut statement = self.0.prepare_cached(sql).map_err(db_error)?;
            let changed = statement
                .execute(rusqlite::params_from_iter(params))
                .map_err(db_error)?;
            Ok(changed as u64)
        }

        fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
            let mut statement = self.0.prepare_cached(sql).map_err(db_error)?;
            let columns = statement.column_count();
            let mut rows = statement
                .query(rusqlite::params_from_iter(params))
                .map_err(db_error)?;
            let mut result = Vec::new();
            while let Some(row) = rows.next().map_err(db_error)? {
                let values = (0..columns)
                    .map(|i| match row.get_ref(i).map_err(db_error)? {
                        ValueRef::Null => Ok(Value::Null),
                        ValueRef::Integer(value) => Ok(Value::Integer(value)),
                        ValueRef::Text(text) => {
                            Ok(Value::Text(String::from_utf8_lossy(text).into_owned()))
                        }
                        other => Err(DbError::UnsupportedType(other.data_type().to_string())),
                    })
                    .collect::<Result<Row, DbError>>()?;
                result.push(values);
            }
            Ok(result)
        }
    }

    /// The scenario: setup and report on this thread, the workers on threads of their own.
    pub fn run(path: &Path) -> Result<(scenario::Report, usize), BankError> {
        let mut db = RusqliteConnection::open(path)?;
        let setup = scenario::setup(&mut db)?;
        let gauge = Arc::new(Gauge::default());
        let workers: Vec<_> = (0..WORKERS)
            .map(|worker| {
                let (path, gauge): (PathBuf, _) = (path.to_owned(), Arc::clone(&gauge));
                thread::spawn(move || {
                    let mut db = RusqliteConnection::open(&path)?;
                    scenario::worker(&mut db, worker, &gauge)
                })
            })
            .collect();
        let outcomes = workers
            .into_iter()
            .map(|worker| worker.join().expect("a worker thread panicked"))
            .collect::<Result<_, _>>()?;
        Ok((scenario::report(&mut db, setup, outcomes)?, gauge.peak()))
    }
}

/// The port: sqlx's async SQLite driver through `awaitlet!`, every worker a coroutine on one
/// thread.
mod ported {
    use std::path::Path;
    use std::sync::Arc;
    use std::time::Duration;

    use awaitlet::{async_def, awaitlet};
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteRow};
    use sqlx::{AssertSqlSafe, Connection as _, Row as _, TypeInfo as _, ValueRef as _};

    use crate::bank::BankError;
    use crate::db::{Connection, DbError, Row, Value};
    use crate::{Gauge, WORKERS, scenario};

    /// The new bottom layer: a `db::Connection` whose every call awaits sqlx.
    pub struct SqlxConnection(sqlx::SqliteConnection);

    impl SqlxConnection {
        pub async fn open(path: &Path) -> Result<Self, DbError> {
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10));
            let connection = sqlx::SqliteConnection::connect_with(&options)
                .await
                .map_err(db_error)?;
            Ok(SqlxConnection(connection))
        }
    }

    fn db_error(error: sqlx::Error) -> DbError {
        match error {
            sqlx::Error::Database(error) if error.kind() != sqlx::error::ErrorKind::Other => {
                DbError::Constraint(error.message().to_string())
            }
            other => DbError::Driver(other.to_string()),
        }
    }

    type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

    fn prepare<'q>(sql: &'q str, params: &'q [Value]) -> Query<'q> {
        // The layers pass constant SQL and bind every value as a parameter.
        let query = sqlx::query(AssertSqlSafe(sql));
        params.iter().fold(query, |query, param| match param {
            Value::Null => query.bind(None::<i64>),
            Value::Integer(value) => query.bind(*value),
            Value::Text(value) => query.bind(value.as_str()),
        })
    }

    fn values(row: &SqliteRow) -> Result<Row, DbError> {
        (0..row.len())
            .map(|i| {
                let raw = row.try_get_raw(i).map_err(db_error)?;
                if raw.is_null() {
                    return Ok(Value::Null);
                }
                match raw.type_info().name() {
                    "INTEGER" => row.try_get(i).map(Value::Integer).map_err(db_error),
                    "TEXT" => row.try_get(i).map(Value::Text).map_err(db_error),
                    other => Err(DbError::UnsupportedType(other.to_string())),
                }
            })
            .collect()
    }

    impl Connection for SqlxConnection {
        fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
            let done = awaitlet!(prepare(sql, params).execute(&mut self.0)).map_err(db_error)?;
            Ok(done.rows_affected())
        }

        fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
            let rows = awaitlet!(prepare(sql, params).fetch_all(&mut self.0)).map_err(db_error)?;
            rows.iter().map(values).collect()
        }
    }

    /// The new front ends: the same phases, as `#[async_def]` fns.
    #[async_def]
    fn setup(mut db: SqlxConnection) -> Result<(SqlxConnection, scenario::Setup), BankError> {
        let setup = scenario::setup(&mut db)?;
        Ok((db, setup))
    }

    #[async_def]
    fn worker(
        mut db: SqlxConnection,
        worker: usize,
        gauge: Arc<Gauge>,
    ) -> Result<scenario::WorkerOutcome, BankError> {
        scenario::worker(&mut db, worker, &gauge)
    }

    #[async_def]
    fn report(
        mut db: SqlxConnection,
        setup: scenario::Setup,
        outcomes: Vec<scenario::WorkerOutcome>,
    ) -> Result<scenario::Report, BankError> {
        scenario::report(&mut db, setup, outcomes)
    }

    /// The scenario on one thread: a current-thread runtime, the workers awaited together.
    pub fn run(path: &Path) -> Result<(scenario::Report, usize), BankError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| DbError::Driver(error.to_string()))?;
        runtime.block_on(async {
            let (db, setup) = setup(SqlxConnection::open(path).await?).await?;
            let gauge = Arc::new(Gauge::default());
            let mut workers = Vec::with_capacity(WORKERS);
            for index in 0..WORKERS {
                let connection = SqlxConnection::open(path).await?;
                workers.push(worker(connection, index, Arc::clone(&gauge)));
            }
            let outcomes = futures::future::join_all(workers)
                .await
                .into_iter()
                .collect::<Result<_, _>>()?;
            Ok((report(db, setup, outcomes).await?, gauge.peak()))
        })
    }
}

/// Both programs, each on a fresh database file; they must end in the same state.
fn run(dir: &Path) -> Result<(scenario::Report, [usize; 2]), bank::BankError> {
    let (threaded, threaded_peak) = threaded::run(&dir.join("threaded.db"))?;
    print(
        "threaded, rusqlite, a thread per worker",
        &threaded,
        threaded_peak,
    );
    let (ported, ported_peak) = ported::run(&dir.join("ported.db"))?;
    print(
        "ported, sqlx through awaitlet!, one thread",
        &ported,
        ported_peak,
    );
    assert_eq!(threaded, ported, "both programs end alike");
    Ok((ported, [threaded_peak, ported_peak]))
}

fn print(title: &str, report: &scenario::Report, peak: usize) {
    println!("{title}:");
    println!(
        "  opening {:?} again: {}",
        scenario::account(0),
        report.setup.duplicate
    );
    println!(
        "  paying \"nobody\": {} (rolled back: {} ledger rows)",
        report.setup.to_unknown, report.setup.ledger_after_rollback
    );
    let committed: usize = report.workers.iter().map(|w| w.committed).sum();
    let refused: Vec<_> = report.workers.iter().flat_map(|w| &w.refused).collect();
    println!(
        "  {WORKERS} workers, up to {peak} transfers in flight at once: {committed} committed, {} \
         rolled back ({}), {} ledger rows",
        refused.len(),
        refused
            .first()
            .map_or(String::new(), |error| error.to_string()),
        report.ledger_rows
    );
    let balances: Vec<String> = report
        .balances
        .iter()
        .map(|(owner, balance)| format!("{owner} {balance}"))
        .collect();
    println!("  balances: {}", balances.join(", "));
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    run(dir.path())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::bank::BankError;
    use super::db::DbError;
    use super::*;

    #[test]
    fn both_drivers_run_the_same_layers_to_the_same_end() {
        let dir = tempfile::tempdir().unwrap();
        let (report, [_, ported_peak]) = run(dir.path()).unwrap();

        assert_eq!(
            report.setup.duplicate,
            BankError::AccountExists("account-0".into())
        );
        assert_eq!(
            report.setup.to_unknown,
            BankError::UnknownAccount("nobody".into())
        );
        assert_eq!(report.setup.ledger_after_rollback, 0);

        let committed: usize = report.workers.iter().map(|w| w.committed).sum();
        assert_eq!(committed, WORKERS * TRANSFERS * 4 / 5);
        assert_eq!(
            report.ledger_rows, committed,
            "refused transfers left no ledger row"
        );
        for outcome in &report.workers {
            assert_eq!(outcome.refused.len(), TRANSFERS / 5);
        }
        let total: i64 = report.balances.iter().map(|(_, balance)| balance).sum();
        assert_eq!(
            total,
            OPENING_BALANCE * WORKERS as i64,
            "no money made or lost"
        );
        // Worker i pays 3 (i + 1) twenty times to worker i + 1.
        let expected_balance = |i: usize| {
            let paid = (i as i64 + 1) * 3 * 20;
            let received = ((i + WORKERS - 1) % WORKERS) as i64 * 3 * 20 + 60;
            OPENING_BALANCE - paid + received
        };
        for (i, (owner, balance)) in report.balances.iter().enumerate() {
            assert_eq!(owner, &scenario::account(i));
            assert_eq!(*balance, expected_balance(i), "{owner}");
        }
        // The coroutines wait for sqlx together: more than one transfer was in flight at once.
        assert!(ported_peak > 1, "peak {ported_peak}");
    }

    #[test]
    fn a_constraint_violation_is_an_error_with_the_databases_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("constraint.db");
        let mut threaded = threaded::RusqliteConnection::open(&path).unwrap();
        repository::create_schema(&mut threaded).unwrap();
        repository::insert_account(&mut threaded, "a", 1).unwrap();
        let overdraft = repository::add_to_balance(&mut threaded, "a", -2).unwrap_err();
        let expected = DbError::Constraint("CHECK constraint failed: balance >= 0".into());
        assert_eq!(overdraft, expected);

        // The async driver, through `awaitlet!`, on the same file: the same error.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let overdraft = runtime.block_on(async {
            let mut ported = ported::SqlxConnection::open(&path).await.unwrap();
            awaitlet::async_def(move || repository::add_to_balance(&mut ported, "a", -2)).await
        });
        assert_eq!(overdraft.unwrap_err(), expected);
    }
}
