//! Policy plans (issue 17): each plan's definition (`peil_core::plan::Plan` as JSON), replaced
//! whole by an import ([`ImportTx::put_plan`], inside the import's transaction) or by a
//! back-office edit ([`Store::save_plan`]); and the check-ins, append-only
//! ([`Store::add_checkin`]; SQLite triggers refuse an update or delete).

use crate::{ImportTx, Result, Store, StoreError, utc_now};
use peil_core::plan::Plan;
use rusqlite::{OptionalExtension, params};

/// One check-in: a comment and, for a KPI without a data source, its value of a year.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CheckIn {
    pub id: i64,
    pub kpi: String,
    pub year: i32,
    pub value: Option<f64>,
    pub comment: String,
    pub who: String,
    pub at: String,
}

fn parse(name: &str, text: &str) -> Result<Plan> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("the definition of plan {name}: {e}")))
}

fn json(plan: &Plan) -> Result<String> {
    serde_json::to_string(plan).map_err(|e| StoreError::Invalid(format!("plan: {e}")))
}

const PUT: &str =
    "INSERT INTO plan (name, definition, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT (name) DO UPDATE SET definition = excluded.definition,
       updated_at = excluded.updated_at, updated_by = excluded.updated_by";

impl ImportTx<'_> {
    /// Stores a plan (created, or replacing the one with its name). Check-ins stay: they are
    /// kept by KPI code, and show again when a KPI of that code returns.
    pub fn put_plan(&mut self, plan: &Plan, who: &str) -> Result<bool> {
        let e = self.e();
        let before: Option<String> = self
            .lite()
            .query_row(
                "SELECT definition FROM plan WHERE name = ?1",
                [&plan.name],
                |r| r.get(0),
            )
            .optional()
            .map_err(&e)?;
        let text = json(plan)?;
        if before.as_deref() == Some(text.as_str()) {
            return Ok(false);
        }
        self.lite()
            .execute(PUT, params![plan.name, text, utc_now(), who])
            .map_err(&e)?;
        Ok(true)
    }
}

impl Store {
    /// Every plan, by name.
    pub fn plans(&self) -> Result<Vec<Plan>> {
        let rows: Vec<(String, String)> =
            self.rows("SELECT name, definition FROM plan ORDER BY name", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        rows.iter().map(|(n, t)| parse(n, t)).collect()
    }

    pub fn plan(&self, name: &str) -> Result<Option<Plan>> {
        let rows: Vec<String> =
            self.rows("SELECT definition FROM plan WHERE name = ?1", [name], |r| {
                r.get(0)
            })?;
        rows.first().map(|t| parse(name, t)).transpose()
    }

    /// Saves an edited plan that exists already (the back office's edit), one statement.
    pub fn save_plan(&self, plan: &Plan, who: &str) -> Result<()> {
        let n = self
            .conn()
            .execute(
                "UPDATE plan SET definition = ?2, updated_at = ?3, updated_by = ?4 WHERE name = ?1",
                params![plan.name, json(plan)?, utc_now(), who],
            )
            .map_err(self.e())?;
        if n == 0 {
            return Err(StoreError::Invalid(format!("no plan '{}'", plan.name)));
        }
        Ok(())
    }

    /// Appends a check-in; returns its id.
    pub fn add_checkin(
        &self,
        plan: &str,
        kpi: &str,
        year: i32,
        value: Option<f64>,
        comment: &str,
        who: &str,
    ) -> Result<i64> {
        self.conn()
            .execute(
                "INSERT INTO plan_checkin (plan, kpi, year, value, comment, who, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![plan, kpi, year, value, comment, who, utc_now()],
            )
            .map_err(self.e())?;
        Ok(self.conn().last_insert_rowid())
    }

    /// A plan's check-ins, oldest first (a later one of the same KPI and year supersedes).
    pub fn checkins(&self, plan: &str) -> Result<Vec<CheckIn>> {
        self.rows(
            "SELECT id, kpi, year, value, comment, who, at FROM plan_checkin
             WHERE plan = ?1 ORDER BY id",
            [plan],
            |r| {
                Ok(CheckIn {
                    id: r.get(0)?,
                    kpi: r.get(1)?,
                    year: r.get(2)?,
                    value: r.get(3)?,
                    comment: r.get(4)?,
                    who: r.get(5)?,
                    at: r.get(6)?,
                })
            },
        )
    }
}
